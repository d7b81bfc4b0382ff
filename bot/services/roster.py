"""The roster of a mission for its staff, and approving or declining registrations that wait
for approval (missions with `requires_approval`). The delegate is told, in their language,
through the outbox, in the same transaction as the decision."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.i18n import pick_locale, render
from bot.outbox import Outgoing, enqueue
from bot.services.people import Person
from bot.services.registration import MissionInfo
from models import (
    AuditRecord,
    Delegate,
    Mission,
    Registration,
    RegistrationStatus,
    Role,
    RoleGrant,
)


@dataclass(frozen=True)
class Entry:
    registration_id: int
    full_name: str
    organisation: str
    status: RegistrationStatus
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Roster:
    mission: MissionInfo
    entries: tuple[Entry, ...]

    @property
    def confirmed(self) -> list[Entry]:
        return [e for e in self.entries if e.status == RegistrationStatus.CONFIRMED]

    @property
    def pending(self) -> list[Entry]:
        return [e for e in self.entries if e.status == RegistrationStatus.PENDING]


class Decision(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"
    ALREADY = "already"  # decided before (by another coordinator, or a second tap)
    WAITING = "waiting"  # looked at, nothing decided
    REFUSED = "refused"  # no such registration, or not this person's mission to decide


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    full_name: str = ""
    status: RegistrationStatus | None = None
    mission_id: int | None = None


def is_staff(person: Person, mission_id: int) -> bool:
    """Admins everywhere; coordinators for their own missions only."""
    return person.is_admin or mission_id in person.coordinator_of


async def roster_of(
    sessions: async_sessionmaker[AsyncSession], person: Person, mission_id: int
) -> Roster | None:
    """Everyone registered or waiting, by name; None unless the person is staff of it."""
    if not is_staff(person, mission_id):
        return None
    async with sessions() as session:
        mission = await session.get(Mission, mission_id)
        if mission is None:
            return None
        rows = await session.scalars(
            select(Registration)
            .where(
                Registration.mission_id == mission_id,
                Registration.status.in_((RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING)),
            )
            .order_by(Registration.created_at, Registration.id)
        )
        entries = tuple(
            Entry(r.id, r.full_name, r.organisation, r.status, tuple(r.tags or ())) for r in rows
        )
        return Roster(MissionInfo.of(mission), entries)


async def decide(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    person: Person,
    registration_id: int,
    approve: bool,
) -> Outcome:
    """Approve or decline one waiting registration. The mission is read from the database,
    never from the button: a forged id of another mission is refused and tells nothing."""
    now = clock.now()
    async with sessions.begin() as session:
        registration = await session.get(Registration, registration_id)
        if registration is None or not is_staff(person, registration.mission_id):
            return Outcome(Decision.REFUSED)
        name, mission_id = registration.full_name, registration.mission_id
        # One conditional UPDATE: of two coordinators tapping at once, one decides.
        status = RegistrationStatus.CONFIRMED if approve else RegistrationStatus.CANCELLED
        changed = await session.execute(
            update(Registration)
            .where(
                Registration.id == registration_id,
                Registration.status == RegistrationStatus.PENDING,
            )
            .values(status=status, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            await session.refresh(registration)
            return Outcome(Decision.ALREADY, name, registration.status, mission_id)
        mission = await session.get(Mission, mission_id)
        delegate = await session.get(Delegate, registration.delegate_id)
        assert mission is not None
        assert delegate is not None
        if not approve:
            # The seat held since registering is free again.
            await session.execute(
                update(Mission)
                .where(Mission.id == mission_id, Mission.seats_taken > 0)
                .values(seats_taken=Mission.seats_taken - 1)
                .execution_options(synchronize_session=False)
            )
        info = MissionInfo.of(mission)
        locale = delegate.language or pick_locale(delegate.telegram_language)
        text = (
            render(
                "✅ Your registration for %(mission)s is confirmed. See you in %(city)s!\n\n"
                "Send /agenda to see the programme.",
                locale,
                mission=info.name(locale),
                city=info.city,
            )
            if approve
            else render(
                "Your registration for %(mission)s was not accepted. For any question, "
                "please contact the mission's organisers.",
                locale,
                mission=info.name(locale),
            )
        )
        if not delegate.unreachable:
            enqueue(
                session,
                clock,
                [Outgoing(delegate.telegram_id, text, kind="notice", delegate_id=delegate.id)],
            )
        session.add(
            AuditRecord(
                at=now, actor_telegram_id=person.telegram_id,
                action="registration.approve" if approve else "registration.decline",
                mission_id=mission_id, details={"registration_id": registration_id},
            )
        )  # fmt: skip
        decision = Decision.APPROVED if approve else Decision.DECLINED
        return Outcome(decision, name, status, mission_id)


async def look(
    sessions: async_sessionmaker[AsyncSession], person: Person, registration_id: int
) -> Outcome:
    """A registration as its mission's staff see it, before deciding; REFUSED for anyone
    else (the id comes from a button, which can be forged)."""
    async with sessions() as session:
        registration = await session.get(Registration, registration_id)
        if registration is None or not is_staff(person, registration.mission_id):
            return Outcome(Decision.REFUSED)
        decision = (
            Decision.WAITING
            if registration.status == RegistrationStatus.PENDING
            else Decision.ALREADY
        )
        return Outcome(
            decision, registration.full_name, registration.status, registration.mission_id
        )


@dataclass(frozen=True)
class Member:
    """A confirmed delegate as an admin sees them to grant or take back the coordinator role."""

    registration_id: int
    full_name: str
    telegram_id: int
    coordinator: bool


async def members(
    sessions: async_sessionmaker[AsyncSession], person: Person, mission_id: int
) -> list[Member] | None:
    """The mission's confirmed delegates, coordinators first; None for anyone not admin."""
    if not person.is_admin:
        return None
    async with sessions() as session:
        rows = (
            await session.execute(
                select(Registration.id, Registration.full_name, Delegate.telegram_id)
                .join(Delegate, Registration.delegate_id == Delegate.id)
                .where(
                    Registration.mission_id == mission_id,
                    Registration.status == RegistrationStatus.CONFIRMED,
                )
                .order_by(Registration.full_name, Registration.id)
            )
        ).all()
        staff = set(
            await session.scalars(
                select(RoleGrant.telegram_id).where(
                    RoleGrant.role == Role.COORDINATOR, RoleGrant.mission_id == mission_id
                )
            )
        )
    found = [Member(r, name, t, t in staff) for r, name, t in rows]
    return sorted(found, key=lambda m: not m.coordinator)


@dataclass(frozen=True)
class Promotion:
    done: bool  # False: refused (not an admin, forged id, not a confirmed delegate)
    full_name: str = ""
    telegram_id: int = 0
    coordinator: bool = False  # the role they have now
    mission_id: int = 0


async def set_coordinator(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    person: Person,
    registration_id: int,
    coordinator: bool,
) -> Promotion:
    """Grant (or take back) the coordinator role of the registration's mission. Admins
    only; the delegate is told in their language. Doing it twice changes nothing."""
    now = clock.now()
    if not person.is_admin:
        return Promotion(False)
    async with sessions.begin() as session:
        registration = await session.get(Registration, registration_id)
        if registration is None or registration.status != RegistrationStatus.CONFIRMED:
            return Promotion(False)
        delegate = await session.get(Delegate, registration.delegate_id)
        mission = await session.get(Mission, registration.mission_id)
        assert delegate is not None
        assert mission is not None
        grants = list(
            await session.scalars(
                select(RoleGrant).where(
                    RoleGrant.telegram_id == delegate.telegram_id,
                    RoleGrant.role == Role.COORDINATOR,
                    RoleGrant.mission_id == mission.id,
                )
            )
        )
        done = Promotion(
            True, registration.full_name, delegate.telegram_id, coordinator, mission.id
        )
        if bool(grants) == coordinator:
            return done  # already so: nothing to tell
        if coordinator:
            session.add(
                RoleGrant(
                    telegram_id=delegate.telegram_id, role=Role.COORDINATOR,
                    mission_id=mission.id, created_at=now,
                )
            )  # fmt: skip
        else:
            for grant in grants:
                await session.delete(grant)
        locale = delegate.language or pick_locale(delegate.telegram_language)
        name = MissionInfo.of(mission).name(locale)
        text = (
            render(
                "🎖 You are now a coordinator of %(mission)s: you can broadcast, edit the "
                "agenda, answer questions and approve registrations. Send /help to see how.",
                locale,
                mission=name,
            )
            if coordinator
            else render("You are no longer a coordinator of %(mission)s.", locale, mission=name)
        )
        if not delegate.unreachable:
            enqueue(
                session,
                clock,
                [Outgoing(delegate.telegram_id, text, kind="notice", delegate_id=delegate.id)],
            )
        session.add(
            AuditRecord(
                at=now, actor_telegram_id=person.telegram_id,
                action="role.grant" if coordinator else "role.revoke", mission_id=mission.id,
                details={"telegram_id": delegate.telegram_id, "role": Role.COORDINATOR.value},
            )
        )  # fmt: skip
        return done


async def member_of(
    sessions: async_sessionmaker[AsyncSession], person: Person, registration_id: int
) -> tuple[Member, MissionInfo] | None:
    """One confirmed delegate and their mission, for an admin; None otherwise."""
    if not person.is_admin:
        return None
    async with sessions() as session:
        registration = await session.get(Registration, registration_id)
        if registration is None or registration.status != RegistrationStatus.CONFIRMED:
            return None
        mission = await session.get(Mission, registration.mission_id)
        delegate = await session.get(Delegate, registration.delegate_id)
        assert mission is not None
        assert delegate is not None
        grant = await session.scalar(
            select(RoleGrant.id).where(
                RoleGrant.telegram_id == delegate.telegram_id,
                RoleGrant.role == Role.COORDINATOR,
                RoleGrant.mission_id == mission.id,
            )
        )
        member = Member(registration.id, registration.full_name, delegate.telegram_id, bool(grant))
        return member, MissionInfo.of(mission)
