"""The library of models and tools ("Modeller och verktyg") and each resource's page.

Research items show their institution, authors, year, DOI and what they mean for a
municipality, and the practices that build on them ("från forskning till praktik")."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlmodel import Session

from domain import attachments, directory, goals, groups, research, resources
from domain.actor import Actor
from domain.errors import Invalid, TooLarge, UnsupportedMedia
from erfa.deps import IdPath, PostingPaceDep, SessionDep, SettingsDep
from erfa.files import attachment_response
from erfa.ratelimit import TooManyRequests
from models import CASE_SECTIONS, ResourceKind
from web.deps import SignedIn, SignedInUpload, file_chunks
from web.rendering import refusal, render, see_other

router = APIRouter()
Text = Annotated[str, Form(max_length=25_000)]
Line = Annotated[str, Form(max_length=1000)]


@router.get("/library", name="resources:library", response_class=HTMLResponse)
def library(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
    kind: ResourceKind | None = None,
    municipality: Annotated[str | None, Query(max_length=64)] = None,
    goal: Annotated[str | None, Query(max_length=20)] = None,
    group: Annotated[str | None, Query(max_length=64)] = None,
    sort: Annotated[str, Query(max_length=20)] = "new",
    institution: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    goal_id = goals.parse_filter(goal)
    rows = resources.list_resources(
        session,
        actor,
        slug=group or None,
        kind=kind,
        municipality=municipality or None,
        goal=goal_id,
        institution=institution or None,
        by_adoptions=sort == "adoptions",
        limit=100,
    )
    municipalities = directory.list_municipalities(session)
    context = {
        "rows": rows,
        "municipality_slugs": {m.name: m.slug for m in municipalities},
        "kind": kind.value if kind else "",
        "sort": sort,
        "municipality": municipality or "",
        "goal": goal_id,
        "group": group or "",
        "institution": institution or "",
        "institutions": research.institutions(session, actor),
        "municipalities": municipalities,
        "goals": goals.list_goals(session),
        "groups": groups.list_groups(session, actor),
    }
    return render(request, "resources/library.html", context, block="resource_list")


@router.get("/r/{resource_id}", name="resources:detail", response_class=HTMLResponse)
def detail(
    request: Request, resource_id: IdPath, session: SessionDep, actor: SignedIn
) -> HTMLResponse:
    view = resources.get_resource(session, actor, resource_id)
    context = {
        "view": view,
        "files": attachments.list_attachments(session, actor, resource_id),
        "sections": CASE_SECTIONS,
        "errors": [],
        "municipalities": directory.list_municipalities(session),
        "goals": goals.list_goals(session) if view.goals else [],
        "notice": request.query_params.get("notice"),
    }
    return render(request, "resources/detail.html", context)


@router.get("/g/{slug}/resources/new", name="resources:new", response_class=HTMLResponse)
def new(request: Request, slug: str, session: SessionDep, actor: SignedIn) -> HTMLResponse:
    """The whole form to share a resource: with the research it builds on and its theme."""
    return _share_page(request, session, actor, slug=slug, form=None)


def _share_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    slug: str,
    form: dict[str, Any] | None,
    shown: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    choices = resources.share_form(session, actor, slug=slug)
    context = {
        "errors": [],
        "retry_after": None,
        **(shown or {}),
        "slug": slug,
        "group": choices.group,
        "form": form,
        "research_choices": choices.research_choices,
        "theme_choices": choices.themes,
        "municipalities": directory.list_municipalities(session),
        "goals": goals.list_goals(session),
    }
    return render(request, "resources/new.html", context, status_code=status_code, headers=headers)


@router.post("/g/{slug}/resources", name="resources:share")
def share(
    request: Request,
    slug: str,
    session: SessionDep,
    actor: SignedIn,
    title: Annotated[str, Form(max_length=1000)],
    summary: Annotated[str, Form(max_length=5000)],
    kind: Annotated[ResourceKind, Form()],
    municipality: Annotated[str, Form(max_length=64)],
    pace: PostingPaceDep,
    link: Annotated[str, Form(max_length=2000)] = "",
    background: Text = "",
    purpose: Text = "",
    implementation: Text = "",
    results: Text = "",
    lessons: Text = "",
    goal_ids: Annotated[list[int], Form(alias="goals", max_length=17)] = [],  # noqa: B006
    institution: Line = "",
    authors: Line = "",
    year: Annotated[str, Form(max_length=20)] = "",
    doi: Line = "",
    implications: Text = "",
    builds_on: Annotated[list[int], Form(max_length=100)] = [],  # noqa: B006
    theme: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    sections = {
        "background": background,
        "purpose": purpose,
        "implementation": implementation,
        "results": results,
        "lessons": lessons,
    }
    studied = {"institution": institution, "authors": authors, "doi": doi}
    try:
        with pace.post(actor.user_id):
            resource = resources.share_resource(
                session,
                actor,
                slug=slug,
                title=title,
                summary=summary,
                kind=kind,
                municipality=municipality,
                link=link or None,
                sections=sections,
                goal_ids=goal_ids,
                research_fields={
                    **studied,
                    "implications": implications,
                    "year": research.parse_year(year),
                },
                builds_on=builds_on,
                theme=theme or None,
            )
    except (Invalid, TooManyRequests) as exc:
        session.rollback()
        shown, status, headers = refusal(exc)
        form = {
            "title": title,
            "summary": summary,
            "kind": kind.value,
            "municipality": municipality,
            "link": link,
            "goals": goal_ids,
            **sections,
            **studied,
            "year": year,
            "implications": implications,
            "builds_on": builds_on,
            "theme": theme,
        }
        return _share_page(
            request,
            session,
            actor,
            slug=slug,
            form=form,
            shown=shown,
            status_code=status,
            headers=headers,
        )
    return see_other(request, f"/r/{resource.id}")


@router.post("/r/{resource_id}/adoptions", name="resources:adopt")
def adopt(
    request: Request,
    resource_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    pace: PostingPaceDep,
    summary: Annotated[str, Form(max_length=5000)],
    municipality: Annotated[str | None, Form(max_length=64)] = None,
    outcome: Annotated[str, Form(max_length=1000)] = "",
    adopted_on: Annotated[date | None, Form()] = None,
) -> Response:
    try:
        with pace.post(actor.user_id):
            resources.record_adoption(
                session,
                actor,
                resource_id=resource_id,
                municipality=municipality,
                summary=summary,
                outcome=outcome,
                adopted_on=adopted_on,
            )
    except (Invalid, TooManyRequests) as exc:
        session.rollback()
        shown, status, headers = refusal(exc)
        view = resources.get_resource(session, actor, resource_id)
        context = {
            **shown,
            "view": view,
            "sections": CASE_SECTIONS,
            "municipalities": directory.list_municipalities(session),
            "notice": None,
            "adoption": {"municipality": municipality, "summary": summary, "outcome": outcome},
        }
        return render(
            request, "resources/detail.html", context, status_code=status, headers=headers
        )
    return see_other(request, f"/r/{resource_id}?notice=adopted#adoptions")


@router.post("/r/{resource_id}/attachments", name="resources:upload")
def upload(
    request: Request,
    resource_id: IdPath,
    file: SignedInUpload,
    session: SessionDep,
    actor: SignedIn,
    settings: SettingsDep,
) -> Response:
    try:
        attachments.add_attachment(
            session,
            actor,
            resource_id=resource_id,
            filename=file.filename or "bilaga",
            chunks=file_chunks(file),
            upload_dir=settings.uploads,
            max_bytes=settings.max_upload_mb * 1024 * 1024,
        )
    except (TooLarge, UnsupportedMedia) as exc:
        session.rollback()
        notice = "too-large" if isinstance(exc, TooLarge) else "unsupported"
        return see_other(request, f"/r/{resource_id}?notice={notice}#files")
    return see_other(request, f"/r/{resource_id}?notice=uploaded#files")


@router.get("/a/{attachment_id}", name="resources:download")
def download(
    attachment_id: IdPath, session: SessionDep, actor: SignedIn, settings: SettingsDep
) -> FileResponse:
    attachment = attachments.get_attachment(session, actor, attachment_id)
    return attachment_response(attachment, settings.uploads)
