"""Schedule-change notices: when a session moves or is cancelled, the delegates who have it
in their personal agenda (and only them) are told, each in their language, through the
outbox, in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.i18n import format_moment, pick_locale, render
from bot.outbox import Outgoing, enqueue
from bot.services.reminders import admits, agenda_changed, mission_hold
from models import (
    AgendaItem,
    Audience,
    Delegate,
    Mission,
    Registration,
    RegistrationStatus,
    agenda_item_attendees,
)


async def _audience(session: AsyncSession, item: AgendaItem) -> list[tuple[int, int, str]]:
    """(telegram id, delegate id, locale) of confirmed, reachable delegates who see `item`."""
    rows = (
        await session.execute(
            select(Registration, Delegate)
            .join(Delegate, Registration.delegate_id == Delegate.id)
            .where(
                Registration.mission_id == item.mission_id,
                Registration.status == RegistrationStatus.CONFIRMED,
                Delegate.unreachable.is_(False),
            )
        )
    ).all()
    named: set[int] = set()
    if item.audience == Audience.NAMED:
        named = set(
            await session.scalars(
                select(agenda_item_attendees.c.delegate_id).where(
                    agenda_item_attendees.c.agenda_item_id == item.id
                )
            )
        )
    people = []
    for registration, delegate in rows:
        if not admits(item, registration.tags or (), delegate.id in named):
            continue
        locale = delegate.language or pick_locale(delegate.telegram_language)
        people.append((delegate.telegram_id, delegate.id, locale))
    return people


async def _tell(
    session: AsyncSession,
    clock: Clock,
    item: AgendaItem,
    text: Callable[[str, str, str], str],
    first_start: datetime,
) -> int:
    """Queue `text(locale, title, zone)` for each delegate who has `item`, in their language.

    Within the mission's quiet hours the notice waits for their end, unless the session
    (`first_start`: the earlier of its old and new start) comes before that."""
    mission = await session.get(Mission, item.mission_id)
    assert mission is not None
    await agenda_changed(session, item)
    release = mission_hold(mission, clock.now())
    not_before = release if release < first_start else None
    people = await _audience(session, item)
    enqueue(
        session,
        clock,
        [
            Outgoing(
                telegram_id,
                text(locale, item.title_fr if locale == "fr" else item.title_en, mission.timezone),
                kind="notice",
                delegate_id=delegate_id,
                not_before=not_before,
            )
            for telegram_id, delegate_id, locale in people
        ],
    )
    return len(people)


async def session_moved(
    session: AsyncSession, clock: Clock, item: AgendaItem, old_start: datetime
) -> int:
    if max(item.starts_at, old_start) <= clock.now():
        return 0  # a session in the past: nobody needs telling
    return await _tell(
        session,
        clock,
        item,
        lambda locale, title, zone: render(
            "🕑 <b>Schedule change</b>: %(title)s\n%(old)s → %(new)s",
            locale,
            title=title,
            old=format_moment(old_start, zone, locale),
            new=format_moment(item.starts_at, zone, locale),
        ),
        min(item.starts_at, old_start),
    )


async def session_cancelled(session: AsyncSession, clock: Clock, item: AgendaItem) -> int:
    if item.starts_at <= clock.now():
        return 0
    return await _tell(
        session,
        clock,
        item,
        lambda locale, title, zone: render(
            "✖ <b>Cancelled</b>: %(title)s\n%(when)s",
            locale,
            title=title,
            when=format_moment(item.starts_at, zone, locale),
        ),
        item.starts_at,
    )
