"""Following, @mentions and notifications: who is told, what they see, and reading them."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from domain import notifications, threads
from domain.actor import Actor, load_actor
from models import Group, MemberRole, Notification, NotificationKind, User, Visibility
from tests.factories import make_group, make_membership, make_user

Browser = Callable[[User], TestClient]


@pytest.fixture
def group(session: Session) -> Group:
    return make_group(session, slug="notis", name="Notisgruppen", visibility=Visibility.CLOSED)


def member(session: Session, group: Group, name: str, email: str) -> User:
    user = make_user(session, name=name, email=email)
    make_membership(session, group=group, user=user)
    return user


@pytest.fixture
def karin(session: Session, group: Group) -> User:
    return member(session, group, "Karin Lund", "karin.lund@nora.se")


@pytest.fixture
def olle(session: Session, group: Group) -> User:
    return member(session, group, "Olle Berg", "olle.berg@ludvika.se")


def start(client: TestClient, title: str, body: str = "Vad tycker ni?") -> str:
    started = client.post("/g/notis/threads", data={"title": title, "body": body})
    assert started.status_code == 303, started.text
    return str(started.headers["location"])


def kinds_for(session: Session, user: User) -> list[NotificationKind]:
    rows = session.exec(select(Notification).where(Notification.user_id == user.id)).all()
    return [row.kind for row in rows]


def test_a_reply_tells_the_starter_who_reads_it_from_the_header(
    browser_as: Browser, session: Session, karin: User, olle: User
) -> None:
    thread_url = start(browser_as(karin), "Feriejobb")
    olle_client = browser_as(olle)
    olle_client.post(f"{thread_url}/reply", data={"body": "Vi har 40 platser."})

    karin_client = browser_as(karin)
    home = karin_client.get("/").text
    assert re.search(r'Notiser <span class="count">1<span class="visually-hidden"> olästa', home)
    page = karin_client.get("/notifications").text
    assert "Olle Berg svarade i ”Feriejobb”" in page
    link = re.search(r'href="(/notifications/\d+)"', page)
    assert link is not None
    opened = karin_client.get(link.group(1), follow_redirects=False)
    assert opened.status_code == 303
    assert re.fullmatch(rf"{thread_url}#post-\d+", opened.headers["location"])
    assert 'class="count"' not in karin_client.get("/").text
    assert kinds_for(session, olle) == []  # nobody is told about their own post


def test_mentions_reach_readers_of_the_group_only_and_not_from_quotes(
    browser_as: Browser, session: Session, group: Group, karin: User, olle: User
) -> None:
    outsider = make_user(session, name="Utomstående", email="ute@avesta.se")
    quoted = make_user(session, name="Citerad", email="citerad@nora.se")
    make_membership(session, group=group, user=quoted)
    start(
        browser_as(karin),
        "Mötesplatser",
        f"Hej @Olle.Berg, och @{outsider.handle}!\n> @{quoted.handle} skrev något\n"
        "Mig själv: @karin.lund",
    )
    assert kinds_for(session, olle) == [NotificationKind.MENTION]
    assert kinds_for(session, outsider) == []  # may not read the closed group
    assert kinds_for(session, quoted) == []
    assert kinds_for(session, karin) == []
    assert "Karin Lund nämnde dig i ”Mötesplatser”" in browser_as(olle).get("/notifications").text


def test_following_a_group_tells_of_new_discussions_until_stopped(
    browser_as: Browser, session: Session, karin: User, olle: User
) -> None:
    olle_client = browser_as(olle)
    page = olle_client.get("/g/notis").text
    assert "Följ nya diskussioner" in page
    assert olle_client.post("/g/notis/follow", data={"on": "true"}).status_code == 303
    assert 'aria-pressed="true">Sluta följa gruppen' in olle_client.get("/g/notis").text
    start(browser_as(karin), "Första")
    assert kinds_for(session, olle) == [NotificationKind.NEW_THREAD]
    assert "Karin Lund startade ”Första”" in olle_client.get("/notifications").text

    olle_client.post("/g/notis/follow", data={"on": "false"})
    start(browser_as(karin), "Andra")
    assert kinds_for(session, olle) == [NotificationKind.NEW_THREAD]


def test_following_a_discussion_and_reading_it_answers_its_notifications(
    browser_as: Browser, session: Session, group: Group, karin: User, olle: User
) -> None:
    thread_url = start(browser_as(karin), "Skolskjuts")
    olle_client = browser_as(olle)
    assert "Följ diskussionen" in olle_client.get(thread_url).text
    olle_client.post(f"{thread_url}/follow", data={"on": "true"})
    assert "Du följer diskussionen" in olle_client.get(thread_url).text
    lisa = member(session, group, "Lisa Ek", "lisa.ek@nora.se")
    browser_as(lisa).post(f"{thread_url}/reply", data={"body": "Vi kör med taxi."})
    assert kinds_for(session, olle) == [NotificationKind.REPLY]
    assert 'class="count"' in olle_client.get("/").text

    olle_client.get(thread_url)  # reading the new reply answers the notification
    assert 'class="count"' not in olle_client.get("/").text

    olle_client.post(f"{thread_url}/follow", data={"on": "false"})
    browser_as(lisa).post(f"{thread_url}/reply", data={"body": "Och buss."})
    assert kinds_for(session, olle) == [NotificationKind.REPLY]


def test_mark_all_read_and_others_notifications_are_not_found(
    browser_as: Browser, session: Session, karin: User, olle: User
) -> None:
    thread_url = start(browser_as(karin), "Ett")
    browser_as(olle).post(f"{thread_url}/reply", data={"body": "Svar"})
    notification = session.exec(select(Notification).where(Notification.user_id == karin.id)).one()
    assert browser_as(olle).get(f"/notifications/{notification.id}").status_code == 404
    karin_client = browser_as(karin)
    assert karin_client.post("/notifications/read").status_code == 303
    assert "Oläst" not in karin_client.get("/notifications").text
    assert 'class="count"' not in karin_client.get("/").text


def test_notifications_about_a_group_one_has_left_are_no_longer_shown(
    browser_as: Browser, session: Session, karin: User, olle: User
) -> None:
    thread_url = start(browser_as(karin), "Hemligt ämne")
    browser_as(olle).post(f"{thread_url}/reply", data={"body": "Svar"})
    karin_client = browser_as(karin)
    assert "Hemligt ämne" in karin_client.get("/notifications").text
    assert karin_client.post("/g/notis/leave").status_code == 303
    after = browser_as(karin).get("/notifications").text
    assert "Hemligt ämne" not in after
    assert 'class="count"' not in after  # the header counts only what the list shows


def test_outsiders_can_neither_follow_nor_search_members(
    browser_as: Browser, session: Session, karin: User
) -> None:
    outsider = browser_as(make_user(session))
    thread_url = start(browser_as(karin), "Internt")
    assert outsider.post(f"{thread_url}/follow", data={"on": "true"}).status_code == 404
    assert outsider.post("/g/notis/follow", data={"on": "true"}).status_code in {403, 404}
    assert outsider.get("/g/notis/mentions?q=kar").status_code in {403, 404}


def test_mention_suggestions_offer_readers_of_the_group(
    browser_as: Browser, session: Session, karin: User, olle: User
) -> None:
    make_user(session, name="Karl Utanför", email="karl@avesta.se")
    client = browser_as(olle)
    fragment = client.get(
        "/g/notis/mentions?q=kar&target=reply-body", headers={"HX-Request": "true"}
    ).text
    assert "<html" not in fragment
    assert 'data-mention="@karin.lund" data-target="reply-body"' in fragment
    assert "Karl Utanför" not in fragment
    by_surname = client.get("/g/notis/mentions?q=lund").text  # a page of its own without JS
    assert "<code>@karin.lund</code>" in by_surname
    assert "<html" in by_surname
    assert "Karin" not in client.get("/g/notis/mentions?q=%25").text  # LIKE wildcards are text
    assert client.get("/g/notis/mentions?q=a&target=x%22onclick").status_code == 422


def test_a_reply_tells_many_followers_in_a_constant_number_of_statements(
    browser_as: Browser,
    session: Session,
    group: Group,
    karin: User,
    count_statements: Callable[[Callable[[], object]], int],
) -> None:
    thread_url = start(browser_as(karin), "Många följare")
    thread_id = int(thread_url.rsplit("/", 1)[1])
    poster = browser_as(karin)

    def followers(n: int) -> None:
        for k in range(n):
            user = member(session, group, f"Följare {k}", f"f{k}.{n}@nora.se")
            threads.follow_thread(session, _actor(session, user), thread_id)

    followers(1)
    one = count_statements(lambda: poster.post(f"{thread_url}/reply", data={"body": "a"}))
    followers(20)
    many = count_statements(lambda: poster.post(f"{thread_url}/reply", data={"body": "b"}))
    assert one == many, (one, many)
    told = session.exec(select(Notification).where(Notification.thread_id == thread_id)).all()
    assert len(told) == 1 + 21


def _actor(session: Session, user: User) -> Actor:
    assert user.id is not None
    return load_actor(session, user.id)


def test_mentions_are_read_from_text_outside_quotes() -> None:
    body = (
        "Hej @Anna.Svensson och @anna.svensson.\n"
        "> @citat\n"
        "e-post: kontakt@nora.se, länk https://x.se/@namn"
    )
    assert notifications.mentioned_handles(body) == ["anna.svensson"]


def test_leads_are_told_too(browser_as: Browser, session: Session, group: Group) -> None:
    lead = make_user(session, name="Ledaren", email="ledare@nora.se")
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    writer = member(session, group, "Skribent", "skribent@nora.se")
    start(browser_as(writer), "Till ledaren", f"Vad säger @{lead.handle}?")
    assert kinds_for(session, lead) == [NotificationKind.MENTION]


def test_an_edit_tells_only_the_officials_it_newly_mentions(
    api_as: Browser, session: Session, group: Group, karin: User, olle: User
) -> None:
    lisa = member(session, group, "Lisa Ek", "lisa.ek@nora.se")
    client = api_as(karin)
    started = client.post(
        "/api/v1/groups/notis/threads",
        json={"title": "Utkast", "body": "Hej @olle.berg"},
    )
    post_id = started.json()["first_post"]["id"]
    edited = client.patch(
        f"/api/v1/posts/{post_id}",
        json={"body": "Hej @olle.berg och @lisa.ek"},
    )
    assert edited.status_code == 200, edited.text
    assert kinds_for(session, olle) == [NotificationKind.MENTION]  # not told twice
    assert kinds_for(session, lisa) == [NotificationKind.MENTION]
    for body in ("Hej igen", "Hej igen @lisa.ek"):  # out and back in
        assert client.patch(f"/api/v1/posts/{post_id}", json={"body": body}).status_code == 200
    assert kinds_for(session, lisa) == [NotificationKind.MENTION]


def test_suggestions_need_two_characters(
    browser_as: Browser, session: Session, karin: User, olle: User
) -> None:
    client = browser_as(olle)
    htmx = {"HX-Request": "true"}
    assert "@karin.lund" not in client.get("/g/notis/mentions?q=k", headers=htmx).text
    assert "@karin.lund" in client.get("/g/notis/mentions?q=ka", headers=htmx).text


def test_a_post_whose_only_mention_may_not_read_the_group_is_saved_quietly(
    browser_as: Browser, api_as: Browser, session: Session, karin: User
) -> None:
    outsider = make_user(session, email="utanfor@nora.se")
    thread_url = start(browser_as(karin), "Bara för gruppen", f"Hej @{outsider.handle}")
    assert kinds_for(session, outsider) == []
    thread_id = thread_url.rsplit("/", 1)[1]
    replied = api_as(karin).post(
        f"/api/v1/threads/{thread_id}/posts", json={"body": f"Igen @{outsider.handle}"}
    )
    assert replied.status_code == 201, replied.text


def test_notifications_of_a_deleted_post_go_with_it(
    browser_as: Browser, session: Session, karin: User, olle: User
) -> None:
    thread_url = start(browser_as(karin), "Borttaget")
    olle_client = browser_as(olle)
    olle_client.post(f"{thread_url}/reply", data={"body": "Ett svar jag ångrar"})
    post = session.exec(select(Notification).where(Notification.user_id == karin.id)).one()
    assert olle_client.post(f"/p/{post.post_id}/delete").status_code == 303
    karin_client = browser_as(karin)
    assert "Olle Berg svarade" not in karin_client.get("/notifications").text
    assert 'class="count"' not in karin_client.get("/").text


def test_the_notifications_page_statement_count_does_not_grow_with_its_items(
    browser_as: Browser,
    session: Session,
    karin: User,
    olle: User,
    count_statements: Callable[[Callable[[], object]], int],
) -> None:
    thread_url = start(browser_as(karin), "Räkna")
    olle_client, karin_client = browser_as(olle), browser_as(karin)

    def replies(n: int) -> None:
        for k in range(n):
            olle_client.post(f"{thread_url}/reply", data={"body": f"Svar {k}"})

    replies(1)
    one = count_statements(lambda: karin_client.get("/notifications"))
    replies(20)
    many = count_statements(lambda: karin_client.get("/notifications"))
    assert "Olle Berg svarade" in karin_client.get("/notifications").text
    assert one == many, (one, many)


def test_a_fragment_skips_the_headers_count(
    browser_as: Browser,
    karin: User,
    olle: User,
    count_statements: Callable[[Callable[[], object]], int],
) -> None:
    client = browser_as(olle)
    url = "/g/notis/mentions?q=kar"
    page = count_statements(lambda: client.get(url))
    fragment = count_statements(lambda: client.get(url, headers={"HX-Request": "true"}))
    assert fragment == page - 1  # one suggestion per keystroke, no notification count


def test_starting_or_replying_through_the_api_follows_the_discussion_too(
    browser_as: Browser, api_as: Browser, session: Session, karin: User, olle: User
) -> None:
    """Both doors make a post the one way: its author follows and hears of the replies."""
    started = api_as(karin).post(
        "/api/v1/groups/notis/threads", json={"title": "Via API", "body": "Hej"}
    )
    assert started.status_code == 201, started.text
    thread_id = started.json()["id"]
    replied = api_as(olle).post(f"/api/v1/threads/{thread_id}/posts", json={"body": "Svar"})
    assert replied.status_code == 201, replied.text
    assert kinds_for(session, karin) == [NotificationKind.REPLY]
    browser_as(karin).post(f"/t/{thread_id}/reply", data={"body": "Tack!"})
    assert kinds_for(session, olle) == [NotificationKind.REPLY]
