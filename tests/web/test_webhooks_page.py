"""A group's webhooks page: leads see how deliveries go, add a webhook (its secret shown
once), remove one; everyone else is turned away as the API turns them away."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from models import (
    AuditEntry,
    DeliveryStatus,
    Group,
    Locale,
    MemberRole,
    User,
    Visibility,
    Webhook,
    WebhookDelivery,
    utcnow,
)
from tests.factories import make_group, make_membership, make_user

Browser = Callable[[User], TestClient]
PUBLIC = "https://93.184.215.14/erfa"
"""A public address given as an IP literal: checked without asking DNS."""


@dataclass
class Team:
    group: Group
    secret: Group
    lead: User
    member: User
    coordinator: User


@pytest.fixture
def team(session: Session) -> Team:
    group = make_group(session, slug="krok-w", name="Krok W")
    secret = make_group(session, slug="hemlig-kw", name="Hemlig KW", visibility=Visibility.SECRET)
    lead = make_user(session, name="Lena Lead")
    member = make_user(session, name="Maja Medlem", locale=Locale.EN)
    coordinator = make_user(session, name="Cecilia Coordinator", is_coordinator=True)
    make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
    make_membership(session, group=group, user=member)
    make_membership(session, group=secret, user=member, role=MemberRole.LEAD)
    return Team(group, secret, lead, member, coordinator)


def add(client: TestClient, slug: str, url: str, events: list[str]) -> httpx.Response:
    return client.post(f"/g/{slug}/webhooks", data={"url": url, "events": events})


def test_a_lead_adds_a_webhook_and_sees_its_secret_once(
    browser_as: Browser, session: Session, team: Team
) -> None:
    lead = browser_as(team.lead)
    settings = lead.get("/g/krok-w/settings")
    assert 'href="/g/krok-w/webhooks"' in settings.text
    made = lead.post(
        "/g/krok-w/webhooks", data={"url": PUBLIC, "events": ["post.created", "thread.created"]}
    )
    assert made.status_code == 201, made.text
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", made.text)
    assert secret is not None
    assert "Signeringshemligheten visas bara den här gången" in made.text
    webhook = session.exec(select(Webhook).where(Webhook.url == PUBLIC)).one()
    assert webhook.events == ["post.created", "thread.created"]
    again = lead.get("/g/krok-w/webhooks")
    assert PUBLIC in again.text
    assert secret.group(0) not in again.text  # shown once
    assert "Aktiv" in again.text
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "webhook.create")).one()


def test_the_page_shows_how_deliveries_go(
    browser_as: Browser, session: Session, team: Team
) -> None:
    assert team.group.id is not None
    webhook = Webhook(
        group_id=team.group.id,
        url=PUBLIC,
        events=["post.created"],
        secret_nonce="n",
        failing_since=utcnow(),
    )
    session.add(webhook)
    session.flush()
    assert webhook.id is not None
    for n, status in enumerate([DeliveryStatus.DELIVERED, DeliveryStatus.PENDING]):
        session.add(
            WebhookDelivery(
                webhook_id=webhook.id,
                message_id=f"msg_t_{n}",
                event="post.created",
                payload=json.dumps({}),
                status=status,
                response_status=503 if n else 204,
                attempts=1,
            )
        )
    session.flush()
    page = browser_as(team.member).get("/g/krok-w/webhooks")  # a member: not theirs to see
    assert page.status_code == 403
    page = browser_as(team.lead).get("/g/krok-w/webhooks")
    assert page.status_code == 200
    assert "Misslyckas" in page.text
    assert "1 leverans väntar" in page.text
    assert "HTTP 503" in page.text


def test_refused_addresses_are_explained_and_the_form_kept(
    browser_as: Browser, session: Session, team: Team
) -> None:
    refused = add(browser_as(team.lead), "krok-w", "http://10.0.0.7/hook", ["post.created"])
    assert refused.status_code == 422
    text = refused.text
    assert "privata" in text
    assert 'value="http://10.0.0.7/hook"' in text
    none = add(browser_as(team.lead), "krok-w", PUBLIC, [])
    assert none.status_code == 422
    assert session.exec(select(Webhook)).all() == []


def test_a_lead_removes_a_webhook(browser_as: Browser, session: Session, team: Team) -> None:
    lead = browser_as(team.lead)
    add(lead, "krok-w", PUBLIC, ["post.created"])
    webhook = session.exec(select(Webhook)).one()
    removed = lead.post(f"/webhooks/{webhook.id}/delete")
    assert removed.status_code == 303
    assert removed.headers["location"] == "/g/krok-w/webhooks?notice=deleted"
    session.expire_all()
    assert session.exec(select(Webhook)).all() == []


def test_others_cannot_add_remove_or_see(
    browser_as: Browser, client: TestClient, session: Session, team: Team
) -> None:
    member = browser_as(team.member)
    assert add(member, "krok-w", PUBLIC, ["post.created"]).status_code == 403
    add(member, "hemlig-kw", PUBLIC, ["post.created"])  # the member leads the secret group
    hidden = session.exec(select(Webhook)).one()
    coordinator = browser_as(team.coordinator)
    assert coordinator.get("/g/hemlig-kw/webhooks").status_code == 404
    assert coordinator.post(f"/webhooks/{hidden.id}/delete").status_code == 404
    lead = browser_as(team.lead)
    assert lead.post(f"/webhooks/{hidden.id}/delete").status_code == 404
    lead.headers.pop("X-CSRF-Token")
    assert add(lead, "krok-w", PUBLIC, ["post.created"]).status_code == 403
    assert client.get("/g/krok-w/webhooks", follow_redirects=False).status_code in (303, 401)
    session.expire_all()
    assert len(session.exec(select(Webhook)).all()) == 1
