"""What every handler shares: replying in the user's language, keyboards, role checks."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import MessageLimit
from telegram.ext import BaseHandler

from bot.context import BotContext
from bot.i18n import get_locale, render, split_text
from bot.services.registration import my_registrations
from models import RegistrationStatus, Role

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | Any
# What each feature module exports as HANDLERS, in the order they are registered.
Handlers = list[BaseHandler[Update, BotContext, Any]]


async def send(update: Update, text: str, markup: Markup | None = None) -> Message | None:
    """Send rendered HTML to this update's chat, split if long; markup goes on the last part."""
    chat = update.effective_chat
    if chat is None:
        return None
    parts = split_text(text)
    message = None
    for index, part in enumerate(parts):
        message = await chat.send_message(
            part, reply_markup=markup if index == len(parts) - 1 else None
        )
    return message


async def say(
    update: Update, message_id: str, markup: Markup | None = None, /, **params: object
) -> Message | None:
    """Render a catalog message in the current locale and send it."""
    return await send(update, render(message_id, **params), markup)


async def not_registered(update: Update, context: BotContext) -> None:
    """Nothing to show this person: waiting for approval, or not registered at all."""
    for registration in await my_registrations(context.db, context.me.delegate_id):
        if registration.status == RegistrationStatus.PENDING:
            await say(
                update,
                "Your registration for %(mission)s is still waiting for the organisers' "
                "approval. I will tell you as soon as it is confirmed.",
                mission=registration.mission.name(get_locale()),
            )
            return
    await say(
        update,
        "You are not registered for a mission yet. Open the invite link you received, "
        "or send /register and then your invite code.",
    )


async def edit_or_send(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the message a button was pressed on (fewer stale buttons), else send anew."""
    query = update.callback_query
    if (
        query is not None
        and query.message is not None
        and len(text) <= MessageLimit.MAX_TEXT_LENGTH
    ):
        await query.answer()
        await query.edit_message_text(text, reply_markup=markup)
        return
    await send(update, text, markup)


async def answer(update: Update) -> None:
    """Stop the button's spinner; harmless when the update is not a button press."""
    if update.callback_query is not None:
        await update.callback_query.answer()


def mission_buttons(missions: Sequence[Any], action: str, locale: str) -> InlineKeyboardMarkup:
    """One button per mission; pressing it remembers the choice and then runs `action`."""
    return inline([[(m.name(locale), f"mc:{m.id}:{action}")] for m in missions])


def button_data(update: Update) -> str:
    """The callback data of a pressed button (registered only for callback queries)."""
    query = update.callback_query
    assert query is not None
    return query.data or ""


def inline(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Inline keyboard from (label, callback_data) rows; data must stay within 64 bytes."""
    for row in rows:
        for _label, data in row:
            assert len(data.encode()) <= 64, data
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


Handler = Callable[[Update, BotContext], Coroutine[Any, Any, Any]]


def restricted(role: Role) -> Callable[[Handler], Handler]:
    """The one gate for privileged commands and callbacks.

    Roles come from the database (loaded by the middleware for this very update), never from
    anything the client sent; a refusal is told in the user's language.
    """

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def gated(update: Update, context: BotContext) -> Any:
            me = context.me
            allowed = me.is_admin or (role == Role.COORDINATOR and bool(me.coordinator_of))
            if not allowed:
                if update.callback_query is not None:
                    await update.callback_query.answer()
                await say(update, "Sorry, this is only for the mission's staff.")
                return None
            return await handler(update, context)

        return gated

    return decorate
