"""Coordinators edit the agenda, venues and FAQ, and import agenda files."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from models import AgendaItem, FaqEntry, Mission, Role, RoleGrant, Venue
from tests.harness import ADMIN_ID, Harness, TgUser, joined
from tests.test_agenda import item, paris, register

ADMIN = TgUser(ADMIN_ID, "Dominique", "fr")
EN = TgUser(902, "Alex", "en")
FR = TgUser(903, "Camille", "fr")
OTHER_COORDINATOR = TgUser(904, "Sam", "en")


async def test_staff_edit_a_title_and_delegates_see_it(lyon: Harness) -> None:
    await register(lyon, EN)
    gala = await item(lyon, "gala-dinner")
    lyon.clock.set(paris(12, 8))
    await lyon.send(ADMIN, "/agenda")
    await lyon.press(ADMIN, f"s:{gala.id}")
    assert f"em:s:{gala.id}" in lyon.buttons(ADMIN)
    await lyon.press(ADMIN, f"em:s:{gala.id}")
    assert f"ef:s:{gala.id}:title_en" in lyon.buttons(ADMIN)
    await lyon.press(ADMIN, f"ef:s:{gala.id}:title_en")
    await lyon.send(ADMIN, "Gala dinner (black tie)")
    assert "Gala dinner (black tie)" in joined(await lyon.send(EN, "/agenda"))
    assert f"em:s:{gala.id}" not in lyon.buttons(EN)


async def test_staff_move_a_session_keeping_its_length(lyon: Harness) -> None:
    await register(lyon, FR)
    gala = await item(lyon, "gala-dinner")
    length = gala.ends_at - gala.starts_at
    await lyon.press(ADMIN, f"ef:s:{gala.id}:start")
    calls = await lyon.send(ADMIN, "2017-04-12 20:30")
    assert "Déplacée" in joined(calls)
    moved = await item(lyon, "gala-dinner")
    assert moved.starts_at == datetime(2017, 4, 12, 18, 30, tzinfo=UTC)
    assert moved.ends_at - moved.starts_at == length
    calls = await lyon.press(ADMIN, f"ef:s:{gala.id}:start")
    calls = await lyon.send(ADMIN, "whenever")
    assert "pas compris" in joined(calls)


async def test_the_card_shown_after_an_edit_has_the_new_values(lyon: Harness) -> None:
    """The card follows the edit at once, though the person (and the mission's content
    version) was read at the start of the update, before the change."""
    gala = await item(lyon, "gala-dinner")
    lyon.clock.set(paris(12, 8))
    await lyon.press(ADMIN, f"s:{gala.id}")  # the agenda is cached at the old version
    await lyon.press(ADMIN, f"ef:s:{gala.id}:start")
    card = joined(await lyon.send(ADMIN, "2017-04-13 10:00"))
    assert "Déplacée" in card
    assert "jeudi 13 avril 2017 à 10:00 (heure de Paris)\njusqu'à 13:00" in card  # the card
    assert "mercredi 12 avril 2017 à 19:30 (heure de Paris)\n" not in card
    await lyon.press(ADMIN, f"ef:s:{gala.id}:room")
    card = joined(await lyon.send(ADMIN, "Salle Rhône"))
    assert "Salle Rhône" in card
    assert "Salle Rhône" in joined(await lyon.press(ADMIN, f"s:{gala.id}"))


async def test_staff_cancel_a_session(lyon: Harness) -> None:
    await register(lyon, EN)
    gala = await item(lyon, "gala-dinner")
    await lyon.press(ADMIN, f"ec:{gala.id}")
    await lyon.press(ADMIN, f"ecy:{gala.id}")
    lyon.clock.set(paris(12, 8))
    assert gala.title_en not in joined(await lyon.send(EN, "/agenda"))


async def test_delegates_and_other_missions_coordinators_cannot_edit(lyon: Harness) -> None:
    await register(lyon, EN)
    gala = await item(lyon, "gala-dinner")
    assert "only for the mission's staff" in joined(await lyon.press(EN, f"em:s:{gala.id}"))
    assert "only for the mission's staff" in joined(await lyon.press(EN, f"ecy:{gala.id}"))
    async with lyon.db.begin() as session:
        other = Mission(
            key="other", name_fr="Autre", name_en="Other", city="Paris", timezone="Europe/Paris",
            starts_on=paris(10, 8).date(), ends_on=paris(12, 8).date(), invite_code="OTHER1",
            registration_open=True, requires_approval=False, seats_taken=0,
            created_at=lyon.clock.now(), updated_at=lyon.clock.now(),
        )  # fmt: skip
        session.add(other)
        await session.flush()
        session.add(
            RoleGrant(
                telegram_id=OTHER_COORDINATOR.id, role=Role.COORDINATOR, mission_id=other.id,
                created_at=lyon.clock.now(),
            )
        )  # fmt: skip
    await lyon.press(OTHER_COORDINATOR, f"ef:s:{gala.id}:title_en")
    await lyon.send(OTHER_COORDINATOR, "Hacked")
    assert (await item(lyon, "gala-dinner")).title_en == gala.title_en


async def test_faq_added_by_a_guided_conversation_answers_questions(lyon: Harness) -> None:
    await register(lyon, EN)
    await lyon.send(ADMIN, "/faq_add")
    await lyon.send(ADMIN, "Y a-t-il un vestiaire au gala ?")
    await lyon.send(ADMIN, "Is there a cloakroom at the gala?")
    await lyon.send(ADMIN, "Oui, à l'entrée.")
    calls = await lyon.send(ADMIN, "Yes, at the entrance.")
    assert "FAQ" in joined(calls)
    assert "Yes, at the entrance." in joined(await lyon.send(EN, "cloakroom at the gala?"))


async def test_session_added_by_a_guided_conversation(lyon: Harness) -> None:
    await register(lyon, EN)
    await lyon.send(ADMIN, "/session_add")
    await lyon.send(ADMIN, "Visite du Vieux-Lyon")
    await lyon.send(ADMIN, "Old Lyon walking tour")
    await lyon.send(ADMIN, "2017-04-13 09:00")
    calls = await lyon.send(ADMIN, "10:30")
    assert "Choisissez le lieu, ou passez" in joined(calls)
    town_hall = await venue_id(lyon, "hotel-de-ville")
    assert f"ns:venue:{town_hall}" in lyon.buttons(ADMIN)
    assert "Passer ⏭" in lyon.labels(ADMIN)
    assert "Salle" in joined(await lyon.press(ADMIN, f"ns:venue:{town_hall}"))
    await lyon.press(ADMIN, "ns:room:0")
    await lyon.press(ADMIN, "ns:room:0")  # pressed twice: the next step is asked again
    assert "en français" in lyon.last_text(ADMIN)
    await lyon.send(ADMIN, "Rendez-vous devant l'hôtel de ville.")
    calls = await lyon.press(ADMIN, "ns:description_en:0")
    assert "Séance ajoutée" in joined(calls)
    assert "📍 Carte" in lyon.labels(ADMIN)  # a venue: the card has a map button
    added = await item(lyon, "old-lyon-walking-tour")
    assert (added.venue_id, added.room) == (town_hall, None)
    assert (added.description_fr, added.description_en) == (
        "Rendez-vous devant l'hôtel de ville.",
        "",
    )
    lyon.clock.set(paris(13, 7))
    assert "Old Lyon walking tour" in joined(await lyon.send(EN, "/agenda"))


async def test_session_added_in_english_with_a_room_and_no_venue(lyon: Harness) -> None:
    await make_coordinator(lyon, EN_COORDINATOR)
    await lyon.send(EN_COORDINATOR, "/session_add")
    await lyon.send(EN_COORDINATOR, "Point presse")
    await lyon.send(EN_COORDINATOR, "Press briefing")
    await lyon.send(EN_COORDINATOR, "2017-04-11 13:00")
    assert "must be after the start" in joined(await lyon.send(EN_COORDINATOR, "12:00"))
    calls = await lyon.send(EN_COORDINATOR, "+45 min")
    assert "Pick the venue, or skip." in joined(calls)
    assert "Skip ⏭" in lyon.labels(EN_COORDINATOR)
    assert "buttons" in joined(await lyon.send(EN_COORDINATOR, "the town hall"))
    assert "Room or hall?" in joined(await lyon.press(EN_COORDINATOR, "ns:venue:0"))
    await lyon.send(EN_COORDINATOR, "Salle 3")
    await lyon.press(EN_COORDINATOR, "ns:description_fr:0")
    calls = await lyon.send(EN_COORDINATOR, "For the press.")
    assert "Session added." in joined(calls)
    added = await item(lyon, "press-briefing")
    assert added.ends_at == datetime(2017, 4, 11, 11, 45, tzinfo=UTC)
    assert (added.venue_id, added.room, added.description_en) == (None, "Salle 3", "For the press.")


OUTLOOK_ICS = (
    "\ufeffBEGIN:VCALENDAR\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\n"
    "VERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:Romance Standard Time\r\nBEGIN:STANDARD\r\n"
    "DTSTART:16011028T030000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nTZOFFSETFROM:+0200\r\n"
    "TZOFFSETTO:+0100\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010325T020000\r\n"
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
    "END:DAYLIGHT\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:040000008200E00074C5B7101A82E008\r\n"
    "SUMMARY:Rencontre Lyonbiopôle pour discuter des partenariats possibles avec\r\n"
    "  la délégation\r\n"
    "DTSTART;TZID=Romance Standard Time:20170411T160000\r\n"
    "DTEND;TZID=Romance Standard Time:20170411T170000\r\nLOCATION:Centre de Congrès de Lyon\r\n"
    "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:allday-forum\r\nSUMMARY:Forum day\r\n"
    "DTSTART;VALUE=DATE:20170412\r\nDTEND;VALUE=DATE:20170413\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


async def test_ics_import_with_preview_then_confirm(lyon: Harness) -> None:
    await register(lyon, EN)
    calls = await lyon.send_file(ADMIN, "outlook.ics", OUTLOOK_ICS.encode("utf-8"))
    preview = joined(calls)
    assert "Aperçu" in preview
    assert "2 nouvelles" in preview
    assert "retirées" in preview
    async with lyon.db() as session:
        assert "Forum day" not in list(await session.scalars(select(AgendaItem.title_en)))
    calls = await lyon.press(ADMIN, "imp:ok")
    assert "Importé" in joined(calls)
    async with lyon.db() as session:
        meeting = await session.scalar(
            select(AgendaItem).where(AgendaItem.title_en.like("Rencontre%"))
        )
        assert meeting is not None
        assert meeting.starts_at == datetime(2017, 4, 11, 14, 0, tzinfo=UTC)  # 16:00 CEST
        assert "délégation" in meeting.title_en  # folded line joined
    again = joined(await lyon.send_file(ADMIN, "outlook.ics", OUTLOOK_ICS.encode("utf-8")))
    assert "0 nouvelle, 0 modifiée, 0 retirée" in again
    await lyon.press(ADMIN, "imp:no")


async def test_bad_ics_gets_errors_by_line_and_saves_nothing(lyon: Harness) -> None:
    repeating = OUTLOOK_ICS.replace(
        "UID:allday-forum\r\n", "UID:allday-forum\r\nRRULE:FREQ=DAILY;COUNT=3\r\n"
    )
    calls = await lyon.send_file(ADMIN, "bad.ics", repeating.encode("utf-8"))
    text = joined(calls)
    assert "Ligne 27" in text  # the BEGIN:VEVENT of the repeating event
    assert "se répète" in text
    assert "imp:ok" not in lyon.buttons(ADMIN)
    assert "calendrier" in joined(
        await lyon.send_file(ADMIN, "junk.ics", b"\x00\x01not a calendar")
    )


async def test_csv_import_semicolons_bom_and_errors(lyon: Harness) -> None:
    good = (
        "\ufeffkey;title_fr;title_en;start;end;venue;room;kind\n"
        "gala-dinner;Dîner de gala;Gala dinner;2017-04-12 20:00;2017-04-12 23:00;"
        "brasserie-georges;;meal\n"
        "new-one;Nouvelle séance;New session;2017-04-11 16:00;2017-04-11 17:00;;Salle 2;talk\n"
    )
    EN_ADMIN = TgUser(ADMIN_ID, "Dominique", "en")
    await lyon.send(EN_ADMIN, "/language")
    await lyon.press(EN_ADMIN, "lang:en")
    preview = joined(await lyon.send_file(EN_ADMIN, "agenda.csv", good.encode("utf-8")))
    assert "1 new, 1 changed" in preview
    bad = (
        "key,title_fr,title_en,start,end\n"
        "ok,Titre,Title,2017-04-11 10:00,2017-04-11 11:00\n"
        "Bad Key,T,T,x,y\n"
        "late,T,T,2017-04-11 12:00,2017-04-11 11:00\n"
    )
    text = joined(await lyon.send_file(EN_ADMIN, "bad.csv", bad.encode("utf-8")))
    assert "Line 3" in text
    assert "Line 4" in text
    assert "nothing was saved" in text
    assert "first line must name the columns" in joined(
        await lyon.send_file(EN_ADMIN, "x.csv", b"a,b\n1,2\n")
    )


async def test_delegates_cannot_import(lyon: Harness) -> None:
    await register(lyon, EN)
    calls = await lyon.send_file(EN, "agenda.ics", OUTLOOK_ICS.encode("utf-8"))
    assert "only read agenda files from the mission's coordinators" in joined(calls)


async def test_long_days_are_paged(lyon: Harness) -> None:
    await register(lyon, EN)
    rows = "".join(
        f"s{i};Séance {i};Session {i};"
        f"2017-04-11 {8 + i // 4:02d}:{(i % 4) * 15:02d};"
        f"2017-04-11 {8 + i // 4:02d}:{(i % 4) * 15 + 10:02d}\n"
        for i in range(30)
    )
    csv = "key;title_fr;title_en;start;end\n" + rows
    await lyon.send_file(ADMIN, "many.csv", csv.encode())
    await lyon.press(ADMIN, "imp:ok")
    lyon.clock.set(paris(11, 7))
    text = joined(await lyon.send(EN, "/agenda"))
    assert "Sessions 1–12 of 30" in text
    later = next(b for b in lyon.buttons(EN) if b.endswith(":1"))
    assert "Sessions 13–24 of 30" in joined(await lyon.press(EN, later))
    async with lyon.db() as session:
        assert await session.scalar(select(FaqEntry).limit(1)) is not None


async def test_reimporting_the_bots_own_export_changes_nothing(lyon: Harness) -> None:
    calls = await lyon.send(ADMIN, "/ics")
    document = next(c for c in calls if c.method == "sendDocument")
    _name, exported = next(iter(document.files.values()))
    preview = joined(await lyon.send_file(ADMIN, "lyon-2017.ics", exported))
    assert "0 nouvelle, 0 modifiée, 0 retirée" in preview
    await lyon.press(ADMIN, "imp:ok")
    b2b = await item(lyon, "b2b-medtech")
    assert b2b.audience_tags == ["medtech"]
    assert b2b.kind.value == "b2b"
    assert b2b.title_en.startswith("B2B")  # the English title was not overwritten by French


async def test_forged_and_extreme_dates_do_not_crash(lyon: Harness) -> None:
    await register(lyon, EN)
    gala = await item(lyon, "gala-dinner")
    for data in (f"ag:{gala.mission_id}:99991231", f"ag:{gala.mission_id}:00010101"):
        assert "Paris time" in joined(await lyon.press(EN, data))
    await lyon.press(ADMIN, f"ef:s:{gala.id}:start")
    assert "pendant la mission" in joined(await lyon.send(ADMIN, "0001-01-01 00:00"))
    assert "pendant la mission" in joined(await lyon.send(ADMIN, "9999-12-31 23:00"))


async def test_another_command_ends_a_pending_edit(lyon: Harness) -> None:
    gala = await item(lyon, "gala-dinner")
    await lyon.press(ADMIN, f"ef:s:{gala.id}:title_en")
    await lyon.send(ADMIN, "/agenda")
    calls = await lyon.send(ADMIN, "où est le dîner de gala ?")
    assert "Brasserie Georges" in joined(calls)
    assert (await item(lyon, "gala-dinner")).title_en == gala.title_en


async def test_unreadable_event_is_reported_by_line(lyon: Harness) -> None:
    broken = OUTLOOK_ICS.replace("DTSTART;VALUE=DATE:20170412", "DTSTART:garbage").replace(
        "DTEND;VALUE=DATE:20170413\r\n", "DURATION:xyz\r\n"
    )
    text = joined(await lyon.send_file(ADMIN, "broken.ics", broken.encode()))
    assert "Ligne 27" in text
    assert "imp:ok" not in lyon.buttons(ADMIN)


EN_COORDINATOR = TgUser(905, "Jordan", "en")


async def make_coordinator(h: Harness, user: TgUser, mission_key: str = "lyon-2017") -> None:
    async with h.db.begin() as session:
        mission = await session.scalar(select(Mission).where(Mission.key == mission_key))
        assert mission is not None
        session.add(
            RoleGrant(
                telegram_id=user.id, role=Role.COORDINATOR, mission_id=mission.id,
                created_at=h.clock.now(),
            )
        )  # fmt: skip


async def venue_id(h: Harness, key: str) -> int:
    async with h.db() as session:
        found = await session.scalar(select(Venue.id).where(Venue.key == key))
        assert found is not None
        return found


async def test_staff_put_a_session_at_another_venue_or_none(lyon: Harness) -> None:
    await make_coordinator(lyon, EN_COORDINATOR)
    gala = await item(lyon, "gala-dinner")
    await lyon.press(EN_COORDINATOR, f"em:s:{gala.id}")
    assert f"ef:s:{gala.id}:venue" in lyon.buttons(EN_COORDINATOR)
    assert f"ef:s:{gala.id}:end" in lyon.buttons(EN_COORDINATOR)
    assert f"ef:s:{gala.id}:description_en" in lyon.buttons(EN_COORDINATOR)
    calls = await lyon.press(EN_COORDINATOR, f"ef:s:{gala.id}:venue")
    assert "Pick the venue" in joined(calls)
    town_hall = await venue_id(lyon, "hotel-de-ville")
    assert f"ev:{gala.id}:{town_hall}" in lyon.buttons(EN_COORDINATOR)
    assert f"ev:{gala.id}:0" in lyon.buttons(EN_COORDINATOR)
    assert any(label.startswith("✓ Brasserie") for label in lyon.labels(EN_COORDINATOR))
    card = joined(await lyon.press(EN_COORDINATOR, f"ev:{gala.id}:{town_hall}"))
    assert "Saved." in card
    assert "Hôtel de Ville" in card
    assert (await item(lyon, "gala-dinner")).venue_id == town_hall
    await lyon.press(EN_COORDINATOR, f"ev:{gala.id}:0")
    assert (await item(lyon, "gala-dinner")).venue_id is None


async def test_a_venue_of_another_mission_or_a_forged_id_is_refused(lyon: Harness) -> None:
    from tests.harness import add_boston_mission

    gala = await item(lyon, "gala-dinner")
    boston = await add_boston_mission(lyon)
    async with lyon.db.begin() as session:
        elsewhere = Venue(mission_id=boston, key="bcec", name="BCEC", address="Boston")
        session.add(elsewhere)
        await session.flush()
        elsewhere_id = elsewhere.id
    await lyon.press(ADMIN, f"ev:{gala.id}:{elsewhere_id}")
    await lyon.press(ADMIN, f"ev:{gala.id}:999999")
    assert (await item(lyon, "gala-dinner")).venue_id == gala.venue_id
    await lyon.send(OTHER_COORDINATOR, "/start")
    calls = await lyon.press(OTHER_COORDINATOR, f"ev:{gala.id}:0")
    assert "only for the mission's staff" in joined(calls)
    assert (await item(lyon, "gala-dinner")).venue_id == gala.venue_id


async def test_staff_change_the_end_of_a_session(lyon: Harness) -> None:
    await make_coordinator(lyon, EN_COORDINATOR)
    gala = await item(lyon, "gala-dinner")  # 19:30 to 22:30, Paris time
    await lyon.press(EN_COORDINATOR, f"ef:s:{gala.id}:end")
    calls = await lyon.send(EN_COORDINATOR, "18:00")
    assert (
        "The end must be after the start, Wednesday, April 12, 2017 at 7:30\u202fPM (Paris time)."
        in joined(calls)
    )
    assert (await item(lyon, "gala-dinner")).ends_at == gala.ends_at
    card = joined(await lyon.send(EN_COORDINATOR, "23:15"))  # still waiting for the end
    assert "Saved." in card
    assert "until 11:15\u202fPM" in card
    changed = await item(lyon, "gala-dinner")
    assert changed.ends_at == datetime(2017, 4, 12, 21, 15, tzinfo=UTC)
    assert changed.starts_at == gala.starts_at
    await lyon.press(EN_COORDINATOR, f"ef:s:{gala.id}:end")
    await lyon.send(EN_COORDINATOR, "+90 min")
    assert (await item(lyon, "gala-dinner")).ends_at == datetime(2017, 4, 12, 19, 0, tzinfo=UTC)


async def test_an_end_before_the_start_is_refused_in_french(lyon: Harness) -> None:
    gala = await item(lyon, "gala-dinner")
    await lyon.press(ADMIN, f"ef:s:{gala.id}:end")
    calls = await lyon.send(ADMIN, "19:30")
    assert (
        "La fin doit être après le début, mercredi 12 avril 2017 à 19:30 (heure de Paris)."
        in joined(calls)
    )
    assert "n'ai pas compris cette fin" in joined(await lyon.send(ADMIN, "bientôt"))
    assert (await item(lyon, "gala-dinner")).ends_at == gala.ends_at
    assert "Enregistré" in joined(await lyon.send(ADMIN, "2017-04-13 00:30"))
    assert (await item(lyon, "gala-dinner")).ends_at == datetime(2017, 4, 12, 22, 30, tzinfo=UTC)


async def test_staff_fix_a_venue_pin_by_sharing_a_location(lyon: Harness) -> None:
    await make_coordinator(lyon, EN_COORDINATOR)
    town_hall = await venue_id(lyon, "hotel-de-ville")
    await lyon.press(EN_COORDINATOR, f"em:v:{town_hall}")
    assert f"ef:v:{town_hall}:coords" in lyon.buttons(EN_COORDINATOR)
    assert "Map pin" in lyon.labels(EN_COORDINATOR)
    calls = await lyon.press(EN_COORDINATOR, f"ef:v:{town_hall}:coords")
    assert "📎 → Location" in joined(calls)
    calls = await lyon.share_location(EN_COORDINATOR, 45.767, 4.8357)
    assert "Saved." in joined(calls)
    pin = next(c for c in calls if c.method == "sendVenue")
    assert (float(pin.params["latitude"]), float(pin.params["longitude"])) == (45.767, 4.8357)
    async with lyon.db() as session:
        venue = await session.get(Venue, town_hall)
        assert venue is not None
        assert (venue.latitude, venue.longitude) == (45.767, 4.8357)
    # Delegates' venue list follows at once (the content version was bumped).
    await register(lyon, EN)
    calls = await lyon.press(EN, f"v:{town_hall}")
    assert float(next(c for c in calls if c.method == "sendVenue").params["latitude"]) == 45.767


async def test_staff_type_a_venue_pin_in_french(lyon: Harness) -> None:
    town_hall = await venue_id(lyon, "hotel-de-ville")
    await lyon.press(ADMIN, f"ef:v:{town_hall}:coords")
    assert "Je n'ai pas pu lire ce lieu" in joined(await lyon.send(ADMIN, "91, 200"))
    assert "Enregistré" in joined(await lyon.send(ADMIN, "45,7676 ; 4,8360"))
    async with lyon.db() as session:
        venue = await session.get(Venue, town_hall)
        assert venue is not None
        assert (venue.latitude, venue.longitude) == (45.7676, 4.836)
    await lyon.press(OTHER_COORDINATOR, f"ef:v:{town_hall}:coords")
    await lyon.share_location(OTHER_COORDINATOR, 1.0, 1.0)
    async with lyon.db() as session:
        venue = await session.get(Venue, town_hall)
        assert venue is not None
        assert venue.latitude == 45.7676


async def test_venue_added_by_a_guided_conversation(lyon: Harness) -> None:
    await make_coordinator(lyon, EN_COORDINATOR)
    assert "/venue_add — Add a venue, with its map pin" in joined(
        await lyon.send(EN_COORDINATOR, "/help")
    )
    await lyon.send(EN_COORDINATOR, "/venue_add")
    await lyon.send(EN_COORDINATOR, "Musée des Confluences")
    calls = await lyon.send(EN_COORDINATOR, "86 quai Perrache, 69002 Lyon")
    assert "📎 → Location" in joined(calls)
    assert "nv:location:0" in lyon.buttons(EN_COORDINATOR)
    calls = await lyon.share_location(EN_COORDINATOR, 45.7326, 4.8182)
    assert "Venue added" in joined(calls)
    assert any(c.method == "sendVenue" for c in calls)
    async with lyon.db() as session:
        added = await session.scalar(select(Venue).where(Venue.key == "musee-des-confluences"))
        assert added is not None
        assert (added.name, added.latitude, added.longitude) == (
            "Musée des Confluences",
            45.7326,
            4.8182,
        )
    gala = await item(lyon, "gala-dinner")
    await lyon.press(EN_COORDINATOR, f"ef:s:{gala.id}:venue")
    assert f"ev:{gala.id}:{added.id}" in lyon.buttons(EN_COORDINATOR)


async def test_venue_added_in_french_without_a_location(lyon: Harness) -> None:
    await register(lyon, FR)
    assert "/venue_add" in joined(await lyon.send(ADMIN, "/help"))
    assert "/venue_add" not in joined(await lyon.send(FR, "/help"))
    assert "réservé" in joined(await lyon.send(FR, "/venue_add"))
    await lyon.send(ADMIN, "/venue_add")
    await lyon.send(ADMIN, "Parc de la Tête d'Or")
    await lyon.send(ADMIN, "Boulevard des Belges, Lyon")
    calls = await lyon.press(ADMIN, "nv:location:0")
    assert "Lieu ajouté" in joined(calls)
    async with lyon.db() as session:
        added = await session.scalar(select(Venue).where(Venue.name == "Parc de la Tête d'Or"))
        assert added is not None
        assert added.latitude is None


TWO_ROWS_CSV = (
    "key;title_fr;title_en;start;end;venue;room;kind\n"
    "gala-dinner;Dîner de gala;Gala dinner;2017-04-12 20:00;2017-04-12 23:00;"
    "hotel-de-ville;;meal\n"
    "badge-pickup;Retrait des badges;Badge pick-up;2017-04-10 08:00;2017-04-10 09:00;;;other\n"
)


async def sessions_on_agenda(h: Harness) -> int:
    async with h.db() as session:
        rows = await session.scalars(select(AgendaItem).where(AgendaItem.cancelled.is_(False)))
        return len(list(rows))


async def test_import_preview_names_what_would_be_removed_and_can_keep_it(lyon: Harness) -> None:
    before = await sessions_on_agenda(lyon)
    missing = before - 2
    preview = joined(await lyon.send_file(ADMIN, "deux.csv", TWO_ROWS_CSV.encode()))
    assert f"0 nouvelle, 2 modifiées, {missing} retirées" in preview
    assert "Absentes du fichier :" in preview
    assert preview.count("\n• ") == 2 + 8  # the changed ones, then the first 8 missing
    assert f"… et {missing - 8} de plus" in preview
    assert "• Dîner de gala (horaire, titre, lieu)" in preview
    assert f"Annuler les {missing} séances absentes du fichier, ou les garder ?" in preview
    assert lyon.buttons(ADMIN) == ["imp:ok", "imp:keep", "imp:no"]
    assert lyon.labels(ADMIN)[0] == f"✅ Importer et annuler les {missing} absentes"
    calls = await lyon.press(ADMIN, "imp:keep")
    assert "Importé : 0 nouvelle, 2 modifiées, 0 annulée" in joined(calls)
    assert await sessions_on_agenda(lyon) == before
    gala = await item(lyon, "gala-dinner")
    assert gala.starts_at == datetime(2017, 4, 12, 18, 0, tzinfo=UTC)
    assert gala.venue_id == await venue_id(lyon, "hotel-de-ville")


async def test_import_and_cancel_the_missing_ones_in_english(lyon: Harness) -> None:
    await make_coordinator(lyon, EN_COORDINATOR)
    await register(lyon, EN)
    before = await sessions_on_agenda(lyon)
    missing = before - 2
    preview = joined(await lyon.send_file(EN_COORDINATOR, "two.csv", TWO_ROWS_CSV.encode()))
    assert f"0 new, 2 changed, {missing} removed" in preview
    assert "Not in the file:" in preview
    assert f"Cancel the {missing} sessions missing from the file, or keep them?" in preview
    assert "• Gala dinner (time, title, place)" in preview
    assert lyon.labels(EN_COORDINATOR) == [
        f"✅ Import and cancel the {missing} missing",
        "✅ Import, keep the others",
        "✖ Cancel",
    ]
    # A session added after the preview is not one the coordinator saw: it stays.
    await lyon.send(ADMIN, "/session_add")
    for answer in ("Ajout", "Late addition", "2017-04-13 09:00", "10:00"):
        await lyon.send(ADMIN, answer)
    for step in ("venue", "room", "description_fr", "description_en"):
        await lyon.press(ADMIN, f"ns:{step}:0")
    calls = await lyon.press(EN_COORDINATOR, "imp:ok")
    assert f"Imported: 0 new, 2 changed, {missing} cancelled." in joined(calls)
    assert await sessions_on_agenda(lyon) == 3
    assert not (await item(lyon, "late-addition")).cancelled
    assert any("Cancelled" in text for text in lyon.texts(EN))  # delegates are told


async def test_an_import_that_removes_nothing_keeps_two_buttons(lyon: Harness) -> None:
    calls = await lyon.send(ADMIN, "/ics")
    document = next(c for c in calls if c.method == "sendDocument")
    _name, exported = next(iter(document.files.values()))
    preview = joined(await lyon.send_file(ADMIN, "lyon-2017.ics", exported))
    assert "Absentes du fichier" not in preview
    assert lyon.buttons(ADMIN) == ["imp:ok", "imp:no"]


async def test_a_cache_read_overtaken_by_an_edit_is_not_kept(lyon: Harness) -> None:
    """A delegate's update reads the agenda while a coordinator's commits an edit: what it
    read is not kept, so the coordinator's card, in the same update (person read before the
    edit), has the new title."""
    from contextlib import asynccontextmanager
    from typing import Any

    from bot.services import agenda as svc
    from bot.services import editing
    from bot.services.people import identify

    await register(lyon, EN)
    lyon.clock.set(paris(11, 8))
    svc.clear_caches()
    reader = await identify(lyon.db, lyon.clock, EN.id, "en")
    editor = await identify(lyon.db, lyon.clock, ADMIN.id, "fr")
    seen = await svc.viewer(lyon.db, reader)
    assert isinstance(seen, svc.Viewer)
    gala = await item(lyon, "gala-dinner")
    reached, gate = asyncio.Event(), asyncio.Event()

    class Slow:  # the delegate's read pauses after the sessions, before the venues
        def __init__(self, session: Any) -> None:
            self.session = session

        def __getattr__(self, name: str) -> Any:
            return getattr(self.session, name)

        async def scalars(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
            result = await self.session.scalars(statement, *args, **kwargs)
            if "FROM venues" in str(statement):
                reached.set()
                await gate.wait()
            return result

    @asynccontextmanager
    async def slow_sessions() -> Any:
        async with lyon.db() as session:
            yield Slow(session)

    reading = asyncio.create_task(svc.day_sessions(slow_sessions, seen, paris(12, 8).date()))  # type: ignore[arg-type]
    await reached.wait()
    assert await editing.edit_text(
        lyon.db, lyon.clock, editor, "s", gala.id, "title_en", "Gala (black tie)"
    )
    gate.set()
    await reading
    found = await svc.session_for(lyon.db, editor, gala.id)
    assert found is not None
    assert found[1].title_en == "Gala (black tie)"
