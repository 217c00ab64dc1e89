"""Atom feeds of groups and discussions, read with a personal feed key: valid RFC 4287,
only what the key's owner may read, and a 404 for everything else alike."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import feedparser
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from domain import changes, feed_keys, moderation, threads, users
from domain.actor import Actor, load_actor
from erfa import i18n
from erfa.settings import Settings
from models import Group, Locale, MemberRole, Post, Thread, User, Visibility, utcnow
from tests.factories import make_group, make_membership, make_post, make_user
from web import csrf
from web.feeds import feed_secret

Browser = Callable[[User], TestClient]
Count = Callable[[Callable[[], object]], int]

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
NOT_FOUND = "There is no such feed, or its key no longer works."
REVOKED = (
    "Your feed key is revoked: the feed links you had stop working. The group and discussion "
    "pages show new links."
)


# --- helpers ------------------------------------------------------------------------------------


def key_of(settings: Settings, session: Session, user: User) -> str:
    session.refresh(user)  # the generation may have moved in a request
    return feed_keys.key_for(user, feed_secret(settings))


def actor_of(session: Session, user: User) -> Actor:
    assert user.id is not None
    return load_actor(session, user.id)


def _one(element: ET.Element, name: str) -> ET.Element:
    found = element.findall(f"{ATOM}{name}")
    assert len(found) == 1, f"{element.tag} has {len(found)} atom:{name}"
    return found[0]


def _links(element: ET.Element, rel: str) -> list[ET.Element]:
    return [link for link in element.findall(f"{ATOM}link") if link.get("rel", "alternate") == rel]


def _absolute(iri: str | None) -> str:
    assert iri
    assert urlsplit(iri).scheme, iri
    return iri


def check_feed(response: Response) -> ET.Element:
    """The response is an Atom document that feedparser reads without complaint and that
    carries what RFC 4287 requires of a feed and its entries. Returns its root."""
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    root = ET.fromstring(response.content)  # noqa: S314 - erfa's own document, after feedparser
    assert root.tag == f"{ATOM}feed"
    _absolute(_one(root, "id").text)
    assert _one(root, "title").text
    assert RFC3339.match(_one(root, "updated").text or "")
    entries = root.findall(f"{ATOM}entry")
    assert root.findall(f"{ATOM}author") or all(e.findall(f"{ATOM}author") for e in entries)
    assert len(_links(root, "self")) == 1
    _absolute(_links(root, "self")[0].get("href"))
    for entry in entries:
        _absolute(_one(entry, "id").text)
        assert _one(entry, "title").text
        assert RFC3339.match(_one(entry, "updated").text or "")
        assert RFC3339.match(_one(entry, "published").text or "")
        for author in entry.findall(f"{ATOM}author"):
            assert _one(author, "name").text
        alternates = _links(entry, "alternate")
        assert len(alternates) == 1
        _absolute(alternates[0].get("href"))
        assert _one(entry, "content").get("type") == "html"
    ids = [_one(entry, "id").text for entry in entries]
    assert len(ids) == len(set(ids))
    return root


def entries(root: ET.Element) -> list[dict[str, str]]:
    return [
        {
            "id": _one(e, "id").text or "",
            "title": _one(e, "title").text or "",
            "author": _one(_one(e, "author"), "name").text or "",
            "link": _links(e, "alternate")[0].get("href") or "",
            "content": _one(e, "content").text or "",
            "updated": _one(e, "updated").text or "",
            "published": _one(e, "published").text or "",
        }
        for e in root.findall(f"{ATOM}entry")
    ]


def post_tag(post: Post) -> str:
    return f"tag:127.0.0.1,2026:post:{post.id}"


# --- the world ----------------------------------------------------------------------------------


@pytest.fixture
def reader(app: FastAPI) -> Iterator[TestClient]:
    """A feed reader: no cookies, no headers of its own."""
    with TestClient(app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def member(session: Session) -> User:
    return make_user(session, name="Karin Lund")


@pytest.fixture
def closed(session: Session, member: User) -> Group:
    group = make_group(session, slug="styr-atom", name="Styrgrupp", visibility=Visibility.CLOSED)
    make_membership(session, group=group, user=member, role=MemberRole.LEAD)
    return group


@pytest.fixture
def discussion(session: Session, closed: Group, member: User) -> Thread:
    thread = threads.start_thread(
        session,
        actor_of(session, member),
        slug=closed.slug,
        title="Budget 2027",
        body="Förslaget ligger **här**.",
    )
    return thread


# --- reading --------------------------------------------------------------------------------------


def test_a_member_reads_the_posts_of_a_closed_group(
    reader: TestClient, session: Session, settings: Settings, member: User, discussion: Thread
) -> None:
    other = make_user(session, name="Per Berg")
    make_membership(session, group=session.get(Group, discussion.group_id), user=other)  # type: ignore[arg-type]
    answer = threads.reply(
        session, actor_of(session, other), thread_id=discussion.id or 0, body="Vi tittar på det."
    )
    response = reader.get(f"/g/styr-atom/feed.atom?key={key_of(settings, session, member)}")
    root = check_feed(response)
    assert response.headers["Cache-Control"] == "private, max-age=60"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert "ETag" in response.headers
    assert _one(root, "title").text == "Styrgrupp"
    assert _links(root, "self")[0].get("href") == "http://127.0.0.1:8000/g/styr-atom/feed.atom"
    assert _links(root, "alternate")[0].get("href") == "http://127.0.0.1:8000/g/styr-atom"
    shown = entries(root)
    assert [e["id"] for e in shown] == [
        post_tag(answer),
        f"tag:127.0.0.1,2026:post:{answer.id - 1}",
    ]  # type: ignore[operator]
    reply, first = shown
    assert first["title"] == "Budget 2027"
    sv = i18n.translations("sv").gettext("Re: %(title)s")
    assert reply["title"] == sv % {"title": "Budget 2027"}
    assert reply["author"] == "Per Berg (Avesta)"
    assert first["author"] == "Karin Lund (Avesta)"
    assert reply["link"] == f"http://127.0.0.1:8000/p/{answer.id}"
    assert "<strong>här</strong>" in first["content"]
    assert _one(root, "updated").text == reply["updated"]


def test_a_discussions_feed_holds_its_posts_only(
    reader: TestClient, session: Session, settings: Settings, member: User, discussion: Thread
) -> None:
    elsewhere = threads.start_thread(
        session, actor_of(session, member), slug="styr-atom", title="Annat", body="Inte här."
    )
    response = reader.get(f"/t/{discussion.id}/feed.atom?key={key_of(settings, session, member)}")
    root = check_feed(response)
    assert _one(root, "title").text == "Budget 2027 · Styrgrupp"
    assert _one(root, "id").text == f"tag:127.0.0.1,2026:thread:{discussion.id}"
    self_link = f"http://127.0.0.1:8000/t/{discussion.id}/feed.atom"
    assert _links(root, "self")[0].get("href") == self_link
    assert _links(root, "alternate")[0].get("href") == f"http://127.0.0.1:8000/t/{discussion.id}"
    assert [e["title"] for e in entries(root)] == ["Budget 2027"]
    assert "Inte här" not in response.text
    assert elsewhere.id != discussion.id


def test_an_english_readers_replies_are_titled_re(
    reader: TestClient, session: Session, settings: Settings, member: User, discussion: Thread
) -> None:
    member.locale = Locale.EN
    session.flush()
    threads.reply(session, actor_of(session, member), thread_id=discussion.id or 0, body="Svar")
    root = check_feed(
        reader.get(f"/t/{discussion.id}/feed.atom?key={key_of(settings, session, member)}")
    )
    assert [e["title"] for e in entries(root)] == ["Re: Budget 2027", "Budget 2027"]


def test_any_active_official_reads_an_open_group(
    reader: TestClient, session: Session, settings: Settings, member: User
) -> None:
    group = make_group(session, slug="ungdom-atom", name="Ungdom")
    make_membership(session, group=group, user=member)
    threads.start_thread(
        session, actor_of(session, member), slug="ungdom-atom", title="Sommarjobb", body="Hej"
    )
    outsider = make_user(session)
    root = check_feed(
        reader.get(f"/g/ungdom-atom/feed.atom?key={key_of(settings, session, outsider)}")
    )
    assert [e["title"] for e in entries(root)] == ["Sommarjobb"]


def test_an_empty_group_is_a_valid_feed(
    reader: TestClient, session: Session, settings: Settings, member: User, closed: Group
) -> None:
    root = check_feed(reader.get(f"/g/styr-atom/feed.atom?key={key_of(settings, session, member)}"))
    assert entries(root) == []


# --- what is not shown, and to whom ---------------------------------------------------------------


@pytest.mark.parametrize("visibility", [Visibility.CLOSED, Visibility.SECRET])
def test_a_non_members_key_gets_the_same_404_as_a_group_that_does_not_exist(
    reader: TestClient, session: Session, settings: Settings, visibility: Visibility
) -> None:
    lead = make_user(session)
    group = make_group(session, slug="hemlig-atom", visibility=visibility)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    thread = threads.start_thread(
        session, actor_of(session, lead), slug="hemlig-atom", title="Internt", body="Hemligt"
    )
    outsider = make_user(session)
    key = key_of(settings, session, outsider)
    refused = [
        reader.get(f"/g/hemlig-atom/feed.atom?key={key}"),
        reader.get(f"/t/{thread.id}/feed.atom?key={key}"),
    ]
    unknown = [
        reader.get(f"/g/finns-inte/feed.atom?key={key}"),
        reader.get(f"/t/{(thread.id or 0) + 1000}/feed.atom?key={key}"),
    ]
    for response in [*refused, *unknown]:
        assert response.status_code == 404
        assert "Internt" not in response.text
        assert "Hemligt" not in response.text
    assert {(r.text, r.headers["content-type"]) for r in [*refused, *unknown]} == {
        (i18n.translations("sv").gettext(NOT_FOUND) + "\n", "text/plain; charset=utf-8")
    }
    # The lead's own key reads both.
    check_feed(reader.get(f"/g/hemlig-atom/feed.atom?key={key_of(settings, session, lead)}"))
    check_feed(reader.get(f"/t/{thread.id}/feed.atom?key={key_of(settings, session, lead)}"))


def test_deleted_and_hidden_posts_are_not_in_the_feeds(
    reader: TestClient, session: Session, settings: Settings, member: User, discussion: Thread
) -> None:
    author = make_user(session)
    make_membership(session, group=session.get(Group, discussion.group_id), user=author)  # type: ignore[arg-type]
    thread_id = discussion.id or 0
    gone = threads.reply(session, actor_of(session, author), thread_id=thread_id, body="Raderat")
    hidden = threads.reply(session, actor_of(session, author), thread_id=thread_id, body="Dolt")
    kept = threads.reply(session, actor_of(session, author), thread_id=thread_id, body="Kvar")
    threads.delete_post(session, actor_of(session, author), post_id=gone.id or 0)
    moderation.hide_post(session, actor_of(session, member), post_id=hidden.id or 0, reason="Fel")
    key = key_of(settings, session, member)
    for url in (f"/g/styr-atom/feed.atom?key={key}", f"/t/{thread_id}/feed.atom?key={key}"):
        response = reader.get(url)
        shown = [e["id"] for e in entries(check_feed(response))]
        assert post_tag(kept) in shown
        assert post_tag(gone) not in shown
        assert post_tag(hidden) not in shown
        assert "Raderat" not in response.text
        assert "Dolt" not in response.text


def test_an_edited_post_moves_to_the_top_with_a_new_updated(
    reader: TestClient, session: Session, settings: Settings, member: User, discussion: Thread
) -> None:
    first = session.exec(
        select(Post).where(Post.thread_id == discussion.id, Post.position == 1)
    ).one()
    first.created_at = utcnow() - timedelta(hours=2)
    session.flush()
    later = threads.reply(
        session, actor_of(session, member), thread_id=discussion.id or 0, body="Senare"
    )
    url = f"/g/styr-atom/feed.atom?key={key_of(settings, session, member)}"
    before = entries(check_feed(reader.get(url)))
    assert [e["id"] for e in before] == [post_tag(later), post_tag(first)]
    assert before[1]["updated"] == before[1]["published"]
    threads.edit_post(
        session,
        actor_of(session, member),
        post_id=first.id or 0,
        body="Förslaget ligger **där**.",
        expected_version=None,
    )
    after = entries(check_feed(reader.get(url)))
    assert [e["id"] for e in after] == [post_tag(first), post_tag(later)]
    edited = after[0]
    assert edited["updated"] > edited["published"]
    assert edited["updated"] > before[1]["updated"]
    assert "<strong>där</strong>" in edited["content"]


def test_html_in_posts_and_titles_is_never_shown_unescaped(
    reader: TestClient, session: Session, settings: Settings, member: User, closed: Group
) -> None:
    thread = threads.start_thread(
        session,
        actor_of(session, member),
        slug=closed.slug,
        title='<b>Fet</b> & "citat"',
        body='<script>alert("x")</script> <img src=x onerror=alert(1)> **ok**',
    )
    response = reader.get(f"/t/{thread.id}/feed.atom?key={key_of(settings, session, member)}")
    root = check_feed(response)
    assert "<script" not in response.text
    assert "<img" not in response.text
    assert "<b>" not in response.text
    (entry,) = entries(root)
    assert entry["title"] == '<b>Fet</b> & "citat"'  # text, escaped in the XML
    # The post's HTML was sanitised on write: the tags are text, not elements.
    assert "<script" not in entry["content"]
    assert "<img" not in entry["content"]
    assert "&lt;script&gt;" in entry["content"]
    assert "<strong>ok</strong>" in entry["content"]
    parsed = feedparser.parse(response.content)
    assert parsed.entries[0].title == '<b>Fet</b> & "citat"'


# --- keys -----------------------------------------------------------------------------------------


def test_revoking_the_key_in_settings_voids_the_old_links_and_the_pages_show_new_ones(
    reader: TestClient,
    browser_as: Browser,
    session: Session,
    settings: Settings,
    member: User,
    discussion: Thread,
) -> None:
    old = key_of(settings, session, member)
    browser = browser_as(member)
    page = browser.get("/g/styr-atom")
    assert f"/g/styr-atom/feed.atom?key={old}" in page.text
    revoked = browser.post("/settings/feed-key/revoke")
    assert revoked.status_code == 303
    assert revoked.headers["location"] == "/settings?saved=feed-key#feeds"
    notice = browser.get("/settings?saved=feed-key")
    assert notice.status_code == 200
    assert i18n.translations("sv").gettext(REVOKED) in notice.text
    assert reader.get(f"/g/styr-atom/feed.atom?key={old}").status_code == 404
    assert reader.get(f"/t/{discussion.id}/feed.atom?key={old}").status_code == 404
    new = key_of(settings, session, member)
    assert new != old
    check_feed(reader.get(f"/g/styr-atom/feed.atom?key={new}"))
    assert f"/g/styr-atom/feed.atom?key={new}" in browser.get("/g/styr-atom").text
    assert f"/t/{discussion.id}/feed.atom?key={new}" in browser.get(f"/t/{discussion.id}").text


def test_revoking_the_key_needs_the_csrf_token(
    reader: TestClient,
    browser_as: Browser,
    session: Session,
    settings: Settings,
    member: User,
    closed: Group,
) -> None:
    key = key_of(settings, session, member)
    browser = browser_as(member)
    del browser.headers[csrf.HEADER]
    assert browser.post("/settings/feed-key/revoke").status_code == 403
    assert key_of(settings, session, member) == key
    check_feed(reader.get(f"/g/styr-atom/feed.atom?key={key}"))


def test_a_suspended_officials_key_gets_404(
    reader: TestClient, session: Session, settings: Settings, member: User, closed: Group
) -> None:
    key = key_of(settings, session, member)
    check_feed(reader.get(f"/g/styr-atom/feed.atom?key={key}"))
    coordinator = make_user(session, is_coordinator=True)
    users.set_suspended(
        session, actor_of(session, coordinator), user_id=member.id or 0, suspended=True
    )
    response = reader.get(f"/g/styr-atom/feed.atom?key={key}")
    assert response.status_code == 404
    assert response.text == i18n.translations("sv").gettext(NOT_FOUND) + "\n"


def test_a_former_member_loses_the_closed_group_but_keeps_the_key(
    reader: TestClient, session: Session, settings: Settings, closed: Group
) -> None:
    official = make_user(session)
    membership = make_membership(session, group=closed, user=official)
    key = key_of(settings, session, official)
    check_feed(reader.get(f"/g/styr-atom/feed.atom?key={key}"))
    session.delete(membership)
    session.flush()
    assert reader.get(f"/g/styr-atom/feed.atom?key={key}").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "key=" + "1" * 5000,
        "key=1-" + "A" * 100,
        "key=%00",
        "key=%C3%A4-%C3%A4",
        "key=1-AAAAAAAAAAAAAAAAAAAAAA",
        "key=99999999999999999999999-x",
        "key=a&key=b",
    ],
)
def test_a_bad_key_is_a_404_never_an_error(
    reader: TestClient, session: Session, member: User, closed: Group, query: str
) -> None:
    for path in ("/g/styr-atom/feed.atom", "/t/1/feed.atom"):
        response = reader.get(f"{path}?{query}")
        assert response.status_code == 404, (path, query)
        assert response.headers["X-Robots-Tag"] == "noindex"


def test_a_feed_without_a_key_is_refused_before_anything_is_looked_up(
    reader: TestClient, count_statements: Count
) -> None:
    for url in ("/g/styr-atom/feed.atom", "/t/1/feed.atom", "/g/styr-atom/feed.atom?key="):
        response: list[Response] = []
        assert count_statements(lambda: response.append(reader.get(url))) == 0  # noqa: B023
        assert response[0].status_code == 403
        assert response[0].headers["content-type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("thread_id", ["abc", "0", "-1", "99999999999999999999999", "1.5"])
def test_a_thread_id_that_is_no_id_is_refused_without_a_server_error(
    reader: TestClient, session: Session, settings: Settings, member: User, thread_id: str
) -> None:
    response = reader.get(f"/t/{thread_id}/feed.atom?key={key_of(settings, session, member)}")
    assert response.status_code in (404, 422)


# --- caching and cost -----------------------------------------------------------------------------


def test_if_none_match_gets_304_until_the_feed_changes(
    reader: TestClient, session: Session, settings: Settings, member: User, discussion: Thread
) -> None:
    url = f"/g/styr-atom/feed.atom?key={key_of(settings, session, member)}"
    first = reader.get(url)
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    same = reader.get(url, headers={"If-None-Match": etag})
    assert same.status_code == 304
    assert same.content == b""
    assert same.headers["ETag"] == etag
    assert same.headers["Cache-Control"] == "private, max-age=60"
    assert reader.get(url, headers={"If-None-Match": f'W/{etag}, "other"'}).status_code == 304
    assert reader.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    threads.reply(session, actor_of(session, member), thread_id=discussion.id or 0, body="Nytt")
    changed = reader.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_a_renamed_discussion_changes_the_etag(
    reader: TestClient, session: Session, settings: Settings, member: User, discussion: Thread
) -> None:
    url = f"/t/{discussion.id}/feed.atom?key={key_of(settings, session, member)}"
    etag = reader.get(url).headers["ETag"]
    moderation.rename(session, actor_of(session, member), thread_id=discussion.id or 0, title="Ny")
    renamed = reader.get(url, headers={"If-None-Match": etag})
    assert renamed.status_code == 200
    assert [e["title"] for e in entries(check_feed(renamed))] == ["Ny"]


@pytest.mark.parametrize("kind", ["group", "thread"])
def test_the_statement_count_is_bounded_and_does_not_grow_with_the_entries(
    reader: TestClient,
    session: Session,
    settings: Settings,
    member: User,
    discussion: Thread,
    count_statements: Count,
    kind: str,
) -> None:
    key = key_of(settings, session, member)
    url = (
        f"/g/styr-atom/feed.atom?key={key}"
        if kind == "group"
        else (f"/t/{discussion.id}/feed.atom?key={key}")
    )
    with_one = count_statements(lambda: check_feed(reader.get(url)))
    for n in range(30):
        author = make_user(session, name=f"Skribent {n}")
        make_post(session, thread=discussion, author=author, body=f"Inlägg {n}")
    thirty: list[ET.Element] = []
    with_thirty = count_statements(lambda: thirty.append(check_feed(reader.get(url))))
    assert len(entries(thirty[0])) == 31
    assert with_one == with_thirty, (with_one, with_thirty)
    # The key's official, their memberships, the group or discussion, the entries; and
    # the SAVEPOINT and RELEASE of the request's session in the test's transaction.
    assert with_thirty <= 6, with_thirty


def test_a_feed_holds_the_latest_fifty_changes(
    reader: TestClient, session: Session, settings: Settings, member: User, discussion: Thread
) -> None:
    for n in range(55):
        post = make_post(session, thread=discussion, author=member, body=f"Inlägg {n}")
        changes.apply(session, post)  # as every write does: a new change position
        session.flush()
    root = check_feed(
        reader.get(f"/t/{discussion.id}/feed.atom?key={key_of(settings, session, member)}")
    )
    shown = entries(root)
    assert len(shown) == 50
    assert "Inlägg 54" in shown[0]["content"]


# --- the pages ------------------------------------------------------------------------------------


def test_group_and_thread_pages_link_the_readers_own_feed(
    browser_as: Browser, session: Session, settings: Settings, member: User, discussion: Thread
) -> None:
    browser = browser_as(member)
    key = key_of(settings, session, member)
    group_page = browser.get("/g/styr-atom")
    assert f'href="http://127.0.0.1:8000/g/styr-atom/feed.atom?key={key}"' in group_page.text
    thread_page = browser.get(f"/t/{discussion.id}")
    assert f'href="http://127.0.0.1:8000/t/{discussion.id}/feed.atom?key={key}"' in thread_page.text
    for page in (group_page, thread_page):  # feed readers find it from the page's head too
        head = page.text.split("</head>")[0]
        assert '<link rel="alternate" type="application/atom+xml"' in head


def test_a_closed_groups_page_shows_an_outsider_no_feed_link(
    browser_as: Browser, session: Session, settings: Settings, discussion: Thread
) -> None:
    outsider = make_user(session)
    page = browser_as(outsider).get("/g/styr-atom")
    assert page.status_code == 200
    assert "feed.atom" not in page.text
    assert key_of(settings, session, outsider) not in page.text


def test_the_feed_link_of_a_page_works_in_a_feed_reader(
    browser_as: Browser, reader: TestClient, session: Session, member: User, discussion: Thread
) -> None:
    page = browser_as(member).get(f"/t/{discussion.id}").text
    found = re.search(r'href="http://127\.0\.0\.1:8000(/t/\d+/feed\.atom\?key=[^"]+)"', page)
    assert found is not None
    root = check_feed(reader.get(found.group(1)))
    assert [e["title"] for e in entries(root)] == ["Budget 2027"]
