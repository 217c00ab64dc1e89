"""Officials through the API: coordinators list, invite, suspend, reactivate and change them,
and resend or withdraw their invitations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query

from api.auth import ApiActor
from api.pagination import Page
from api.problems import problem_responses
from api.schemas import ListOut, OfficialOut, OfficialPatch, SuspendIn, UserIn, UserOut
from domain import officials, users
from erfa import ratelimit
from erfa.deps import IdPath, RateLimiterDep, SessionDep
from models import UserStatus

router = APIRouter(tags=["users"])


@router.get("/users", responses=problem_responses(401, 403, 422))
def list_users(
    session: SessionDep,
    actor: ApiActor,
    page: Page,
    q: Annotated[
        str | None, Query(max_length=120, description="Part of the name, email or handle.")
    ] = None,
    municipality: Annotated[str | None, Query(max_length=64)] = None,
    group: Annotated[str | None, Query(max_length=64)] = None,
    status: UserStatus | None = None,
) -> ListOut[OfficialOut]:
    """Officials by name, with their groups, last activity and open invitation."""
    after = page.position("users")
    filters = officials.OfficialFilters(
        q=q, municipality=municipality, group=group, status=status.value if status else None
    )
    rows = officials.list_officials(
        session,
        actor,
        filters=filters,
        after_id=after["id"] if after else None,
        limit=page.fetch,
    )
    items, next_cursor = page.window("users", rows, lambda view: {"id": view.user.id})
    return ListOut(items=[OfficialOut.from_view(view) for view in items], next_cursor=next_cursor)


@router.post("/users", status_code=201, responses=problem_responses(401, 403, 409, 429))
def invite_user(
    data: UserIn, session: SessionDep, actor: ApiActor, limiter: RateLimiterDep
) -> UserOut:
    """Invite an official by email; they set their own password through the link."""
    ratelimit.send_invitation(limiter, actor.user_id)
    user = users.invite_official(
        session,
        actor,
        email=data.email,
        name=data.name,
        municipality=data.municipality,
        title=data.title,
        is_coordinator=data.coordinator,
        locale=data.locale,
    )
    return UserOut.from_model(users.get_user(session, actor, user_id=user.id))


@router.patch("/users/{user_id}", responses=problem_responses(401, 403, 404, 409, 422))
def update_user(
    user_id: IdPath, data: OfficialPatch, session: SessionDep, actor: ApiActor
) -> OfficialOut:
    """Move an official to another municipality, or make or unmake them coordinator
    (409 for the last coordinator)."""
    view = officials.update_official(
        session,
        actor,
        user_id=user_id,
        municipality=data.municipality,
        is_coordinator=data.is_coordinator,
    )
    return OfficialOut.from_view(view)


@router.post("/users/{user_id}/suspend", responses=problem_responses(401, 403, 404, 409, 422))
def suspend_user(
    user_id: IdPath,
    session: SessionDep,
    actor: ApiActor,
    data: Annotated[SuspendIn | None, Body()] = None,
) -> OfficialOut:
    """Suspend an official, optionally with a reason: their sessions and tokens end."""
    reason = data.reason if data is not None else None
    view = officials.suspend_official(session, actor, user_id=user_id, reason=reason)
    return OfficialOut.from_view(view)


@router.post("/users/{user_id}/reactivate", responses=problem_responses(401, 403, 404, 409))
def reactivate_user(user_id: IdPath, session: SessionDep, actor: ApiActor) -> OfficialOut:
    return OfficialOut.from_view(officials.reactivate_official(session, actor, user_id=user_id))


@router.post("/users/{user_id}/invitation", responses=problem_responses(401, 403, 404, 409, 429))
def resend_invitation(
    user_id: IdPath, session: SessionDep, actor: ApiActor, limiter: RateLimiterDep
) -> OfficialOut:
    """Mail a new invitation link; earlier links stop working."""
    ratelimit.send_invitation(limiter, actor.user_id)
    return OfficialOut.from_view(officials.resend_invitation(session, actor, user_id=user_id))


@router.delete(
    "/users/{user_id}/invitation", status_code=204, responses=problem_responses(401, 403, 404, 409)
)
def withdraw_invitation(user_id: IdPath, session: SessionDep, actor: ApiActor) -> None:
    """Withdraw an invitation nobody accepted: the invited account is removed."""
    officials.withdraw_invitation(session, actor, user_id=user_id)
