"""Coordinators keep the agenda right from the chat: edit, move or cancel a session, edit
venues and FAQ, add sessions and FAQ entries, and import an agenda file (.ics or .csv) after
a preview. Every button re-checks the person's right over that mission."""

from __future__ import annotations

import re
import warnings
from datetime import timedelta
from io import BytesIO
from typing import Any

from telegram import Update
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
from bot.i18n import (
    N_,
    Markup,
    escape,
    format_day,
    format_moment,
    get_locale,
    gettext,
    render,
    render_plural,
)
from bot.services import agenda as svc
from bot.services import editing
from bot.services.importers import FileRefused, ImportedSession, parse_csv, parse_ics
from bot.services.profile import clean_text
from bot.views import session_card, shorten, venue_card
from handlers.agenda import expired, send_venue_pin, session_keyboard
from handlers.common import (
    Handlers,
    answer,
    button_data,
    edit_or_send,
    inline,
    mission_buttons,
    restricted,
    say,
    send,
)
from handlers.questions import plain_text
from models import Role

EDIT_VALUE, NEW_SESSION, NEW_FAQ, NEW_VENUE = range(4)
EDITING = "editing"
PENDING_IMPORT = "pending_import"
NEW = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
LOCATION = filters.UpdateType.MESSAGE & filters.LOCATION
LOCATION_PROMPT = N_(
    "Send the place's location: 📎 → Location, move the pin onto the venue, send. "
    "Or type it like 45.7578, 4.8320."
)

FIELD_LABELS = {
    "title_fr": N_("Title (French)"),
    "title_en": N_("Title (English)"),
    "description_fr": N_("Description (French)"),
    "description_en": N_("Description (English)"),
    "room": N_("Room"),
    "start": N_("Start"),
    "end": N_("End"),
    "venue": N_("Venue"),
    "question_fr": N_("Question (French)"),
    "question_en": N_("Question (English)"),
    "answer_fr": N_("Answer (French)"),
    "answer_en": N_("Answer (English)"),
    "name": N_("Name"),
    "address": N_("Address"),
    "notes_fr": N_("Notes (French)"),
    "notes_en": N_("Notes (English)"),
    "coords": N_("Map pin"),
}
FIELDS = {
    "s": (*editing.SESSION_FIELDS, "venue", "start", "end"),
    "f": editing.FAQ_FIELDS,
    "v": (*editing.VENUE_FIELDS, "coords"),
}
SESSION_STEPS = (
    "title_fr", "title_en", "start", "end", "venue", "room", "description_fr", "description_en",
)  # fmt: skip
OPTIONAL_STEPS = ("venue", "room", "description_fr", "description_en")
VENUE_STEPS = ("name", "address", "location")
FAQ_STEPS = editing.FAQ_FIELDS
STEP_PROMPTS = {
    "title_fr": N_("Title in French?"),
    "title_en": N_("Title in English?"),
    "start": N_("Day and start time, in the mission's time zone? For example 2017-04-11 14:00."),
    "end": N_("End time? For example 15:30, or +90 min for its length."),
    "room": N_("Room or hall? Type it, or skip."),
    "description_fr": N_("A description in French? Type it, or skip."),
    "description_en": N_("A description in English? Type it, or skip."),
    "question_fr": N_("The question, in French?"),
    "question_en": N_("The question, in English?"),
    "answer_fr": N_("The answer, in French?"),
    "answer_en": N_("The answer, in English?"),
    "name": N_("The venue's name?"),
    "address": N_("Its street address?"),
    "location": LOCATION_PROMPT,
}


async def _prompt(update: Update, step: str) -> None:
    message_id = STEP_PROMPTS[step]
    await say(update, message_id)


async def _allowed(context: BotContext, kind: str, row_id: int) -> int | None:
    """The mission of the row, if this person may edit it."""
    mission_id = await editing.mission_of(context.db, kind, row_id)
    if mission_id is None or not editing.may_edit(context.me, mission_id):
        return None
    return mission_id


@restricted(Role.COORDINATOR)
async def edit_menu(update: Update, context: BotContext) -> None:
    match = re.fullmatch(r"em:([sfv]):(\d+)", button_data(update))
    if match is None or await _allowed(context, match[1], int(match[2])) is None:
        await expired(update)
        return
    kind, row_id = match[1], int(match[2])
    buttons = [(gettext(FIELD_LABELS[f]), f"ef:{kind}:{row_id}:{f}") for f in FIELDS[kind]]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if kind == "s":
        rows.append([(render("✖ Cancel this session"), f"ec:{row_id}")])
    await answer(update)
    await send(update, render("What do you want to change?"), inline(rows))


@restricted(Role.COORDINATOR)
async def ask_value(update: Update, context: BotContext) -> int | None:
    match = re.fullmatch(r"ef:([sfv]):(\d+):(\w+)", button_data(update))
    if match is None or match[3] not in FIELDS[match[1]]:
        await expired(update)
        return ConversationHandler.END
    kind, row_id, field = match[1], int(match[2]), match[3]
    if await _allowed(context, kind, row_id) is None:
        await expired(update)
        return ConversationHandler.END
    assert context.user_data is not None
    context.user_data[EDITING] = (kind, row_id, field)
    await answer(update)
    if field == "venue":
        await _venue_choice(update, context, row_id)
        return ConversationHandler.END
    if field == "start":
        await say(
            update,
            "New start? For example 14:30 (same day) or 2017-04-12 14:30, in the mission's "
            "time zone. The length stays the same. Or send /cancel.",
        )
    elif field == "coords":
        await send(update, render(LOCATION_PROMPT) + "\n" + render("Or send /cancel."))
    elif field == "end":
        await say(
            update,
            "New end? For example 15:30, or +90 min for its length. Or send /cancel.",
        )
    else:
        await say(
            update,
            "Send the new value for “%(field)s”, or /cancel.",
            field=gettext(FIELD_LABELS[field]),
        )
    return EDIT_VALUE


async def receive_value(update: Update, context: BotContext) -> int:
    assert update.message is not None
    assert context.user_data is not None
    target = context.user_data.pop(EDITING, None)
    if not isinstance(target, tuple):
        await plain_text(update, context)  # no longer awaited: it is a question
        return ConversationHandler.END
    kind, row_id, field = target
    value = clean_text(update.message.text or "")
    if not value:
        await say(update, "That was empty. Please type an answer.")
        context.user_data[EDITING] = target
        return EDIT_VALUE
    if kind == "s" and field == "start":
        return await _move(update, context, row_id, value, target)
    if kind == "s" and field == "end":
        return await _change_end(update, context, row_id, value, target)
    if kind == "v" and field == "coords":
        return await _move_pin(update, context, row_id, editing.parse_coordinates(value), target)
    saved = await editing.edit_text(
        context.db, context.clock, context.me, kind, row_id, field, value
    )
    if not saved:
        await expired(update)
        return ConversationHandler.END
    await say(update, "Saved.")
    if kind == "s":
        await _show_session(update, context, row_id)
    return ConversationHandler.END


async def _move(update: Update, context: BotContext, row_id: int, value: str, target: Any) -> int:
    assert context.user_data is not None
    found = await svc.session_for(context.db, context.me, row_id)
    if found is None:
        await expired(update)
        return ConversationHandler.END
    viewer, item = found
    new_start = editing.session_time(
        value, viewer.calendar, context.clock.now(), viewer.calendar.today(item.starts_at)
    )
    if isinstance(new_start, editing.TimeProblem):
        await _time_problem(update, viewer, new_start)
        context.user_data[EDITING] = target
        return EDIT_VALUE
    moved = await editing.move_session(context.db, context.clock, context.me, row_id, new_start)
    if moved is None:
        await expired(update)
        return ConversationHandler.END
    await say(
        update,
        "Moved: %(old)s → %(new)s.",
        old=format_moment(moved.old_start, viewer.timezone),
        new=format_moment(moved.new_start, viewer.timezone),
    )
    await _show_session(update, context, row_id)
    return ConversationHandler.END


async def receive_location(update: Update, context: BotContext) -> int:
    """A location shared while a venue's pin is awaited."""
    assert update.message is not None
    assert update.message.location is not None
    assert context.user_data is not None
    target = context.user_data.get(EDITING)
    if not (isinstance(target, tuple) and target[0] == "v" and target[2] == "coords"):
        await say(update, "Please type the new value, or send /cancel.")
        return EDIT_VALUE
    context.user_data.pop(EDITING, None)
    where = update.message.location
    found = editing.valid_coordinates(where.latitude, where.longitude)
    return await _move_pin(update, context, target[1], found, target)


async def _move_pin(
    update: Update,
    context: BotContext,
    venue_id: int,
    where: tuple[float, float] | None,
    target: Any,
) -> int:
    assert context.user_data is not None
    if where is None:
        await say(update, "I could not read that location. Share it with 📎 → Location, "
                          "or type it like 45.7578, 4.8320.")  # fmt: skip
        context.user_data[EDITING] = target
        return EDIT_VALUE
    if not await editing.set_coordinates(context.db, context.clock, context.me, venue_id, *where):
        await expired(update)
        return ConversationHandler.END
    await say(update, "Saved.")
    await _show_venue(update, context, venue_id)
    return ConversationHandler.END


async def _show_venue(update: Update, context: BotContext, venue_id: int) -> None:
    found = await svc.venue_for(context.db, context.me, venue_id)
    if found is None:
        return
    viewer, venue = found
    now = context.clock.now()
    await send_venue_pin(update, venue)
    upcoming = await svc.next_at_venue(context.db, viewer, venue.id, now)
    edit = inline([[(render("✏ Edit"), f"em:v:{venue.id}")]])
    await send(update, venue_card(viewer, venue, upcoming, now), edit)


async def _change_end(
    update: Update, context: BotContext, row_id: int, value: str, target: Any
) -> int:
    assert context.user_data is not None
    found = await svc.session_for(context.db, context.me, row_id)
    if found is None:
        await expired(update)
        return ConversationHandler.END
    viewer, item = found
    new_end = editing.session_end(value, viewer.calendar, context.clock.now(), item.starts_at)
    changed = None
    if not isinstance(new_end, editing.EndRefused):
        changed = await editing.change_end(context.db, context.clock, context.me, row_id, new_end)
        if changed is None:
            await expired(update)
            return ConversationHandler.END
    if isinstance(new_end, editing.EndRefused) or not changed:
        kind = new_end.kind if isinstance(new_end, editing.EndRefused) else "before"
        await _end_problem(update, viewer, item.starts_at, kind)
        context.user_data[EDITING] = target
        return EDIT_VALUE
    await say(update, "Saved.")
    await _show_session(update, context, row_id)
    return ConversationHandler.END


async def _end_problem(update: Update, viewer: svc.Viewer, start: Any, kind: str) -> None:
    if kind == "before":
        await say(
            update,
            "The end must be after the start, %(start)s. Try again, or send /cancel.",
            start=format_moment(start, viewer.timezone),
        )
    elif kind == "unclear":
        await say(update, "I did not understand that end. Try 15:30 or +90 min.")
    else:
        await _time_problem(update, viewer, editing.TimeProblem(kind))


async def _venue_choice(update: Update, context: BotContext, item_id: int) -> None:
    found = await svc.session_for(context.db, context.me, item_id)
    if found is None:
        await expired(update)
        return
    viewer, item = found
    rows = [
        [(("✓ " if item.venue and item.venue.id == v.id else "") + shorten(v.name, 40),
          f"ev:{item_id}:{v.id}")]
        for v in await svc.venues(context.db, viewer)
    ]  # fmt: skip
    rows.append([(render("No venue"), f"ev:{item_id}:0")])
    await say(update, "Where is it? Pick the venue.", inline(rows))


@restricted(Role.COORDINATOR)
async def pick_venue(update: Update, context: BotContext) -> None:
    match = re.fullmatch(r"ev:(\d+):(\d+)", button_data(update))
    if match is None or await _allowed(context, "s", int(match[1])) is None:
        await expired(update)
        return
    item_id, venue_id = int(match[1]), int(match[2]) or None
    if not await editing.change_venue(context.db, context.clock, context.me, item_id, venue_id):
        await expired(update)
        return
    await edit_or_send(update, render("Saved."))
    await _show_session(update, context, item_id)


async def _time_problem(update: Update, viewer: svc.Viewer, problem: editing.TimeProblem) -> None:
    if problem.kind == "invalid":
        await say(update, "That date does not exist. Please check the day and month.")
    elif problem.kind == "outside":
        await say(
            update,
            "A session must be during the mission, from %(start)s to %(end)s.",
            start=format_day(viewer.calendar.starts_on),
            end=format_day(viewer.calendar.ends_on),
        )
    else:
        await say(update, "I did not understand that time. Try 14:30 or 2017-04-12 14:30.")


async def _show_session(update: Update, context: BotContext, item_id: int) -> None:
    found = await svc.session_for(context.db, context.me, item_id)
    if found is not None:
        await send(update, session_card(*found), session_keyboard(*found))


@restricted(Role.COORDINATOR)
async def cancel_session(update: Update, context: BotContext) -> None:
    data = button_data(update)
    match = re.fullmatch(r"ec(y?):(\d+)", data)
    if match is None or await _allowed(context, "s", int(match[2])) is None:
        await expired(update)
        return
    item_id = int(match[2])
    if not match[1]:
        keyboard = inline(
            [[(render("Yes, cancel it"), f"ecy:{item_id}")], [(render("No, keep it"), "edit:keep")]]
        )
        await answer(update)
        await say(
            update, "Cancel this session for everyone? Delegates will no longer see it.", keyboard
        )
        return
    await editing.cancel_session(context.db, context.clock, context.me, item_id)
    await edit_or_send(update, render("The session is cancelled."))


async def keep(update: Update, context: BotContext) -> None:
    await edit_or_send(update, render("Nothing was changed."))


async def cancel_edit(update: Update, context: BotContext) -> int:
    if context.user_data is not None:
        for key in (EDITING, "new_session", "new_faq", "new_venue"):
            context.user_data.pop(key, None)
    await say(update, "Nothing was changed.")
    return ConversationHandler.END


# --- adding sessions and FAQ entries -------------------------------------------------------


async def staff_mission(update: Update, context: BotContext) -> svc.Viewer | None:
    found = await svc.viewer(context.db, context.me)
    if isinstance(found, svc.Viewer) and found.staff:
        return found
    if isinstance(found, svc.MissionChoice):
        keyboard = mission_buttons(found.missions, "agenda", get_locale())
        await say(update, "Which mission? Pick one, then send the command again.", keyboard)
        return None
    await say(update, "Sorry, this is only for the mission's staff.")
    return None


@restricted(Role.COORDINATOR)
async def start_new_session(update: Update, context: BotContext) -> int | None:
    viewer = await staff_mission(update, context)
    if viewer is None:
        return ConversationHandler.END
    assert context.user_data is not None
    context.user_data["new_session"] = {"mission_id": viewer.mission.id, "values": {}}
    await _prompt(update, "title_fr")
    return NEW_SESSION


async def _session_draft(
    update: Update, context: BotContext
) -> tuple[dict[str, Any], svc.Viewer] | None:
    assert context.user_data is not None
    draft = context.user_data.get("new_session")
    if not isinstance(draft, dict):
        return None
    found = await svc.viewer(context.db, context.me, draft["mission_id"])
    return (draft, found) if isinstance(found, svc.Viewer) else None


async def new_session_step(update: Update, context: BotContext) -> int:
    assert update.message is not None
    assert context.user_data is not None
    pending = await _session_draft(update, context)
    if pending is None:
        context.user_data.pop("new_session", None)
        await plain_text(update, context)
        return ConversationHandler.END
    draft, found = pending
    values: dict[str, Any] = draft["values"]
    step = next(s for s in SESSION_STEPS if s not in values)
    text = clean_text(update.message.text or "")
    if not text:
        await say(update, "That was empty. Please type an answer.")
        return NEW_SESSION
    if step == "venue":
        await say(update, "Pick the venue with the buttons above, or press Skip.")
        return NEW_SESSION
    if step in ("title_fr", "title_en"):
        values[step] = text[:200]
    elif step == "start":
        now = context.clock.now()
        start = editing.session_time(text, found.calendar, now, found.calendar.today(now))
        if isinstance(start, editing.TimeProblem):
            await _time_problem(update, found, start)
            return NEW_SESSION
        values["start"] = start
    elif step == "end":
        end = editing.session_end(text, found.calendar, context.clock.now(), values["start"])
        if isinstance(end, editing.EndRefused):
            await _end_problem(update, found, values["start"], end.kind)
            return NEW_SESSION
        values["end"] = end
    else:  # room, descriptions
        values[step] = text[: editing.LIMITS.get(step, 4000)]
    return await _next_session_step(update, context, draft, found)


@restricted(Role.COORDINATOR)
async def new_session_button(update: Update, context: BotContext) -> int:
    """Skip an optional step of /session_add, or pick its venue."""
    pending = await _session_draft(update, context)
    match = re.fullmatch(r"ns:(\w+):(\d+)", button_data(update))
    if pending is None or match is None:
        await expired(update)
        return ConversationHandler.END
    draft, found = pending
    values: dict[str, Any] = draft["values"]
    step = next(s for s in SESSION_STEPS if s not in values)
    if match[1] != step or step not in OPTIONAL_STEPS:
        await answer(update)  # a button of an earlier step: ask this one again
        await _session_prompt(update, context, step, found)
        return NEW_SESSION
    await edit_or_send(update, render("Skipped.") if match[2] == "0" else render("Saved."))
    values[step] = int(match[2]) or None
    return await _next_session_step(update, context, draft, found)


async def _next_session_step(
    update: Update, context: BotContext, draft: dict[str, Any], viewer: svc.Viewer
) -> int:
    assert context.user_data is not None
    values: dict[str, Any] = draft["values"]
    following = next((s for s in SESSION_STEPS if s not in values), None)
    if following is not None:
        await _session_prompt(update, context, following, viewer)
        return NEW_SESSION
    context.user_data.pop("new_session", None)
    item_id = await editing.add_session(
        context.db, context.clock, context.me, draft["mission_id"],
        values["title_fr"], values["title_en"], values["start"], values["end"], values["venue"],
        room=values["room"], description_fr=values["description_fr"] or "",
        description_en=values["description_en"] or "",
    )  # fmt: skip
    if item_id is None:
        await expired(update)
    else:
        await say(update, "Session added.")
        await _show_session(update, context, item_id)
    return ConversationHandler.END


async def _session_prompt(
    update: Update, context: BotContext, step: str, viewer: svc.Viewer
) -> None:
    if step not in OPTIONAL_STEPS:
        await _prompt(update, step)
        return
    skip = [(render("Skip ⏭"), f"ns:{step}:0")]
    if step == "venue":
        rows = [
            [(shorten(v.name, 40), f"ns:venue:{v.id}")]
            for v in await svc.venues(context.db, viewer)
        ]
        await say(update, "Where is it? Pick the venue, or skip.", inline([*rows, skip]))
        return
    await say(update, STEP_PROMPTS[step], inline([skip]))


@restricted(Role.COORDINATOR)
async def start_new_faq(update: Update, context: BotContext) -> int | None:
    viewer = await staff_mission(update, context)
    if viewer is None:
        return ConversationHandler.END
    assert context.user_data is not None
    context.user_data["new_faq"] = {"mission_id": viewer.mission.id, "values": {}}
    await _prompt(update, "question_fr")
    return NEW_FAQ


async def new_faq_step(update: Update, context: BotContext) -> int:
    assert update.message is not None
    assert context.user_data is not None
    draft = context.user_data.get("new_faq")
    if not isinstance(draft, dict):
        await plain_text(update, context)
        return ConversationHandler.END
    values: dict[str, str] = draft["values"]
    text = clean_text(update.message.text or "")
    if not text:
        await say(update, "That was empty. Please type an answer.")
        return NEW_FAQ
    step = next(s for s in FAQ_STEPS if s not in values)
    values[step] = text[:4000]
    following = next((s for s in FAQ_STEPS if s not in values), None)
    if following is not None:
        await _prompt(update, following)
        return NEW_FAQ
    context.user_data.pop("new_faq", None)
    added = await editing.add_faq(
        context.db, context.clock, context.me, draft["mission_id"], values
    )
    if added is None:
        await expired(update)
    else:
        await say(update, "FAQ entry added: delegates can ask about it now.")
    return ConversationHandler.END


@restricted(Role.COORDINATOR)
async def start_new_venue(update: Update, context: BotContext) -> int | None:
    viewer = await staff_mission(update, context)
    if viewer is None:
        return ConversationHandler.END
    assert context.user_data is not None
    context.user_data["new_venue"] = {"mission_id": viewer.mission.id, "values": {}}
    await _prompt(update, "name")
    return NEW_VENUE


async def new_venue_step(update: Update, context: BotContext) -> int:
    """The name, the address, then the location (shared or typed) or Skip."""
    assert update.message is not None
    assert context.user_data is not None
    draft = context.user_data.get("new_venue")
    if not isinstance(draft, dict):
        await plain_text(update, context)
        return ConversationHandler.END
    values: dict[str, Any] = draft["values"]
    step = next(s for s in VENUE_STEPS if s not in values)
    where = update.message.location
    if step == "location" or where is not None:
        if step != "location":
            await _prompt(update, step)  # a location before the name and address
            return NEW_VENUE
        found = (
            editing.valid_coordinates(where.latitude, where.longitude)
            if where is not None
            else editing.parse_coordinates(update.message.text or "")
        )
        if found is None:
            await say(update, "I could not read that location. Share it with 📎 → Location, "
                              "or type it like 45.7578, 4.8320.")  # fmt: skip
            return NEW_VENUE
        values["location"] = found
        return await _save_venue(update, context, draft)
    text = clean_text(update.message.text or "")
    if not text:
        await say(update, "That was empty. Please type an answer.")
        return NEW_VENUE
    values[step] = text[: editing.LIMITS[step]]
    following = next(s for s in VENUE_STEPS if s not in values)
    if following == "location":
        skip = inline([[(render("Skip ⏭"), "nv:location:0")]])
        await say(update, LOCATION_PROMPT, skip)
    else:
        await _prompt(update, following)
    return NEW_VENUE


@restricted(Role.COORDINATOR)
async def new_venue_skip(update: Update, context: BotContext) -> int:
    assert context.user_data is not None
    draft = context.user_data.get("new_venue")
    if not isinstance(draft, dict) or button_data(update) != "nv:location:0":
        await expired(update)
        return ConversationHandler.END
    values: dict[str, Any] = draft["values"]
    if "address" not in values:  # an old button: the name or address is still awaited
        await answer(update)
        await _prompt(update, next(s for s in VENUE_STEPS if s not in values))
        return NEW_VENUE
    await edit_or_send(update, render("Skipped."))
    values["location"] = None
    return await _save_venue(update, context, draft)


async def _save_venue(update: Update, context: BotContext, draft: dict[str, Any]) -> int:
    assert context.user_data is not None
    context.user_data.pop("new_venue", None)
    values = draft["values"]
    venue_id = await editing.add_venue(
        context.db, context.clock, context.me, draft["mission_id"],
        values["name"], values["address"], values["location"],
    )  # fmt: skip
    if venue_id is None:
        await expired(update)
        return ConversationHandler.END
    await say(update, "Venue added: sessions can be put there now.")
    await _show_venue(update, context, venue_id)
    return ConversationHandler.END


# --- import -------------------------------------------------------------------------------


async def document(update: Update, context: BotContext) -> None:
    message = update.message
    assert message is not None
    assert message.document is not None
    if not (context.me.is_admin or context.me.coordinator_of):
        await say(update, "I can only read agenda files from the mission's coordinators.")
        return
    viewer = await staff_mission(update, context)
    if viewer is None:
        return
    name = (message.document.file_name or "").lower()
    if not name.endswith((".ics", ".csv")):
        await say(update, "Send the agenda as a .ics calendar file or a .csv file.")
        return
    if (message.document.file_size or 0) > 1_000_000:
        await say(update, "The file is too large (1 MB at most).")
        return
    buffer = BytesIO()
    file = await message.document.get_file()
    await file.download_to_memory(buffer)
    raw = buffer.getvalue()
    known_venues = await editing.venue_keys(context.db, viewer.mission.id)
    try:
        parsed = (
            parse_ics(raw, viewer.mission.key, viewer.timezone)
            if name.endswith(".ics")
            else parse_csv(raw, viewer.timezone, known_venues)
        )
    except FileRefused as refused:
        await say(update, refused.message)
        return
    if parsed.errors:
        lines = [render("The file has errors; nothing was saved. Fix them and send it again:"), ""]
        for line, message_id, params in sorted(parsed.errors, key=lambda e: e[0])[:30]:
            problem = Markup(render(message_id, **params))  # escaped once, here
            lines.append(render("Line %(line)s: %(problem)s", line=line, problem=problem))
        await send(update, "\n".join(lines))
        return
    if not parsed.sessions:
        await say(update, "The calendar has no events.")
        return
    preview = await editing.preview_import(
        context.db, viewer.mission.id, parsed.sessions, get_locale()
    )
    assert context.user_data is not None
    # What "cancel the missing" may cancel: the sessions this preview named, no others.
    context.user_data[PENDING_IMPORT] = (viewer.mission.id, parsed.sessions, preview.removed_keys)
    await send(update, _preview_text(preview), _preview_buttons(preview))


def _preview_buttons(preview: editing.Preview) -> Any:
    cancel = (render("✖ Cancel"), "imp:no")
    if not preview.removed:
        return inline([[(render("✅ Import"), "imp:ok"), cancel]])
    # Sessions missing from the file are cancelled only when the coordinator says so.
    removing = render_plural(
        "✅ Import and cancel the %(n)s missing",
        "✅ Import and cancel the %(n)s missing",
        len(preview.removed),
    )
    return inline(
        [[(removing, "imp:ok")], [(render("✅ Import, keep the others"), "imp:keep")], [cancel]]
    )


ASPECT_LABELS = {
    "time": N_("time"),
    "title": N_("title"),
    "venue": N_("place"),
    "description": N_("description"),
    "kind": N_("kind"),
    "audience": N_("audience"),
    "restored": N_("back on the agenda"),
}
REMOVED_SHOWN = 8


def _preview_text(preview: editing.Preview) -> str:
    locale = get_locale()
    counts = [
        render_plural("%(n)s new", "%(n)s new", len(preview.new)),
        render_plural("%(n)s changed", "%(n)s changed", len(preview.changed)),
        render_plural("%(n)s removed", "%(n)s removed", len(preview.removed)),
        render_plural("%(n)s unchanged", "%(n)s unchanged", preview.unchanged),
    ]
    lines = [render("<b>Preview</b>: %(counts)s.", counts=Markup(", ".join(counts)))]

    def listed(title: str, items: list[str], shown: int = 10) -> None:
        if items:
            lines.extend(["", title, *items[:shown]])
            if len(items) > shown:
                lines.append(render("… and %(n)s more", n=len(items) - shown))

    listed(render("New:"), [f"• {escape(_title(s, locale))}" for s in preview.new])
    listed(render("Changed:"), [_changed_line(s, preview, locale) for s in preview.changed])
    if preview.removed:
        listed(
            render("Not in the file:"),
            [f"• {escape(fr if locale == 'fr' else en)}" for fr, en in preview.removed],
            REMOVED_SHOWN,
        )
        lines += [
            "",
            render_plural(
                "Cancel the %(n)s session missing from the file, or keep it?",
                "Cancel the %(n)s sessions missing from the file, or keep them?",
                len(preview.removed),
            ),
        ]
    lines += ["", render("Nothing is saved until you confirm.")]
    return "\n".join(lines)


def _changed_line(item: ImportedSession, preview: editing.Preview, locale: str) -> str:
    aspects = ", ".join(gettext(ASPECT_LABELS[a]) for a in preview.changes.get(item.key, ()))
    line = f"• {escape(shorten(_title(item, locale), 40))}"
    return f"{line} ({escape(aspects)})" if aspects else line


def _title(item: ImportedSession, locale: str) -> str:
    return item.title_fr if locale == "fr" else item.title_en


@restricted(Role.COORDINATOR)
async def confirm_import(update: Update, context: BotContext) -> None:
    assert context.user_data is not None
    pending = context.user_data.pop(PENDING_IMPORT, None)
    choice = button_data(update)
    if choice not in ("imp:ok", "imp:keep"):
        await edit_or_send(update, render("Import cancelled: nothing was saved."))
        return
    if not isinstance(pending, tuple):
        await expired(update)
        return
    mission_id, imported, missing = pending
    done = await editing.apply_import(
        context.db, context.clock, context.me, mission_id, imported, get_locale(),
        cancel=missing if choice == "imp:ok" else frozenset(),
    )  # fmt: skip
    if done is None:
        await expired(update)
        return
    # Each count in its own plural form (not nested in render: extraction would miss them).
    counts = [
        render_plural("%(n)s new", "%(n)s new", len(done.new)),
        render_plural("%(n)s changed", "%(n)s changed", len(done.changed)),
        render_plural("%(n)s cancelled", "%(n)s cancelled", len(done.removed)),
    ]
    await edit_or_send(update, render("Imported: %(counts)s.", counts=Markup(", ".join(counts))))


def conversation() -> ConversationHandler[BotContext]:
    with warnings.catch_warnings():
        # Tracked per chat on purpose: one edit in progress per coordinator.
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return ConversationHandler(
            entry_points=[
                CallbackQueryHandler(ask_value, pattern=r"^ef:"),
                CommandHandler(names("session_add"), start_new_session),
                CommandHandler(names("faq_add"), start_new_faq),
                CommandHandler(names("venue_add"), start_new_venue),
            ],
            states={
                EDIT_VALUE: [
                    MessageHandler(NEW, receive_value),
                    MessageHandler(LOCATION, receive_location),
                ],
                NEW_SESSION: [
                    MessageHandler(NEW, new_session_step),
                    CallbackQueryHandler(new_session_button, pattern=r"^ns:"),
                ],
                NEW_FAQ: [MessageHandler(NEW, new_faq_step)],
                NEW_VENUE: [
                    MessageHandler(NEW | LOCATION, new_venue_step),
                    CallbackQueryHandler(new_venue_skip, pattern=r"^nv:"),
                ],
            },
            fallbacks=[CommandHandler(names("cancel"), cancel_edit)],
            allow_reentry=True,
            conversation_timeout=timedelta(minutes=30),
            name="editing",
        )


HANDLERS: Handlers = [
    CallbackQueryHandler(edit_menu, pattern=r"^em:"),
    CallbackQueryHandler(cancel_session, pattern=r"^ecy?:"),
    CallbackQueryHandler(keep, pattern=r"^edit:keep$"),
    CallbackQueryHandler(pick_venue, pattern=r"^ev:"),
    CallbackQueryHandler(confirm_import, pattern=r"^imp:(ok|keep|no)$"),
]
# After the conversations: a document sent while composing a broadcast is its attachment.
DOCUMENT_HANDLER = MessageHandler(filters.UpdateType.MESSAGE & filters.Document.ALL, document)
