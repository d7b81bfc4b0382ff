"""Answer quality: run tests/qa/cases.yaml (or another case file) through the question engine
over examples/lyon-2017.yaml and print accuracy overall, by language and by answer kind.

    python -m bench.qa_accuracy [--cases FILE] [--show-failures]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.services.agenda import Viewer, viewer
from bot.services.mission_file import load_mission_file
from bot.services.people import identify
from bot.services.questions import AnswerKind, Understanding, answer_question
from bot.services.registration import enrol
from models import AgendaItem, Registration
from models.db import create_engine, create_session_factory, upgrade_schema

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "qa" / "cases.yaml"
MISSION = ROOT / "examples" / "lyon-2017.yaml"
DEFAULT_NOW = "2017-04-10T08:00"


@dataclass
class Outcome:
    case: dict[str, Any]
    got: Understanding
    ok: bool


def expected_of(case: dict[str, Any]) -> tuple[str, str | None]:
    ((kind, value),) = case["expect"].items()
    return kind, None if value is True else str(value)


def judge(case: dict[str, Any], got: Understanding) -> bool:
    kind, value = expected_of(case)
    if got.language != case["lang"]:
        return False
    if kind == "unknown":
        return got.kind == AnswerKind.UNKNOWN
    if kind == "next":
        return got.kind == AnswerKind.NEXT
    if kind == "day":
        return got.kind == AnswerKind.DAY and str(got.day) == value
    return got.kind.value == kind and got.match is not None and got.match.key == value


async def evaluate(cases_path: Path) -> list[Outcome]:
    cases = yaml.safe_load(await asyncio.to_thread(cases_path.read_text, encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp}/qa.db")
        try:
            await upgrade_schema(engine)
            sessions = create_session_factory(engine)
            clock = FrozenClock(datetime(2017, 4, 1, tzinfo=ZoneInfo("UTC")))
            await load_mission_file(sessions, clock, MISSION)
            person = await identify(sessions, clock, 1, "en")
            async with sessions() as session:
                mission_id = (await session.scalar(select(AgendaItem.mission_id))) or 0
                tags = sorted(
                    {
                        t
                        for item in await session.scalars(select(AgendaItem))
                        for t in item.audience_tags
                    }
                )
            await enrol(
                sessions,
                clock,
                person.delegate_id,
                mission_id,
                {
                    "full_name": "QA",
                    "organisation": "QA",
                    "email": "qa@example.com",
                    "phone": "+15145550123",
                },
            )
            async with sessions.begin() as session:
                reg = await session.scalar(select(Registration))
                assert reg is not None
                reg.tags = tags  # a delegate in every B2B stream sees every session
            person = await identify(sessions, clock, 1, "en")  # now registered, in every stream
            seen = await viewer(sessions, person)
            assert isinstance(seen, Viewer)
            outcomes = []
            for case in cases:
                now = datetime.fromisoformat(str(case.get("now") or DEFAULT_NOW)).replace(
                    tzinfo=ZoneInfo(seen.timezone)
                )
                got = await answer_question(
                    sessions, seen, case["q"], now, "en" if case["lang"] == "fr" else "fr"
                )
                outcomes.append(Outcome(case, got, judge(case, got)))
            return outcomes
        finally:
            await engine.dispose()


def accuracy(outcomes: list[Outcome]) -> float:
    return sum(o.ok for o in outcomes) / max(1, len(outcomes))


def report(outcomes: list[Outcome], show_failures: bool) -> None:
    print(f"cases: {len(outcomes)}  accuracy: {accuracy(outcomes):.1%}")
    for lang in ("fr", "en"):
        part = [o for o in outcomes if o.case["lang"] == lang]
        print(f"  {lang}: {accuracy(part):.1%} of {len(part)}")
    kinds = Counter(expected_of(o.case)[0] for o in outcomes)
    for kind in sorted(kinds):
        part = [o for o in outcomes if expected_of(o.case)[0] == kind]
        print(f"  {kind}: {accuracy(part):.1%} of {len(part)}")
    if show_failures:
        for o in outcomes:
            if not o.ok:
                got = o.got
                what = got.match.key if got.match else got.day
                score = f"{got.match.score:.2f}" if got.match else "-"
                print(
                    f"FAIL [{o.case['lang']}] {o.case['q']!r}: expected {o.case['expect']}, "
                    f"got {got.kind.value} {what} ({got.language}, {score})"
                )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=Path, default=CASES)
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args()
    outcomes = asyncio.run(evaluate(args.cases))
    report(outcomes, args.show_failures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
