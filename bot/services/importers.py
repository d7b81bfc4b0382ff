"""Agenda files sent by coordinators: .ics (Google, Outlook, Apple) and .csv.

Both become a list of `ImportedSession` plus errors by line; nothing is saved here. The
preview compares them with the mission's sessions (new, changed, removed) and `apply`
writes them in one transaction.

CSV columns (header row required, `,` or `;`, UTF-8 with or without BOM):
    key, title_fr, title_en, start, end, venue, room, kind, description_fr, description_en, tags
`start`/`end` are `YYYY-MM-DD HH:MM` in the mission's time zone; `venue` is a venue key;
`kind` one of talk, b2b, visit, meal, transport, other; `tags` space-separated (empty:
everyone). Only key, title_fr or title_en, start and end are required.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar
from rapidfuzz import fuzz, process, utils

from bot.i18n import N_
from bot.services.dates import fold
from models import SessionKind

MAX_FILE_BYTES = 1_000_000
MAX_SESSIONS = 5000
CSV_COLUMNS = (
    "key", "title_fr", "title_en", "start", "end", "venue", "room", "kind",
    "description_fr", "description_en", "tags",
)  # fmt: skip


@dataclass(frozen=True)
class ImportedSession:
    key: str
    title_fr: str
    title_en: str
    starts_at: datetime
    ends_at: datetime
    venue_key: str | None = None
    room: str | None = None
    kind: SessionKind = SessionKind.OTHER
    description_fr: str = ""
    description_en: str = ""
    tags: tuple[str, ...] = ()
    line: int = 0
    # What the file actually says about this session: "title", "description", "place",
    # "kind", "tags". Fields it does not carry are left as they are on existing sessions.
    carried: frozenset[str] = frozenset({"title"})
    # An .ics has one title per event, in no stated language.
    single_language: bool = False


@dataclass
class ParsedFile:
    sessions: list[ImportedSession] = field(default_factory=list)
    # (line number, message id, params): rendered in the reader's language by the handler.
    errors: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)


class FileRefused(ValueError):
    """The whole file is unusable; `message` is an N_() message id."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _text(raw: bytes) -> str:
    if len(raw) > MAX_FILE_BYTES:
        raise FileRefused(N_("The file is too large (1 MB at most)."))
    raw = raw.replace(b"\x00", b"")  # NUL bytes: never stored
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")  # Excel on Windows saves CSV this way
        except UnicodeDecodeError:
            raise FileRefused(N_("The file is not text (UTF-8 expected).")) from None


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    return slug[:64] or "session"


# --- ICS --------------------------------------------------------------------------------


def _event_lines(text: str) -> list[int]:
    """Line number of each BEGIN:VEVENT, in order, for errors people can find."""
    return [n for n, line in enumerate(text.splitlines(), 1) if line.strip() == "BEGIN:VEVENT"]


def _ics_key(uid: str, mission_key: str) -> str:
    own = re.fullmatch(rf"(.+)\.{re.escape(mission_key)}@missionbot", uid)
    if own and re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", own[1]):
        return own[1]  # our own export coming back: same session
    return "ics-" + hashlib.sha1(uid.encode(), usedforsecurity=False).hexdigest()[:12]


def _as_utc(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:  # floating time: the mission's wall clock
            value = value.replace(tzinfo=zone)
        return value.astimezone(UTC)
    return datetime.combine(value, time(0), zone).astimezone(UTC)  # all-day


def parse_ics(raw: bytes, mission_key: str, timezone: str) -> ParsedFile:
    text = _text(raw)
    try:
        calendar = Calendar.from_ical(text)
    except ValueError as exc:
        raise FileRefused(N_("This is not a calendar file (.ics) I can read.")) from exc
    zone = ZoneInfo(timezone)
    events = list(calendar.walk("VEVENT"))
    if not events:
        raise FileRefused(N_("The calendar has no events."))
    lines = _event_lines(text)
    result = ParsedFile()
    seen: set[str] = set()
    for index, event in enumerate(events[:MAX_SESSIONS]):
        line = lines[index] if index < len(lines) else 0
        try:
            _read_event(event, line, zone, mission_key, seen, result)
        except (ValueError, TypeError, OverflowError, KeyError, AttributeError):
            # A property icalendar cannot decode (DTSTART:garbage, DURATION:xyz, year 9999).
            result.errors.append((line, N_("This event has a date or time I cannot read."), {}))
    if len(events) > MAX_SESSIONS:
        result.errors.append((0, N_("Only the first %(n)s events were read."), {"n": MAX_SESSIONS}))
    return result


def _read_event(
    event: Any, line: int, zone: ZoneInfo, mission_key: str, seen: set[str], result: ParsedFile
) -> None:
    title = str(event.get("summary") or "").strip()
    if event.get("rrule") or event.get("rdate"):
        result.errors.append(
            (
                line,
                N_("%(title)s repeats: add each occurrence as its own event."),
                {"title": title[:60]},
            )
        )
        return
    if str(event.get("status") or "").upper() == "CANCELLED":
        return
    if not title:
        result.errors.append((line, N_("An event has no title."), {}))
        return
    if event.get("dtstart") is None:
        result.errors.append((line, N_("%(title)s has no start time."), {"title": title[:60]}))
        return
    start = event.decoded("dtstart")
    if event.get("dtend") is not None:
        end = event.decoded("dtend")
    else:
        duration = event.decoded("duration") if event.get("duration") is not None else None
        end = start + (duration or timedelta(hours=1 if isinstance(start, datetime) else 24))
    starts_at, ends_at = _as_utc(start, zone), _as_utc(end, zone)
    if not _plausible(starts_at) or not _plausible(ends_at):
        result.errors.append((line, N_("This event has a date or time I cannot read."), {}))
        return
    if ends_at <= starts_at:
        result.errors.append((line, N_("%(title)s ends before it starts."), {"title": title[:60]}))
        return
    uid = str(event.get("uid") or f"{title}-{starts_at.isoformat()}")
    key = _ics_key(uid, mission_key)
    if key in seen:
        result.errors.append(
            (line, N_("%(title)s appears twice (same UID)."), {"title": title[:60]})
        )
        return
    seen.add(key)
    description = _clean(str(event.get("description") or ""))[:4000]
    location = _clean(str(event.get("location") or ""))
    carried = (
        {"title"} | ({"description"} if description else set()) | ({"place"} if location else set())
    )
    result.sessions.append(
        ImportedSession(
            key=key, title_fr=_clean(title)[:200], title_en=_clean(title)[:200],
            starts_at=starts_at, ends_at=ends_at, room=location[:120] or None,
            description_fr=description, description_en=description, line=line,
            carried=frozenset(carried), single_language=True,
        )
    )  # fmt: skip


def _clean(text: str) -> str:
    return text.replace("\x00", "").strip()


def _plausible(moment: datetime) -> bool:
    return 1970 <= moment.year <= 2100


# --- CSV --------------------------------------------------------------------------------


_DATE_TIME = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2})[:h](\d{2})(?::\d{2})?|(\d{1,2})/(\d{1,2})/(\d{4}) "
    r"(\d{1,2}):(\d{2})"
)


def _parse_local(value: str, zone: ZoneInfo) -> datetime | str:
    """The UTC instant of a local 'YYYY-MM-DD HH:MM', or why not: "invalid" (written right,
    but no such date or time: 2017-02-30), "skipped" (clocks jump over it), "format"."""
    value = value.strip().replace("T", " ")
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d %Hh%M"):
        try:
            naive = datetime.strptime(value, pattern)  # noqa: DTZ007  (zone attached below)
        except ValueError:
            continue
        local = naive.replace(tzinfo=zone)
        if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
            return "skipped"
        return local.astimezone(UTC)
    return "invalid" if _DATE_TIME.fullmatch(value) else "format"


def parse_csv(raw: bytes, timezone: str, venues: set[str] | None = None) -> ParsedFile:
    """`venues`: the mission's venue keys, to report a line naming another."""
    text = _text(raw)
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    try:
        return _read_rows(reader, timezone, venues)
    except csv.Error:
        raise FileRefused(
            N_("The CSV file is malformed (a field is too long or badly quoted).")
        ) from None


def _read_rows(reader: csv.DictReader[str], timezone: str, venues: set[str] | None) -> ParsedFile:
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("key", "start", "end") if c not in header]
    if missing or not ({"title_fr", "title_en"} & set(header)):
        raise FileRefused(
            N_(
                "The first line must name the columns: key, title_fr, title_en, start, end "
                "(and optionally venue, room, kind, description_fr, description_en, tags)."
            )
        )
    reader.fieldnames = header
    zone = ZoneInfo(timezone)
    result = ParsedFile()
    seen: set[str] = set()
    kinds = {k.value for k in SessionKind}
    for row in reader:
        line = reader.line_num
        if len(result.sessions) >= MAX_SESSIONS:
            result.errors.append(
                (line, N_("Only the first %(n)s events were read."), {"n": MAX_SESSIONS})
            )
            break
        values = {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)}
        if not any(values.values()):
            continue
        problems = _row_problems(values, seen, kinds, zone, venues)
        if problems:
            result.errors += [(line, message, params) for message, params in problems]
            continue
        key = values["key"]
        title_fr = values.get("title_fr") or values.get("title_en", "")
        title_en = values.get("title_en") or title_fr
        starts_at = _parse_local(values["start"], zone)
        ends_at = _parse_local(values["end"], zone)
        assert isinstance(starts_at, datetime)
        assert isinstance(ends_at, datetime)
        kind = values.get("kind") or "other"
        seen.add(key)
        carried = {"title"}
        if values.get("description_fr") or values.get("description_en"):
            carried.add("description")
        if values.get("venue") or values.get("room"):
            carried.add("place")
        if values.get("kind"):
            carried.add("kind")
        if "tags" in header:
            carried.add("tags")  # an empty cell in a tags column means everyone
        result.sessions.append(
            ImportedSession(
                key=key, title_fr=title_fr[:200], title_en=title_en[:200], starts_at=starts_at,
                ends_at=ends_at, venue_key=values.get("venue") or None,
                room=(values.get("room") or None), kind=SessionKind(kind),
                description_fr=values.get("description_fr", "")[:4000],
                description_en=values.get("description_en", "")[:4000],
                tags=tuple(sorted(set(values.get("tags", "").split()))), line=line,
                carried=frozenset(carried),
            )
        )  # fmt: skip
    return result


def _row_problems(
    values: dict[str, str],
    seen: set[str],
    kinds: set[str],
    zone: ZoneInfo,
    venues: set[str] | None,
) -> list[tuple[str, dict[str, Any]]]:
    """Every problem of one CSV line (message id, params), so one pass fixes them all."""
    problems: list[tuple[str, dict[str, Any]]] = []
    key = values.get("key", "")
    title = values.get("title_fr") or values.get("title_en", "")
    # Later messages name the line by its key, or its title when the key is unusable.
    name = key if re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", key) else (title[:60] or "?")
    if not key:
        problems.append((N_("The key is missing (column key)."), {}))
    elif name != key:
        problems.append(
            (N_("key %(key)s: use lower-case letters, digits, - and _."), {"key": key[:40]})
        )
    elif key in seen:
        problems.append((N_("key %(key)s appears twice."), {"key": key}))
    if not title:
        problems.append((N_("%(key)s has no title."), {"key": name}))
    moments = {}
    for column in ("start", "end"):
        found = _parse_local(values.get(column, ""), zone)
        if isinstance(found, datetime):
            moments[column] = found
        elif found == "invalid":
            problems.append(
                (
                    N_("%(key)s, %(column)s %(value)s: that date does not exist. "
                       "Please check the day and month."),
                    {"key": name, "column": column, "value": values.get(column, "")[:40]},
                )
            )  # fmt: skip
        elif found == "skipped":
            problems.append(
                (
                    N_("%(key)s, %(column)s %(value)s: the clocks skip that hour that day."),
                    {"key": name, "column": column, "value": values.get(column, "")[:40]},
                )
            )
        else:
            problems.append(
                (
                    N_("%(key)s, %(column)s: write it like 2017-04-11 14:00."),
                    {"key": name, "column": column},
                )
            )
    if len(moments) == 2 and moments["end"] <= moments["start"]:
        problems.append((N_("%(title)s ends before it starts."), {"title": title[:60] or name}))
    if (values.get("kind") or "other") not in kinds:
        problems.append(
            (
                N_("%(key)s: kind must be one of talk, b2b, visit, meal, transport, other."),
                {"key": name},
            )
        )
    venue = values.get("venue")
    if venue and venues is not None and venue not in venues:
        problems.append((N_("%(key)s: unknown venue %(venue)s."), {"key": name, "venue": venue}))
    return problems


def guess_venue(location: str | None, venues: dict[str, str]) -> str | None:
    """The venue key whose name best matches an ICS LOCATION, if clearly one."""
    if not location or not venues:
        return None
    best = process.extractOne(
        fold(location),
        {k: fold(v) for k, v in venues.items()},
        scorer=fuzz.token_set_ratio,
        processor=utils.default_process,  # punctuation and case do not count
    )
    return str(best[2]) if best and best[1] >= 85 else None
