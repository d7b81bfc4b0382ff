"""/roster and /approve (coordinators of the mission, admins): who is registered, and
registrations waiting for approval, approved or declined with a button."""

from __future__ import annotations

import re
from io import BytesIO

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.commands import names, publish_menu_for
from bot.context import BotContext
from bot.i18n import N_, format_short_moment, get_locale, gettext, render, render_plural, zone_city
from bot.services import roster as svc
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
    rows = [list(row) for row in markup.inline_keyboard] if markup else []
    rows.append([InlineKeyboardButton(gettext("🏷 Tags and details"), callback_data="rt:p:0")])
    await send(update, "\n".join(lines), InlineKeyboardMarkup(rows))


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
        state = {
            RegistrationStatus.CONFIRMED: render("confirmed"),
            RegistrationStatus.DECLINED: render("declined"),
        }.get(outcome.status or RegistrationStatus.CANCELLED, render("cancelled"))
        note = render(
            "Already decided: %(name)s is %(state)s.", name=outcome.full_name, state=state
        )
    found = await svc.roster_of(context.db, context.me, outcome.mission_id)
    text, markup = _pending_block(found) if found else ("", None)
    await edit_or_send(update, "\n\n".join(t for t in (note, text) if t), markup)


MEMBERS = 8  # delegates a page in the /promote list
PAGE = 8  # delegates a page when choosing whose tags to change


async def _people_page(
    update: Update, context: BotContext, mission_id: int, page: int, note: str = ""
) -> None:
    found = await svc.roster_of(context.db, context.me, mission_id)
    people = found.confirmed + found.pending if found else []
    if found is None or not people:
        await edit_or_send(update, "\n\n".join(t for t in (note, render("Nobody yet.")) if t))
        return
    pages = (len(people) + PAGE - 1) // PAGE
    page = min(max(page, 0), pages - 1)
    shown = people[page * PAGE : (page + 1) * PAGE]
    rows = [[(short_name(e.full_name), f"rt:c:{e.registration_id}")] for e in shown]
    nav = []
    if page > 0:
        nav.append(("◀", f"rt:p:{page - 1}"))
    if page < pages - 1:
        nav.append(("▶", f"rt:p:{page + 1}"))
    if nav:
        rows.append(nav)
    text = render(
        "Choose a delegate (%(first)s–%(last)s of %(n)s)",
        first=page * PAGE + 1,
        last=page * PAGE + len(shown),
        n=len(people),
    )
    await edit_or_send(update, "\n\n".join(t for t in (note, text) if t), inline(rows))


async def _show_card(update: Update, card: svc.Card) -> None:
    tags = " ".join(f"#{t}" for t in card.tags) or render("none")
    text = render(
        "<b>%(name)s</b>\n%(organisation)s\n✉ %(email)s\n📞 %(phone)s\nTags: %(tags)s",
        name=card.full_name,
        organisation=card.organisation,
        email=card.email,
        phone=card.phone,
        tags=tags,
    )
    if card.mission_tags:
        text += "\n\n" + render("Tap a tag to give it or take it back.")
    # Tags are short words (the agenda's audiences); one whose button data would pass
    # Telegram's 64 bytes cannot be toggled here.
    rows = [
        [(("☑ " if tag in card.tags else "☐ ") + tag, data)]
        for tag in card.mission_tags
        if len((data := f"rt:t:{card.registration_id}:{tag}").encode()) <= 64
    ]
    rows.append([(gettext("🗑 Remove from the mission"), f"rt:r:{card.registration_id}")])
    rows.append([(gettext("◀ Back"), "rt:p:0")])
    await edit_or_send(update, text, inline(rows))


@restricted(Role.COORDINATOR)
async def tags_button(update: Update, context: BotContext) -> None:
    match = re.fullmatch(r"rt:([pctrR]):(\d{1,12})(?::(.{1,60}))?", button_data(update))
    if match is None or (match[1] == "t") != bool(match[3]):
        await answer(update)
        await say(update, "That registration is not one you can decide on.")
        return
    if match[1] == "p":
        viewer = await staff_mission(update, context)
        if viewer is not None:
            await _people_page(update, context, viewer.mission.id, int(match[2]))
        return
    registration_id = int(match[2])
    if match[1] in "rR":
        await _remove(update, context, registration_id, match[1] == "R")
        return
    if match[1] == "c":
        card = await svc.card_of(context.db, context.me, registration_id)
    else:
        card = await svc.toggle_tag(
            context.db, context.bot_data.clock, context.me, registration_id, str(match[3])
        )
    if card is None:
        await answer(update)
        await say(update, "That registration is not one you can decide on.")
        return
    await _show_card(update, card)


async def _remove(
    update: Update, context: BotContext, registration_id: int, confirmed: bool
) -> None:
    card = await svc.card_of(context.db, context.me, registration_id)
    if card is None:
        await answer(update)
        await say(update, "That registration is not one you can decide on.")
        return
    if not confirmed:
        # Nothing undoes it from here: one more tap to be sure.
        keyboard = inline(
            [
                [
                    (gettext("🗑 Yes, remove"), f"rt:R:{registration_id}"),
                    (gettext("◀ Back"), f"rt:c:{registration_id}"),
                ]
            ]
        )
        text = render(
            "Remove %(name)s from the mission? Their seat is freed and they are told.",
            name=card.full_name,
        )
        await edit_or_send(update, text, keyboard)
        return
    done = await svc.remove(context.db, context.bot_data.clock, context.me, registration_id)
    if done.decision == svc.Decision.REFUSED or done.mission_id is None:
        await answer(update)
        await say(update, "That registration is not one you can decide on.")
        return
    note = render("%(name)s was removed from the mission and has been told.", name=done.full_name)
    await _people_page(update, context, done.mission_id, 0, note)


@restricted(Role.COORDINATOR)
async def remove_command(update: Update, context: BotContext) -> None:
    viewer = await staff_mission(update, context)
    if viewer is not None:
        await _people_page(update, context, viewer.mission.id, 0)


async def _members_view(
    context: BotContext, mission_id: int, name: str, page: int = 0
) -> tuple[str, InlineKeyboardMarkup | None]:
    found = await svc.members(context.db, context.me, mission_id) or []
    if not found:
        return render("Nobody is confirmed for %(mission)s yet.", mission=name), None
    staff = [m for m in found if m.coordinator]
    lines = [render("<b>Coordinators of %(mission)s</b>", mission=name)]
    lines += [render("• %(name)s", name=m.full_name) for m in staff] or [render("None yet.")]
    lines += ["", render("Tap a delegate to make them a coordinator, or 🚫 to take it back.")]
    pages = (len(found) + MEMBERS - 1) // MEMBERS
    page = min(max(page, 0), pages - 1)
    # A button's text is not HTML: the name goes in as it is, not escaped.
    rows = [
        [
            (
                ("🚫 " if m.coordinator else "🎖 ") + short_name(m.full_name),
                f"pr:{'r' if m.coordinator else 'g'}:{m.registration_id}",
            )
        ]
        for m in found[page * MEMBERS : (page + 1) * MEMBERS]
    ]
    nav = [("◀", f"pr:p:{mission_id}:{page - 1}")] if page > 0 else []
    nav += [("▶", f"pr:p:{mission_id}:{page + 1}")] if page < pages - 1 else []
    if nav:
        lines.append(render("Page %(page)s of %(pages)s", page=page + 1, pages=pages))
        rows.append(nav)
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
    page = re.fullmatch(r"pr:p:(\d{1,12}):(\d{1,4})", button_data(update))
    if page is not None:
        listed = await svc.roster_of(context.db, context.me, int(page[1]))
        if listed is not None:
            name = listed.mission.name(get_locale())
            text, markup = await _members_view(context, int(page[1]), name, int(page[2]))
            await edit_or_send(update, text, markup)
            return
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
    done = await svc.set_coordinator(
        context.db, context.bot_data.clock, context.me, registration_id, grant
    )
    if not done.done:  # erased or no longer confirmed meanwhile
        await answer(update)
        await say(update, "That registration is not one you can decide on.")
        return
    await publish_menu_for(context.bot, context.db, member.telegram_id, done.role)
    note = (
        render("🎖 %(name)s is now a coordinator and has been told.", name=member.full_name)
        if grant
        else render("%(name)s is no longer a coordinator.", name=member.full_name)
    )
    text, markup = await _members_view(context, info.id, mission)
    await edit_or_send(update, note + "\n\n" + text, markup)


@restricted(Role.COORDINATOR)
async def export(update: Update, context: BotContext) -> None:
    viewer = await staff_mission(update, context)
    if viewer is None:
        return
    found = await svc.roster_csv(context.db, context.me, viewer.mission.id)
    chat = update.effective_chat
    if found is None or chat is None:
        await say(update, "Sorry, this is only for the mission's staff.")
        return
    filename, content = found
    caption = render(
        "Roster of %(mission)s: everyone confirmed or waiting, with every detail they gave.",
        mission=viewer.mission.name(get_locale()),
    )
    await chat.send_document(InputFile(BytesIO(content), filename=filename), caption=caption)


@restricted(Role.COORDINATOR)
async def stats(update: Update, context: BotContext) -> None:
    viewer = await staff_mission(update, context)
    if viewer is None:
        return
    found = await svc.stats_of(context.db, context.me, viewer.mission.id)
    if found is None:
        await say(update, "Sorry, this is only for the mission's staff.")
        return
    seats = (
        render(
            "%(taken)s / %(capacity)s seats taken", taken=found.seats_taken, capacity=found.capacity
        )
        if found.capacity is not None
        else render_plural(
            "%(n)s registered, no seat limit", "%(n)s registered, no seat limit", found.seats_taken
        )
    )
    lines = [
        render("<b>%(mission)s</b>", mission=found.mission.name(get_locale())),
        seats,
        render(
            "Confirmed: %(confirmed)s (French %(fr)s, English %(en)s) · waiting: %(pending)s",
            confirmed=found.confirmed,
            fr=found.french,
            en=found.confirmed - found.french,
            pending=found.pending,
        ),
    ]
    if found.unreachable:
        lines.append(render("Not reachable (blocked the bot): %(n)s", n=found.unreachable))
    if found.by_tag:
        tags = " · ".join(f"#{tag} {n}" for tag, n in found.by_tag)
        lines.append(render("Tags: %(tags)s", tags=tags))
    lines.append(
        render(
            "Sessions: %(sessions)s · questions open: %(open)s, answered: %(answered)s · "
            "broadcasts: %(broadcasts)s",
            sessions=found.sessions,
            open=found.questions_open,
            answered=found.questions_answered,
            broadcasts=found.broadcasts,
        )
    )
    await send(update, "\n".join(lines))


# What each audited action is called for the reader; others show as they are stored.
ACTIONS = {
    "registration.create": N_("registered"),
    "registration.approve": N_("approved a registration"),
    "registration.decline": N_("declined a registration"),
    "registration.remove": N_("removed a delegate"),
    "registration.erase": N_("a delegate erased their data"),
    "registration.edit": N_("edited their details"),
    "registration.tags": N_("changed tags"),
    "role.grant": N_("made a coordinator"),
    "role.revoke": N_("took back a coordinator role"),
    "broadcast.create": N_("sent a broadcast"),
    "broadcast.cancel": N_("stopped a broadcast"),
    "question.answer": N_("answered a question"),
    "mission.load": N_("loaded the mission file"),
    "agenda.import": N_("imported an agenda"),
    "session.add": N_("added a session"),
    "session.move": N_("moved a session"),
    "session.end": N_("changed when a session ends"),
    "session.venue": N_("changed a session's venue"),
    "session.cancel": N_("cancelled a session"),
    "venue.add": N_("added a venue"),
    "faq.add": N_("added an FAQ entry"),
}


@restricted(Role.ADMIN)
async def audit(update: Update, context: BotContext) -> None:
    viewer = await staff_mission(update, context)
    if viewer is None:
        return
    found = await svc.audit_trail(context.db, context.me, viewer.mission.id)
    if found is None:
        await say(update, "Sorry, this is only for the mission's staff.")
        return
    mission, lines = found
    if not lines:
        await say(
            update, "Nothing has happened on %(mission)s yet.", mission=mission.name(get_locale())
        )
        return
    text = [render("<b>Latest actions on %(mission)s</b>", mission=mission.name(get_locale()))]
    for line in lines:
        what = gettext(ACTIONS[line.action]) if line.action in ACTIONS else line.action
        who = line.actor or (gettext("staff") if line.staff else gettext("someone"))
        subject = " — " + line.subject if line.subject else ""
        text.append(
            render(
                "• %(when)s · %(who)s: %(what)s%(subject)s",
                when=format_short_moment(line.at, mission.timezone),
                who=who,
                what=what,
                subject=subject,
            )
        )
    text.append(render("Times are %(city)s time.", city=zone_city(mission.timezone)))
    await send(update, "\n".join(text))


HANDLERS: Handlers = [
    CommandHandler(names("roster"), show_roster),
    CommandHandler(names("approve"), show_pending),
    CallbackQueryHandler(roster_button, pattern=r"^ro:"),
    CallbackQueryHandler(tags_button, pattern=r"^rt:"),
    CommandHandler(names("promote"), promote),
    CommandHandler(names("export"), export),
    CommandHandler(names("remove"), remove_command),
    CommandHandler(names("stats"), stats),
    CommandHandler(names("audit"), audit),
    CallbackQueryHandler(promote_button, pattern=r"^pr:"),
]
