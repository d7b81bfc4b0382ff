"""`missionbot mission load`: validation by entry and field, atomicity, idempotence."""

from __future__ import annotations

import copy
from datetime import UTC
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import func, select

from bot.services.mission_file import MissionFileError, load_mission_file, parse_mission_file
from models import AgendaItem, Audience, FaqEntry, Mission, Venue
from tests.conftest import EXAMPLE
from tests.harness import Harness


def example() -> dict[str, Any]:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def write(tmp_path: Path, data: object, name: str = "mission.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


async def counts(h: Harness) -> tuple[int, int, int, int]:
    async with h.db() as session:
        return (
            await session.scalar(select(func.count()).select_from(Mission)) or 0,
            await session.scalar(select(func.count()).select_from(Venue)) or 0,
            await session.scalar(select(func.count()).select_from(AgendaItem)) or 0,
            await session.scalar(select(func.count()).select_from(FaqEntry)) or 0,
        )


def test_example_meets_the_brief() -> None:
    spec = parse_mission_file(EXAMPLE)
    assert spec.mission.timezone == "Europe/Paris"
    assert len(spec.sessions) >= 15
    assert len(spec.venues) >= 5
    assert len(spec.faq) >= 10
    days = {s.start.date() for s in spec.sessions}
    assert len(days) >= 3
    assert any(s.timezone == "America/Toronto" for s in spec.sessions)
    assert any(not isinstance(s.audience, str) for s in spec.sessions)
    assert all(v.latitude is not None for v in spec.venues)


async def test_loading_the_example_creates_everything_in_utc(harness: Harness) -> None:
    report = await load_mission_file(harness.db, harness.clock, EXAMPLE)
    spec = parse_mission_file(EXAMPLE)
    assert report.created["sessions"] == len(spec.sessions)
    assert await counts(harness) == (1, len(spec.venues), len(spec.sessions), len(spec.faq))
    async with harness.db() as session:
        flight = await session.scalar(
            select(AgendaItem).where(AgendaItem.local_timezone == "America/Toronto")
        )
        tagged = await session.scalar(
            select(AgendaItem).where(AgendaItem.audience == Audience.TAGGED)
        )
    assert flight is not None
    assert flight.starts_at.tzinfo == UTC
    # Written as Montreal local time in the file (EDT, UTC-4 in April).
    first_flight = next(s for s in spec.sessions if s.timezone == "America/Toronto")
    montreal = first_flight.start.replace(tzinfo=ZoneInfo("America/Toronto"))
    assert flight.starts_at == montreal
    assert flight.starts_at.hour == (montreal.hour + 4) % 24  # EDT is UTC-4 in April
    assert tagged is not None
    assert tagged.audience_tags


async def test_loading_twice_changes_nothing(harness: Harness) -> None:
    await load_mission_file(harness.db, harness.clock, EXAMPLE)
    before = await counts(harness)
    report = await load_mission_file(harness.db, harness.clock, EXAMPLE)
    assert not report.changed
    assert "nothing changed" in report.summary()
    assert await counts(harness) == before


async def test_loading_an_edited_file_updates_in_place(harness: Harness, tmp_path: Path) -> None:
    await load_mission_file(harness.db, harness.clock, EXAMPLE)
    data = example()
    data["sessions"][0]["title"]["en"] = "Renamed session"
    removed = data["faq"].pop()
    data["venues"][0]["notes"] = {"fr": "Entrée B", "en": "Door B"}
    report = await load_mission_file(harness.db, harness.clock, write(tmp_path, data))
    assert report.updated["sessions"] == 1
    assert report.updated["venues"] == 1
    assert report.removed["faq"] == 1
    assert report.created == {"mission": 0, "venues": 0, "sessions": 0, "faq": 0}
    async with harness.db() as session:
        item = await session.scalar(
            select(AgendaItem).where(AgendaItem.key == data["sessions"][0]["key"])
        )
        gone = await session.scalar(select(FaqEntry).where(FaqEntry.key == removed["key"]))
    assert item is not None
    assert item.title_en == "Renamed session"
    assert gone is None


def _broken(mutate: Any) -> dict[str, Any]:
    data = copy.deepcopy(example())
    mutate(data)
    return data


BAD_FILES: list[tuple[str, Any, str]] = [
    (
        "bad date",
        lambda d: d["sessions"][3].update(start="mardi matin"),
        "sessions[3].start: not a date-time",
    ),
    ("missing field", lambda d: d["venues"][1].pop("address"), "venues[1].address: required"),
    ("unknown field", lambda d: d["faq"][0].update(answr="x"), "faq[0].answr: unknown field"),
    (
        "unknown venue",
        lambda d: d["sessions"][2].update(venue="nowhere"),
        "sessions[2].venue: unknown venue 'nowhere'",
    ),
    (
        "duplicate key",
        lambda d: d["faq"][1].update(key=d["faq"][0]["key"]),
        "faq[1].key: duplicate key",
    ),
    (
        "end before start",
        lambda d: d["sessions"][4].update(end=d["sessions"][4]["start"]),
        "sessions[4].end: not after start",
    ),
    (
        "bad zone",
        lambda d: d["mission"].update(timezone="Europe/Lyon"),
        "mission: unknown time zone 'Europe/Lyon'",
    ),
    ("bad kind", lambda d: d["sessions"][0].update(kind="party"), "sessions[0].kind: not one of"),
    ("missing French", lambda d: d["faq"][2]["answer"].pop("fr"), "faq[2].answer.fr: required"),
    (
        "bad latitude",
        lambda d: d["venues"][0].update(latitude=123.0),
        "venues[0]: latitude must be between -90 and 90",
    ),
    ("bad audience", lambda d: d["sessions"][1].update(audience="vips"), "sessions[1].audience"),
]


@pytest.mark.parametrize(("case", "mutate", "expected"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_file_names_the_entry_and_field(
    tmp_path: Path, case: str, mutate: Any, expected: str
) -> None:
    with pytest.raises(MissionFileError) as caught:
        parse_mission_file(write(tmp_path, _broken(mutate)))
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("mission: [unclosed", "not valid YAML/JSON"),
        ("- just\n- a list\n", "must be a mapping"),
        ("", "must be a mapping"),
    ],
)
def test_unreadable_files_are_refused(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(MissionFileError) as caught:
        parse_mission_file(path)
    assert expected in str(caught.value)


def test_json_files_load_too(tmp_path: Path) -> None:
    import json

    path = tmp_path / "mission.json"
    path.write_text(json.dumps(example(), default=str), encoding="utf-8")
    assert parse_mission_file(path).mission.key == example()["mission"]["key"]


async def test_a_bad_file_saves_nothing(harness: Harness, tmp_path: Path) -> None:
    await load_mission_file(harness.db, harness.clock, EXAMPLE)
    before = await counts(harness)
    data = example()
    data["sessions"][0]["title"]["en"] = "Should not be saved"
    data["sessions"].append({**data["sessions"][1], "key": "new-one", "start": "not a date"})
    with pytest.raises(MissionFileError):
        await load_mission_file(harness.db, harness.clock, write(tmp_path, data))
    assert await counts(harness) == before
    async with harness.db() as session:
        titles = list(await session.scalars(select(AgendaItem.title_en)))
    assert "Should not be saved" not in titles


async def test_invite_code_of_another_mission_is_refused(harness: Harness, tmp_path: Path) -> None:
    await load_mission_file(harness.db, harness.clock, EXAMPLE)
    data = example()
    data["mission"]["key"] = "other-mission"
    with pytest.raises(MissionFileError) as caught:
        await load_mission_file(harness.db, harness.clock, write(tmp_path, data))
    assert "already used by mission" in str(caught.value)
    assert (await counts(harness))[0] == 1


STRICT_TIMES: list[tuple[str, Any, str]] = [
    (
        "yaml sexagesimal",
        lambda d: d["sessions"][0].update(start=540),
        "sessions[0].start: not a date-time",
    ),
    (
        "unix timestamp",
        lambda d: d["sessions"][0].update(start="1491894000"),
        "sessions[0].start: not a date-time",
    ),
    (
        "outside the mission",
        lambda d: d["sessions"][5].update(start="2020-04-11T09:00", end="2020-04-11T10:00"),
        "sessions[5].start: outside the mission's dates",
    ),
    (
        "empty tag list",
        lambda d: d["sessions"][1].update(audience={"tags": []}),
        "sessions[1].audience",
    ),
]


@pytest.mark.parametrize(
    ("case", "mutate", "expected"), STRICT_TIMES, ids=[c[0] for c in STRICT_TIMES]
)
def test_times_are_checked_strictly(tmp_path: Path, case: str, mutate: Any, expected: str) -> None:
    with pytest.raises(MissionFileError) as caught:
        parse_mission_file(write(tmp_path, _broken(mutate)))
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems


def test_local_times_skipped_or_doubled_by_dst_are_refused(tmp_path: Path) -> None:
    def spring(d: dict[str, Any]) -> None:
        d["mission"].update(starts_on="2017-03-25", ends_on="2017-03-27")
        d["sessions"] = [
            {**d["sessions"][0], "start": "2017-03-26T02:30", "end": "2017-03-26T04:00"}
        ]
        d["sessions"][0].pop("timezone", None)

    with pytest.raises(MissionFileError) as caught:
        parse_mission_file(write(tmp_path, _broken(spring)))
    assert "does not exist in Europe/Paris" in str(caught.value)
