"""/roster and /approve through the real Application: staff see who is registered, decide on
registrations waiting for approval with buttons, and the delegate is told in their language."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select, update

from models import AuditRecord, Delegate, Mission, RegistrationStatus
from tests.harness import ADMIN_ID, LYON_CODE, Harness, TgUser, add_boston_mission, joined
from tests.test_agenda import paris, register
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
    assert lyon.labels(FR_COORDINATOR) == [
        "✅ Accepter Sam Wilson", "✖ Refuser", "🏷 Étiquettes et coordonnées",
    ]  # fmt: skip

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


async def test_staff_give_a_delegate_a_tag_and_the_tagged_sessions_join_their_agenda(
    lyon: Harness,
) -> None:
    delegate = TgUser(851, "Léa", "fr")
    await register(lyon, delegate)
    await make_coordinator(lyon, EN_COORDINATOR)
    registration = await registration_of(lyon, delegate)
    assert registration is not None
    lyon.clock.set(paris(11, 8))
    assert "technologies médicales" not in joined(await lyon.send(delegate, "/agenda"))

    await lyon.send(EN_COORDINATOR, "/roster")
    await lyon.press(EN_COORDINATOR, "rt:p:0")
    assert lyon.labels(EN_COORDINATOR) == ["Test Person"]
    text = joined(await lyon.press(EN_COORDINATOR, f"rt:c:{registration.id}"))
    assert "<b>Test Person</b>" in text
    assert "t@example.com" in text
    assert "Tags: none" in text
    assert "☐ medtech" in lyon.labels(EN_COORDINATOR)
    text = joined(await lyon.press(EN_COORDINATOR, f"rt:t:{registration.id}:medtech"))
    assert "Tags: #medtech" in text
    assert "☑ medtech" in lyon.labels(EN_COORDINATOR)
    assert "technologies médicales" in joined(await lyon.send(delegate, "/agenda"))

    # A tag the mission does not use, or another mission's coordinator: nothing changes.
    assert "not one you can decide on" in joined(
        await lyon.press(EN_COORDINATOR, f"rt:t:{registration.id}:evil")
    )
    await add_boston_mission(lyon)
    other = TgUser(852, "Pat", "en")
    await make_coordinator(lyon, other, "boston-2018")
    for data in (f"rt:c:{registration.id}", f"rt:t:{registration.id}:medtech"):
        calls = await lyon.press(other, data)
        assert "Test Person" not in joined(calls)
        assert "t@example.com" not in joined(calls)
    assert "Test Person" not in joined(await lyon.press(delegate, f"rt:c:{registration.id}"))
    registration = await registration_of(lyon, delegate)
    assert registration is not None
    assert registration.tags == ["medtech"]


async def test_a_declined_delegate_cannot_apply_again_and_old_buttons_approve_nothing(
    lyon: Harness,
) -> None:
    await make_coordinator(lyon, EN_COORDINATOR)
    await lyon.send(EN_COORDINATOR, "/help")
    await set_mission(lyon, requires_approval=True)
    registration_id = await apply(lyon, WAITING_EN, "Sam Wilson")
    await lyon.press(EN_COORDINATOR, f"ro:D:{registration_id}")

    calls = await lyon.send(WAITING_EN, f"/start {LYON_CODE}")
    assert "was not accepted" in joined(calls)
    assert not [c for c in calls if c.chat_id == EN_COORDINATOR.id]  # no new alert
    calls = await lyon.press(EN_COORDINATOR, f"ro:a:{registration_id}")  # the old alert
    assert "Already decided: Sam Wilson is declined." in joined(calls)
    assert not [c for c in calls if c.chat_id == WAITING_EN.id]
    registration = await registration_of(lyon, WAITING_EN)
    assert registration is not None
    assert registration.status == RegistrationStatus.DECLINED


async def test_waiting_registrations_reach_the_admins_when_no_coordinator_can_be_reached(
    lyon: Harness,
) -> None:
    await make_coordinator(lyon, EN_COORDINATOR)  # granted, but never opened the bot
    await set_mission(lyon, requires_approval=True)
    await lyon.send(ADMIN, "/help")
    await apply(lyon, WAITING_FR, "Zoé Gagnon")
    alerts = [c for c in lyon.api.calls if "ro:a:" in str(c.reply_markup)]
    assert [c.chat_id for c in alerts] == [ADMIN.id]
    assert "Registration waiting for approval" in alerts[0].text


async def test_promoting_leaves_a_blocked_delegate_marked_unreachable(lyon: Harness) -> None:
    delegate = TgUser(861, "Léa", "fr")
    await register(lyon, delegate)
    async with lyon.db.begin() as session:
        await session.execute(
            update(Delegate).where(Delegate.telegram_id == delegate.id).values(unreachable=True)
        )
    registration = await registration_of(lyon, delegate)
    assert registration is not None
    calls = await lyon.press(ADMIN, f"pr:G:{registration.id}")
    assert "Test Person is now a coordinator" in joined(calls)
    assert not [c for c in calls if c.chat_id == delegate.id and c.method == "sendMessage"]
    async with lyon.db() as session:
        blocked = await session.scalar(
            select(Delegate.unreachable).where(Delegate.telegram_id == delegate.id)
        )
    assert blocked is True


async def test_promote_pages_through_a_large_delegation(lyon: Harness) -> None:
    for n in range(19):
        await register(lyon, TgUser(870 + n, "D", "en"))
    await lyon.send(ADMIN, "/promote")
    assert len(lyon.labels(ADMIN)) == 8 + 1  # eight people and ▶
    assert "Page 1 of 3" in lyon.last_text(ADMIN)
    seen = set(lyon.buttons(ADMIN)[:8])
    for _ in range(2):
        await lyon.press(ADMIN, lyon.buttons(ADMIN)[-1])
        seen |= {b for b in lyon.buttons(ADMIN) if b.startswith("pr:g:")}
    assert len(seen) == 19  # everyone can be reached
    assert "Page 3 of 3" in lyon.last_text(ADMIN)
    delegate = TgUser(870, "D", "en")
    assert "Test Person" not in joined(await lyon.press(delegate, lyon.buttons(ADMIN)[-1]))


async def test_staff_export_the_roster_as_a_spreadsheet(lyon: Harness) -> None:
    await register(lyon, TgUser(891, "D", "fr"), tags=["medtech", "pharma"])
    await make_coordinator(lyon, FR_COORDINATOR)
    await set_mission(lyon, requires_approval=True)
    await apply(lyon, WAITING_EN, "=HYPERLINK(evil)")
    calls = await lyon.send(FR_COORDINATOR, "/exporter")
    (document,) = [c for c in calls if c.method == "sendDocument"]
    assert "Liste des inscrits — Mission Montréal InVivo" in str(document.params.get("caption"))
    filename, raw = document.files["document"]
    assert filename == "roster-lyon-2017.csv"
    content = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][:6] == ["full_name", "organisation", "title", "email", "phone", "status"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Test Person"][5:7] == ["confirmed", "medtech pharma"]
    assert by_name["Test Person"][2] == ""  # no title given: an empty cell, not "'"
    assert by_name["'=HYPERLINK(evil)"][5] == "pending"  # a formula stays text
    assert by_name["Test Person"][-1] == "2017-03-20T13:00+01:00"  # Paris time (12:00 UTC)
    for user in (WAITING_EN, TgUser(892, "Pat", "en")):
        calls = await lyon.send(user, "/export")
        assert not [c for c in calls if c.method == "sendDocument"]


async def test_staff_remove_a_delegate_who_dropped_out(lyon: Harness) -> None:
    delegate = TgUser(895, "Léa", "fr")
    await register(lyon, delegate)
    await make_coordinator(lyon, EN_COORDINATOR)
    registration = await registration_of(lyon, delegate)
    assert registration is not None
    taken = await seats(lyon)
    await lyon.send(EN_COORDINATOR, "/remove")
    assert lyon.labels(EN_COORDINATOR) == ["Test Person"]
    await lyon.press(EN_COORDINATOR, f"rt:c:{registration.id}")
    assert "🗑 Remove from the mission" in lyon.labels(EN_COORDINATOR)
    calls = await lyon.press(EN_COORDINATOR, f"rt:r:{registration.id}")
    assert "Remove Test Person from the mission?" in joined(calls)
    assert not [c for c in calls if c.chat_id == delegate.id]  # asked first
    calls = await lyon.press(EN_COORDINATOR, f"rt:R:{registration.id}")
    assert "Test Person was removed from the mission and has been told." in joined(calls)
    assert "annulée par les organisateurs" in joined([c for c in calls if c.chat_id == delegate.id])
    assert await seats(lyon) == taken - 1
    assert "inscrit à aucune mission" in joined(await lyon.send(delegate, "/agenda"))
    # Pressed again, or by someone else: nothing more.
    calls = await lyon.press(EN_COORDINATOR, f"rt:R:{registration.id}")
    assert "not one you can decide on" in joined(calls)
    assert await seats(lyon) == taken - 1


async def test_stats_give_staff_the_mission_at_a_glance(lyon: Harness) -> None:
    await register(lyon, TgUser(901, "A", "fr"), tags=["medtech"])
    await register(lyon, TgUser(902, "B", "en"), tags=["medtech", "pharma"])
    await make_coordinator(lyon, FR_COORDINATOR)
    await set_mission(lyon, requires_approval=True)
    await apply(lyon, WAITING_EN, "Sam Wilson")
    text = joined(await lyon.send(FR_COORDINATOR, "/stats"))
    assert "3 / 40 places prises" in text
    assert "Confirmés : 2 (français 1, anglais 1) · en attente : 1" in text
    assert "#medtech 2 · #pharma 1" in text
    text = joined(await lyon.send(ADMIN, "/stats"))
    assert "Confirmed: 2 (French 1, English 1) · waiting: 1" in text
    assert "Sam Wilson" not in text
    assert "Confirmed" not in joined(await lyon.send(WAITING_EN, "/stats"))


async def test_admins_read_who_did_what_latest_first(lyon: Harness) -> None:
    await make_coordinator(lyon, EN_COORDINATOR)
    await register(lyon, EN_COORDINATOR)  # the coordinator is on the roster, by name
    await lyon.send(EN_COORDINATOR, "/help")
    await set_mission(lyon, requires_approval=True)
    registration_id = await apply(lyon, WAITING_FR, "Zoé Gagnon")
    lyon.clock.advance(timedelta(minutes=5))
    await lyon.press(EN_COORDINATOR, f"ro:a:{registration_id}")
    text = joined(await lyon.send(ADMIN, "/audit"))
    assert "<b>Latest actions on Montréal InVivo Mission" in text
    lines = [line for line in text.splitlines() if line.startswith("• ")]
    assert "Test Person: approved a registration — Zoé Gagnon" in lines[0]
    assert any("Zoé Gagnon: registered" in line for line in lines)
    assert "Times are Paris time." in text
    await lyon.send(ADMIN, "/langue")
    await lyon.press(ADMIN, "lang:fr")
    text = joined(await lyon.send(ADMIN, "/audit"))
    assert "a accepté une inscription — Zoé Gagnon" in text
    assert "Heures de Paris." in text
    assert "Zoé" not in joined(await lyon.send(EN_COORDINATOR, "/audit"))  # admins only


async def test_a_coordinator_taken_off_the_mission_is_off_its_staff_too(lyon: Harness) -> None:
    await register(lyon, EN_COORDINATOR)
    await make_coordinator(lyon, EN_COORDINATOR)
    registration = await registration_of(lyon, EN_COORDINATOR)
    assert registration is not None
    await lyon.press(ADMIN, f"rt:R:{registration.id}")
    text = joined(await lyon.send(EN_COORDINATOR, "/export"))
    assert "only for the mission's staff" in text
    async with lyon.db() as session:
        actions = list(await session.scalars(select(AuditRecord.action)))
    assert "role.revoke" in actions


async def test_one_registered_is_said_in_the_singular(lyon: Harness) -> None:
    await register(lyon, TgUser(905, "A", "fr"))
    await make_coordinator(lyon, FR_COORDINATOR)
    await set_mission(lyon, capacity=None)
    assert "1 inscrit, sans limite de places" in joined(await lyon.send(FR_COORDINATOR, "/stats"))
    assert "1 registered, no seat limit" in joined(await lyon.send(ADMIN, "/missions"))
