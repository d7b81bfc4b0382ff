"""Agenda, next, session and venue cards, .ics, home time zone: French and English."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from icalendar import Calendar
from sqlalchemy import select, update

from bot.services.agenda import day_bounds
from bot.services.people import identify
from bot.services.registration import enrol
from models import AgendaItem, Audience, Mission, Registration, SessionKind, agenda_item_attendees
from models.queries import bump_content
from tests.harness import Harness, TgUser, add_boston_mission, joined

FR = TgUser(701, "Camille", "fr-CA")
EN = TgUser(702, "Alex", "en")
OUTSIDER = TgUser(703, "Sam", "en")
PROFILE = {
    "full_name": "Test Person",
    "organisation": "Org",
    "email": "t@example.com",
    "phone": "+15145550123",
}


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    # April 2017: Paris is UTC+2.
    return datetime(2017, 4, day, hour - 2, minute, tzinfo=UTC)


async def register(
    h: Harness, user: TgUser, tags: list[str] | None = None, mission_key: str = "lyon-2017"
) -> int:
    person = await identify(h.db, h.clock, user.id, user.language_code)
    async with h.db() as session:
        mission = await session.scalar(select(Mission).where(Mission.key == mission_key))
        assert mission is not None
        mission_id = mission.id
    await enrol(h.db, h.clock, person.delegate_id, mission_id, dict(PROFILE))
    if tags:
        async with h.db.begin() as session:
            await session.execute(
                update(Registration)
                .where(Registration.delegate_id == person.delegate_id)
                .values(tags=tags)
            )
    return person.delegate_id


async def item(h: Harness, key: str) -> AgendaItem:
    async with h.db() as session:
        found = await session.scalar(select(AgendaItem).where(AgendaItem.key == key))
        assert found is not None
        return found


async def test_agenda_today_in_french_and_english(lyon: Harness) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    lyon.clock.set(paris(11, 8))
    fr = joined(await lyon.send(FR, "/agenda"))
    assert "Mardi 11 avril 2017" in fr
    assert "Heure de Paris" in fr
    assert "Panel : financer" in fr
    en = joined(await lyon.send(EN, "/agenda"))
    assert "Tuesday, April 11, 2017" in en
    assert "Paris time" in en
    assert "9:15\u202fAM" in en


async def test_agenda_days_by_word_date_and_weekday(lyon: Harness) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    lyon.clock.set(paris(10, 9))
    assert "Mardi 11 avril" in joined(await lyon.send(FR, "/agenda demain"))
    assert "Tuesday, April 11" in joined(await lyon.send(EN, "/agenda tomorrow"))
    assert "Mercredi 12 avril" in joined(await lyon.send(FR, "/agenda mercredi"))
    assert "Wednesday, April 12" in joined(await lyon.send(EN, "/agenda wednesday"))
    assert "Jeudi 13 avril" in joined(await lyon.send(FR, "/agenda 2017-04-13"))
    assert "Wednesday, April 12" in joined(await lyon.send(EN, "/agenda 12/04"))


async def test_bad_dates_get_a_clear_answer(lyon: Harness) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    assert "n'existe pas" in joined(await lyon.send(FR, "/agenda 2017-02-30"))
    text = joined(await lyon.send(FR, "/agenda samedi"))
    assert "pas de samedi" in text
    assert "dimanche 9 avril 2017" in text
    assert "no Saturday" in joined(await lyon.send(EN, "/agenda saturday"))
    assert "did not understand that date" in joined(await lyon.send(EN, "/agenda someday"))


async def test_day_navigation_buttons(lyon: Harness) -> None:
    await register(lyon, EN)
    lyon.clock.set(paris(11, 8))
    await lyon.send(EN, "/agenda")
    buttons = lyon.buttons(EN)
    assert any(b.endswith(":20170412") for b in buttons)
    assert any(b.endswith(":20170410") for b in buttons)
    forward = next(b for b in buttons if b.endswith(":20170412"))
    calls = await lyon.press(EN, forward)
    assert calls[-1].method == "editMessageText"
    assert "Wednesday, April 12" in joined(calls)


async def test_before_the_mission_the_agenda_opens_on_day_one(lyon: Harness) -> None:
    await register(lyon, EN)
    lyon.clock.set(datetime(2017, 3, 1, 12, tzinfo=UTC))
    text = joined(await lyon.send(EN, "/agenda"))
    assert "The mission starts on Sunday, April 9, 2017" in text
    assert "Sunday, April 9, 2017" in text


async def test_tagged_sessions_only_for_tagged_delegates(lyon: Harness) -> None:
    await register(lyon, FR, tags=["medtech"])
    await register(lyon, EN)
    b2b = await item(lyon, "b2b-medtech")
    day = b2b.starts_at.astimezone(UTC)
    lyon.clock.set(day - timedelta(hours=1))
    assert b2b.title_fr in joined(await lyon.send(FR, "/agenda"))
    assert b2b.title_en not in joined(await lyon.send(EN, "/agenda"))
    # Asked for by name, it is answered for the one it is for, never shown to the other.
    assert b2b.title_fr in joined(await lyon.send(FR, "rencontres b2b medtech à quelle heure?"))
    assert b2b.title_en not in joined(await lyon.send(EN, "what time are the medtech b2b?"))


async def test_named_sessions_only_for_named_delegates(lyon: Harness) -> None:
    delegate_id = await register(lyon, EN)
    await register(lyon, FR)
    async with lyon.db.begin() as session:
        mission = await session.scalar(select(Mission))
        assert mission is not None
        meeting = AgendaItem(
            mission_id=mission.id, key="private-meeting", title_fr="Rencontre privée avec Sanofi",
            title_en="Private meeting with Sanofi", starts_at=paris(11, 16), ends_at=paris(11, 17),
            kind=SessionKind.B2B, audience=Audience.NAMED, audience_tags=[], cancelled=False,
            updated_at=lyon.clock.now(),
        )  # fmt: skip
        session.add(meeting)
        await session.flush()
        await session.execute(
            agenda_item_attendees.insert().values(
                agenda_item_id=meeting.id, delegate_id=delegate_id
            )
        )
        await bump_content(session, mission.id)
    lyon.clock.set(paris(11, 8))
    assert "Private meeting with Sanofi" in joined(await lyon.send(EN, "/agenda"))
    assert "Rencontre privée" not in joined(await lyon.send(FR, "/agenda"))


async def test_next_says_what_is_on_and_how_soon(lyon: Harness) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    panel = await item(lyon, "keynote-panel")
    lyon.clock.set(panel.starts_at - timedelta(minutes=25))
    fr = joined(await lyon.send(FR, "/next"))
    assert panel.title_fr in fr
    assert "dans 25 minutes" in fr
    en = joined(await lyon.send(EN, "/next"))
    assert "in 25 minutes" in en
    lyon.clock.set(panel.starts_at + timedelta(minutes=10))
    en = joined(await lyon.send(EN, "/next"))
    assert "Now" in en
    assert panel.title_en in en
    lyon.clock.set(datetime(2017, 5, 1, tzinfo=UTC))
    assert "Nothing more" in joined(await lyon.send(EN, "/next"))


async def test_session_card_map_and_calendar(lyon: Harness) -> None:
    await register(lyon, FR)
    gala = await item(lyon, "gala-dinner")
    lyon.clock.set(gala.starts_at - timedelta(hours=3))
    await lyon.send(FR, "/agenda")
    calls = await lyon.press(FR, f"s:{gala.id}")
    card = joined(calls)
    assert gala.title_fr in card
    assert "Brasserie Georges" in card
    assert "(heure de Paris)" in card
    assert f"map:{gala.id}" in lyon.buttons(FR)
    calls = await lyon.press(FR, f"map:{gala.id}")
    pin = next(c for c in calls if c.method == "sendVenue")
    assert abs(float(pin.params["latitude"]) - 45.75) < 0.05
    calls = await lyon.press(FR, f"ics:{gala.id}")
    document = next(c for c in calls if c.method == "sendDocument")
    _calendar, events = _ics_events(document)
    assert [str(e["SUMMARY"]) for e in events] == [gala.title_fr]


def _ics_events(call: Any) -> tuple[Calendar, list[Any]]:
    filename, raw = next(iter(call.files.values()))
    assert filename is not None
    assert filename.endswith(".ics")
    calendar = Calendar.from_ical(raw)
    return calendar, list(calendar.walk("VEVENT"))


async def test_ics_export_has_zone_stable_uids_and_places(lyon: Harness) -> None:
    await register(lyon, EN)
    calls = await lyon.send(EN, "/ics")
    document = next(c for c in calls if c.method == "sendDocument")
    calendar, events = _ics_events(document)
    assert calendar.walk("VTIMEZONE")
    assert events
    first = events[0]
    assert first["DTSTART"].params["TZID"] == "Europe/Paris"
    assert "@missionbot" in str(first["UID"])
    assert any("GEO" in e for e in events)
    assert any("LOCATION" in e for e in events)
    again = next(c for c in await lyon.send(EN, "/ics") if c.method == "sendDocument")
    assert [str(e["UID"]) for e in _ics_events(again)[1]] == [str(e["UID"]) for e in events]


async def test_venues_open_as_pins_with_what_happens_next(lyon: Harness) -> None:
    await register(lyon, FR)
    lyon.clock.set(paris(10, 8))
    await lyon.send(FR, "/lieux")
    buttons = lyon.buttons(FR)
    assert len(buttons) >= 5
    calls = await lyon.press(FR, buttons[0])
    assert any(c.method == "sendVenue" for c in calls)


async def test_home_timezone_shows_beside_mission_time(lyon: Harness) -> None:
    await register(lyon, EN)
    lyon.clock.set(paris(11, 8))
    await lyon.send(EN, "/timezone")
    calls = await lyon.press(EN, "tz:America/Toronto")
    assert "Toronto" in joined(calls)
    text = joined(await lyon.send(EN, "/agenda"))
    assert "Toronto time" in text
    assert "3:15\u202fAM" in text  # 9:15 in Lyon
    assert "do not know the time zone" in joined(await lyon.send(EN, "/timezone Mars/Olympus"))


async def test_forged_buttons_leak_nothing_from_another_mission(lyon: Harness) -> None:
    await register(lyon, EN)
    gala = await item(lyon, "gala-dinner")
    calls = await lyon.press(OUTSIDER, f"s:{gala.id}")
    assert gala.title_en not in joined(calls)
    assert "expired" in joined(calls)
    for forged in (
        f"ag:{gala.mission_id}:20170411",
        "ag:999:20170411",
        "ag:1:20171340",
        "v:1",
        "s:x",
        "mc:1:agenda",
    ):
        calls = await lyon.press(OUTSIDER, forged)
        assert gala.title_en not in joined(calls)


async def test_not_registered_is_told_how_to_register(lyon: Harness) -> None:
    assert "/register" in joined(await lyon.send(OUTSIDER, "/agenda"))
    assert "/register" in joined(await lyon.send(OUTSIDER, "/next"))


async def test_delegate_in_two_missions_picks_one_and_it_is_remembered(lyon: Harness) -> None:
    await register(lyon, EN)
    await add_boston_mission(lyon)
    await register(lyon, EN, mission_key="boston-2018")
    async with lyon.db.begin() as session:
        # Registering remembered Boston; forget that to see the choice.
        from models import Delegate

        await session.execute(update(Delegate).values(current_mission_id=None))
    calls = await lyon.send(EN, "/agenda")
    assert "Which mission?" in joined(calls)
    lyon_button = next(b for b in lyon.buttons(EN) if b.endswith(":agenda") and "mc:" in b)
    async with lyon.db() as session:
        lyon_mission = await session.scalar(select(Mission).where(Mission.key == "lyon-2017"))
        assert lyon_mission is not None
    calls = await lyon.press(EN, f"mc:{lyon_mission.id}:agenda")
    assert "Paris time" in joined(calls)
    assert lyon_button
    assert "Paris time" in joined(await lyon.send(EN, "/agenda"))


def test_day_bounds_follow_daylight_saving() -> None:
    start, end = day_bounds(date(2017, 3, 26), "Europe/Paris")
    assert end - start == timedelta(hours=23)
    start, end = day_bounds(date(2017, 10, 29), "Europe/Paris")
    assert end - start == timedelta(hours=25)
    start, end = day_bounds(date(2017, 3, 12), "America/Toronto")
    assert end - start == timedelta(hours=23)


async def test_pending_delegate_waits_for_approval_before_seeing_the_trip(lyon: Harness) -> None:
    async with lyon.db.begin() as session:
        await session.execute(update(Mission).values(requires_approval=True))
    await register(lyon, EN)
    text = joined(await lyon.send(EN, "/agenda"))
    assert "Paris time" not in text
    assert "Wi-Fi" not in joined(await lyon.send(EN, "wifi password"))


async def test_forged_buttons_do_not_show_tagged_sessions_to_others(lyon: Harness) -> None:
    await register(lyon, EN)  # no tags
    b2b = await item(lyon, "b2b-medtech")
    for data in (f"s:{b2b.id}", f"sa:{b2b.id}", f"map:{b2b.id}", f"ics:{b2b.id}"):
        calls = await lyon.press(EN, data)
        assert b2b.title_en not in joined(calls)
        assert not [c for c in calls if c.method in {"sendDocument", "sendVenue"}]


async def test_ics_uid_stays_and_sequence_grows_when_a_session_moves(lyon: Harness) -> None:
    from bot.services.editing import move_session
    from bot.services.people import identify

    await register(lyon, EN)
    before = {
        str(e["UID"]): e
        for e in _ics_events(
            next(c for c in await lyon.send(EN, "/ics") if c.method == "sendDocument")
        )[1]
    }
    gala = await item(lyon, "gala-dinner")
    admin = await identify(lyon.db, lyon.clock, 9001, "fr")
    lyon.clock.set(datetime(2017, 4, 5, tzinfo=UTC))
    assert await move_session(
        lyon.db, lyon.clock, admin, gala.id, gala.starts_at + timedelta(hours=1)
    )
    after = {
        str(e["UID"]): e
        for e in _ics_events(
            next(c for c in await lyon.send(EN, "/ics") if c.method == "sendDocument")
        )[1]
    }
    assert before.keys() == after.keys()
    uid = next(u for u in after if u.startswith("gala-dinner."))
    assert after[uid]["SEQUENCE"] > before[uid]["SEQUENCE"]
    assert after[uid].decoded("DTSTART") != before[uid].decoded("DTSTART")


async def test_a_delegate_in_two_missions_can_switch(lyon: Harness) -> None:
    await register(lyon, EN)
    await add_boston_mission(lyon)
    await register(lyon, EN, mission_key="boston-2018")
    await lyon.send(EN, "/agenda")
    assert "switch" in lyon.buttons(EN)
    calls = await lyon.press(EN, "switch")
    assert "Which mission?" in joined(calls)
    assert any(b.startswith("mc:") for b in lyon.buttons(EN))
