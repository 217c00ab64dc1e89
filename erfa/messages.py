"""Extracting the translatable messages of templates and code (used by the i18n tests)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

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
