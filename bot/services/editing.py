"""Coordinators change their mission's agenda, venues and FAQ.

Every function checks that the person may edit that mission (admin, or coordinator of it),
whatever id a button carried; every change bumps the mission's content version (caches
rebuild) and leaves an audit record naming fields, not values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.services import notices, reminders
from bot.services.dates import DateProblem, MissionCalendar, local_instant, parse_clock, parse_day
from bot.services.importers import ImportedSession, guess_venue
from bot.services.people import Person
from models import AgendaItem, Audience, AuditRecord, FaqEntry, Mission, SessionKind, Venue
from models.queries import bump_content

SESSION_FIELDS = ("title_fr", "title_en", "description_fr", "description_en", "room")
FAQ_FIELDS = ("question_fr", "question_en", "answer_fr", "answer_en")
VENUE_FIELDS = ("name", "address", "notes_fr", "notes_en")
LIMITS = {"title_fr": 200, "title_en": 200, "room": 120, "name": 200, "address": 300}


@dataclass(frozen=True)
class TimeProblem:
    """Why a typed session time was refused: "invalid" (no such date, 2017-02-30),
    "outside" (not a day of the mission), "unclear" (no time understood)."""

    kind: str


def session_time(
    text: str, calendar: MissionCalendar, now: datetime, default_day: date
) -> datetime | TimeProblem:
    """The instant of '2017-04-11 14:00', 'mercredi 9h30' or '15:30' (on `default_day`),
    in the mission's zone, for a session on a mission day (or the eve or morrow)."""
    try:
        day = parse_day(text, calendar, now) or default_day
    except DateProblem as problem:
        return TimeProblem("invalid" if problem.kind == "invalid" else "outside")
    wall = parse_clock(text.split()[-1] if " " in text.strip() else text)
    if wall is None:
        return TimeProblem("unclear")
    if not calendar.starts_on - timedelta(days=1) <= day <= calendar.ends_on + timedelta(days=1):
        return TimeProblem("outside")
    instant = local_instant(day, wall, calendar.timezone)
    return instant if instant is not None else TimeProblem("unclear")


def may_edit(person: Person, mission_id: int) -> bool:
    return person.is_admin or mission_id in person.coordinator_of


async def _editable(session: AsyncSession, person: Person, item_id: int) -> AgendaItem | None:
    """The session, if this person may edit it (ids come from buttons: re-checked here)."""
    item = await session.get(AgendaItem, item_id)
    return item if item is not None and may_edit(person, item.mission_id) else None


def _audit(
    session: AsyncSession,
    clock: Clock,
    person: Person,
    action: str,
    mission_id: int,
    **details: Any,
) -> None:
    session.add(
        AuditRecord(
            at=clock.now(), actor_telegram_id=person.telegram_id, action=action,
            mission_id=mission_id, details=details,
        )
    )  # fmt: skip


@dataclass(frozen=True)
class Moved:
    item_id: int
    old_start: datetime
    new_start: datetime


async def move_session(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    person: Person,
    item_id: int,
    new_start: datetime,
) -> Moved | None:
    """Move a session to a new start, keeping its length. None: not allowed or not found."""
    async with sessions.begin() as session:
        item = await _editable(session, person, item_id)
        if item is None:
            return None
        old = item.starts_at
        length = item.ends_at - item.starts_at
        item.starts_at, item.ends_at = new_start, new_start + length
        item.updated_at = clock.now()
        await bump_content(session, item.mission_id)
        if new_start != old:
            await notices.session_moved(session, clock, item, old)
        _audit(session, clock, person, "session.move", item.mission_id, item=item.key)
        return Moved(item.id, old, new_start)


@dataclass(frozen=True)
class EndRefused:
    """Why a new end was refused: "before" (not after the start), or a TimeProblem kind."""

    kind: str


_HOURS = re.compile(r"\+\s*(\d{1,2})\s*h\s*(\d{1,2})?", re.IGNORECASE)
_MINUTES = re.compile(r"\+?\s*(\d{1,4})\s*(?:min|mn|minutes?)|\+\s*(\d{1,4})", re.IGNORECASE)


def _length(text: str) -> int | None:
    """Minutes of '+1h30', '+2h', '+90', '90 min', '45 minutes'; None for anything else."""
    if hours := _HOURS.fullmatch(text):
        return int(hours[1]) * 60 + int(hours[2] or 0)
    if minutes := _MINUTES.fullmatch(text):
        return int(minutes[1] or minutes[2])
    return None


def session_end(
    text: str, calendar: MissionCalendar, now: datetime, start: datetime
) -> datetime | EndRefused:
    """The end typed for a session starting at `start`: a time ('15:30', on the start's
    day), a day and time ('2017-04-13 00:30') or a length ('+90 min', '+1h30', '45 min')."""
    minutes = _length(text.strip())
    if minutes is not None:
        return start + timedelta(minutes=minutes) if minutes > 0 else EndRefused("before")
    end = session_time(text, calendar, now, calendar.today(start))
    if isinstance(end, TimeProblem):
        return EndRefused(end.kind)
    return end if end > start else EndRefused("before")


async def change_end(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    person: Person,
    item_id: int,
    new_end: datetime,
) -> bool | None:
    """Set a session's end (the start stays). None: not allowed or not found; False: the
    end is not after the start."""
    async with sessions.begin() as session:
        item = await _editable(session, person, item_id)
        if item is None:
            return None
        if new_end <= item.starts_at:
            return False
        item.ends_at = new_end
        item.updated_at = clock.now()
        await reminders.agenda_changed(session, item)  # queued ones carry the old times
        await bump_content(session, item.mission_id)
        _audit(session, clock, person, "session.end", item.mission_id, item=item.key)
        return True


async def change_venue(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    person: Person,
    item_id: int,
    venue_id: int | None,
) -> bool:
    """Put a session at one of its mission's venues, or at none (venue_id None)."""
    async with sessions.begin() as session:
        item = await _editable(session, person, item_id)
        if item is None:
            return False
        if venue_id is not None:
            venue = await session.get(Venue, venue_id)
            if venue is None or venue.mission_id != item.mission_id:
                return False  # a forged id, or a venue of another mission
        item.venue_id = venue_id
        item.updated_at = clock.now()
        await reminders.agenda_changed(session, item)  # queued ones name the old place
        await bump_content(session, item.mission_id)
        _audit(session, clock, person, "session.venue", item.mission_id, item=item.key)
        return True


async def cancel_session(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, person: Person, item_id: int
) -> bool:
    async with sessions.begin() as session:
        item = await _editable(session, person, item_id)
        if item is None:
            return False
        already = item.cancelled
        item.cancelled = True
        item.updated_at = clock.now()
        await bump_content(session, item.mission_id)
        if not already:
            await notices.session_cancelled(session, clock, item)
        _audit(session, clock, person, "session.cancel", item.mission_id, item=item.key)
        return True


_TABLES: dict[str, tuple[type[AgendaItem] | type[FaqEntry] | type[Venue], tuple[str, ...]]] = {
    "s": (AgendaItem, SESSION_FIELDS),
    "f": (FaqEntry, FAQ_FIELDS),
    "v": (Venue, VENUE_FIELDS),
}


async def edit_text(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    person: Person,
    kind: str,
    row_id: int,
    field: str,
    value: str,
) -> bool:
    """Change one text field of a session (s), FAQ entry (f) or venue (v)."""
    table, fields = _TABLES[kind]
    if field not in fields:
        return False
    async with sessions.begin() as session:
        row: Any = await session.get(table, row_id)
        if row is None or not may_edit(person, row.mission_id):
            return False
        setattr(row, field, value[: LIMITS.get(field, 4000)])
        if isinstance(row, AgendaItem):
            row.updated_at = clock.now()
            await reminders.agenda_changed(session, row)  # queued ones carry the old text
        await bump_content(session, row.mission_id)
        _audit(
            session,
            clock,
            person,
            f"{table.__tablename__}.edit",
            row.mission_id,
            key=row.key,
            field=field,
        )
        return True


_COORDINATES = re.compile(r"\s*(-?\d{1,2}(?:[.,]\d+)?)\s*[,;/ ]\s*(-?\d{1,3}(?:[.,]\d+)?)\s*")


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """'45.7578, 4.8320' (or '45,7578 ; 4,8320', '45.7578 4.8320') as latitude and longitude,
    when both are on the globe."""
    match = _COORDINATES.fullmatch(text)
    if match is None:
        return None
    latitude, longitude = (float(part.replace(",", ".")) for part in match.groups())
    return valid_coordinates(latitude, longitude)


def valid_coordinates(latitude: float, longitude: float) -> tuple[float, float] | None:
    if -90 <= latitude <= 90 and -180 <= longitude <= 180:
        return round(latitude, 6), round(longitude, 6)
    return None


async def set_coordinates(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    person: Person,
    venue_id: int,
    latitude: float,
    longitude: float,
) -> bool:
    """Move a venue's map pin."""
    if valid_coordinates(latitude, longitude) is None:
        return False
    async with sessions.begin() as session:
        venue = await session.get(Venue, venue_id)
        if venue is None or not may_edit(person, venue.mission_id):
            return False
        venue.latitude, venue.longitude = round(latitude, 6), round(longitude, 6)
        await bump_content(session, venue.mission_id)
        _audit(
            session,
            clock,
            person,
            "venues.edit",
            venue.mission_id,
            key=venue.key,
            field="coordinates",
        )
        return True


async def add_venue(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    person: Person,
    mission_id: int,
    name: str,
    address: str,
    coordinates: tuple[float, float] | None,
) -> int | None:
    if not may_edit(person, mission_id):
        return None
    if coordinates is not None and valid_coordinates(*coordinates) is None:
        return None
    async with sessions.begin() as session:
        existing = set(
            await session.scalars(select(Venue.key).where(Venue.mission_id == mission_id))
        )
        venue = Venue(
            mission_id=mission_id, key=_free_key(_slug_of(name) or "venue", existing),
            name=name[: LIMITS["name"]], address=address[: LIMITS["address"]],
            latitude=coordinates[0] if coordinates else None,
            longitude=coordinates[1] if coordinates else None, notes_fr="", notes_en="",
        )  # fmt: skip
        session.add(venue)
        await session.flush()
        await bump_content(session, mission_id)
        _audit(session, clock, person, "venue.add", mission_id, key=venue.key)
        return venue.id


async def mission_of(
    sessions: async_sessionmaker[AsyncSession], kind: str, row_id: int
) -> int | None:
    table, _fields = _TABLES[kind]
    async with sessions() as session:
        row: Any = await session.get(table, row_id)
        return int(row.mission_id) if row is not None else None


async def add_faq(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    person: Person,
    mission_id: int,
    texts: dict[str, str],
) -> int | None:
    if not may_edit(person, mission_id):
        return None
    async with sessions.begin() as session:
        existing = set(
            await session.scalars(select(FaqEntry.key).where(FaqEntry.mission_id == mission_id))
        )
        key = _free_key(_slug_of(texts["question_en"] or texts["question_fr"]), existing)
        entry = FaqEntry(mission_id=mission_id, key=key, **{f: texts[f] for f in FAQ_FIELDS})
        session.add(entry)
        await session.flush()
        await bump_content(session, mission_id)
        _audit(session, clock, person, "faq.add", mission_id, key=key)
        return entry.id


async def add_session(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, person: Person, mission_id: int,
    title_fr: str, title_en: str, starts_at: datetime, ends_at: datetime, venue_id: int | None,
    room: str | None = None, description_fr: str = "", description_en: str = "",
) -> int | None:  # fmt: skip
    if not may_edit(person, mission_id) or ends_at <= starts_at:
        return None
    async with sessions.begin() as session:
        if venue_id is not None:
            venue = await session.get(Venue, venue_id)
            if venue is None or venue.mission_id != mission_id:
                return None
        existing = set(
            await session.scalars(select(AgendaItem.key).where(AgendaItem.mission_id == mission_id))
        )
        item = AgendaItem(
            mission_id=mission_id, key=_free_key(_slug_of(title_en or title_fr), existing),
            title_fr=title_fr[:200], title_en=title_en[:200], starts_at=starts_at, ends_at=ends_at,
            venue_id=venue_id, room=room[:120] if room else None,
            description_fr=description_fr[:4000], description_en=description_en[:4000],
            kind=SessionKind.OTHER, audience=Audience.EVERYONE, audience_tags=[],
            cancelled=False, updated_at=clock.now(),
        )  # fmt: skip
        session.add(item)
        await session.flush()
        await bump_content(session, mission_id)
        _audit(session, clock, person, "session.add", mission_id, item=item.key)
        return item.id


def _slug_of(text: str) -> str:
    from bot.services.importers import _slug

    return _slug(text)[:56]


def _free_key(base: str, taken: set[str]) -> str:
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


# --- import preview and apply -----------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    new: list[ImportedSession]
    changed: list[ImportedSession]
    removed: list[tuple[str, str]]  # (French, English) titles the file no longer has
    unchanged: int
    # What changed in each changed session, by key: aspects of ASPECTS, in that order.
    changes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    removed_keys: frozenset[str] = frozenset()


# The aspects of a session an import can change, and the columns behind each.
ASPECTS: dict[str, tuple[str, ...]] = {
    "time": ("starts_at", "ends_at"),
    "title": ("title_fr", "title_en"),
    "venue": ("venue_id", "room"),
    "description": ("description_fr", "description_en"),
    "kind": ("kind",),
    "audience": ("audience", "audience_tags"),
    "restored": ("cancelled",),  # cancelled before, back in the file
}


def _values(
    imported: ImportedSession,
    row: AgendaItem | None,
    venue_ids: dict[str, int],
    venue_names: dict[str, str],
    locale: str,
) -> dict[str, Any]:
    """The fields to write: what the file carries; for a new session, defaults for the rest.

    An .ics has one title in no stated language: a new session gets it in both languages,
    an existing one only in the importer's language, and only if it changed.
    """
    carried = imported.carried
    values: dict[str, Any] = {
        "starts_at": imported.starts_at, "ends_at": imported.ends_at, "cancelled": False,
    }  # fmt: skip
    if row is None or not imported.single_language:
        values |= {"title_fr": imported.title_fr, "title_en": imported.title_en}
    elif imported.title_en not in (row.title_fr, row.title_en):
        values[f"title_{locale}"] = imported.title_en
    if "description" in carried:
        if row is None or not imported.single_language:
            values |= {
                "description_fr": imported.description_fr,
                "description_en": imported.description_en,
            }
        elif imported.description_en not in (row.description_fr, row.description_en):
            values[f"description_{locale}"] = imported.description_en
    if "place" in carried:
        venue_key = imported.venue_key or guess_venue(imported.room, venue_names)
        if venue_key in venue_ids:
            values["venue_id"] = venue_ids[venue_key]
            values["room"] = imported.room if imported.venue_key else (row.room if row else None)
        else:
            values["room"] = imported.room
    if "kind" in carried or row is None:
        values["kind"] = imported.kind
    if "tags" in carried or row is None:
        values["audience"] = Audience.TAGGED if imported.tags else Audience.EVERYONE
        values["audience_tags"] = list(imported.tags)
    return values


def _differs(row: AgendaItem, values: dict[str, Any]) -> bool:
    return any(getattr(row, k) != v for k, v in values.items())


def _aspects(row: AgendaItem, values: dict[str, Any]) -> tuple[str, ...]:
    changed = {k for k, v in values.items() if getattr(row, k) != v}
    return tuple(aspect for aspect, columns in ASPECTS.items() if changed & set(columns))


async def _context(
    session: AsyncSession, mission_id: int
) -> tuple[dict[str, AgendaItem], dict[str, int], dict[str, str]]:
    items = {
        a.key: a
        for a in await session.scalars(
            select(AgendaItem).where(AgendaItem.mission_id == mission_id)
        )
    }
    venues = list(await session.scalars(select(Venue).where(Venue.mission_id == mission_id)))
    return items, {v.key: v.id for v in venues}, {v.key: v.name for v in venues}


async def preview_import(
    sessions: async_sessionmaker[AsyncSession],
    mission_id: int,
    imported: list[ImportedSession],
    locale: str,
) -> Preview:
    async with sessions() as session:
        items, venue_ids, venue_names = await _context(session, mission_id)
    new, changed, unchanged = [], [], 0
    changes: dict[str, tuple[str, ...]] = {}
    for entry in imported:
        row = items.pop(entry.key, None)
        if row is None:
            new.append(entry)
            continue
        aspects = _aspects(row, _values(entry, row, venue_ids, venue_names, locale))
        if aspects:
            changed.append(entry)
            changes[entry.key] = aspects
        else:
            unchanged += 1
    missing = sorted(
        (row for row in items.values() if not row.cancelled), key=lambda r: (r.starts_at, r.id)
    )
    removed = [(row.title_fr, row.title_en) for row in missing]
    return Preview(new, changed, removed, unchanged, changes, frozenset(r.key for r in missing))


async def apply_import(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    person: Person,
    mission_id: int,
    imported: list[ImportedSession],
    locale: str,
    cancel: frozenset[str] = frozenset(),
) -> Preview | None:
    """Write the imported agenda: new sessions added, changed ones updated; of the sessions
    the file does not have, those whose keys are in `cancel` (the ones the coordinator saw
    in the preview and chose to cancel) are cancelled, not deleted: delegates who had them
    can still be told. The others stay as they are. The preview returned lists as removed
    only the sessions that were cancelled."""
    if not may_edit(person, mission_id):
        return None
    preview = await preview_import(sessions, mission_id, imported, locale)
    now = clock.now()
    removed: list[tuple[str, str]] = []
    async with sessions.begin() as session:
        mission = await session.get(Mission, mission_id)
        if mission is None:
            return None
        items, venue_ids, venue_names = await _context(session, mission_id)
        for entry in imported:
            row = items.pop(entry.key, None)
            values = _values(entry, row, venue_ids, venue_names, locale)
            if row is None:
                session.add(
                    AgendaItem(
                        mission_id=mission_id,
                        key=entry.key,
                        updated_at=now,
                        local_timezone=None,
                        **values,
                    )
                )
            elif _differs(row, values):
                old_start = row.starts_at
                for name, value in values.items():
                    setattr(row, name, value)
                row.updated_at = now
                await reminders.agenda_changed(session, row)
                if row.starts_at != old_start:
                    await notices.session_moved(session, clock, row, old_start)
        for row in sorted(items.values(), key=lambda r: (r.starts_at, r.id)):
            if not row.cancelled and row.key in cancel:
                row.cancelled = True
                row.updated_at = now
                await notices.session_cancelled(session, clock, row)
                removed.append((row.title_fr, row.title_en))
        await bump_content(session, mission_id)
        _audit(
            session, clock, person, "agenda.import", mission_id,
            new=len(preview.new), changed=len(preview.changed), removed=len(removed),
        )  # fmt: skip
    keys = frozenset(k for k in preview.removed_keys if k in cancel)
    return replace(preview, removed=removed, removed_keys=keys)


async def staff_missions(
    sessions: async_sessionmaker[AsyncSession], person: Person
) -> list[tuple[int, str, str, str, str]]:
    """(id, key, timezone, name_fr, name_en) of the missions this person may edit."""
    async with sessions() as session:
        query = select(Mission).order_by(Mission.starts_on)
        if not person.is_admin:
            query = query.where(Mission.id.in_(person.coordinator_of))
        return [
            (m.id, m.key, m.timezone, m.name_fr, m.name_en) for m in await session.scalars(query)
        ]


async def venue_keys(sessions: async_sessionmaker[AsyncSession], mission_id: int) -> set[str]:
    async with sessions() as session:
        return set(await session.scalars(select(Venue.key).where(Venue.mission_id == mission_id)))
