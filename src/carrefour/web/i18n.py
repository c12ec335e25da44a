"""The console's languages: French, Dutch and English, with Belgian date and number formats.

The messages are English in the templates and code (``_("...")``); ``locale/<lang>/LC_MESSAGES/
console.po`` translates them. The ``.po`` files are read and compiled in memory when the module is
first used (Babel's reader and writer), so there is no compiled ``.mo`` to keep in step with them.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime, get_timezone
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from carrefour.domain.console import LANGUAGES

__all__ = [
    "LANGUAGES",
    "day",
    "gettext_of",
    "number",
    "pick",
    "shown",
    "translations",
    "when",
]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "console"
DEFAULT = LANGUAGES[0]
#: Babel locales: the Belgian variant of each language (dates as 01/12/2026 in fr and nl).
BABEL_LOCALES = {"fr": "fr_BE", "nl": "nl_BE", "en": "en_BE"}
TIMEZONE = "Europe/Brussels"
#: What a page shows for a value that is not there (JSON ``null``), in every language.
NOTHING = "—"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalogue of ``language`` (English: the messages as written)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == "en" or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_of(language: str) -> Callable[[str], str]:
    return translations(language).gettext


def pick(requested: str | None, accept_language: str | None = None) -> str:
    """The language to use: ``requested`` if it is one of ours, else the first of the
    browser's ``Accept-Language`` that is, else French."""
    if requested and requested.strip().lower() in LANGUAGES:
        return requested.strip().lower()
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT


def locale_of(language: str) -> Locale:
    return Locale.parse(BABEL_LOCALES.get(language, BABEL_LOCALES[DEFAULT]))


def when(value: datetime | None, language: str) -> str:
    """An instant in Brussels time, in the language's Belgian format (``01/12/2026 22:05:03``)."""
    if value is None:
        return ""
    return format_datetime(
        value, "dd/MM/yyyy HH:mm:ss", tzinfo=get_timezone(TIMEZONE), locale=locale_of(language)
    )


def day(value: date | str | None, language: str) -> str:
    """A date as ``01/12/2026`` (the Belgian short format); text passes through."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            return value
    else:
        parsed = value
    return format_date(parsed, "dd/MM/yyyy", locale=locale_of(language))


def number(value: int | float, language: str) -> str:
    """A number with the language's separators (``12.345`` in fr-BE and nl-BE)."""
    return format_decimal(value, locale=locale_of(language))


def shown(value: object, language: str) -> str:
    """A single value of a message (a payload field) as a reader reads it: ``—`` for nothing
    (JSON ``null``), the language's yes or no for a boolean, other values as they are."""
    if value is None:
        return NOTHING
    if isinstance(value, bool):
        _ = gettext_of(language)
        return _("yes") if value else _("no")
    return str(value)
