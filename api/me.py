"""Signing in through the API, and the caller's own account and tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from api.auth import ACCESS_TOKEN_SECONDS, ApiActor, issue_access_token
from api.problems import problem_responses
from api.schemas import ApiTokenIn, ApiTokenOut, ListOut, NewApiTokenOut, TokenOut, UserOut
from domain import auth, users
from domain.actor import tokens_valid_from
from erfa import ratelimit
from erfa.deps import IdPath, RateLimiterDep, ReaderDep, SessionDep, SettingsDep, client_ip

router = APIRouter(tags=["me"])


@router.post("/auth/token", responses=problem_responses(400, 401, 429))
def create_access_token(
    request: Request,
    username: Annotated[str, Form(min_length=1, max_length=254, description="The email.")],
    password: Annotated[str, Form(min_length=1, max_length=1024)],
    reader: ReaderDep,
    settings: SettingsDep,
    limiter: RateLimiterDep,
) -> TokenOut:
    """Exchange an official's email and password for a short-lived access token (a 400
    is a multipart form that cannot be parsed)."""
    with ratelimit.sign_in_attempt(limiter, username, client_ip(request)), reader() as session:
        user = auth.sign_in_check(session, email=username, password=password)
    assert user.id is not None
    token = issue_access_token(settings, user.id, valid_from=tokens_valid_from(user))
    return TokenOut(access_token=token, expires_in=ACCESS_TOKEN_SECONDS)


@router.get("/me", responses=problem_responses(401))
def me(session: SessionDep, actor: ApiActor) -> UserOut:
    return UserOut.from_model(users.get_me(session, actor))


@router.get("/me/tokens", responses=problem_responses(401))
def list_tokens(session: SessionDep, actor: ApiActor) -> ListOut[ApiTokenOut]:
    tokens = auth.list_api_tokens(session, actor)
    return ListOut(items=[ApiTokenOut.from_model(t) for t in tokens], next_cursor=None)


@router.post("/me/tokens", status_code=201, responses=problem_responses(401, 403))
def create_token(data: ApiTokenIn, session: SessionDep, actor: ApiActor) -> NewApiTokenOut:
    """A personal API token; the secret `token` is in this answer and never again."""
    new = auth.create_api_token(
        session, actor, name=data.name, scopes=data.scopes, expires_at=data.expires_at
    )
    shown = ApiTokenOut.from_model(new.token).model_dump()
    return NewApiTokenOut(**shown, token=new.secret)


@router.delete("/me/tokens/{token_id}", status_code=204, responses=problem_responses(401, 404))
def revoke_token(token_id: IdPath, session: SessionDep, actor: ApiActor) -> None:
    auth.revoke_api_token(session, actor, token_id=token_id)
