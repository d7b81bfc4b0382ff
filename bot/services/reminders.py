"""Reminders before sessions, derived from the database every time (agenda x registrations x
settings), never from in-memory jobs.

`enqueue_due` runs every few seconds: for each reminder due soon it writes one outbox row,
rendered in the delegate's language, under a unique key (delegate, session, due instant), so
a reminder is queued once however often this runs or restarts. Reminders missed while the
bot was down are still sent if the session has not started and they are at most `grace`
late; otherwise they are skipped and counted in the log. A queued reminder whose session
moved, was cancelled or is no longer the delegate's is cancelled before it goes out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.i18n import format_clock, pick_locale, render, zone_city
from bot.outbox import Outgoing, enqueue
from models import (
    AgendaItem,
    Audience,
    Delegate,
    Mission,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    Venue,
    agenda_item_attendees,
)

log = logging.getLogger(__name__)

CHOICES = (15, 30, 60, 120, 0)  # minutes; 0 is off
LOOKAHEAD = timedelta(minutes=5)  # rows are written at most this long before they are due
GRACE = timedelta(minutes=20)


@dataclass(frozen=True)
class Due:
    key: str
    chat_id: int
    delegate_id: int
    due: datetime
    text: str


def _key(delegate_id: int, item_id: int, due: datetime) -> str:
    return f"reminder:{delegate_id}:{item_id}:{due:%Y%m%dT%H%M%SZ}"


async def _expected(session: AsyncSession, now: datetime) -> tuple[list[Due], int]:
    """Every reminder due between now - GRACE and now + LOOKAHEAD; and how many are past use."""
    latest_start = now + LOOKAHEAD + timedelta(minutes=max(CHOICES))
    rows = (
        await session.execute(
            select(AgendaItem, Mission, Venue)
            .join(Mission, AgendaItem.mission_id == Mission.id)
            .outerjoin(Venue, AgendaItem.venue_id == Venue.id)
            .where(
                AgendaItem.cancelled.is_(False),
                AgendaItem.starts_at > now - GRACE,
                AgendaItem.starts_at <= latest_start,
            )
        )
    ).all()
    if not rows:
        return [], 0
    mission_ids = {mission.id for _i, mission, _v in rows}
    people = (
        await session.execute(
            select(Registration, Delegate)
            .join(Delegate, Registration.delegate_id == Delegate.id)
            .where(
                Registration.mission_id.in_(mission_ids),
                Registration.status == RegistrationStatus.CONFIRMED,
                Delegate.unreachable.is_(False),
            )
        )
    ).all()
    named = {(row[0], row[1]) for row in await session.execute(select(agenda_item_attendees))}
    expected: list[Due] = []
    too_late = 0
    for item, mission, venue in rows:
        for registration, delegate in people:
            if registration.mission_id != mission.id:
                continue
            if item.audience == Audience.TAGGED and not set(item.audience_tags) & set(
                registration.tags or []
            ):
                continue
            if item.audience == Audience.NAMED and (item.id, delegate.id) not in named:
                continue
            lead = delegate.reminder_minutes
            lead = mission.reminder_minutes if lead is None else lead
            if not lead:
                continue
            due = item.starts_at - timedelta(minutes=lead)
            if due > now + LOOKAHEAD:
                continue
            if due < now - GRACE or item.starts_at <= now:
                too_late += 1
                continue
            locale = delegate.language or pick_locale(delegate.telegram_language)
            expected.append(
                Due(
                    _key(delegate.id, item.id, due),
                    delegate.telegram_id,
                    delegate.id,
                    due,
                    _text(item, mission, venue, lead, locale),
                )
            )
    return expected, too_late


def _text(item: AgendaItem, mission: Mission, venue: Venue | None, lead: int, locale: str) -> str:
    title = item.title_fr if locale == "fr" else item.title_en
    lines = [
        render(
            "⏰ In %(minutes)s minutes: <b>%(title)s</b>",
            locale,
            minutes=lead,
            title=title,
        ),
        render(
            "%(time)s (%(city)s time)",
            locale,
            time=format_clock(item.starts_at, mission.timezone, locale),
            city=zone_city(mission.timezone, locale),
        ),
    ]
    if venue is not None:
        place = venue.name + (f" · {item.room}" if item.room else "")
        lines.append(render("📍 %(place)s", locale, place=place))
    return "\n".join(lines)


async def enqueue_due(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> int:
    """Queue the reminders now due (or due within LOOKAHEAD); cancel those no longer right.
    Returns how many were queued."""
    now = clock.now()
    async with sessions.begin() as session:
        expected, too_late = await _expected(session, now)
        keys = {d.key for d in expected}
        pending = list(
            await session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.kind == "reminder",
                    OutboxMessage.status == OutboxStatus.QUEUED,
                )
            )
        )
        stale = [row.id for row in pending if row.dedupe_key not in keys]
        if stale:  # the session moved, was cancelled, or the delegate changed settings
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(stale))
                .values(status=OutboxStatus.CANCELLED)
                .execution_options(synchronize_session=False)
            )
        existing = set(
            await session.scalars(
                select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys))
            )
        ) if keys else set()  # fmt: skip
        fresh = [d for d in expected if d.key not in existing]
        enqueue(
            session,
            clock,
            [
                Outgoing(
                    d.chat_id,
                    d.text,
                    kind="reminder",
                    delegate_id=d.delegate_id,
                    dedupe_key=d.key,
                    not_before=max(d.due, now),
                )
                for d in fresh
            ],
        )
    if too_late:
        log.info("skipped %d reminder(s) no longer useful (session started or too late)", too_late)
    return len(fresh)


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


async def lead_of(sessions: async_sessionmaker[AsyncSession], delegate_id: int) -> int:
    async with sessions() as session:
        delegate = await session.get(Delegate, delegate_id)
        if delegate is None:
            return 30
        if delegate.reminder_minutes is not None:
            return delegate.reminder_minutes
        mission = (
            await session.get(Mission, delegate.current_mission_id)
            if delegate.current_mission_id
            else None
        )
        return mission.reminder_minutes if mission else 30
