"""Understanding the day a person means: today, demain, mardi, 2017-04-11, 11/04, April 11.

Always relative to the mission: "today" is the mission's local date, and a weekday name is the
mission day that falls on it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = {
    **{name: i for i, name in enumerate(
        ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])},
    **{name: i for i, name in enumerate(
        ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"])},
    **{name: i for i, name in enumerate(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])},
    **{name: i for i, name in enumerate(["lun", "mar", "mer", "jeu", "ven", "sam", "dim"])},
    "tues": 1, "weds": 2, "thur": 3, "thurs": 3,
}  # fmt: skip
# English weekdays as texted. Those that are words too ("mon" is French for my, "sat",
# "sun") count only beside an English word for the programme.
TEXTED_WEEKDAYS = {"mon", "tue", "tues", "wed", "weds", "thu", "thur", "thurs", "fri", "sat", "sun"}
UNAMBIGUOUS_WEEKDAYS = TEXTED_WEEKDAYS - {"mon", "sat", "sun"}
TEXTED_AGENDA = {"schedule", "sched", "agenda", "program", "plans", "plan", "lineup", "events"}
MONTHS = {
    **{name: i + 1 for i, name in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"])},
    **{name: i + 1 for i, name in enumerate(
        ["janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout",
         "septembre", "octobre", "novembre", "decembre"])},
    **{name: i + 1 for i, name in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])},
    "avr": 4, "fev": 2, "juil": 7, "sept": 9, "dec.": 12,
}  # fmt: skip
RELATIVE = {
    "today": 0, "aujourd'hui": 0, "aujourdhui": 0, "auj": 0, "ajd": 0, "aujourdui": 0,
    "daujourdhui": 0, "ajourdhui": 0, "ajourd'hui": 0, "tday": 0, "2day": 0,
    "tonight": 0, "ce soir": 0, "tonite": 0, "2nite": 0, "tonigh": 0,
    "this morning": 0, "ce matin": 0, "cet apres-midi": 0, "this afternoon": 0,
    "tomorrow": 1, "demain": 1, "tmrw": 1, "tmr": 1, "tomorow": 1, "tommorow": 1, "tommorrow": 1,
    "dem": 1, "dmain": 1, "2main": 1, "2moro": 1, "2morrow": 1, "2morow": 1, "tmro": 1,
    "yesterday": -1, "hier": -1,
    "apres-demain": 2, "apres demain": 2, "day after tomorrow": 2,
}  # fmt: skip


class _Folded(dict[int, str]):
    """Each character as fold() writes it, worked out the first time it is met: its
    compatibility decomposition without the combining marks ("é" is "e", "ﬁ" is "fi")."""

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(code))
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
        self[code] = folded = "'" if folded == "’" else folded
        return folded


_FOLDED = _Folded()


def fold(text: str) -> str:
    """Lower-case without accents: how people type on a foreign keyboard."""
    lowered = text.lower()
    # Character by character, from a table: what decomposing the whole text gives, since
    # the marks that decomposition would reorder are all dropped.
    return lowered if lowered.isascii() else lowered.translate(_FOLDED)


class DateProblem(ValueError):
    """`kind` is "invalid" (no such date) or "weekday" (the mission has no such day)."""

    def __init__(self, kind: str, weekday: int | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.weekday = weekday


@dataclass(frozen=True)
class MissionCalendar:
    timezone: str
    starts_on: date
    ends_on: date

    def today(self, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.timezone)).date()

    def days(self) -> list[date]:
        count = (self.ends_on - self.starts_on).days + 1
        return [self.starts_on + timedelta(days=i) for i in range(count)]


def _weekday_day(calendar: MissionCalendar, weekday: int, today: date) -> date:
    matches = [d for d in calendar.days() if d.weekday() == weekday]
    if not matches:
        raise DateProblem("weekday", weekday)
    upcoming = [d for d in matches if d >= today]
    return upcoming[0] if upcoming else matches[0]


def _year_for(calendar: MissionCalendar, month: int, day: int) -> date:
    for year in (calendar.starts_on.year, calendar.ends_on.year):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if calendar.starts_on.year == calendar.ends_on.year or (
            calendar.starts_on <= candidate <= calendar.ends_on
        ):
            return candidate
    raise DateProblem("invalid")


def parse_day(text: str, calendar: MissionCalendar, now: datetime) -> date | None:
    """The day named in `text`, or None when it names none. Raises DateProblem when it names
    a date that does not exist (2017-02-30) or a weekday outside the mission."""
    folded = fold(text).strip()
    # "Le programme d'aujourd'hui", "l'horaire de demain": an elided article is its own word.
    folded = re.sub(r"(?<![a-z])([dlcjs]|qu)'", r"\1 ", folded)
    today = calendar.today(now)
    # Of several days named, the last is the one asked about: "je me prépare ce soir :
    # qu'est-ce qui est prévu demain?" (the longest phrase wins where two overlap).
    found: list[tuple[int, int, int]] = []
    for phrase, offset in RELATIVE.items():
        for hit in re.finditer(rf"(?<![\w'-]){re.escape(phrase)}(?![\w'-])", folded):
            found.append((hit.end(), len(phrase), offset))
    if found:
        return today + timedelta(days=max(found)[2])
    iso = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", folded)
    if iso:
        try:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        except ValueError:
            raise DateProblem("invalid") from None
    numeric = re.search(r"\b(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?\b", folded)
    if numeric:
        # Both languages of this bot write day/month (Quebec and France alike).
        day, month = int(numeric[1]), int(numeric[2])
        if numeric[3]:
            year = int(numeric[3]) + (2000 if len(numeric[3]) == 2 else 0)
            try:
                return date(year, month, day)
            except ValueError:
                raise DateProblem("invalid") from None
        return _year_for(calendar, month, day)
    words = re.findall(r"[a-z.]+|\d{1,2}(?:er|st|nd|rd|th)?", folded)
    for index, word in enumerate(words):
        month_number = MONTHS.get(word)
        if month_number is None or len(word) < 3:
            continue
        neighbours = words[max(0, index - 2) : index] + words[index + 1 : index + 3]
        for neighbour in neighbours:
            digits = re.match(r"\d{1,2}", neighbour)
            if digits:
                return _year_for(calendar, month_number, int(digits[0]))
    for index, word in enumerate(words):
        # "Programme complet mardi.": the full stop ends the sentence, not an abbreviation.
        if word not in WEEKDAYS and word.rstrip(".") in WEEKDAYS and len(word.rstrip(".")) > 3:
            word = word.rstrip(".")
        if word in WEEKDAYS and (len(word) > 3 or word == folded):
            return _weekday_day(calendar, WEEKDAYS[word], today)
        short = word.rstrip(".")
        beside = set(words[max(0, index - 1) : index] + words[index + 1 : index + 2])
        if short in TEXTED_WEEKDAYS and (short in UNAMBIGUOUS_WEEKDAYS or beside & TEXTED_AGENDA):
            # "wed program pls", "fri?", "mon schedule" (but "mon programme" is French).
            return _weekday_day(calendar, WEEKDAYS[short], today)
    ordinal = re.search(
        r"\b(?:le|the)\s+(\d{1,2})(?:er|st|nd|rd|th)?\b|\b(\d{1,2})(?:er|st|nd|rd|th)\b", folded
    )
    if ordinal:
        number = int(ordinal[1] or ordinal[2])
        matches = [d for d in calendar.days() if d.day == number]
        if matches:
            return matches[0]
    return None


_CLOCK = re.compile(r"\b(\d{1,2})\s*(?:h|:)\s*(\d{2})?\s*(am|pm)?(?![\w:])|\b(\d{1,2})\s*(am|pm)\b")


# "Somewhere at 4 on Monday": a bare hour after "at" is o'clock, 1 to 6 in the afternoon
# (a programme's hours), unless a unit follows ("at 4 km", "at 2 people").
_AT_HOUR = re.compile(
    r"\bat (\d{1,2})(?![\w:]|[.,]\d| ?(?:km|min|mins|minutes|people|persons|%|euros?))"
)


def parse_clock(text: str) -> time | None:
    """'14:30', '14h30', '9h', '2pm', '4:30pm', 'at 4' -> a wall time."""
    match = _CLOCK.search(fold(text))
    if not match:
        bare = _AT_HOUR.search(fold(text))
        if bare is None or not 1 <= int(bare[1]) <= 12:
            return None
        hour = int(bare[1])
        return time(hour + 12 if hour <= 6 else hour, 0)
    if match[4]:
        hour, minute, suffix = int(match[4]), 0, match[5]
    else:
        hour, minute, suffix = int(match[1]), int(match[2] or 0), match[3]
    if suffix:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def local_instant(day: date, wall: time, timezone: str) -> datetime | None:
    """The UTC instant of a wall time on a day, or None if clocks skip it (DST)."""
    zone = ZoneInfo(timezone)
    local = datetime.combine(day, wall, zone)
    try:
        back = local.astimezone(UTC).astimezone(zone)
    except OverflowError:  # year 1 or 9999
        return None
    if (back.date(), back.time()) != (day, wall):
        return None
    return local.astimezone(UTC)
