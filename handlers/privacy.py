"""/forget_me: a delegate erases everything the bot knows about them, after confirming."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.commands import names
from bot.context import BotContext
from bot.i18n import render
from bot.services.registration import forget
from handlers.common import Handlers, edit_or_send, inline, say


async def ask_forget(update: Update, context: BotContext) -> None:
    keyboard = inline(
        [[(render("Yes, erase my data"), "forget:yes")], [(render("No, keep it"), "forget:no")]]
    )
    await say(
        update,
        "This erases your profile and registrations for every mission, and frees your seats. "
        "It cannot be undone. Are you sure?",
        keyboard,
    )


async def answer_forget(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    if query.data != "forget:yes":
        await edit_or_send(update, render("Good, nothing was erased."))
        return
    await forget(context.db, context.clock, context.me.delegate_id)
    if context.user_data is not None:
        context.user_data.clear()
    await edit_or_send(
        update,
        render("Done: everything I knew about you is erased. Send /start if you come back."),
    )


HANDLERS: Handlers = [
    CommandHandler(names("forget_me"), ask_forget),
    CallbackQueryHandler(answer_forget, pattern=r"^forget:(yes|no)$"),
]
