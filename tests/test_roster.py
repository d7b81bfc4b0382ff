"""/roster and /approve through the real Application: staff see who is registered, decide on
registrations waiting for approval with buttons, and the delegate is told in their language."""

from __future__ import annotations

from sqlalchemy import select

from models import AuditRecord, Mission, RegistrationStatus
from tests.harness import ADMIN_ID, LYON_CODE, Harness, TgUser, add_boston_mission, joined
from tests.test_agenda import register
from tests.test_editing import make_coordinator
from tests.test_registration import fill_profile, registration_of, set_mission

FR_COORDINATOR = TgUser(811, "Mathilde", "fr")
EN_COORDINATOR = TgUser(812, "Jordan", "en")
WAITING_FR = TgUser(813, "Zoé", "fr-CA")
WAITING_EN = TgUser(814, "Sam", "en")
ADMIN = TgUser(ADMIN_ID, "Admin", "en")


async def apply(h: Harness, user: TgUser, name: str) -> int:
    """Register through the bot, as a delegate does; returns the registration id."""
    await h.send(user, f"/start {LYON_CODE}")
    await fill_profile(h, user, name=name)
    await h.press(user, "reg:ok")
    registration = await registration_of(h, user)
    assert registration is not None
    assert registration.status == RegistrationStatus.PENDING
    return registration.id


async def seats(h: Harness) -> int:
    async with h.db() as session:
        mission = await session.scalar(select(Mission).where(Mission.key == "lyon-2017"))
        assert mission is not None
        return mission.seats_taken


async def test_staff_are_told_of_a_waiting_registration_and_approve_it_with_a_button(
    lyon: Harness,
) -> None:
    await make_coordinator(lyon, FR_COORDINATOR)
    await make_coordinator(lyon, EN_COORDINATOR)
    await lyon.send(FR_COORDINATOR, "/aide")  # the coordinators have written to the bot
    await lyon.send(EN_COORDINATOR, "/help")
    await set_mission(lyon, requires_approval=True)
    registration_id = await apply(lyon, WAITING_FR, "Zoé <Gagnon> & fils")
    # Until then the delegate is told they wait, not that they are not registered.
    text = joined(await lyon.send(WAITING_FR, "/agenda"))
    assert "attend toujours l'approbation des organisateurs" in text
    text = joined(await lyon.send(WAITING_FR, "c'est quand le gala?"))
    assert "attend toujours l'approbation" in text

    # Each coordinator is told, in their language, with the buttons to decide at once.
    alerts = {
        c.chat_id: c
        for c in lyon.api.calls
        if c.method == "sendMessage" and "ro:a:" in str(c.reply_markup)
    }
    assert "Inscription en attente d'approbation" in alerts[FR_COORDINATOR.id].text
    assert "Zoé &lt;Gagnon&gt; &amp; fils — Biotech Montréal" in alerts[FR_COORDINATOR.id].text
    assert "Registration waiting for approval" in alerts[EN_COORDINATOR.id].text
    markup = alerts[EN_COORDINATOR.id].reply_markup
    assert markup is not None
    labels = [b["text"] for row in markup["inline_keyboard"] for b in row]
    assert labels == ["✅ Approve Zoé <Gagnon> & fils", "✖ Decline"]  # not HTML: as typed

    calls = await lyon.press(EN_COORDINATOR, f"ro:a:{registration_id}")
    assert "is confirmed and has been told" in joined(calls)
    assert "Nobody is waiting for approval." in joined(calls)
    told = [c for c in calls if c.chat_id == WAITING_FR.id]
    assert len(told) == 1
    assert "Votre inscription à Mission Montréal InVivo" in told[0].text
    assert "est confirmée" in told[0].text
    registration = await registration_of(lyon, WAITING_FR)
    assert registration is not None
    assert registration.status == RegistrationStatus.CONFIRMED
    assert "Mardi 11 avril 2017" in joined(await lyon.send(WAITING_FR, "/agenda 2017-04-11"))

    # The other coordinator taps the same button later: nothing twice.
    calls = await lyon.press(FR_COORDINATOR, f"ro:a:{registration_id}")
    assert "Déjà décidé" in joined(calls)
    assert "confirmée" in joined(calls)
    assert not [c for c in calls if c.chat_id == WAITING_FR.id]
    async with lyon.db() as session:
        actions = list(await session.scalars(select(AuditRecord.action)))
    assert actions.count("registration.approve") == 1


async def test_declining_asks_once_more_frees_the_seat_and_tells_the_delegate(
    lyon: Harness,
) -> None:
    await make_coordinator(lyon, FR_COORDINATOR)
    await set_mission(lyon, requires_approval=True)
    registration_id = await apply(lyon, WAITING_EN, "Sam Wilson")
    taken = await seats(lyon)

    calls = await lyon.press(FR_COORDINATOR, f"ro:d:{registration_id}")
    assert "Refuser l'inscription de Sam Wilson ?" in joined(calls)
    assert lyon.buttons(FR_COORDINATOR) == [f"ro:D:{registration_id}", f"ro:k:{registration_id}"]
    registration = await registration_of(lyon, WAITING_EN)
    assert registration is not None
    assert registration.status == RegistrationStatus.PENDING  # nothing decided yet

    calls = await lyon.press(FR_COORDINATOR, f"ro:k:{registration_id}")  # back
    assert f"ro:a:{registration_id}" in lyon.buttons(FR_COORDINATOR)
    calls = await lyon.press(FR_COORDINATOR, f"ro:D:{registration_id}")
    assert "L'inscription de Sam Wilson est refusée" in joined(calls)
    told = [c for c in calls if c.chat_id == WAITING_EN.id]
    assert len(told) == 1
    assert "was not accepted" in told[0].text
    assert await seats(lyon) == taken - 1
    # Declined, they are not registered: the agenda is not theirs to see.
    assert "not registered" in joined(await lyon.send(WAITING_EN, "/agenda"))


async def test_roster_lists_confirmed_and_waiting_delegates_in_french_and_english(
    lyon: Harness,
) -> None:
    await register(lyon, TgUser(821, "A", "fr"), tags=["medtech"])
    await make_coordinator(lyon, FR_COORDINATOR)
    await set_mission(lyon, requires_approval=True)
    registration_id = await apply(lyon, WAITING_EN, "Sam Wilson")

    text = joined(await lyon.send(FR_COORDINATOR, "/inscrits"))
    assert "<b>Confirmés (1)</b>" in text
    assert "• Test Person — Org · #medtech" in text
    assert "<b>En attente d'approbation (1)</b>" in text
    assert "• Sam Wilson — Biotech Montréal" in text
    assert lyon.labels(FR_COORDINATOR) == ["✅ Accepter Sam Wilson", "✖ Refuser"]

    text = joined(await lyon.send(ADMIN, "/roster"))
    assert "<b>Confirmed (1)</b>" in text
    assert "<b>Waiting for approval (1)</b>" in text
    text = joined(await lyon.send(ADMIN, "/approve"))
    assert "Sam Wilson" in text
    assert "Test Person" not in text  # only who waits
    assert f"ro:a:{registration_id}" in lyon.buttons(ADMIN)


async def test_delegates_and_other_missions_staff_cannot_see_or_decide(lyon: Harness) -> None:
    await set_mission(lyon, requires_approval=True)
    registration_id = await apply(lyon, WAITING_EN, "Sam Wilson")
    await register(lyon, WAITING_FR)  # a delegate of the mission, waiting too
    await add_boston_mission(lyon)
    boston_coordinator = TgUser(831, "Pat", "en")
    await make_coordinator(lyon, boston_coordinator, "boston-2018")

    for user in (WAITING_FR, boston_coordinator):
        for command in ("/roster", "/approve"):
            text = joined(await lyon.send(user, command))
            assert "Sam Wilson" not in text
        for data in (f"ro:a:{registration_id}", f"ro:D:{registration_id}", "ro:d:99999",
                     f"ro:d:{registration_id}", "ro:x:1", "ro:a:" + "9" * 40):  # fmt: skip
            calls = await lyon.press(user, data)
            assert "Sam Wilson" not in joined(calls)
            assert not [c for c in calls if c.chat_id == WAITING_EN.id]
    registration = await registration_of(lyon, WAITING_EN)
    assert registration is not None
    assert registration.status == RegistrationStatus.PENDING


async def test_a_mission_nobody_registered_for_says_so(lyon: Harness) -> None:
    await make_coordinator(lyon, EN_COORDINATOR)
    text = joined(await lyon.send(EN_COORDINATOR, "/roster"))
    assert "Nobody has registered for Montréal InVivo Mission to BIOVISION Lyon 2017 yet." in text
    assert "Nobody is waiting for approval." in joined(await lyon.send(EN_COORDINATOR, "/approve"))


async def test_an_admin_makes_a_delegate_coordinator_and_takes_it_back(lyon: Harness) -> None:
    delegate = TgUser(841, "Léa", "fr")
    await register(lyon, delegate)
    await lyon.send(delegate, "/aide")
    registration = await registration_of(lyon, delegate)
    assert registration is not None
    registration_id = registration.id

    text = joined(await lyon.send(ADMIN, "/promote"))
    assert "Coordinators of Montréal InVivo Mission" in text
    assert "None yet." in text
    assert lyon.labels(ADMIN) == ["🎖 Test Person"]
    calls = await lyon.press(ADMIN, f"pr:g:{registration_id}")
    assert "Make Test Person a coordinator" in joined(calls)
    assert not [c for c in calls if c.chat_id == delegate.id]  # asked first, nothing done
    assert lyon.buttons(ADMIN) == [f"pr:G:{registration_id}", f"pr:l:{registration_id}"]
    await lyon.press(ADMIN, f"pr:l:{registration_id}")  # back: the list, nothing changed
    assert lyon.labels(ADMIN) == ["🎖 Test Person"]
    calls = await lyon.press(ADMIN, f"pr:G:{registration_id}")
    assert "Test Person is now a coordinator and has been told." in joined(calls)
    assert lyon.labels(ADMIN) == ["🚫 Test Person"]
    told = [c for c in calls if c.chat_id == delegate.id and c.method == "sendMessage"]
    assert "Vous êtes maintenant coordinatrice ou coordinateur" in told[0].text
    menus = [str(c.params.get("scope")) for c in calls if c.method == "setMyCommands"]
    assert [m for m in menus if str(delegate.id) in m]  # the new commands are in their menu
    # They are a coordinator now: the roster is theirs to see.
    assert "<b>Confirmés (1)</b>" in joined(await lyon.send(delegate, "/roster"))

    calls = await lyon.press(ADMIN, f"pr:r:{registration_id}")
    assert "Test Person is no longer a coordinator." in joined(calls)
    assert "plus coordinatrice ou coordinateur" in joined(
        [c for c in calls if c.chat_id == delegate.id]
    )
    assert "réservé à l'équipe" in joined(await lyon.send(delegate, "/roster"))
    async with lyon.db() as session:
        actions = list(await session.scalars(select(AuditRecord.action)))
    assert actions.count("role.grant") == actions.count("role.revoke") == 1


async def test_only_admins_promote_and_forged_buttons_do_nothing(lyon: Harness) -> None:
    delegate = TgUser(842, "Léa", "fr")
    await register(lyon, delegate)
    await make_coordinator(lyon, EN_COORDINATOR)
    registration = await registration_of(lyon, delegate)
    assert registration is not None
    for user in (delegate, EN_COORDINATOR):
        assert "Test Person" not in joined(await lyon.send(user, "/promote"))
        for data in (f"pr:G:{registration.id}", f"pr:r:{registration.id}", "pr:G:x"):
            assert "Test Person" not in joined(await lyon.press(user, data))
    for data in ("pr:G:99999", "pr:z:1", f"pr:G:{registration.id}9"):
        assert "not one you can decide on" in joined(await lyon.press(ADMIN, data))
    async with lyon.db() as session:
        assert not list(await session.scalars(select(AuditRecord.action).where(
            AuditRecord.action == "role.grant")))  # fmt: skip
