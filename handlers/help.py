"""/help: what this person's role can do, in their language."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.commands import commands_for, names
from bot.context import BotContext
from bot.i18n import gettext, render
from handlers.common import Handlers, send


async def show_help(update: Update, context: BotContext) -> None:
    lines = [render("Here is what I can do for you:"), ""]
    for command in commands_for(context.me.role):
        lines.append(f"/{command.name} — {gettext(command.description)}")
    lines += ["", render("Tip: tap the menu button next to the text box to see these commands.")]
    await send(update, "\n".join(lines))


HANDLERS: Handlers = [CommandHandler(names("help"), show_help)]
