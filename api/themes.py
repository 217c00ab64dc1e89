"""The yearly themes through the JSON API: every official reads them, coordinators edit."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.auth import ApiActor
from api.pagination import Page
from api.problems import problem_responses
from api.schemas import ListOut, ThemeIn, ThemeOut, ThemePatch
from domain import themes
from domain.themes import ThemeView
from erfa.deps import SessionDep

router = APIRouter(tags=["themes"])


@router.get("/themes", responses=problem_responses(401))
def list_themes(session: SessionDep, actor: ApiActor, page: Page) -> ListOut[ThemeOut]:
    """The themes, the current one (whose period holds today) first, then latest first."""
    after = page.position("themes")
    offset = int(after["offset"]) if after else 0
    views = themes.list_themes(session, actor, offset=offset, limit=page.fetch)
    items, next_cursor = page.window("themes", views, lambda _: {"offset": offset + page.limit})
    return ListOut(items=[theme_out(view) for view in items], next_cursor=next_cursor)


@router.post("/themes", status_code=201, responses=problem_responses(401, 403, 409))
def create_theme(data: ThemeIn, session: SessionDep, actor: ApiActor) -> ThemeOut:
    """Add a theme (coordinators). Its period may not overlap another theme's."""
    theme = themes.create_theme(
        session,
        actor,
        name=data.name,
        slug=data.slug,
        description=data.description,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
    )
    return theme_out(themes.get_theme(session, actor, slug=theme.slug))


@router.patch("/themes/{slug}", responses=problem_responses(401, 403, 404))
def update_theme(slug: str, data: ThemePatch, session: SessionDep, actor: ApiActor) -> ThemeOut:
    theme = themes.update_theme(
        session,
        actor,
        slug=slug,
        name=data.name,
        description=data.description,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
    )
    return theme_out(themes.get_theme(session, actor, slug=theme.slug))


@router.delete("/themes/{slug}", status_code=204, responses=problem_responses(401, 403, 404, 409))
def delete_theme(slug: str, session: SessionDep, actor: ApiActor) -> Response:
    """Remove a theme no group carries (coordinators); 409 while one does."""
    themes.delete_theme(session, actor, slug=slug)
    return Response(status_code=204)


def theme_out(view: ThemeView) -> ThemeOut:
    theme = view.theme
    assert theme.id is not None
    return ThemeOut(
        id=theme.id,
        slug=theme.slug,
        name=theme.name,
        description=theme.description,
        starts_on=theme.starts_on,
        ends_on=theme.ends_on,
        current=view.is_current,
    )
