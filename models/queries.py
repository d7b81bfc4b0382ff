"""Small query functions shared by services. No business rules here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Select, Table, and_, bindparam, event, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, aliased

from models.entities import Delegate, Mission, Registration, RegistrationStatus, Role, RoleGrant

ACTIVE_STATUSES = (RegistrationStatus.PENDING, RegistrationStatus.CONFIRMED)


async def delegate_by_telegram_id(session: AsyncSession, telegram_id: int) -> Delegate | None:
    return await session.scalar(select(Delegate).where(Delegate.telegram_id == telegram_id))


async def mission_by_invite(session: AsyncSession, code: str) -> Mission | None:
    return await session.scalar(select(Mission).where(Mission.invite_code == code.strip().upper()))


async def missions_ending_from(session: AsyncSession, day: date) -> list[int]:
    """The ids of the missions that end on that day or later."""
    return list(await session.scalars(select(Mission.id).where(Mission.ends_on >= day)))


async def active_registrations(
    session: AsyncSession, delegate_id: int
) -> list[tuple[Registration, Mission]]:
    rows = await session.execute(
        select(Registration, Mission)
        .join(Mission, Registration.mission_id == Mission.id)
        .where(Registration.delegate_id == delegate_id, Registration.status.in_(ACTIVE_STATUSES))
        .order_by(Mission.starts_on, Mission.id)
    )
    return [(row[0], row[1]) for row in rows]


async def latest_registration(session: AsyncSession, delegate_id: int) -> Registration | None:
    return await session.scalar(
        select(Registration)
        .where(Registration.delegate_id == delegate_id)
        .order_by(Registration.updated_at.desc(), Registration.id.desc())
        .limit(1)
    )


async def role_holders(session: AsyncSession) -> list[RoleGrant]:
    return list(await session.scalars(select(RoleGrant).order_by(RoleGrant.telegram_id)))


async def admin_grant(session: AsyncSession, telegram_id: int) -> RoleGrant | None:
    return await session.scalar(
        select(RoleGrant).where(
            RoleGrant.telegram_id == telegram_id,
            RoleGrant.role == Role.ADMIN,
            RoleGrant.mission_id.is_(None),
        )
    )


# Called with a mission id once a transaction that changed its content has committed: the
# process's caches of that content forget it (other processes see the version change).
CONTENT_LISTENERS: list[Callable[[int], object]] = []
_CHANGED = "missionbot_content_changed"


async def bump_content(session: AsyncSession, mission_id: int) -> None:
    """Record that a mission's sessions, venues or FAQ changed (caches rebuild on it)."""
    await session.execute(
        update(Mission)
        .where(Mission.id == mission_id)
        .values(content_version=Mission.content_version + 1)
        .execution_options(synchronize_session=False)
    )
    content_changed(session, mission_id)


def content_changed(session: AsyncSession, mission_id: int) -> None:
    """Tell this process's caches about the change when (and only if) the session commits."""
    session.info.setdefault(_CHANGED, set()).add(mission_id)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    for mission_id in session.info.pop(_CHANGED, ()):
        for listener in CONTENT_LISTENERS:
            listener(mission_id)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)


class PersonRow(NamedTuple):
    """The delegate's own columns that tell who they are (see person_with_missions)."""

    id: int
    telegram_id: int
    language: str | None
    telegram_language: str | None
    current_mission_id: int | None
    home_timezone: str | None
    last_seen_at: datetime
    unreachable: bool


class GrantRow(NamedTuple):
    id: int
    role: Role
    mission_id: int | None


class MissionRow(NamedTuple):
    """What a viewer of a mission needs of it."""

    id: int
    key: str
    name_fr: str
    name_en: str
    city: str
    timezone: str
    requires_approval: bool
    starts_on: date
    ends_on: date
    content_version: int
    created_at: datetime


def _columns(entity: Any, names: tuple[str, ...]) -> list[Any]:
    table = cast(Table, entity.__table__)
    return [table.c[name] for name in names]


def _person_statement() -> Select[Any]:
    confirmed = aliased(Registration)
    registered = (
        select(confirmed.id)
        .where(
            confirmed.mission_id == Mission.id,
            confirmed.delegate_id == Delegate.id,
            confirmed.status == RegistrationStatus.CONFIRMED,
        )
        .exists()
    )
    visible = or_(
        registered,
        RoleGrant.role == Role.ADMIN,
        and_(RoleGrant.role == Role.COORDINATOR, RoleGrant.mission_id == Mission.id),
    )
    # Columns, not entities: read for nearly every update of someone not seen since the
    # last commit, and loading four ORM objects a row was most of what the read cost.
    return (
        select(
            *_columns(Delegate, PersonRow._fields),
            *_columns(RoleGrant, GrantRow._fields),
            *_columns(Mission, MissionRow._fields),
            Registration.__table__.c.tags,
        )
        .outerjoin(RoleGrant, RoleGrant.telegram_id == Delegate.telegram_id)
        .outerjoin(Mission, visible)
        .outerjoin(
            Registration,
            and_(
                Registration.mission_id == Mission.id,
                Registration.delegate_id == Delegate.id,
                Registration.status == RegistrationStatus.CONFIRMED,
            ),
        )
        .where(Delegate.telegram_id == bindparam("telegram_id"))
        .order_by(Mission.starts_on, Mission.id)
    )


# Built once: the statement runs for nearly every update, and building it (not compiling
# it, which SQLAlchemy caches) was a tenth of the time a reply costs.
_PERSON = _person_statement()
_SPLIT = (len(PersonRow._fields), len(GrantRow._fields), len(MissionRow._fields))


async def person_with_missions(
    session: AsyncSession, telegram_id: int
) -> tuple[PersonRow | None, list[GrantRow], list[tuple[MissionRow, list[str] | None]]]:
    """The delegate behind a Telegram user, their roles and the missions they may look at
    (those they are confirmed in, with the registration's tags; those they run, every
    mission for an admin, with None), in date order, in one statement."""
    rows = (await session.execute(_PERSON, {"telegram_id": telegram_id})).all()
    if not rows:
        return None, [], []
    person_end = _SPLIT[0]
    grant_end = person_end + _SPLIT[1]
    mission_end = grant_end + _SPLIT[2]
    grants: dict[int, GrantRow] = {}
    missions: dict[int, tuple[MissionRow, list[str] | None]] = {}
    for row in rows:
        if row[person_end] is not None:
            grants.setdefault(row[person_end], GrantRow(*row[person_end:grant_end]))
        mission_id = row[grant_end]
        if mission_id is not None and mission_id not in missions:
            tags = row[mission_end]
            missions[mission_id] = (MissionRow(*row[grant_end:mission_end]), tags)
    return PersonRow(*rows[0][:person_end]), list(grants.values()), list(missions.values())


async def record_seen(session: AsyncSession, seen: dict[int, datetime]) -> None:
    """Last-seen times by Telegram id, in one statement; a time never moves back."""
    table = cast(Table, Delegate.__table__)
    await session.execute(
        update(table)
        .where(
            table.c.telegram_id == bindparam("seen_id"),
            table.c.last_seen_at < bindparam("seen_at"),
        )
        .values(last_seen_at=bindparam("seen_at")),
        # In id order: two processes flushing at once take row locks in the same order.
        [{"seen_id": telegram_id, "seen_at": at} for telegram_id, at in sorted(seen.items())],
    )
