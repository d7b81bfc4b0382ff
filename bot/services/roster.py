"""The roster of a mission for its staff, and approving or declining registrations that wait
for approval (missions with `requires_approval`). The delegate is told, in their language,
through the outbox, in the same transaction as the decision."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.i18n import pick_locale, render
from bot.outbox import Outgoing, enqueue
from bot.services.people import Person
from bot.services.registration import MissionInfo
from bot.services.spreadsheet import spreadsheet_csv
from models import (
    AgendaItem,
    AuditRecord,
    Broadcast,
    Delegate,
    Mission,
    Question,
    QuestionStatus,
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
        status = RegistrationStatus.CONFIRMED if approve else RegistrationStatus.DECLINED
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
            now_status = await session.scalar(
                select(Registration.status).where(Registration.id == registration_id)
            )
            if now_status is None:  # erased meanwhile (/forget_me)
                return Outcome(Decision.REFUSED)
            return Outcome(Decision.ALREADY, name, now_status, mission_id)
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
    coordinator: bool = False  # of this mission, now
    mission_id: int = 0
    role: Role | None = None  # their highest role now, for their command menu


async def _role_of(session: AsyncSession, telegram_id: int) -> Role | None:
    roles = set(
        await session.scalars(select(RoleGrant.role).where(RoleGrant.telegram_id == telegram_id))
    )
    return Role.ADMIN if Role.ADMIN in roles else Role.COORDINATOR if roles else None


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
        # Locked (PostgreSQL): of two admins granting at once, the second sees the grant.
        registration = await session.scalar(
            select(Registration).where(Registration.id == registration_id).with_for_update()
        )
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
        if bool(grants) == coordinator:  # already so: nothing to tell
            return replace(done, role=await _role_of(session, delegate.telegram_id))
        if coordinator:
            session.add(
                RoleGrant(
                    telegram_id=delegate.telegram_id, role=Role.COORDINATOR,
                    mission_id=mission.id, granted_by=person.telegram_id, created_at=now,
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
        await session.flush()
        return replace(done, role=await _role_of(session, delegate.telegram_id))


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


@dataclass(frozen=True)
class Card:
    """One delegate as the staff of their mission see them, with the mission's tags (those
    the agenda uses for sessions, and those already given) to give or take back."""

    registration_id: int
    mission_id: int
    full_name: str
    organisation: str
    email: str
    phone: str
    status: RegistrationStatus
    tags: tuple[str, ...]
    mission_tags: tuple[str, ...]


async def _mission_tags(session: AsyncSession, mission_id: int) -> tuple[str, ...]:
    used = await session.scalars(
        select(AgendaItem.audience_tags).where(AgendaItem.mission_id == mission_id)
    )
    given = await session.scalars(
        select(Registration.tags).where(Registration.mission_id == mission_id)
    )
    return tuple(sorted({t for tags in [*used, *given] for t in (tags or ())}))


async def _card(session: AsyncSession, person: Person, registration_id: int) -> Card | None:
    registration = await session.get(Registration, registration_id)
    if (
        registration is None
        or registration.status not in (RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING)
        or not is_staff(person, registration.mission_id)
    ):
        return None
    return Card(
        registration.id, registration.mission_id, registration.full_name,
        registration.organisation, registration.email, registration.phone,
        registration.status, tuple(registration.tags or ()),
        await _mission_tags(session, registration.mission_id),
    )  # fmt: skip


async def card_of(
    sessions: async_sessionmaker[AsyncSession], person: Person, registration_id: int
) -> Card | None:
    """The delegate's card, for the staff of their mission only (the id comes from a button)."""
    async with sessions() as session:
        return await _card(session, person, registration_id)


async def toggle_tag(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    person: Person,
    registration_id: int,
    tag: str,
) -> Card | None:
    """Give the delegate this tag, or take it back: the sessions for that tag appear in (or
    leave) their agenda, reminders and briefings. Only the mission's own tags."""
    async with sessions.begin() as session:
        # Locked first (PostgreSQL): two tags changed at once must both stay.
        registration = await session.scalar(
            select(Registration).where(Registration.id == registration_id).with_for_update()
        )
        card = await _card(session, person, registration_id)
        if card is None or registration is None or tag not in card.mission_tags:
            return None
        tags = set(registration.tags or ())
        tags ^= {tag}
        registration.tags = sorted(tags)
        registration.updated_at = clock.now()
        session.add(
            AuditRecord(
                at=clock.now(), actor_telegram_id=person.telegram_id,
                action="registration.tags", mission_id=card.mission_id,
                details={"registration_id": registration_id, "tags": sorted(tags)},
            )
        )  # fmt: skip
        return await _card(session, person, registration_id)


EXPORT_COLUMNS = (
    "full_name", "organisation", "title", "email", "phone", "status", "tags", "dietary",
    "accessibility", "arrival", "departure", "hotel", "registered_at",
)  # fmt: skip


async def roster_csv(
    sessions: async_sessionmaker[AsyncSession], person: Person, mission_id: int
) -> tuple[str, bytes] | None:
    """Everyone confirmed or waiting, every detail they gave, as a CSV file (its name and
    content) for the staff of the mission; registration times in the mission's zone."""
    if not is_staff(person, mission_id):
        return None
    async with sessions() as session:
        mission = await session.get(Mission, mission_id)
        if mission is None:
            return None
        zone = ZoneInfo(mission.timezone)
        rows = await session.scalars(
            select(Registration)
            .where(
                Registration.mission_id == mission_id,
                Registration.status.in_((RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING)),
            )
            .order_by(Registration.full_name, Registration.id)
        )
        table = [
            [
                r.full_name, r.organisation, r.title or "", r.email, r.phone, r.status.value,
                " ".join(r.tags or ()), r.dietary or "", r.accessibility or "", r.arrival or "",
                r.departure or "", r.hotel or "",
                r.created_at.astimezone(zone).isoformat(timespec="minutes"),
            ]
            for r in rows
        ]  # fmt: skip
        return f"roster-{mission.key}.csv", spreadsheet_csv(EXPORT_COLUMNS, table)


async def _revoke(
    session: AsyncSession, clock: Clock, person: Person, telegram_id: int, mission_id: int
) -> None:
    grants = list(
        await session.scalars(
            select(RoleGrant).where(
                RoleGrant.telegram_id == telegram_id,
                RoleGrant.role == Role.COORDINATOR,
                RoleGrant.mission_id == mission_id,
            )
        )
    )
    for grant in grants:
        await session.delete(grant)
    if grants:
        session.add(
            AuditRecord(
                at=clock.now(), actor_telegram_id=person.telegram_id, action="role.revoke",
                mission_id=mission_id,
                details={"telegram_id": telegram_id, "role": Role.COORDINATOR.value},
            )
        )  # fmt: skip


async def remove(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, person: Person, registration_id: int
) -> Outcome:
    """Take a delegate off the mission (they dropped out): the seat is freed, they are told
    in their language, and the invite lets them register again if plans change back."""
    now = clock.now()
    async with sessions.begin() as session:
        card = await _card(session, person, registration_id)
        if card is None:
            return Outcome(Decision.REFUSED)
        changed = await session.execute(
            update(Registration)
            .where(
                Registration.id == registration_id,
                Registration.status.in_((RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING)),
            )
            .values(status=RegistrationStatus.CANCELLED, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            return Outcome(Decision.REFUSED)
        await session.execute(
            update(Mission)
            .where(Mission.id == card.mission_id, Mission.seats_taken > 0)
            .values(seats_taken=Mission.seats_taken - 1)
            .execution_options(synchronize_session=False)
        )
        registration = await session.get(Registration, registration_id)
        mission = await session.get(Mission, card.mission_id)
        assert registration is not None
        assert mission is not None
        delegate = await session.get(Delegate, registration.delegate_id)
        if delegate is not None:
            # Off the mission, off its staff: the roster and its details are not theirs.
            await _revoke(session, clock, person, delegate.telegram_id, card.mission_id)
        if delegate is not None and not delegate.unreachable:
            locale = delegate.language or pick_locale(delegate.telegram_language)
            text = render(
                "Your registration for %(mission)s has been cancelled by the organisers. "
                "For any question, please contact them.",
                locale,
                mission=MissionInfo.of(mission).name(locale),
            )
            enqueue(
                session,
                clock,
                [Outgoing(delegate.telegram_id, text, kind="notice", delegate_id=delegate.id)],
            )
        session.add(
            AuditRecord(
                at=now, actor_telegram_id=person.telegram_id, action="registration.remove",
                mission_id=card.mission_id, details={"registration_id": registration_id},
            )
        )  # fmt: skip
        return Outcome(
            Decision.DECLINED, card.full_name, RegistrationStatus.CANCELLED, card.mission_id
        )


@dataclass(frozen=True)
class Stats:
    mission: MissionInfo
    capacity: int | None
    seats_taken: int
    confirmed: int
    pending: int
    french: int  # confirmed delegates reading in French
    unreachable: int  # confirmed delegates who blocked the bot
    by_tag: tuple[tuple[str, int], ...]
    sessions: int
    questions_open: int
    questions_answered: int
    broadcasts: int


async def stats_of(
    sessions: async_sessionmaker[AsyncSession], person: Person, mission_id: int
) -> Stats | None:
    """The mission at a glance, for its staff."""
    if not is_staff(person, mission_id):
        return None
    async with sessions() as session:
        mission = await session.get(Mission, mission_id)
        if mission is None:
            return None
        rows = (
            await session.execute(
                select(Registration.status, Registration.tags, Delegate)
                .join(Delegate, Registration.delegate_id == Delegate.id)
                .where(Registration.mission_id == mission_id)
            )
        ).all()
        confirmed = [
            (tags, d) for status, tags, d in rows if status == RegistrationStatus.CONFIRMED
        ]
        tags: dict[str, int] = {}
        for given, _delegate in confirmed:
            for tag in given or ():
                tags[tag] = tags.get(tag, 0) + 1
        questions = list(
            await session.scalars(select(Question.status).where(Question.mission_id == mission_id))
        )
        count = select(func.count())
        return Stats(
            mission=MissionInfo.of(mission),
            capacity=mission.capacity,
            seats_taken=mission.seats_taken,
            confirmed=len(confirmed),
            pending=sum(status == RegistrationStatus.PENDING for status, _t, _d in rows),
            french=sum(
                (d.language or pick_locale(d.telegram_language)) == "fr" for _t, d in confirmed
            ),
            unreachable=sum(d.unreachable for _t, d in confirmed),
            by_tag=tuple(sorted(tags.items())),
            sessions=await session.scalar(
                count.select_from(AgendaItem).where(AgendaItem.mission_id == mission_id)
            ) or 0,
            questions_open=sum(s == QuestionStatus.OPEN for s in questions),
            questions_answered=sum(s != QuestionStatus.OPEN for s in questions),
            broadcasts=await session.scalar(
                count.select_from(Broadcast).where(Broadcast.mission_id == mission_id)
            ) or 0,
        )  # fmt: skip


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    action: str
    actor: str | None  # their name on this mission's roster, when they are on it
    staff: bool  # done by someone not on the roster (an admin, a coordinator), not erased
    subject: str | None  # whom or what it was about: a delegate's name, a session's key


AUDIT_LINES = 20


async def audit_trail(
    sessions: async_sessionmaker[AsyncSession], person: Person, mission_id: int
) -> tuple[MissionInfo, list[AuditLine]] | None:
    """The latest actions on a mission, newest first, for admins."""
    if not person.is_admin:
        return None
    async with sessions() as session:
        mission = await session.get(Mission, mission_id)
        if mission is None:
            return None
        records = list(
            await session.scalars(
                select(AuditRecord)
                .where(AuditRecord.mission_id == mission_id)
                .order_by(AuditRecord.at.desc(), AuditRecord.id.desc())
                .limit(AUDIT_LINES)
            )
        )
        names = dict(
            (
                await session.execute(
                    select(Delegate.telegram_id, Registration.full_name)
                    .join(Registration, Registration.delegate_id == Delegate.id)
                    .where(Registration.mission_id == mission_id)
                )
            ).all()
        )
        by_id = dict(
            (
                await session.execute(
                    select(Registration.id, Registration.full_name).where(
                        Registration.mission_id == mission_id
                    )
                )
            ).all()
        )
        lines = []
        for record in records:
            details = record.details or {}
            subject = (
                by_id.get(int(details.get("registration_id") or 0))
                or details.get("item")
                or details.get("key")
            )
            if record.action.startswith("role.") and details.get("telegram_id") in names:
                subject = names[details["telegram_id"]]
            actor = names.get(record.actor_telegram_id) if record.actor_telegram_id else None
            staff = record.actor_telegram_id is not None and actor is None
            lines.append(
                AuditLine(record.at, record.action, actor, staff, subject and str(subject))
            )
        return MissionInfo.of(mission), lines
