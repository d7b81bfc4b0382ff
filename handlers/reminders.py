"""/reminders: how long before each session the delegate is reminded, or off."""

from __future__ import annotations

import re

from telegram import Update
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


async def ask(update: Update, context: BotContext) -> None:
    current = await service.lead_of(context.db, context.me.delegate_id)
    rows = [
        [((("✓ " if m == current else "") + _label(m)), f"rm:{m}") for m in service.CHOICES[:2]],
        [((("✓ " if m == current else "") + _label(m)), f"rm:{m}") for m in service.CHOICES[2:4]],
        [((("✓ " if current == 0 else "") + _label(0)), "rm:0")],
    ]
    await say(update, "When should I remind you of your sessions?", inline(rows))


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
        render("Done: no more reminders before sessions.")
        if minutes == 0
        else render("Done: I will remind you %(when)s each session.", when=_label(minutes))
    )
    await edit_or_send(update, text)


HANDLERS: Handlers = [
    CommandHandler(names("reminders"), ask),
    CallbackQueryHandler(choose, pattern=r"^rm:"),
]
