"""/reminders: how long before each session the delegate is reminded, or off."""

from __future__ import annotations

import re

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.commands import names
from bot.context import BotContext
from bot.i18n import render
from bot.services import reminders as service
from handlers.common import Handlers, button_data, edit_or_send, inline, say


def _label(minutes: int) -> str:
    if minutes == 0:
        return render("Off")
    if minutes >= 60:
        return render("%(n)s h before", n=minutes // 60)
    return render("%(n)s min before", n=minutes)


def _keyboard(prefs: service.Preferences) -> InlineKeyboardMarkup:
    def lead(minutes: int) -> tuple[str, str]:
        return ("✓ " if minutes == prefs.lead else "") + _label(minutes), f"rm:{minutes}"

    briefing = (
        render("☀️ Morning briefing: on") if prefs.briefing else render("☀️ Morning briefing: off")
    )
    return inline(
        [
            [lead(m) for m in service.CHOICES[:2]],
            [lead(m) for m in service.CHOICES[2:4]],
            [lead(0)],
            [(briefing, "rb:0" if prefs.briefing else "rb:1")],
        ]
    )


async def ask(update: Update, context: BotContext) -> None:
    prefs = await service.preferences(context.db, context.me.delegate_id)
    await say(update, "When should I remind you of your sessions?", _keyboard(prefs))


async def choose(update: Update, context: BotContext) -> None:
    match = re.fullmatch(r"rm:(\d{1,3})", button_data(update))
    if match is None or not await service.set_lead(
        context.db, context.me.delegate_id, int(match[1])
    ):
        await edit_or_send(
            update, render("That button has expired. Send /help to see what you can do now.")
        )
        return
    minutes = int(match[1])
    text = (
        render("Done: no more reminders before sessions or trips.")
        if minutes == 0
        else render("Done: I will remind you %(when)s each session.", when=_label(minutes))
    )
    prefs = await service.preferences(context.db, context.me.delegate_id)
    await edit_or_send(update, text, _keyboard(prefs))


async def toggle_briefing(update: Update, context: BotContext) -> None:
    match = re.fullmatch(r"rb:([01])", button_data(update))
    on = match is not None and match[1] == "1"
    if match is None or not await service.set_briefing(context.db, context.me.delegate_id, on):
        await edit_or_send(
            update, render("That button has expired. Send /help to see what you can do now.")
        )
        return
    text = (
        render("Done: each morning of the mission, I will send you the day's agenda.")
        if on
        else render("Done: no more morning briefings.")
    )
    prefs = await service.preferences(context.db, context.me.delegate_id)
    await edit_or_send(update, text, _keyboard(prefs))


HANDLERS: Handlers = [
    CommandHandler(names("reminders"), ask),
    CallbackQueryHandler(choose, pattern=r"^rm:"),
    CallbackQueryHandler(toggle_briefing, pattern=r"^rb:"),
]
