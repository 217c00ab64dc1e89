"""Officials are mentioned by handle: suggestions show no address, handles are changed in
the settings, and the API shows one's own."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from erfa.ratelimit import SUGGESTIONS_PER_OFFICIAL
from models import Group, Notification, NotificationKind, User, Visibility
from tests.factories import make_group, make_membership, make_user

Browser = Callable[[User], TestClient]
HTMX = {"HX-Request": "true"}


@pytest.fixture
def group(session: Session) -> Group:
    return make_group(session, slug="handtag", name="Handtagsgruppen", visibility=Visibility.CLOSED)


def member(session: Session, group: Group, name: str, email: str, **overrides: object) -> User:
    user = make_user(session, name=name, email=email, **overrides)
    make_membership(session, group=group, user=user)
    return user


@pytest.fixture
def karin(session: Session, group: Group) -> User:
    return member(session, group, "Karin Lund", "karin.lund@nora.se", title="Ungdomssamordnare")


@pytest.fixture
def olle(session: Session, group: Group) -> User:
    return member(session, group, "Olle Berg", "olle.berg@ludvika.se")


def mentions_of(session: Session, user: User) -> list[NotificationKind]:
    rows = session.exec(select(Notification).where(Notification.user_id == user.id)).all()
    return [row.kind for row in rows if row.kind is NotificationKind.MENTION]


def post_in_group(client: TestClient, body: str) -> None:
    started = client.post("/g/handtag/threads", data={"title": "Om handtag", "body": body})
    assert started.status_code == 303, started.text


def test_suggestions_show_name_title_municipality_and_handle_but_never_an_address(
    browser_as: Browser, session: Session, group: Group, karin: User, olle: User
) -> None:
    member(session, group, "Kalle Ek", "kalle.ek@hedemora.se")
    client = browser_as(olle)
    fragment = client.get("/g/handtag/mentions?q=ka&target=reply-body", headers=HTMX).text
    page = client.get("/g/handtag/mentions?q=ka").text  # without JavaScript
    for text in (fragment, page):
        assert "Karin Lund, Ungdomssamordnare, Avesta" in text
        assert "<code>@karin.lund</code>" in text
        assert "Kalle Ek" in text
        for domain in ("@nora.se", "@ludvika.se", "@hedemora.se", "@avesta.se"):
            assert domain not in text
        assert not re.search(r"[\w.+-]+@[\w-]+\.[a-z]{2,}", text), "an email address is shown"
    assert 'data-mention="@karin.lund" data-target="reply-body"' in fragment


def test_suggestions_match_the_handle_too(
    browser_as: Browser, session: Session, group: Group, olle: User
) -> None:
    member(session, group, "Eva Strand", "eva@nora.se", handle="vattenfragor")
    fragment = browser_as(olle).get("/g/handtag/mentions?q=@vatt", headers=HTMX).text
    assert 'data-mention="@vattenfragor"' in fragment


def test_officials_who_may_not_read_a_closed_group_are_never_suggested(
    browser_as: Browser, session: Session, karin: User, olle: User
) -> None:
    make_user(session, name="Karin Utanför", email="karin.u@avesta.se", handle="karin.utanfor")
    client = browser_as(olle)
    for query in ("ka", "kar", "karin", "karin.u", "utan"):
        text = client.get(f"/g/handtag/mentions?q={query}", headers=HTMX).text
        assert "Utanför" not in text, query
        assert "karin.utanfor" not in text, query
    assert "Karin Lund" in client.get("/g/handtag/mentions?q=ka", headers=HTMX).text


def test_the_suggestions_answer_429_after_their_limit(
    browser_as: Browser, karin: User, olle: User
) -> None:
    client = browser_as(olle)
    for _ in range(SUGGESTIONS_PER_OFFICIAL.count):
        assert client.get("/g/handtag/mentions?q=ka", headers=HTMX).status_code == 200
    refused = client.get("/g/handtag/mentions?q=ka", headers=HTMX)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "<html" not in refused.text
    assert "För många sökningar" in refused.text
    assert "Karin Lund" not in refused.text
    other = browser_as(karin)  # the limit is per official
    assert other.get("/g/handtag/mentions?q=ol", headers=HTMX).status_code == 200


def test_a_mention_by_handle_tells_the_official_and_a_closing_period_is_no_part_of_it(
    browser_as: Browser, session: Session, karin: User, olle: User
) -> None:
    post_in_group(browser_as(karin), "Vad tycker du, @olle.berg.")
    assert mentions_of(session, olle) == [NotificationKind.MENTION]


def test_a_mention_by_email_address_tells_nobody_any_more(
    browser_as: Browser, session: Session, karin: User, olle: User
) -> None:
    post_in_group(browser_as(karin), "Hej @olle.berg@ludvika.se, hur gör ni?")
    assert mentions_of(session, olle) == []


def test_an_email_address_in_a_post_does_not_mention_the_handle_after_its_at(
    browser_as: Browser, session: Session, group: Group, karin: User
) -> None:
    domainlike = member(session, group, "Nora Kommun", "info@nora.se", handle="nora.se")
    post_in_group(browser_as(karin), "Skriv till karin@nora.se eller ring.")
    assert mentions_of(session, domainlike) == []


def test_changing_ones_handle_in_the_settings(
    browser_as: Browser, session: Session, karin: User, olle: User
) -> None:
    client = browser_as(karin)
    page = client.get("/settings").text
    assert 'value="karin.lund"' in page
    assert "Användarnamn för omnämnanden" in page
    saved = client.post(
        "/settings/profile",
        data={"name": "Karin Lund", "title": "", "locale": "sv", "handle": "@Karin.Ungdom"},
    )
    assert saved.status_code == 303, saved.text
    session.refresh(karin)
    assert karin.handle == "karin.ungdom"
    post_in_group(browser_as(olle), "Fråga till @karin.ungdom")
    assert mentions_of(session, karin) == [NotificationKind.MENTION]


@pytest.mark.parametrize(
    "handle", ["k", "karin lund", "åsa", "-karin", "karin.", "ka..rin", "x" * 31]
)
def test_a_handle_that_breaks_the_rules_is_refused_in_place(
    browser_as: Browser, session: Session, karin: User, handle: str
) -> None:
    refused = browser_as(karin).post(
        "/settings/profile",
        data={"name": "Karin Lund", "title": "", "locale": "sv", "handle": handle},
    )
    assert refused.status_code == 422
    assert 'id="handle-error"' in refused.text
    assert "2–30 tecken" in refused.text
    session.refresh(karin)
    assert karin.handle == "karin.lund"


def test_a_handle_another_official_holds_is_refused_as_taken(
    browser_as: Browser, session: Session, karin: User, olle: User
) -> None:
    refused = browser_as(karin).post(
        "/settings/profile",
        data={"name": "Karin Lund", "title": "", "locale": "sv", "handle": "olle.berg"},
    )
    assert refused.status_code == 422
    assert 'id="handle-error"' in refused.text
    assert "En annan tjänsteperson har redan det användarnamnet" in refused.text
    assert 'value="olle.berg"' in refused.text  # what was typed stays in the field
    session.refresh(karin)
    assert karin.handle == "karin.lund"


def test_a_handle_kept_for_erased_officials_is_refused_with_its_reason(
    browser_as: Browser, session: Session, karin: User
) -> None:
    refused = browser_as(karin).post(
        "/settings/profile",
        data={"name": "Karin Lund", "title": "", "locale": "sv", "handle": "erased-5"},
    )
    assert refused.status_code == 422
    assert "reserverade för raderade tjänstepersoner" in refused.text
    session.refresh(karin)
    assert karin.handle == "karin.lund"


def test_the_api_shows_ones_own_handle(api_as: Browser, karin: User) -> None:
    me = api_as(karin).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["handle"] == "karin.lund"


def test_a_mention_in_a_post_links_to_the_official_on_their_municipalitys_page(
    browser_as: Browser, session: Session, karin: User
) -> None:
    from domain.markup import render_markdown

    html = render_markdown(
        f"Hej @{karin.handle}! Skriv till a@{karin.handle}.se, `@{karin.handle}`"
    )
    assert html.count(f'href="/u/{karin.handle}"') == 1  # not in the address, not in code
    client = browser_as(karin)
    found = client.get(f"/u/{karin.handle.upper()}", follow_redirects=False)
    assert found.status_code == 303
    assert found.headers["location"] == f"/k/avesta#official-{karin.handle}"
    assert f'id="official-{karin.handle}"' in client.get("/k/avesta").text
    assert client.get("/u/ingen.alls", follow_redirects=False).status_code == 404
