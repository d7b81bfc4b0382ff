"""/language: pick French or English with a button."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.commands import names, publish_menu_for
from bot.context import BotContext
from bot.i18n import SUPPORTED_LOCALES, language_name, render, set_locale
from bot.services.people import set_language
from handlers.common import Handlers, edit_or_send, inline, say


async def ask_language(update: Update, context: BotContext) -> None:
    keyboard = inline([[(language_name(loc), f"lang:{loc}") for loc in SUPPORTED_LOCALES]])
    await say(update, "Which language do you prefer?", keyboard)


async def choose_language(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    locale = query.data.removeprefix("lang:")
    if locale not in SUPPORTED_LOCALES:  # forged or outdated button
        await query.answer()
        return
    await set_language(context.db, context.clock, context.me.delegate_id, locale)
    set_locale(locale)
    await edit_or_send(update, render("From now on I will write to you in English."))
    # Telegram picks the default menu by the app's language; follow the chosen one instead.
    await publish_menu_for(context.bot, context.db, context.me.telegram_id, context.me.role)


HANDLERS: Handlers = [
    CommandHandler(names("language"), ask_language),
    CallbackQueryHandler(choose_language, pattern=r"^lang:"),
]
