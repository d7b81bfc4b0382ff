"""/missions (admins): each mission with its invite link and seats."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.commands import names
from bot.context import BotContext
from bot.i18n import get_locale, render, render_plural
from bot.services.missions import overview
from handlers.common import Handlers, restricted, say, send
from models import Role


@restricted(Role.ADMIN)
async def list_missions(update: Update, context: BotContext) -> None:
    missions = await overview(context.db)
    if not missions:
        await say(update, "No mission yet. Load one with: missionbot mission load FILE")
        return
    blocks = []
    for m in missions:
        link = f"https://t.me/{context.bot.username}?start={m.invite_code}"
        seats = (
            render("%(taken)s / %(capacity)s seats taken", taken=m.seats_taken, capacity=m.capacity)
            if m.capacity is not None
            else render_plural(
                "%(n)s registered, no seat limit", "%(n)s registered, no seat limit", m.seats_taken
            )
        )
        state = render("open") if m.registration_open else render("closed")
        blocks.append(
            render(
                "<b>%(mission)s</b> (%(city)s)\nRegistration: %(state)s · %(seats)s\n"
                "Invite code: <code>%(code)s</code>\n%(link)s",
                mission=m.name(get_locale()),
                city=m.city,
                state=state,
                seats=seats,
                code=m.invite_code,
                link=link,
            )
        )
    await send(update, "\n\n".join(blocks))


HANDLERS: Handlers = [CommandHandler(names("missions"), list_missions)]
