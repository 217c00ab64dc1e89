"""Extracting the translatable messages of templates and code (used by the i18n tests)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
METHOD_MAP = [
    ("web/templates/**.html", "jinja2.ext:babel_extract"),
    ("web/**.py", "python"),
    ("erfa/**.py", "python"),
]
OPTIONS_MAP = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}


def extract_messages() -> set[str | tuple[str, str]]:
    """Every msgid (a pair for plural forms) that the UI can ask a catalog for."""
    found: set[str | tuple[str, str]] = set()
    for subdir in ("web", "erfa"):
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            ROOT / subdir,
            method_map=[
                (pattern.split("/", 1)[1], method)
                for pattern, method in METHOD_MAP
                if pattern.startswith(subdir + "/")
            ],
            options_map={
                k.split("/", 1)[1]: v for k, v in OPTIONS_MAP.items() if k.startswith(subdir + "/")
            },
            keywords=KEYWORDS,
        ):
            found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


def update_catalogs(locale_dir: Path) -> dict[str, int]:
    """Add new messages to every catalog and drop ones no longer used; keep translations.

    New messages get an empty Swedish translation (to be written) and the English
    source text. Run `uv run python -m erfa.messages` after changing UI text.
    """
    found = extract_messages()
    counts: dict[str, int] = {}
    for po in sorted(locale_dir.glob("*/LC_MESSAGES/messages.po")):
        locale = po.parent.parent.name
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        keep = {_key(m) for m in found}
        for entry in list(catalog):
            if entry.id and _key(entry.id) not in keep:
                catalog.delete(entry.id)
        added = 0
        for msgid in found:
            if catalog.get(_key(msgid)) is None:
                untranslated = "" if isinstance(msgid, str) else ("", "")
                catalog.add(msgid, msgid if locale == "en" else untranslated)
                added += 1
        with po.open("wb") as handle:
            write_po(handle, catalog, no_location=True, sort_output=True, width=100)
        counts[locale] = added
    return counts


def _key(msgid: str | tuple[str, ...] | list[str]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


if __name__ == "__main__":
    print(update_catalogs(ROOT / "web" / "locale"))  # noqa: T201
