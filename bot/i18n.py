"""Localisation: the current locale, gettext, Babel date formatting and the one render helper.

The locale of the update being handled lives in a ContextVar set once per update (see
`handlers.middleware`). Reminders and broadcasts pass the recipient's locale explicitly.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    DateTimePattern,
    format_date,
    format_datetime,
    get_timezone_location,
    parse_pattern,
)
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, Translations

import locales

LOCALES_DIR = Path(locales.__file__).resolve().parent
DOMAIN = "messages"
SUPPORTED_LOCALES = ("en", "fr")
DEFAULT_LOCALE = "en"

_current_locale: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


class CatalogError(RuntimeError):
    """A compiled catalog is missing and cannot be built: refuse to run in the wrong language."""


def pick_locale(language_code: str | None) -> str:
    """Telegram's language_code to a supported locale: fr, fr-CA, fr_BE -> fr; else English."""
    if language_code:
        primary = language_code.replace("_", "-").split("-")[0].lower()
        if primary in SUPPORTED_LOCALES:
            return primary
    return DEFAULT_LOCALE


def get_locale() -> str:
    return _current_locale.get()


def set_locale(locale: str) -> None:
    _current_locale.set(locale if locale in SUPPORTED_LOCALES else DEFAULT_LOCALE)


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    token = _current_locale.set(locale if locale in SUPPORTED_LOCALES else DEFAULT_LOCALE)
    try:
        yield
    finally:
        _current_locale.reset(token)


def compile_catalogs(force: bool = False) -> list[Path]:
    """Compile each .po to .mo when the .mo is missing or older. Returns what was written."""
    written = []
    for locale in SUPPORTED_LOCALES:
        po_path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        mo_path = po_path.with_suffix(".mo")
        if not po_path.exists():
            if mo_path.exists():
                continue
            raise CatalogError(f"no catalog for {locale!r}: {po_path} is missing")
        if force or not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=locale)
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog, use_fuzzy=False)
            written.append(mo_path)
    return written


@cache
def _translations(locale: str) -> Translations:
    mo_path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not mo_path.exists():
        try:
            compile_catalogs()
        except OSError as exc:  # read-only install without compiled catalogs
            raise CatalogError(
                f"compiled catalog {mo_path} is missing and cannot be built ({exc}); "
                "run `missionbot catalogs compile`"
            ) from exc
    if not mo_path.exists():
        raise CatalogError(f"compiled catalog {mo_path} is missing")
    with mo_path.open("rb") as fp:
        return Translations(fp, domain=DOMAIN)


def load_catalogs() -> None:
    """Load every catalog now, so a missing one fails at start rather than mid-conversation."""
    compile_catalogs()
    _translations.cache_clear()
    for locale in SUPPORTED_LOCALES:
        _translations(locale)


def gettext(message: str, locale: str | None = None) -> str:
    return _translations(locale or get_locale()).ugettext(message)


def ngettext(singular: str, plural: str, n: int, locale: str | None = None) -> str:
    return _translations(locale or get_locale()).ungettext(singular, plural, n)


_ = gettext


def lazy_gettext(message: str) -> LazyProxy:
    """For text defined at import time (button labels, command descriptions)."""
    return LazyProxy(gettext, message, enable_cache=False)


def N_(message: str) -> str:
    """Mark a string for extraction; translate it later with `gettext`."""
    return message


class Markup(str):
    """Text that is already safe HTML and must not be escaped again by `render`."""

    __slots__ = ()


def escape(text: object) -> str:
    return html.escape(str(text), quote=False)


def render(message: str, locale: str | None = None, /, **params: object) -> str:
    """Translate `message` and fill its named placeholders, escaping every value for HTML.

    This is the one way user-visible text is produced: user input passed as a parameter can
    never inject markup. Pass `Markup(...)` for fragments that are already HTML.
    """
    template = gettext(message, locale)
    if not params:
        return template
    safe = {
        key: value if isinstance(value, Markup | int | float) else escape(value)
        for key, value in params.items()
    }
    return template % safe


def render_plural(
    singular: str, plural: str, n: int, locale: str | None = None, /, **params: object
) -> str:
    template = ngettext(singular, plural, n, locale)
    safe = {
        key: value if isinstance(value, Markup | int | float) else escape(value)
        for key, value in {"n": n, **params}.items()
    }
    return template % safe


def zone_city(tz_name: str, locale: str | None = None) -> str:
    """The exemplar city of a zone in the reader's language ("Paris", "Toronto", "Montréal")."""
    return _zone_city(tz_name, locale or get_locale())


# Zones kept as links in the tz database, which CLDR names after the city they follow
# (America/Montreal -> "Toronto"): a delegation from Montréal reads its own city.
LINKED_CITIES = {"America/Montreal": {"fr": "Montréal", "en": "Montreal"}}


@cache
def _zone_city(tz_name: str, locale: str) -> str:
    if tz_name in LINKED_CITIES:
        return LINKED_CITIES[tz_name][locale]
    return str(get_timezone_location(_zone(tz_name), locale=locale, return_city=True))


def format_day(day: date, locale: str | None = None) -> str:
    """'mardi 11 avril 2017' / 'Tuesday, April 11, 2017'."""
    return _day_text(day, "full", locale or get_locale())


def format_short_day(day: date, locale: str | None = None) -> str:
    """'mar. 11' / 'Tue 11'."""
    return _day_text(day, "EEE d", locale or get_locale())


@lru_cache(maxsize=4096)
def _day_text(day: date, pattern: str, locale: str) -> str:
    # A mission has a handful of days, shown on every agenda page and button: format once.
    return str(format_date(day, format=pattern, locale=locale))


@cache
def _short_time_pattern(locale: str) -> tuple[Locale, DateTimePattern]:
    parsed = Locale.parse(locale)
    return parsed, parse_pattern(parsed.time_formats["short"])


def format_clock(moment: datetime, tz_name: str, locale: str | None = None) -> str:
    """'09:00' / '9:00 AM' in the given zone (the CLDR short pattern, parsed once)."""
    return _clock_text(moment, tz_name, locale or get_locale())


@lru_cache(maxsize=8192)
def _clock_text(moment: datetime, tz_name: str, locale: str) -> str:
    # An agenda shows the same few hundred instants again and again: format each once.
    parsed, pattern = _short_time_pattern(locale)
    return str(pattern.apply(moment.astimezone(_zone(tz_name)), parsed))


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def format_short_moment(moment: datetime, tz_name: str, locale: str | None = None) -> str:
    """'11/04/2017 09:00' / '4/11/17, 9:00 AM': a date and time in a list (the zone said
    once, elsewhere)."""
    return format_datetime(
        moment, format="short", tzinfo=ZoneInfo(tz_name), locale=locale or get_locale()
    )


def format_moment(moment: datetime, tz_name: str, locale: str | None = None) -> str:
    """A full instant with its zone named, in the reader's language.

    'mardi 11 avril 2017 à 09:00 (heure de Paris)' / 'Tuesday, April 11, 2017 at 9:00 AM
    (Paris time)'. DST is ZoneInfo's business: the wall time is always the local one.
    """
    if moment.tzinfo is None:
        raise ValueError("format_moment needs an aware datetime")
    loc = locale or get_locale()
    local = moment.astimezone(ZoneInfo(tz_name))
    return render(
        "%(date)s at %(time)s (%(city)s time)",
        loc,
        date=format_day(local.date(), loc),
        time=format_clock(local, tz_name, loc),
        city=zone_city(tz_name, loc),
    )


def language_name(locale: str) -> str:
    """A language's own name, as people look for it in a menu."""
    return {"fr": "Français", "en": "English"}[locale]


def split_text(text: str, limit: int = 4096) -> list[str]:
    """Split at line breaks (then spaces) so no message passes Telegram's 4096 characters."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts
