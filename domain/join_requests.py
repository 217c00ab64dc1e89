"""Requests to join a closed group: asking (an open group is joined at once), and the
leads' answer. The leads hear of a request, the official who asked of its answer; asking
again after a denial is a new request. An archived group takes no new members.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import audit, directory, memberships, notifications, policy
from domain.actor import Actor
from domain.errors import Conflict, Forbidden, NotFound
from models import (
    Group,
    JoinRequest,
    JoinRequestStatus,
    MemberRole,
    Membership,
    Municipality,
    NotificationKind,
    User,
    Visibility,
    utcnow,
)


@dataclass(frozen=True)
class JoinRequestView:
    request: JoinRequest
    group: str
    applicant: str = ""
    """Name, title and municipality of who asks, as the leads see it."""


@dataclass(frozen=True)
class JoinOutcome:
    membership: Membership | None
    request: JoinRequest | None


def join_group(session: Session, actor: Actor, *, slug: str, message: str = "") -> JoinOutcome:
    """Open groups: a membership at once. Closed groups: a request the leads decide on,
    and are told about. Asking again after a denial is a new request."""
    policy.require_write_access(actor)
    group = policy.require_visible_group(actor, directory.group_by_slug(session, slug))
    assert group.id is not None
    assert actor.user_id is not None
    existing = memberships.membership_of(session, group.id, actor.user_id)
    if existing is not None:
        return JoinOutcome(existing, None)
    policy.require_open_to_new_members(group)
    if group.visibility is Visibility.OPEN:
        membership = memberships.add_membership(session, group, actor.user_id, MemberRole.MEMBER)
        return JoinOutcome(membership, None)
    if group.visibility is Visibility.SECRET:
        raise Forbidden("Secret groups take members by invitation only.")
    pending = session.exec(
        select(JoinRequest).where(
            JoinRequest.group_id == group.id,
            JoinRequest.user_id == actor.user_id,
            JoinRequest.status == JoinRequestStatus.PENDING,
        )
    ).first()
    if pending is None:
        pending = JoinRequest(group_id=group.id, user_id=actor.user_id, message=message[:2000])
        session.add(pending)
        session.flush()
        leads = notifications.group_leads(session, group.id)
        notifications.tell(session, actor, leads, NotificationKind.JOIN_REQUEST, group=group)
    return JoinOutcome(None, pending)


def list_join_requests(session: Session, actor: Actor, *, slug: str) -> list[JoinRequestView]:
    group = policy.require_administrable_group(actor, directory.group_by_slug(session, slug))
    policy.require_member_reviewer(actor, group)
    rows = session.exec(
        select(JoinRequest, User, col(Municipality.name))
        .join(User, col(User.id) == JoinRequest.user_id)
        .join(Municipality, col(Municipality.id) == User.municipality_id)
        .where(JoinRequest.group_id == group.id, JoinRequest.status == JoinRequestStatus.PENDING)
        .order_by(col(JoinRequest.id))
    ).all()
    return [
        JoinRequestView(request, group.slug, f"{user.name}, {user.title}, {municipality}")
        for request, user, municipality in rows
    ]


def decide_join_request(
    session: Session, actor: Actor, *, request_id: int, approve: bool
) -> JoinRequestView:
    """Approve (a membership) or deny a pending request; who asked is told either way.
    A request decided meanwhile, by another lead say, is a Conflict."""
    request = session.get(JoinRequest, request_id)
    group = session.get(Group, request.group_id) if request else None
    if request is None or group is None or not policy.can_review_members(actor, group):
        raise NotFound("join request")  # one answer for others' requests and made-up ids
    policy.require_member_manager(actor, group)
    if approve:
        policy.require_open_to_new_members(group)
    status = JoinRequestStatus.APPROVED if approve else JoinRequestStatus.DENIED
    decided = session.execute(
        sa.update(JoinRequest)
        .where(
            col(JoinRequest.id) == request_id, col(JoinRequest.status) == JoinRequestStatus.PENDING
        )
        .values(status=status, decided_at=utcnow(), decided_by_id=actor.user_id or None)
    )
    if decided.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("The request has been decided already.")
    session.refresh(request)
    if approve and memberships.membership_of(session, request.group_id, request.user_id) is None:
        memberships.add_membership(session, group, request.user_id, MemberRole.MEMBER)
    audit.record(
        session,
        actor,
        f"join_request.{'approve' if approve else 'deny'}",
        target_type="join_request",
        target_id=request.id,
        group_id=group.id,
        before={"status": JoinRequestStatus.PENDING.value},
        after={"status": status.value},
        user_id=request.user_id,
    )
    outcome = "approved" if approve else "denied"
    notifications.tell(
        session,
        actor,
        [request.user_id],
        NotificationKind.JOIN_ANSWER,
        group=group,
        outcome=outcome,
    )
    return JoinRequestView(request, group.slug, _applicant(session, request.user_id))


def _applicant(session: Session, user_id: int) -> str:
    row = session.exec(
        select(User, col(Municipality.name))
        .join(Municipality, col(Municipality.id) == User.municipality_id)
        .where(col(User.id) == user_id)
    ).first()
    return f"{row[0].name}, {row[0].title}, {row[1]}" if row else ""
