"""Durable jobs, and the webhooks that mirror a group's changes to an integrator."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, created_at_field, enum_field, text_field, timestamp_field
from models.enums import DeliveryStatus


class Job(SQLModel, table=True):
    """Work that must not be lost but need not happen inside a request. Written in the
    transaction of the change that causes it; a worker claims it (a lease in `locked_until`,
    `FOR UPDATE SKIP LOCKED` on PostgreSQL), runs it and deletes it, or sets `run_at` to
    the next attempt. A worker that dies mid-job leaves a lease that runs out."""

    __tablename__ = "job"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64)
    payload: dict[str, object] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    run_at: datetime = created_at_field()
    locked_until: datetime | None = timestamp_field()
    attempts: int = Field(default=0, nullable=False)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = created_at_field()

    __table_args__ = (sa.Index("ix_job_due", "run_at"),)


class Webhook(SQLModel, table=True):
    """A consumer of the changes feed with its own cursor, one per integrator and group.

    The signing secret is not stored: it is derived from the instance's secret key and
    `secret_nonce` (`domain/webhooks.py`), shown once when the webhook is made."""

    __tablename__ = "webhook"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", ondelete="CASCADE", index=True)
    created_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL", index=True
    )
    url: str = Field(max_length=2048)
    events: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    secret_nonce: str = Field(max_length=64)
    post_txid: int = Field(default=0, sa_type=sa.BigInteger, nullable=False)
    post_seq: int = Field(default=0, sa_type=sa.BigInteger, nullable=False)
    resource_txid: int = Field(default=0, sa_type=sa.BigInteger, nullable=False)
    resource_seq: int = Field(default=0, sa_type=sa.BigInteger, nullable=False)
    failing_since: datetime | None = timestamp_field()
    """The first failed attempt since the last success: 24 hours later the webhook stops."""
    disabled_at: datetime | None = timestamp_field()
    disabled_reason: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = created_at_field()


class WebhookDelivery(SQLModel, table=True):
    """One message to a webhook (the delivery log), sent by a `webhook.deliver` job."""

    __tablename__ = "webhook_delivery"

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: int = Field(foreign_key="webhook.id", ondelete="CASCADE")
    message_id: str = Field(max_length=64, unique=True)
    """The `webhook-id` header: the same on every attempt, so receivers de-duplicate."""
    event: str = Field(max_length=32)
    payload: str = text_field()
    """The exact JSON body that is signed and sent."""
    status: DeliveryStatus = enum_field(
        DeliveryStatus, "delivery_status", default=DeliveryStatus.PENDING
    )
    attempts: int = Field(default=0, nullable=False)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    last_attempt_at: datetime | None = timestamp_field()
    response_status: int | None = Field(default=None)
    error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = created_at_field()
    delivered_at: datetime | None = timestamp_field()

    __table_args__ = (sa.Index("ix_webhook_delivery_log", "webhook_id", "id"),)
