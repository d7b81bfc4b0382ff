"""Plain-text questions, answered in the language they are asked in; and questions passed
to the coordinators (/ask, /questions, the Reply button) with their answers sent back."""

from __future__ import annotations

import logging
import re
import warnings
from datetime import timedelta

from babel.numbers import format_decimal
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.commands import names
from bot.context import BotContext
from bot.i18n import escape, format_moment, get_locale, render, use_locale
from bot.services import agenda as svc
from bot.services import editing, inbox
from bot.services.questions import AnswerKind, Match, Understanding, answer_question
from bot.views import dated_button_title, now_next, session_card, shorten, venue_card
from handlers.agenda import (
    date_problem,
    expired,
    send_venue_pin,
    session_keyboard,
    show_agenda_day,
)
from handlers.common import (
    Handlers,
    answer,
    button_data,
    edit_or_send,
    inline,
    mission_buttons,
    not_registered,
    restricted,
    say,
    send,
)
from models import QuestionStatus, Role

log = logging.getLogger(__name__)
LAST_QUESTION = "last_question"
WAIT_ANSWER = 0


async def plain_text(update: Update, context: BotContext) -> None:
    assert update.message is not None
    text = (update.message.text or "").strip()
    found = await svc.viewer(context.db, context.me)
    if found is None:
        await not_registered(update, context)
        return
    if isinstance(found, svc.MissionChoice):
        keyboard = mission_buttons(found.missions, "agenda", get_locale())
        await say(
            update, "Which mission is your question about? Pick one, then ask again.", keyboard
        )
        return
    if not inbox.has_words(text):
        await _in_words(update)
        return
    assert context.user_data is not None
    context.user_data[LAST_QUESTION] = text  # passed on whole, or shortened and told so
    now = context.clock.now()
    understood = await answer_question(context.db, found, text, now, context.me.locale)
    with use_locale(understood.language):
        await _reply(update, context, found, understood)


async def _in_words(update: Update) -> None:
    await say(update, "Please type your question in words: for example, where is the gala dinner?")


async def _reply(
    update: Update, context: BotContext, viewer: svc.Viewer, understood: Understanding
) -> None:
    match = understood.match
    if understood.kind == AnswerKind.SESSION and match is not None:
        found = await svc.session_for(context.db, context.me, match.ref_id)
        if found is not None:
            await _send_session(update, context, found, understood.also)
            return
    elif understood.kind == AnswerKind.VENUE and match is not None:
        place = await svc.venue_for(context.db, context.me, match.ref_id)
        if place is not None:
            now = context.clock.now()
            await send_venue_pin(update, place[1])
            upcoming = await svc.next_at_venue(context.db, viewer, place[1].id, now)
            await send(update, venue_card(viewer, place[1], upcoming, now))
            return
    elif understood.kind == AnswerKind.FAQ and match is not None:
        entry = await svc.faq_for(context.db, context.me, match.ref_id)
        if entry is not None:
            await _send_faq(update, entry)
            return
    elif understood.kind == AnswerKind.DAY:
        if understood.day_problem is not None:
            await date_problem(update, understood.day_problem, viewer)
            return
        if understood.day is not None:
            await show_agenda_day(update, context, viewer, understood.day)
            return
    elif understood.kind == AnswerKind.NEXT:
        now = context.clock.now()
        await send(update, now_next(viewer, await svc.now_and_next(context.db, viewer, now), now))
        return
    await _not_sure(update, context, understood)


async def _send_session(
    update: Update,
    context: BotContext,
    found: tuple[svc.Viewer, svc.SessionView],
    also: tuple[Match, ...],
) -> None:
    """The session's card; below it, the other sessions the question fits as well, in
    time order, each a button that opens its own card."""
    viewer, item = found
    text, keyboard = session_card(viewer, item), session_keyboard(viewer, item)
    others = [s for a in also if (s := await svc.session_for(context.db, context.me, a.ref_id))]
    if others:
        text += "\n\n" + render("Other sessions fit your question too:")
        rows = [
            [(dated_button_title(other, seen), f"sa:{other.id}")]
            for seen, other in sorted(others, key=lambda found: found[1].starts_at)
        ]
        keyboard = InlineKeyboardMarkup([*inline(rows).inline_keyboard, *keyboard.inline_keyboard])
    await send(update, text, keyboard)


async def _send_faq(update: Update, entry: svc.FaqView, staff: bool = False) -> None:
    locale = get_locale()
    text = f"❓ <b>{escape(entry.question(locale))}</b>\n\n{escape(entry.answer(locale))}"
    edit = inline([[(render("✏ Edit"), f"em:f:{entry.id}")]]) if staff else None
    await send(update, text, edit)


async def faq_list(update: Update, context: BotContext) -> None:
    found = await svc.viewer(context.db, context.me)
    if found is None:
        await not_registered(update, context)
        return
    if isinstance(found, svc.MissionChoice):
        keyboard = mission_buttons(found.missions, "faq", get_locale())
        await say(update, "Which mission?", keyboard)
        return
    entries = await svc.faq_entries(context.db, found)
    if not entries:
        await say(update, "No practical information yet for this mission.")
        return
    locale = get_locale()
    rows = [[(_short(e.question(locale), 60), f"f:{e.id}")] for e in entries]
    await say(update, "Practical information: tap a question.", inline(rows))


async def _not_sure(update: Update, context: BotContext, understood: Understanding) -> None:
    rows: list[list[tuple[str, str]]] = []
    locale = get_locale()
    for alternative in understood.alternatives:
        label = await _label(context, alternative.kind, alternative.ref_id, locale)
        if label:
            prefix = {"session": "s", "venue": "v", "faq": "f"}[alternative.kind.value]
            rows.append([(label, f"{prefix}:{alternative.ref_id}")])
    rows.append([(render("✉ Ask the coordinators"), "askq")])
    if understood.alternatives:
        text = render("I am not sure I understood. Did you mean one of these?")
    else:
        text = render(
            "Sorry, I do not know the answer. You can pass your question to the coordinators, "
            "or try /agenda, /next or /venue."
        )
    await send(update, text, inline(rows))


async def _label(context: BotContext, kind: AnswerKind, ref_id: int, locale: str) -> str | None:
    if kind == AnswerKind.SESSION:
        found = await svc.session_for(context.db, context.me, ref_id)
        return dated_button_title(found[1], found[0]) if found else None
    if kind == AnswerKind.VENUE:
        place = await svc.venue_for(context.db, context.me, ref_id)
        return f"📍 {_short(place[1].name)}" if place else None
    entry = await svc.faq_for(context.db, context.me, ref_id)
    return f"❓ {_short(entry.question(locale))}" if entry else None


def _short(text: str, limit: int = 45) -> str:
    return shorten(text, limit)


async def faq_button(update: Update, context: BotContext) -> None:
    raw = button_data(update).removeprefix("f:")
    entry = await svc.faq_for(context.db, context.me, int(raw)) if raw.isdigit() else None
    if entry is None:
        await expired(update)
        return
    await answer(update)
    mission_id = await editing.mission_of(context.db, "f", entry.id)
    staff = mission_id is not None and editing.may_edit(context.me, mission_id)
    await _send_faq(update, entry, staff)


# --- questions to the coordinators -----------------------------------------------------


async def ask_command(update: Update, context: BotContext) -> None:
    text = " ".join(context.args or []).strip()
    if not text:
        await _my_questions(update, context)
        return
    await _pass_on(update, context, text)


async def ask_button(update: Update, context: BotContext) -> None:
    await answer(update)
    text = (context.user_data or {}).get(LAST_QUESTION)
    if not text:
        await say(update, "Send /ask followed by your question, and I will pass it on.")
        return
    await _pass_on(update, context, str(text))
    assert context.user_data is not None
    context.user_data.pop(LAST_QUESTION, None)  # one tap, one question


async def _pass_on(update: Update, context: BotContext, text: str) -> None:
    found = await svc.viewer(context.db, context.me)
    if isinstance(found, svc.MissionChoice):
        keyboard = mission_buttons(found.missions, "agenda", get_locale())
        await say(
            update, "Which mission is your question about? Pick one, then ask again.", keyboard
        )
        return
    if found is None:
        await not_registered(update, context)
        return
    if not inbox.has_words(text):
        await _in_words(update)
        return
    asked = await inbox.ask(
        context.db, context.clock, context.me.delegate_id, found.mission.id, text, get_locale()
    )
    log.info("question %s queued for %d staff member(s)", asked.question.id, asked.told)
    sent = render("Your question was sent to the coordinators. I will send you their answer here.")
    if asked.shortened:
        sent += "\n" + render(
            "It was long: I kept its first %(limit)s characters.",
            limit=format_decimal(inbox.MAX_QUESTION, locale=get_locale()),
        )
    await send(update, sent)


async def _my_questions(update: Update, context: BotContext) -> None:
    mine = await inbox.my_questions(context.db, context.me.delegate_id)
    if not mine:
        await say(update, "Send /ask followed by your question, and I will pass it on.")
        return
    lines = [render("<b>Your questions</b>"), ""]
    for q in mine:
        status = (
            render("answered")
            if q.status == QuestionStatus.ANSWERED
            else render("waiting for an answer")
        )
        lines.append(f"• {escape(_short(q.text, 80))} — {status}")
    lines += ["", render("Send /ask followed by your question, and I will pass it on.")]
    await send(update, "\n".join(lines))


@restricted(Role.COORDINATOR)
async def open_questions(update: Update, context: BotContext) -> None:
    """The questions waiting for an answer, each with Reply; then the last ones answered."""
    me = context.me
    waiting = await inbox.open_questions(context.db, me.is_admin, me.coordinator_of)
    answered = await inbox.answered_questions(context.db, me.is_admin, me.coordinator_of)
    if not waiting:
        await say(update, "No question is waiting for an answer.")
    for q in waiting:
        text = render(
            "❓ <b>%(name)s</b>, %(when)s:\n%(text)s",
            name=q.asker_name,
            when=format_moment(q.asked_at, q.mission_timezone),
            text=q.text,
        )
        await send(update, text, inline([[(render("↩ Reply"), f"qr:{q.id}")]]))
    if answered:
        lines = [render("<b>Answered lately</b>")]
        for q in answered:
            lines += ["", _answered_line(q)]
        await send(update, "\n".join(lines))


def _answered_line(q: inbox.QuestionView) -> str:
    when = format_moment(q.answered_at, q.mission_timezone) if q.answered_at else ""
    return render(
        "✓ %(name)s: “%(text)s”\nanswered by %(staff)s, %(when)s",
        name=q.asker_name,
        text=_short(q.text, 80),
        staff=q.answered_by_name or render("a coordinator"),
        when=when,
    )


@restricted(Role.COORDINATOR)
async def start_reply(update: Update, context: BotContext) -> int | None:
    """Reply (qr:ID); for a question answered already, a confirm step first (qra:ID)."""
    match = re.fullmatch(r"qr(a?):(\d+)", button_data(update))
    me = context.me
    question = (
        await inbox.question_for_staff(context.db, int(match[2]), me.is_admin, me.coordinator_of)
        if match
        else None
    )
    await answer(update)
    if match is None or question is None:
        await say(update, "That button has expired. Send /help to see what you can do now.")
        return ConversationHandler.END
    assert context.user_data is not None
    context.user_data.pop("answering", None)
    if question.status == QuestionStatus.ANSWERED and not match[1]:
        text = render(
            "This question was already answered by %(staff)s, %(when)s:\n“%(answer)s”\n\n"
            "Send another answer to %(name)s?",
            staff=question.answered_by_name or render("a coordinator"),
            when=format_moment(question.answered_at, question.mission_timezone)
            if question.answered_at
            else "",
            answer=_short(question.answer or "", 300),
            name=question.asker_name,
        )
        keyboard = inline(
            [[(render("↩ Answer again"), f"qra:{question.id}")], [(render("No"), "qrn")]]
        )
        await send(update, text, keyboard)
        return ConversationHandler.END
    context.user_data["answering"] = question.id
    await say(
        update,
        "Type your answer to %(name)s:\n“%(text)s”\n\nOr send /cancel.",
        name=question.asker_name,
        text=question.text,
    )
    return WAIT_ANSWER


async def keep_answer(update: Update, context: BotContext) -> None:
    await edit_or_send(update, render("Cancelled: nothing was sent."))


async def receive_reply(update: Update, context: BotContext) -> int:
    assert update.message is not None
    assert context.user_data is not None
    question_id = context.user_data.pop("answering", None)
    me = context.me
    text = (update.message.text or "").strip()
    if not isinstance(question_id, int) or not text:
        await plain_text(update, context)  # no reply awaited any more: a question
        return ConversationHandler.END
    user = update.effective_user
    answered = await inbox.answer_question(
        context.db, context.clock, question_id, text, me.telegram_id, me.is_admin,
        me.coordinator_of, staff_name=user.full_name if user else "",
    )  # fmt: skip
    if answered is None:
        await say(update, "That button has expired. Send /help to see what you can do now.")
        return ConversationHandler.END
    # The answer itself was queued with the question's record, in the delegate's language.
    await say(update, "Sent to %(name)s.", name=answered.asker_name)
    return ConversationHandler.END


async def cancel_reply(update: Update, context: BotContext) -> int:
    if context.user_data is not None:
        context.user_data.pop("answering", None)
    await say(update, "Cancelled: nothing was sent.")
    return ConversationHandler.END


def reply_conversation() -> ConversationHandler[BotContext]:
    with warnings.catch_warnings():
        # Tracked per chat on purpose: one reply in progress per coordinator.
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return ConversationHandler(
            entry_points=[CallbackQueryHandler(start_reply, pattern=r"^qra?:")],
            states={
                WAIT_ANSWER: [
                    MessageHandler(
                        filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, receive_reply
                    )
                ]
            },
            fallbacks=[CommandHandler(names("cancel"), cancel_reply)],
            allow_reentry=True,
            conversation_timeout=timedelta(minutes=30),
            name="coordinator-reply",
        )


HANDLERS: Handlers = [
    CommandHandler(names("ask"), ask_command),
    CommandHandler(names("faq"), faq_list),
    CommandHandler(names("questions"), open_questions),
    CallbackQueryHandler(ask_button, pattern=r"^askq$"),
    CallbackQueryHandler(keep_answer, pattern=r"^qrn$"),
    CallbackQueryHandler(faq_button, pattern=r"^f:"),
]
TEXT_HANDLER = MessageHandler(
    filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, plain_text
)
