"""Questions passed to the coordinators, and their answers back to the delegate."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.i18n import N_, gettext, pick_locale, render, split_text
from bot.outbox import Outgoing, enqueue
from models import (
    AuditRecord,
    Delegate,
    Mission,
    OutboxMessage,
    OutboxStatus,
    Question,
    QuestionStatus,
    Registration,
    Role,
    RoleGrant,
)

MAX_QUESTION = 1000
ANSWERED_BY = N_("✓ Answered by %(name)s")


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuestionView:
    id: int
    mission_id: int
    mission_name_fr: str
    mission_name_en: str
    mission_timezone: str
    text: str
    language: str
    status: QuestionStatus
    asked_at: datetime
    asker_name: str
    asker_telegram_id: int
    asker_locale: str
    answer: str | None
    answered_by_name: str | None = None
    answered_at: datetime | None = None

    def mission_name(self, locale: str) -> str:
        return self.mission_name_fr if locale == "fr" else self.mission_name_en


def has_words(text: str) -> bool:
    """Whether the text has a letter or a digit: emoji or punctuation alone ask nothing
    that could be answered or passed on."""
    return any(c.isalnum() for c in text)


def fit_question(text: str, limit: int = MAX_QUESTION) -> tuple[str, bool]:
    """The question as stored: at most `limit` characters, cut after a whole word with
    '…' when longer. Returns the text and whether it was shortened."""
    text = text.strip()
    if len(text) <= limit:
        return text, False
    cut = text[: limit - 1]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…", True


@dataclass(frozen=True)
class Asked:
    """A question passed on: what was stored, how many staff were told, and whether it
    had to be shortened (the delegate is told so)."""

    question: QuestionView
    told: int
    shortened: bool


@dataclass(frozen=True)
class Recipient:
    telegram_id: int
    locale: str


async def _view(session: AsyncSession, question: Question) -> QuestionView:
    delegate = await session.get(Delegate, question.delegate_id)
    mission = await session.get(Mission, question.mission_id)
    assert delegate is not None
    assert mission is not None
    registration = await session.scalar(
        select(Registration).where(
            Registration.delegate_id == delegate.id, Registration.mission_id == mission.id
        )
    )
    return QuestionView(
        id=question.id,
        mission_id=mission.id,
        mission_name_fr=mission.name_fr,
        mission_name_en=mission.name_en,
        mission_timezone=mission.timezone,
        text=question.text,
        language=question.language,
        status=question.status,
        asked_at=question.asked_at,
        asker_name=registration.full_name if registration else "?",
        asker_telegram_id=delegate.telegram_id,
        asker_locale=delegate.language or pick_locale(delegate.telegram_language),
        answer=question.answer,
        answered_by_name=question.answered_by_name,
        answered_at=question.answered_at,
    )


async def ask(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    delegate_id: int,
    mission_id: int,
    text: str,
    language: str,
) -> Asked:
    """Store the question and, in the same transaction, queue it for each coordinator in
    their own language with a Reply button."""
    stored, shortened = fit_question(text)
    async with sessions.begin() as session:
        question = Question(
            mission_id=mission_id,
            delegate_id=delegate_id,
            text=stored,
            language=language,
            status=QuestionStatus.OPEN,
            asked_at=clock.now(),
        )
        session.add(question)
        await session.flush()
        view = await _view(session, question)
        staff = await staff_of(session, mission_id, language)
        outgoing = []
        for recipient in staff:
            message = render(
                "❓ <b>Question from %(name)s</b> (%(mission)s):\n\n%(text)s",
                recipient.locale,
                name=view.asker_name,
                mission=view.mission_name(recipient.locale),
                text=view.text,
            )
            reply = render("↩ Reply", recipient.locale)
            markup = {"inline_keyboard": [[{"text": reply, "callback_data": f"qr:{question.id}"}]]}
            # Keyed so that the alerts can be found again and marked answered.
            outgoing += [
                Outgoing(
                    recipient.telegram_id,
                    part,
                    kind="question",
                    reply_markup=markup,
                    dedupe_key=f"{_alert_key(question.id)}{recipient.telegram_id}:{index}",
                )
                for index, part in enumerate(split_text(message))
            ]
        enqueue(session, clock, outgoing)
        return Asked(view, len(staff), shortened)


def _alert_key(question_id: int) -> str:
    return f"question:{question_id}:"


def _answered_markup(question_id: int, name: str, locale: str) -> dict[str, Any]:
    # A button's text is not HTML: the name goes in as it is, not escaped.
    label = gettext(ANSWERED_BY, locale) % {"name": name}
    return {"inline_keyboard": [[{"text": label, "callback_data": f"qr:{question_id}"}]]}


async def _mark_alerts_answered(
    session: AsyncSession, clock: Clock, question: Question, name: str
) -> int:
    """The alerts of a question, in each staff member's chat, show who answered it: the
    button of those sent is edited (through the outbox), those not yet sent go out so.
    Returns how many edits were queued."""
    alerts = await session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.dedupe_key.like(_alert_key(question.id) + "%"),
            OutboxMessage.kind == "question",
        )
    )
    edits = []
    for alert in alerts:
        locale = await _locale_of(session, alert.chat_id, question.language)
        markup = _answered_markup(question.id, name, locale)
        if alert.status == OutboxStatus.QUEUED:
            alert.reply_markup = markup
        elif alert.status == OutboxStatus.SENT and alert.telegram_message_id is not None:
            media = {"type": "edit_markup", "message_id": alert.telegram_message_id}
            edits.append(
                Outgoing(alert.chat_id, "", kind="question_edit", reply_markup=markup, media=media)
            )
    return enqueue(session, clock, edits)


async def _locale_of(session: AsyncSession, telegram_id: int, fallback: str) -> str:
    delegate = await session.scalar(select(Delegate).where(Delegate.telegram_id == telegram_id))
    if delegate is None:
        return pick_locale(fallback)
    return delegate.language or pick_locale(delegate.telegram_language)


async def staff_of(session: AsyncSession, mission_id: int, fallback: str) -> list[Recipient]:
    """Who hears about a mission's questions and waiting registrations: its coordinators who
    can be reached (they have opened the bot and not blocked it), else the admins. Someone
    who never wrote to the bot has no language yet: `fallback`, the question's language."""
    grants = list(
        await session.scalars(
            select(RoleGrant).where(
                or_(
                    (RoleGrant.role == Role.COORDINATOR) & (RoleGrant.mission_id == mission_id),
                    RoleGrant.role == Role.ADMIN,
                )
            )
        )
    )
    people = {
        d.telegram_id: d
        for d in await session.scalars(
            select(Delegate).where(Delegate.telegram_id.in_({g.telegram_id for g in grants}))
        )
    }
    coordinators = [
        g
        for g in grants
        if g.role == Role.COORDINATOR
        and g.telegram_id in people
        and not people[g.telegram_id].unreachable
    ]
    # An admin from BOT_ADMIN_IDS may not have written yet: tried all the same.
    admins = [
        g
        for g in grants
        if g.role == Role.ADMIN
        and not (g.telegram_id in people and people[g.telegram_id].unreachable)
    ]
    chosen = coordinators or admins
    if not chosen:
        log.warning("mission %d: no coordinator or admin can be reached", mission_id)
    recipients = []
    for telegram_id in dict.fromkeys(g.telegram_id for g in chosen):
        person = people.get(telegram_id)
        locale = pick_locale(fallback)
        if person is not None:
            locale = person.language or pick_locale(person.telegram_language)
        recipients.append(Recipient(telegram_id, locale))
    return recipients


def may_answer(is_admin: bool, coordinator_of: frozenset[int], mission_id: int) -> bool:
    return is_admin or mission_id in coordinator_of


async def question_for_staff(
    sessions: async_sessionmaker[AsyncSession],
    question_id: int,
    is_admin: bool,
    coordinator_of: frozenset[int],
) -> QuestionView | None:
    """A question, only for staff of its mission (button ids can be forged)."""
    async with sessions() as session:
        question = await session.get(Question, question_id)
        if question is None or not may_answer(is_admin, coordinator_of, question.mission_id):
            return None
        return await _view(session, question)


async def answer_question(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    question_id: int,
    text: str,
    staff_telegram_id: int,
    is_admin: bool,
    coordinator_of: frozenset[int],
    staff_name: str = "",
) -> QuestionView | None:
    """Record the answer, queue it for the delegate, and mark the question answered (by
    `staff_name`, the coordinator's Telegram name) in every staff member's alert."""
    async with sessions.begin() as session:
        question = await session.get(Question, question_id)
        if question is None or not may_answer(is_admin, coordinator_of, question.mission_id):
            return None
        name = staff_name.strip()[:120] or None
        # A second answer by the same person leaves the alerts as they are (Telegram
        # refuses an edit that changes nothing).
        marked = question.status == QuestionStatus.ANSWERED and question.answered_by_name == name
        question.answer = text.strip()[: MAX_QUESTION * 4]
        question.status = QuestionStatus.ANSWERED
        question.answered_by = staff_telegram_id
        question.answered_by_name = name
        question.answered_at = clock.now()
        if not marked:
            await _mark_alerts_answered(session, clock, question, (name or "?")[:60])
        session.add(
            AuditRecord(
                at=clock.now(),
                actor_telegram_id=staff_telegram_id,
                action="question.answer",
                mission_id=question.mission_id,
                details={"question_id": question.id},
            )
        )
        view = await _view(session, question)
        message = render(
            "💬 <b>The coordinators answered your question</b>\n“%(question)s”\n\n%(answer)s",
            view.asker_locale,
            question=view.text,
            answer=question.answer,
        )
        enqueue(
            session,
            clock,
            [
                Outgoing(
                    view.asker_telegram_id, part, kind="answer", delegate_id=question.delegate_id
                )
                for part in split_text(message)
            ],
        )
        return view


async def open_questions(
    sessions: async_sessionmaker[AsyncSession], is_admin: bool, coordinator_of: frozenset[int]
) -> list[QuestionView]:
    async with sessions() as session:
        query = select(Question).where(Question.status == QuestionStatus.OPEN)
        if not is_admin:
            query = query.where(Question.mission_id.in_(coordinator_of))
        rows = await session.scalars(query.order_by(Question.asked_at).limit(20))
        return [await _view(session, q) for q in rows]


async def answered_questions(
    sessions: async_sessionmaker[AsyncSession],
    is_admin: bool,
    coordinator_of: frozenset[int],
    limit: int = 5,
) -> list[QuestionView]:
    """The last questions answered, latest first."""
    async with sessions() as session:
        query = select(Question).where(Question.status == QuestionStatus.ANSWERED)
        if not is_admin:
            query = query.where(Question.mission_id.in_(coordinator_of))
        rows = await session.scalars(
            query.order_by(Question.answered_at.desc(), Question.id.desc()).limit(limit)
        )
        return [await _view(session, q) for q in rows]


async def my_questions(
    sessions: async_sessionmaker[AsyncSession], delegate_id: int
) -> list[QuestionView]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Question)
            .where(Question.delegate_id == delegate_id)
            .order_by(Question.asked_at.desc())
            .limit(10)
        )
        return [await _view(session, q) for q in rows]
