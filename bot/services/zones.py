"""Which time zone a person means: an IANA name in any case ("america/toronto") or a city
("toronto", "Montréal", "new york"), matched on the last part of the IANA names."""

from __future__ import annotations

import unicodedata
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# Cities people type whose zone is named after another city (or an old link).
CITY_ZONES = {
    "montreal": "America/Montreal",  # a link to Toronto's rules, shown as "Montréal"
    "quebec": "America/Montreal",
    "ottawa": "America/Toronto",
    "lyon": "Europe/Paris",
    "newyork": "America/New_York",
    "boston": "America/New_York",
    "washington": "America/New_York",
    "sanfrancisco": "America/Los_Angeles",
}


def _key(text: str) -> str:
    """Lower-case, no accents, letters, digits and '/' only: 'Montréal' -> 'montreal'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum() or c == "/")


def _place(name: str) -> bool:
    """Real places (Region/City): not "Factory", "posixrules", "Etc/GMT+5" or "localtime"."""
    return "/" in name and not name.startswith(("Etc/", "posix", "right/", "SystemV/", "US/"))


@cache
def _index() -> tuple[dict[str, str], dict[str, str]]:
    by_name: dict[str, str] = {}
    by_city: dict[str, str] = {}
    # Shorter names first: "America/Indianapolis" before "America/Indiana/Indianapolis".
    for name in sorted(filter(_place, available_timezones()), key=lambda n: (len(n), n)):
        by_name.setdefault(_key(name), name)
        by_city.setdefault(_key(name.rsplit("/", 1)[-1]), name)
    return by_name, by_city


def find_zone(typed: str) -> str | None:
    """The IANA zone for what was typed, or None."""
    if not typed.strip() or len(typed) > 64:
        return None
    key = _key(typed)
    if not key:
        return None
    by_name, by_city = _index()
    found = CITY_ZONES.get(key) or by_name.get(key) or by_city.get(key)
    if found is None:
        return None
    try:
        ZoneInfo(found)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return found
