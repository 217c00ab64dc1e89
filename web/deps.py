"""Dependencies of the pages: who is signed in, from the session cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from domain import auth, notifications, policy
from domain.actor import ANONYMOUS, Actor, load_actor
from erfa.deps import SessionDep, SideWritesDep
from web.rendering import is_htmx

SESSION_COOKIE = "erfa_session"


def get_web_actor(request: Request, session: SessionDep, side: SideWritesDep) -> Actor:
    """The official behind the session cookie, or ANONYMOUS."""
    actor = ANONYMOUS
    secret = request.cookies.get(SESSION_COOKIE)
    web_session = auth.find_session(session, secret) if secret else None
    if web_session is not None and web_session.id is not None:
        actor = load_actor(session, web_session.user_id)
        if actor.signed_in and auth.needs_touch(web_session):
            session_id = web_session.id
            side.add(lambda writer: auth.touch_session(writer, session_id))
    request.state.actor = actor if actor.signed_in else None
    if actor.signed_in and not is_htmx(request):  # a fragment has no header to count in
        request.state.unread_notifications = notifications.unread_count(session, actor)
    return actor


def get_signed_in_actor(actor: Annotated[Actor, Depends(get_web_actor)]) -> Actor:
    """Pages other than sign-in, invitation and reset need a signed-in official."""
    policy.require_signed_in(actor)
    return actor


WebActor = Annotated[Actor, Depends(get_web_actor)]
SignedIn = Annotated[Actor, Depends(get_signed_in_actor)]
