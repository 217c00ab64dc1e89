"""Officials through the API: coordinators invite, list, suspend and reactivate."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import ApiActor
from api.pagination import Page
from api.problems import problem_responses
from api.schemas import ListOut, UserIn, UserOut
from domain import users
from erfa import ratelimit
from erfa.deps import IdPath, RateLimiterDep, SessionDep

router = APIRouter(tags=["users"])


@router.get("/users", responses=problem_responses(401, 403))
def list_users(session: SessionDep, actor: ApiActor, page: Page) -> ListOut[UserOut]:
    after = page.position("users")
    rows = users.list_users(
        session, actor, after_id=after["id"] if after else None, limit=page.fetch
    )
    items, next_cursor = page.window("users", rows, lambda user: {"id": user.id})
    return ListOut(items=[UserOut.from_model(user) for user in items], next_cursor=next_cursor)


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


@router.post("/users/{user_id}/suspend", responses=problem_responses(401, 403, 404))
def suspend_user(user_id: IdPath, session: SessionDep, actor: ApiActor) -> UserOut:
    users.set_suspended(session, actor, user_id=user_id, suspended=True)
    return UserOut.from_model(users.get_user(session, actor, user_id=user_id))


@router.post("/users/{user_id}/reactivate", responses=problem_responses(401, 403, 404))
def reactivate_user(user_id: IdPath, session: SessionDep, actor: ApiActor) -> UserOut:
    users.set_suspended(session, actor, user_id=user_id, suspended=False)
    return UserOut.from_model(users.get_user(session, actor, user_id=user_id))
