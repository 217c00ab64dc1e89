"""A group's webhooks in the browser: its leads see how deliveries go, add a webhook (the
secret is shown on the answer, once) and remove one. The API offers the same
(`api/webhooks.py`); both go through `domain/webhooks.py`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from domain import webhooks
from domain.errors import Invalid
from erfa.deps import IdPath, SessionDep, SettingsDep
from erfa.settings import derive_key
from web.deps import SignedIn
from web.rendering import render, see_other

router = APIRouter()


def _page(
    request: Request,
    page: webhooks.WebhooksPage,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    values = {"url": "", "events": list(webhooks.EVENTS), "errors": [], "secret": None}
    values.update(context)
    values["notice"] = request.query_params.get("notice")
    return render(request, "webhooks/index.html", {"page": page, **values}, status_code=status_code)


@router.get("/g/{slug}/webhooks", name="webhooks:index", response_class=HTMLResponse)
def index(request: Request, slug: str, session: SessionDep, actor: SignedIn) -> HTMLResponse:
    return _page(request, webhooks.page(session, actor, slug))


@router.post("/g/{slug}/webhooks", name="webhooks:create", response_class=HTMLResponse)
def create(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: SignedIn,
    settings: SettingsDep,
    url: Annotated[str, Form(max_length=webhooks.MAX_URL + 100)] = "",
    events: Annotated[list[str], Form(max_length=len(webhooks.EVENTS))] = [],  # noqa: B006
) -> HTMLResponse:
    """Make a webhook and show its secret this once (the answer is the page itself, so the
    secret is never in a URL or a redirect)."""
    try:
        created = webhooks.create(
            session,
            actor,
            slug,
            url=url,
            events=events,
            key=derive_key(settings.secret_key, "webhook-secret"),
            allow_private=settings.webhook_allow_private,
        )
    except Invalid as exc:
        session.rollback()
        page = webhooks.page(session, actor, slug)
        return _page(request, page, status_code=422, url=url, events=events, errors=exc.errors)
    session.flush()
    return _page(
        request,
        webhooks.page(session, actor, slug),
        status_code=201,
        secret=created.secret,
        created=created.view.webhook.url,
    )


@router.post("/webhooks/{webhook_id}/delete", name="webhooks:delete")
def delete(request: Request, webhook_id: IdPath, session: SessionDep, actor: SignedIn) -> Response:
    slug = webhooks.delete(session, actor, webhook_id)
    return see_other(request, f"/g/{slug}/webhooks?notice=deleted")
