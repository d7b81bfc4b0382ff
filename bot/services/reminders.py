"""Reminders before sessions, daily briefings and travel reminders, derived from the database
every time (agenda x registrations x settings), never from in-memory jobs.

`enqueue_due` runs every few seconds. For each message due soon it writes one outbox row,
rendered in the delegate's language, under a unique key (kind, delegate, subject, due
instant), so a message is queued once however often this runs, restarts, or runs in two
processes at once (the insert skips a key that exists). What was missed while the bot was
down is still sent if it is still useful (a reminder: the session has not started and it is
at most `grace` late); otherwise it is skipped and counted in the log. A queued message that
is no longer right (the session moved or was cancelled, the delegate changed settings or
left) is cancelled before it goes out.

- **Session reminders**: `lead` minutes before each session of the delegate's personal
  agenda (the delegate's choice, else the mission's default). Never held by quiet hours.
- **Daily briefing**: at the mission's briefing time on each mission day, that day's
  personal agenda. When all of a day's sessions are in another zone (the departure day, at
  home), the briefing follows that zone.
- **Travel reminders**: at 18:00 the day before the trip out and the trip back (check-in,
  passport, hotel), in the zone where that trip starts.

Briefings and travel reminders due within the mission's quiet hours wait for their end;
schedule-change notices do too (`bot.services.notices`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import views
from bot.clock import Clock
from bot.i18n import format_clock, pick_locale, render, use_locale, zone_city
from bot.services.agenda import SessionView, Viewer
from bot.services.dates import MissionCalendar, local_instant
from bot.services.registration import MissionInfo
from models import (
    AgendaItem,
    Audience,
    Delegate,
    Mission,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    SessionKind,
    Venue,
    agenda_item_attendees,
)

log = logging.getLogger(__name__)

CHOICES = (15, 30, 60, 120, 0)  # minutes; 0 is off
LOOKAHEAD = timedelta(minutes=5)  # rows are written at most this long before they are due
GRACE = timedelta(minutes=20)  # default; REMINDER_GRACE_MINUTES sets it
BRIEFING_GRACE = timedelta(hours=2)
TRAVEL_GRACE = timedelta(hours=6)
TRAVEL_REMINDER_AT = time(18, 0)
KINDS = ("reminder", "briefing", "travel")


@dataclass(frozen=True)
class Due:
    key: str
    kind: str
    chat_id: int
    delegate_id: int
    release: datetime
    # Rendered only when the row is new: most passes find every key already queued.
    render: Callable[[], str]


@dataclass(frozen=True, slots=True)
class _Person:
    """What a pass needs of a confirmed delegate (plain values: thousands are read)."""

    delegate_id: int
    telegram_id: int
    locale: str
    home_timezone: str | None
    lead: int | None  # None follows the mission
    briefing: bool
    tags: tuple[str, ...]
    hotel: str | None


def _minutes_to_time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def hold_for_quiet_hours(
    instant: datetime, timezone: str, start_minute: int | None, end_minute: int | None
) -> datetime:
    """`instant` if it is outside the quiet hours (local wall times, possibly across
    midnight), else the instant they end."""
    if start_minute is None or end_minute is None or start_minute == end_minute:
        return instant
    local = instant.astimezone(ZoneInfo(timezone))
    minute = local.hour * 60 + local.minute
    if start_minute < end_minute:
        quiet = start_minute <= minute < end_minute
        day = local.date()
    else:  # across midnight, e.g. 22:00-07:00
        quiet = minute >= start_minute or minute < end_minute
        day = local.date() + timedelta(days=1) if minute >= start_minute else local.date()
    if not quiet:
        return instant
    wall = _minutes_to_time(end_minute)
    release = local_instant(day, wall, timezone)
    if release is None:  # the end falls in a DST gap: the first instant after it
        release = datetime.combine(day, wall, ZoneInfo(timezone)).astimezone(UTC)
    return max(instant, release)


def mission_hold(mission: Mission, instant: datetime, timezone: str | None = None) -> datetime:
    return hold_for_quiet_hours(
        instant,
        timezone or mission.timezone,
        mission.quiet_start_minute,
        mission.quiet_end_minute,
    )


def admits(item: AgendaItem, tags: Iterable[str], named: bool) -> bool:
    """Whether `item` is in a delegate's personal agenda, given their tags and whether the
    session names them."""
    if item.audience == Audience.TAGGED:
        return bool(set(item.audience_tags or ()) & set(tags))
    if item.audience == Audience.NAMED:
        return named
    return True


def _when(moment: datetime, zone: str, home: str | None, locale: str) -> str:
    """'20:00 (Toronto time)', with the home time beside it when the delegate set one."""
    text = render(
        "%(time)s (%(city)s time)",
        locale,
        time=format_clock(moment, zone, locale),
        city=zone_city(zone, locale),
    )
    if home and home != zone:
        text += " · " + render(
            "%(time)s in %(city)s",
            locale,
            time=format_clock(moment, home, locale),
            city=zone_city(home, locale),
        )
    return text


def _place(item: AgendaItem, venue: Venue | None, locale: str) -> str | None:
    if venue is None:
        return None
    place = venue.name + (f" · {item.room}" if item.room else "")
    return render("📍 %(place)s", locale, place=place)


def _reminder_text(
    item: AgendaItem, mission: Mission, venue: Venue | None, lead: int, person: _Person
) -> str:
    locale = person.locale
    lines = [
        render(
            "⏰ In %(minutes)s minutes: <b>%(title)s</b>",
            locale,
            minutes=lead,
            title=item.title_fr if locale == "fr" else item.title_en,
        ),
        _when(
            item.starts_at,
            item.local_timezone or mission.timezone,
            person.home_timezone,
            locale,
        ),
    ]
    place = _place(item, venue, locale)
    if place:
        lines.append(place)
    return "\n".join(lines)


class _Snapshot:
    """What one pass reads: the missions running around now, their people and sessions."""

    def __init__(self) -> None:
        self.missions: dict[int, Mission] = {}
        self.people: dict[int, list[_Person]] = {}
        self.named: dict[int, set[int]] = {}  # delegate id -> ids of items naming them
        self.items: dict[int, list[tuple[AgendaItem, Venue | None]]] = {}
        self.venues: dict[int, list[Venue]] = {}

    def named_for(self, delegate_id: int) -> set[int]:
        return self.named.get(delegate_id, set())


async def _load_people(session: AsyncSession, snapshot: _Snapshot) -> None:
    ids = list(snapshot.missions)
    rows = await session.execute(
        select(
            Registration.mission_id,
            Registration.tags,
            Registration.hotel,
            Delegate.id,
            Delegate.telegram_id,
            Delegate.language,
            Delegate.telegram_language,
            Delegate.home_timezone,
            Delegate.reminder_minutes,
            Delegate.briefing,
        )
        .join(Delegate, Registration.delegate_id == Delegate.id)
        .where(
            Registration.mission_id.in_(ids),
            Registration.status == RegistrationStatus.CONFIRMED,
            Delegate.unreachable.is_(False),
        )
        .order_by(Registration.id)
    )
    for (
        mission_id,
        tags,
        hotel,
        d_id,
        telegram_id,
        language,
        tg_language,
        home,
        lead,
        brief,
    ) in rows:
        snapshot.people.setdefault(mission_id, []).append(
            _Person(
                d_id,
                telegram_id,
                language or pick_locale(tg_language),
                home,
                lead,
                brief,
                tuple(tags or ()),
                hotel,
            )
        )
    named_rows = await session.execute(
        select(agenda_item_attendees.c.delegate_id, agenda_item_attendees.c.agenda_item_id)
        .join(AgendaItem, AgendaItem.id == agenda_item_attendees.c.agenda_item_id)
        .where(AgendaItem.mission_id.in_(ids))
    )
    for delegate_id, item_id in named_rows:
        snapshot.named.setdefault(delegate_id, set()).add(item_id)


async def _items(
    session: AsyncSession, *conditions: ColumnElement[bool]
) -> list[tuple[AgendaItem, Venue | None]]:
    """Sessions not cancelled, with their venue, in start order."""
    rows = await session.execute(
        select(AgendaItem, Venue)
        .outerjoin(Venue, AgendaItem.venue_id == Venue.id)
        .where(AgendaItem.cancelled.is_(False), *conditions)
        .order_by(AgendaItem.starts_at, AgendaItem.id)
    )
    return [(row[0], row[1]) for row in rows]


# ------------------------------------------------------------------ session reminders


def _session_reminders(
    snapshot: _Snapshot,
    window: Sequence[tuple[AgendaItem, Venue | None]],
    now: datetime,
    grace: timedelta,
) -> tuple[list[Due], list[str]]:
    due_list: list[Due] = []
    missed: list[str] = []
    for item, venue in window:
        mission = snapshot.missions[item.mission_id]
        for person in snapshot.people.get(item.mission_id, []):
            named = item.id in snapshot.named_for(person.delegate_id)
            if not admits(item, person.tags, named):
                continue
            lead = mission.reminder_minutes if person.lead is None else person.lead
            if not lead:
                continue
            due = item.starts_at - timedelta(minutes=lead)
            if due > now + LOOKAHEAD:
                continue
            key = f"reminder:{person.delegate_id}:{item.id}:{due:%Y%m%dT%H%M%SZ}"
            if due < now - grace or item.starts_at <= now:
                missed.append(key)
                continue
            due_list.append(
                Due(
                    key,
                    "reminder",
                    person.telegram_id,
                    person.delegate_id,
                    max(due, now),
                    partial(_reminder_text, item, mission, venue, lead, person),
                )
            )
    return due_list, missed


# ------------------------------------------------------------------ daily briefings


def _briefing_zone(mission: Mission, items: Sequence[SessionView]) -> str:
    zones = {item.local_timezone or mission.timezone for item in items}
    if len(zones) == 1:
        (zone,) = zones
        return zone
    return mission.timezone


def _briefing_release(mission: Mission, day: date, zone: str) -> datetime | None:
    assert mission.briefing_minute is not None
    wall = _minutes_to_time(mission.briefing_minute)
    instant = local_instant(day, wall, zone)
    if instant is None:
        instant = datetime.combine(day, wall, ZoneInfo(zone)).astimezone(UTC)
    return mission_hold(mission, instant, zone)


def _briefing_text(mission: Mission, person: _Person, day: date, items: list[SessionView]) -> str:
    viewer = Viewer(
        delegate_id=person.delegate_id,
        mission=MissionInfo.of(mission),
        calendar=MissionCalendar(mission.timezone, mission.starts_on, mission.ends_on),
        tags=frozenset(person.tags),
        home_timezone=person.home_timezone,
        content_version=mission.content_version,
        mission_created_at=mission.created_at,
    )
    with use_locale(person.locale):
        greeting = render("☀️ <b>Good morning!</b> Your day:")
        return greeting + "\n\n" + views.agenda_day(viewer, day, items)


def _mission_days(mission: Mission, now: datetime) -> list[date]:
    today = now.astimezone(ZoneInfo(mission.timezone)).date()
    days = [today + timedelta(days=offset) for offset in (-1, 0, 1)]
    return [d for d in days if mission.starts_on <= d <= mission.ends_on]


@dataclass(frozen=True)
class _BriefingDay:
    mission: Mission
    day: date
    items: list[tuple[AgendaItem, Venue | None]]


def _briefing_days(snapshot: _Snapshot, now: datetime) -> list[_BriefingDay]:
    """Mission days whose briefing may be due now, in the mission's zone or in the zone of
    one of the day's sessions (the usual answer is none, and nobody is read)."""
    found = []
    for mission in snapshot.missions.values():
        if mission.briefing_minute is None:
            continue
        zone = ZoneInfo(mission.timezone)
        for day in _mission_days(mission, now):
            start = datetime.combine(day, time(0), zone).astimezone(UTC)
            end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
            items = [
                (item, venue)
                for item, venue in snapshot.items.get(mission.id, [])
                if item.ends_at > start and item.starts_at < end
            ]
            zones = {mission.timezone} | {i.local_timezone for i, _v in items if i.local_timezone}
            if any(
                now - BRIEFING_GRACE <= r <= now + LOOKAHEAD
                for r in (_briefing_release(mission, day, z) for z in zones)
                if r is not None
            ):
                found.append(_BriefingDay(mission, day, items))
    return found


def _briefings(snapshot: _Snapshot, days: list[_BriefingDay], now: datetime) -> list[Due]:
    due_list: list[Due] = []
    for found in days:
        mission, day = found.mission, found.day
        for person in snapshot.people.get(mission.id, []):
            if not person.briefing:
                continue
            named = snapshot.named_for(person.delegate_id)
            mine = [
                SessionView.of(item, venue)
                for item, venue in found.items
                if admits(item, person.tags, item.id in named)
            ]
            release = _briefing_release(mission, day, _briefing_zone(mission, mine))
            if release is not None:  # what is over by then (last night's dinner) is noise
                mine = [view for view in mine if view.ends_at > release]
            if release is None or not now - BRIEFING_GRACE <= release <= now + LOOKAHEAD:
                continue
            due_list.append(
                Due(
                    f"briefing:{person.delegate_id}:{mission.id}:{day:%Y%m%d}",
                    "briefing",
                    person.telegram_id,
                    person.delegate_id,
                    max(release, now),
                    partial(_briefing_text, mission, person, day, mine),
                )
            )
    return due_list


# ------------------------------------------------------------------ travel reminders


def travel_items(
    mission: Mission, items: Sequence[tuple[AgendaItem, Venue | None]]
) -> list[tuple[str, AgendaItem, Venue | None]]:
    """The trip out and the trip back: the sessions the mission names, or else the first
    transport session of the first day and the last one of the last day (each in its own
    zone: a flight from home is on the departure day at home)."""

    def local_day(item: AgendaItem) -> date:
        return item.starts_at.astimezone(ZoneInfo(item.local_timezone or mission.timezone)).date()

    by_key = {item.key: (item, venue) for item, venue in items}
    transport = [(i, v) for i, v in items if i.kind == SessionKind.TRANSPORT]
    found: list[tuple[str, AgendaItem, Venue | None]] = []
    for which, key, day, pick in (
        ("out", mission.travel_outbound_key, mission.starts_on, 0),
        ("back", mission.travel_return_key, mission.ends_on, -1),
    ):
        if key:
            chosen = by_key.get(key)
        else:
            on_day = [(i, v) for i, v in transport if local_day(i) == day]
            chosen = on_day[pick] if on_day else None
        if chosen is not None:
            found.append((which, chosen[0], chosen[1]))
    if len(found) == 2 and found[0][1].id == found[1][1].id:
        found.pop()  # one transport session only: it is the trip out
    return found


def _hotel(mission: Mission, person: _Person, venues: list[Venue]) -> str | None:
    if person.hotel:
        return person.hotel
    wanted = mission.hotel_venue_key or "hotel"
    for venue in venues:
        if venue.key == wanted:
            return f"{venue.name}, {venue.address}"
    return None


def _travel_text(
    which: str,
    item: AgendaItem,
    venue: Venue | None,
    mission: Mission,
    person: _Person,
    hotel: str | None,
) -> str:
    locale = person.locale
    zone = item.local_timezone or mission.timezone
    lines = [
        render(
            "✈️ <b>Tomorrow: %(title)s</b>",
            locale,
            title=item.title_fr if locale == "fr" else item.title_en,
        ),
        _when(item.starts_at, zone, person.home_timezone, locale),
    ]
    place = _place(item, venue, locale)
    if place:
        lines.append(place)
    lines += ["", render("Before you go:", locale)]
    if which == "back":
        lines.append(render("• check out of the hotel and settle your extras", locale))
    lines += [
        render("• check in online (it usually opens 24 hours before)", locale),
        render("• passport and travel documents", locale),
    ]
    if which == "out" and hotel:
        lines.append(render("• your hotel: %(hotel)s", locale, hotel=hotel))
    return "\n".join(lines)


@dataclass(frozen=True)
class _Trip:
    which: str  # "out" or "back"
    mission: Mission
    item: AgendaItem
    venue: Venue | None
    release: datetime


def _trips(snapshot: _Snapshot, now: datetime) -> list[_Trip]:
    """Trips whose reminder (18:00 the day before, where the trip starts) is due now."""
    found = []
    for mission in snapshot.missions.values():
        for which, item, venue in travel_items(mission, snapshot.items.get(mission.id, [])):
            zone = item.local_timezone or mission.timezone
            day = item.starts_at.astimezone(ZoneInfo(zone)).date() - timedelta(days=1)
            wall = local_instant(day, TRAVEL_REMINDER_AT, zone)
            if wall is None:
                continue
            release = mission_hold(mission, wall, zone)
            if now - TRAVEL_GRACE <= release <= now + LOOKAHEAD and release < item.starts_at:
                found.append(_Trip(which, mission, item, venue, release))
    return found


def _travel(snapshot: _Snapshot, trips: list[_Trip], now: datetime) -> list[Due]:
    due_list: list[Due] = []
    for trip in trips:
        mission, item = trip.mission, trip.item
        for person in snapshot.people.get(mission.id, []):
            named = item.id in snapshot.named_for(person.delegate_id)
            if not admits(item, person.tags, named):
                continue
            lead = mission.reminder_minutes if person.lead is None else person.lead
            if lead == 0:  # reminders off
                continue
            hotel = _hotel(mission, person, snapshot.venues.get(mission.id, []))
            due_list.append(
                Due(
                    f"travel:{person.delegate_id}:{item.id}:{trip.release:%Y%m%dT%H%M%SZ}",
                    "travel",
                    person.telegram_id,
                    person.delegate_id,
                    max(trip.release, now),
                    partial(
                        _travel_text, trip.which, trip.item, trip.venue, mission, person, hotel
                    ),
                )
            )
    return due_list


# ------------------------------------------------------------------ the pass


async def _snapshot(
    session: AsyncSession, now: datetime, grace: timedelta
) -> tuple[_Snapshot, list[tuple[AgendaItem, Venue | None]]]:
    """Missions around now (from two days before to one day after, which covers travel
    reminders and briefings in any zone), the sessions in the reminder window, and, only
    if something may be due, the people."""
    snapshot = _Snapshot()
    today = now.date()
    missions = await session.scalars(
        select(Mission).where(
            Mission.starts_on <= today + timedelta(days=3),
            Mission.ends_on >= today - timedelta(days=1),
        )
    )
    snapshot.missions = {m.id: m for m in missions}
    longest = max([*CHOICES, *(m.reminder_minutes for m in snapshot.missions.values())], default=0)
    window = await _items(
        session,
        AgendaItem.starts_at > now - grace,
        AgendaItem.starts_at <= now + LOOKAHEAD + timedelta(minutes=longest),
    )
    # Sessions of other missions (far from their dates) cannot be due.
    for item, _venue in window:
        if item.mission_id not in snapshot.missions:
            mission = await session.get(Mission, item.mission_id)
            assert mission is not None
            snapshot.missions[mission.id] = mission
    if snapshot.missions:
        for item, venue in await _items(
            session, AgendaItem.mission_id.in_(list(snapshot.missions))
        ):
            snapshot.items.setdefault(item.mission_id, []).append((item, venue))
    return snapshot, window


_reported: dict[str, datetime] = {}


def _report_missed(keys: list[str], now: datetime) -> None:
    """Log each missed reminder once (passes repeat every few seconds)."""
    for key, at in list(_reported.items()):
        if at < now - timedelta(days=1):
            del _reported[key]
    fresh = [k for k in keys if k not in _reported]
    for key in fresh:
        _reported[key] = now
    if fresh:
        log.info(
            "skipped %d reminder(s) no longer useful (session started or too late)", len(fresh)
        )


def _insert_new(session: AsyncSession, rows: list[dict[str, Any]]) -> Any:
    """INSERT ... ON CONFLICT (dedupe_key) DO NOTHING: a key another process has just
    written is skipped, not an error."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(OutboxMessage).on_conflict_do_nothing(index_elements=["dedupe_key"])
    return session.execute(statement, rows)  # executemany: one cached statement


async def enqueue_due(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, grace: timedelta = GRACE
) -> int:
    """Queue the reminders, briefings and travel reminders now due (or due within
    LOOKAHEAD); cancel those no longer right. Returns how many were queued."""
    now = clock.now()
    async with sessions.begin() as session:
        snapshot, window = await _snapshot(session, now, grace)
        expected: list[Due] = []
        missed: list[str] = []
        days = _briefing_days(snapshot, now)
        trips = _trips(snapshot, now)
        if window or days or trips:  # else nothing can be due: the people are not read
            await _load_people(session, snapshot)
            expected, missed = _session_reminders(snapshot, window, now, grace)
            expected += _briefings(snapshot, days, now)
            if trips:  # the hotel named in a travel reminder
                mission_ids = list({trip.mission.id for trip in trips})
                for venue in await session.scalars(
                    select(Venue).where(Venue.mission_id.in_(mission_ids))
                ):
                    snapshot.venues.setdefault(venue.mission_id, []).append(venue)
            expected += _travel(snapshot, trips, now)
        keys = {d.key for d in expected}
        pending = (
            await session.execute(
                select(OutboxMessage.id, OutboxMessage.dedupe_key).where(
                    OutboxMessage.kind.in_(KINDS),
                    OutboxMessage.status == OutboxStatus.QUEUED,
                )
            )
        ).all()
        stale = [row_id for row_id, key in pending if key not in keys]
        if stale:  # the session moved or was cancelled, or the delegate changed settings
            await _cancel(session, OutboxMessage.id.in_(stale))
        existing: set[str] = set()
        ordered = sorted(keys)
        for start in range(0, len(ordered), 500):  # bound the size of each IN (...)
            existing.update(
                k
                for k in await session.scalars(
                    select(OutboxMessage.dedupe_key).where(
                        OutboxMessage.dedupe_key.in_(ordered[start : start + 500])
                    )
                )
                if k is not None
            )
        fresh = [d for d in expected if d.key not in existing]
        for start in range(0, len(fresh), 500):  # rendered a chunk at a time
            rows = [
                {
                    "kind": d.kind,
                    "chat_id": d.chat_id,
                    "delegate_id": d.delegate_id,
                    "text": d.render(),
                    "status": OutboxStatus.QUEUED,
                    "attempts": 0,
                    "not_before": d.release,
                    "dedupe_key": d.key,
                    "created_at": now,
                }
                for d in fresh[start : start + 500]
            ]
            await _insert_new(session, rows)
    _report_missed(missed, now)
    return len(fresh)


async def _cancel(session: AsyncSession, condition: ColumnElement[bool]) -> None:
    """Cancel queued rows, freeing their keys: the same message may be due again (a session
    moved and moved back, a briefing to render anew)."""
    await session.execute(
        update(OutboxMessage)
        .where(condition, OutboxMessage.status == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.CANCELLED, dedupe_key=None)
        .execution_options(synchronize_session=False)
    )


async def agenda_changed(session: AsyncSession, item: AgendaItem) -> None:
    """A session moved, was cancelled or changed audience: its queued reminders and the
    mission's queued briefings are cancelled at once, in the caller's transaction; the next
    pass queues what is right now (with the agenda as it is)."""
    await _cancel(
        session,
        OutboxMessage.kind.in_(KINDS)
        & (
            OutboxMessage.dedupe_key.like(f"reminder:%:{item.id}:%")
            | OutboxMessage.dedupe_key.like(f"travel:%:{item.id}:%")
            | OutboxMessage.dedupe_key.like(f"briefing:%:{item.mission_id}:%")
        ),
    )


# ------------------------------------------------------------------ settings


@dataclass(frozen=True)
class Preferences:
    lead: int
    briefing: bool


async def set_lead(
    sessions: async_sessionmaker[AsyncSession], delegate_id: int, minutes: int
) -> bool:
    if minutes not in CHOICES:
        return False
    async with sessions.begin() as session:
        delegate = await session.get(Delegate, delegate_id)
        if delegate is None:
            return False
        delegate.reminder_minutes = minutes
        return True


async def set_briefing(
    sessions: async_sessionmaker[AsyncSession], delegate_id: int, on: bool
) -> bool:
    async with sessions.begin() as session:
        delegate = await session.get(Delegate, delegate_id)
        if delegate is None:
            return False
        delegate.briefing = on
        return True


async def preferences(sessions: async_sessionmaker[AsyncSession], delegate_id: int) -> Preferences:
    async with sessions() as session:
        delegate = await session.get(Delegate, delegate_id)
        if delegate is None:
            return Preferences(30, True)
        if delegate.reminder_minutes is not None:
            return Preferences(delegate.reminder_minutes, delegate.briefing)
        mission = (
            await session.get(Mission, delegate.current_mission_id)
            if delegate.current_mission_id
            else None
        )
        return Preferences(mission.reminder_minutes if mission else 30, delegate.briefing)
