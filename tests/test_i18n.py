"""Catalogs are complete and consistent; dates read the way each language writes them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.catalogs import KEYWORDS
from bot.i18n import (
    LOCALES_DIR,
    CatalogError,
    compile_catalogs,
    format_moment,
    pick_locale,
    render,
    use_locale,
)

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
TAG = re.compile(r"</?\w+>")


def _keywords() -> dict[str, tuple[int, ...] | None]:
    keywords: dict[str, tuple[int, ...] | None] = {"_": None, "gettext": None, "ngettext": (1, 2)}
    for spec in KEYWORDS:
        name, _, args = spec.partition(":")
        keywords[name] = tuple(int(a) for a in args.split(",")) if args else None
    return keywords


def messages_in_code() -> set[str]:
    found: set[str] = set()
    for package in ("bot", "handlers", "models"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=_keywords()
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def catalog(locale: str) -> dict[str, str]:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        po = read_po(fp, locale=locale)
    entries = {}
    for m in po:
        if m.id and "fuzzy" not in m.flags:
            msgid = m.id[0] if isinstance(m.id, tuple | list) else m.id
            msgstr = m.string[0] if isinstance(m.string, tuple | list) else m.string
            entries[str(msgid)] = str(msgstr or "")
    return entries


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_every_message_in_the_code_is_translated(locale: str) -> None:
    translated = {k for k, v in catalog(locale).items() if v}
    missing = sorted(messages_in_code() - translated)
    assert not missing, (
        f"untranslated in {locale} (run `missionbot catalogs extract/update`): {missing}"
    )


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_placeholders_and_tags_match_between_languages(locale: str) -> None:
    problems = []
    for msgid, msgstr in catalog(locale).items():
        if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(msgstr)):
            problems.append(f"placeholders differ: {msgid!r}")
        if TAG.findall(msgid) != TAG.findall(msgstr):
            problems.append(f"tags differ: {msgid!r}")
    assert not problems


def test_french_is_really_french() -> None:
    fr = catalog("fr")
    same = [k for k, v in fr.items() if k == v and len(k) > 12 and "%(" not in k]
    assert not same, f"copied, not translated: {same}"


def test_missing_catalog_fails_loudly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("bot.i18n.LOCALES_DIR", tmp_path)
    with pytest.raises(CatalogError):
        compile_catalogs()


@pytest.mark.parametrize(
    ("code", "locale"),
    [
        ("fr", "fr"),
        ("fr-CA", "fr"),
        ("fr_BE", "fr"),
        ("FR", "fr"),
        ("en", "en"),
        ("de", "en"),
        (None, "en"),
        ("", "en"),
    ],
)
def test_locale_from_telegram_language_code(code: str | None, locale: str) -> None:
    assert pick_locale(code) == locale


def test_dates_in_each_language_with_the_zone_named() -> None:
    moment = datetime(2017, 4, 11, 7, 0, tzinfo=UTC)  # 09:00 in Lyon (CEST)
    assert (
        format_moment(moment, "Europe/Paris", "fr")
        == "mardi 11 avril 2017 à 09:00 (heure de Paris)"
    )
    assert (
        format_moment(moment, "Europe/Paris", "en")
        == "Tuesday, April 11, 2017 at 9:00\u202fAM (Paris time)"
    )


def test_daylight_saving_changes_are_handled() -> None:
    # Paris: 2017-03-26 02:00 -> 03:00. One hour before and after the change, in UTC.
    before = datetime(2017, 3, 26, 0, 30, tzinfo=UTC)
    after = datetime(2017, 3, 26, 1, 30, tzinfo=UTC)
    assert "01:30" in format_moment(before, "Europe/Paris", "fr")
    assert "03:30" in format_moment(after, "Europe/Paris", "fr")
    # Toronto 2017-03-12: 02:00 EST -> 03:00 EDT.
    assert "3:30" in format_moment(
        datetime(2017, 3, 12, 7, 30, tzinfo=UTC), "America/Toronto", "en"
    )


def test_render_escapes_parameters_and_uses_the_current_locale() -> None:
    with use_locale("fr"):
        text = render("You are already registered for %(mission)s.", mission="<script>&")
    assert "&lt;script&gt;&amp;" in text
    assert text.startswith("Vous")


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_every_plural_form_is_translated_with_the_same_placeholders(locale: str) -> None:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        po = read_po(fp, locale=locale)
    problems = []
    for m in po:
        if not isinstance(m.id, tuple | list):
            continue
        forms = list(m.string) if isinstance(m.string, tuple | list) else [m.string]
        wanted = sorted(PLACEHOLDER.findall(m.id[1]))
        if len(forms) != po.num_plurals or not all(forms):
            problems.append(f"missing plural form: {m.id[0]!r}")
        problems += [
            f"placeholders differ: {m.id[0]!r}"
            for form in forms
            if form and sorted(PLACEHOLDER.findall(form)) != wanted
        ]
    assert not problems
