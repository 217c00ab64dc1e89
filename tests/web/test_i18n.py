from __future__ import annotations

import pytest

from erfa import i18n
from erfa.messages import extract_messages


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_message_of_the_ui_is_translated(locale: str) -> None:
    catalog = i18n.translations(locale)
    missing = []
    for message in extract_messages():
        if isinstance(message, tuple):
            translated = catalog.ngettext(message[0], message[1], 2)
            known = translated != message[1] or locale == "en"
        else:
            translated = catalog.gettext(message)
            known = translated != message or locale == "en" or message.startswith("Bergslags")
        if not known or not translated:
            missing.append(message)
    assert missing == []


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
