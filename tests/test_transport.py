"""The bot's Bot API client (bot/transport.py), over real HTTP to the loopback Bot API: what
PTB's own client would do, the same way (form fields, uploads, timeouts, errors)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.app import build_application
from bot.config import load_settings
from bot.loopback import LoopbackBotAPI
from bot.offline import ApiCall
from bot.transport import AiohttpRequest

TOKEN = "123456:transport-test"  # a loopback server: never sent anywhere real


async def _bot(base_url: str) -> Bot:
    return Bot(
        TOKEN, base_url=base_url, request=AiohttpRequest(), get_updates_request=AiohttpRequest(1)
    )


@pytest.fixture
def api() -> Any:
    with LoopbackBotAPI() as server:
        yield server


@pytest.fixture
async def bot(api: LoopbackBotAPI) -> AsyncIterator[Bot]:
    bot = await _bot(api.base_url)
    async with bot:
        yield bot


async def test_a_reply_with_buttons_reaches_the_bot_api_and_comes_back_as_a_message(
    api: LoopbackBotAPI, bot: Bot
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Demain ›", callback_data="d:1")]])
    sent = await bot.send_message(42, "Programme du <b>mardi</b> · é ✓", reply_markup=keyboard)
    call = api.wait_for("sendMessage", chat_id=42)
    assert call.text == "Programme du <b>mardi</b> · é ✓"
    assert call.button_data() == ["d:1"]
    assert sent.text == "Programme du <b>mardi</b> · é ✓"
    assert sent.chat.id == 42


async def test_a_calendar_file_is_uploaded_whole_with_its_name_and_caption(
    api: LoopbackBotAPI, bot: Bot
) -> None:
    content = b"BEGIN:VCALENDAR\r\nX-WR-CALNAME:Lyon \xc3\xa9t\xc3\xa9\r\nEND:VCALENDAR\r\n"
    await bot.send_document(7, document=content, filename="agenda.ics", caption="Votre agenda")
    call = api.wait_for("sendDocument", chat_id=7)
    assert call.text == "Votre agenda"
    assert call.files["document"] == ("agenda.ics", content)
    await bot.send_document(7, document=b"x", filename="Séances du jour.ics")
    assert api.calls[-1].files["document"] == ("Séances du jour.ics", b"x")


async def test_an_error_of_the_bot_api_is_raised_as_ptb_raises_it() -> None:
    def refuse(call: ApiCall) -> tuple[int, dict[str, Any], float] | None:
        if call.method == "sendMessage":
            return 400, {"ok": False, "description": "Bad Request: message is too long"}, 0.0
        return None

    with LoopbackBotAPI(responder=refuse) as api:
        async with await _bot(api.base_url) as bot:
            with pytest.raises(BadRequest, match="too long"):
                await bot.send_message(1, "x" * 5000)


async def test_a_bot_api_that_does_not_answer_in_time_is_a_timeout() -> None:
    with LoopbackBotAPI(delay=1.0) as api:
        async with await _bot(api.base_url) as bot:
            with pytest.raises(TimedOut):
                await bot.send_message(1, "hello", read_timeout=0.2)


async def test_an_unreachable_bot_api_is_a_network_error_that_does_not_show_the_token() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
        # An error naming the URL (here a malformed one) names the token as <token>.
        with pytest.raises(NetworkError) as raised:
            await request.post(f"http://[::1/bot{TOKEN}/getMe")
        assert TOKEN not in str(raised.value)
    finally:
        await request.shutdown()


async def test_a_call_waits_for_a_free_connection_no_longer_than_the_pool_timeout() -> None:
    with LoopbackBotAPI(delay=1.0) as api:
        request = AiohttpRequest(connections=1)
        await request.initialize()
        try:
            url = f"{api.base_url}{TOKEN}/sendMessage"
            first = asyncio.create_task(request.post(url))
            await asyncio.sleep(0.1)
            with pytest.raises(TimedOut, match="Pool timeout"):
                await request.post(url, pool_timeout=0.2)
            await first  # the call holding the connection still completes
        finally:
            await request.shutdown()


def test_the_bot_runs_on_this_client_for_replies_and_for_the_long_poll(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    settings = load_settings(database_url=url, telegram_bot_token=TOKEN)
    app = build_application(settings)
    assert isinstance(app.bot.request, AiohttpRequest)
    assert isinstance(app.updater.bot._request[0], AiohttpRequest)  # type: ignore[union-attr]
