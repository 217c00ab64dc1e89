"""Archive packages in the browser: coordinators ask for a package of a group or a year
(made by a durable job), see the packages made and those being prepared, download and
delete them. Every route asks the policy, through the domain: a package holding a group
the coordinator may not archive is not found, whether downloaded or deleted."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, Response

from domain import archive
from domain.errors import Invalid
from erfa.deps import SessionDep, SettingsDep
from erfa.settings import Settings
from web.deps import SignedIn
from web.rendering import render, see_other

router = APIRouter(prefix="/admin")

PackageName = Annotated[str, PathParam(max_length=120)]
ScopeKind = Literal["group", "year"]


def _directory(settings: Settings) -> Path:
    return settings.data_dir / archive.DIRECTORY


@router.get("/archive", name="archive:index", response_class=HTMLResponse)
def archive_index(
    request: Request, session: SessionDep, settings: SettingsDep, actor: SignedIn
) -> HTMLResponse:
    listing = archive.list_packages(session, actor, directory=_directory(settings))
    notice = request.query_params.get("notice")
    return render(request, "admin/archive.html", {"listing": listing, "notice": notice})


@router.post("/archive", name="archive:start")
def archive_start(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: SignedIn,
    scope: Annotated[ScopeKind, Form()],
    group: Annotated[str, Form(max_length=64)] = "",
    year: Annotated[int | None, Form()] = None,
) -> Response:
    """One form: the scope chosen (a group or a year) says which of its fields counts."""
    try:
        archive.request_export(
            session,
            actor,
            group=group if scope == "group" else None,
            year=year if scope == "year" else None,
        )
    except Invalid as exc:
        session.rollback()
        listing = archive.list_packages(session, actor, directory=_directory(settings))
        context = {"listing": listing, "notice": None, "errors": exc.errors}
        return render(request, "admin/archive.html", context, status_code=422)
    return see_other(request, str(request.url_for("archive:index")) + "?notice=started")


@router.get("/archive/{package}", name="archive:download")
def archive_download(
    package: PackageName, session: SessionDep, settings: SettingsDep, actor: SignedIn
) -> FileResponse:
    path = archive.package_path(session, actor, directory=_directory(settings), name=package)
    return FileResponse(
        path,
        media_type="application/zip",
        filename=path.name,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


@router.post("/archive/{package}/delete", name="archive:delete")
def archive_delete(
    request: Request,
    package: PackageName,
    session: SessionDep,
    settings: SettingsDep,
    actor: SignedIn,
    background: BackgroundTasks,
) -> Response:
    path = archive.delete_package(session, actor, directory=_directory(settings), name=package)
    # Runs after the response, so after the commit: a failed commit keeps the package.
    background.add_task(archive.remove_package, path)
    return see_other(request, str(request.url_for("archive:index")) + "?notice=deleted")
