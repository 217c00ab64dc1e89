from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from erfa import i18n
from erfa.messages import extract_messages
from models import Locale, User
from tests.factories import make_user


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


# The sign-in page: a visitor's language before there is an official to ask.
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def _login_page(client: TestClient, language: str | None = None) -> str:
    headers = {"Accept-Language": language} if language is not None else {}
    response = client.get("/login", headers=headers)
    assert response.status_code == 200
    return response.text


def _choose(client: TestClient, locale: str, next: str = "/login") -> Response:
    token = CSRF_FIELD.search(_login_page(client))
    assert token is not None
    return client.post("/language", data={"csrf_token": token[1], "locale": locale, "next": next})


@pytest.mark.parametrize(
    ("header", "lang", "heading"),
    [
        ("de-DE,de;q=0.9", "sv", "Logga in"),
        ("fr, nb;q=0.8", "sv", "Logga in"),
        ("en-US,en;q=0.9", "en", "Sign in"),
        ("sv-SE", "sv", "Logga in"),
        (None, "sv", "Logga in"),
    ],
)
def test_the_sign_in_page_speaks_the_browsers_language_else_swedish(
    client: TestClient, header: str | None, lang: str, heading: str
) -> None:
    page = _login_page(client, header)
    assert f'<html lang="{lang}">' in page
    assert f"<h1>{heading}</h1>" in page


def test_the_sign_in_page_offers_the_other_language(client: TestClient) -> None:
    swedish = _login_page(client, "sv")
    assert 'action="/language"' in swedish
    assert 'name="locale" value="en" class="link" lang="en">English</button>' in swedish
    english = _login_page(client, "en")
    assert 'name="locale" value="sv" class="link" lang="sv">Svenska</button>' in english


def test_a_visitors_choice_is_remembered_and_wins_over_the_browser(client: TestClient) -> None:
    client.follow_redirects = False
    chosen = _choose(client, "en", next="/login?next=/g/ungdom")
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/login?next=/g/ungdom"
    cookie = chosen.headers["set-cookie"]
    assert "erfa_locale=en" in cookie
    assert "HttpOnly" in cookie
    assert "Max-Age=31536000" in cookie
    assert "<h1>Sign in</h1>" in _login_page(client, "sv-SE,sv")
    assert _choose(client, "sv").status_code == 303
    assert "<h1>Logga in</h1>" in _login_page(client, "en")


def test_the_language_switch_needs_the_forms_token(client: TestClient) -> None:
    _login_page(client)
    refused = client.post("/language", data={"locale": "en", "next": "/login"})
    assert refused.status_code == 403
    assert "erfa_locale" not in refused.headers.get("set-cookie", "")


@pytest.mark.parametrize("target", ["https://example.org/", "//example.org/login", "login"])
def test_the_language_switch_goes_back_only_to_this_site(client: TestClient, target: str) -> None:
    client.follow_redirects = False
    assert _choose(client, "en", next=target).headers["location"] == "/"


def test_an_unknown_language_is_refused_and_a_forged_cookie_ignored(client: TestClient) -> None:
    assert _choose(client, "de").status_code == 422
    client.cookies.set("erfa_locale", "de")
    assert "<h1>Logga in</h1>" in _login_page(client, "de")


def test_an_officials_own_setting_wins_over_the_cookie(
    browser_as: Callable[[User], TestClient], session: Session
) -> None:
    official = browser_as(make_user(session, locale=Locale.SV))
    official.cookies.set("erfa_locale", "en")
    page = official.get("/", headers={"Accept-Language": "en"}).text
    assert '<html lang="sv">' in page
    assert 'action="/language"' not in page  # signed in, the language is in the settings
