"""/agenda, /next, /venue, /ics, /timezone and the buttons of session and venue cards."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from io import BytesIO

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.commands import names
from bot.context import BotContext
from bot.i18n import escape, format_day, get_locale, render, render_plural, zone_city
from bot.services import agenda as svc
from bot.services.calendar_file import agenda_ics
from bot.services.dates import DateProblem, fold, parse_day
from bot.services.zones import find_zone
from bot.views import agenda_day, button_title, now_next, session_card, short_day, venue_card
from handlers.common import (
    Handlers,
    answer,
    button_data,
    edit_or_send,
    inline,
    mission_buttons,
    not_registered,
    say,
    send,
)

HOME_ZONES = ("America/Montreal", "America/Vancouver", "America/Halifax", "Europe/Paris")


async def _viewer(update: Update, context: BotContext, action: str) -> svc.Viewer | None:
    """The mission the delegate looks at, or a prompt to register or to pick one."""
    found = await svc.viewer(context.db, context.me)
    if found is None:
        await not_registered(update, context)
        return None
    if isinstance(found, svc.MissionChoice):
        keyboard = mission_buttons(found.missions, action, get_locale())
        await say(update, "Which mission?", keyboard)
        return None
    return found


PAGE = 12  # sessions per screen: a phone shows about that many buttons without scrolling


def _day_keyboard(
    viewer: svc.Viewer, day: date, items: list[svc.SessionView], page: int, pages: int
) -> list[list[tuple[str, str]]]:
    rows = [[(button_title(item, viewer), f"s:{item.id}")] for item in items]
    here = f"ag:{viewer.mission.id}:{day:%Y%m%d}"
    paging = []
    if page > 0:
        paging.append((render("▲ Earlier"), f"{here}:{page - 1}"))
    if page + 1 < pages:
        paging.append((render("▼ Later"), f"{here}:{page + 1}"))
    if paging:
        rows.append(paging)
    days = viewer.calendar.days()
    nav = []
    if day - timedelta(days=1) >= days[0]:
        previous = day - timedelta(days=1)
        nav.append((f"◀ {short_day(previous)}", f"ag:{viewer.mission.id}:{previous:%Y%m%d}"))
    if day + timedelta(days=1) <= days[-1]:
        following = day + timedelta(days=1)
        nav.append((f"{short_day(following)} ▶", f"ag:{viewer.mission.id}:{following:%Y%m%d}"))
    if nav:
        rows.append(nav)
    if viewer.missions > 1:
        rows.append([(render("⇄ Another mission"), "switch")])
    return rows


async def show_day(
    update: Update,
    context: BotContext,
    viewer: svc.Viewer,
    day: date,
    note: str | None = None,
    page: int = 0,
) -> None:
    days = viewer.calendar.days()
    day = min(max(day, days[0]), days[-1])  # a forged or stale button may carry any date
    items = await svc.day_sessions(context.db, viewer, day)
    pages = max(1, -(-len(items) // PAGE))
    page = min(max(page, 0), pages - 1)
    shown = items[page * PAGE : (page + 1) * PAGE]
    if pages > 1:
        counter = render(
            "Sessions %(first)s–%(last)s of %(total)s",
            first=page * PAGE + 1,
            last=page * PAGE + len(shown),
            total=len(items),
        )
        note = f"{note}\n{counter}" if note else counter
    text = agenda_day(viewer, day, shown, note)
    await edit_or_send(update, text, inline(_day_keyboard(viewer, day, shown, page, pages)))


async def agenda(update: Update, context: BotContext) -> None:
    viewer = await _viewer(update, context, "agenda")
    if viewer is None:
        return
    asked = " ".join(context.args or [])
    await show_agenda_for(update, context, viewer, asked)


async def show_agenda_for(
    update: Update, context: BotContext, viewer: svc.Viewer, asked: str
) -> None:
    now = context.clock.now()
    today = viewer.calendar.today(now)
    days = viewer.calendar.days()
    try:
        day = parse_day(asked, viewer.calendar, now) if asked else None
    except DateProblem as problem:
        await date_problem(update, problem, viewer)
        return
    if asked and day is None:
        await say(
            update,
            "I did not understand that date. Try /agenda today, /agenda tomorrow, "
            "/agenda tuesday or /agenda 2017-04-11.",
        )
        return
    if day is None:
        note = None
        if today < days[0]:
            note = render("The mission starts on %(date)s.", date=format_day(days[0]))
        elif today > days[-1]:
            note = render("The mission ended on %(date)s.", date=format_day(days[-1]))
        await show_day(update, context, viewer, min(max(today, days[0]), days[-1]), note)
        return
    await show_agenda_day(update, context, viewer, day)


async def show_agenda_day(
    update: Update, context: BotContext, viewer: svc.Viewer, day: date
) -> None:
    """A day someone asked for; outside the mission, the nearest mission day and why."""
    days = viewer.calendar.days()
    note = None
    if not days[0] <= day <= days[-1]:
        note = render(
            "The mission runs from %(start)s to %(end)s.",
            start=format_day(days[0]),
            end=format_day(days[-1]),
        )
    await show_day(update, context, viewer, day, note)


async def date_problem(update: Update, problem: DateProblem, viewer: svc.Viewer) -> None:
    if problem.kind == "weekday" and problem.weekday is not None:
        from babel.dates import get_day_names

        weekday = get_day_names("wide", locale=get_locale())[problem.weekday]
        await say(
            update,
            "The mission has no %(weekday)s: it runs from %(start)s to %(end)s.",
            weekday=weekday,
            start=format_day(viewer.calendar.starts_on),
            end=format_day(viewer.calendar.ends_on),
        )
    else:
        await say(update, "That date does not exist. Please check the day and month.")


async def agenda_button(update: Update, context: BotContext) -> None:
    match = re.fullmatch(r"ag:(\d+):(\d{8})(?::(\d{1,3}))?", button_data(update))
    viewer = await svc.viewer(context.db, context.me, int(match[1])) if match else None
    if match is None or not isinstance(viewer, svc.Viewer):
        await expired(update)
        return
    try:
        day = date(int(match[2][:4]), int(match[2][4:6]), int(match[2][6:]))
    except ValueError:
        await expired(update)
        return
    await show_day(update, context, viewer, day, page=int(match[3] or 0))


async def next_sessions(update: Update, context: BotContext) -> None:
    viewer = await _viewer(update, context, "next")
    if viewer is None:
        return
    now = context.clock.now()
    found = await svc.now_and_next(context.db, viewer, now)
    items = found.current + found.upcoming
    today = viewer.calendar.today(now)
    keyboard = inline([[(button_title(item, viewer, day=today), f"s:{item.id}")] for item in items])
    await send(update, now_next(viewer, found, now), keyboard if items else None)


def session_keyboard(viewer: svc.Viewer, item: svc.SessionView) -> InlineKeyboardMarkup:
    """Map, calendar, back; and for the mission's staff, edit."""
    buttons = []
    if item.venue is not None and item.venue.latitude is not None:
        buttons.append((render("📍 Map"), f"map:{item.id}"))
    buttons.append((render("📅 Add to calendar"), f"ics:{item.id}"))
    back = (
        render("◀ Back to the day"),
        f"ag:{viewer.mission.id}:{viewer.calendar.today(item.starts_at):%Y%m%d}",
    )
    rows = [buttons, [back]]
    if viewer.staff:
        rows.append([(render("✏ Edit"), f"em:s:{item.id}")])
    return inline(rows)


async def session_button(update: Update, context: BotContext) -> None:
    action, _, raw_id = button_data(update).partition(":")
    found = await svc.session_for(context.db, context.me, int(raw_id)) if raw_id.isdigit() else None
    if found is None:
        await expired(update)
        return
    viewer, item = found
    if action == "s":
        await edit_or_send(update, session_card(viewer, item), session_keyboard(viewer, item))
        return
    if action == "sa":  # one of several answers: the card of the first one stays
        await answer(update)
        await send(update, session_card(viewer, item), session_keyboard(viewer, item))
        return
    await answer(update)
    if action == "map" and item.venue is not None:
        await send_venue_pin(update, item.venue)
    elif action == "ics":
        await _send_ics(update, context, viewer, [item], f"{item.key}.ics")


async def send_venue_pin(update: Update, venue: svc.VenueView) -> None:
    chat = update.effective_chat
    assert chat is not None
    if venue.latitude is None or venue.longitude is None:
        await send(update, escape(venue.address))
        return
    await chat.send_venue(
        latitude=venue.latitude,
        longitude=venue.longitude,
        title=venue.name[:100],
        address=venue.address[:100],
    )


async def _send_ics(
    update: Update,
    context: BotContext,
    viewer: svc.Viewer,
    items: list[svc.SessionView],
    filename: str,
) -> None:
    chat = update.effective_chat
    assert chat is not None
    content = agenda_ics(viewer, items, get_locale(), context.clock.now())
    await chat.send_document(
        InputFile(BytesIO(content), filename=filename),
        caption=render_plural(
            "Open this file to add the session to your phone's calendar.",
            "Open this file to add the sessions to your phone's calendar.",
            len(items),
        ),
    )


async def calendar_file(update: Update, context: BotContext) -> None:
    viewer = await _viewer(update, context, "ics")
    if viewer is None:
        return
    items = await svc.all_sessions(context.db, viewer)
    if not items:
        await say(update, "Nothing planned for you yet.")
        return
    await _send_ics(update, context, viewer, items, f"{viewer.mission.key}.ics")


async def venue_list(update: Update, context: BotContext) -> None:
    viewer = await _viewer(update, context, "venue")
    if viewer is None:
        return
    places = await svc.venues(context.db, viewer)
    if not places:
        await say(update, "No venue is listed for this mission yet.")
        return
    # As people read a list: "bioMérieux" under B, "Aéroport" under A.
    places = sorted(places, key=lambda v: (fold(v.name), v.name))
    keyboard = inline([[(f"📍 {v.name[:50]}", f"v:{v.id}")] for v in places])
    await say(update, "Which place?", keyboard)


async def venue_button(update: Update, context: BotContext) -> None:
    raw_id = button_data(update).removeprefix("v:")
    found = await svc.venue_for(context.db, context.me, int(raw_id)) if raw_id.isdigit() else None
    if found is None:
        await expired(update)
        return
    viewer, venue = found
    await answer(update)
    now = context.clock.now()
    await send_venue_pin(update, venue)
    upcoming = await svc.next_at_venue(context.db, viewer, venue.id, now)
    staff = inline([[(render("✏ Edit"), f"em:v:{venue.id}")]]) if viewer.staff else None
    await send(update, venue_card(viewer, venue, upcoming, now), staff)


async def switch_mission(update: Update, context: BotContext) -> None:
    choice = await svc.missions_of(context.db, context.me)
    await answer(update)
    if not choice.missions:
        await expired(update)
        return
    await say(update, "Which mission?", mission_buttons(choice.missions, "agenda", get_locale()))


async def mission_choice(update: Update, context: BotContext) -> None:
    match = re.fullmatch(r"mc:(\d+):(\w+)", button_data(update))
    viewer = await svc.remember_mission(context.db, context.me, int(match[1])) if match else None
    if match is None or viewer is None:
        await expired(update)
        return
    await answer(update)
    # The person read at the start of this update now looks at the mission just chosen.
    context.person = replace(context.me, current_mission_id=viewer.mission.id)
    from handlers.questions import faq_list  # the FAQ lives with the questions

    follow = {
        "agenda": agenda,
        "next": next_sessions,
        "venue": venue_list,
        "ics": calendar_file,
        "faq": faq_list,
    }
    await follow.get(match[2], agenda)(update, context)


async def timezone(update: Update, context: BotContext) -> None:
    typed = " ".join(context.args or [])
    if typed:
        zone = find_zone(typed)
        if zone is None:
            await say(
                update,
                "I do not know the time zone %(zone)s. Try a city, like /timezone Toronto, "
                "or a zone, like /timezone America/Toronto.",
                zone=typed[:64],
            )
            return
        await _set_zone(update, context, zone)
        return
    home = context.me.home_timezone
    keyboard = inline(
        [[(zone_city(z), f"tz:{z}")] for z in HOME_ZONES] + [[(render("No home time"), "tz:-")]]
    )
    current = (
        render("Now: %(city)s time beside the mission's time.", city=zone_city(home))
        if home
        else render("Now: only the mission's time.")
    )
    ask = render(
        "Show times in your home time zone too? Pick it, or send /timezone and its city, "
        "like /timezone Toronto."
    )
    await send(update, f"{current}\n\n{ask}", keyboard)


async def timezone_button(update: Update, context: BotContext) -> None:
    raw = button_data(update).removeprefix("tz:")
    zone = None if raw == "-" else find_zone(raw)
    if raw != "-" and zone is None:
        await expired(update)
        return
    await _set_zone(update, context, zone)


async def _set_zone(update: Update, context: BotContext, zone: str | None) -> None:
    await svc.set_home_timezone(context.db, context.me.delegate_id, zone)
    text = (
        render("Done: I will show %(city)s time beside the mission's time.", city=zone_city(zone))
        if zone
        else render("Done: I will show only the mission's time.")
    )
    await edit_or_send(update, text)


async def expired(update: Update) -> None:
    await answer(update)
    await say(update, "That button has expired. Send /help to see what you can do now.")


HANDLERS: Handlers = [
    CommandHandler(names("agenda"), agenda),
    CommandHandler(names("next"), next_sessions),
    CommandHandler(names("venue"), venue_list),
    CommandHandler(names("ics"), calendar_file),
    CommandHandler(names("timezone"), timezone),
    CallbackQueryHandler(agenda_button, pattern=r"^ag:"),
    CallbackQueryHandler(session_button, pattern=r"^(s|sa|map|ics):"),
    CallbackQueryHandler(venue_button, pattern=r"^v:"),
    CallbackQueryHandler(mission_choice, pattern=r"^mc:"),
    CallbackQueryHandler(switch_mission, pattern=r"^switch$"),
    CallbackQueryHandler(timezone_button, pattern=r"^tz:"),
]
