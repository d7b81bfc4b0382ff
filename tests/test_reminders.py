"""Reminders before sessions: derived from the database, once each, in the delegate's
language, following moves and cancellations, respecting opt-out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.app import flush_outbox
from bot.services.reminders import enqueue_due
from models import AgendaItem, Delegate, OutboxMessage, OutboxStatus
from models.queries import bump_content
from tests.harness import Harness, TgUser, joined
from tests.test_agenda import item, register

FR = TgUser(2101, "Camille", "fr")
EN = TgUser(2102, "Alex", "en")


async def tick(h: Harness) -> int:
    queued = await enqueue_due(h.db, h.clock)
    await flush_outbox(h.app)
    return queued


async def test_reminder_before_a_session_in_each_language_once(lyon: Harness) -> None:
    await register(lyon, FR)
    await register(lyon, EN)
    gala = await item(lyon, "gala-dinner")
    lyon.clock.set(gala.starts_at - timedelta(minutes=31))
    await tick(lyon)
    assert not [t for t in lyon.texts(FR) if "⏰" in t]
    lyon.clock.set(gala.starts_at - timedelta(minutes=30))
    await tick(lyon)
    fr = [t for t in lyon.texts(FR) if "⏰" in t]
    en = [t for t in lyon.texts(EN) if "⏰" in t]
    assert len(fr) == 1
    assert "Dans 30 minutes" in fr[0]
    assert "Dîner de gala" in fr[0]
    assert "(heure de Paris)" in fr[0]
    assert "In 30 minutes" in en[0]
    for _ in range(3):  # the job runs again and again: nothing is sent twice
        lyon.clock.advance(timedelta(seconds=20))
        assert await tick(lyon) == 0
    assert len([t for t in lyon.texts(FR) if "Dîner de gala" in t and "⏰" in t]) == 1


async def test_reminder_setting_and_opt_out(lyon: Harness) -> None:
    await register(lyon, FR)
    await lyon.send(FR, "/reminders")
    assert "rm:60" in lyon.buttons(FR)
    assert "rappellerai" in joined(await lyon.press(FR, "rm:60"))
    gala = await item(lyon, "gala-dinner")
    lyon.clock.set(gala.starts_at - timedelta(minutes=60))
    await tick(lyon)
    assert any("Dans 60 minutes" in t for t in lyon.texts(FR))
    await lyon.press(FR, "rm:0")
    closing = await item(lyon, "closing-plenary")
    lyon.clock.set(closing.starts_at - timedelta(minutes=30))
    await tick(lyon)
    assert not any("clôture" in t and "⏰" in t for t in lyon.texts(FR))


async def test_a_moved_session_moves_its_pending_reminder(lyon: Harness) -> None:
    await register(lyon, EN)
    gala = await item(lyon, "gala-dinner")
    lyon.clock.set(gala.starts_at - timedelta(minutes=33))
    await enqueue_due(lyon.db, lyon.clock)  # queued for 3 minutes from now
    async with lyon.db.begin() as session:
        await session.execute(
            update(AgendaItem)
            .where(AgendaItem.id == gala.id)
            .values(
                starts_at=gala.starts_at + timedelta(hours=1),
                ends_at=gala.ends_at + timedelta(hours=1),
            )
        )
        await bump_content(session, gala.mission_id)
    await enqueue_due(lyon.db, lyon.clock)
    lyon.clock.advance(timedelta(minutes=3))
    await tick(lyon)
    assert not [t for t in lyon.texts(EN) if "⏰" in t]  # the old time is cancelled
    lyon.clock.set(gala.starts_at + timedelta(minutes=30))
    await tick(lyon)
    assert len([t for t in lyon.texts(EN) if "⏰" in t]) == 1
    async with lyon.db() as session:
        statuses = list(await session.scalars(select(OutboxMessage.status)))
    assert OutboxStatus.CANCELLED in statuses


async def test_after_downtime_a_late_reminder_is_sent_only_if_still_useful(lyon: Harness) -> None:
    await register(lyon, EN)
    gala = await item(lyon, "gala-dinner")
    lyon.clock.set(gala.starts_at - timedelta(minutes=20))  # 10 minutes late: still useful
    await tick(lyon)
    assert len([t for t in lyon.texts(EN) if "⏰" in t]) == 1
    closing = await item(lyon, "closing-plenary")
    lyon.clock.set(closing.starts_at + timedelta(minutes=5))  # started: too late
    await tick(lyon)
    assert not [t for t in lyon.texts(EN) if "⏰" in t and "closing" in t.lower()]


async def test_unreachable_and_tagged_sessions(lyon: Harness) -> None:
    await register(lyon, FR)
    b2b = await item(lyon, "b2b-medtech")
    lyon.clock.set(b2b.starts_at - timedelta(minutes=30))
    await tick(lyon)
    assert not [t for t in lyon.texts(FR) if "⏰" in t]  # not in the medtech stream
    async with lyon.db.begin() as session:
        await session.execute(update(Delegate).values(unreachable=True))
    gala = await item(lyon, "gala-dinner")
    lyon.clock.set(gala.starts_at - timedelta(minutes=30))
    assert await enqueue_due(lyon.db, lyon.clock) == 0


DST_CASES = [
    # (zone, mission days, session start in UTC, expected local time shown)
    # Paris, spring forward 2017-03-26: 03:15 CEST is 01:15 UTC; 30 min before is 00:45 UTC.
    ("Europe/Paris", (25, 3, 27, 3), (2017, 3, 26, 1, 15), "03:15 (heure de Paris)"),
    # Paris, fall back 2017-10-29: 02:30 happens twice; this is the second (CET, 01:30 UTC).
    ("Europe/Paris", (28, 10, 30, 10), (2017, 10, 29, 1, 30), "02:30 (heure de Paris)"),
    # Toronto, spring forward 2017-03-12: 03:30 EDT is 07:30 UTC.
    ("America/Toronto", (11, 3, 13, 3), (2017, 3, 12, 7, 30), "03:30 (heure de Toronto)"),
]


@pytest.mark.parametrize(("zone", "days", "start", "shown"), DST_CASES)
async def test_reminders_are_instants_across_daylight_saving_changes(
    harness: Harness,
    zone: str,
    days: tuple[int, int, int, int],
    start: tuple[int, int, int, int, int],
    shown: str,
) -> None:
    from datetime import UTC, date, datetime

    from bot.services.people import identify
    from bot.services.registration import enrol
    from models import Audience, Mission, SessionKind

    starts_at = datetime(*start, tzinfo=UTC)
    async with harness.db.begin() as session:
        mission = Mission(
            key="dst", name_fr="Mission DST", name_en="DST mission", city="X", timezone=zone,
            starts_on=date(2017, days[1], days[0]), ends_on=date(2017, days[3], days[2]),
            invite_code="DST2017", registration_open=True, requires_approval=False,
            seats_taken=0, created_at=harness.clock.now(), updated_at=harness.clock.now(),
        )  # fmt: skip
        session.add(mission)
        await session.flush()
        session.add(
            AgendaItem(
                mission_id=mission.id, key="early", title_fr="Départ matinal",
                title_en="Early start", starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=1), kind=SessionKind.OTHER,
                audience=Audience.EVERYONE, audience_tags=[], cancelled=False,
                updated_at=harness.clock.now(),
            )
        )  # fmt: skip
        mission_id = mission.id
    person = await identify(harness.db, harness.clock, FR.id, "fr")
    profile: dict[str, str | None] = {
        "full_name": "Camille Tremblay", "organisation": "Org",
        "email": "c@example.com", "phone": "+15145550123",
    }  # fmt: skip
    await enrol(harness.db, harness.clock, person.delegate_id, mission_id, profile)
    harness.clock.set(starts_at - timedelta(minutes=31))
    await tick(harness)
    assert not [t for t in harness.texts(FR) if "⏰" in t]
    harness.clock.set(starts_at - timedelta(minutes=30))  # exactly 30 real minutes before
    await tick(harness)
    sent = [t for t in harness.texts(FR) if "⏰" in t]
    assert len(sent) == 1
    assert shown in sent[0]


async def test_moved_or_cancelled_sessions_notify_only_those_affected(lyon: Harness) -> None:
    from bot.services.editing import cancel_session, move_session
    from bot.services.people import identify

    tagged = TgUser(2201, "Medtech", "fr")
    other = TgUser(2202, "Other", "en")
    await register(lyon, tagged, tags=["medtech"])
    await register(lyon, other)
    admin = await identify(lyon.db, lyon.clock, 9001, "fr")
    b2b = await item(lyon, "b2b-medtech")
    await move_session(lyon.db, lyon.clock, admin, b2b.id, b2b.starts_at + timedelta(minutes=30))
    await flush_outbox(lyon.app)
    notice = [t for t in lyon.texts(tagged) if "Changement d'horaire" in t]
    assert len(notice) == 1
    assert "→" in notice[0]
    assert not [t for t in lyon.texts(other) if "Schedule change" in t]  # not their session
    gala = await item(lyon, "gala-dinner")
    await cancel_session(lyon.db, lyon.clock, admin, gala.id)
    await flush_outbox(lyon.app)
    assert [t for t in lyon.texts(other) if "Cancelled" in t and "gala" in t.lower()]
    assert [t for t in lyon.texts(tagged) if "Annulée" in t]
