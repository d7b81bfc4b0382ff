"""The catalog workflow: extract messages from the code, update the .po files, compile.

`missionbot catalogs extract` then `update` after changing messages; translators edit
locales/fr/LC_MESSAGES/messages.po; `compile` (also run by start-up and the tests) makes .mo.
The English catalog is the source language: `update` copies each new msgid into its msgstr.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LOCALES_DIR, SUPPORTED_LOCALES, compile_catalogs

ROOT = LOCALES_DIR.parent
POT = LOCALES_DIR / f"{DOMAIN}.pot"
KEYWORDS = ["render", "render_plural:1,2", "lazy_gettext", "say:2", "N_"]


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract() -> Path:
    keywords = [arg for k in KEYWORDS for arg in ("-k", k)]
    _pybabel(
        "extract",
        "-F", str(LOCALES_DIR / "babel.cfg"),
        *keywords,
        "--no-location",
        "--sort-output",
        "--project", "missionbot",
        "-o", str(POT),
        str(ROOT / "bot"), str(ROOT / "handlers"), str(ROOT / "models"),
    )  # fmt: skip
    return POT


def update() -> None:
    for locale in SUPPORTED_LOCALES:
        po = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        if po.exists():
            _pybabel("update", "-i", str(POT), "-d", str(LOCALES_DIR), "-l", locale,
                     "--no-fuzzy-matching", "--ignore-obsolete")  # fmt: skip
        else:
            _pybabel("init", "-i", str(POT), "-d", str(LOCALES_DIR), "-l", locale)
    _fill_source_language(LOCALES_DIR / "en" / "LC_MESSAGES" / f"{DOMAIN}.po")


def _fill_source_language(po: Path) -> None:
    with po.open("rb") as fp:
        catalog = read_po(fp, locale="en")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):  # plural: (singular, plural) forms
            if not (isinstance(message.string, tuple | list) and all(message.string)):
                message.string = tuple(message.id)
        elif not message.string:
            message.string = message.id
    with po.open("wb") as fp:
        write_po(fp, catalog, width=100, omit_header=False)


def compile_all() -> list[Path]:
    return compile_catalogs(force=True)
