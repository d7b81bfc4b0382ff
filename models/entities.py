"""The tables. Words follow PRODUCT.md: mission, delegate, registration, venue, agenda item, FAQ.

Every instant is an aware UTC datetime (`UtcDateTime`); Telegram ids are 64-bit integers.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UtcDateTime


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Store the readable value; VARCHAR + CHECK behaves the same on SQLite and PostgreSQL.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda e: [m.value for m in e],
    )


class RegistrationStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    DECLINED = "declined"  # by the mission's staff: the invite no longer lets them in


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"


class SessionKind(enum.StrEnum):
    TALK = "talk"
    B2B = "b2b"
    VISIT = "visit"
    MEAL = "meal"
    TRANSPORT = "transport"
    OTHER = "other"


class Audience(enum.StrEnum):
    EVERYONE = "everyone"
    TAGGED = "tagged"
    NAMED = "named"


class Mission(Base):
    __tablename__ = "missions"
    __table_args__ = (
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint(
            "capacity IS NULL OR seats_taken <= capacity", name="seats_within_capacity"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name_fr: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_fr: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    city: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # Stored upper-case: codes are typed by hand and compared without case.
    invite_code: Mapped[str] = mapped_column(String(32), unique=True)
    registration_open: Mapped[bool] = mapped_column(Boolean, default=True)
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    # Seats held by pending and confirmed registrations; changed only by one guarded UPDATE
    # so that concurrent registrations can never exceed the capacity.
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped by every change to sessions, venues or FAQ, so caches built from them
    # (the question index) know when to rebuild, in this process or another.
    content_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Minutes before a session that delegates are reminded, unless they chose otherwise.
    reminder_minutes: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    # Local wall times as minutes after midnight (450 is 07:30); None turns the feature off.
    # The daily briefing goes at `briefing_minute` on mission days; briefings, travel
    # reminders and schedule-change notices due within quiet hours wait for their end.
    briefing_minute: Mapped[int | None] = mapped_column(
        Integer, nullable=True, default=450, server_default="450"
    )
    quiet_start_minute: Mapped[int | None] = mapped_column(
        Integer, nullable=True, default=1320, server_default="1320"
    )
    quiet_end_minute: Mapped[int | None] = mapped_column(
        Integer, nullable=True, default=420, server_default="420"
    )
    # Keys of the sessions that are the trip out and back, and of the delegation's hotel;
    # None picks them from the agenda (see bot/services/reminders.py).
    travel_outbound_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    travel_return_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hotel_venue_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    def name(self, locale: str) -> str:
        return self.name_fr if locale == "fr" else self.name_en


class Delegate(Base):
    """A Telegram user known to the bot, whether or not registered to a mission."""

    __tablename__ = "delegates"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    # The language the person chose with /language; None follows Telegram's language_code.
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    telegram_language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    home_timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The mission this person last chose to look at (several missions per delegate).
    current_mission_id: Mapped[int | None] = mapped_column(
        ForeignKey("missions.id", ondelete="SET NULL"), nullable=True
    )
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    # Minutes before a session to be reminded: None follows the mission, 0 is off.
    reminder_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The morning briefing with the day's agenda (on by default).
    briefing: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)

    registrations: Mapped[list[Registration]] = relationship(
        back_populates="delegate", cascade="all, delete-orphan", passive_deletes=True
    )


class Registration(Base):
    """A delegate in a mission, with the profile given for that trip."""

    __tablename__ = "registrations"
    __table_args__ = (UniqueConstraint("mission_id", "delegate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id", ondelete="CASCADE"))
    delegate_id: Mapped[int] = mapped_column(ForeignKey("delegates.id", ondelete="CASCADE"))
    status: Mapped[RegistrationStatus] = mapped_column(_enum(RegistrationStatus, "reg_status"))
    full_name: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[str] = mapped_column(String(160))
    title: Mapped[str | None] = mapped_column(String(160), nullable=True)
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(32))
    dietary: Mapped[str | None] = mapped_column(String(500), nullable=True)
    accessibility: Mapped[str | None] = mapped_column(String(500), nullable=True)
    arrival: Mapped[str | None] = mapped_column(String(500), nullable=True)
    departure: Mapped[str | None] = mapped_column(String(500), nullable=True)
    hotel: Mapped[str | None] = mapped_column(String(500), nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    mission: Mapped[Mission] = relationship()
    delegate: Mapped[Delegate] = relationship(back_populates="registrations")


class RoleGrant(Base):
    """Admin (mission_id NULL, global) or coordinator of one mission, by Telegram user id.

    Keyed by Telegram id rather than delegate row so that an admin can be granted before
    ever talking to the bot.
    """

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("telegram_id", "role", "mission_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, index=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    mission_id: Mapped[int | None] = mapped_column(
        ForeignKey("missions.id", ondelete="CASCADE"), nullable=True
    )
    granted_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Venue(Base):
    __tablename__ = "venues"
    __table_args__ = (UniqueConstraint("mission_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    notes_fr: Mapped[str] = mapped_column(Text, default="")
    notes_en: Mapped[str] = mapped_column(Text, default="")


agenda_item_attendees = Table(
    "agenda_item_attendees",
    Base.metadata,
    Column(
        "agenda_item_id",
        ForeignKey("agenda_items.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("delegate_id", ForeignKey("delegates.id", ondelete="CASCADE"), primary_key=True),
)


class AgendaItem(Base):
    """A session ("séance") of a mission's agenda."""

    __tablename__ = "agenda_items"
    __table_args__ = (
        UniqueConstraint("mission_id", "key"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    title_fr: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    description_fr: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The zone the organiser wrote the times in (a flight from Montreal); shown beside
    # the mission's zone when it differs.
    local_timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    venue_id: Mapped[int | None] = mapped_column(
        ForeignKey("venues.id", ondelete="SET NULL"), nullable=True
    )
    room: Mapped[str | None] = mapped_column(String(120), nullable=True)
    kind: Mapped[SessionKind] = mapped_column(_enum(SessionKind, "session_kind"))
    audience: Mapped[Audience] = mapped_column(_enum(Audience, "audience"))
    audience_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    venue: Mapped[Venue | None] = relationship()


class FaqEntry(Base):
    __tablename__ = "faq_entries"
    __table_args__ = (UniqueConstraint("mission_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    question_fr: Mapped[str] = mapped_column(Text)
    question_en: Mapped[str] = mapped_column(Text)
    answer_fr: Mapped[str] = mapped_column(Text)
    answer_en: Mapped[str] = mapped_column(Text)


class AuditRecord(Base):
    """Who changed what. Details hold ids and field names, never personal data."""

    __tablename__ = "audit_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor_telegram_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    mission_id: Mapped[int | None] = mapped_column(
        ForeignKey("missions.id", ondelete="SET NULL"), nullable=True
    )
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class QuestionStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


class Question(Base):
    """A delegate's question the bot could not answer, passed to the mission's coordinators."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id", ondelete="CASCADE"))
    delegate_id: Mapped[int] = mapped_column(
        ForeignKey("delegates.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[QuestionStatus] = mapped_column(_enum(QuestionStatus, "question_status"))
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The name the coordinator who answered goes by on Telegram, shown to the other staff.
    answered_by_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    BLOCKED = "blocked"  # 403: the person blocked the bot or deleted the account
    FAILED = "failed"  # permanent error, or retries exhausted
    CANCELLED = "cancelled"


class OutboxMessage(Base):
    """One message to send, written in the same transaction as the change that causes it.

    The text is already rendered in the recipient's language. The sender claims due rows,
    sends them at Telegram's pace and records each outcome here.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # broadcast, notice, reminder, answer
    broadcast_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    delegate_id: Mapped[int | None] = mapped_column(
        ForeignKey("delegates.id", ondelete="SET NULL"), nullable=True
    )
    text: Mapped[str] = mapped_column(Text)
    # Inline keyboard as the Bot API's JSON (callback data only: never a secret).
    reply_markup: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # An attachment: {"type": "photo"|"document", "file_id": ...} or {"type": "venue", ...};
    # or {"type": "edit_markup", "message_id": ...}: new buttons for a message sent before.
    media: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus, "outbox_status"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set on the claim; a row still "sending" long after it was claimed was in flight
    # when a sender died, and goes back to the queue.
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # For messages that must exist once at most (a reminder for one session and delegate).
    dedupe_key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class BroadcastStatus(enum.StrEnum):
    SENDING = "sending"  # queued in the outbox (possibly for later), not all outcomes known
    DONE = "done"
    CANCELLED = "cancelled"


class Broadcast(Base):
    """A coordinator's message to part of a delegation; one outbox row per recipient."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id", ondelete="CASCADE"))
    author_telegram_id: Mapped[int] = mapped_column(BigInteger)
    # confirmed, pending, tag (value: the tag), named (value: delegate ids), coordinators
    audience: Mapped[str] = mapped_column(String(20))
    audience_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    text_fr: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    status: Mapped[BroadcastStatus] = mapped_column(_enum(BroadcastStatus, "broadcast_status"))
    send_at: Mapped[datetime] = mapped_column(UtcDateTime)
    total: Mapped[int] = mapped_column(Integer, default=0)
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
