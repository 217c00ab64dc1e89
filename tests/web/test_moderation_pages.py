"""Moderation in the browser: the leads' tools in a discussion, hiding, flagging and the
queue, with htmx in place and without JavaScript; what each role sees."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from models import (
    AuditEntry,
    Flag,
    FlagStatus,
    Group,
    Locale,
    MemberRole,
    Post,
    Thread,
    User,
    Visibility,
)
from tests.factories import make_group, make_membership, make_post, make_thread, make_user

Browser = Callable[[User], TestClient]
HTMX = {"HX-Request": "true", "Accept-Language": "en"}
EN = {"Accept-Language": "en"}


@dataclass
class World:
    group: Group
    lead: User
    member: User
    author: User
    thread: Thread
    post: Post


@pytest.fixture
def world(session: Session) -> World:
    group = make_group(session, slug="ungdom-w", name="Ungdom W")
    lead = make_user(session, name="Lena Lead", locale=Locale.EN)
    member = make_user(session, name="Maja Medlem", locale=Locale.EN)
    author = make_user(session, name="Anders Author", locale=Locale.EN)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    make_membership(session, group=group, user=member)
    make_membership(session, group=group, user=author)
    thread = make_thread(session, group=group, author=author, title="Feriepraktik")
    post = make_post(session, thread=thread, author=author, body="Vi betalar **120 kr**.")
    return World(group, lead, member, author, thread, post)


def test_only_moderators_see_the_tools_and_everyone_may_flag(
    browser_as: Browser, world: World
) -> None:
    lead_page = browser_as(world.lead).get(f"/t/{world.thread.id}", headers=EN).text
    assert "Moderate the discussion" in lead_page
    assert f'action="/p/{world.post.id}/hide"' in lead_page
    member_page = browser_as(world.member).get(f"/t/{world.thread.id}", headers=EN).text
    assert "Moderate the discussion" not in member_page
    assert f'action="/p/{world.post.id}/hide"' not in member_page
    assert f'action="/p/{world.post.id}/flag"' in member_page
    own_page = browser_as(world.author).get(f"/t/{world.thread.id}", headers=EN).text
    assert f'action="/p/{world.post.id}/flag"' not in own_page


def test_a_member_flags_in_place_and_cannot_flag_twice(
    browser_as: Browser, session: Session, world: World
) -> None:
    member = browser_as(world.member)
    empty = member.post(f"/p/{world.post.id}/flag", data={"reason": " "}, headers=HTMX)
    assert empty.status_code == 422
    assert "Say why" in empty.text
    assert '<details class="inline-action" open>' in empty.text
    flagged = member.post(f"/p/{world.post.id}/flag", data={"reason": "Fel"}, headers=HTMX)
    assert flagged.status_code == 200
    assert "the group's leads will look at the post" in flagged.text
    assert flagged.text.lstrip().startswith("<article")
    again = member.post(f"/p/{world.post.id}/flag", data={"reason": "Igen"}, headers=HTMX)
    assert "You have flagged this post already." in again.text
    session.expire_all()
    assert len(session.exec(select(Flag)).all()) == 1


def test_the_lead_hides_from_the_queue_in_place_and_the_author_sees_why(
    browser_as: Browser, session: Session, world: World
) -> None:
    browser_as(world.member).post(f"/p/{world.post.id}/flag", data={"reason": "Prisuppgift"})
    lead = browser_as(world.lead)
    queue = lead.get("/g/ungdom-w/flags", headers=EN)
    assert queue.status_code == 200
    assert "Prisuppgift" in queue.text
    assert "Maja Medlem" in queue.text
    assert "<strong>120 kr</strong>" in queue.text
    flag_id = session.exec(select(Flag.id)).one()
    resolved = lead.post(
        f"/flags/{flag_id}/resolve",
        data={"action": "hide", "reason": "Interna priser"},
        headers=HTMX,
    )
    assert resolved.status_code == 200
    assert resolved.text.lstrip().startswith('<li class="flag-item"')
    assert "the post is hidden" in resolved.text
    author_page = browser_as(world.author).get(f"/t/{world.thread.id}", headers=EN).text
    assert "Hidden by a moderator." in author_page
    assert "Interna priser" in author_page
    other = (
        browser_as(make_user(session, locale=Locale.EN))
        .get(f"/t/{world.thread.id}", headers=EN)
        .text
    )
    assert "This post has been hidden by a moderator." in other
    assert "120 kr" not in other
    assert "Interna priser" not in other
    session.expire_all()
    assert session.exec(select(Flag.status)).one() is FlagStatus.RESOLVED
    assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "flag.hide")).all()) == 1


def test_resolving_without_javascript_goes_back_to_the_queue(
    browser_as: Browser, session: Session, world: World
) -> None:
    browser_as(world.member).post(f"/p/{world.post.id}/flag", data={"reason": "Fel"})
    flag_id = session.exec(select(Flag.id)).one()
    lead = browser_as(world.lead)
    done = lead.post(f"/flags/{flag_id}/resolve", data={"action": "dismiss"})
    assert done.status_code == 303
    assert done.headers["location"] == "/g/ungdom-w/flags?notice=dismiss"
    page = lead.get(done.headers["location"], headers=EN).text
    assert "the flags are dismissed" in page
    refused = lead.post(f"/flags/{flag_id}/resolve", data={"action": "hide", "reason": "x"})
    assert refused.status_code == 422
    assert "resolved these flags a moment ago" in refused.text


def test_hiding_needs_a_reason_and_says_so_in_the_form(
    browser_as: Browser, session: Session, world: World
) -> None:
    response = browser_as(world.lead).post(
        f"/p/{world.post.id}/hide", data={"reason": ""}, headers=HTMX
    )
    assert response.status_code == 422
    assert "Say why: the author is shown the reason." in response.text
    assert 'aria-invalid="true"' in response.text
    session.expire_all()
    assert session.get(Post, world.post.id).hidden_at is None  # type: ignore[union-attr]


@pytest.mark.parametrize("who", ["member", "author"])
def test_members_get_403_for_the_queue_and_the_tools(
    browser_as: Browser, world: World, who: str
) -> None:
    client = browser_as(getattr(world, who))
    assert client.get("/g/ungdom-w/flags").status_code == 403
    assert client.post(f"/t/{world.thread.id}/pin", data={"on": "true"}).status_code == 403
    assert client.post(f"/p/{world.post.id}/hide", data={"reason": "x"}).status_code == 403


def test_lock_with_a_reason_in_place_then_the_reply_form_refuses(
    browser_as: Browser, session: Session, world: World
) -> None:
    lead = browser_as(world.lead)
    locked = lead.post(
        f"/t/{world.thread.id}/lock",
        data={"on": "true", "reason": "Besvarad i annan tråd"},
        headers={**HTMX, "HX-Target": "thread_head"},
    )
    assert locked.status_code == 200
    assert "Besvarad i annan tråd" in locked.text
    assert "The discussion is locked." in locked.text
    assert "<html" not in locked.text
    page = browser_as(world.member).get(f"/t/{world.thread.id}", headers=EN).text
    assert "This discussion is locked" in page
    assert "Besvarad i annan tråd" in page
    assert 'id="reply-body"' not in page


def test_pin_and_move_without_javascript(
    browser_as: Browser, session: Session, world: World
) -> None:
    other = make_group(session, slug="kultur-w", name="Kultur W")
    make_membership(session, group=other, user=world.lead, role=MemberRole.LEAD)
    lead = browser_as(world.lead)
    pinned = lead.post(f"/t/{world.thread.id}/pin", data={"on": "true"})
    assert pinned.status_code == 303
    page = lead.get(f"/t/{world.thread.id}", headers=EN).text
    assert "Pinned" in page
    assert '<option value="kultur-w">' in page
    moved = lead.post(f"/t/{world.thread.id}/move", data={"group": "kultur-w"})
    assert moved.status_code == 303
    page = browser_as(world.member).get(f"/t/{world.thread.id}", headers=EN).text
    assert "Moved here from Ungdom W" in page
    same = lead.post(f"/t/{world.thread.id}/move", data={"group": "kultur-w"}, headers=EN)
    assert same.status_code == 422
    assert "The discussion is in that group already." in same.text


def test_the_queue_is_three_statements_whatever_its_length(
    browser_as: Browser,
    session: Session,
    world: World,
    count_statements: Callable[[Callable[[], object]], int],
) -> None:
    lead = browser_as(world.lead)

    def flag_posts(n: int) -> None:
        for _ in range(n):
            post = make_post(session, thread=world.thread, author=world.author)
            flagger = make_user(session)
            session.add(
                Flag(post_id=post.id, user_id=flagger.id, group_id=world.group.id, reason="x")
            )  # type: ignore[arg-type]
        session.flush()

    flag_posts(2)
    few = count_statements(lambda: lead.get("/g/ungdom-w/flags"))
    flag_posts(12)
    many = count_statements(lambda: lead.get("/g/ungdom-w/flags"))
    assert many == few


def test_a_queue_position_without_a_time_zone_is_read_as_utc(
    browser_as: Browser, world: World
) -> None:
    lead = browser_as(world.lead)
    response = lead.get("/g/ungdom-w/flags?before_at=2026-01-01T00:00:00&before_id=1")
    assert response.status_code == 200
    bad = lead.get("/g/ungdom-w/flags?before_at=igår&before_id=1")
    assert bad.status_code == 422


def test_a_refused_hide_without_javascript_is_a_whole_page_with_the_form(
    browser_as: Browser, world: World
) -> None:
    response = browser_as(world.lead).post(
        f"/p/{world.post.id}/hide", data={"reason": ""}, headers=EN
    )
    assert response.status_code == 422
    assert "<html" in response.text
    assert "Back to the discussion" in response.text
    assert "Say why: the author is shown the reason." in response.text


def test_slow_mode_is_said_beside_the_reply_form_and_a_quick_second_reply_keeps_its_text(
    browser_as: Browser, session: Session, world: World
) -> None:
    world.thread.slow_mode_s = 600
    session.flush()
    member = browser_as(world.member)
    page = member.get(f"/t/{world.thread.id}", headers=EN).text
    assert 'id="slow-mode-note"' in page
    assert member.post(f"/t/{world.thread.id}/reply", data={"body": "Första"}).status_code == 303
    again = member.post(f"/t/{world.thread.id}/reply", data={"body": "Andra svaret"}, headers=EN)
    assert again.status_code == 429
    assert "Andra svaret" in again.text
    assert int(again.headers["Retry-After"]) > 500


def test_a_coordinator_outside_a_closed_group_gets_no_queue_item_in_the_browser(
    browser_as: Browser, session: Session, world: World
) -> None:
    browser_as(world.member).post(f"/p/{world.post.id}/flag", data={"reason": "Fel"})
    flag_id = session.exec(select(Flag.id)).one()
    world.group.visibility = Visibility.CLOSED
    session.flush()
    coordinator = browser_as(make_user(session, is_coordinator=True, locale=Locale.EN))
    assert coordinator.get("/g/ungdom-w/flags").status_code == 403
    refused = coordinator.post(f"/flags/{flag_id}/resolve", data={"action": "hide"})
    assert refused.status_code == 404
    assert "Vi betalar" not in refused.text
