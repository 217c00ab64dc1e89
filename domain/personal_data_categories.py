"""What the personal-data export holds: one `Category` per `data/<name>.json`.

Each category is one statement over the official's rows. `COVERED` names every column
through which a row belongs to (or speaks of) an official: every foreign key to
`user_account.id`, the audit log's plain ids, and the sign-up requests' email. A test
walks the metadata and fails on a reference it does not name. Secrets are never
selected (no token digests), and what a row says about someone else stays out: the
earlier wording of another's post, the details of what the official did to others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select

from models import (
    Adoption,
    ApiToken,
    Attachment,
    AuditEntry,
    Event,
    EventDocument,
    Flag,
    Group,
    Invitation,
    JoinRequest,
    Membership,
    Notification,
    PasswordReset,
    Post,
    PostRevision,
    Registration,
    Resource,
    ResourceGoal,
    SignupRequest,
    Subscription,
    Thread,
    ThreadRead,
    User,
    Webhook,
    WebhookDelivery,
    WebSession,
)


@dataclass(frozen=True)
class Category:
    name: str
    """The file: `data/<name>.json`."""
    covers: tuple[tuple[str, str], ...]
    """The (table, column) references to the official this category answers for."""
    query: Callable[[User], sa.Select[Any]]
    key: str = "id"
    """The field that identifies a row (tests look rows up by it)."""


def _rows(
    name: str, covers: tuple[tuple[str, str], ...], *columns: Any, key: str = "id"
) -> Callable[[Callable[[User], ColumnElement[bool]]], Category]:
    """A category selecting `columns` where the decorated condition holds, in key order."""

    def make(where: Callable[[User], ColumnElement[bool]]) -> Category:
        def query(user: User) -> sa.Select[Any]:
            first = columns[0]
            return sa.select(*columns).where(where(user)).order_by(first)

        return Category(name, covers, query, key)

    return make


def _cols(model: Any, *names: str) -> list[Any]:
    return [col(getattr(model, name)) for name in names]


def _names(words: str) -> list[str]:
    return words.split()


RESOURCE_FIELDS = _names(
    "id group_id thread_id title summary kind municipality_id contact_name contact_email link "
    "background purpose implementation results lessons institution authors published_year "
    "doi implications theme_id adoption_count version created_at updated_at deleted_at"
)
EVENT_FIELDS = _names(
    "id kind title description starts_at ends_at place online_url group_id theme_id capacity "
    "registration_closes_at thread_id minutes registered_count waiting_count cancelled_at "
    "cancel_reason created_at updated_at"
)
FILE_FIELDS = _names("id filename content_type size sha256 created_at")


def _mine(column: Any) -> Callable[[User], ColumnElement[bool]]:
    return lambda user: col(column) == user.id


def _audit_about(user: User) -> ColumnElement[bool]:
    """Entries about the official or about what is theirs."""
    owned = {
        "post": select(Post.id).where(Post.author_id == user.id).scalar_subquery(),
        "thread": select(Thread.id).where(Thread.author_id == user.id).scalar_subquery(),
        "api_token": select(ApiToken.id).where(ApiToken.user_id == user.id).scalar_subquery(),
        "join_request": select(JoinRequest.id)
        .where(JoinRequest.user_id == user.id)
        .scalar_subquery(),
        "signup_request": select(SignupRequest.id)
        .where(SignupRequest.email == user.email)
        .scalar_subquery(),
    }
    return sa.or_(
        sa.and_(col(AuditEntry.target_type) == "user", col(AuditEntry.target_id) == user.id),
        *(
            sa.and_(col(AuditEntry.target_type) == kind, col(AuditEntry.target_id).in_(ids))
            for kind, ids in owned.items()
        ),
    )


def _audit_entries(user: User) -> sa.Select[Any]:
    """The entries the official made, and those about them or what is theirs. Of an entry
    they only made, about someone or something else, the what, whom and when: its reason,
    before, after and detail speak of others (GDPR art. 15(4)), and stay out."""
    about = _audit_about(user)
    details = [
        sa.case((about, getattr(AuditEntry, name)), else_=None).label(name)
        for name in ("reason", "before", "after", "detail")
    ]
    return (
        sa.select(
            *_cols(AuditEntry, "id", "created_at", "actor_id", "action", "target_type"),
            *_cols(AuditEntry, "target_id", "group_id"),
            *details,
        )
        .where(sa.or_(col(AuditEntry.actor_id) == user.id, about))
        .order_by(col(AuditEntry.id))
    )


def _own_post_revision(user: User) -> ColumnElement[bool]:
    mine = select(Post.id).where(Post.author_id == user.id).scalar_subquery()
    return sa.or_(col(PostRevision.post_id).in_(mine), col(PostRevision.edited_by_id) == user.id)


def _own_webhook_delivery(user: User) -> ColumnElement[bool]:
    mine = select(Webhook.id).where(Webhook.created_by_id == user.id).scalar_subquery()
    return col(WebhookDelivery.webhook_id).in_(mine)


_post_author = select(Post.author_id).where(Post.id == PostRevision.post_id).scalar_subquery()

CATEGORIES: tuple[Category, ...] = (
    _rows(
        "memberships",
        (("membership", "user_id"),),
        *_cols(Membership, "id", "group_id", "role", "created_at"),
        col(Group.slug).label("group_slug"),
    )(
        lambda user: sa.and_(
            col(Membership.user_id) == user.id, col(Group.id) == col(Membership.group_id)
        )
    ),
    _rows(
        "join_requests",
        (("join_request", "user_id"),),
        *_cols(JoinRequest, "id", "group_id", "message", "status", "created_at", "decided_at"),
    )(_mine(JoinRequest.user_id)),
    _rows(
        "join_requests_decided",
        (("join_request", "decided_by_id"),),
        *_cols(JoinRequest, "id", "group_id", "status", "decided_at"),
    )(_mine(JoinRequest.decided_by_id)),
    _rows(
        "threads",
        (("thread", "author_id"),),
        *_cols(Thread, "id", "group_id", "title", "pinned", "locked", "theme_id"),
        *_cols(Thread, "created_at", "updated_at"),
    )(_mine(Thread.author_id)),
    _rows(
        "posts",
        (("post", "author_id"),),
        *_cols(Post, "id", "thread_id", "position", "reply_to_id", "body", "version"),
        *_cols(Post, "created_at", "edited_at", "deleted_at", "hidden_at", "hidden_reason"),
    )(_mine(Post.author_id)),
    Category(
        "post_revisions",
        (("post_revision", "edited_by_id"),),
        lambda user: (
            sa.select(
                *_cols(PostRevision, "id", "post_id", "version", "edited_by_id", "created_at"),
                # The earlier wording of someone else's post is theirs, not the editor's.
                sa.case((_post_author == user.id, col(PostRevision.body)), else_=None).label(
                    "body"
                ),
            )
            .where(_own_post_revision(user))
            .order_by(col(PostRevision.id))
        ),
    ),
    _rows(
        "posts_hidden",
        (("post", "hidden_by_id"),),
        *_cols(Post, "id", "thread_id", "hidden_at", "hidden_reason"),
    )(_mine(Post.hidden_by_id)),
    _rows("resources", (("resource", "author_id"),), *_cols(Resource, *RESOURCE_FIELDS))(
        _mine(Resource.author_id)
    ),
    _rows(
        "resource_goals",
        (),
        *_cols(ResourceGoal, "resource_id", "goal_id"),
        key="resource_id",
    )(
        lambda user: col(ResourceGoal.resource_id).in_(
            select(Resource.id).where(Resource.author_id == user.id).scalar_subquery()
        )
    ),
    _rows(
        "resources_as_contact",
        (("resource", "contact_user_id"),),
        *_cols(Resource, "id", "group_id", "title", "contact_name", "contact_email"),
    )(_mine(Resource.contact_user_id)),
    _rows(
        "attachments",
        (("attachment", "uploaded_by_id"),),
        *_cols(Attachment, *FILE_FIELDS, "resource_id", "storage_name"),
    )(_mine(Attachment.uploaded_by_id)),
    _rows(
        "event_documents",
        (("event_document", "uploaded_by_id"),),
        *_cols(EventDocument, *FILE_FIELDS, "event_id", "storage_name"),
    )(_mine(EventDocument.uploaded_by_id)),
    _rows(
        "adoptions",
        (("adoption", "recorded_by_id"),),
        *_cols(Adoption, "id", "resource_id", "municipality_id", "adopted_on", "summary"),
        *_cols(Adoption, "outcome", "created_at", "updated_at"),
    )(_mine(Adoption.recorded_by_id)),
    _rows(
        "event_registrations",
        (("registration", "user_id"),),
        *_cols(Registration, "id", "event_id", "status", "created_at", "moved_up_at"),
    )(_mine(Registration.user_id)),
    _rows("events_arranged", (("event", "created_by_id"),), *_cols(Event, *EVENT_FIELDS))(
        _mine(Event.created_by_id)
    ),
    _rows(
        "flags",
        (("flag", "user_id"),),
        *_cols(Flag, "id", "post_id", "group_id", "reason", "status", "created_at"),
        *_cols(Flag, "resolved_at", "resolution_reason"),
    )(_mine(Flag.user_id)),
    _rows(
        "flags_resolved",
        (("flag", "resolved_by_id"),),
        *_cols(Flag, "id", "post_id", "group_id", "status", "resolved_at", "resolution_reason"),
    )(_mine(Flag.resolved_by_id)),
    _rows(
        "notifications",
        (("notification", "user_id"),),
        *_cols(Notification, "id", "kind", "actor_id", "group_id", "thread_id", "post_id"),
        *_cols(Notification, "event_id", "outcome", "created_at", "read_at", "mailed_at"),
    )(_mine(Notification.user_id)),
    _rows(
        "notifications_caused",
        (("notification", "actor_id"),),
        *_cols(Notification, "id", "kind", "group_id", "thread_id", "post_id", "event_id"),
        col(Notification.created_at),
    )(_mine(Notification.actor_id)),
    _rows(
        "subscriptions",
        (("subscription", "user_id"),),
        *_cols(Subscription, "id", "thread_id", "group_id", "created_at"),
    )(_mine(Subscription.user_id)),
    _rows(
        "thread_read_markers",
        (("thread_read", "user_id"),),
        *_cols(ThreadRead, "thread_id", "last_read_position", "updated_at"),
        key="thread_id",
    )(_mine(ThreadRead.user_id)),
    _rows(
        "web_sessions",
        (("web_session", "user_id"),),
        *_cols(WebSession, "id", "created_at", "last_seen_at", "expires_at", "revoked_at"),
        *_cols(WebSession, "ip", "user_agent"),
    )(_mine(WebSession.user_id)),
    _rows(
        "api_tokens",
        (("api_token", "user_id"),),
        *_cols(ApiToken, "id", "name", "prefix", "scopes", "created_at", "expires_at"),
        *_cols(ApiToken, "last_used_at", "revoked_at"),
    )(_mine(ApiToken.user_id)),
    _rows(
        "webhooks",
        (("webhook", "created_by_id"),),
        *_cols(Webhook, "id", "group_id", "url", "events", "created_at", "failing_since"),
        *_cols(Webhook, "disabled_at", "disabled_reason"),
    )(_mine(Webhook.created_by_id)),
    _rows(
        "webhook_deliveries",
        (),
        *_cols(WebhookDelivery, "id", "webhook_id", "message_id", "event", "status"),
        *_cols(WebhookDelivery, "attempts", "response_status", "error", "created_at"),
        *_cols(WebhookDelivery, "last_attempt_at", "delivered_at"),
    )(_own_webhook_delivery),
    _rows(
        "invitations",
        (("invitation", "user_id"),),
        *_cols(Invitation, "id", "invited_by_id", "group_id", "created_at", "expires_at"),
        col(Invitation.accepted_at),
    )(_mine(Invitation.user_id)),
    _rows(
        "invitations_sent",
        (("invitation", "invited_by_id"),),
        *_cols(Invitation, "id", "user_id", "group_id", "created_at", "accepted_at"),
    )(_mine(Invitation.invited_by_id)),
    _rows(
        "password_resets",
        (("password_reset", "user_id"),),
        *_cols(PasswordReset, "id", "created_at", "expires_at", "used_at"),
    )(_mine(PasswordReset.user_id)),
    _rows(
        "signup_requests",
        (("signup_request", "email"),),
        *_cols(SignupRequest, "id", "email", "name", "title", "municipality_id", "status"),
        *_cols(SignupRequest, "created_at", "decided_at"),
    )(lambda user: col(SignupRequest.email) == user.email),
    _rows(
        "signup_requests_decided",
        (("signup_request", "decided_by_id"),),
        *_cols(SignupRequest, "id", "municipality_id", "status", "decided_at"),
    )(_mine(SignupRequest.decided_by_id)),
    Category(
        "audit_entries",
        (("audit_entry", "actor_id"), ("audit_entry", "target_id")),
        _audit_entries,
    ),
)

COVERED: dict[tuple[str, str], str] = {
    reference: category.name for category in CATEGORIES for reference in category.covers
}
"""Every (table, column) that refers to an official, and the category that exports it."""

PROFILE_FIELDS = _names(
    "id email handle name title municipality_id is_coordinator is_representative status "
    "locale mail_pace created_at updated_at last_login_at last_active_at suspended_at "
    "credentials_revoked_at"
)
