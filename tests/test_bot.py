"""Language, help and menus, fallbacks, refusals and errors, through the real Application."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from handlers.common import split_text
from models import Delegate
from tests.harness import ADMIN_ID, Harness, TgUser, joined

FR = TgUser(601, "Camille", "fr-CA")
EN = TgUser(602, "Alex", "en")
ADMIN = TgUser(ADMIN_ID, "Dominique", "fr")


async def test_language_switch_is_saved_and_used(harness: Harness) -> None:
    calls = await harness.send(FR, "/language")
    assert "Quelle langue" in joined(calls)
    assert harness.buttons(FR) == ["lang:en", "lang:fr"]
    calls = await harness.press(FR, "lang:en")
    assert "From now on I will write to you in English." in joined(calls)
    calls = await harness.send(FR, "/help")
    assert "Here is what I can do" in joined(calls)
    async with harness.db() as session:
        delegate = await session.scalar(select(Delegate).where(Delegate.telegram_id == FR.id))
    assert delegate is not None
    assert delegate.language == "en"
    await harness.send(FR, "/langue")
    calls = await harness.press(FR, "lang:fr")
    assert "Désormais" in joined(calls)


async def test_language_switch_during_registration_keeps_the_draft(harness: Harness) -> None:
    from bot.services.mission_file import load_mission_file
    from tests.conftest import EXAMPLE

    await load_mission_file(harness.db, harness.clock, EXAMPLE)
    await harness.send(EN, "/start BIOVISION2017")
    await harness.send(EN, "Alex Morgan")
    await harness.send(EN, "/language")
    await harness.press(EN, "lang:fr")
    calls = await harness.send(EN, "Acme Bio")
    assert "courriel" in joined(calls)


async def test_help_lists_what_each_role_can_do(harness: Harness) -> None:
    delegate_help = joined(await harness.send(EN, "/help"))
    assert "/register" in delegate_help
    assert "/missions" not in delegate_help
    admin_help = joined(await harness.send(ADMIN, "/aide"))
    assert "/missions" in admin_help
    assert "Voici" in admin_help


async def test_command_menus_are_set_per_language_and_role(harness: Harness) -> None:
    menus = [c for c in harness.api.calls if c.method == "setMyCommands"]
    by_scope = {
        (
            json.loads(c.params["scope"])["type"]
            if isinstance(c.params["scope"], str)
            else c.params["scope"]["type"],
            c.params.get("language_code"),
        ): c
        for c in menus
    }
    assert ("default", None) in by_scope
    assert ("default", "fr") in by_scope
    english = [cmd["command"] for cmd in by_scope["default", None].params["commands"]]
    assert "register" in english
    assert "missions" not in english
    french_descriptions = [
        cmd["description"] for cmd in by_scope["default", "fr"].params["commands"]
    ]
    assert any("données" in d for d in french_descriptions)
    admin_menu = by_scope["chat", None]
    assert "missions" in [cmd["command"] for cmd in admin_menu.params["commands"]]


async def test_admin_command_is_refused_to_delegates(harness: Harness) -> None:
    calls = await harness.send(EN, "/missions")
    assert "only for the mission's staff" in joined(calls)
    calls = await harness.send(FR, "/missions")
    assert "réservé" in joined(calls)
    calls = await harness.send(ADMIN, "/missions")
    assert "missionbot mission load" in joined(calls)  # no mission loaded yet


async def test_unknown_command_and_stray_text(harness: Harness) -> None:
    assert "Je ne connais pas cette commande" in joined(await harness.send(FR, "/agendaa"))
    assert "I do not know that command" in joined(await harness.send(EN, "/whatever"))
    assert "/register" in joined(await harness.send(EN, "😀😀😀"))
    assert "/register" in joined(await harness.send(EN, "x" * 5000))
    assert "nothing to cancel" in joined(await harness.send(EN, "/cancel"))


async def test_expired_button_is_answered_not_ignored(harness: Harness) -> None:
    calls = await harness.press(EN, "reg:ok")
    assert any(c.method == "answerCallbackQuery" for c in calls)
    assert "expired" in joined(calls)
    calls = await harness.press(FR, "n'importe quoi")
    assert "expiré" in joined(calls)


async def test_messages_from_groups_and_anonymous_admins_are_ignored(harness: Harness) -> None:
    group = {
        "update_id": 999,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": -100123, "type": "supergroup", "title": "Delegation"},
            "from": EN.as_dict(),
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }
    assert await harness.process(group) == []
    anonymous = {
        "update_id": 1000,
        "message": {
            "message_id": 2,
            "date": 0,
            "chat": {"id": 777, "type": "private"},
            "from": {"id": 1087968824, "is_bot": True, "first_name": "Group"},
            "sender_chat": {"id": -100123, "type": "supergroup", "title": "Delegation"},
            "text": "hello",
        },
    }
    assert await harness.process(anonymous) == []


async def test_an_error_is_told_to_the_user_in_their_language(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_args: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr("handlers.registration.my_registrations", broken)
    harness.expect_errors = True
    calls = await harness.send(FR, "/profile")
    text = joined(calls)
    assert "Désolé" in text
    assert "database on fire" not in text
    assert "Traceback" not in text
    calls = await harness.send(EN, "/profile")
    assert "something went wrong" in joined(calls)
    assert "error while handling update" in caplog.text
    assert "Camille" not in caplog.text


def test_long_text_is_split_under_telegram_limit() -> None:
    text = "\n".join(f"line {i} " + "é" * 90 for i in range(200)) + "\n" + "y" * 9000
    parts = split_text(text)
    assert all(len(p) <= 4096 for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")
