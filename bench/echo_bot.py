"""The baseline of the agenda benchmark's end-to-end run: a bare PTB echo bot, polling the
same loopback Bot API as `python -m bot run`, with PTB's defaults (its HTTPX client, one
update at a time). ECHO_CONCURRENT_UPDATES=N handles up to N updates at once instead, as the
real bot does (bot/updates.py), for a comparison with the same concurrency on both sides.

    TELEGRAM_BOT_TOKEN=... TELEGRAM_API_BASE_URL=http://127.0.0.1:PORT/bot python -m bench.echo_bot
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(update.effective_message.text or "")


def main() -> None:
    builder = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
    )
    concurrent = int(os.environ.get("ECHO_CONCURRENT_UPDATES") or 0)
    if concurrent > 1:
        builder = builder.concurrent_updates(concurrent)
    app = builder.build()
    app.add_handler(MessageHandler(filters.ALL, echo))
    app.run_polling(allowed_updates=[Update.MESSAGE])


if __name__ == "__main__":
    main()
