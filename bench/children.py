"""Child processes of the benchmarks: a bot (or the echo baseline) pointed at a loopback Bot
API, and its clean stop."""

from __future__ import annotations

import os
import signal
import subprocess

from bot.loopback import LoopbackBotAPI

TOKEN = "123456:bench-token"  # noqa: S105  (a loopback server: never sent anywhere real)


def bot_env(api: LoopbackBotAPI, url: str, **extra: str) -> dict[str, str]:
    """This environment without its Telegram and database settings, pointed at `api`."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))},
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "TELEGRAM_API_FILE_URL": api.file_url,
        "DATABASE_URL": url,
        **extra,
    }


def stop(process: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    """SIGTERM (the bot stops cleanly on it), then SIGKILL after 30 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
