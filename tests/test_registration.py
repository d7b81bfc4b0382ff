"""Registration through the real Application, in French and in English."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update

from bot.i18n import render
from models import AuditRecord, Delegate, Mission, Registration, RegistrationStatus
from tests.harness import LYON_CODE, Harness, TgUser, add_boston_mission, joined

FR = TgUser(501, "Camille", "fr-CA")
EN = TgUser(502, "Alex", "en-GB")


async def fill_profile(h: Harness, user: TgUser, name: str = "Marie Tremblay") -> None:
    """Answer every question with valid values, up to the summary."""
    await h.send(user, name)
    await h.send(user, "Biotech Montréal")
    await h.send(user, "marie@example.com")
    await h.send(user, "+1 514 555 0123")
    await h.press(user, "reg:skip:dietary")
    await h.send(user, "Fauteuil roulant")  # accessibility
    await h.press(user, "reg:skip:arrival")
    await h.press(user, "reg:skip:departure")


async def registration_of(h: Harness, user: TgUser) -> Registration | None:
    async with h.db() as session:
        return await session.scalar(
            select(Registration)
            .join(Delegate, Registration.delegate_id == Delegate.id)
            .where(Delegate.telegram_id == user.id)
        )


async def set_mission(h: Harness, **values: object) -> None:
    async with h.db.begin() as session:
        await session.execute(update(Mission).values(**values))


async def test_french_delegate_registers_from_invite_link(lyon: Harness) -> None:
    calls = await lyon.send(FR, f"/start {LYON_CODE}")
    assert "Bienvenue" in joined(calls)
    assert "nom complet" in joined(calls).lower()
    await fill_profile(lyon, FR)
    summary = lyon.last_text(FR)
    assert "Courriel" in summary
    assert "marie@example.com" in summary
    assert "+1 514-555-0123" in summary
    assert "Fauteuil roulant" in summary
    assert "reg:ok" in lyon.buttons(FR)

    calls = await lyon.press(FR, "reg:ok")
    assert "inscrit" in joined(calls)
    assert "Lyon" in joined(calls)
    reg = await registration_of(lyon, FR)
    assert reg is not None
    assert reg.status == RegistrationStatus.CONFIRMED
    assert (reg.full_name, reg.organisation, reg.email) == (
        "Marie Tremblay",
        "Biotech Montréal",
        "marie@example.com",
    )
    assert reg.dietary is None
    assert reg.accessibility == "Fauteuil roulant"
    async with lyon.db() as session:
        mission = await session.scalar(select(Mission))
        assert mission is not None
        assert mission.seats_taken == 1


async def test_english_delegate_registers_with_register_and_typed_code(lyon: Harness) -> None:
    await lyon.send(EN, "/register")
    assert "invite code" in lyon.last_text(EN)
    calls = await lyon.send(EN, LYON_CODE.lower())
    assert "Welcome to the delegation" in joined(calls)
    assert "full name" in joined(calls)
    await fill_profile(lyon, EN, name="Alex Morgan")
    assert "Please check your details" in lyon.last_text(EN)
    calls = await lyon.press(EN, "reg:ok")
    assert "You are registered for" in joined(calls)
    reg = await registration_of(lyon, EN)
    assert reg is not None
    assert reg.full_name == "Alex Morgan"


async def test_phone_can_be_shared_with_the_contact_button(lyon: Harness) -> None:
    await lyon.send(EN, f"/start {LYON_CODE}")
    await lyon.send(EN, "Alex Morgan")
    await lyon.send(EN, "Acme Bio")
    calls = await lyon.send(EN, "alex@example.com")
    keyboard = calls[-1].reply_markup
    assert keyboard is not None
    assert keyboard["keyboard"][0][0]["request_contact"] is True
    calls = await lyon.share_contact(EN, "33612345678", owner=EN.id + 1)
    assert "your own number" in joined(calls)
    await lyon.share_contact(EN, "33612345678")
    for skipped in ("dietary", "accessibility", "arrival", "departure"):
        await lyon.press(EN, f"reg:skip:{skipped}")
    assert "+33 6 12 34 56 78" in lyon.last_text(EN)


async def test_summary_edit_changes_one_field_and_returns(lyon: Harness) -> None:
    await lyon.send(FR, f"/start {LYON_CODE}")
    await fill_profile(lyon, FR)
    await lyon.press(FR, "reg:edit:email")
    assert "courriel" in lyon.last_text(FR).lower()
    await lyon.send(FR, "camille@exemple.ca")
    summary = lyon.last_text(FR)
    assert "camille@exemple.ca" in summary
    assert "marie@example.com" not in summary
    await lyon.press(FR, "reg:ok")
    reg = await registration_of(lyon, FR)
    assert reg is not None
    assert reg.email == "camille@exemple.ca"


async def test_cancel_midway_saves_nothing(lyon: Harness) -> None:
    await lyon.send(EN, f"/start {LYON_CODE}")
    await lyon.send(EN, "Alex Morgan")
    calls = await lyon.send(EN, "/cancel")
    assert "Nothing was saved" in joined(calls)
    assert await registration_of(lyon, EN) is None
    calls = await lyon.send(EN, "Some text after cancelling")
    assert "not registered" in joined(calls)


async def test_cancel_in_french_uses_the_french_alias(lyon: Harness) -> None:
    await lyon.send(FR, f"/start {LYON_CODE}")
    calls = await lyon.send(FR, "/annuler")
    assert "Annulé" in joined(calls) or "annulé" in joined(calls)
    assert await registration_of(lyon, FR) is None


async def test_bad_email_and_phone_are_asked_again(lyon: Harness) -> None:
    await lyon.send(EN, f"/start {LYON_CODE}")
    await lyon.send(EN, "Alex Morgan")
    await lyon.send(EN, "Acme Bio")
    calls = await lyon.send(EN, "alex at example")
    assert "does not look like an email" in joined(calls)
    await lyon.send(EN, "alex@example.com")
    calls = await lyon.send(EN, "call me maybe")
    assert "does not look like a phone number" in joined(calls)
    calls = await lyon.send(EN, "555-0123")
    assert "country code" in joined(calls)
    calls = await lyon.send(EN, "+1 514 555 0123")
    assert "dietary" in joined(calls)


async def test_bad_email_in_french(lyon: Harness) -> None:
    await lyon.send(FR, f"/start {LYON_CODE}")
    await lyon.send(FR, "Marie Tremblay")
    await lyon.send(FR, "Biotech")
    calls = await lyon.send(FR, "pas-un-courriel")
    assert render(
        "That does not look like an email address. Please type it like name@company.com.", "fr"
    ) in joined(calls)


async def test_unknown_invite_code_is_explained_in_each_language(lyon: Harness) -> None:
    calls = await lyon.send(EN, "/start NOPE1234")
    assert "I do not know the invite code NOPE1234" in joined(calls)
    calls = await lyon.send(FR, "/start NOPE1234")
    expected = render(
        "I do not know the invite code %(code)s. Check the link or code you received "
        "and send it again, or /cancel.",
        "fr",
        code="NOPE1234",
    )
    assert expected in joined(calls)
    assert expected != render(
        "I do not know the invite code %(code)s. Check the link or code you received "
        "and send it again, or /cancel.",
        "en",
        code="NOPE1234",
    )
    # The person can then type the right code without starting over.
    calls = await lyon.send(FR, LYON_CODE)
    assert "Bienvenue" in joined(calls)


async def test_closed_mission_refuses_registration(lyon: Harness) -> None:
    await set_mission(lyon, registration_open=False)
    calls = await lyon.send(EN, f"/start {LYON_CODE}")
    assert "is closed" in joined(calls)
    calls = await lyon.send(FR, f"/start {LYON_CODE}")
    assert "fermée" in joined(calls) or "closes" in joined(calls)
    assert await registration_of(lyon, EN) is None


async def test_full_mission_refuses_new_registration(lyon: Harness) -> None:
    await set_mission(lyon, capacity=0)
    calls = await lyon.send(EN, f"/start {LYON_CODE}")
    assert "is full" in joined(calls)
    calls = await lyon.send(FR, f"/start {LYON_CODE}")
    assert "complète" in joined(calls)


async def test_mission_filling_up_during_the_questions_refuses_at_confirm(lyon: Harness) -> None:
    await set_mission(lyon, capacity=1)
    await lyon.send(EN, f"/start {LYON_CODE}")
    await lyon.send(FR, f"/start {LYON_CODE}")
    await fill_profile(lyon, EN)
    await fill_profile(lyon, FR)
    await lyon.press(EN, "reg:ok")
    calls = await lyon.press(FR, "reg:ok")
    assert "complète" in joined(calls)
    assert await registration_of(lyon, FR) is None


async def test_fifty_concurrent_registrations_for_forty_seats(lyon: Harness) -> None:
    await set_mission(lyon, capacity=40)
    users = [TgUser(10_000 + i, f"User{i}", "fr" if i % 2 else "en") for i in range(50)]
    for user in users:
        await lyon.send(user, f"/start {LYON_CODE}")
        await fill_profile(lyon, user, name=f"Delegate Number{user.id}")
    await asyncio.gather(*(lyon.press(user, "reg:ok") for user in users))
    async with lyon.db() as session:
        regs = list(await session.scalars(select(Registration)))
        mission = await session.scalar(select(Mission))
    assert len(regs) == 40
    assert mission is not None
    assert mission.seats_taken == 40
    refused = [u for u in users if "full" in lyon.last_text(u) or "complète" in lyon.last_text(u)]
    assert len(refused) == 10


async def test_pending_status_when_the_mission_requires_approval(lyon: Harness) -> None:
    await set_mission(lyon, requires_approval=True)
    await lyon.send(EN, f"/start {LYON_CODE}")
    await fill_profile(lyon, EN)
    calls = await lyon.press(EN, "reg:ok")
    assert "waiting for the organisers' approval" in joined(calls)
    reg = await registration_of(lyon, EN)
    assert reg is not None
    assert reg.status == RegistrationStatus.PENDING


async def test_returning_user_start_lists_missions(lyon: Harness) -> None:
    await lyon.send(EN, f"/start {LYON_CODE}")
    await fill_profile(lyon, EN)
    await lyon.press(EN, "reg:ok")
    calls = await lyon.send(EN, "/start")
    assert "Welcome back" in joined(calls)
    assert "confirmed" in joined(calls)
    calls = await lyon.send(EN, f"/start {LYON_CODE}")
    assert "already registered" in joined(calls)


async def test_user_text_is_escaped_in_html_replies(lyon: Harness) -> None:
    await lyon.send(EN, f"/start {LYON_CODE}")
    await fill_profile(lyon, EN, name="Bob <b>Evil</b> & Co")
    summary = lyon.last_text(EN)
    assert "Bob &lt;b&gt;Evil&lt;/b&gt; &amp; Co" in summary


async def test_profile_shows_and_edits_saved_details(lyon: Harness) -> None:
    await lyon.send(FR, f"/start {LYON_CODE}")
    await fill_profile(lyon, FR)
    await lyon.press(FR, "reg:ok")
    calls = await lyon.send(FR, "/profil")
    assert "Marie Tremblay" in joined(calls)
    reg = await registration_of(lyon, FR)
    assert reg is not None
    await lyon.press(FR, f"prof:{reg.id}:hotel")
    calls = await lyon.send(FR, "Mercure Lyon Centre")
    assert "Mercure Lyon Centre" in joined(calls)
    reg = await registration_of(lyon, FR)
    assert reg is not None
    assert reg.hotel == "Mercure Lyon Centre"


async def test_forged_profile_button_cannot_edit_someone_else(lyon: Harness) -> None:
    await lyon.send(FR, f"/start {LYON_CODE}")
    await fill_profile(lyon, FR)
    await lyon.press(FR, "reg:ok")
    victim = await registration_of(lyon, FR)
    assert victim is not None
    calls = await lyon.press(EN, f"prof:{victim.id}:email")
    assert "expired" in joined(calls)
    await lyon.send(EN, "attacker@example.com")
    victim = await registration_of(lyon, FR)
    assert victim is not None
    assert victim.email == "marie@example.com"
    for forged in ("prof:abc:email", "prof:1:nope", "reg:edit:../../x", "lang:xx", "zzz"):
        await lyon.press(EN, forged)


async def test_second_mission_reuses_previous_details(lyon: Harness) -> None:
    await lyon.send(EN, f"/start {LYON_CODE}")
    await fill_profile(lyon, EN)
    await lyon.press(EN, "reg:ok")
    await add_boston_mission(lyon)
    calls = await lyon.send(EN, "/start BOSTON2018")
    assert "previous mission" in joined(calls)
    assert "marie@example.com" in joined(calls)
    await lyon.press(EN, "reg:ok")
    calls = await lyon.send(EN, "/start")
    assert "BIO Boston 2018" in joined(calls)
    assert "BIOVISION" in joined(calls)


async def test_forget_me_erases_data_and_frees_the_seat(lyon: Harness) -> None:
    await lyon.send(EN, f"/start {LYON_CODE}")
    await fill_profile(lyon, EN)
    await lyon.press(EN, "reg:ok")
    await lyon.send(EN, "/forget_me")
    await lyon.press(EN, "forget:yes")
    assert "erased" in lyon.last_text(EN)
    assert await registration_of(lyon, EN) is None
    async with lyon.db() as session:
        mission = await session.scalar(select(Mission))
        assert mission is not None
        assert mission.seats_taken == 0
        actors = list(await session.scalars(select(AuditRecord.actor_telegram_id)))
    assert EN.id not in actors


async def test_edited_message_is_not_taken_as_an_answer(lyon: Harness) -> None:
    await lyon.send(EN, f"/start {LYON_CODE}")
    await lyon.send(EN, "Alex Morgan")
    edit = {
        "update_id": 555,
        "edited_message": {
            "message_id": 3,
            "date": 0,
            "edit_date": 1,
            "chat": {"id": EN.id, "type": "private"},
            "from": EN.as_dict(),
            "text": "Alex Morgan-Smith",
        },
    }
    calls = await lyon.process(edit)
    assert "send the corrected text again" in joined(calls)
    calls = await lyon.send(EN, "Acme Bio")
    assert "email" in joined(calls)


async def test_forget_me_in_the_middle_of_registration_ends_it_cleanly(lyon: Harness) -> None:
    await lyon.send(FR, f"/start {LYON_CODE}")
    await lyon.send(FR, "Marie Tremblay")
    await lyon.send(FR, "/forget_me")
    await lyon.press(FR, "forget:yes")
    calls = await lyon.send(FR, "Biotech")
    assert "terminée" in joined(calls)
    assert await registration_of(lyon, FR) is None


async def test_an_old_skip_button_does_not_skip_the_current_question(lyon: Harness) -> None:
    await lyon.send(EN, f"/start {LYON_CODE}")
    await lyon.send(EN, "Alex Morgan")
    await lyon.send(EN, "Acme Bio")
    await lyon.send(EN, "alex@example.com")
    await lyon.send(EN, "+1 514 555 0123")
    await lyon.press(EN, "reg:skip:dietary")
    calls = await lyon.press(EN, "reg:skip:dietary")  # pressed again on the old message
    assert any(c.method == "answerCallbackQuery" for c in calls)
    assert not [c for c in calls if c.method == "sendMessage"]
    calls = await lyon.send(EN, "Step-free access please")
    assert "arrival" in joined(calls).lower()


async def test_profile_during_registration_keeps_the_draft(lyon: Harness) -> None:
    await lyon.send(EN, f"/start {LYON_CODE}")
    await lyon.send(EN, "Alex Morgan")
    calls = await lyon.send(EN, "/profile")
    assert "middle of registering" in joined(calls)
    calls = await lyon.send(EN, "Acme Bio")
    assert "email" in joined(calls)


async def test_registered_person_with_a_bad_code_is_not_left_waiting(lyon: Harness) -> None:
    await lyon.send(EN, f"/start {LYON_CODE}")
    await fill_profile(lyon, EN)
    await lyon.press(EN, "reg:ok")
    await lyon.send(EN, "/start WRONGCODE")
    calls = await lyon.send(EN, "where is the gala dinner")
    assert "I do not know the invite code" not in joined(calls)


async def test_cancel_while_editing_the_profile_says_nothing_changed(lyon: Harness) -> None:
    await lyon.send(EN, f"/start {LYON_CODE}")
    await fill_profile(lyon, EN)
    await lyon.press(EN, "reg:ok")
    reg = await registration_of(lyon, EN)
    assert reg is not None
    await lyon.send(EN, "/profile")
    await lyon.press(EN, f"prof:{reg.id}:email")
    calls = await lyon.send(EN, "/cancel")
    assert "details are unchanged" in joined(calls)
