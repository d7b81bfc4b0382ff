"""Group -1: for every update, who is this and which language do they read."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.commands import names
from bot.context import BotContext
from bot.i18n import set_locale
from bot.services.people import identify
from handlers.common import say

log = logging.getLogger(__name__)

# user_data keys of values a staff conversation is waiting for.
STAFF_PROMPTS = ("editing", "answering", "new_session", "new_faq", "broadcast")


async def identify_user(update: Update, context: BotContext) -> None:
    user = update.effective_user
    message = update.effective_message
    if message is not None and message.sender_chat is not None:
        # Sent on behalf of a chat (anonymous admin, channel): from_user is a placeholder,
        # so nothing can be attributed to a person. Ignore rather than guess.
        raise ApplicationHandlerStop
    if user is None or user.is_bot:
        raise ApplicationHandlerStop
    if update.effective_chat is not None and update.effective_chat.type != "private":
        # The bot talks to delegates one to one; groups would expose personal details.
        raise ApplicationHandlerStop
    person = await identify(context.db, context.clock, user.id, user.language_code)
    context.person = person
    set_locale(person.locale)
    message = update.message
    if message is not None and message.text and message.text.startswith("/"):
        command = message.text[1:].split()[0].split("@")[0].lower() if message.text[1:] else ""
        if command not in names("cancel") and context.user_data is not None:
            # Another command means the person moved on: a value a coordinator was asked
            # for is no longer awaited, so their next text is read as what it is.
            for key in STAFF_PROMPTS:
                context.user_data.pop(key, None)
    if update.edited_message is not None:
        # An edit cannot change an answer already taken; say so rather than act twice.
        await say(update, "I only read new messages: please send the corrected text again.")
        raise ApplicationHandlerStop
