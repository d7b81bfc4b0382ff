"""Registration and profile: /start [invite], /register, /profile, and the questions between.

The draft lives in user_data until the delegate confirms; only then is anything written
(and a seat taken). /cancel at any step drops the draft.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
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
from bot.i18n import get_locale, gettext, render
from bot.services.profile import (
    FIELDS,
    Field,
    InvalidValue,
    display_value,
    next_field,
    validate,
)
from bot.services.registration import (
    MissionInfo,
    Refusal,
    enrol,
    my_registrations,
    open_invite,
    update_field,
)
from handlers.common import answer, button_data, edit_or_send, inline, say, send
from models import RegistrationStatus

ASK_CODE, ASK_FIELD, SUMMARY = range(3)
NEW = filters.UpdateType.MESSAGE  # edited messages are answered by the middleware
END = ConversationHandler.END
DRAFT = "registration_draft"
DRAFT_LIFETIME = timedelta(hours=2)


@dataclass
class Draft:
    """What the delegate has typed so far. `registration_id` set: editing a saved profile."""

    mission: MissionInfo | None = None
    values: dict[str, str | None] = field(default_factory=dict)
    asking: Field | None = None
    editing: bool = False  # one field from the summary or the profile, then back
    registration_id: int | None = None


def _draft(context: BotContext) -> Draft:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT)
    if not isinstance(draft, Draft):
        draft = Draft()
        context.user_data[DRAFT] = draft
    return draft


def _drop_draft(context: BotContext) -> None:
    assert context.user_data is not None
    context.user_data.pop(DRAFT, None)


# --- rendering -------------------------------------------------------------------------


def _status_text(status: RegistrationStatus) -> str:
    return {
        RegistrationStatus.CONFIRMED: render("confirmed"),
        RegistrationStatus.PENDING: render("waiting for approval"),
        RegistrationStatus.CANCELLED: render("cancelled"),
    }[status]


def _profile_lines(values: dict[str, str | None]) -> list[str]:
    return [
        render(
            "<b>%(label)s</b>: %(value)s",
            label=gettext(spec.label),
            value=display_value(spec.field, values.get(spec.field.value)) or "—",
        )
        for spec in FIELDS.values()
    ]


def _edit_buttons(prefix: str) -> list[list[tuple[str, str]]]:
    specs = list(FIELDS.values())
    return [
        [(gettext(spec.label), f"{prefix}{spec.field.value}") for spec in specs[i : i + 2]]
        for i in range(0, len(specs), 2)
    ]


async def _show_summary(update: Update, context: BotContext, note: str | None = None) -> int:
    draft = _draft(context)
    assert draft.mission is not None
    lines = [note, ""] if note else []
    lines += [
        render(
            "<b>Please check your details for %(mission)s</b>",
            mission=draft.mission.name(get_locale()),
        ),
        "",
        *_profile_lines(draft.values),
        "",
        render("Tap a field to change it, or confirm."),
    ]
    keyboard = inline(
        [
            [(render("✅ Confirm"), "reg:ok")],
            *_edit_buttons("reg:edit:"),
            [(render("✖ Cancel"), "reg:cancel")],
        ]
    )
    await edit_or_send(update, "\n".join(lines), keyboard)
    return SUMMARY


async def _ask(update: Update, context: BotContext, problem: str | None = None) -> int:
    draft = _draft(context)
    assert draft.asking is not None
    spec = FIELDS[draft.asking]
    text = render(spec.prompt)
    if problem:
        text = f"{problem}\n\n{text}"
    markup: Any = None
    if draft.asking == Field.PHONE:
        markup = ReplyKeyboardMarkup(
            [[KeyboardButton(render("📱 Share my phone number"), request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    elif not spec.required:
        markup = inline([[(render("Skip"), f"reg:skip:{draft.asking.value}")]])
    if update.callback_query is not None:
        await update.callback_query.answer()
    await send(update, text, markup)
    return ASK_FIELD


# --- entry points ----------------------------------------------------------------------


async def _list_missions(update: Update, context: BotContext) -> int:
    registrations = await my_registrations(context.db, context.me.delegate_id)
    lines = [render("Welcome back! Your missions:"), ""]
    for reg in registrations:
        lines.append(
            render(
                "• %(mission)s (%(city)s): %(status)s",
                mission=reg.mission.name(get_locale()),
                city=reg.mission.city,
                status=_status_text(reg.status),
            )
        )
    lines += ["", render("Send /profile to see your details, or /help for everything else.")]
    await send(update, "\n".join(lines))
    return END


async def _declined(update: Update, mission: str) -> None:
    await say(
        update,
        "Your registration for %(mission)s was not accepted. For any question, "
        "please contact the mission's organisers.",
        mission=mission,
    )


async def _begin_with_code(update: Update, context: BotContext, code: str) -> int:
    opening = await open_invite(context.db, context.me.delegate_id, code)
    if opening.refusal == Refusal.UNKNOWN_CODE or opening.mission is None:
        await say(
            update,
            "I do not know the invite code %(code)s. Check the link or code you received "
            "and send it again, or /cancel.",
            code=code[:40],
        )
        if await my_registrations(context.db, context.me.delegate_id):
            return END  # a registered person's next message is a question, not a code
        return ASK_CODE
    name = opening.mission.name(get_locale())
    if opening.refusal == Refusal.ALREADY:
        await say(update, "You are already registered for %(mission)s.", mission=name)
        return await _list_missions(update, context)
    if opening.refusal == Refusal.CLOSED:
        await say(
            update,
            "Registration for %(mission)s is closed. Please contact the organisers.",
            mission=name,
        )
        _drop_draft(context)
        return END
    if opening.refusal == Refusal.DECLINED:
        await _declined(update, name)
        _drop_draft(context)
        return END
    if opening.refusal == Refusal.FULL:
        await say(
            update,
            "Sorry, %(mission)s is full. Please contact the organisers to join the waiting list.",
            mission=name,
        )
        _drop_draft(context)
        return END
    draft = Draft(mission=opening.mission)
    assert context.user_data is not None
    context.user_data[DRAFT] = draft
    if opening.prefill:
        draft.values = dict(opening.prefill)
        return await _show_summary(
            update,
            context,
            render("I filled in the details you gave for your previous mission."),
        )
    await say(
        update,
        "Welcome to the delegation for <b>%(mission)s</b>! I will ask a few questions; "
        "send /cancel at any time to stop.",
        mission=name,
    )
    draft.asking = next_field(None)
    return await _ask(update, context)


async def start(update: Update, context: BotContext) -> int:
    code = context.args[0] if context.args else None
    if code:
        return await _begin_with_code(update, context, code)
    if await my_registrations(context.db, context.me.delegate_id):
        return await _list_missions(update, context)
    await say(
        update,
        "Hello! I am the delegation assistant: agenda, venues and updates for your mission, "
        "in French or English.\n\nPlease send me your <b>invite code</b> "
        "(it is in the invitation you received).",
    )
    return ASK_CODE


async def register(update: Update, context: BotContext) -> int:
    code = context.args[0] if context.args else None
    if code:
        return await _begin_with_code(update, context, code)
    await say(update, "Please send me your invite code.")
    return ASK_CODE


async def receive_code(update: Update, context: BotContext) -> int:
    assert update.message is not None
    assert update.message.text is not None
    code = update.message.text.strip()
    if not code.replace("-", "").isalnum() or len(code) > 64:
        await say(
            update,
            "An invite code is made of letters and digits, like BIOVISION2017. "
            "Please send it again, or /cancel.",
        )
        return ASK_CODE
    return await _begin_with_code(update, context, code)


# --- questions -------------------------------------------------------------------------


async def _accept(update: Update, context: BotContext, value: str | None) -> int:
    draft = _draft(context)
    assert draft.asking is not None
    current = draft.asking
    if draft.registration_id is not None:
        saved = await update_field(
            context.db, context.clock, context.me.delegate_id, draft.registration_id, current, value
        )
        _drop_draft(context)
        if not saved:
            await say(update, "That registration no longer exists. Send /start to begin again.")
            return END
        await say(update, "Saved.", ReplyKeyboardRemove())
        return await show_profile(update, context)
    draft.values[current.value] = value
    following = None if draft.editing else next_field(current)
    if current == Field.PHONE:
        await say(update, "Thank you.", ReplyKeyboardRemove())
    if following is None:
        draft.asking = None
        draft.editing = False
        return await _show_summary(update, context)
    draft.asking = following
    return await _ask(update, context)


async def _lost_draft(update: Update, context: BotContext) -> int:
    """The draft is gone (erased with /forget_me, or stale): end instead of failing."""
    _drop_draft(context)
    await answer(update)
    await say(
        update, "That conversation has ended. Send /start to begin again.", ReplyKeyboardRemove()
    )
    return END


def _has_draft(context: BotContext) -> bool:
    draft = _draft(context)
    return draft.mission is not None or draft.registration_id is not None


async def receive_text(update: Update, context: BotContext) -> int:
    assert update.message is not None
    assert update.message.text is not None
    if not _has_draft(context):
        return await _lost_draft(update, context)
    draft = _draft(context)
    if draft.asking is None:
        return await _show_summary(update, context)
    try:
        value = validate(draft.asking, update.message.text)
    except InvalidValue as problem:
        return await _ask(update, context, render(problem.message, **problem.params))
    return await _accept(update, context, value)


async def receive_contact(update: Update, context: BotContext) -> int:
    assert update.message is not None
    assert update.message.contact is not None
    if not _has_draft(context):
        return await _lost_draft(update, context)
    draft = _draft(context)
    contact = update.message.contact
    if draft.asking != Field.PHONE:
        return await _ask(update, context) if draft.asking else await _show_summary(update, context)
    if contact.user_id != context.me.telegram_id:
        return await _ask(update, context, render("Please share your own number, not a contact's."))
    try:
        value = validate(Field.PHONE, contact.phone_number)
    except InvalidValue as problem:
        return await _ask(update, context, render(problem.message, **problem.params))
    return await _accept(update, context, value)


async def skip(update: Update, context: BotContext) -> int | None:
    draft = _draft(context)
    pressed = button_data(update).removeprefix("reg:skip:")
    if draft.asking is None or draft.asking.value != pressed or FIELDS[draft.asking].required:
        # An old Skip button, for a question already answered: ignore it.
        await answer(update)
        return None
    await answer(update)
    return await _accept(update, context, None)


async def unexpected_input(update: Update, context: BotContext) -> int:
    if not _has_draft(context):
        return await _lost_draft(update, context)
    draft = _draft(context)
    if draft.asking is None:
        return await _show_summary(update, context)
    return await _ask(update, context, render("Please answer with text."))


# --- summary ---------------------------------------------------------------------------


async def confirm(update: Update, context: BotContext) -> int:
    draft = _draft(context)
    query = update.callback_query
    assert query is not None
    if draft.mission is None or any(
        FIELDS[f].required and not draft.values.get(f.value) for f in FIELDS
    ):
        await query.answer()
        await say(update, "That button has expired. Send /start to begin again.")
        _drop_draft(context)
        return END
    outcome = await enrol(
        context.db, context.clock, context.me.delegate_id, draft.mission.id, draft.values
    )
    _drop_draft(context)
    await query.answer()
    await query.edit_message_reply_markup(None)
    name = draft.mission.name(get_locale())
    if outcome == Refusal.FULL:
        await say(
            update,
            "Sorry, %(mission)s became full while you were registering. "
            "Please contact the organisers to join the waiting list.",
            mission=name,
        )
    elif outcome == Refusal.CLOSED:
        await say(
            update,
            "Registration for %(mission)s is closed. Please contact the organisers.",
            mission=name,
        )
    elif outcome == Refusal.ALREADY:
        await say(update, "You are already registered for %(mission)s.", mission=name)
    elif outcome == Refusal.DECLINED:
        await _declined(update, name)
    elif isinstance(outcome, Refusal):
        await say(update, "That button has expired. Send /start to begin again.")
    elif outcome.status == RegistrationStatus.PENDING:
        await say(
            update,
            "Thank you! Your registration for %(mission)s is waiting for the organisers' "
            "approval. I will tell you as soon as it is confirmed.",
            mission=name,
        )
    else:
        await say(
            update,
            "You are registered for %(mission)s. See you in %(city)s!\n\n"
            "Send /help to see what I can do, or /profile to change your details.",
            mission=name,
            city=outcome.mission.city,
        )
    return END


async def edit_from_summary(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    if not _has_draft(context):
        return await _lost_draft(update, context)
    draft = _draft(context)
    try:
        chosen = Field(query.data.removeprefix("reg:edit:"))
    except ValueError:  # forged button
        await query.answer()
        return SUMMARY
    if draft.mission is None:
        await query.answer()
        return END
    draft.asking = chosen
    draft.editing = True
    return await _ask(update, context)


async def cancel(update: Update, context: BotContext) -> int:
    editing_saved_profile = _draft(context).registration_id is not None
    _drop_draft(context)
    if update.callback_query is not None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_reply_markup(None)
    if editing_saved_profile:
        await say(update, "Cancelled: your details are unchanged.", ReplyKeyboardRemove())
    else:
        await say(
            update,
            "Cancelled. Nothing was saved. Send /start when you want to begin again.",
            ReplyKeyboardRemove(),
        )
    return END


# --- profile ---------------------------------------------------------------------------


async def profile_command(update: Update, context: BotContext) -> int | None:
    draft = _draft(context)
    if draft.mission is not None and draft.registration_id is None:
        await say(
            update,
            "You are in the middle of registering: finish first, or send /cancel to stop.",
        )
        return None  # stay where we were; the draft is kept
    return await show_profile(update, context)


async def show_profile(update: Update, context: BotContext) -> int:
    registrations = await my_registrations(context.db, context.me.delegate_id)
    if not registrations:
        await say(
            update,
            "You are not registered for a mission yet. Send /register and then your invite code.",
        )
        return END
    for reg in registrations:
        lines = [
            render(
                "<b>%(mission)s</b>: %(status)s",
                mission=reg.mission.name(get_locale()),
                status=_status_text(reg.status),
            ),
            "",
            *_profile_lines(reg.profile),
            "",
            render("Tap a field to change it."),
        ]
        await send(update, "\n".join(lines), inline(_edit_buttons(f"prof:{reg.registration_id}:")))
    return END


async def edit_profile_field(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    _, reg_id, name = ([*query.data.split(":"), "", ""])[:3]
    try:
        chosen = Field(name)
        registration_id = int(reg_id)
    except ValueError:
        await query.answer()
        return END
    mine = {r.registration_id for r in await my_registrations(context.db, context.me.delegate_id)}
    if registration_id not in mine:  # forged or stale: someone else's registration
        await query.answer()
        await say(update, "That button has expired. Send /profile to see your details.")
        return END
    assert context.user_data is not None
    context.user_data[DRAFT] = Draft(asking=chosen, editing=True, registration_id=registration_id)
    return await _ask(update, context)


def build() -> ConversationHandler[BotContext]:
    with warnings.catch_warnings():
        # PTB warns that CallbackQueryHandlers are tracked per chat, not per message: that is
        # what we want (one draft per person), so the warning says nothing useful here.
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return ConversationHandler(
            entry_points=[
                CommandHandler("start", start),
                CommandHandler(names("register"), register),
                CommandHandler(names("profile"), profile_command),
                CallbackQueryHandler(edit_profile_field, pattern=r"^prof:"),
            ],
            states={
                ASK_CODE: [MessageHandler(NEW & filters.TEXT & ~filters.COMMAND, receive_code)],
                ASK_FIELD: [
                    MessageHandler(NEW & filters.TEXT & ~filters.COMMAND, receive_text),
                    MessageHandler(NEW & filters.CONTACT, receive_contact),
                    CallbackQueryHandler(skip, pattern=r"^reg:skip:"),
                    MessageHandler(NEW & ~filters.COMMAND, unexpected_input),
                ],
                SUMMARY: [
                    CallbackQueryHandler(confirm, pattern=r"^reg:ok$"),
                    CallbackQueryHandler(edit_from_summary, pattern=r"^reg:edit:"),
                    CallbackQueryHandler(cancel, pattern=r"^reg:cancel$"),
                    MessageHandler(NEW & ~filters.COMMAND, unexpected_input),
                ],
            },
            fallbacks=[CommandHandler(names("cancel"), cancel)],
            allow_reentry=True,
            # An abandoned draft must not swallow tomorrow's question as a "full name".
            conversation_timeout=DRAFT_LIFETIME,
            name="registration",
        )
