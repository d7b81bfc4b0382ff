"""The personal agenda: which sessions a delegate sees, by day, now and next, and venues.

A session is shown to a delegate when its audience is everyone, a tag the delegate has, or
the delegate by name. Every lookup by id re-checks that the session belongs to a mission the
delegate is registered to and is visible to them: ids come from buttons, and buttons can be
forged.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.dates import MissionCalendar
from bot.services.people import MissionAccess, Person, with_access
from bot.services.registration import MissionInfo
from models import (
    AgendaItem,
    Audience,
    Delegate,
    FaqEntry,
    Mission,
    SessionKind,
    Venue,
    agenda_item_attendees,
)
from models import queries as q


@dataclass(frozen=True)
class VenueView:
    id: int
    key: str
    name: str
    address: str
    latitude: float | None
    longitude: float | None
    notes_fr: str
    notes_en: str

    def notes(self, locale: str) -> str:
        return self.notes_fr if locale == "fr" else self.notes_en

    @classmethod
    def of(cls, venue: Venue) -> VenueView:
        return cls(
            venue.id, venue.key, venue.name, venue.address, venue.latitude, venue.longitude,
            venue.notes_fr, venue.notes_en,
        )  # fmt: skip


@dataclass(frozen=True)
class SessionView:
    id: int
    mission_id: int
    key: str
    title_fr: str
    title_en: str
    description_fr: str
    description_en: str
    starts_at: datetime
    ends_at: datetime
    local_timezone: str | None
    room: str | None
    kind: SessionKind
    venue: VenueView | None
    updated_at: datetime

    def title(self, locale: str) -> str:
        return self.title_fr if locale == "fr" else self.title_en

    def description(self, locale: str) -> str:
        return self.description_fr if locale == "fr" else self.description_en

    @classmethod
    def of(cls, item: AgendaItem, venue: Venue | None) -> SessionView:
        return cls(
            item.id, item.mission_id, item.key, item.title_fr, item.title_en,
            item.description_fr, item.description_en, item.starts_at, item.ends_at,
            item.local_timezone, item.room, item.kind, VenueView.of(venue) if venue else None,
            item.updated_at,
        )  # fmt: skip


Version = tuple[int, datetime]


@dataclass(frozen=True)
class Viewer:
    """A delegate looking at one mission: what decides which sessions they see."""

    delegate_id: int
    mission: MissionInfo
    calendar: MissionCalendar
    tags: frozenset[str]
    home_timezone: str | None
    content_version: int
    mission_created_at: datetime
    # Staff of the mission see every session, whatever its audience.
    staff: bool = False
    # How many missions this person may look at (more than one: offer to switch).
    missions: int = 1

    @property
    def timezone(self) -> str:
        return self.calendar.timezone

    @property
    def version(self) -> Version:
        """The mission's content as this viewer saw it: (content version, created at)."""
        return self.content_version, self.mission_created_at


@dataclass(frozen=True)
class MissionChoice:
    """Several missions and none chosen yet: the delegate must pick one."""

    missions: list[MissionInfo]


def _viewer_of(who: Person, access: MissionAccess, missions: int) -> Viewer:
    mission = access.mission
    return Viewer(
        delegate_id=who.delegate_id,
        mission=mission,
        calendar=MissionCalendar(mission.timezone, access.starts_on, access.ends_on),
        tags=access.tags,
        staff=access.staff,
        home_timezone=who.home_timezone,
        content_version=access.content_version,
        mission_created_at=access.created_at,
        missions=missions,
    )


async def _access(
    sessions: async_sessionmaker[AsyncSession], who: Person
) -> tuple[Person, tuple[MissionAccess, ...]]:
    """The missions this person may look at: as read with them at the start of the update,
    or from the database for a Person built without them."""
    if who.access is None:
        who = await with_access(sessions, who)
    return who, who.access or ()


async def viewer(
    sessions: async_sessionmaker[AsyncSession], who: Person, mission_id: int | None = None
) -> Viewer | MissionChoice | None:
    """The mission this person is looking at: the one given, the one remembered, or the
    only one. Delegates see missions they are registered to; staff also the missions they
    run. None: nothing to see."""
    who, missions = await _access(sessions, who)
    if not missions:
        return None
    wanted = mission_id or who.current_mission_id
    for access in missions:
        if access.mission.id == wanted or (len(missions) == 1 and mission_id is None):
            return _viewer_of(who, access, len(missions))
    if mission_id is not None:  # a mission they are not in: forged or outdated
        return None
    return MissionChoice([a.mission for a in missions])


async def missions_of(sessions: async_sessionmaker[AsyncSession], who: Person) -> MissionChoice:
    """Every mission this person may look at, to switch between them."""
    async with sessions.begin() as session:
        delegate = await session.get(Delegate, who.delegate_id)
        if delegate is not None:
            delegate.current_mission_id = None  # forget the choice until a new one is made
    _who, missions = await _access(sessions, who)
    return MissionChoice([a.mission for a in missions] if len(missions) > 1 else [])


async def remember_mission(
    sessions: async_sessionmaker[AsyncSession], who: Person, mission_id: int
) -> Viewer | None:
    """Remember the mission the person picked, if they may see it."""
    found = await viewer(sessions, who, mission_id)
    if not isinstance(found, Viewer):
        return None
    async with sessions.begin() as session:
        delegate = await session.get(Delegate, who.delegate_id)
        if delegate is not None:
            delegate.current_mission_id = mission_id
    return found


def _visible(item: AgendaItem, viewer: Viewer, named: set[int]) -> bool:
    if item.cancelled:
        return False
    return _audience_admits(
        item.audience, frozenset(item.audience_tags or ()), item.id, viewer, named
    )


def _audience_admits(
    audience: Audience, tags: frozenset[str], item_id: int, viewer: Viewer, named: set[int]
) -> bool:
    if audience == Audience.EVERYONE or viewer.staff:
        return True
    if audience == Audience.TAGGED:
        return bool(viewer.tags & tags)
    return item_id in named


@dataclass(frozen=True)
class _Entry:
    view: SessionView
    audience: Audience
    tags: frozenset[str]


@dataclass(frozen=True)
class _Content:
    """A mission's sessions (not cancelled, in order) as read at one content version."""

    entries: list[_Entry]
    by_id: dict[int, _Entry]
    # Some session names its audience: only then is a delegate's list of names read.
    names_people: bool
    # Start instants of `entries`, in order, and the longest session: a window of time is
    # found by bisection rather than by reading the whole agenda.
    starts: list[datetime]
    longest: timedelta
    # The mission's venues (by name) and FAQ entries (in order), for cards and answers.
    venues: dict[int, VenueView]
    faqs: dict[int, FaqView]

    def between(self, start: datetime | None, end: datetime | None) -> Iterator[_Entry]:
        """Entries that overlap [start, end) (either bound open when None), by start."""
        low = 0 if start is None else bisect_left(self.starts, start - self.longest)
        high = len(self.entries) if end is None else bisect_left(self.starts, end)
        for index in range(low, high):
            entry = self.entries[index]
            if start is None or entry.view.ends_at > start:
                yield entry


# Every change to sessions, venues or FAQ bumps Mission.content_version, so a stale list is
# never used, in this process or in another one sharing the database. The version comes
# with the viewer (read with the person at the start of the update): a hit costs no query.
# Each list is kept under the version it was read at; a change committed by this process
# drops it at once, so a viewer read before that change (same update) gets the new list.
_AGENDAS: dict[int, tuple[Version, _Content]] = {}


def clear_caches() -> None:
    """Forget every cached agenda (tests that wipe the database under a running bot)."""
    _AGENDAS.clear()


# How many content changes this process has committed, by mission. A cache read that began
# before one of them is not kept: it may hold what the change replaced, under a version
# that the editor's own (earlier) viewer would take for current.
_CHANGES: dict[int, int] = {}


def changes_of(mission_id: int) -> int:
    return _CHANGES.get(mission_id, 0)


def _changed(mission_id: int) -> None:
    _CHANGES[mission_id] = changes_of(mission_id) + 1
    _AGENDAS.pop(mission_id, None)


q.CONTENT_LISTENERS.append(_changed)


def current(cached: Version, wanted: Version) -> bool:
    """Whether content read at `cached` serves a viewer who saw the mission at `wanted`."""
    return cached[1] == wanted[1] and cached[0] >= wanted[0]


_BUILDING: dict[tuple[str, int], asyncio.Lock] = {}


def building(kind: str, mission_id: int) -> asyncio.Lock:
    """Held while one update reads a mission's content into a cache: the others that need
    it meanwhile (updates run concurrently) wait for that reading instead of repeating it."""
    return _BUILDING.setdefault((kind, mission_id), asyncio.Lock())


async def _content(sessions: async_sessionmaker[AsyncSession], viewer: Viewer) -> _Content:
    cached = _AGENDAS.get(viewer.mission.id)
    if cached is not None and current(cached[0], viewer.version):
        return cached[1]
    async with building("agenda", viewer.mission.id):
        cached = _AGENDAS.get(viewer.mission.id)
        if cached is not None and current(cached[0], viewer.version):
            return cached[1]  # read meanwhile by another update
        return await _read_content(sessions, viewer)


async def _read_content(sessions: async_sessionmaker[AsyncSession], viewer: Viewer) -> _Content:
    changes = changes_of(viewer.mission.id)
    async with sessions() as session:
        mission = await session.get(Mission, viewer.mission.id)
        rows = (
            await session.execute(
                select(AgendaItem, Venue)
                .outerjoin(Venue, AgendaItem.venue_id == Venue.id)
                .where(AgendaItem.mission_id == viewer.mission.id, AgendaItem.cancelled.is_(False))
                .order_by(AgendaItem.starts_at, AgendaItem.id)
            )
        ).all()
        places = await session.scalars(select(Venue).where(Venue.mission_id == viewer.mission.id))
        faqs = await session.scalars(
            select(FaqEntry).where(FaqEntry.mission_id == viewer.mission.id).order_by(FaqEntry.id)
        )
        venues = sorted((VenueView.of(v) for v in places), key=lambda v: v.name.casefold())
        entries_faq = [FaqView.of(e) for e in faqs]
    entries = [
        _Entry(SessionView.of(item, venue), item.audience, frozenset(item.audience_tags or ()))
        for item, venue in rows
    ]
    content = _Content(
        entries,
        {e.view.id: e for e in entries},
        any(e.audience == Audience.NAMED for e in entries),
        [e.view.starts_at for e in entries],
        max([timedelta(0)] + [e.view.ends_at - e.view.starts_at for e in entries]),
        {v.id: v for v in venues},
        {f.id: f for f in entries_faq},
    )
    if mission is not None and changes_of(viewer.mission.id) == changes:
        _AGENDAS[viewer.mission.id] = ((mission.content_version, mission.created_at), content)
    return content


async def _named_items(session: AsyncSession, delegate_id: int) -> set[int]:
    rows = await session.scalars(
        select(agenda_item_attendees.c.agenda_item_id).where(
            agenda_item_attendees.c.delegate_id == delegate_id
        )
    )
    return set(rows)


async def named_items(
    sessions: async_sessionmaker[AsyncSession], viewer: Viewer, content: _Content | None = None
) -> set[int]:
    """The sessions that name this delegate (B2B meetings); no query when none could."""
    content = content or await _content(sessions, viewer)
    if viewer.staff or not content.names_people:
        return set()
    async with sessions() as session:
        return await _named_items(session, viewer.delegate_id)


async def _sessions_between(
    sessions: async_sessionmaker[AsyncSession],
    viewer: Viewer,
    start: datetime | None,
    end: datetime | None,
) -> Iterator[SessionView]:
    """The viewer's sessions overlapping [start, end), by start, read as they are taken
    (what comes next is the first few of them, not the rest of the mission)."""
    content = await _content(sessions, viewer)
    named = await named_items(sessions, viewer, content)
    return (
        e.view
        for e in content.between(start, end)
        if _audience_admits(e.audience, e.tags, e.view.id, viewer, named)
    )


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC instants where a local day starts and ends (23 or 25 hours across DST).

    Callers keep `day` within the mission (buttons can carry any date)."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start, end


async def day_sessions(
    sessions: async_sessionmaker[AsyncSession], viewer: Viewer, day: date
) -> list[SessionView]:
    """Sessions that start on this local day of the mission."""
    start, end = day_bounds(day, viewer.timezone)
    found = await _sessions_between(sessions, viewer, start, end)
    return [s for s in found if start <= s.starts_at < end]


async def all_sessions(
    sessions: async_sessionmaker[AsyncSession], viewer: Viewer
) -> list[SessionView]:
    return list(await _sessions_between(sessions, viewer, None, None))


@dataclass(frozen=True)
class NowAndNext:
    current: list[SessionView]
    upcoming: list[SessionView]


async def now_and_next(
    sessions: async_sessionmaker[AsyncSession], viewer: Viewer, now: datetime, limit: int = 3
) -> NowAndNext:
    current: list[SessionView] = []
    upcoming: list[SessionView] = []
    for found in await _sessions_between(sessions, viewer, now, None):
        if found.starts_at <= now:
            current.append(found)  # in progress: these come first, sorted by start
        elif len(upcoming) < limit or found.starts_at == upcoming[0].starts_at:
            upcoming.append(found)
        else:
            break
    if upcoming:
        # Parallel sessions starting together are all "next", even past the limit.
        first = upcoming[0].starts_at
        together = [s for s in upcoming if s.starts_at == first]
        later = [s for s in upcoming if s.starts_at != first]
        upcoming = together + later[: max(0, limit - len(together))]
    return NowAndNext(current, upcoming)


async def session_for(
    sessions: async_sessionmaker[AsyncSession], who: Person, item_id: int
) -> tuple[Viewer, SessionView] | None:
    """One session, only if this delegate may see it."""
    current = await viewer(sessions, who)
    if isinstance(current, Viewer):
        # Most cards open from the mission the person is looking at: read from its agenda.
        content = await _content(sessions, current)
        entry = content.by_id.get(item_id)
        if entry is not None:
            named = await named_items(sessions, current, content)
            if _audience_admits(entry.audience, entry.tags, item_id, current, named):
                return current, entry.view
            return None
    async with sessions() as session:
        found = (
            await session.execute(
                select(AgendaItem, Venue)
                .outerjoin(Venue, AgendaItem.venue_id == Venue.id)
                .where(AgendaItem.id == item_id)
            )
        ).first()
    if found is None:
        return None
    item, venue = found
    seen = await viewer(sessions, who, item.mission_id)
    if not isinstance(seen, Viewer) or not _visible(item, seen, await named_items(sessions, seen)):
        return None
    return seen, SessionView.of(item, venue)


async def venues(sessions: async_sessionmaker[AsyncSession], viewer: Viewer) -> list[VenueView]:
    return list((await _content(sessions, viewer)).venues.values())


async def venue_for(
    sessions: async_sessionmaker[AsyncSession], who: Person, venue_id: int
) -> tuple[Viewer, VenueView] | None:
    """A venue, only from a mission this person may look at."""
    current = await viewer(sessions, who)
    if isinstance(current, Viewer):
        found = (await _content(sessions, current)).venues.get(venue_id)
        if found is not None:
            return current, found
    async with sessions() as session:
        venue = await session.get(Venue, venue_id)
        if venue is None:
            return None
        view, mission_id = VenueView.of(venue), venue.mission_id
    seen = await viewer(sessions, who, mission_id)
    if not isinstance(seen, Viewer):
        return None
    return seen, view


async def next_at_venue(
    sessions: async_sessionmaker[AsyncSession], viewer: Viewer, venue_id: int, now: datetime
) -> SessionView | None:
    """What happens at this venue now or next: a session in progress, else the next one."""
    found = await _sessions_between(sessions, viewer, now, None)
    return next((s for s in found if s.venue and s.venue.id == venue_id), None)


async def set_home_timezone(
    sessions: async_sessionmaker[AsyncSession], delegate_id: int, timezone: str | None
) -> None:
    async with sessions.begin() as session:
        delegate = await session.get(Delegate, delegate_id)
        if delegate is not None:
            delegate.home_timezone = timezone


@dataclass(frozen=True)
class FaqView:
    id: int
    question_fr: str
    question_en: str
    answer_fr: str
    answer_en: str

    def question(self, locale: str) -> str:
        return self.question_fr if locale == "fr" else self.question_en

    def answer(self, locale: str) -> str:
        return self.answer_fr if locale == "fr" else self.answer_en

    @classmethod
    def of(cls, entry: FaqEntry) -> FaqView:
        return cls(entry.id, entry.question_fr, entry.question_en, entry.answer_fr, entry.answer_en)


async def faq_for(
    sessions: async_sessionmaker[AsyncSession], who: Person, faq_id: int
) -> FaqView | None:
    """One FAQ entry, only from a mission the delegate is registered to."""
    current = await viewer(sessions, who)
    if isinstance(current, Viewer):
        found = (await _content(sessions, current)).faqs.get(faq_id)
        if found is not None:
            return found
    async with sessions() as session:
        entry = await session.get(FaqEntry, faq_id)
        if entry is None:
            return None
        view, mission_id = FaqView.of(entry), entry.mission_id
    seen = await viewer(sessions, who, mission_id)
    return view if isinstance(seen, Viewer) else None


async def faq_entries(sessions: async_sessionmaker[AsyncSession], viewer: Viewer) -> list[FaqView]:
    return list((await _content(sessions, viewer)).faqs.values())
