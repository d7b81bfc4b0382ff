"""Who is talking: the delegate row behind a Telegram user, their locale and their roles."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.i18n import SUPPORTED_LOCALES, pick_locale
from bot.services.registration import MissionInfo
from models import AuditRecord, Delegate, Role, RoleGrant
from models import queries as q
from models.db import memo_of

# last_seen_at moves by at least this much, and is written with everyone else's seen in
# the same while (SeenTimes): reading the agenda stays read-only, and on SQLite what is kept
# from the database (SessionFactory.recall) is not dropped by each delegate's first message.
SEEN_RESOLUTION = timedelta(minutes=5)


class SeenTimes:
    """When people were last seen, not yet written: one statement for all of them, every
    SEEN_FLUSH seconds (a job) and at shutdown. A crash loses at most that much of it."""

    def __init__(self) -> None:
        self._pending: dict[int, datetime] = {}
        self._noted: dict[int, datetime] = {}

    def note(self, telegram_id: int, stored: datetime, now: datetime) -> None:
        last = max(stored, self._noted.get(telegram_id, stored))
        if now - last >= SEEN_RESOLUTION:
            if len(self._noted) >= 100_000:
                self._noted.clear()
            self._pending[telegram_id] = self._noted[telegram_id] = now

    def take(self) -> dict[int, datetime]:
        pending, self._pending = self._pending, {}
        return pending

    def put_back(self, pending: dict[int, datetime]) -> None:
        """A flush that failed: its times wait for the next one (the newer of each kept)."""
        for telegram_id, at in pending.items():
            self._pending[telegram_id] = max(at, self._pending.get(telegram_id, at))


_SEEN: weakref.WeakKeyDictionary[async_sessionmaker[AsyncSession], SeenTimes] = (
    weakref.WeakKeyDictionary()
)


def seen_times(sessions: async_sessionmaker[AsyncSession]) -> SeenTimes:
    """The last-seen times waiting to be written to this database."""
    return _SEEN.setdefault(sessions, SeenTimes())


async def flush_seen(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Write the last-seen times noted since the previous flush (one statement)."""
    seen = seen_times(sessions)
    pending = seen.take()
    if pending:
        try:
            async with sessions.begin() as session:
                await q.record_seen(session, pending)
        except BaseException:
            seen.put_back(pending)
            raise
    return len(pending)


@dataclass(frozen=True)
class MissionAccess:
    """One mission this person may look at, as read with the person: what a viewer of it
    needs, so that reading the agenda costs no further query."""

    mission: MissionInfo
    starts_on: date
    ends_on: date
    content_version: int
    created_at: datetime
    tags: frozenset[str]
    staff: bool


@dataclass(frozen=True)
class Person:
    """A snapshot of the delegate for one update (no live database object escapes a service).

    `access` is read in the same unit of work as the rest; it is None for a Person built
    without it (then the agenda reads it from the database)."""

    delegate_id: int
    telegram_id: int
    locale: str
    chosen_language: str | None
    is_admin: bool = False
    coordinator_of: frozenset[int] = field(default_factory=frozenset)
    current_mission_id: int | None = None
    home_timezone: str | None = None
    access: tuple[MissionAccess, ...] | None = None

    @property
    def role(self) -> Role | None:
        if self.is_admin:
            return Role.ADMIN
        if self.coordinator_of:
            return Role.COORDINATOR
        return None


async def identify(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    telegram_id: int,
    language_code: str | None,
) -> Person:
    """Find or create the delegate for this Telegram user and tell who they are.

    Most updates only read: one query (the person, their roles and the missions they may
    look at), none while nothing was committed (see SessionFactory.recall). A write happens
    for a new person, a changed Telegram language, or one marked unreachable; the last-seen
    time is written later, with everyone else's (SeenTimes).
    """
    now = clock.now()
    memo = memo_of(sessions)
    # The locale falls back on the Telegram language of this update: part of the key.
    key = ("person", telegram_id, language_code)
    known = memo.recall(key) if memo else None
    if isinstance(known, _Known) and known.person and known.serves(language_code):
        seen_times(sessions).note(telegram_id, known.last_seen_at, now)
        return known.person  # nothing was committed anywhere since it was read
    token = memo.change_token() if memo else None
    async with sessions() as session:
        found, grants, missions = await q.person_with_missions(session, telegram_id)
    if found is not None:
        seen = _Known(found.last_seen_at, found.unreachable, found.telegram_language)
        if seen.serves(language_code):
            person = _person(found, grants, missions, language_code)
            if memo:
                memo.remember(key, token, replace(seen, person=person))
            seen_times(sessions).note(telegram_id, found.last_seen_at, now)
            return person
    async with sessions.begin() as session:
        delegate = await q.delegate_by_telegram_id(session, telegram_id)
        if delegate is None:
            delegate = Delegate(
                telegram_id=telegram_id,
                telegram_language=language_code,
                unreachable=False,
                created_at=now,
                last_seen_at=now,
            )
            session.add(delegate)
            await session.flush()
        else:
            if delegate.telegram_language != language_code and language_code:
                delegate.telegram_language = language_code
            delegate.last_seen_at = max(delegate.last_seen_at, now)
            delegate.unreachable = False  # they just wrote to us: reachable again
            await session.flush()  # what follows reads columns: no autoflush for it
        found, grants, missions = await q.person_with_missions(session, telegram_id)
        assert found is not None  # the delegate just read or added (flushed)
        return _person(found, grants, missions, language_code)


@dataclass(frozen=True)
class _Known:
    """A person as read, with what decides whether a later update may reuse the reading."""

    last_seen_at: datetime
    unreachable: bool
    telegram_language: str | None
    person: Person | None = None

    def serves(self, language_code: str | None) -> bool:
        """No write is due now: reachable, same Telegram language."""
        same = self.telegram_language == language_code or not language_code
        return same and not self.unreachable


def _person(
    delegate: q.PersonRow,
    grants: list[q.GrantRow],
    missions: list[tuple[q.MissionRow, list[str] | None]],
    language_code: str | None,
) -> Person:
    person = Person(
        delegate_id=delegate.id,
        telegram_id=delegate.telegram_id,
        locale=delegate.language or pick_locale(language_code),
        chosen_language=delegate.language,
        is_admin=any(g.role == Role.ADMIN for g in grants),
        coordinator_of=frozenset(
            g.mission_id for g in grants if g.role == Role.COORDINATOR and g.mission_id
        ),
        current_mission_id=delegate.current_mission_id,
        home_timezone=delegate.home_timezone,
    )
    return replace(person, access=tuple(_access_of(person, m, r) for m, r in missions))


async def with_access(sessions: async_sessionmaker[AsyncSession], who: Person) -> Person:
    """`who` with the missions they may look at, for a Person built without them (a
    script, a test): read as `identify` reads them. No delegate any more: no mission."""
    async with sessions() as session:
        found, grants, missions = await q.person_with_missions(session, who.telegram_id)
    if found is None:
        return replace(who, access=())
    read = _person(found, grants, missions, who.chosen_language)
    return replace(
        who, access=read.access, current_mission_id=read.current_mission_id,
        home_timezone=read.home_timezone,
    )  # fmt: skip


def _access_of(person: Person, mission: q.MissionRow, tags: list[str] | None) -> MissionAccess:
    return MissionAccess(
        mission=MissionInfo.of(mission),
        starts_on=mission.starts_on,
        ends_on=mission.ends_on,
        content_version=mission.content_version,
        created_at=mission.created_at,
        tags=frozenset(tags or ()),
        staff=person.is_admin or mission.id in person.coordinator_of,
    )


async def set_language(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, delegate_id: int, locale: str
) -> None:
    if locale not in SUPPORTED_LOCALES:
        raise ValueError(f"unsupported locale {locale!r}")
    async with sessions.begin() as session:
        delegate = await session.get(Delegate, delegate_id)
        if delegate is not None:
            delegate.language = locale


async def grant_admin(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    telegram_id: int,
    granted_by: int | None = None,
) -> bool:
    """Make a Telegram user an admin. Returns False when they already were."""
    async with sessions.begin() as session:
        if await q.admin_grant(session, telegram_id) is not None:
            return False
        session.add(
            RoleGrant(
                telegram_id=telegram_id,
                role=Role.ADMIN,
                mission_id=None,
                granted_by=granted_by,
                created_at=clock.now(),
            )
        )
        session.add(
            AuditRecord(
                at=clock.now(),
                actor_telegram_id=granted_by,
                action="admin.grant",
                details={"telegram_id": telegram_id},
            )
        )
        return True


async def role_holders(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[int, Role]]:
    """Every (telegram id, highest role) pair, for per-chat command menus."""
    async with sessions() as session:
        best: dict[int, Role] = {}
        for grant in await q.role_holders(session):
            if grant.role == Role.ADMIN or grant.telegram_id not in best:
                best[grant.telegram_id] = grant.role
        return sorted(best.items())


async def language_of(sessions: async_sessionmaker[AsyncSession], telegram_id: int) -> str:
    async with sessions() as session:
        delegate = await q.delegate_by_telegram_id(session, telegram_id)
        if delegate is None:
            return pick_locale(None)
        return delegate.language or pick_locale(delegate.telegram_language)
