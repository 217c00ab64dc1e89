"""Webhooks: a group's changes pushed to an integrator, signed as Standard Webhooks say.

Each webhook is a consumer of the changes feed (`domain/sync.py`) with its own cursor. A
dispatcher reads the group's feed after the cursor and, in one transaction, writes one
delivery per change (with its `webhook.deliver` job) and moves the cursor past it. A crash
before that commit leaves the cursor where it was, so nothing is skipped; a crash after it
leaves deliveries that their jobs send. Deliveries are at least once: a receiver
de-duplicates by `webhook-id`, which stays the same on every attempt of one delivery.

Events describe a post's or resource's state when the dispatcher reads it (a post created
and edited within one round arrives once, as `post.updated`): consumers treat
`post.created` and `post.updated` alike, as "this is the post now". A discussion moved to
another group leaves this group: its posts arrive here once more as `post.deleted` with
the new group in `data.group`.

Targets in private, loopback and link-local ranges are refused (server-side request
forgery) unless the installation allows them; the check runs when a webhook is made and
again on every delivery, against the addresses the name resolves to then.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import audit, changes, jobs, notifications, outbox, policy, sync
from domain.actor import SYSTEM, Actor, load_actor
from domain.errors import Invalid, NotFound
from models import (
    DeliveryStatus,
    Group,
    NotificationKind,
    Thread,
    User,
    UserStatus,
    Webhook,
    WebhookDelivery,
    utcnow,
)

EVENTS = (
    "post.created",
    "post.updated",
    "post.deleted",
    "post.hidden",
    "thread.created",
    "resource.created",
    "resource.updated",
)
MAX_URL = 2048
MAX_PER_GROUP = 20
DELIVER = "webhook.deliver"
SCHEDULE = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
"""Standard Webhooks' retry schedule: the first attempt at once, then after each failure."""
GIVE_UP_AFTER = timedelta(hours=24)
"""A webhook whose deliveries have failed for this long is disabled and its owner told."""
BATCH = 500
"""Changes one dispatch round reads per webhook and feed."""


# --- Targets -------------------------------------------------------------------------


def public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """An address on the public internet: not private, loopback, link-local, multicast,
    reserved or unspecified. IPv6 must be global unicast (2000::/3); forms that carry an
    IPv4 address inside (mapped, 6to4) are judged by that address, and tunnels whose
    endpoint is elsewhere (Teredo) are refused."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return public_address(address.ipv4_mapped)
        if address.sixtofour is not None:
            return public_address(address.sixtofour)
        if address.teredo is not None or address not in _GLOBAL_UNICAST_V6:
            return False
    return address.is_global and not address.is_multicast


_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")


def check_url(url: str) -> tuple[str, str, int]:
    """The scheme, host and port of a webhook address; Invalid when it cannot be one."""
    if len(url) > MAX_URL:
        raise Invalid.field("url", f"An address has at most {MAX_URL} characters.", "too-long")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Invalid.field("url", "This is not a valid web address.") from exc
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise Invalid.field("url", "Give an http:// or https:// address.", "scheme")
    if parts.username is not None or parts.password is not None:
        raise Invalid.field(
            "url", "An address with a user name or password is not accepted.", "credentials"
        )
    if any(ord(char) < 33 or ord(char) > 126 for char in url):
        raise Invalid.field(
            "url",
            "An address is written in ASCII: no spaces or control characters, other"
            " letters percent-encoded (and a host name in its xn-- form).",
            "invalid",
        )
    if port == 0:
        raise Invalid.field("url", "Port 0 is not a port to send to.", "invalid")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve(url: str, *, allow_private: bool) -> list[str]:
    """The addresses a webhook's host has now, in the resolver's order, every one of them
    public unless private ones are allowed: Invalid otherwise (a name resolving to one
    private address among public ones is refused too). The lookup is bounded in time."""
    _, host, port = check_url(url)
    lookup = _RESOLVER.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        found = lookup.result(timeout=RESOLVE_TIMEOUT_S)
    except (OSError, UnicodeError, TimeoutError) as exc:
        raise Invalid.field("url", f"The host {host} cannot be resolved.", "unresolvable") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise Invalid.field("url", f"The host {host} cannot be resolved.", "unresolvable")
    if not allow_private:
        for address in addresses:
            if not public_address(ipaddress.ip_address(address.split("%")[0])):
                raise Invalid.field(
                    "url",
                    "Addresses in private, loopback or link-local networks are not accepted.",
                    "private",
                )
    return addresses


RESOLVE_TIMEOUT_S = 5.0
_RESOLVER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="erfa-resolve")
"""getaddrinfo has no timeout of its own: it runs here, and a slow answer is not awaited."""


# --- Signatures ----------------------------------------------------------------------


def signing_secret(key: str, nonce: str) -> str:
    """A webhook's secret in Standard Webhooks' form (`whsec_` and 32 bytes, base64),
    derived from the installation's webhook key and the webhook's nonce: never stored."""
    raw = hmac.new(key.encode(), nonce.encode(), hashlib.sha256).digest()
    return "whsec_" + base64.b64encode(raw).decode()


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` header: `v1,` and the base64 HMAC-SHA256 of
    `{webhook-id}.{webhook-timestamp}.{body}` under the secret's bytes."""
    raw = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{message_id}.{timestamp}.{body}".encode()
    return "v1," + base64.b64encode(hmac.new(raw, content, hashlib.sha256).digest()).decode()


# --- Managing webhooks ---------------------------------------------------------------


@dataclass(frozen=True)
class WebhookView:
    webhook: Webhook
    group: str
    created_by: str | None


@dataclass(frozen=True)
class Created:
    view: WebhookView
    secret: str


def _group(session: Session, actor: Actor, slug: str) -> Group:
    group = session.exec(select(Group).where(Group.slug == slug)).first()
    if group is None or not policy.can_see_group(actor, group):
        raise NotFound("group")
    return group


def _check_events(events: Sequence[str]) -> list[str]:
    unknown = [event for event in events if event not in EVENTS]
    if unknown:
        raise Invalid.field(
            "events", f"Unknown events: {', '.join(sorted(set(unknown)))}.", "unknown"
        )
    chosen = [event for event in EVENTS if event in events]
    if not chosen:
        raise Invalid.field("events", "Choose at least one event.", "required")
    return chosen


def create(
    session: Session,
    actor: Actor,
    slug: str,
    *,
    url: str,
    events: Sequence[str],
    key: str,
    allow_private: bool,
) -> Created:
    """A webhook of the group for its leads and the coordinators; its secret is in the
    answer, and only there."""
    group = _group(session, actor, slug)
    policy.require_webhook_manager(actor, group)
    chosen = _check_events(events)
    url = url.strip()
    resolve(url, allow_private=allow_private)
    count = session.exec(
        select(sa.func.count()).select_from(Webhook).where(col(Webhook.group_id) == group.id)
    ).one()
    if count >= MAX_PER_GROUP:
        raise Invalid.field("url", f"A group has at most {MAX_PER_GROUP} webhooks.", "too-many")
    post_at = resource_at = changes.horizon(session)
    nonce = secrets.token_hex(16)
    assert group.id is not None
    webhook = Webhook(
        group_id=group.id,
        created_by_id=actor.user_id or None,
        url=url,
        events=chosen,
        secret_nonce=nonce,
        post_txid=post_at[0],
        post_seq=post_at[1],
        resource_txid=resource_at[0],
        resource_seq=resource_at[1],
    )
    session.add(webhook)
    session.flush()
    audit.record(
        session,
        actor,
        "webhook.create",
        target_type="webhook",
        target_id=webhook.id,
        group_id=group.id,
        after={"url": url, "events": chosen},
    )
    return Created(WebhookView(webhook, group.slug, actor.name or None), signing_secret(key, nonce))


def list_for_group(
    session: Session,
    actor: Actor,
    slug: str,
    *,
    after_id: int | None = None,
    limit: int = MAX_PER_GROUP + 1,
) -> list[WebhookView]:
    """The group's webhooks in the order they were made, after `after_id`."""
    group = _group(session, actor, slug)
    policy.require_webhook_reader(actor, group)
    query = (
        select(Webhook, col(User.name))
        .outerjoin(User, col(User.id) == Webhook.created_by_id)
        .where(col(Webhook.group_id) == group.id)
    )
    if after_id is not None:
        query = query.where(col(Webhook.id) > after_id)
    rows = session.exec(query.order_by(col(Webhook.id)).limit(limit)).all()
    return [WebhookView(webhook, group.slug, name) for webhook, name in rows]


@dataclass(frozen=True)
class WebhookRow:
    view: WebhookView
    last: WebhookDelivery | None
    """The newest delivery."""
    waiting: int
    """Deliveries not yet accepted by the receiver."""


@dataclass(frozen=True)
class WebhooksPage:
    """A group's webhooks page: its webhooks with how their deliveries go."""

    group: Group
    rows: list[WebhookRow]
    can_manage: bool
    events: tuple[str, ...] = EVENTS


def page(session: Session, actor: Actor, slug: str) -> WebhooksPage:
    views = list_for_group(session, actor, slug)
    group = _group(session, actor, slug)
    ids = [view.webhook.id for view in views]
    newest = (
        select(sa.func.max(WebhookDelivery.id))
        .where(col(WebhookDelivery.webhook_id).in_(ids))
        .group_by(col(WebhookDelivery.webhook_id))
    )
    last = {
        delivery.webhook_id: delivery
        for delivery in session.exec(
            select(WebhookDelivery).where(col(WebhookDelivery.id).in_(newest))
        ).all()
    }
    waiting = dict(
        session.exec(
            select(WebhookDelivery.webhook_id, sa.func.count())
            .where(
                col(WebhookDelivery.webhook_id).in_(ids),
                col(WebhookDelivery.status) == DeliveryStatus.PENDING,
            )
            .group_by(col(WebhookDelivery.webhook_id))
        ).all()
    )
    rows = [
        WebhookRow(view, last.get(view.webhook.id or 0), int(waiting.get(view.webhook.id or 0, 0)))
        for view in views
    ]
    return WebhooksPage(group, rows, policy.can_manage_webhooks(actor, group))


def _webhook(session: Session, actor: Actor, webhook_id: int) -> tuple[Webhook, Group]:
    row = session.exec(
        select(Webhook, Group)
        .join(Group, col(Group.id) == Webhook.group_id)
        .where(col(Webhook.id) == webhook_id)
    ).first()
    if row is None or not policy.can_read_webhooks(actor, row[1]):
        raise NotFound("webhook")
    return row[0], row[1]


def delete(session: Session, actor: Actor, webhook_id: int) -> str:
    """Remove a webhook; returns its group's slug."""
    webhook, group = _webhook(session, actor, webhook_id)
    policy.require_webhook_manager(actor, group)
    audit.record(
        session,
        actor,
        "webhook.delete",
        target_type="webhook",
        target_id=webhook.id,
        group_id=group.id,
        before={"url": webhook.url, "events": webhook.events},
    )
    session.delete(webhook)  # its deliveries go with it; their jobs find nothing to send
    return group.slug


def deliveries(
    session: Session, actor: Actor, webhook_id: int, *, before_id: int | None, limit: int
) -> list[WebhookDelivery]:
    """The delivery log, newest first, before `before_id`."""
    _webhook(session, actor, webhook_id)
    query = select(WebhookDelivery).where(col(WebhookDelivery.webhook_id) == webhook_id)
    if before_id is not None:
        query = query.where(col(WebhookDelivery.id) < before_id)
    return list(session.exec(query.order_by(col(WebhookDelivery.id).desc()).limit(limit)))


# --- Dispatching the feed ------------------------------------------------------------


def _post_events(change: sync.PostChange) -> list[str]:
    post = change.post
    if post.deleted_at is not None:
        return ["post.deleted"]
    if post.hidden_at is not None:
        return ["post.hidden"]
    if post.version == 1:
        return ["post.created", "thread.created"] if post.position == 1 else ["post.created"]
    return ["post.updated"]


def _resource_event(change: sync.ResourceChange) -> str:
    gone = change.resource.deleted_at is not None
    return "resource.created" if change.resource.version == 1 and not gone else "resource.updated"


def _body(event: str, data: dict[str, Any], now: datetime) -> str:
    payload = {"type": event, "timestamp": now.isoformat(), "data": data}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _add(
    session: Session, webhook: Webhook, event: str, seq: int, body: str, now: datetime
) -> None:
    assert webhook.id is not None
    delivery = WebhookDelivery(
        webhook_id=webhook.id,
        message_id=f"msg_{webhook.id}_{seq}_{event}",
        event=event,
        payload=body,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    jobs.enqueue(session, DELIVER, {"delivery": delivery.id}, run_at=now)


def dispatch(session: Session, webhook: Webhook, group_slug: str) -> int:
    """One round of one webhook: the changes after its cursors become deliveries, and the
    cursors move past them, in the caller's transaction. Returns how many changes were
    read (a full batch means that more may be waiting).

    Before anything is sent, the official who made the webhook must still be one who may
    (a lead of the group or a coordinator who reads it): a webhook carries the group's
    content out, so when they may no longer, it stops and the group's leads are told."""
    now = utcnow()
    wanted = set(webhook.events)
    after = sync.Position(webhook.post_txid, webhook.post_seq)
    page = sync.group_post_changes(session, webhook.group_id, after=after, limit=BATCH)
    after = sync.Position(webhook.resource_txid, webhook.resource_seq)
    resources = sync.group_resource_changes(session, webhook.group_id, after=after, limit=BATCH)
    if not page.items and not resources.items:
        return 0
    if not _owner_may(session, webhook):
        _disable(session, webhook, now, reason=NO_OWNER)
        return 0
    titles = _titles(session, page.items, wanted)
    moved = _moved_at(session, page.items, group_slug)
    for change in page.items:
        if change.group != group_slug:
            # Moved to another group: the posts that were here leave, as tombstones that
            # say nothing of where they went (it may be a group this one's readers cannot
            # see); what is written there afterwards never was this group's.
            left = moved.get(change.post.thread_id)
            if "post.deleted" in wanted and left and change.post.created_at <= left:
                data = {"id": change.post.id, "thread_id": change.post.thread_id}
                data |= {"group": group_slug, "deleted": True, "moved": True}
                body = _body("post.deleted", data, now)
                _add(session, webhook, "post.deleted", change.post.change_seq, body, now)
            continue
        for event in _post_events(change):
            if event not in wanted:
                continue
            data = change.data()
            if event == "thread.created":
                data = {
                    "id": change.post.thread_id,
                    "group": change.group,
                    "title": titles.get(change.post.thread_id, ""),
                    "first_post": data,
                }
            _add(session, webhook, event, change.post.change_seq, _body(event, data, now), now)
    webhook.post_txid, webhook.post_seq = page.position.txid, page.position.seq
    for change in resources.items:
        event = _resource_event(change)
        if event in wanted:
            body = _body(event, change.data(), now)
            _add(session, webhook, event, change.resource.change_seq, body, now)
    webhook.resource_txid, webhook.resource_seq = (
        resources.position.txid,
        resources.position.seq,
    )
    session.add(webhook)
    return len(page.items) + len(resources.items)


NO_OWNER = "The official who made the webhook may no longer manage the group's webhooks."
FAILING = "Deliveries failed for 24 hours."


def _owner_may(session: Session, webhook: Webhook) -> bool:
    if webhook.created_by_id is None:
        return False
    group = session.get(Group, webhook.group_id)
    owner = load_actor(session, webhook.created_by_id)
    return group is not None and policy.can_read_webhooks(owner, group)


def _moved_at(session: Session, items: list[Any], group_slug: str) -> dict[int, datetime]:
    """When the discussions of `items` that are now elsewhere were moved away."""
    ids = {change.post.thread_id for change in items if change.group != group_slug}
    if not ids:
        return {}
    rows = session.exec(select(Thread.id, Thread.moved_at).where(col(Thread.id).in_(ids))).all()
    return {int(thread_id): at for thread_id, at in rows if thread_id is not None and at}


def _titles(session: Session, items: list[Any], wanted: set[str]) -> dict[int, str]:
    if "thread.created" not in wanted:
        return {}
    ids = {change.post.thread_id for change in items if change.post.position == 1}
    if not ids:
        return {}
    rows = session.exec(select(Thread.id, Thread.title).where(col(Thread.id).in_(ids))).all()
    return {int(thread_id): title for thread_id, title in rows if thread_id is not None}


def active(session: Session) -> list[tuple[int, str]]:
    """The webhooks that follow the feed now, with their group's slug."""
    rows = session.exec(
        select(Webhook.id, Group.slug)
        .join(Group, col(Group.id) == Webhook.group_id)
        .where(col(Webhook.disabled_at).is_(None))
        .order_by(col(Webhook.id))
    ).all()
    return [(int(webhook_id), slug) for webhook_id, slug in rows if webhook_id is not None]


def lock(session: Session, webhook_id: int) -> Webhook | None:
    """A webhook for one dispatch round, locked so that workers never dispatch the same
    webhook at once (PostgreSQL: skipped when another worker has it)."""
    if session.get_bind().dialect.name == "postgresql":
        # An advisory lock, not FOR UPDATE: a round that finds nothing writes nothing and
        # so takes no transaction id (which would move the feed's fence every round).
        taken = session.execute(
            sa.text("SELECT pg_try_advisory_xact_lock(:space, :id)"),
            {"space": ADVISORY_SPACE, "id": webhook_id},
        ).scalar_one()
        if not taken:
            return None
    query = select(Webhook).where(col(Webhook.id) == webhook_id, col(Webhook.disabled_at).is_(None))
    return session.exec(query).first()


ADVISORY_SPACE = 0x45524641
"""The first key of erfa's advisory locks on webhooks ("ERFA")."""


# --- Sending ------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """What a delivery job sends: None when the delivery no longer waits."""

    delivery_id: int
    url: str
    message_id: str
    secret: str
    body: str


def attempt(session: Session, delivery_id: int, key: str) -> Attempt | None:
    row = session.exec(
        select(WebhookDelivery, Webhook)
        .join(Webhook, col(Webhook.id) == WebhookDelivery.webhook_id)
        .where(col(WebhookDelivery.id) == delivery_id)
    ).first()
    if row is None:
        return None
    delivery, webhook = row
    if delivery.status is not DeliveryStatus.PENDING or webhook.disabled_at is not None:
        return None
    return Attempt(
        delivery_id,
        webhook.url,
        delivery.message_id,
        signing_secret(key, webhook.secret_nonce),
        delivery.payload,
    )


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None = None
    error: str | None = None


def record(
    session: Session,
    job_id: int,
    attempts: int,
    delivery_id: int,
    outcome: Outcome,
    *,
    now: datetime,
) -> bool:
    """Note an attempt of the claim `attempts` of the job: delivered, or the next try
    scheduled, or given up after the schedule's last try, or (after 24 hours of failures)
    the webhook disabled with its owner told. True when it was disabled. Nothing is noted
    when the claim ran out and another worker took the job: that worker notes its own."""
    if not jobs.own(session, job_id, attempts):
        return False
    query = select(WebhookDelivery).where(col(WebhookDelivery.id) == delivery_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    delivery = session.exec(query).first()
    webhook = session.get(Webhook, delivery.webhook_id) if delivery else None
    if delivery is None or webhook is None or delivery.status is not DeliveryStatus.PENDING:
        jobs.finish(session, job_id)
        return False
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_status = outcome.status
    delivery.error = None if outcome.ok else (outcome.error or "")[:500]
    if outcome.ok:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        webhook.failing_since = None
        jobs.finish(session, job_id)
        return False
    if webhook.failing_since is None:
        webhook.failing_since = now
    if now - webhook.failing_since >= GIVE_UP_AFTER:
        jobs.finish(session, job_id)
        _disable(session, webhook, now)
        return True
    if delivery.attempts >= len(SCHEDULE):
        # The schedule is spent for this message although others get through (a receiver
        # that refuses just this one): it is given up, the webhook goes on.
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        jobs.finish(session, job_id)
        return False
    delivery.next_attempt_at = now + SCHEDULE[delivery.attempts]
    jobs.retry(session, job_id, at=delivery.next_attempt_at, error=delivery.error)
    return False


def _disable(session: Session, webhook: Webhook, now: datetime, *, reason: str = FAILING) -> None:
    """Stop a webhook: its waiting deliveries are given up, the act is audited, and who
    made it (while they may still see the group's webhooks) and the group's leads are told."""
    assert webhook.id is not None
    webhook.disabled_at = now
    webhook.disabled_reason = reason
    session.execute(
        sa.update(WebhookDelivery)
        .where(
            col(WebhookDelivery.webhook_id) == webhook.id,
            col(WebhookDelivery.status) == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.FAILED, next_attempt_at=None)
    )
    group = session.get(Group, webhook.group_id)
    assert group is not None
    owners = set(notifications.group_leads(session, group.id))
    if webhook.created_by_id and reason != NO_OWNER:
        owners.add(webhook.created_by_id)
    audit.record(
        session,
        SYSTEM,
        "webhook.disable",
        target_type="webhook",
        target_id=webhook.id,
        group_id=group.id,
        reason=webhook.disabled_reason,
    )
    why = "owner" if reason == NO_OWNER else "failing"
    notifications.tell(
        session, SYSTEM, owners, NotificationKind.WEBHOOK_DISABLED, group=group, outcome=why
    )
    people = session.exec(
        select(User).where(col(User.id).in_(owners), User.status == UserStatus.ACTIVE)
    ).all()
    for person in people:
        outbox.queue(
            session,
            "webhook_disabled",
            to=person.email,
            locale=person.locale.value,
            name=person.name,
            group=group.name,
            url=webhook.url,
            why=why,
            path=f"/g/{group.slug}/webhooks",
        )
