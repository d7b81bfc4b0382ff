"""Coordinators see which questions were answered, and by whom: in the alerts they were
sent, on a second press of Reply, and in /questions."""

from __future__ import annotations

from sqlalchemy import select

from bot.services import inbox
from models import OutboxMessage, OutboxStatus, Question, QuestionStatus
from tests.harness import Harness, TgUser, joined
from tests.test_agenda import register
from tests.test_editing import make_coordinator

DELEGATE = TgUser(811, "Alex", "en")
JORDAN = TgUser(812, "Jordan", "en")
MAXIME = TgUser(813, "Maxime", "fr")


async def _asked(h: Harness) -> int:
    await register(h, DELEGATE)
    for coordinator in (JORDAN, MAXIME):
        await make_coordinator(h, coordinator)
        await h.send(coordinator, "/start")
    await h.send(DELEGATE, "/ask Is there a swimming pool at the hotel?")
    async with h.db() as session:
        question_id = await session.scalar(select(Question.id))
        assert question_id is not None
        return question_id


def _alert(h: Harness, user: TgUser) -> dict[str, object]:
    alert = next(c for c in h.api.sent_to(user.id) if "swimming pool" in c.text)
    assert isinstance(alert.result, dict)
    return alert.result


async def test_the_alerts_show_who_answered(lyon: Harness) -> None:
    question_id = await _asked(lyon)
    to_jordan, to_maxime = _alert(lyon, JORDAN), _alert(lyon, MAXIME)
    await lyon.press(JORDAN, f"qr:{question_id}")
    calls = await lyon.send(JORDAN, "No pool, but a gym on the 2nd floor.")
    edits = {c.chat_id: c for c in calls if c.method == "editMessageReplyMarkup"}
    assert set(edits) == {JORDAN.id, MAXIME.id}
    assert int(edits[JORDAN.id].params["message_id"]) == to_jordan["message_id"]
    assert int(edits[MAXIME.id].params["message_id"]) == to_maxime["message_id"]
    jordan_markup = edits[JORDAN.id].reply_markup
    maxime_markup = edits[MAXIME.id].reply_markup
    assert jordan_markup is not None
    assert maxime_markup is not None
    assert jordan_markup["inline_keyboard"][0][0]["text"] == "✓ Answered by Jordan"
    assert maxime_markup["inline_keyboard"][0][0]["text"] == "✓ Répondu par Jordan"
    assert maxime_markup["inline_keyboard"][0][0]["callback_data"] == f"qr:{question_id}"


async def test_reply_to_an_answered_question_asks_first(lyon: Harness) -> None:
    question_id = await _asked(lyon)
    await lyon.press(JORDAN, f"qr:{question_id}")
    await lyon.send(JORDAN, "No pool, but a gym.")
    calls = await lyon.press(MAXIME, f"qr:{question_id}")  # the button in the old alert
    text = joined(calls)
    assert "Cette question a déjà reçu une réponse de Jordan" in text
    assert "«\u00a0No pool, but a gym.\u00a0»" in text
    assert lyon.buttons(MAXIME) == [f"qra:{question_id}", "qrn"]
    calls = await lyon.send(MAXIME, "La piscine est fermée.")  # not taken as an answer
    assert not [c for c in calls if c.chat_id == DELEGATE.id]
    assert "nothing was sent" not in joined(await lyon.press(MAXIME, "qrn"))
    assert "rien n'a été envoyé" in lyon.last_text(MAXIME)
    calls = await lyon.press(JORDAN, f"qr:{question_id}")
    assert "This question was already answered by Jordan" in joined(calls)
    assert "Send another answer to Test Person?" in joined(calls)
    assert "Type your answer" in joined(await lyon.press(JORDAN, f"qra:{question_id}"))
    calls = await lyon.send(JORDAN, "Update: the pool opens tomorrow.")
    assert "pool opens tomorrow" in joined([c for c in calls if c.chat_id == DELEGATE.id])
    assert not [c for c in calls if c.method == "editMessageReplyMarkup"]  # marked already


async def test_questions_lists_the_answered_ones_with_who_answered(lyon: Harness) -> None:
    question_id = await _asked(lyon)
    await lyon.send(DELEGATE, "/ask Can I bring a guest to the gala?")
    await lyon.press(MAXIME, f"qr:{question_id}")
    await lyon.send(MAXIME, "Non, mais il y a une salle de sport.")
    en = joined(await lyon.send(JORDAN, "/questions"))
    assert "bring a guest" in en
    assert "Answered lately" in en
    assert "✓ Test Person: “Is there a swimming pool at the hotel?”\nanswered by Maxime, " in en
    fr = joined(await lyon.send(MAXIME, "/questions"))
    assert "Réponses récentes" in fr
    assert "réponse de Maxime, " in fr
    assert fr.index("bring a guest") < fr.index("Réponses récentes")


async def test_an_alert_not_sent_yet_goes_out_answered(lyon: Harness) -> None:
    question_id = await _asked(lyon)
    async with lyon.db.begin() as session:  # as if the sender had not reached them yet
        for row in await session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "question")
        ):
            row.status = OutboxStatus.QUEUED
    answered = await inbox.answer_question(
        lyon.db, lyon.clock, question_id, "A gym.", JORDAN.id, False,
        frozenset(await _missions_of(lyon)), staff_name="Jordan & Co",
    )  # fmt: skip
    assert answered is not None
    async with lyon.db() as session:
        rows = list(await session.scalars(select(OutboxMessage)))
        alerts = [r for r in rows if r.kind == "question"]
        assert not [r for r in rows if r.kind == "question_edit"]
        question = await session.get(Question, question_id)
        assert question is not None
        assert (question.status, question.answered_by_name) == (
            QuestionStatus.ANSWERED,
            "Jordan & Co",
        )
    labels = {r.reply_markup["inline_keyboard"][0][0]["text"] for r in alerts if r.reply_markup}
    assert labels == {"✓ Answered by Jordan & Co", "✓ Répondu par Jordan & Co"}  # not HTML


async def _missions_of(h: Harness) -> list[int]:
    async with h.db() as session:
        return list(await session.scalars(select(Question.mission_id)))


async def test_forget_me_erases_the_name_of_who_answered(lyon: Harness) -> None:
    question_id = await _asked(lyon)
    await lyon.press(MAXIME, f"qr:{question_id}")
    await lyon.send(MAXIME, "Non.")
    await lyon.send(MAXIME, "/forget_me")
    await lyon.press(MAXIME, "forget:yes")
    async with lyon.db() as session:
        question = await session.get(Question, question_id)
        assert question is not None
        assert (question.answered_by, question.answered_by_name) == (None, None)
