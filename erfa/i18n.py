"""Translations: Swedish by default, English complete; catalogs are compiled at start-up.

The `.po` files under `web/locale/` are the only source; there are no compiled `.mo`
files in the repository.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("sv", "en")
DEFAULT_LOCALE = "sv"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "web" / "locale"

_current: ContextVar[str] = ContextVar("erfa_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> Translations:
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def negotiate(accept_language: str | None, preferred: str | None = None) -> str:
    """The user's own choice first, then the browser's languages in order of weight."""
    if preferred in LOCALES:
        return preferred
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((-quality, index, tag.strip().lower().split("-")[0]))
    for negative_quality, _, language in sorted(weighted):
        if negative_quality < 0 and language in LOCALES:
            return language
    return DEFAULT_LOCALE


def activate(locale: str) -> None:
    _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def current_locale() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)
