"""Every database test runs on SQLite and on PostgreSQL.

PostgreSQL: a fresh database per run, created on the server at TEST_POSTGRES_URL (default:
this machine's, 127.0.0.1:5432, database `test`) and dropped afterwards. Where no server
answers, those tests are skipped with the reason, except in CI (CI=true or
MISSIONBOT_REQUIRE_POSTGRES=1), where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.i18n import load_catalogs
from models.db import create_engine, upgrade_schema
from tests.harness import Harness

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("CI") == "true" or os.environ.get("MISSIONBOT_REQUIRE_POSTGRES") == "1"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "lyon-2017.yaml"


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade_schema(engine)
    finally:
        await engine.dispose()


async def _admin_sql(statement: str) -> None:
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=False)
    try:
        async with engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text(statement)), timeout=20)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def _catalogs() -> None:
    load_catalogs()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'missionbot.db'}"
    asyncio.run(_migrate(url))
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    name = f"missionbot_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(asyncio.wait_for(_admin_sql(f'CREATE DATABASE "{name}"'), timeout=10))
    except Exception as exc:  # unreachable server, refused login, timeout
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required here but {PG_URL} failed: {exc!r}")
        print(f"\nPostgreSQL not reachable at {PG_URL} ({exc!r}): PostgreSQL runs skipped")
        yield None
        return
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        asyncio.run(_admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    url = request.getfixturevalue("postgres_url")
    if url is None:
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    return str(url)


@pytest.fixture
async def harness(database_url: str) -> AsyncIterator[Harness]:
    h = Harness(database_url)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


@pytest.fixture
async def lyon(harness: Harness) -> Harness:
    """The harness with examples/lyon-2017.yaml loaded."""
    from bot.services.mission_file import load_mission_file

    await load_mission_file(harness.db, harness.clock, EXAMPLE)
    return harness
