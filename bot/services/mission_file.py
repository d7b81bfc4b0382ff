"""`missionbot mission load FILE`: a mission with venues, sessions and FAQ from YAML or JSON.

Validated whole before anything is written (errors name the entry and field, like
`sessions[3].start: not a date-time`), saved in one transaction, and idempotent: every entry
has a stable `key`, so loading the same file twice changes nothing and an edited file updates
in place. Entries that disappear from the file are removed. The format is documented in
docs/mission-file.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from models import AgendaItem, Audience, AuditRecord, FaqEntry, Mission, SessionKind, Venue
from models import queries as q

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
InviteCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{4,32}$")]


def _refuse_numbers(value: object) -> object:
    # YAML 1.1 reads `9:00` as the number 540 and pydantic would take any number as a Unix
    # timestamp: a date-time must be written as one.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("not a date-time")
    if isinstance(value, str) and value.strip().lstrip("-").replace(".", "").isdigit():
        raise ValueError("not a date-time")
    return value


DateTime = Annotated[datetime, BeforeValidator(_refuse_numbers)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Bilingual(_Strict):
    fr: Text
    en: Text


class ShortBilingual(_Strict):
    fr: ShortText
    en: ShortText


def _check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name like Europe/Paris)"
        ) from None
    return name


def _wall_time(value: object) -> object:
    """'07:30' (quoted: YAML reads 07:30 unquoted as the number 450)."""
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        raise ValueError('not a time like "07:30" (write it in quotes)')
    hour, minute = (int(part) for part in value.strip().split(":"))
    if hour > 23 or minute > 59:
        raise ValueError('not a time like "07:30" (write it in quotes)')
    return time(hour, minute)


def _quiet_hours(value: object) -> object:
    """'22:00-07:00' -> (22:00, 07:00)."""
    if isinstance(value, tuple):
        return value
    problem = 'not a range like "22:00-07:00"'
    if not isinstance(value, str) or value.count("-") != 1:
        raise ValueError(problem)
    try:
        start, end = (_wall_time(part) for part in value.split("-"))
    except ValueError:
        raise ValueError(problem) from None
    return start, end


WallTime = Annotated[time, BeforeValidator(_wall_time)]
QuietHours = Annotated[tuple[time, time], BeforeValidator(_quiet_hours)]


class TravelSpec(_Strict):
    """The sessions that are the trip out and back, and the delegation's hotel (keys)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    outbound: Key | None = None
    return_: Key | None = Field(default=None, alias="return")
    hotel: Key | None = None


class ReminderSpec(_Strict):
    before_session: Literal[0, 15, 30, 60, 120] = 30
    daily_briefing: WallTime | None = time(7, 30)
    quiet_hours: QuietHours | None = (time(22, 0), time(7, 0))
    travel: TravelSpec = TravelSpec()


class MissionSpec(_Strict):
    key: Key
    name: ShortBilingual
    city: ShortText
    timezone: str
    starts_on: date
    ends_on: date
    invite_code: InviteCode
    registration_open: bool = True
    capacity: int | None = None
    requires_approval: bool = False
    description: Bilingual | None = None
    reminders: ReminderSpec = ReminderSpec()

    @model_validator(mode="after")
    def _check(self) -> MissionSpec:
        _check_zone(self.timezone)
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        if self.capacity is not None and self.capacity < 0:
            raise ValueError("capacity cannot be negative")
        return self


class VenueSpec(_Strict):
    key: Key
    name: ShortText
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    latitude: float | None = None
    longitude: float | None = None
    notes: Bilingual | None = None

    @model_validator(mode="after")
    def _check(self) -> VenueSpec:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        if self.latitude is not None and not -90 <= self.latitude <= 90:
            raise ValueError("latitude must be between -90 and 90")
        if self.longitude is not None and not -180 <= self.longitude <= 180:
            raise ValueError("longitude must be between -180 and 180")
        return self


class TagAudience(_Strict):
    tags: Annotated[list[Key], Field(min_length=1)]


class SessionSpec(_Strict):
    key: Key
    title: ShortBilingual
    description: Bilingual | None = None
    start: DateTime
    end: DateTime
    timezone: str | None = None
    venue: Key | None = None
    room: ShortText | None = None
    kind: SessionKind = SessionKind.OTHER
    audience: Literal["everyone"] | TagAudience = "everyone"

    @model_validator(mode="after")
    def _check(self) -> SessionSpec:
        if self.timezone is not None:
            _check_zone(self.timezone)
        return self


class FaqSpec(_Strict):
    key: Key
    question: Bilingual
    answer: Bilingual


class MissionFile(_Strict):
    mission: MissionSpec
    venues: list[VenueSpec] = []
    sessions: list[SessionSpec] = []
    faq: list[FaqSpec] = []


class MissionFileError(Exception):
    """The file cannot be loaded; `problems` lists each as `path: reason`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


_PYDANTIC_MESSAGES = {
    "missing": "required",
    "extra_forbidden": "unknown field",
    "datetime_parsing": "not a date-time",
    "datetime_from_date_parsing": "not a date-time",
    "datetime_type": "not a date-time",
    "date_parsing": "not a date",
    "date_from_datetime_parsing": "not a date",
    "date_type": "not a date",
    "bool_parsing": "not true or false",
    "bool_type": "not true or false",
    "int_parsing": "not a whole number",
    "int_type": "not a whole number",
    "float_parsing": "not a number",
    "float_type": "not a number",
    "string_type": "not a text",
    "list_type": "not a list",
    "enum": "not one of talk, b2b, visit, meal, transport, other",
}


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in {
            "function-before[_wall_time(), time]",
            "function-before[_quiet_hours(), tuple[time, time]]",
            "TagAudience",
            "literal['everyone']",
            "function-after[_check(), TagAudience]",
        }:
            continue
        else:
            out += ("." if out else "") + part
    return out


def _describe(error: Any) -> str:
    kind = error["type"]
    if kind in _PYDANTIC_MESSAGES:
        return _PYDANTIC_MESSAGES[kind]
    if kind == "string_pattern_mismatch":
        return "not a valid key (lower-case letters, digits, - and _)"
    if kind in {"literal_error", "model_type", "model_attributes_type"} and "audience" in map(
        str, error["loc"]
    ):
        return "must be `everyone` or {tags: [...]}"
    return str(error["msg"]).removeprefix("Value error, ")


def parse_mission_file(path: Path) -> MissionFile:
    """Read and validate a mission file; raises MissionFileError listing every problem."""
    try:
        raw_text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise MissionFileError([f"{path}: cannot read ({exc})"]) from None
    try:
        data = json.loads(raw_text) if path.suffix.lower() == ".json" else yaml.safe_load(raw_text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise MissionFileError([f"{path}: not valid YAML/JSON ({exc})"]) from None
    if not isinstance(data, dict):
        raise MissionFileError([f"{path}: the file must be a mapping with a `mission:` entry"])
    try:
        spec = MissionFile.model_validate(data)
    except ValidationError as exc:
        raise MissionFileError(
            sorted({f"{_path(e['loc'])}: {_describe(e)}" for e in exc.errors()})
        ) from None
    problems = _cross_check(spec)
    if problems:
        raise MissionFileError(problems)
    return spec


def _duplicates(section: str, keys: list[str]) -> list[str]:
    seen: set[str] = set()
    problems = []
    for index, key in enumerate(keys):
        if key in seen:
            problems.append(f"{section}[{index}].key: duplicate key {key!r}")
        seen.add(key)
    return problems


def _aware(moment: datetime, zone: str) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))


def _local_time_problem(moment: datetime, zone: str) -> str | None:
    """A wall time that does not exist (spring forward) or happens twice (fall back)."""
    if moment.tzinfo is not None:
        return None
    tz = ZoneInfo(zone)
    first, second = moment.replace(tzinfo=tz, fold=0), moment.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    round_trip = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if round_trip != moment:
        return f"{moment:%Y-%m-%d %H:%M} does not exist in {zone} (clocks change)"
    return f"{moment:%Y-%m-%d %H:%M} happens twice in {zone}: give the UTC offset"


def _cross_check(spec: MissionFile) -> list[str]:
    problems = _duplicates("venues", [v.key for v in spec.venues])
    problems += _duplicates("sessions", [s.key for s in spec.sessions])
    problems += _duplicates("faq", [f.key for f in spec.faq])
    venue_keys = {v.key for v in spec.venues}
    for index, item in enumerate(spec.sessions):
        if item.venue is not None and item.venue not in venue_keys:
            problems.append(f"sessions[{index}].venue: unknown venue {item.venue!r}")
        zone = item.timezone or spec.mission.timezone
        for name in ("start", "end"):
            problem = _local_time_problem(getattr(item, name), zone)
            if problem:
                problems.append(f"sessions[{index}].{name}: {problem}")
        if _aware(item.end, zone) <= _aware(item.start, zone):
            problems.append(f"sessions[{index}].end: not after start")
        mission_zone = ZoneInfo(spec.mission.timezone)
        first_day = _aware(item.start, zone).astimezone(mission_zone).date()
        last_day = _aware(item.end, zone).astimezone(mission_zone).date()
        if first_day < spec.mission.starts_on or last_day > spec.mission.ends_on + timedelta(
            days=1
        ):
            problems.append(
                f"sessions[{index}].start: outside the mission's dates "
                f"({spec.mission.starts_on} to {spec.mission.ends_on})"
            )
    travel = spec.mission.reminders.travel
    session_keys = {item.key for item in spec.sessions}
    for name, key in (("outbound", travel.outbound), ("return", travel.return_)):
        if key is not None and key not in session_keys:
            problems.append(f"mission.reminders.travel.{name}: unknown session {key!r}")
    if travel.hotel is not None and travel.hotel not in venue_keys:
        problems.append(f"mission.reminders.travel.hotel: unknown venue {travel.hotel!r}")
    return problems


def _minutes(wall: time | None) -> int | None:
    return None if wall is None else wall.hour * 60 + wall.minute


@dataclass
class LoadReport:
    mission_key: str
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return (
            any(self.created.values()) or any(self.updated.values()) or any(self.removed.values())
        )

    def summary(self) -> str:
        if not self.changed:
            return f"mission {self.mission_key}: up to date, nothing changed"
        parts = []
        for label, counts in (
            ("created", self.created),
            ("updated", self.updated),
            ("removed", self.removed),
        ):
            text = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
            if text:
                parts.append(f"{label} {text}")
        return f"mission {self.mission_key}: " + "; ".join(parts)


def _assign(row: object, values: dict[str, Any]) -> bool:
    """Set attributes that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


async def _sync(
    session: AsyncSession,
    report: LoadReport,
    section: str,
    table: type[Venue] | type[AgendaItem] | type[FaqEntry],
    mission_id: int,
    wanted: dict[str, dict[str, Any]],
    on_change: dict[str, Any],
    on_create: dict[str, Any] | None = None,
) -> None:
    """Make the mission's rows of `table` exactly `wanted` (by key), counting what changed."""
    existing: list[Any] = list(
        await session.scalars(select(table).where(table.mission_id == mission_id))
    )
    rows = {row.key: row for row in existing}
    for key, values in wanted.items():
        row = rows.pop(key, None)
        if row is None:
            session.add(
                table(mission_id=mission_id, key=key, **values, **on_change, **(on_create or {}))
            )
            report.created[section] += 1
        elif _assign(row, values):
            _assign(row, on_change)
            report.updated[section] += 1
    for row in rows.values():
        await session.delete(row)
        report.removed[section] += 1


async def load_mission_file(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, path: Path
) -> LoadReport:
    spec = parse_mission_file(path)
    async with sessions.begin() as session:
        return await _apply(session, clock, spec)


async def _apply(session: AsyncSession, clock: Clock, spec: MissionFile) -> LoadReport:
    now = clock.now()
    m = spec.mission
    report = LoadReport(m.key)
    for counts in (report.created, report.updated, report.removed):
        counts.update({"mission": 0, "venues": 0, "sessions": 0, "faq": 0})

    code = m.invite_code.upper()
    clash = await session.scalar(
        select(Mission).where(Mission.invite_code == code, Mission.key != m.key)
    )
    if clash is not None:
        raise MissionFileError(
            [f"mission.invite_code: {code} is already used by mission {clash.key!r}"]
        )

    mission_values: dict[str, Any] = {
        "name_fr": m.name.fr,
        "name_en": m.name.en,
        "description_fr": m.description.fr if m.description else "",
        "description_en": m.description.en if m.description else "",
        "city": m.city,
        "timezone": m.timezone,
        "starts_on": m.starts_on,
        "ends_on": m.ends_on,
        "invite_code": code,
        "registration_open": m.registration_open,
        "capacity": m.capacity,
        "requires_approval": m.requires_approval,
        "reminder_minutes": m.reminders.before_session,
        "briefing_minute": _minutes(m.reminders.daily_briefing),
        "quiet_start_minute": _minutes(m.reminders.quiet_hours[0])
        if m.reminders.quiet_hours
        else None,
        "quiet_end_minute": _minutes(m.reminders.quiet_hours[1])
        if m.reminders.quiet_hours
        else None,
        "travel_outbound_key": m.reminders.travel.outbound,
        "travel_return_key": m.reminders.travel.return_,
        "hotel_venue_key": m.reminders.travel.hotel,
    }
    mission = await session.scalar(select(Mission).where(Mission.key == m.key))
    if mission is None:
        mission = Mission(
            key=m.key, seats_taken=0, created_at=now, updated_at=now, **mission_values
        )
        session.add(mission)
        await session.flush()
        report.created["mission"] = 1
    else:
        if m.capacity is not None and m.capacity < mission.seats_taken:
            raise MissionFileError(
                [
                    f"mission.capacity: {m.capacity} is below the "
                    f"{mission.seats_taken} seats already taken"
                ]
            )
        if _assign(mission, mission_values):
            mission.updated_at = now
            report.updated["mission"] = 1

    venue_values = {
        v.key: {
            "name": v.name,
            "address": v.address,
            "latitude": v.latitude,
            "longitude": v.longitude,
            "notes_fr": v.notes.fr if v.notes else "",
            "notes_en": v.notes.en if v.notes else "",
        }
        for v in spec.venues
    }
    await _sync(session, report, "venues", Venue, mission.id, venue_values, {})
    await session.flush()
    venue_ids = {
        row.key: row.id
        for row in await session.scalars(select(Venue).where(Venue.mission_id == mission.id))
    }

    session_values = {}
    for s in spec.sessions:
        zone = s.timezone or m.timezone
        tags = sorted(set(s.audience.tags)) if isinstance(s.audience, TagAudience) else []
        session_values[s.key] = {
            "title_fr": s.title.fr,
            "title_en": s.title.en,
            "description_fr": s.description.fr if s.description else "",
            "description_en": s.description.en if s.description else "",
            "starts_at": _aware(s.start, zone).astimezone(UTC),
            "ends_at": _aware(s.end, zone).astimezone(UTC),
            "local_timezone": s.timezone if s.timezone and s.timezone != m.timezone else None,
            "venue_id": venue_ids.get(s.venue) if s.venue else None,
            "room": s.room,
            "kind": s.kind,
            "audience": Audience.TAGGED if tags else Audience.EVERYONE,
            "audience_tags": tags,
        }
    await _sync(
        session, report, "sessions", AgendaItem, mission.id, session_values,
        {"updated_at": now}, {"cancelled": False},
    )  # fmt: skip

    faq_values = {
        f.key: {
            "question_fr": f.question.fr,
            "question_en": f.question.en,
            "answer_fr": f.answer.fr,
            "answer_en": f.answer.en,
        }
        for f in spec.faq
    }
    await _sync(session, report, "faq", FaqEntry, mission.id, faq_values, {})

    if report.changed:
        mission.content_version += 1
        q.content_changed(session, mission.id)
        session.add(
            AuditRecord(
                at=now,
                action="mission.load",
                mission_id=mission.id,
                details={
                    "created": report.created,
                    "updated": report.updated,
                    "removed": report.removed,
                },
            )
        )
    return report
