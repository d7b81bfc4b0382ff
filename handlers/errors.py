"""The one error handler: log with the update id (no personal data), then tell the user."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import BotContext
from handlers.common import say

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            if update.callback_query is not None:
                await update.callback_query.answer()
            await say(
                update,
                "Sorry, something went wrong on my side. Nothing you saved was lost. "
                "Please try again in a moment, or send /cancel to start over.",
            )
        except Exception:  # the network may be what failed; the log above has the cause
            log.warning("could not tell the user about error in update %s", update_id)
