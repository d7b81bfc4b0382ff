"""Who is talking is read once and reused while nothing is committed to the database (SQLite),
and read again as soon as anything is, whoever commits it: never stale."""

from __future__ import annotations

from typing import Any

import pytest
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from sqlalchemy import delete, event, select, update

from bot.app import SEEN_FLUSH, build_application, shutdown, startup
from bot.clock import FrozenClock
from bot.config import load_settings
from bot.offline import OfflineBotAPI
from bot.services.people import flush_seen, identify
from models import Base, Delegate, Mission, Registration, Role, RoleGrant
from models.db import SessionFactory, create_engine, create_session_factory, memo_of
from tests.harness import Harness, TgUser, joined
from tests.test_agenda import paris, register

EN = TgUser(905, "Alex", "en")


def count_queries(h: Harness) -> list[str]:
    seen: list[str] = []
    memo = memo_of(h.db)
    assert memo is not None

    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    for engine in memo.engines:  # reads and writes run on engines of their own (SQLite)
        event.listen(engine.sync_engine, "before_cursor_execute", _count)
    return seen


async def test_a_delegate_reading_the_agenda_twice_costs_no_query_the_second_time(
    lyon: Harness,
) -> None:
    await register(lyon, EN)
    lyon.clock.set(paris(11, 8))
    await lyon.send(EN, "/agenda")  # writes last_seen_at (the clock moved): a commit
    first = joined(await lyon.send(EN, "/agenda"))  # reads the person again, keeps it
    queries = count_queries(lyon)
    again = joined(await lyon.send(EN, "/agenda"))
    assert again == first
    memo = memo_of(lyon.db)
    if memo is not None and memo.change_token() is not None:
        # SQLite: the person, their missions and the agenda are kept. (What is left is the
        # harness flushing the outbox after each update: a look, without the write lock.)
        read = [q for q in queries if "FROM outbox" not in q and "FROM broadcasts" not in q]
        assert set(read) <= {"BEGIN", "BEGIN IMMEDIATE"}, read
    else:
        assert queries  # PostgreSQL: read each time


async def test_a_change_committed_elsewhere_is_seen_at_once(lyon: Harness) -> None:
    """Another process (a CLI, a second bot) changes roles and language: the next update
    sees it, on either database."""
    await register(lyon, EN)
    lyon.clock.set(paris(11, 8))
    await lyon.send(EN, "/agenda")
    await identify(lyon.db, lyon.clock, EN.id, EN.language_code)
    settings = lyon.app.bot_data.settings
    assert settings is not None
    other = create_engine(settings.database_url)
    try:
        sessions = create_session_factory(other)
        async with sessions.begin() as session:
            mission_id = await session.scalar(select(Mission.id))
            assert mission_id is not None
            session.add(
                RoleGrant(
                    telegram_id=EN.id,
                    role=Role.COORDINATOR,
                    mission_id=mission_id,
                    created_at=lyon.clock.now(),
                )
            )
            await session.execute(
                update(Delegate).where(Delegate.telegram_id == EN.id).values(language="fr")
            )
    finally:
        await other.dispose()
    person = await identify(lyon.db, lyon.clock, EN.id, EN.language_code)
    assert person.locale == "fr"
    assert person.role == Role.COORDINATOR
    assert "avril" in joined(await lyon.send(EN, "/agenda"))


async def test_a_change_made_by_the_bot_itself_is_seen_at_once(lyon: Harness) -> None:
    await register(lyon, EN)
    lyon.clock.set(paris(11, 8))
    assert "April" in joined(await lyon.send(EN, "/agenda"))
    await lyon.send(EN, "/language")
    await lyon.press(EN, "lang:fr")
    assert "avril" in joined(await lyon.send(EN, "/agenda"))


def sqlite_memo(h: Harness) -> SessionFactory:
    memo = memo_of(h.db)
    if memo is None or memo.change_token() is None:
        pytest.skip("PostgreSQL: nothing is kept, every update reads")
    return memo


async def test_a_reopened_watch_never_matches_a_token_of_the_old_one(lyon: Harness) -> None:
    """data_version counts per connection: after the watch reconnects (an sqlite3.Error),
    a new connection's count could come back to a remembered value."""
    memo = sqlite_memo(lyon)
    await register(lyon, EN)
    lyon.clock.set(paris(11, 8))
    memo.watch.close()
    await identify(lyon.db, lyon.clock, EN.id, "en")  # writes last_seen_at
    person = await identify(lyon.db, lyon.clock, EN.id, "en")  # read and kept
    assert person.access
    kept = memo._memo[("person", EN.id, "en")][0]
    memo.watch.close()  # as after an error
    async with lyon.db.begin() as session:
        await session.execute(
            delete(Registration).where(Registration.delegate_id == person.delegate_id)
        )
    for _ in range(20):  # commits until the new connection's count passes the old one's
        assert memo.change_token() != kept
        async with lyon.db.begin() as session:
            mission = await session.scalar(select(Mission))
            assert mission is not None
            mission.updated_at = lyon.clock.now()
    assert (await identify(lyon.db, lyon.clock, EN.id, "en")).access == ()


async def test_the_locale_follows_each_updates_telegram_language(lyon: Harness) -> None:
    """A person read from an update without language_code (optional in the Bot API) is not
    served to the next update, which has one."""
    sqlite_memo(lyon)
    fr = TgUser(906, "Camille", "fr")
    await register(lyon, fr)
    lyon.clock.set(paris(11, 8))
    assert (await identify(lyon.db, lyon.clock, fr.id, "fr")).locale == "fr"
    async with lyon.db.begin() as session:
        mission = await session.scalar(select(Mission))
        assert mission is not None
        mission.updated_at = lyon.clock.now()  # someone else's commit
    await identify(lyon.db, lyon.clock, fr.id, None)
    assert (await identify(lyon.db, lyon.clock, fr.id, "fr")).locale == "fr"


async def test_last_seen_times_are_written_later_all_at_once(lyon: Harness) -> None:
    """A delegate's first message after a while writes nothing (on SQLite, what was kept
    stays kept); the time is written at the next flush, with everyone else's, and never
    moves back."""
    fr = TgUser(907, "Camille", "fr")
    await register(lyon, EN)
    await register(lyon, fr)
    lyon.clock.set(paris(11, 8))
    await lyon.send(EN, "/agenda")
    await lyon.send(fr, "/agenda")
    await flush_seen(lyon.db)
    lyon.clock.set(paris(11, 9))  # an hour later: both are due a new last-seen time
    queries = count_queries(lyon)
    assert joined(await lyon.send(fr, "/agenda"))
    await lyon.send(EN, "/next")
    assert not [q for q in queries if q.lstrip().upper().startswith("UPDATE DELEGATES")]
    lyon.clock.set(paris(11, 9, 2))
    await lyon.send(EN, "/agenda")  # seen two minutes later: the same write will do
    assert await flush_seen(lyon.db) == 2
    assert await flush_seen(lyon.db) == 0
    async with lyon.db() as session:
        seen = dict(
            (await session.execute(select(Delegate.telegram_id, Delegate.last_seen_at))).all()
        )
    assert seen[EN.id] == seen[fr.id] == paris(11, 9)


async def test_a_failed_flush_keeps_the_times_for_the_next(
    lyon: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await register(lyon, EN)
    lyon.clock.set(paris(11, 8))
    await lyon.send(EN, "/agenda")
    await flush_seen(lyon.db)
    lyon.clock.set(paris(11, 9))
    await lyon.send(EN, "/agenda")

    async def broken(*_args: Any) -> None:
        raise RuntimeError("database gone")

    import models.queries

    with monkeypatch.context() as patch:
        patch.setattr(models.queries, "record_seen", broken)
        with pytest.raises(RuntimeError):
            await flush_seen(lyon.db)
    assert await flush_seen(lyon.db) == 1
    async with lyon.db() as session:
        seen = await session.scalar(
            select(Delegate.last_seen_at).where(Delegate.telegram_id == EN.id)
        )
    assert seen == paris(11, 9)


async def test_the_running_bot_writes_last_seen_times_every_minute_and_at_shutdown(
    database_url: str,
) -> None:
    """As `missionbot run` wires it: a JobQueue job every SEEN_FLUSH seconds, and a last
    flush when the bot stops, so a clean restart loses no last-seen time."""

    clock = FrozenClock(paris(11, 8))
    settings = load_settings(database_url=database_url, telegram_bot_token=None, bot_admin_ids=[])
    app = build_application(settings, clock=clock, request=OfflineBotAPI(), rate_limit=False)
    await app.initialize()
    await startup(app)
    sessions = app.bot_data.sessions
    assert sessions is not None
    assert app.job_queue is not None
    try:
        await identify(sessions, clock, 931, "fr")  # new: written at once
        clock.set(paris(11, 9))
        await identify(sessions, clock, 931, "fr")  # an hour later: noted, not written
        (job,) = app.job_queue.get_jobs_by_name("last-seen")
        trigger = job.job.trigger
        assert isinstance(trigger, IntervalTrigger)
        assert trigger.interval.total_seconds() == SEEN_FLUSH
        await job.run(app)
        async with sessions() as session:
            seen = select(Delegate.last_seen_at).where(Delegate.telegram_id == 931)
            assert await session.scalar(seen) == paris(11, 9)
        clock.set(paris(11, 10))
        await identify(sessions, clock, 931, "fr")
    finally:
        await app.shutdown()
        await shutdown(app)
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine).begin() as session:
            assert await session.scalar(seen) == paris(11, 10)  # the flush at shutdown
            for table in reversed(Base.metadata.sorted_tables):  # the database is shared
                await session.execute(delete(table))
    finally:
        await engine.dispose()
