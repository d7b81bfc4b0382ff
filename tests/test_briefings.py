"""Daily briefings, travel reminders, quiet hours and the home zone in reminders, through the
real Application, in French and English, with an injected clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.app import flush_outbox
from bot.services.mission_file import MissionFileError, parse_mission_file
from bot.services.reminders import enqueue_due, hold_for_quiet_hours
from models import Delegate, Mission, OutboxMessage, OutboxStatus, Registration
from tests.harness import Harness, TgUser, joined
from tests.test_agenda import item, paris, register

FR = TgUser(2301, "Camille", "fr")
EN = TgUser(2302, "Alex", "en")


def toronto(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    # April 2017: Toronto is UTC-4.
    return datetime(2017, month, day, hour + 4, minute, tzinfo=UTC)


async def at(h: Harness, moment: datetime) -> None:
    """Let time pass up to `moment` as the running bot would: a pass every 5 minutes."""
    h.clock.set(moment)
    await enqueue_due(h.db, h.clock)
    await flush_outbox(h.app)


def briefings(h: Harness, user: TgUser) -> list[str]:
    return [t for t in h.texts(user) if t.startswith("☀️")]


async def test_morning_briefing_on_mission_days_in_each_language_once(lyon: Harness) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    await at(lyon, paris(11, 7, 24))
    assert not briefings(lyon, FR)  # not yet: 07:30 minus the five-minute look-ahead
    await at(lyon, paris(11, 7, 26))
    await flush_outbox(lyon.app)
    assert not briefings(lyon, FR)  # queued for 07:30, not sent early
    await at(lyon, paris(11, 7, 30))
    fr, en = briefings(lyon, FR), briefings(lyon, EN)
    assert len(fr) == 1
    assert len(en) == 1
    assert "Bonjour" in fr[0]
    assert "Mardi 11 avril 2017" in fr[0]
    assert "Panel : financer" in fr[0]
    assert "Good morning" in en[0]
    assert "Tuesday, April 11, 2017" in en[0]
    assert "Panel: financing" in en[0]
    assert "b2b" not in en[0].lower()  # the personal agenda: no tagged B2B stream
    for minute in (31, 45, 59):  # passes repeat: nothing twice
        await at(lyon, paris(11, 7, minute))
    assert len(briefings(lyon, FR)) == 1
    await at(lyon, paris(14, 7, 30))  # the day after the mission: nothing
    assert len(briefings(lyon, FR)) == 1


async def test_departure_day_briefing_follows_the_zone_of_that_days_sessions(
    lyon: Harness,
) -> None:
    await register(lyon, EN)
    await at(lyon, paris(9, 7, 30))  # 01:30 in Montreal: not then
    assert not briefings(lyon, EN)
    await at(lyon, toronto(4, 9, 7, 30))
    (text,) = briefings(lyon, EN)
    assert "meet-up" in text.lower()


async def test_briefing_opt_out_from_reminders_settings(lyon: Harness) -> None:
    await register(lyon, FR)
    await lyon.send(FR, "/reminders")
    assert "rb:0" in lyon.buttons(FR)
    assert "plus de programme du matin" in joined(await lyon.press(FR, "rb:0"))
    assert "rb:1" in lyon.buttons(FR)  # the screen now offers to turn it back on
    await at(lyon, paris(11, 7, 30))
    assert not briefings(lyon, FR)
    assert "chaque matin" in joined(await lyon.press(FR, "rb:1"))
    await at(lyon, paris(12, 7, 30))
    assert len(briefings(lyon, FR)) == 1


async def test_travel_reminders_the_day_before_departure_and_return(lyon: Harness) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    async with lyon.db.begin() as session:  # one delegate booked their own hotel
        await session.execute(
            update(Registration)
            .where(Registration.full_name == "Test Person")
            .values(hotel="Hôtel <Bellecour>")
        )
    await at(lyon, toronto(4, 8, 17, 50))
    assert not [t for t in lyon.texts(EN) if t.startswith("✈️")]
    await at(lyon, toronto(4, 8, 18, 0))  # 18:00 at home, the day before the flight
    (out_fr,) = [t for t in lyon.texts(FR) if t.startswith("✈️")]
    (out_en,) = [t for t in lyon.texts(EN) if t.startswith("✈️")]
    assert "Demain : Vol Montréal → Lyon" in out_fr
    assert "passeport" in out_fr
    assert "Hôtel &lt;Bellecour&gt;" in out_fr  # their own hotel, escaped
    assert "Tomorrow: Flight Montréal → Lyon" in out_en
    assert "8:00\u202fPM (Toronto time)" in out_en
    await at(lyon, paris(12, 18, 0))
    back = [t for t in lyon.texts(EN) if t.startswith("✈️")]
    assert len(back) == 2
    assert "Flight Lyon → Montréal" in back[1]
    assert "check out of the hotel" in back[1]
    assert "10:05\u202fAM (Paris time)" in back[1]


async def test_quiet_hours_hold_notices_but_not_one_about_a_session_before_they_end(
    lyon: Harness,
) -> None:
    from bot.services.editing import move_session
    from bot.services.people import identify

    await register(lyon, EN)
    admin = await identify(lyon.db, lyon.clock, 9001, "en")
    gala = await item(lyon, "gala-dinner")
    lyon.clock.set(paris(11, 23, 0))  # quiet hours in Lyon
    await move_session(lyon.db, lyon.clock, admin, gala.id, gala.starts_at + timedelta(hours=1))
    await flush_outbox(lyon.app)
    assert not [t for t in lyon.texts(EN) if "Schedule change" in t]  # held for the night
    lyon.clock.set(paris(12, 6, 59))
    await flush_outbox(lyon.app)
    assert not [t for t in lyon.texts(EN) if "Schedule change" in t]
    lyon.clock.set(paris(12, 7, 0))
    await flush_outbox(lyon.app)
    assert len([t for t in lyon.texts(EN) if "Schedule change" in t]) == 1

    shuttle = await item(lyon, "shuttle-hotel-marcy")  # early on the 12th
    lyon.clock.set(paris(11, 23, 30))
    await move_session(
        lyon.db, lyon.clock, admin, shuttle.id, paris(12, 6, 30)
    )  # before quiet hours end: they must know now
    await flush_outbox(lyon.app)
    assert len([t for t in lyon.texts(EN) if "Schedule change" in t]) == 2


async def test_a_briefing_set_within_quiet_hours_waits_for_their_end(lyon: Harness) -> None:
    await register(lyon, FR)
    async with lyon.db.begin() as session:
        await session.execute(update(Mission).values(briefing_minute=6 * 60))
    await at(lyon, paris(11, 6, 0))
    assert not briefings(lyon, FR)
    await at(lyon, paris(11, 7, 0))
    assert len(briefings(lyon, FR)) == 1


async def test_a_session_reminder_is_never_held_by_quiet_hours(lyon: Harness) -> None:
    await register(lyon, EN)
    shuttle = await item(lyon, "shuttle-hotel-marcy")
    from bot.services.editing import move_session
    from bot.services.people import identify

    admin = await identify(lyon.db, lyon.clock, 9001, "en")
    lyon.clock.set(paris(11, 12, 0))
    await move_session(lyon.db, lyon.clock, admin, shuttle.id, paris(12, 6, 30))
    await at(lyon, paris(12, 6, 0))  # 30 minutes before, within quiet hours
    assert [t for t in lyon.texts(EN) if t.startswith("⏰") and "6:30\u202fAM" in t]


async def test_reminders_show_the_home_zone_when_set(lyon: Harness) -> None:
    await register(lyon, FR)
    await lyon.send(FR, "/timezone America/Toronto")
    gala = await item(lyon, "gala-dinner")
    await at(lyon, gala.starts_at - timedelta(minutes=30))
    (text,) = [t for t in lyon.texts(FR) if t.startswith("⏰")]
    assert "(heure de Paris)" in text
    assert "à Toronto" in text


async def test_two_passes_at_once_queue_each_reminder_once(lyon: Harness) -> None:
    """Two bot processes may run the pass at the same moment: the unique key and
    ON CONFLICT DO NOTHING keep one row per reminder, with no error."""
    for index in range(5):
        await register(lyon, TgUser(2400 + index, "P", "en"))
    gala = await item(lyon, "gala-dinner")
    lyon.clock.set(gala.starts_at - timedelta(minutes=30))
    counts = await asyncio.gather(*(enqueue_due(lyon.db, lyon.clock) for _ in range(3)))
    assert sum(counts) >= 5
    async with lyon.db() as session:
        rows = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "reminder")
        )
    assert rows == 5


def test_quiet_hours_arithmetic_across_midnight_and_dst() -> None:
    def wall(text: str) -> datetime:
        return datetime.fromisoformat(text).astimezone(UTC)

    zone = "Europe/Paris"
    held = hold_for_quiet_hours(wall("2017-03-25T23:00+01:00"), zone, 22 * 60, 7 * 60)
    assert held == wall("2017-03-26T07:00+02:00")  # the night the clocks go forward
    assert hold_for_quiet_hours(wall("2017-04-11T06:59+02:00"), zone, 1320, 420) == wall(
        "2017-04-11T07:00+02:00"
    )
    free = wall("2017-04-11T07:00+02:00")
    assert hold_for_quiet_hours(free, zone, 1320, 420) == free
    assert hold_for_quiet_hours(free, zone, None, None) == free
    # Quiet hours within a day (13:00-14:00).
    assert hold_for_quiet_hours(wall("2017-04-11T13:30+02:00"), zone, 780, 840) == wall(
        "2017-04-11T14:00+02:00"
    )


def test_mission_file_reminder_settings_are_checked(tmp_path: Path) -> None:
    base = Path(__file__).resolve().parents[1] / "examples" / "lyon-2017.yaml"
    text = base.read_text(encoding="utf-8")
    spec = parse_mission_file(base)
    assert spec.mission.reminders.travel.outbound == "flight-out"
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        text.replace('daily_briefing: "07:30"', "daily_briefing: 7:30")  # YAML: 450
        .replace("return: flight-home", "return: flight-nowhere")
        .replace('quiet_hours: "22:00-07:00"', 'quiet_hours: "22h-7h"'),
        encoding="utf-8",
    )
    with pytest.raises(MissionFileError) as caught:
        parse_mission_file(bad)
    problems = "\n".join(caught.value.problems)
    assert 'mission.reminders.daily_briefing: not a time like "07:30"' in problems
    assert "mission.reminders.quiet_hours: not a range" in problems
    bad.write_text(text.replace("return: flight-home", "return: flight-nowhere"), "utf-8")
    with pytest.raises(MissionFileError) as caught:
        parse_mission_file(bad)
    assert caught.value.problems == [
        "mission.reminders.travel.return: unknown session 'flight-nowhere'"
    ]


async def test_a_blocked_delegate_is_marked_unreachable_and_not_reminded_again(
    lyon: Harness,
) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    lyon.api.failures[FR.id] = (403, "Forbidden: bot was blocked by the user", None)
    gala = await item(lyon, "gala-dinner")
    await at(lyon, gala.starts_at - timedelta(minutes=30))
    assert [t for t in lyon.texts(EN) if t.startswith("⏰")]
    async with lyon.db() as session:
        tried = await session.scalar(select(OutboxMessage).where(OutboxMessage.chat_id == FR.id))
        blocked = await session.scalar(select(Delegate).where(Delegate.telegram_id == FR.id))
    assert tried is not None
    assert tried.status == OutboxStatus.BLOCKED
    assert tried.attempts == 1  # not retried
    assert blocked is not None
    assert blocked.unreachable
    calls = len([c for c in lyon.api.calls if c.chat_id == FR.id])
    await at(lyon, paris(13, 7, 30))  # a briefing, another reminder: never to them again
    closing = await item(lyon, "closing-plenary")
    await at(lyon, closing.starts_at - timedelta(minutes=30))
    assert len([c for c in lyon.api.calls if c.chat_id == FR.id]) == calls


async def test_a_session_moved_and_moved_back_is_reminded_once_at_its_time(
    lyon: Harness,
) -> None:
    from bot.services.editing import move_session
    from bot.services.people import identify

    await register(lyon, EN)
    admin = await identify(lyon.db, lyon.clock, 9001, "en")
    gala = await item(lyon, "gala-dinner")
    lyon.clock.set(gala.starts_at - timedelta(minutes=33))
    await enqueue_due(lyon.db, lyon.clock)  # queued, due in 3 minutes
    await move_session(lyon.db, lyon.clock, admin, gala.id, gala.starts_at + timedelta(hours=1))
    await move_session(lyon.db, lyon.clock, admin, gala.id, gala.starts_at)
    for minutes in (32, 31, 30, 29):
        await at(lyon, gala.starts_at - timedelta(minutes=minutes))
    assert len([t for t in lyon.texts(EN) if t.startswith("⏰")]) == 1
