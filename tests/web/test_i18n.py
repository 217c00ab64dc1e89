from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from erfa import i18n
from erfa.messages import extract_messages


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_message_of_the_ui_is_in_the_catalog_with_a_translation(locale: str) -> None:
    with (i18n.LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    missing = []
    for message in extract_messages():
        entry = catalog.get(message if isinstance(message, str) else message[0])
        translated = entry.string if entry is not None else None
        if isinstance(translated, tuple):
            translated = all(translated) and translated
        if not translated or (entry is not None and entry.fuzzy):
            missing.append(message)
    assert missing == []


def test_swedish_is_not_english_in_disguise() -> None:
    catalog = i18n.translations("sv")
    assert catalog.gettext("Experience groups") == "Erfarenhetsgrupper"
    assert catalog.ngettext("%(num)d member", "%(num)d members", 1) == "%(num)d medlem"


def test_messages_are_found_in_templates_and_code() -> None:
    messages = extract_messages()
    assert "Experience groups" in messages
    assert ("%(num)d member", "%(num)d members") in messages


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "sv"),
        ("", "sv"),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("de-DE,en;q=0.5,sv;q=0.9", "sv"),
        ("fr, de", "sv"),
        ("en;q=0", "sv"),
        ("en;q=bogus", "sv"),
    ],
)
def test_language_follows_accept_language_with_swedish_as_default(
    header: str | None, expected: str
) -> None:
    assert i18n.negotiate(header) == expected


def test_the_users_choice_wins_over_the_browser() -> None:
    assert i18n.negotiate("en", preferred="sv") == "sv"
