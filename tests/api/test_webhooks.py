"""Webhooks through the API: who manages them, which addresses are refused, what the
dispatcher makes of a group's changes, and what happens when deliveries keep failing.
The real receiver, signatures and a restart in the middle: tests/test_webhook_delivery.py."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
import standardwebhooks
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from domain import auth, jobs, outbox, webhooks
from domain.actor import load_actor
from erfa import db
from erfa.app import create_app
from erfa.settings import Settings, derive_key
from models import (
    AuditEntry,
    DeliveryStatus,
    Group,
    Job,
    MemberRole,
    Membership,
    Notification,
    NotificationKind,
    Scope,
    User,
    Visibility,
    Webhook,
    WebhookDelivery,
    utcnow,
)
from tests.conftest import api_clients
from tests.factories import make_group, make_membership, make_user

Client = Callable[[User], TestClient]
HOOK = "http://127.0.0.1:9/hook"
ALL = list(webhooks.EVENTS)


@dataclass
class World:
    group: Group
    other: Group
    secret: Group
    lead: User
    member: User
    outsider_lead: User
    coordinator: User


@pytest.fixture
def world(session: Session) -> World:
    group = make_group(session, slug="ungdom-w", name="Ungdom W")
    other = make_group(session, slug="kultur-w", name="Kultur W")
    secret = make_group(session, slug="hemlig-w", name="Hemlig W", visibility=Visibility.SECRET)
    lead, member = make_user(session, name="Lena Lead"), make_user(session, name="Maja Medlem")
    outsider_lead = make_user(session, name="Olle Other")
    coordinator = make_user(session, name="Cecilia Coordinator", is_coordinator=True)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    make_membership(session, group=other, user=lead, role=MemberRole.LEAD)
    make_membership(session, group=group, user=member)
    make_membership(session, group=other, user=member)
    make_membership(session, group=secret, user=outsider_lead, role=MemberRole.LEAD)
    return World(group, other, secret, lead, member, outsider_lead, coordinator)


@pytest.fixture
def private_api_as(
    settings: Settings, connection: sa.Connection
) -> Iterator[Callable[[User], TestClient]]:
    """API clients of an installation that lets webhooks call loopback (like the tests'
    receivers), `ERFA_WEBHOOK_ALLOW_PRIVATE=1`."""
    app: FastAPI = create_app(settings.model_copy(update={"webhook_allow_private": True}))
    factory = db.make_session_factory(connection, join_transaction_mode="create_savepoint")
    app.state.session_factory = app.state.read_session_factory = factory
    with api_clients(app, settings) as make:
        yield make


def make_hook(client: TestClient, slug: str, events: list[str] | None = None) -> dict[str, object]:
    made = client.post(
        f"/api/v1/groups/{slug}/webhooks", json={"url": HOOK, "events": events or ALL}
    )
    assert made.status_code == 201, made.text
    body: dict[str, object] = made.json()
    return body


def dispatch(session: Session, hook_id: object) -> list[WebhookDelivery]:
    """One dispatch round of the webhook, as the runner makes it; its deliveries."""
    session.expire_all()
    webhook = session.get(Webhook, hook_id)
    assert webhook is not None
    group = session.get(Group, webhook.group_id)
    assert group is not None
    webhooks.dispatch(session, webhook, group.slug)
    session.flush()
    return list(
        session.exec(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == hook_id)
            .order_by(col(WebhookDelivery.id))
        ).all()
    )


def events(deliveries: list[WebhookDelivery]) -> list[tuple[str, object]]:
    return [(d.event, json.loads(d.payload)["data"]["id"]) for d in deliveries]


# --- who may -------------------------------------------------------------------------


def test_a_lead_makes_a_webhook_and_sees_its_secret_once(
    private_api_as: Client, session: Session, world: World
) -> None:
    client = private_api_as(world.lead)
    made = make_hook(client, "ungdom-w", ["post.created", "thread.created"])
    assert str(made["secret"]).startswith("whsec_")
    assert made["events"] == ["post.created", "thread.created"]
    assert made["active"] is True
    listed = client.get("/api/v1/groups/ungdom-w/webhooks")
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert item["id"] == made["id"]
    assert "secret" not in item
    assert item["created_by"] == "Lena Lead"
    [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "webhook.create")).all()
    assert entry.group_id == world.group.id
    assert entry.after == {"url": HOOK, "events": ["post.created", "thread.created"]}
    assert made["secret"] not in json.dumps(entry.after)


@pytest.mark.parametrize(
    ("who", "status"),
    [("member", 403), ("outsider_lead", 403), ("coordinator", 201)],
)
def test_only_leads_and_coordinators_make_webhooks(
    private_api_as: Client, world: World, who: str, status: int
) -> None:
    made = private_api_as(getattr(world, who)).post(
        "/api/v1/groups/ungdom-w/webhooks", json={"url": HOOK, "events": ["post.created"]}
    )
    assert made.status_code == status, made.text
    if status != 201:
        assert made.headers["content-type"] == "application/problem+json"


def test_a_secret_groups_webhooks_do_not_exist_for_outsiders_or_coordinators(
    private_api_as: Client, world: World
) -> None:
    """A coordinator moderates what they read; the secret group's content is for members."""
    made = make_hook(private_api_as(world.outsider_lead), "hemlig-w")
    for who in (world.lead, world.coordinator):
        client = private_api_as(who)
        assert client.get("/api/v1/groups/hemlig-w/webhooks").status_code == 404
        assert client.get(f"/api/v1/webhooks/{made['id']}/deliveries").status_code == 404
        assert client.delete(f"/api/v1/webhooks/{made['id']}").status_code == 404


def test_a_read_only_token_lists_but_does_not_make_or_delete(
    app: FastAPI, session: Session, private_api_as: Client, world: World
) -> None:
    made = make_hook(private_api_as(world.lead), "ungdom-w")
    assert world.lead.id is not None
    token = auth.create_api_token(
        session, load_actor(session, world.lead.id), name="läs", scopes=[Scope.READ]
    )
    session.flush()
    with TestClient(app, headers={"Authorization": f"Bearer {token.secret}"}) as reader:
        assert reader.get("/api/v1/groups/ungdom-w/webhooks").status_code == 200
        refused = reader.post(
            "/api/v1/groups/ungdom-w/webhooks", json={"url": HOOK, "events": ["post.created"]}
        )
        assert refused.status_code == 403
        assert reader.delete(f"/api/v1/webhooks/{made['id']}").status_code == 403


def test_deleting_a_webhook_removes_its_log_and_is_audited(
    private_api_as: Client, session: Session, world: World
) -> None:
    client = private_api_as(world.lead)
    made = make_hook(client, "ungdom-w")
    client.post("/api/v1/groups/ungdom-w/threads", json={"title": "Sommarjobb", "body": "Hej"})
    assert dispatch(session, made["id"])
    session.commit()  # the savepoint: what the API's session sees
    assert client.delete(f"/api/v1/webhooks/{made['id']}").status_code == 204
    session.expire_all()
    assert session.get(Webhook, made["id"]) is None
    left = session.exec(select(WebhookDelivery).where(WebhookDelivery.webhook_id == made["id"]))
    assert left.all() == []
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "webhook.delete")).one()


# --- addresses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.4/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
    ],
)
def test_private_loopback_and_link_local_targets_are_refused(
    api_as: Client, world: World, url: str
) -> None:
    refused = api_as(world.lead).post(
        "/api/v1/groups/ungdom-w/webhooks", json={"url": url, "events": ["post.created"]}
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"][0]["field"] == "url"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://198.51.100.1/hook",
        "http://user:pw@93.184.215.14/hook",
        "not a url",
        "http:///nohost",
        "http://93.184.215.14:99999/hook",
        "https://" + "a" * 2100 + ".se/",
        "http://no-such-host.invalid/hook",
    ],
)
def test_addresses_that_cannot_be_webhooks_are_refused_with_a_reason(
    api_as: Client, world: World, url: str
) -> None:
    refused = api_as(world.lead).post(
        "/api/v1/groups/ungdom-w/webhooks", json={"url": url, "events": ["post.created"]}
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"


def test_unknown_or_no_events_are_refused(api_as: Client, world: World) -> None:
    client = api_as(world.lead)
    for chosen in ([], ["post.exploded"], "post.created"):
        refused = client.post(
            "/api/v1/groups/ungdom-w/webhooks", json={"url": HOOK, "events": chosen}
        )
        assert refused.status_code == 422, refused.text


def test_public_addresses_are_told_apart_from_the_rest() -> None:
    import ipaddress

    assert webhooks.public_address(ipaddress.ip_address("93.184.215.14"))
    assert webhooks.public_address(ipaddress.ip_address("2a00:1450:4010:c05::64"))
    for address in ("127.0.0.5", "10.0.0.1", "::1", "fd00::1", "::ffff:10.0.0.1", "fe80::1"):
        assert not webhooks.public_address(ipaddress.ip_address(address)), address


# --- what the dispatcher makes of changes ----------------------------------------------


def test_each_kind_of_change_becomes_its_event_once(
    private_api_as: Client, session: Session, world: World, backend: str
) -> None:
    lead = private_api_as(world.lead)
    member = private_api_as(world.member)
    before = lead.post("/api/v1/groups/ungdom-w/threads", json={"title": "Före", "body": "x"})
    assert before.status_code == 201
    hook = make_hook(lead, "ungdom-w")
    session.commit()
    baseline = dispatch(session, hook["id"])
    if backend == "sqlite":
        assert baseline == []  # a new webhook starts from now
    else:
        # ... and from transactions still open when it was made (here: the test's own
        # outer transaction), whose changes may come once more: at least once.
        data = [json.loads(d.payload)["data"] for d in baseline]
        assert {item.get("thread_id", item["id"]) for item in data} == {before.json()["id"]}
    seen = len(baseline)

    thread = lead.post("/api/v1/groups/ungdom-w/threads", json={"title": "Lov", "body": "Start"})
    thread_id = thread.json()["id"]
    first_post = session.exec(
        sa.select(sa.func.min(sa.text("id")))
        .select_from(sa.table("post"))
        .where(sa.text("thread_id = :t")),
        params={"t": thread_id},
    ).scalar_one()
    reply = member.post(f"/api/v1/threads/{thread_id}/posts", json={"body": "Svar"}).json()
    made = dispatch(session, hook["id"])[seen:]
    assert events(made) == [
        ("post.created", first_post),
        ("thread.created", thread_id),
        ("post.created", reply["id"]),
    ]
    opening = json.loads(made[1].payload)
    assert opening["type"] == "thread.created"
    assert opening["data"]["title"] == "Lov"
    assert opening["data"]["first_post"]["body"] == "Start"

    assert member.patch(f"/api/v1/posts/{reply['id']}", json={"body": "Rättat"}).status_code == 200
    edited = dispatch(session, hook["id"])[seen + 3 :]
    assert events(edited) == [("post.updated", reply["id"])]
    assert json.loads(edited[0].payload)["data"]["body"] == "Rättat"

    hidden = lead.post(f"/api/v1/posts/{reply['id']}/hide", json={"reason": "Fel tråd"})
    assert hidden.status_code == 200
    gone = dispatch(session, hook["id"])[seen + 4 :]
    assert events(gone) == [("post.hidden", reply["id"])]
    assert json.loads(gone[0].payload)["data"]["body"] is None

    moved = lead.post(f"/api/v1/threads/{thread_id}/move", json={"group": "kultur-w"})
    assert moved.status_code == 200, moved.text
    left = dispatch(session, hook["id"])[seen + 5 :]
    assert sorted(events(left), key=str) == sorted(
        [("post.deleted", first_post), ("post.deleted", reply["id"])], key=str
    )
    # Tombstones that say nothing of where the discussion went, nor what it said.
    assert {json.dumps(json.loads(d.payload)["data"], sort_keys=True) for d in left} == {
        json.dumps(
            {
                "id": post_id,
                "thread_id": thread_id,
                "group": "ungdom-w",
                "deleted": True,
                "moved": True,
            },
            sort_keys=True,
        )
        for post_id in (first_post, reply["id"])
    }
    later = member.post(f"/api/v1/threads/{thread_id}/posts", json={"body": "Hemligt nu"})
    assert later.status_code == 201, later.text
    assert member.patch(f"/api/v1/posts/{first_post}", json={"body": "x"}).status_code in (
        200,
        403,
    )

    assert dispatch(session, hook["id"])[seen + 7 :] == []  # nothing twice
    ids = [d.message_id for d in dispatch(session, hook["id"])]
    assert len(ids) == len(set(ids))
    waiting = session.exec(select(Job).where(Job.kind == webhooks.DELIVER)).all()
    assert sorted(int(str(job.payload["delivery"])) for job in waiting) == sorted(
        d.id for d in dispatch(session, hook["id"]) if d.id is not None
    )


def test_a_webhook_gets_only_the_events_it_asked_for_and_only_its_group(
    private_api_as: Client, session: Session, world: World
) -> None:
    lead = private_api_as(world.lead)
    hook = make_hook(lead, "ungdom-w", ["thread.created", "resource.created"])
    lead.post("/api/v1/groups/kultur-w/threads", json={"title": "Annan", "body": "x"})
    thread = lead.post("/api/v1/groups/ungdom-w/threads", json={"title": "Vår", "body": "y"})
    resource = lead.post(
        "/api/v1/groups/ungdom-w/resources",
        json={
            "title": "Mentorsmodellen",
            "summary": "Så gör vi",
            "kind": "model",
            "municipality": "avesta",
        },
    )
    assert resource.status_code == 201, resource.text
    made = dispatch(session, hook["id"])
    discussion = resource.json()["thread_id"]  # a shared resource opens its discussion
    assert events(made) == [
        ("thread.created", thread.json()["id"]),
        ("thread.created", discussion),
        ("resource.created", resource.json()["id"]),
    ]


def test_the_dispatcher_reads_a_group_in_a_bounded_number_of_statements(
    private_api_as: Client,
    session: Session,
    world: World,
    count_statements: Callable[[Callable[[], object]], int],
) -> None:
    lead = private_api_as(world.lead)
    hook = make_hook(lead, "ungdom-w")

    def write(n: int) -> None:
        for i in range(n):
            lead.post("/api/v1/groups/ungdom-w/threads", json={"title": f"T{i}", "body": "x"})

    write(2)
    few = count_statements(lambda: dispatch(session, hook["id"]))
    write(8)
    many = count_statements(lambda: dispatch(session, hook["id"]))
    # Each event is one delivery and one job row; reading the feed does not grow.
    assert many - few == (8 - 2) * 2 * 2  # 6 threads more, 2 events each, 2 rows each


# --- failures ------------------------------------------------------------------------


def test_failures_follow_the_schedule_then_disable_the_webhook_and_tell_its_owner(
    private_api_as: Client, browser_as: Client, session: Session, world: World
) -> None:
    lead = private_api_as(world.lead)
    hook = make_hook(lead, "ungdom-w", ["thread.created"])
    lead.post("/api/v1/groups/ungdom-w/threads", json={"title": "Lov", "body": "x"})
    [delivery] = dispatch(session, hook["id"])
    [job] = session.exec(select(Job).where(Job.kind == webhooks.DELIVER)).all()
    assert job.id is not None
    assert delivery.id is not None
    start = utcnow()
    failed = webhooks.Outcome(ok=False, status=500, error="HTTP 500")
    waits = []
    at = start
    for _ in range(4):
        assert not webhooks.record(session, job.id, job.attempts, delivery.id, failed, now=at)
        session.flush()
        session.refresh(delivery)
        assert delivery.next_attempt_at is not None
        waits.append(delivery.next_attempt_at - at)
        at = delivery.next_attempt_at
    assert waits == [webhooks.SCHEDULE[i] for i in range(1, 5)]
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.attempts == 4

    late = start + timedelta(hours=24, seconds=1)
    assert webhooks.record(session, job.id, job.attempts, delivery.id, failed, now=late)
    session.flush()
    session.expire_all()
    webhook = session.get(Webhook, hook["id"])
    assert webhook is not None
    assert webhook.disabled_at == late
    assert session.get(WebhookDelivery, delivery.id).status is DeliveryStatus.FAILED  # type: ignore[union-attr]
    assert jobs.pending(session, webhooks.DELIVER) == 0
    [told] = session.exec(
        select(Notification).where(Notification.kind == NotificationKind.WEBHOOK_DISABLED)
    ).all()
    assert told.user_id == world.lead.id
    [mail] = outbox.take(session)
    assert mail.to == world.lead.email
    assert mail.template == "webhook_disabled"
    listed = lead.get("/api/v1/groups/ungdom-w/webhooks").json()["items"]
    assert listed[0]["active"] is False
    page = browser_as(world.lead).get("/notifications")
    assert "En webhook i Ungdom W stängdes av efter 24 timmar" in page.text


def test_a_success_ends_a_streak_of_failures(
    private_api_as: Client, session: Session, world: World
) -> None:
    lead = private_api_as(world.lead)
    hook = make_hook(lead, "ungdom-w", ["thread.created"])
    for title in ("A", "B"):
        lead.post("/api/v1/groups/ungdom-w/threads", json={"title": title, "body": "x"})
    first, second = dispatch(session, hook["id"])
    jobs_by_delivery = {
        int(str(job.payload["delivery"])): job.id
        for job in session.exec(select(Job).where(Job.kind == webhooks.DELIVER)).all()
    }
    now = utcnow()
    assert first.id
    assert second.id
    webhooks.record(
        session, jobs_by_delivery[first.id], 0, first.id, webhooks.Outcome(False), now=now
    )
    webhooks.record(
        session, jobs_by_delivery[second.id], 0, second.id, webhooks.Outcome(True, 204), now=now
    )
    session.flush()
    session.expire_all()
    assert session.get(Webhook, hook["id"]).failing_since is None  # type: ignore[union-attr]
    delivered = session.get(WebhookDelivery, second.id)
    assert delivered is not None
    assert delivered.status is DeliveryStatus.DELIVERED
    log = lead.get(f"/api/v1/webhooks/{hook['id']}/deliveries?limit=1")
    assert log.status_code == 200
    assert [item["id"] for item in log.json()["items"]] == [second.id]
    rest = lead.get(f"/api/v1/webhooks/{hook['id']}/deliveries?cursor={log.json()['next_cursor']}")
    assert [item["id"] for item in rest.json()["items"]] == [first.id]
    assert rest.json()["items"][0]["attempts"] == 1


def test_signatures_verify_with_the_standard_webhooks_library(settings: Settings) -> None:
    key = derive_key(settings.secret_key, "webhook-secret")
    secret = webhooks.signing_secret(key, "nonce-1")
    body = json.dumps({"type": "post.created", "data": {"id": 1, "body": "Hej åäö"}})
    signature = webhooks.sign(secret, "msg_1_2_post.created", 1_700_000_000, body)
    headers = {
        "webhook-id": "msg_1_2_post.created",
        "webhook-timestamp": "1700000000",
        "webhook-signature": signature,
    }
    verifier = standardwebhooks.Webhook(secret)
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        verifier.verify(body.replace("Hej", "Hoj"), headers)  # also: far from now
    # The library checks the timestamp against its clock: verify with a fresh one.
    import time

    now = int(time.time())
    headers["webhook-timestamp"] = str(now)
    headers["webhook-signature"] = webhooks.sign(secret, headers["webhook-id"], now, body)
    assert verifier.verify(body, headers) == json.loads(body)
    assert webhooks.signing_secret(key, "nonce-2") != secret


def test_a_message_the_receiver_always_refuses_is_given_up_after_the_schedule(
    private_api_as: Client, session: Session, world: World
) -> None:
    """Other deliveries get through, so the webhook stays on; this one stops at 8 tries."""
    lead = private_api_as(world.lead)
    hook = make_hook(lead, "ungdom-w", ["thread.created"])
    lead.post("/api/v1/groups/ungdom-w/threads", json={"title": "Stor", "body": "x"})
    [delivery] = dispatch(session, hook["id"])
    [job] = session.exec(select(Job).where(Job.kind == webhooks.DELIVER)).all()
    assert job.id is not None
    assert delivery.id is not None
    refused = webhooks.Outcome(ok=False, status=413, error="HTTP 413")
    at = utcnow()
    for _ in webhooks.SCHEDULE:
        webhooks.record(session, job.id, job.attempts, delivery.id, refused, now=at)
        session.flush()
        session.refresh(delivery)
        webhook = session.get(Webhook, hook["id"])
        assert webhook is not None
        webhook.failing_since = None  # a success of another message in between
        at += timedelta(hours=1)
    assert delivery.attempts == len(webhooks.SCHEDULE) == 8
    assert delivery.status is DeliveryStatus.FAILED
    assert jobs.pending(session, webhooks.DELIVER) == 0
    assert session.get(Webhook, hook["id"]).disabled_at is None  # type: ignore[union-attr]


def test_an_attempt_whose_claim_ran_out_is_not_recorded_twice(
    private_api_as: Client, session: Session, world: World
) -> None:
    lead = private_api_as(world.lead)
    hook = make_hook(lead, "ungdom-w", ["thread.created"])
    lead.post("/api/v1/groups/ungdom-w/threads", json={"title": "Sen", "body": "x"})
    [delivery] = dispatch(session, hook["id"])
    assert delivery.id is not None
    [first] = jobs.claim(session, limit=1)
    later = utcnow() + jobs.LEASE + timedelta(seconds=1)
    [second] = jobs.claim(session, limit=1, now=later)  # the lease ran out: another takes it
    assert first.id is not None
    stale = webhooks.record(
        session, first.id, 1, delivery.id, webhooks.Outcome(False, 500), now=later
    )
    assert stale is False
    session.flush()
    session.refresh(delivery)
    assert delivery.attempts == 0  # the stale worker noted nothing
    webhooks.record(session, first.id, 2, delivery.id, webhooks.Outcome(True, 204), now=later)
    session.flush()
    session.refresh(delivery)
    assert delivery.attempts == 1
    assert delivery.status is DeliveryStatus.DELIVERED
    assert second.attempts == 2


def test_a_webhook_stops_when_its_maker_no_longer_leads_the_group(
    private_api_as: Client, session: Session, world: World
) -> None:
    lead = private_api_as(world.lead)
    hook = make_hook(lead, "ungdom-w")
    other_lead = make_user(session, name="Nina Ny")
    make_membership(session, group=world.group, user=other_lead, role=MemberRole.LEAD)
    membership = session.exec(
        select(Membership).where(
            Membership.group_id == world.group.id, Membership.user_id == world.lead.id
        )
    ).one()
    membership.role = MemberRole.MEMBER
    session.flush()
    private_api_as(world.member).post(
        "/api/v1/groups/ungdom-w/threads", json={"title": "Efter", "body": "x"}
    )
    assert dispatch(session, hook["id"]) == []
    webhook = session.get(Webhook, hook["id"])
    assert webhook is not None
    assert webhook.disabled_at is not None
    told = session.exec(
        select(Notification.user_id).where(Notification.kind == NotificationKind.WEBHOOK_DISABLED)
    ).all()
    assert told == [other_lead.id]  # the group's leads now, not the one who may not see it
    [mail] = outbox.take(session)
    assert mail.context["why"] == "owner"


@pytest.mark.parametrize(
    "address",
    [
        "::7f00:1",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::1",
        "2002:a00:1::1",
        "fec0::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "::ffff:0:7f00:1",
    ],
)
def test_ipv6_forms_that_reach_private_ipv4_or_elsewhere_are_refused(address: str) -> None:
    import ipaddress

    assert not webhooks.public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    ["https://93.184.215.14/hook/ä", "https://93.184.215.14/h?q=ü", "http://93.184.215.14:0/"],
)
def test_addresses_erfa_could_not_send_to_are_refused_when_made(
    api_as: Client, world: World, url: str
) -> None:
    refused = api_as(world.lead).post(
        "/api/v1/groups/ungdom-w/webhooks", json={"url": url, "events": ["post.created"]}
    )
    assert refused.status_code == 422, refused.text


def test_the_list_of_webhooks_pages_like_every_list(private_api_as: Client, world: World) -> None:
    client = private_api_as(world.lead)
    made = [make_hook(client, "ungdom-w")["id"] for _ in range(3)]
    first = client.get("/api/v1/groups/ungdom-w/webhooks?limit=2").json()
    assert [item["id"] for item in first["items"]] == made[:2]
    rest = client.get(f"/api/v1/groups/ungdom-w/webhooks?cursor={first['next_cursor']}").json()
    assert [item["id"] for item in rest["items"]] == made[2:]
    assert rest["next_cursor"] is None
    for query in ("limit=0", "limit=201", "cursor=garbage"):
        assert client.get(f"/api/v1/groups/ungdom-w/webhooks?{query}").status_code == 422
