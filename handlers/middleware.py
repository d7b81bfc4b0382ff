"""Group -1: for every update, who is this and which language do they read."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext
from bot.i18n import set_locale
from bot.services.people import identify
from handlers.common import say

log = logging.getLogger(__name__)


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
    if update.edited_message is not None:
        # An edit cannot change an answer already taken; say so rather than act twice.
        await say(update, "I only read new messages: please send the corrected text again.")
        raise ApplicationHandlerStop
