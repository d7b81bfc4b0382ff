"""Who is talking is read once and reused while nothing is committed to the database (SQLite),
and read again as soon as anything is, whoever commits it: never stale."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select, update

from bot.services.people import identify
from models import Delegate, Mission, Role, RoleGrant
from models.db import create_engine, create_session_factory, memo_of
from tests.harness import Harness, TgUser, joined
from tests.test_agenda import paris, register

EN = TgUser(905, "Alex", "en")


def count_queries(h: Harness) -> list[str]:
    seen: list[str] = []
    assert h.app.bot_data.engine is not None

    @event.listens_for(h.app.bot_data.engine.sync_engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

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
        # harness flushing the outbox after each update.)
        read = [q for q in queries if "FROM outbox" not in q and "FROM broadcasts" not in q]
        assert read == ["BEGIN IMMEDIATE"] * len(read), read
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
