"""The command list: one source for /help and for the menus set with setMyCommands."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.i18n import N_, SUPPORTED_LOCALES, gettext
from bot.services.people import language_of, role_holders
from models import Role

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommandInfo:
    name: str
    description: str  # N_() message id; Telegram allows 3-256 characters
    role: Role | None  # None: everyone
    aliases: tuple[str, ...] = ()  # French names typed by habit


COMMANDS: tuple[CommandInfo, ...] = (
    CommandInfo("start", N_("Start, or join a mission with its code"), None),
    CommandInfo(
        "register", N_("Register for a mission with an invite code"), None, ("inscription",)
    ),
    CommandInfo("agenda", N_("Your sessions today, tomorrow or any day"), None, ("programme",)),
    CommandInfo("next", N_("What is on now and next"), None, ("suivant", "prochain")),
    CommandInfo("venue", N_("Venues, with map and address"), None, ("lieu", "lieux")),
    CommandInfo("ics", N_("Your agenda for your phone's calendar"), None, ("calendrier",)),
    CommandInfo("timezone", N_("Also show times in your home time zone"), None, ("fuseau",)),
    CommandInfo("reminders", N_("When to remind you of your sessions"), None, ("rappels",)),
    CommandInfo("profile", N_("See and edit your details"), None, ("profil",)),
    CommandInfo("language", N_("Choose French or English"), None, ("langue",)),
    CommandInfo("help", N_("What I can do for you"), None, ("aide",)),
    CommandInfo("cancel", N_("Stop what you are doing"), None, ("annuler",)),
    CommandInfo("forget_me", N_("Erase all your data"), None, ("oublier",)),
    CommandInfo("ask", N_("Ask the coordinators a question"), None, ("question",)),
    CommandInfo("faq", N_("Practical questions and answers"), None),
    CommandInfo("questions", N_("Questions waiting for an answer"), Role.COORDINATOR),
    CommandInfo(
        "broadcast", N_("Send a message to the delegation"), Role.COORDINATOR, ("diffuser",)
    ),
    CommandInfo("deliveries", N_("Broadcasts sent and who was reached"), Role.COORDINATOR),
    CommandInfo("session_add", N_("Add a session to the agenda"), Role.COORDINATOR),
    CommandInfo("faq_add", N_("Add a question and answer"), Role.COORDINATOR),
    CommandInfo("venue_add", N_("Add a venue, with its map pin"), Role.COORDINATOR),
    CommandInfo(
        "roster",
        N_("Who is registered, and who waits for approval"),
        Role.COORDINATOR,
        ("inscrits",),
    ),
    CommandInfo(
        "approve",
        N_("Approve or decline waiting registrations"),
        Role.COORDINATOR,
        ("approuver",),
    ),
    CommandInfo("remove", N_("Take a delegate off the mission"), Role.COORDINATOR, ("retirer",)),
    CommandInfo("export", N_("The roster as a spreadsheet (CSV)"), Role.COORDINATOR, ("exporter",)),
    CommandInfo("stats", N_("The mission at a glance"), Role.COORDINATOR),
    CommandInfo("missions", N_("Missions, invite links and seats"), Role.ADMIN),
    CommandInfo("promote", N_("Make a delegate a coordinator, or take it back"), Role.ADMIN),
    CommandInfo("audit", N_("Who did what on the mission, latest first"), Role.ADMIN),
)

_RANK = {None: 0, Role.COORDINATOR: 1, Role.ADMIN: 2}


def commands_for(role: Role | None) -> list[CommandInfo]:
    return [c for c in COMMANDS if _RANK[c.role] <= _RANK[role]]


def names(command: str) -> list[str]:
    """The command and its aliases, for a CommandHandler."""
    info = next(c for c in COMMANDS if c.name == command)
    return [info.name, *info.aliases]


def _menu(role: Role | None, locale: str) -> list[BotCommand]:
    return [BotCommand(c.name, gettext(c.description, locale)) for c in commands_for(role)]


async def publish_menus(bot: Bot, sessions: async_sessionmaker[AsyncSession]) -> None:
    """Default menus per language, and a per-chat menu for each admin and coordinator."""
    try:
        await bot.set_my_commands(_menu(None, "en"), scope=BotCommandScopeDefault())
        for locale in SUPPORTED_LOCALES:
            if locale != "en":
                await bot.set_my_commands(
                    _menu(None, locale), scope=BotCommandScopeDefault(), language_code=locale
                )
        for telegram_id, role in await role_holders(sessions):
            await publish_menu_for(bot, sessions, telegram_id, role)
    except TelegramError as exc:  # menus are a convenience: never block start-up on them
        log.warning("could not set command menus: %s", exc)


async def publish_menu_for(
    bot: Bot, sessions: async_sessionmaker[AsyncSession], telegram_id: int, role: Role | None
) -> None:
    locale = await language_of(sessions, telegram_id)
    try:
        await bot.set_my_commands(_menu(role, locale), scope=BotCommandScopeChat(telegram_id))
    except TelegramError as exc:  # the person never opened a chat with the bot
        log.debug("no command menu for chat %s: %s", telegram_id, exc)
