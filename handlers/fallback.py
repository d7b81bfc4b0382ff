"""Last resort in group 0: unknown commands, stray text, expired buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.commands import names
from bot.context import BotContext
from bot.services.registration import my_registrations
from handlers.common import Handlers, not_registered, say


async def unknown_command(update: Update, context: BotContext) -> None:
    await say(update, "I do not know that command. Send /help to see what I can do.")


async def nothing_to_cancel(update: Update, context: BotContext) -> None:
    await say(update, "There is nothing to cancel. Send /help to see what I can do.")


async def stray_text(update: Update, context: BotContext) -> None:
    if await my_registrations(context.db, context.me.delegate_id):
        await say(
            update,
            "I did not understand that. Send /help to see what I can do, "
            "or /profile to check your details.",
        )
    else:
        await not_registered(update, context)


async def expired_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await say(update, "That button has expired. Send /help to see what you can do now.")


HANDLERS: Handlers = [
    CommandHandler(names("cancel"), nothing_to_cancel),
    MessageHandler(filters.COMMAND, unknown_command),
    MessageHandler(filters.ALL & ~filters.StatusUpdate.ALL, stray_text),
    CallbackQueryHandler(expired_button),
]
