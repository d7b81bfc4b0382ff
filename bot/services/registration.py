"""Registering a delegate to a mission: invite codes, capacity, status, profile edits."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.i18n import gettext, pick_locale, render
from bot.outbox import Outgoing, enqueue
from bot.services.inbox import staff_of
from bot.services.profile import FIELDS, Field
from models import (
    AuditRecord,
    Delegate,
    Mission,
    Question,
    Registration,
    RegistrationStatus,
    RoleGrant,
)
from models import queries as q
from models.queries import ACTIVE_STATUSES, MissionRow


class Refusal(StrEnum):
    UNKNOWN_CODE = "unknown_code"
    CLOSED = "closed"
    FULL = "full"
    ALREADY = "already"
    DECLINED = "declined"  # the staff declined this person for this mission


@dataclass(frozen=True)
class MissionInfo:
    id: int
    key: str
    name_fr: str
    name_en: str
    city: str
    timezone: str
    requires_approval: bool

    @classmethod
    def of(cls, mission: Mission | MissionRow) -> MissionInfo:
        return cls(
            id=mission.id,
            key=mission.key,
            name_fr=mission.name_fr,
            name_en=mission.name_en,
            city=mission.city,
            timezone=mission.timezone,
            requires_approval=mission.requires_approval,
        )

    def name(self, locale: str) -> str:
        return self.name_fr if locale == "fr" else self.name_en


@dataclass(frozen=True)
class Opening:
    """The answer to an invite code: the mission, or why one cannot register to it."""

    mission: MissionInfo | None
    refusal: Refusal | None
    # A profile to start from: the delegate's details from an earlier registration.
    prefill: dict[str, str | None] | None = None


@dataclass(frozen=True)
class Enrolment:
    mission: MissionInfo
    status: RegistrationStatus
    profile: dict[str, str | None]


async def _declined(session: AsyncSession, mission_id: int, delegate_id: int) -> bool:
    found = await session.scalar(
        select(Registration.id).where(
            Registration.mission_id == mission_id,
            Registration.delegate_id == delegate_id,
            Registration.status == RegistrationStatus.DECLINED,
        )
    )
    return found is not None


def _profile_of(registration: Registration) -> dict[str, str | None]:
    return {f.value: getattr(registration, f.value) for f in FIELDS}


def _seat_available(mission: Mission) -> bool:
    return mission.capacity is None or mission.seats_taken < mission.capacity


async def open_invite(
    sessions: async_sessionmaker[AsyncSession], delegate_id: int, code: str
) -> Opening:
    """Check an invite code before asking any question, so nobody types a profile in vain."""
    async with sessions() as session:
        mission = await q.mission_by_invite(session, code)
        if mission is None:
            return Opening(None, Refusal.UNKNOWN_CODE)
        info = MissionInfo.of(mission)
        for registration, _mission in await q.active_registrations(session, delegate_id):
            if registration.mission_id == mission.id:
                return Opening(info, Refusal.ALREADY)
        if await _declined(session, mission.id, delegate_id):
            return Opening(info, Refusal.DECLINED)
        if not mission.registration_open:
            return Opening(info, Refusal.CLOSED)
        if not _seat_available(mission):
            return Opening(info, Refusal.FULL)
        previous = await q.latest_registration(session, delegate_id)
        return Opening(info, None, _profile_of(previous) if previous else None)


async def enrol(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    delegate_id: int,
    mission_id: int,
    profile: dict[str, str | None],
) -> Enrolment | Refusal:
    """Register the delegate with this profile, holding a seat atomically.

    The seat is taken by one conditional UPDATE: on PostgreSQL the row lock makes concurrent
    registrations re-check the condition after each other; on SQLite writers are serialised
    (BEGIN IMMEDIATE). Either way `seats_taken` never passes `capacity`.
    """
    now = clock.now()
    async with sessions.begin() as session:
        existing = await session.scalar(
            Registration.__table__.select()
            .with_only_columns(Registration.id)
            .where(
                Registration.mission_id == mission_id,
                Registration.delegate_id == delegate_id,
                Registration.status.in_(ACTIVE_STATUSES),
            )
        )
        if existing is not None:
            return Refusal.ALREADY
        if await _declined(session, mission_id, delegate_id):
            return Refusal.DECLINED
        taken = await session.execute(
            update(Mission)
            .where(
                Mission.id == mission_id,
                Mission.registration_open.is_(True),
                (Mission.capacity.is_(None)) | (Mission.seats_taken < Mission.capacity),
            )
            .values(seats_taken=Mission.seats_taken + 1)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            mission = await session.get(Mission, mission_id)
            if mission is None:
                return Refusal.UNKNOWN_CODE
            return Refusal.CLOSED if not mission.registration_open else Refusal.FULL
        mission = await session.get(Mission, mission_id)
        assert mission is not None
        status = (
            RegistrationStatus.PENDING
            if mission.requires_approval
            else RegistrationStatus.CONFIRMED
        )
        registration = await session.scalar(
            Registration.__table__.select()
            .with_only_columns(Registration.id)
            .where(Registration.mission_id == mission_id, Registration.delegate_id == delegate_id)
        )
        values = {f.value: profile.get(f.value) for f in FIELDS}
        if registration is not None:  # a cancelled registration comes back to life
            row = await session.get(Registration, registration)
            assert row is not None
            for name, value in values.items():
                setattr(row, name, value)
            row.status = status
            row.created_at = row.updated_at = now  # a new application, not the old one
        else:
            row = Registration(
                mission_id=mission_id,
                delegate_id=delegate_id,
                status=status,
                tags=[],
                created_at=now,
                updated_at=now,
                **values,
            )
            session.add(row)
            await session.flush()
        delegate = await session.get(Delegate, delegate_id)
        if delegate is not None:
            delegate.current_mission_id = mission_id
        session.add(
            AuditRecord(
                at=now,
                actor_telegram_id=delegate.telegram_id if delegate else None,
                action="registration.create",
                mission_id=mission_id,
                details={"delegate_id": delegate_id, "status": status.value},
            )
        )
        if status == RegistrationStatus.PENDING:
            # Staff who never wrote to the bot have no language yet: the delegate's is
            # the likeliest of the delegation.
            fallback = (delegate.language if delegate else None) or pick_locale(
                delegate.telegram_language if delegate else None
            )
            await _ask_staff(session, clock, MissionInfo.of(mission), row, fallback)
        return Enrolment(MissionInfo.of(mission), status, values)


LABEL = 28  # characters of a name on a button


def short_name(name: str) -> str:
    """A name short enough for a button on a phone."""
    return name if len(name) <= LABEL else name[: LABEL - 1] + "…"


async def _ask_staff(
    session: AsyncSession,
    clock: Clock,
    mission: MissionInfo,
    registration: Registration,
    fallback: str,
) -> None:
    """Tell the mission's coordinators (else the admins) that someone waits for them, with
    the buttons to decide at once, each in their own language."""
    messages = []
    for staff in await staff_of(session, mission.id, fallback):
        text = render(
            "🕓 <b>Registration waiting for approval</b> (%(mission)s):\n"
            "%(name)s — %(organisation)s",
            staff.locale,
            mission=mission.name(staff.locale),
            name=registration.full_name,
            organisation=registration.organisation,
        )
        # A button's text is not HTML: the name goes in as it is.
        approve = gettext("✅ Approve %(name)s", staff.locale) % {
            "name": short_name(registration.full_name)
        }
        row = [
            {"text": approve, "callback_data": f"ro:a:{registration.id}"},
            {
                "text": gettext("✖ Decline", staff.locale),
                "callback_data": f"ro:d:{registration.id}",
            },
        ]
        messages.append(
            Outgoing(
                staff.telegram_id, text, kind="notice", reply_markup={"inline_keyboard": [row]}
            )
        )
    enqueue(session, clock, messages)


@dataclass(frozen=True)
class MyRegistration:
    registration_id: int
    mission: MissionInfo
    status: RegistrationStatus
    profile: dict[str, str | None]


async def my_registrations(
    sessions: async_sessionmaker[AsyncSession], delegate_id: int
) -> list[MyRegistration]:
    async with sessions() as session:
        return [
            MyRegistration(reg.id, MissionInfo.of(mission), reg.status, _profile_of(reg))
            for reg, mission in await q.active_registrations(session, delegate_id)
        ]


async def update_field(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    delegate_id: int,
    registration_id: int,
    field: Field,
    value: str | None,
) -> bool:
    """Change one profile field of the delegate's own registration. False if not theirs."""
    if value is None and FIELDS[field].required:
        raise ValueError(f"{field} is required")
    async with sessions.begin() as session:
        registration = await session.get(Registration, registration_id)
        if (
            registration is None
            or registration.delegate_id != delegate_id
            or registration.status not in ACTIVE_STATUSES
        ):
            return False
        setattr(registration, field.value, value)
        registration.updated_at = clock.now()
        session.add(
            AuditRecord(
                at=clock.now(),
                action="registration.edit",
                mission_id=registration.mission_id,
                details={"delegate_id": delegate_id, "field": field.value},
            )
        )
        return True


async def forget(sessions: async_sessionmaker[AsyncSession], clock: Clock, delegate_id: int) -> int:
    """Erase a delegate and everything they told us; frees their seats. Returns missions left."""
    async with sessions.begin() as session:
        delegate = await session.get(Delegate, delegate_id)
        if delegate is None:
            return 0
        # Taken out of the active statuses first, by one conditional UPDATE: a seat freed
        # meanwhile by a coordinator (removed, declined) is not freed a second time.
        left = (
            (
                await session.execute(
                    update(Registration)
                    .where(
                        Registration.delegate_id == delegate_id,
                        Registration.status.in_(ACTIVE_STATUSES),
                    )
                    .values(status=RegistrationStatus.CANCELLED)
                    .returning(Registration.mission_id)
                    .execution_options(synchronize_session=False)
                )
            )
            .scalars()
            .all()
        )
        for mission_id in left:
            await session.execute(
                update(Mission)
                .where(Mission.id == mission_id, Mission.seats_taken > 0)
                .values(seats_taken=Mission.seats_taken - 1)
                .execution_options(synchronize_session=False)
            )
            session.add(
                AuditRecord(
                    at=clock.now(),
                    action="registration.erase",
                    mission_id=mission_id,
                    details={"delegate_id": delegate_id},
                )
            )
        # The Telegram id is personal data too: unlink it from the audit trail (the records
        # keep what happened, not who) and drop any staff role held under it.
        await session.execute(
            update(AuditRecord)
            .where(AuditRecord.actor_telegram_id == delegate.telegram_id)
            .values(actor_telegram_id=None)
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(Question)
            .where(Question.answered_by == delegate.telegram_id)
            .values(answered_by=None, answered_by_name=None)
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            delete(RoleGrant)
            .where(RoleGrant.telegram_id == delegate.telegram_id)
            .execution_options(synchronize_session=False)
        )
        await session.delete(delegate)
        return len(left)
