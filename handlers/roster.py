"""/roster and /approve (coordinators of the mission, admins): who is registered, and
registrations waiting for approval, approved or declined with a button."""

from __future__ import annotations

import re

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.commands import names, publish_menu_for
from bot.context import BotContext
from bot.i18n import get_locale, gettext, render
from bot.services import roster as svc
from bot.services.people import identify
from bot.services.registration import short_name
from handlers.common import (
    Handlers,
    answer,
    button_data,
    edit_or_send,
    inline,
    restricted,
    say,
    send,
)
from handlers.editing import staff_mission
from models import RegistrationStatus, Role

# Waiting registrations offered as buttons at once: a phone screen, not a spreadsheet.
BUTTONS = 10


def _line(entry: svc.Entry) -> str:
    tags = " · " + " ".join(f"#{t}" for t in entry.tags) if entry.tags else ""
    return render(
        "• %(name)s — %(organisation)s%(tags)s",
        name=entry.full_name,
        organisation=entry.organisation,
        tags=tags,
    )


def _pending_block(found: svc.Roster) -> tuple[str, InlineKeyboardMarkup | None]:
    pending = found.pending
    if not pending:
        return render("Nobody is waiting for approval."), None
    lines = [render("<b>Waiting for approval (%(n)s)</b>", n=len(pending))]
    lines += [_line(e) for e in pending]
    if len(pending) > BUTTONS:
        lines.append(render("Buttons for the first %(n)s; the next ones come after.", n=BUTTONS))
    # A button's text is not HTML: the name goes in as it is, not escaped.
    approve, decline = gettext("✅ Approve %(name)s"), gettext("✖ Decline")
    rows = [
        [
            (approve % {"name": short_name(e.full_name)}, f"ro:a:{e.registration_id}"),
            (decline, f"ro:d:{e.registration_id}"),
        ]
        for e in pending[:BUTTONS]
    ]
    return "\n".join(lines), inline(rows)


async def _staff_roster(update: Update, context: BotContext) -> svc.Roster | None:
    """The roster of the mission this staff member works on, or a prompt / refusal."""
    viewer = await staff_mission(update, context)
    if viewer is None:
        return None
    found = await svc.roster_of(context.db, context.me, viewer.mission.id)
    if found is None:
        await say(update, "Sorry, this is only for the mission's staff.")
    return found


@restricted(Role.COORDINATOR)
async def show_roster(update: Update, context: BotContext) -> None:
    found = await _staff_roster(update, context)
    if found is None:
        return
    name = found.mission.name(get_locale())
    if not found.entries:
        await say(update, "Nobody has registered for %(mission)s yet.", mission=name)
        return
    confirmed = found.confirmed
    lines = [render("<b>%(mission)s</b>", mission=name), ""]
    lines.append(render("<b>Confirmed (%(n)s)</b>", n=len(confirmed)))
    lines += [_line(e) for e in confirmed] or [render("Nobody yet.")]
    text, markup = _pending_block(found)
    if found.pending:
        lines += ["", text]
    await send(update, "\n".join(lines), markup)


@restricted(Role.COORDINATOR)
async def show_pending(update: Update, context: BotContext) -> None:
    found = await _staff_roster(update, context)
    if found is None:
        return
    text, markup = _pending_block(found)
    await send(update, text, markup)


@restricted(Role.COORDINATOR)
async def roster_button(update: Update, context: BotContext) -> None:
    match = re.fullmatch(r"ro:([adDk]):(\d{1,12})", button_data(update))
    if match is None:
        await answer(update)
        await say(update, "That button has expired. Send /help to see what you can do now.")
        return
    action, registration_id = match[1], int(match[2])
    if action in "dk":
        outcome = await svc.look(context.db, context.me, registration_id)
        if action == "d" and outcome.decision == svc.Decision.WAITING:
            # Declining cannot be undone from here: one more tap to be sure.
            keyboard = inline(
                [
                    [
                        (gettext("✖ Yes, decline"), f"ro:D:{registration_id}"),
                        (gettext("◀ Back"), f"ro:k:{registration_id}"),
                    ]
                ]
            )
            text = render(
                "Decline the registration of %(name)s? They will be told.",
                name=outcome.full_name,
            )
            await edit_or_send(update, text, keyboard)
            return
    else:
        outcome = await svc.decide(
            context.db, context.bot_data.clock, context.me, registration_id, action == "a"
        )
    await _decided(update, context, outcome)


async def _decided(update: Update, context: BotContext, outcome: svc.Outcome) -> None:
    """What was decided, then the registrations still waiting in that mission."""
    if outcome.decision == svc.Decision.REFUSED or outcome.mission_id is None:
        await answer(update)
        await say(update, "That registration is not one you can decide on.")
        return
    note = ""
    if outcome.decision == svc.Decision.APPROVED:
        note = render("✅ %(name)s is confirmed and has been told.", name=outcome.full_name)
    elif outcome.decision == svc.Decision.DECLINED:
        note = render("%(name)s was declined and has been told.", name=outcome.full_name)
    elif outcome.decision == svc.Decision.ALREADY:
        state = (
            render("confirmed")
            if outcome.status == RegistrationStatus.CONFIRMED
            else render("declined")
        )
        note = render(
            "Already decided: %(name)s is %(state)s.", name=outcome.full_name, state=state
        )
    found = await svc.roster_of(context.db, context.me, outcome.mission_id)
    text, markup = _pending_block(found) if found else ("", None)
    await edit_or_send(update, "\n\n".join(t for t in (note, text) if t), markup)


MEMBERS = 50  # buttons in the /promote list


async def _members_view(
    context: BotContext, mission_id: int, name: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    found = await svc.members(context.db, context.me, mission_id) or []
    if not found:
        return render("Nobody is confirmed for %(mission)s yet.", mission=name), None
    staff = [m for m in found if m.coordinator]
    lines = [render("<b>Coordinators of %(mission)s</b>", mission=name)]
    lines += [render("• %(name)s", name=m.full_name) for m in staff] or [render("None yet.")]
    lines += ["", render("Tap a delegate to make them a coordinator, or 🚫 to take it back.")]
    # A button's text is not HTML: the name goes in as it is, not escaped.
    rows = [
        [
            (
                ("🚫 " if m.coordinator else "🎖 ") + short_name(m.full_name),
                f"pr:{'r' if m.coordinator else 'g'}:{m.registration_id}",
            )
        ]
        for m in found[:MEMBERS]
    ]
    return "\n".join(lines), inline(rows)


@restricted(Role.ADMIN)
async def promote(update: Update, context: BotContext) -> None:
    viewer = await staff_mission(update, context)
    if viewer is None:
        return
    text, markup = await _members_view(
        context, viewer.mission.id, viewer.mission.name(get_locale())
    )
    await send(update, text, markup)


@restricted(Role.ADMIN)
async def promote_button(update: Update, context: BotContext) -> None:
    match = re.fullmatch(r"pr:([gGrl]):(\d{1,12})", button_data(update))
    found = await svc.member_of(context.db, context.me, int(match[2])) if match else None
    if match is None or found is None:
        await answer(update)
        await say(update, "That registration is not one you can decide on.")
        return
    action, registration_id = match[1], int(match[2])
    member, info = found
    mission = info.name(get_locale())
    if action == "g" and not member.coordinator:
        # Coordinators broadcast to everyone: one more tap to be sure.
        keyboard = inline(
            [
                [
                    (gettext("🎖 Yes"), f"pr:G:{registration_id}"),
                    (gettext("◀ Back"), f"pr:l:{registration_id}"),
                ]
            ]
        )
        text = render(
            "Make %(name)s a coordinator of %(mission)s? They will be able to broadcast "
            "to the delegation, edit the agenda and approve registrations.",
            name=member.full_name,
            mission=mission,
        )
        await edit_or_send(update, text, keyboard)
        return
    if action in "gl":  # back to the list (or asked again for a coordinator already)
        text, markup = await _members_view(context, info.id, mission)
        await edit_or_send(update, text, markup)
        return
    grant = action == "G"
    await svc.set_coordinator(
        context.db, context.bot_data.clock, context.me, registration_id, grant
    )
    who = await identify(context.db, context.bot_data.clock, member.telegram_id, None)
    await publish_menu_for(context.bot, context.db, member.telegram_id, who.role)
    note = (
        render("🎖 %(name)s is now a coordinator and has been told.", name=member.full_name)
        if grant
        else render("%(name)s is no longer a coordinator.", name=member.full_name)
    )
    text, markup = await _members_view(context, info.id, mission)
    await edit_or_send(update, note + "\n\n" + text, markup)


HANDLERS: Handlers = [
    CommandHandler(names("roster"), show_roster),
    CommandHandler(names("approve"), show_pending),
    CallbackQueryHandler(roster_button, pattern=r"^ro:"),
    CommandHandler(names("promote"), promote),
    CallbackQueryHandler(promote_button, pattern=r"^pr:"),
]
