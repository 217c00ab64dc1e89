"""Sign-up requests: a person with a municipal email address asks for an account.

The address's domain must be one a member municipality listed; a coordinator approves
(which sends an invitation) or denies. The answer to the asker never tells whether the
address already has an account.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from domain import audit, outbox, policy, users
from domain.actor import Actor
from domain.errors import Conflict, Invalid, NotFound
from models import (
    Municipality,
    MunicipalityDomain,
    SignupRequest,
    SignupStatus,
    User,
    UserStatus,
    utcnow,
)


def request_account(session: Session, *, email: str, name: str, title: str = "") -> None:
    email = users.normalize_email(email)
    name, title = name.strip(), title.strip()
    if not name or len(name) > 120:
        raise Invalid.field("name", "Fill in your name (at most 120 characters).")
    domain = email.rsplit("@", 1)[1]
    home = session.exec(
        select(MunicipalityDomain).where(MunicipalityDomain.domain == domain)
    ).first()
    if home is None:
        raise Invalid.field(
            "email", "Use the email address of a member municipality.", "not-municipal"
        )
    if users.user_by_email(session, email) is not None or _pending(session, email) is not None:
        return
    request = SignupRequest(
        email=email, name=name, title=title[:120], municipality_id=home.municipality_id
    )
    session.add(request)
    session.flush()
    municipality = session.get(Municipality, home.municipality_id)
    coordinators = select(User).where(
        col(User.is_coordinator).is_(True), User.status == UserStatus.ACTIVE
    )
    for coordinator in session.exec(coordinators).all():
        outbox.queue(
            session,
            "signup_received",
            to=coordinator.email,
            locale=coordinator.locale.value,
            name=name,
            email=email,
            municipality=municipality.name if municipality else "",
            path="/admin/signups",
        )


def list_requests(session: Session, actor: Actor) -> list[tuple[SignupRequest, str]]:
    policy.require_administrator(actor)
    rows = session.exec(
        select(SignupRequest, col(Municipality.name))
        .join(Municipality, col(Municipality.id) == SignupRequest.municipality_id)
        .where(SignupRequest.status == SignupStatus.PENDING)
        .order_by(col(SignupRequest.id))
    ).all()
    return [(request, municipality) for request, municipality in rows]


def decide(session: Session, actor: Actor, *, request_id: int, approve: bool) -> SignupRequest:
    policy.require_administrator(actor)
    request = session.get(SignupRequest, request_id)
    if request is None:
        raise NotFound("sign-up request")
    if request.status is not SignupStatus.PENDING:
        raise Conflict("The request has been decided already.")
    request.status = SignupStatus.APPROVED if approve else SignupStatus.DENIED
    request.decided_at = utcnow()
    request.decided_by_id = actor.user_id or None
    invited: int | None = None
    if approve and users.user_by_email(session, request.email) is None:
        municipality = session.get(Municipality, request.municipality_id)
        assert municipality is not None
        invited = users.invite_official(
            session,
            actor,
            email=request.email,
            name=request.name,
            municipality=municipality.slug,
            title=request.title,
            audited=False,
        ).id
    audit.record(
        session,
        actor,
        "signup.approve" if approve else "signup.deny",
        target_type="signup_request",
        target_id=request.id,
        before={"status": "pending"},
        after={"status": request.status.value, "email": request.email, "invited_user": invited},
    )
    session.flush()
    return request


def _pending(session: Session, email: str) -> SignupRequest | None:
    return session.exec(
        select(SignupRequest).where(
            SignupRequest.email == email, SignupRequest.status == SignupStatus.PENDING
        )
    ).first()
