"""The console: `missionbot demo` driven by a script, `run` without a token, bad settings."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bot.cli import webhook_options
from bot.config import ConfigError, load_settings
from bot.loopback import LoopbackBotAPI
from tests.conftest import EXAMPLE

ROOT = Path(__file__).resolve().parents[1]


def missionbot(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_URL", "BOT_ADMIN"))
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, **(env or {})},
        cwd=cwd,
        check=False,
    )


DEMO_SCRIPT = """\
:fr
/start BIOVISION2017
Camille Tremblay
BioMTL
camille@exemple.ca
:contact
#1
#1
#1
#1
#1
:en
/start BIOVISION2017
Alex Morgan
Acme Bio
not-an-email
alex@example.com
+1 514 555 0123
Vegetarian
#1
#1
#1
#1
/profile
:admin
/missions
:quit
"""


def test_demo_registers_a_french_and_an_english_delegate(tmp_path: Path) -> None:
    result = missionbot("demo", stdin=DEMO_SCRIPT, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    assert "Vous êtes inscrit à Mission Montréal InVivo à BIOVISION Lyon 2017" in out
    assert "You are registered for Montréal InVivo Mission to BIOVISION Lyon 2017" in out
    assert "does not look like an email address" in out
    assert "Vegetarian" in out  # the English delegate's /profile
    assert "2 / 40" in out  # the admin sees both seats taken
    assert not list(tmp_path.iterdir()), "the demo leaves no file behind"


def test_run_without_token_explains_how_to_get_one() -> None:
    result = missionbot("run", env={"TELEGRAM_BOT_TOKEN": ""})
    assert result.returncode == 2
    assert "BotFather" in result.stderr
    assert "missionbot demo" in result.stderr


def test_bad_settings_are_reported_clearly() -> None:
    result = missionbot(
        "db", "upgrade", env={"DATABASE_URL": "mysql://localhost/x", "BOT_ADMIN_IDS": "12,abc"}
    )
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
    assert "BOT_ADMIN_IDS" in result.stderr
    assert "Traceback" not in result.stderr


def test_mission_load_and_admin_grant_from_the_console(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
    first = missionbot("mission", "load", str(EXAMPLE), env=env)
    assert first.returncode == 0, first.stderr
    assert "created 1 mission" in first.stdout
    second = missionbot("mission", "load", str(EXAMPLE), env=env)
    assert "nothing changed" in second.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("mission:\n  key: x\n", encoding="utf-8")
    refused = missionbot("mission", "load", str(bad), env=env)
    assert refused.returncode == 1
    assert "mission.name: required" in refused.stderr
    granted = missionbot("admin", "grant", "123456789", env=env)
    assert "is now an admin" in granted.stdout
    again = missionbot("admin", "grant", "123456789", env=env)
    assert "already an admin" in again.stdout


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"database_url": "postgresql://localhost/db"}, "DATABASE_URL"),
        ({"bot_admin_ids": "1;x"}, "BOT_ADMIN_IDS"),
        ({"broadcast_rate": "0"}, "BROADCAST_RATE"),
        ({"log_level": "LOUD"}, "LOG_LEVEL"),
        ({"webhook_secret": "has spaces"}, "WEBHOOK_SECRET"),
        ({"webhook_url": "bot.example.org/tg"}, "WEBHOOK_URL"),
        ({"telegram_api_base_url": "ftp://x"}, "TELEGRAM_API_BASE_URL"),
    ],
)
def test_settings_validation_names_the_variable(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        load_settings(**overrides)


def test_admin_ids_are_comma_separated() -> None:
    assert load_settings(bot_admin_ids="12, 34,").bot_admin_ids == [12, 34]


def test_application_uses_both_api_urls() -> None:
    from bot.app import build_application

    settings = load_settings(
        telegram_api_base_url="http://127.0.0.1:8081/bot",
        telegram_api_file_url="http://127.0.0.1:8081/file/bot",
        database_url="sqlite+aiosqlite:///:memory:",
    )
    app = build_application(settings, rate_limit=False)
    assert app.bot.base_url.startswith("http://127.0.0.1:8081/bot")
    assert app.bot.base_file_url.startswith("http://127.0.0.1:8081/file/bot")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_run_polls_any_bot_api_server_and_stops_cleanly(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    token = "123456:TEST-token-value"
    with LoopbackBotAPI() as api:
        api.push_update(
            {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": 4242, "type": "private"},
                    "from": {
                        "id": 4242,
                        "is_bot": False,
                        "first_name": "Zoé",
                        "language_code": "fr",
                    },
                    "text": "/start",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                },
            }
        )
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("TELEGRAM_", "DATABASE_URL"))
            },
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "TELEGRAM_API_FILE_URL": api.file_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            reply = api.wait_for("sendMessage", timeout=60, chat_id=4242)
        finally:
            process.send_signal(stop_signal)
            _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Bonjour" in reply.text
    assert all(path.startswith(f"/bot{token}/") for path in api.paths)
    assert any(c.method == "setMyCommands" for c in api.calls)
    assert token not in err
    assert "Zoé" not in err


def _start_update(user_id: int) -> dict[str, object]:
    return {
        "update_id": 7,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Zoé", "language_code": "en"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


def _post(url: str, body: dict[str, object], secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data, headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_run_serves_a_webhook_that_refuses_updates_without_the_secret(tmp_path: Path) -> None:
    """WEBHOOK_URL set: no polling; Telegram is given the URL and the secret, and an update
    posted without that secret (anyone could post one as an admin) is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/telegram/hook"
    secret = "hook_Secret-42"
    with LoopbackBotAPI() as api:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))},
            "TELEGRAM_BOT_TOKEN": "123456:TEST-token-value",
            "TELEGRAM_API_BASE_URL": api.base_url,
            "TELEGRAM_API_FILE_URL": api.file_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hook.db'}",
            "WEBHOOK_URL": url,
            "WEBHOOK_PORT": str(port),
            "WEBHOOK_SECRET": secret,
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            hook = api.wait_for("setWebhook", timeout=60)
            assert hook.params["url"] == url
            assert hook.params["secret_token"] == secret
            statuses = []
            for attempt in range(50):  # the server may still be starting
                try:
                    statuses.append(_post(url, _start_update(4301), "wrong"))
                    statuses.append(_post(url, _start_update(4302), None))
                    statuses.append(_post(url, _start_update(4303), secret))
                    break
                except OSError:
                    time.sleep(0.1 * attempt)
            assert statuses == [403, 403, 200]
            reply = api.wait_for("sendMessage", timeout=30, chat_id=4303)
        finally:
            process.send_signal(signal.SIGTERM)
            _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Hello" in reply.text
    assert {c.chat_id for c in api.calls if c.method == "sendMessage"} == {4303}
    assert not [c for c in api.calls if c.method == "getUpdates"]
    assert secret not in err


def test_a_webhook_without_a_secret_gets_one_derived_from_the_token() -> None:
    """The same in every process of one bot (each start calls setWebhook), another for
    another bot, and never the token itself."""
    url = "https://bot.example.org/tg/hook.v2"
    first = webhook_options(load_settings(telegram_bot_token="1:x", webhook_url=url))
    again = webhook_options(load_settings(telegram_bot_token="1:x", webhook_url=url))
    other = webhook_options(load_settings(telegram_bot_token="2:y", webhook_url=url))
    assert first["secret_token"] == again["secret_token"] != other["secret_token"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{32,256}", first["secret_token"])
    assert "1:x" not in first["secret_token"]
    assert re.fullmatch(first["url_path"], "tg/hook.v2")
    assert not re.fullmatch(first["url_path"], "tg/hookXv2")  # '.' is a dot
    assert first["port"] == 8443
    with pytest.raises(ConfigError):
        load_settings(webhook_url="https://bot.example.org/tg", webhook_secret="clé")


def test_rejected_token_is_explained_without_printing_it(tmp_path: Path) -> None:
    token = "123456:SECRET-token-value"
    with LoopbackBotAPI(token_valid=False) as api:
        result = missionbot(
            "run",
            env={
                "TELEGRAM_BOT_TOKEN": token,
                "TELEGRAM_API_BASE_URL": api.base_url,
                "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
            },
        )
    assert result.returncode == 2
    assert "rejected TELEGRAM_BOT_TOKEN" in result.stderr
    assert "SECRET" not in result.stderr + result.stdout


def test_a_webhook_telegram_refuses_is_reported_clearly(tmp_path: Path) -> None:
    def refuse(call: Any) -> tuple[int, dict[str, Any], float] | None:
        if call.method != "setWebhook":
            return None
        body = {"ok": False, "description": "Bad Request: bad webhook: HTTPS url must be provided"}
        return 400, body, 0

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with LoopbackBotAPI() as api:
        api.responder = refuse
        result = missionbot(
            "run",
            env={
                "TELEGRAM_BOT_TOKEN": "123456:TEST-token-value",
                "TELEGRAM_API_BASE_URL": api.base_url,
                "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
                "WEBHOOK_URL": "http://bot.example.org/tg",
                "WEBHOOK_PORT": str(port),
            },
        )
    assert result.returncode == 1
    # PTB logs the failed setWebhook; the last line says it plainly.
    last = result.stderr.strip().splitlines()[-1]
    assert last == "Cannot start: BadRequest: Bad webhook: https url must be provided"
