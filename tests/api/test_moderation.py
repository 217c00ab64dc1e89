"""Moderation through the API: discussions, posts and flags, for each role that may and
each that may not; every act one audit entry with what changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from models import (
    AuditEntry,
    Flag,
    Group,
    MemberRole,
    Notification,
    NotificationKind,
    Post,
    SearchEntry,
    Thread,
    User,
    Visibility,
    utcnow,
)
from tests.factories import make_group, make_membership, make_post, make_thread, make_user

Client = Callable[[User], TestClient]


@dataclass
class World:
    group: Group
    other: Group
    lead: User
    member: User
    author: User
    other_lead: User
    coordinator: User
    thread: Thread
    post: Post


@pytest.fixture
def world(session: Session) -> World:
    group = make_group(session, slug="ungdom-m", name="Ungdom M")
    other = make_group(session, slug="kultur-m", name="Kultur M")
    lead, member, author = (
        make_user(session, name="Lena Lead"),
        make_user(session, name="Maja Medlem"),
        make_user(session, name="Anders Author"),
    )
    other_lead = make_user(session, name="Olle Other")
    coordinator = make_user(session, name="Cecilia Coordinator", is_coordinator=True)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    make_membership(session, group=group, user=member)
    make_membership(session, group=group, user=author)
    make_membership(session, group=other, user=other_lead, role=MemberRole.LEAD)
    thread = make_thread(session, group=group, author=author, title="Feriepraktik")
    post = make_post(session, thread=thread, author=author, body="Vi betalar 120 kr i timmen.")
    return World(group, other, lead, member, author, other_lead, coordinator, thread, post)


def entries(session: Session, action: str) -> list[AuditEntry]:
    session.expire_all()
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_a_lead_locks_with_a_reason_that_the_thread_shows_and_the_audit_keeps(
    api_as: Client, session: Session, world: World
) -> None:
    url = f"/api/v1/threads/{world.thread.id}"
    locked = api_as(world.lead).post(f"{url}/lock", json={"reason": "Frågan är besvarad."})
    assert locked.status_code == 200, locked.text
    assert locked.json()["locked"] is True
    assert locked.json()["lock_reason"] == "Frågan är besvarad."
    [entry] = entries(session, "thread.lock")
    assert entry.actor_id == world.lead.id
    assert entry.group_id == world.group.id
    assert entry.before == {"locked": False, "lock_reason": None}
    assert entry.after == {"locked": True, "lock_reason": "Frågan är besvarad."}
    reply = api_as(world.member).post(f"{url}/posts", json={"body": "Men ..."})
    assert reply.status_code == 409
    again = api_as(world.lead).post(f"{url}/lock", json={})
    assert again.status_code == 409
    assert len(entries(session, "thread.lock")) == 1
    unlocked = api_as(world.lead).post(f"{url}/unlock")
    assert unlocked.json()["locked"] is False
    assert unlocked.json()["lock_reason"] is None
    [entry] = entries(session, "thread.unlock")
    assert entry.after == {"locked": False, "lock_reason": None}


@pytest.mark.parametrize("who", ["member", "author", "other_lead"])
@pytest.mark.parametrize(
    "action", ["lock", "unlock", "pin", "unpin", "move", "rename", "hide", "restore"]
)
def test_who_does_not_lead_the_group_may_not_moderate_it(
    api_as: Client, session: Session, world: World, who: str, action: str
) -> None:
    client = api_as(getattr(world, who))
    thread_url = f"/api/v1/threads/{world.thread.id}"
    response = {
        "lock": lambda: client.post(f"{thread_url}/lock"),
        "unlock": lambda: client.post(f"{thread_url}/unlock"),
        "pin": lambda: client.post(f"{thread_url}/pin"),
        "unpin": lambda: client.post(f"{thread_url}/unpin"),
        "move": lambda: client.post(f"{thread_url}/move", json={"group": "kultur-m"}),
        "rename": lambda: client.patch(thread_url, json={"title": "Nytt namn"}),
        "hide": lambda: client.post(
            f"/api/v1/posts/{world.post.id}/hide", json={"reason": "Olämpligt"}
        ),
        "restore": lambda: client.post(f"/api/v1/posts/{world.post.id}/restore"),
    }[action]()
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    session.expire_all()
    assert session.exec(select(AuditEntry)).all() == []


def test_a_read_only_token_of_a_lead_may_not_moderate(api_as: Client, world: World) -> None:
    lead = api_as(world.lead)
    token = lead.post("/api/v1/me/tokens", json={"name": "läs", "scopes": ["read"]}).json()
    reader = TestClient(lead.app)
    reader.headers["Authorization"] = f"Bearer {token['token']}"
    assert reader.post(f"/api/v1/threads/{world.thread.id}/pin").status_code == 403
    assert reader.get("/api/v1/groups/ungdom-m/flags").status_code == 200


def test_outsiders_of_a_closed_group_get_404_for_its_threads(
    api_as: Client, session: Session, world: World
) -> None:
    world.group.visibility = Visibility.CLOSED
    session.flush()
    outsider = api_as(make_user(session))
    assert outsider.post(f"/api/v1/threads/{world.thread.id}/pin").status_code == 404
    assert (
        outsider.post(f"/api/v1/posts/{world.post.id}/flags", json={"reason": "x"}).status_code
        == 404
    )
    assert outsider.get("/api/v1/groups/ungdom-m/flags").status_code == 403
    world.group.visibility = Visibility.SECRET
    session.flush()
    assert outsider.get("/api/v1/groups/ungdom-m/flags").status_code == 404


def test_a_coordinator_pins_in_any_group_and_pinned_threads_come_first(
    api_as: Client, session: Session, world: World
) -> None:
    later = make_thread(session, group=world.group, author=world.member, title="Senare")
    make_post(session, thread=later, author=world.member)
    client = api_as(world.coordinator)
    assert client.post(f"/api/v1/threads/{world.thread.id}/pin").json()["pinned"] is True
    listed = api_as(world.member).get("/api/v1/groups/ungdom-m/threads").json()["items"]
    assert next(t["title"] for t in listed) == "Feriepraktik"
    assert client.post(f"/api/v1/threads/{world.thread.id}/pin").status_code == 409
    [entry] = entries(session, "thread.pin")
    assert (entry.before, entry.after) == ({"pinned": False}, {"pinned": True})


def test_a_rename_and_slow_mode_patch_writes_one_entry_with_both_changes(
    api_as: Client, session: Session, world: World
) -> None:
    client = api_as(world.lead)
    patched = client.patch(
        f"/api/v1/threads/{world.thread.id}", json={"title": "Feriepraktik 2027", "slow_mode_s": 60}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["title"] == "Feriepraktik 2027"
    assert patched.json()["slow_mode_s"] == 60
    [entry] = entries(session, "thread.update")
    assert entry.before == {"title": "Feriepraktik", "slow_mode_s": 0}
    assert entry.after == {"title": "Feriepraktik 2027", "slow_mode_s": 60}
    too_long = client.patch(f"/api/v1/threads/{world.thread.id}", json={"title": "x" * 201})
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "title"
    out_of_range = client.patch(f"/api/v1/threads/{world.thread.id}", json={"slow_mode_s": -1})
    assert out_of_range.status_code == 422
    same = client.patch(f"/api/v1/threads/{world.thread.id}", json={"slow_mode_s": 60})
    assert same.status_code == 409


def test_slow_mode_makes_a_member_wait_but_not_a_lead(
    api_as: Client, session: Session, world: World
) -> None:
    api_as(world.lead).patch(f"/api/v1/threads/{world.thread.id}", json={"slow_mode_s": 600})
    member = api_as(world.member)
    url = f"/api/v1/threads/{world.thread.id}/posts"
    assert member.post(url, json={"body": "Första"}).status_code == 201
    second = member.post(url, json={"body": "Andra"})
    assert second.status_code == 429
    assert second.headers["content-type"] == "application/problem+json"
    assert 590 <= int(second.headers["Retry-After"]) <= 600
    lead = api_as(world.lead)
    assert lead.post(url, json={"body": "Ett"}).status_code == 201
    assert lead.post(url, json={"body": "Två"}).status_code == 201


def test_moving_keeps_the_address_follows_flags_and_is_shown(
    api_as: Client, session: Session, world: World
) -> None:
    make_membership(session, group=world.other, user=world.lead, role=MemberRole.LEAD)
    api_as(world.member).post(f"/api/v1/posts/{world.post.id}/flags", json={"reason": "Fel grupp"})
    moved = api_as(world.lead).post(
        f"/api/v1/threads/{world.thread.id}/move", json={"group": "kultur-m"}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["group"] == "kultur-m"
    assert moved.json()["moved_from"] == "ungdom-m"
    session.expire_all()
    flag = session.exec(select(Flag)).one()
    assert flag.group_id == world.other.id
    search_groups = set(
        session.exec(
            select(SearchEntry.group_id).where(SearchEntry.thread_id == world.thread.id)
        ).all()
    )
    assert search_groups <= {world.other.id}
    assert session.get(Group, world.other.id).thread_count == 1  # type: ignore[union-attr]
    [entry] = entries(session, "thread.move")
    assert (entry.before, entry.after) == ({"group": "ungdom-m"}, {"group": "kultur-m"})
    assert api_as(world.member).get(f"/api/v1/threads/{world.thread.id}").status_code == 200


def test_a_move_is_refused_to_the_same_an_archived_or_a_foreign_group(
    api_as: Client, session: Session, world: World
) -> None:
    client = api_as(world.lead)
    url = f"/api/v1/threads/{world.thread.id}/move"
    same = client.post(url, json={"group": "ungdom-m"})
    assert same.status_code == 422
    assert same.json()["errors"][0]["code"] == "same-group"
    foreign = client.post(url, json={"group": "kultur-m"})
    assert foreign.status_code == 422
    make_membership(session, group=world.other, user=world.lead, role=MemberRole.LEAD)
    world.other.archived_at = utcnow()
    session.flush()
    archived = client.post(url, json={"group": "kultur-m"})
    assert archived.status_code == 422
    assert archived.json()["errors"][0]["code"] == "archived"
    missing = client.post(url, json={"group": "finns-inte"})
    assert missing.status_code == 422
    assert entries(session, "thread.move") == []


def test_hiding_tells_the_author_the_reason_and_leaves_search_until_restored(
    api_as: Client, session: Session, world: World
) -> None:
    lead = api_as(world.lead)
    hidden = lead.post(f"/api/v1/posts/{world.post.id}/hide", json={"reason": "Personuppgifter"})
    assert hidden.status_code == 200, hidden.text
    assert hidden.json()["hidden"] is True
    assert hidden.json()["body"] is None
    for_reader = api_as(world.member).get(f"/api/v1/threads/{world.thread.id}/posts").json()
    assert for_reader["items"][0]["body"] is None
    session.expire_all()
    post = session.get(Post, world.post.id)
    assert post is not None
    assert post.hidden_reason == "Personuppgifter"
    assert post.version == 2
    assert (
        session.exec(
            select(SearchEntry).where(SearchEntry.ref_id == post.id, SearchEntry.kind == "post")
        ).first()
        is None
    )
    told = session.exec(select(Notification).where(Notification.user_id == world.author.id)).one()
    assert told.kind is NotificationKind.POST_HIDDEN
    [entry] = entries(session, "post.hide")
    assert entry.reason == "Personuppgifter"
    assert (entry.before, entry.after) == ({"hidden": False}, {"hidden": True})

    again = lead.post(f"/api/v1/posts/{world.post.id}/hide", json={"reason": "Igen"})
    assert again.status_code == 409
    restored = lead.post(f"/api/v1/posts/{world.post.id}/restore")
    assert restored.status_code == 200
    assert restored.json()["body"] == "Vi betalar 120 kr i timmen."
    session.expire_all()
    assert (
        session.exec(
            select(SearchEntry).where(
                SearchEntry.ref_id == world.post.id, SearchEntry.kind == "post"
            )
        ).first()
        is not None
    )
    assert lead.post(f"/api/v1/posts/{world.post.id}/restore").status_code == 409
    [entry] = entries(session, "post.restore")
    assert entry.after == {"hidden": False, "hidden_reason": None}


@pytest.mark.parametrize(
    ("reason", "code"), [("", "required"), ("   ", "required"), ("x" * 501, "too-long")]
)
def test_hiding_needs_a_reason_of_bounded_length(
    api_as: Client, session: Session, world: World, reason: str, code: str
) -> None:
    response = api_as(world.lead).post(
        f"/api/v1/posts/{world.post.id}/hide", json={"reason": reason}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == code
    session.expire_all()
    assert session.get(Post, world.post.id).hidden_at is None  # type: ignore[union-attr]


def test_a_deleted_post_cannot_be_hidden(api_as: Client, world: World) -> None:
    api_as(world.author).delete(f"/api/v1/posts/{world.post.id}")
    response = api_as(world.lead).post(
        f"/api/v1/posts/{world.post.id}/hide", json={"reason": "Olämpligt"}
    )
    assert response.status_code == 409


def test_flags_are_one_item_per_post_and_a_hide_resolves_and_tells_everyone(
    api_as: Client, session: Session, world: World
) -> None:
    third = make_user(session, name="Tredje Läsare")
    url = f"/api/v1/posts/{world.post.id}/flags"
    first = api_as(world.member).post(url, json={"reason": "Fel fakta"})
    assert first.status_code == 201, first.text
    assert api_as(third).post(url, json={"reason": "Reklam"}).status_code == 201
    session.expire_all()
    lead_told = session.exec(
        select(Notification).where(
            Notification.user_id == world.lead.id, Notification.kind == NotificationKind.FLAG
        )
    ).all()
    assert len(lead_told) == 2

    queue = api_as(world.lead).get("/api/v1/groups/ungdom-m/flags").json()
    [item] = queue["items"]
    assert item["post_id"] == world.post.id
    assert item["thread_id"] == world.thread.id
    assert item["count"] == 2
    assert sorted(item["reasons"]) == ["Fel fakta", "Reklam"]
    assert item["status"] == "open"

    resolved = api_as(world.lead).post(
        f"/api/v1/flags/{item['id']}/resolve", json={"action": "hide", "reason": "Felaktigt"}
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolution"] == "hide"
    assert api_as(world.lead).get("/api/v1/groups/ungdom-m/flags").json()["items"] == []
    done = api_as(world.lead).get("/api/v1/groups/ungdom-m/flags?status=resolved").json()
    assert [i["count"] for i in done["items"]] == [2]
    session.expire_all()
    outcomes = session.exec(
        select(Notification).where(Notification.kind == NotificationKind.FLAG_OUTCOME)
    ).all()
    assert {(n.user_id, n.outcome) for n in outcomes} == {
        (world.member.id, "hide"),
        (third.id, "hide"),
    }
    assert session.get(Post, world.post.id).hidden_reason == "Felaktigt"  # type: ignore[union-attr]
    [entry] = entries(session, "flag.hide")
    assert entry.before == {"status": "open", "flags": 2, "hidden": False}
    assert entry.after == {"status": "resolved", "flags": 2, "hidden": True}
    assert entries(session, "post.hide") == []
    again = api_as(world.lead).post(
        f"/api/v1/flags/{item['id']}/resolve", json={"action": "dismiss"}
    )
    assert again.status_code == 409


def test_a_dismissal_keeps_the_post_and_tells_the_flagger(
    api_as: Client, session: Session, world: World
) -> None:
    flagged = (
        api_as(world.member)
        .post(f"/api/v1/posts/{world.post.id}/flags", json={"reason": "Tveksamt"})
        .json()
    )
    response = api_as(world.coordinator).post(
        f"/api/v1/flags/{flagged['id']}/resolve", json={"action": "dismiss"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["resolution"] == "dismiss"
    session.expire_all()
    assert session.get(Post, world.post.id).hidden_at is None  # type: ignore[union-attr]
    told = session.exec(
        select(Notification).where(Notification.kind == NotificationKind.FLAG_OUTCOME)
    ).one()
    assert (told.user_id, told.outcome) == (world.member.id, "dismiss")
    [entry] = entries(session, "flag.dismiss")
    assert entry.after == {"status": "resolved", "flags": 1, "hidden": False}


def test_flagging_refuses_ones_own_post_a_second_flag_and_a_bad_reason(
    api_as: Client, session: Session, world: World
) -> None:
    url = f"/api/v1/posts/{world.post.id}/flags"
    assert api_as(world.author).post(url, json={"reason": "Mitt eget"}).status_code == 403
    member = api_as(world.member)
    assert member.post(url, json={"reason": ""}).status_code == 422
    assert member.post(url, json={"reason": "x" * 501}).status_code == 422
    assert member.post(url, json={"reason": "Fel"}).status_code == 201
    twice = member.post(url, json={"reason": "Fel igen"})
    assert twice.status_code == 409
    assert "already" in twice.json()["detail"]
    session.expire_all()
    assert len(session.exec(select(Flag)).all()) == 1


@pytest.mark.parametrize("who", ["member", "author", "other_lead"])
def test_only_leads_and_coordinators_see_the_queue_and_resolve(
    api_as: Client, session: Session, world: World, who: str
) -> None:
    flagged = (
        api_as(make_user(session))
        .post(f"/api/v1/posts/{world.post.id}/flags", json={"reason": "Fel"})
        .json()
    )
    client = api_as(getattr(world, who))
    assert client.get("/api/v1/groups/ungdom-m/flags").status_code == 403
    resolve = client.post(f"/api/v1/flags/{flagged['id']}/resolve", json={"action": "dismiss"})
    assert resolve.status_code == 404
    session.expire_all()
    assert session.exec(select(Flag).where(col(Flag.resolved_at).is_not(None))).all() == []


def test_the_queue_pages_newest_first_with_a_cursor(
    api_as: Client, session: Session, world: World
) -> None:
    flagger = api_as(world.member)
    posts = [make_post(session, thread=world.thread, author=world.author) for _ in range(5)]
    for post in posts:
        assert (
            flagger.post(f"/api/v1/posts/{post.id}/flags", json={"reason": "x"}).status_code == 201
        )
    lead = api_as(world.lead)
    first = lead.get("/api/v1/groups/ungdom-m/flags?limit=2").json()
    seen = [i["post_id"] for i in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = lead.get(f"/api/v1/groups/ungdom-m/flags?limit=2&cursor={cursor}").json()
        seen += [i["post_id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert seen == [p.id for p in reversed(posts)]
    assert lead.get("/api/v1/groups/ungdom-m/flags?cursor=junk").status_code == 422


def test_a_coordinator_outside_a_closed_group_does_not_see_or_moderate_its_posts(
    api_as: Client, session: Session, world: World
) -> None:
    flagged = api_as(world.member).post(
        f"/api/v1/posts/{world.post.id}/flags", json={"reason": "Fel"}
    )
    assert flagged.status_code == 201
    world.group.visibility = Visibility.CLOSED
    session.flush()
    outsider = api_as(world.coordinator)
    assert outsider.get("/api/v1/groups/ungdom-m/flags").status_code == 403
    resolve = outsider.post(
        f"/api/v1/flags/{flagged.json()['id']}/resolve", json={"action": "dismiss"}
    )
    assert resolve.status_code == 404
    assert outsider.post(f"/api/v1/threads/{world.thread.id}/pin").status_code == 404
    hide = outsider.post(f"/api/v1/posts/{world.post.id}/hide", json={"reason": "x"})
    assert hide.status_code == 404
    world.group.visibility = Visibility.SECRET
    session.flush()
    assert outsider.get("/api/v1/groups/ungdom-m/flags").status_code == 404
    session.expire_all()
    assert session.exec(select(AuditEntry)).all() == []


def test_a_move_into_a_secret_group_does_not_name_it_to_the_source_groups_leads(
    api_as: Client, session: Session, world: World
) -> None:
    secret = make_group(session, slug="hemlig-m", visibility=Visibility.SECRET)
    make_membership(session, group=secret, user=world.lead, role=MemberRole.LEAD)
    moved = api_as(world.lead).post(
        f"/api/v1/threads/{world.thread.id}/move", json={"group": "hemlig-m"}
    )
    assert moved.status_code == 200, moved.text
    second_lead = make_user(session)
    make_membership(session, group=world.group, user=second_lead, role=MemberRole.LEAD)
    log = api_as(second_lead).get("/api/v1/audit?action=thread.move").json()["items"]
    assert [(e["before"], e["after"]) for e in log] == [({"group": "ungdom-m"}, {"group": None})]
    assert "hemlig" not in str(log)


def test_a_stale_if_match_on_a_discussion_is_412_and_changes_nothing(
    api_as: Client, session: Session, world: World
) -> None:
    client = api_as(world.lead)
    url = f"/api/v1/threads/{world.thread.id}"
    version = client.get(url).json()["version"]
    fresh = client.patch(url, json={"title": "Ny rubrik"}, headers={"If-Match": f'"{version}"'})
    assert fresh.status_code == 200
    assert fresh.headers["ETag"] == f'"{fresh.json()["version"]}"'
    stale = client.patch(url, json={"title": "Äldre"}, headers={"If-Match": f'"{version}"'})
    assert stale.status_code == 412
    assert client.get(url).json()["title"] == "Ny rubrik"
