"""Webhooks through the API: group leads and coordinators point a group's changes at an
integrator's address. Deliveries follow Standard Webhooks; how they are made and why none
is lost: `domain/webhooks.py`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.auth import ApiActor
from api.pagination import Page
from api.problems import problem_responses
from api.schemas import ListOut
from domain import webhooks
from erfa.deps import IdPath, SessionDep, SettingsDep
from erfa.settings import derive_key
from models import DeliveryStatus, WebhookDelivery

router = APIRouter(tags=["webhooks"])

Event = Literal[
    "post.created",
    "post.updated",
    "post.deleted",
    "post.hidden",
    "thread.created",
    "resource.created",
    "resource.updated",
]


class WebhookIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://intranet.example.se/erfa-hook",
                    "events": ["post.created", "post.updated", "post.deleted", "post.hidden"],
                }
            ]
        }
    )

    url: str = Field(max_length=webhooks.MAX_URL, description="An http(s) address on the internet.")
    events: list[Event] = Field(min_length=1, max_length=len(webhooks.EVENTS))


class WebhookOut(BaseModel):
    id: int
    group: str
    url: str
    events: list[str]
    created_at: datetime
    created_by: str | None
    active: bool
    failing_since: datetime | None = Field(
        description="The first failed delivery since the last success; 24 hours later "
        "the webhook is disabled."
    )
    disabled_at: datetime | None
    disabled_reason: str | None

    @classmethod
    def from_view(cls, view: webhooks.WebhookView) -> WebhookOut:
        hook = view.webhook
        assert hook.id is not None
        return cls(
            id=hook.id,
            group=view.group,
            url=hook.url,
            events=list(hook.events),
            created_at=hook.created_at,
            created_by=view.created_by,
            active=hook.disabled_at is None,
            failing_since=hook.failing_since,
            disabled_at=hook.disabled_at,
            disabled_reason=hook.disabled_reason,
        )


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(
        description="The signing secret (`whsec_…`): shown this once, keep it with the receiver."
    )


class DeliveryOut(BaseModel):
    id: int
    message_id: str = Field(description="The `webhook-id` header, the same on every attempt.")
    event: str
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    response_status: int | None
    error: str | None
    delivered_at: datetime | None

    @classmethod
    def from_model(cls, delivery: WebhookDelivery) -> DeliveryOut:
        assert delivery.id is not None
        return cls(
            id=delivery.id,
            message_id=delivery.message_id,
            event=delivery.event,
            status=delivery.status,
            attempts=delivery.attempts,
            created_at=delivery.created_at,
            last_attempt_at=delivery.last_attempt_at,
            next_attempt_at=delivery.next_attempt_at,
            response_status=delivery.response_status,
            error=delivery.error,
            delivered_at=delivery.delivered_at,
        )


@router.get("/groups/{slug}/webhooks", responses=problem_responses(401, 403, 404, 422))
def list_webhooks(
    slug: str, session: SessionDep, actor: ApiActor, page: Page
) -> ListOut[WebhookOut]:
    """The group's webhooks in the order they were made (its leads and the coordinators
    who read it)."""
    position = page.position("webhooks")
    views = webhooks.list_for_group(
        session,
        actor,
        slug,
        after_id=int(position["id"]) if position else None,
        limit=page.fetch,
    )
    items, next_cursor = page.window("webhooks", views, lambda view: {"id": view.webhook.id})
    return ListOut(items=[WebhookOut.from_view(view) for view in items], next_cursor=next_cursor)


@router.post(
    "/groups/{slug}/webhooks",
    status_code=201,
    responses=problem_responses(401, 403, 404, 422),
)
def create_webhook(
    slug: str, data: WebhookIn, session: SessionDep, actor: ApiActor, settings: SettingsDep
) -> WebhookCreatedOut:
    """A webhook of the group: from now on its changes of the chosen `events` are sent to
    `url`, signed with the `secret` of the answer. Private, loopback and link-local
    addresses are refused (422)."""
    created = webhooks.create(
        session,
        actor,
        slug,
        url=data.url,
        events=data.events,
        key=derive_key(settings.secret_key, "webhook-secret"),
        allow_private=settings.webhook_allow_private,
    )
    out = WebhookOut.from_view(created.view)
    return WebhookCreatedOut(**out.model_dump(), secret=created.secret)


@router.delete(
    "/webhooks/{webhook_id}", status_code=204, responses=problem_responses(401, 403, 404)
)
def delete_webhook(webhook_id: IdPath, session: SessionDep, actor: ApiActor) -> None:
    """Stop and remove a webhook with its delivery log."""
    webhooks.delete(session, actor, webhook_id)


@router.get("/webhooks/{webhook_id}/deliveries", responses=problem_responses(401, 404, 422))
def list_deliveries(
    webhook_id: IdPath, session: SessionDep, actor: ApiActor, page: Page
) -> ListOut[DeliveryOut]:
    """The delivery log, newest first: each message with its attempts and last answer."""
    position = page.position("webhook-deliveries")
    rows = webhooks.deliveries(
        session,
        actor,
        webhook_id,
        before_id=int(position["id"]) if position else None,
        limit=page.fetch,
    )
    items, next_cursor = page.window("webhook-deliveries", rows, lambda row: {"id": row.id})
    return ListOut(items=[DeliveryOut.from_model(row) for row in items], next_cursor=next_cursor)
