"""`missionbot` (also `python -m bot`): run, demo, db upgrade, admin grant, mission load."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import logging
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.clock import SystemClock
from bot.config import ConfigError, Settings, load_settings

BOTFATHER_HELP = """\
TELEGRAM_BOT_TOKEN is not set, so the bot cannot connect to Telegram.

To get a token: open Telegram, talk to @BotFather, send /newbot, choose a name and a
username, and copy the token it gives you. Then:

    export TELEGRAM_BOT_TOKEN=123456789:AA...   (or put it in a .env file)
    missionbot run

To try the bot without a token, run:

    missionbot demo
"""


REJECTED_HELP = """\
The Bot API at {url} rejected TELEGRAM_BOT_TOKEN (Unauthorized).
Check the token: copy it again from @BotFather (/mybots -> your bot -> API Token).
"""


class RedactingFormatter(logging.Formatter):
    """Formats records, then blanks out secrets wherever they appear (PTB puts the token in
    exception texts, httpx in URLs)."""

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        return text


def _setup_logging(level: str, secrets: list[str] | None = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets or [])
    )
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # httpx logs every request URL at INFO, and the URL holds the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _cmd_run(settings: Settings, _args: argparse.Namespace) -> int:
    if not settings.token:
        print(BOTFATHER_HELP, file=sys.stderr)
        return 2
    from sqlalchemy.exc import SQLAlchemyError
    from telegram import Update
    from telegram.error import InvalidToken, TelegramError

    from bot.app import build_application

    app = build_application(settings)
    allowed = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
    # Both stop cleanly on SIGINT and SIGTERM; post_init upgrades the schema.
    try:
        if settings.webhook_url:
            webhook = webhook_options(settings)
            logging.getLogger(__name__).info("webhook mode: port %d", webhook["port"])
            app.run_webhook(**webhook, allowed_updates=allowed)
        else:
            app.run_polling(allowed_updates=allowed)
    except InvalidToken:
        print(REJECTED_HELP.format(url=settings.telegram_api_base_url), file=sys.stderr)
        return 2
    except (TelegramError, OSError, SQLAlchemyError) as exc:
        # The message names the failing service; the token is never part of it.
        print(f"Cannot start: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


def webhook_options(settings: Settings) -> dict[str, Any]:
    """How `run` serves WEBHOOK_URL: PTB's own web server on WEBHOOK_PORT, on every
    interface (behind the TLS proxy that WEBHOOK_URL names: do not expose the port itself),
    at the path of WEBHOOK_URL.

    Telegram sends the secret in a header with every update and the server refuses a
    request without it. Users are recognised by the id an update carries, so an open
    webhook would let anyone send updates as an admin: with no WEBHOOK_SECRET, the secret
    is derived from the token, the same in every process (each start calls setWebhook,
    and a process behind the same URL must not turn the others' secret stale)."""
    assert settings.webhook_url is not None
    token = (settings.token or "").encode()
    secret = (
        settings.webhook_secret.get_secret_value()
        if settings.webhook_secret
        else hmac.new(token, b"missionbot webhook secret", hashlib.sha256).hexdigest()
    )
    return {
        "listen": "0.0.0.0",  # noqa: S104  (in a container, behind the proxy)
        "port": settings.webhook_port,
        # PTB matches the path as a regular expression: '.', '+' are meant as they are.
        "url_path": re.escape(urlsplit(settings.webhook_url).path.lstrip("/")),
        "webhook_url": settings.webhook_url,
        "secret_token": secret,
    }


async def _with_db(settings: Settings, action: str, args: argparse.Namespace) -> int:
    from bot.services.mission_file import MissionFileError, load_mission_file
    from bot.services.people import grant_admin
    from models.db import create_engine, create_session_factory, memo_of, upgrade_schema

    engine = create_engine(settings.database_url)
    sessions = create_session_factory(engine)
    try:
        await upgrade_schema(engine)
        if action == "upgrade":
            print("database schema is up to date")
        elif action == "grant":
            added = await grant_admin(sessions, SystemClock(), args.user_id)
            print(
                f"user {args.user_id} " + ("is now an admin" if added else "was already an admin")
            )
        elif action == "load":
            try:
                report = await load_mission_file(sessions, SystemClock(), Path(args.file))
            except MissionFileError as exc:
                print(f"{args.file}: not loaded, nothing was saved:", file=sys.stderr)
                for problem in exc.problems:
                    print(f"  {problem}", file=sys.stderr)
                return 1
            print(report.summary())
        return 0
    finally:
        if (memo := memo_of(sessions)) is not None:
            await memo.dispose()
        await engine.dispose()


def _cmd_catalogs(_settings: Settings, args: argparse.Namespace) -> int:
    from bot import catalogs

    if args.catalogs_command == "extract":
        print(f"extracted {catalogs.extract()}")
    elif args.catalogs_command == "update":
        catalogs.update()
        print("updated the en and fr catalogs")
    else:
        for path in catalogs.compile_all():
            print(f"compiled {path}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="missionbot", description="Mission Bot: delegation logistics on Telegram."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot (needs TELEGRAM_BOT_TOKEN)")
    demo = sub.add_parser("demo", help="try the bot in this terminal: no token, no network")
    demo.add_argument(
        "--mission", type=Path, help="mission file to load (default: the Lyon example)"
    )
    demo.add_argument(
        "--database", help="SQLAlchemy URL to use instead of a fresh temporary SQLite"
    )
    demo.add_argument(
        "--clock",
        help="start at this mission-local time, e.g. 2017-04-10T07:00 (rehearse a day; "
        "`:ff 30m` fast-forwards)",
    )
    db = sub.add_parser("db", help="database schema")
    db.add_subparsers(dest="db_command", required=True).add_parser(
        "upgrade", help="bring the schema to the latest version"
    )
    admin = sub.add_parser("admin", help="roles")
    grant = admin.add_subparsers(dest="admin_command", required=True).add_parser(
        "grant", help="make a Telegram user an admin"
    )
    grant.add_argument("user_id", type=int, help="numeric Telegram user id")
    mission = sub.add_parser("mission", help="missions")
    load = mission.add_subparsers(dest="mission_command", required=True).add_parser(
        "load", help="create or update a mission from a YAML or JSON file (idempotent)"
    )
    load.add_argument("file", help="path to the mission file")
    catalogs = sub.add_parser("catalogs", help="translation catalogs")
    steps = catalogs.add_subparsers(dest="catalogs_command", required=True)
    steps.add_parser("extract", help="collect messages from the code into locales/messages.pot")
    steps.add_parser("update", help="merge messages.pot into the en and fr catalogs")
    steps.add_parser("compile", help="compile .po catalogs to .mo")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    secrets = [settings.token or ""]
    if settings.webhook_secret:
        secrets.append(settings.webhook_secret.get_secret_value())
    _setup_logging(settings.log_level, secrets)
    if args.command == "run":
        return _cmd_run(settings, args)
    if args.command == "demo":
        from bot.demo import run_demo

        return asyncio.run(run_demo(settings, args.mission, args.database, args.clock))
    if args.command == "catalogs":
        return _cmd_catalogs(settings, args)
    action = {"db": "upgrade", "admin": "grant", "mission": "load"}[args.command]
    return asyncio.run(_with_db(settings, action, args))
