"""Broadcasts through the real Application: audience, languages, progress, deliveries."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from models import Broadcast, BroadcastStatus, OutboxMessage, OutboxStatus, Registration
from tests.harness import ADMIN_ID, Harness, TgUser, joined
from tests.test_agenda import register

ADMIN = TgUser(ADMIN_ID, "Dominique", "fr")


async def compose(lyon: Harness, audience: str, french: str, english: str | None = None) -> None:
    """/broadcast up to the question "when?", with no attachment."""
    await lyon.send(ADMIN, "/broadcast")
    await lyon.press(ADMIN, audience)
    await lyon.send(ADMIN, french)
    if english is None:
        await lyon.press(ADMIN, "bs:same")
    else:
        await lyon.send(ADMIN, english)
    await lyon.press(ADMIN, "bm:none")


async def test_broadcast_in_each_recipients_language_with_progress(lyon: Harness) -> None:
    french = [TgUser(1100 + i, "F", "fr") for i in range(3)]
    english = [TgUser(1200 + i, "E", "en") for i in range(2)]
    for user in french + english:
        await register(lyon, user)
    lyon.api.failures[english[1].id] = (403, "Forbidden: bot was blocked by the user", None)
    await compose(
        lyon,
        "ba:confirmed",
        "La navette part 20 minutes plus tôt <important>",
        "The shuttle leaves 20 minutes early.",
    )
    await lyon.press(ADMIN, "bw:now")
    preview = lyon.last_text(ADMIN)
    assert "destinataires : 5 (français : 3, anglais : 2)" in preview
    calls = await lyon.press(ADMIN, "bk:send")
    for user in french:
        # Typed angle brackets are text, not markup: escaped for Telegram's HTML.
        assert "La navette part 20 minutes plus tôt &lt;important&gt;" in lyon.texts(user)
    assert "The shuttle leaves 20 minutes early." in lyon.texts(english[0])
    progress = [c for c in calls if c.method == "editMessageText" and c.chat_id == ADMIN_ID]
    assert "Diffusion terminée" in progress[-1].text
    assert "Envoyés : 4 / 5 · bloqués : 1" in progress[-1].text
    async with lyon.db() as session:
        broadcast = await session.scalar(select(Broadcast))
        assert broadcast is not None
        assert broadcast.status == BroadcastStatus.DONE
    await lyon.send(ADMIN, "/deliveries")
    detail = joined(await lyon.press(ADMIN, f"bd:{broadcast.id}"))
    assert "Non joints" in detail
    assert "bloqué" in detail
    csv_calls = await lyon.press(ADMIN, f"bx:{broadcast.id}")
    document = next(c for c in csv_calls if c.method == "sendDocument")
    assert b"blocked" in next(iter(document.files.values()))[1]


async def test_broadcast_to_a_tag_and_one_text_for_all(lyon: Harness) -> None:
    tagged = TgUser(1301, "T", "fr")
    other = TgUser(1302, "O", "en")
    await register(lyon, tagged, tags=["medtech"])
    await register(lyon, other)
    await lyon.send(ADMIN, "/broadcast")
    assert "ba:tag:medtech" in lyon.buttons(ADMIN)
    await compose(lyon, "ba:tag:medtech", "B2B room changed / salle B2B changée: 4")
    await lyon.press(ADMIN, "bw:now")
    await lyon.press(ADMIN, "bk:send")
    assert any("salle B2B" in t for t in lyon.texts(tagged))
    assert not any("salle B2B" in t for t in lyon.texts(other))


async def test_scheduled_broadcast_waits_and_can_be_stopped(lyon: Harness) -> None:
    await register(lyon, TgUser(1401, "A", "en"))
    await compose(lyon, "ba:confirmed", "Rendez-vous à 18 h")
    await lyon.press(ADMIN, "bw:later")
    await lyon.send(ADMIN, "18:00")
    await lyon.press(ADMIN, "bk:send")
    assert not any("Rendez-vous" in t for t in lyon.texts(TgUser(1401)))
    async with lyon.db() as session:
        broadcast = await session.scalar(select(Broadcast))
        assert broadcast is not None
    calls = await lyon.press(ADMIN, f"bc:{broadcast.id}")
    assert "Messages non envoyés : 1" in joined(calls)
    lyon.clock.advance(timedelta(days=1))
    await lyon.send(TgUser(1401, "A", "en"), "/help")
    assert not any("Rendez-vous" in t for t in lyon.texts(TgUser(1401)))
    async with lyon.db() as session:
        statuses = set(await session.scalars(select(OutboxMessage.status)))
    assert statuses == {OutboxStatus.CANCELLED}


async def test_delegates_cannot_broadcast_or_see_deliveries(lyon: Harness) -> None:
    user = TgUser(1501, "U", "en")
    await register(lyon, user)
    assert "only for the mission's staff" in joined(await lyon.send(user, "/broadcast"))
    assert "only for the mission's staff" in joined(await lyon.send(user, "/deliveries"))
    assert "only for the mission's staff" in joined(await lyon.press(user, "bc:1"))


async def test_pending_audience_only_reaches_pending(lyon: Harness) -> None:
    waiting = TgUser(1601, "W", "fr")
    confirmed = TgUser(1602, "C", "fr")
    await register(lyon, waiting)
    await register(lyon, confirmed)
    async with lyon.db.begin() as session:
        await session.execute(
            update(Registration)
            .where(Registration.delegate_id.in_(select(Registration.delegate_id).limit(1)))
            .values(status="pending")
        )
    await compose(lyon, "ba:pending", "Votre inscription est en cours d'examen.")
    await lyon.press(ADMIN, "bw:now")
    assert "destinataires : 1 " in lyon.last_text(ADMIN)


async def test_broadcast_with_a_photo_or_a_venue_pin(lyon: Harness) -> None:
    user = TgUser(1701, "P", "en")
    await register(lyon, user)
    await lyon.send(ADMIN, "/broadcast")
    await lyon.press(ADMIN, "ba:confirmed")
    await lyon.send(ADMIN, "Voici le plan du forum.")
    await lyon.press(ADMIN, "bs:same")
    photo = {"file_id": "photo-1", "file_unique_id": "u1", "width": 800, "height": 600}
    await lyon.process({"update_id": 77001, "message": lyon._message(ADMIN, photo=[photo])})
    await lyon.press(ADMIN, "bw:now")
    assert "avec une photo" in lyon.last_text(ADMIN)
    calls = await lyon.press(ADMIN, "bk:send")
    sent = next(c for c in calls if c.method == "sendPhoto" and c.chat_id == user.id)
    assert sent.params["photo"] == "photo-1"
    assert sent.params["caption"] == "Voici le plan du forum."

    await lyon.send(ADMIN, "/broadcast")
    await lyon.press(ADMIN, "ba:confirmed")
    await lyon.send(ADMIN, "Rendez-vous ici à 19 h 20.")
    await lyon.press(ADMIN, "bs:same")
    await lyon.press(ADMIN, "bm:venue")
    venue_button = next(b for b in lyon.buttons(ADMIN) if b.startswith("bv:"))
    await lyon.press(ADMIN, venue_button)
    await lyon.press(ADMIN, "bw:now")
    calls = await lyon.press(ADMIN, "bk:send")
    assert any(c.method == "sendVenue" and c.chat_id == user.id for c in calls)


async def test_broadcast_to_named_delegates(lyon: Harness) -> None:
    from bot.services.people import identify
    from bot.services.registration import enrol

    people = {1801: "Émilie Gagnon", 1802: "Marc Tremblay", 1803: "Sophie Roy"}
    for telegram_id, name in people.items():
        person = await identify(lyon.db, lyon.clock, telegram_id, "fr")
        async with lyon.db() as session:
            from models import Mission

            mission = await session.scalar(select(Mission))
            assert mission is not None
        profile: dict[str, str | None] = {
            "full_name": name,
            "organisation": "Org",
            "email": "x@example.com",
            "phone": "+15145550123",
        }
        await enrol(lyon.db, lyon.clock, person.delegate_id, mission.id, profile)
    await lyon.send(ADMIN, "/broadcast")
    await lyon.press(ADMIN, "ba:named")
    assert "Personne" in joined(await lyon.send(ADMIN, "Nobody Here"))
    calls = await lyon.send(ADMIN, "emilie, ROY")
    assert "Émilie Gagnon" in joined(calls)
    assert "Marc" not in joined(calls)
    await lyon.send(ADMIN, "Votre rendez-vous B2B est déplacé.")
    await lyon.press(ADMIN, "bs:same")
    await lyon.press(ADMIN, "bm:none")
    await lyon.press(ADMIN, "bw:now")
    await lyon.press(ADMIN, "bk:send")
    got = {tid for tid in people if any("B2B" in t for t in lyon.texts(TgUser(tid)))}
    assert got == {1801, 1803}


async def test_an_empty_audience_sends_nothing(lyon: Harness) -> None:
    await compose(lyon, "ba:coordinators", "Réunion des coordonnateurs")
    calls = await lyon.press(ADMIN, "bw:now")
    assert "rien à envoyer" in joined(calls)
    async with lyon.db() as session:
        assert await session.scalar(select(Broadcast)) is None


async def test_stopping_a_finished_broadcast_says_so(lyon: Harness) -> None:
    await register(lyon, TgUser(1901, "A", "en"))
    await compose(lyon, "ba:confirmed", "Bonjour")
    await lyon.press(ADMIN, "bw:now")
    await lyon.press(ADMIN, "bk:send")
    async with lyon.db() as session:
        broadcast = await session.scalar(select(Broadcast))
        assert broadcast is not None
    assert "déjà terminée" in joined(await lyon.press(ADMIN, f"bc:{broadcast.id}"))
