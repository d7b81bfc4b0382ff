"""build_application(): every handler registered here, in order, groups commented."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ContextTypes,
    Defaults,
    TypeHandler,
)
from telegram.request import BaseRequest

from bot.clock import Clock, SystemClock
from bot.commands import publish_menus
from bot.config import Settings
from bot.context import AppState, BotApplication, BotContext
from bot.i18n import load_catalogs
from bot.outbox import Sender
from bot.services.broadcasts import ProgressReporter
from bot.services.people import flush_seen, grant_admin
from bot.services.questions import prepare_indexes
from bot.services.reminders import enqueue_due
from bot.transport import AiohttpRequest
from bot.updates import PerPersonUpdateProcessor
from handlers import (
    agenda,
    broadcasts,
    editing,
    errors,
    fallback,
    help,
    language,
    middleware,
    missions,
    privacy,
    questions,
    registration,
    reminders,
    roster,
)
from models.db import create_engine, create_session_factory, memo_of, upgrade_schema

log = logging.getLogger(__name__)

# A token is required by PTB even when requests never leave the process (demo, tests).
OFFLINE_TOKEN = "7000000001:offline-demo-token"  # noqa: S105  (not a secret: never sent anywhere)


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    rate_limit: bool = True,
    background_sender: bool = True,
) -> BotApplication:
    context_types = ContextTypes(context=BotContext, bot_data=AppState)
    builder = (
        Application.builder()
        .token(settings.token or OFFLINE_TOKEN)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_file_url)
        .context_types(context_types)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .post_init(startup)
        .post_stop(stop_sender)  # before PTB closes the bot's HTTP client
        .post_shutdown(shutdown)
        # Different people at once, each person's updates one at a time and in order (what
        # ConversationHandler's per-user state needs): see bot/updates.py.
        .concurrent_updates(PerPersonUpdateProcessor())
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        # aiohttp rather than PTB's HTTPX client: half the CPU per call (bot/transport.py).
        # One connection for the long poll, as PTB does; many for replies and sends.
        builder = builder.request(AiohttpRequest()).get_updates_request(AiohttpRequest(1))
    if rate_limit:
        # PTB's generics: ExtBot[None] against the limiter's int | dict retry argument.
        # Bulk sending is paced by the outbox sender (BROADCAST_RATE); PTB's limiter only
        # keeps group chats within 20/min and retries a reply once on 429, so a reply to
        # a person's own message never waits behind a broadcast.
        limiter = AIORateLimiter(overall_max_rate=0, max_retries=1)
        builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]
    app: BotApplication = builder.build()  # type: ignore[assignment]

    engine = create_engine(settings.database_url)
    state = app.bot_data
    state.settings = settings
    state.engine = engine
    state.sessions = create_session_factory(engine)
    state.clock = clock or SystemClock()
    state.background_sender = background_sender

    # Group -1: who is this, which language. Refuses updates it cannot attribute to a person.
    app.add_handler(TypeHandler(Update, middleware.identify_user), group=-1)

    # Group 0: features. Commands that work at any moment come first, so that /help or
    # /language in the middle of registration answers without losing the draft; the
    # registration conversation next; the fallbacks (unknown command, stray text, expired
    # button) last.
    app.add_handlers(
        help.HANDLERS
        + language.HANDLERS
        + privacy.HANDLERS
        + missions.HANDLERS
        + agenda.HANDLERS
        + reminders.HANDLERS
    )
    app.add_handlers(questions.HANDLERS + editing.HANDLERS + broadcasts.HANDLERS + roster.HANDLERS)
    # Staff conversations (reply, edit, broadcast) before registration: a coordinator's
    # typed value is never taken for a registration answer; then agenda files.
    app.add_handler(questions.reply_conversation())
    app.add_handler(editing.conversation())
    app.add_handler(broadcasts.conversation())
    app.add_handler(editing.DOCUMENT_HANDLER)
    app.add_handler(registration.build())
    # Plain text that no conversation took is a question.
    app.add_handler(questions.TEXT_HANDLER)
    app.add_handlers(fallback.HANDLERS)

    app.add_error_handler(errors.on_error)
    return app


async def startup(app: BotApplication) -> None:
    """post_init: schema, catalogs, admins from the environment, command menus, the
    question indexes of the missions under way."""
    state = app.bot_data
    state.started_at = time.monotonic()
    assert state.engine is not None
    assert state.sessions is not None
    assert state.settings is not None
    load_catalogs()
    await upgrade_schema(state.engine)
    for admin_id in state.settings.bot_admin_ids:
        await grant_admin(state.sessions, state.clock, admin_id)
    await publish_menus(app.bot, state.sessions)
    await prepare_indexes(state.sessions, state.clock.now().date())
    state.sender = Sender(state.sessions, app.bot, state.clock, state.settings.broadcast_rate)
    state.sender.after_batch = ProgressReporter(
        state.sessions, app.bot, state.settings.broadcast_rate, state.clock
    )
    if state.background_sender:
        # Sends only while it holds the database's sender lock (one sender per database,
        # however many processes); on taking it, it requeues what a stopped sender left.
        state.sender_stop = asyncio.Event()
        state.sender_task = asyncio.create_task(state.sender.run(state.sender_stop))
        if app.job_queue is not None:
            # The job only wakes the bot; what is due is read from the database each time,
            # so nothing is lost when the process restarts. The first pass runs now (what
            # was missed while the bot was down goes first), then every REMINDER_CHECK.
            await queue_reminders(state)
            app.job_queue.run_repeating(
                _queue_reminders, interval=REMINDER_CHECK, first=REMINDER_CHECK, name="reminders"
            )
            app.job_queue.run_repeating(
                _flush_seen, interval=SEEN_FLUSH, first=SEEN_FLUSH, name="last-seen"
            )
    else:
        await state.sender.recover()  # demo and tests flush the outbox themselves
    log.info("ready: %d admin id(s) from the environment", len(state.settings.bot_admin_ids))


async def flush_outbox(app: BotApplication) -> int:
    """Send everything due now (demo and tests; `run` has the background sender)."""
    sender = app.bot_data.sender
    total = 0
    while sender is not None and (sent := await sender.run_once()):
        total += sent
    return total


REMINDER_CHECK = 20  # seconds
SEEN_FLUSH = 60  # seconds: how often last-seen times are written (bot/services/people.py)


async def _flush_seen(context: BotContext) -> None:
    assert context.bot_data.sessions is not None
    await flush_seen(context.bot_data.sessions)


async def _queue_reminders(context: BotContext) -> None:
    await queue_reminders(context.bot_data)


async def queue_reminders(state: AppState) -> None:
    assert state.sessions is not None
    assert state.settings is not None
    grace = timedelta(minutes=state.settings.reminder_grace_minutes)
    started = time.monotonic()
    queued = await enqueue_due(state.sessions, state.clock, grace)
    if not state.reminders_armed:
        state.reminders_armed = True
        log.info(
            "reminders armed %.3f s after start: first pass queued %d in %.3f s; a pass every %d s",
            time.monotonic() - state.started_at,
            queued,
            time.monotonic() - started,
            REMINDER_CHECK,
        )
    elif queued:
        log.info("reminders: queued %d", queued)


async def stop_sender(app: BotApplication) -> None:
    """Let the background sender finish the message in hand, then stop it (which releases
    the sender lock, so a standby process takes over at its next attempt)."""
    state = app.bot_data
    if state.sender_task is not None and state.sender_stop is not None:
        state.sender_stop.set()
        await state.sender_task
        state.sender_task = None


async def shutdown(app: BotApplication) -> None:
    await stop_sender(app)
    if app.bot_data.sessions is not None:
        try:
            await flush_seen(app.bot_data.sessions)
        except Exception:  # the database is gone: last-seen times are not worth a crash
            log.warning("last-seen times not written at shutdown", exc_info=True)
    memo = memo_of(app.bot_data.sessions) if app.bot_data.sessions else None
    if memo is not None:
        await memo.dispose()
    if app.bot_data.engine is not None:
        await app.bot_data.engine.dispose()
