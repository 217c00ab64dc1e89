"""Who is acting: loaded once per request with its memberships, so checks are set look-ups."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, col

from models import Locale, MemberRole, Membership, Scope, User, UserStatus


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    name: str = ""
    is_coordinator: bool = False
    active: bool = False
    roles: dict[int, MemberRole] = field(default_factory=dict)
    scopes: frozenset[Scope] = frozenset({Scope.READ, Scope.WRITE})
    """What the credential allows: a read-only API token narrows an official to reading."""
    locale: str | None = None
    email: str = ""
    municipality_id: int | None = None
    """The official's own municipality: what forms preselect and reports default to."""

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None and self.active

    def is_member(self, group_id: int | None) -> bool:
        return self.signed_in and group_id in self.roles

    def is_lead(self, group_id: int | None) -> bool:
        return (
            self.signed_in and group_id is not None and self.roles.get(group_id) is MemberRole.LEAD
        )

    @property
    def member_group_ids(self) -> frozenset[int]:
        return frozenset(self.roles) if self.signed_in else frozenset()


ANONYMOUS = Actor()
SYSTEM = Actor(user_id=0, name="system", is_coordinator=True, active=True)
"""The CLI and seeding act as SYSTEM: the operator at the console runs the installation."""


_ROLES = sa.select(col(Membership.group_id), col(Membership.role)).where(
    col(Membership.user_id) == sa.bindparam("user_id")
)
"""Built once: every request that names its official sends it."""


def load_actor(
    session: Session,
    user_id: int,
    *,
    scopes: frozenset[Scope] = frozenset(Scope),
    issued_at: int | None = None,
    user: User | None = None,
) -> Actor:
    """The official with their memberships; ANONYMOUS when missing or not active, or when
    the credential was issued (`issued_at`, Unix seconds, for access tokens) before the
    official's credentials were last revoked. `user` is the official's row when the caller
    read it already (with their session)."""
    if user is None or user.id != user_id:
        user = session.get(User, user_id)
    if user is None or user.status is not UserStatus.ACTIVE:
        return ANONYMOUS
    if issued_at is not None and issued_at < tokens_valid_from(user):
        return ANONYMOUS
    rows = session.execute(_ROLES, {"user_id": user_id}).all()
    return Actor(
        user_id=user.id,
        name=user.name,
        is_coordinator=user.is_coordinator,
        active=True,
        roles={group_id: MemberRole(role) for group_id, role in rows},
        scopes=scopes,
        locale=Locale(user.locale).value,
        email=user.email,
        municipality_id=user.municipality_id,
    )


def tokens_valid_from(user: User) -> int:
    """The earliest `iat` (Unix seconds) an access token of this official may carry.

    JWTs carry whole seconds, so a revocation voids every token issued in its second or
    before; a token issued after it within that same second is dated to the next second
    (`api.auth.issue_access_token`), so that it stays valid.
    """
    revoked = user.credentials_revoked_at
    return int(revoked.timestamp()) + 1 if revoked is not None else 0
