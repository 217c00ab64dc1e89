"""The coordinators' overview: figures, tables and charts of activity, and CSV exports."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from domain import stats
from domain.errors import Invalid
from erfa import i18n
from erfa.deps import SessionDep
from web import charts
from web.deps import SignedIn
from web.rendering import render, request_locale

router = APIRouter(prefix="/admin")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@router.get("/overview", name="admin:overview", response_class=HTMLResponse)
def overview_page(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
    start: Annotated[str | None, Query(alias="from", max_length=32)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=32)] = None,
) -> HTMLResponse:
    try:
        view = stats.overview(session, actor, start=start, end=end)
    except Invalid as exc:
        session.rollback()
        context: dict[str, Any] = {
            "view": None,
            "errors": exc.errors,
            "start": start or "",
            "end": end or "",
        }
        return render(request, "admin/overview.html", context, block="overview", status_code=422)
    page = {
        "view": view,
        "errors": [],
        "start": view.period.start.isoformat(),
        "end": view.period.end.isoformat(),
        "charts": _charts(view),
    }
    return render(request, "admin/overview.html", page, block="overview")


def _charts(view: stats.OverviewView) -> dict[str, charts.BarChart]:
    return {
        "months": charts.vertical([(m.label, m.posts) for m in view.months]),
        "municipalities": charts.horizontal([(m.name, m.posts) for m in view.municipalities]),
        "groups": charts.horizontal([(g.name, g.posts) for g in view.groups]),
    }


@router.get("/overview.csv", name="admin:overview_csv")
def overview_csv(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
    table: Annotated[Literal["municipalities", "groups"], Query()] = "municipalities",
    start: Annotated[str | None, Query(alias="from", max_length=32)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=32)] = None,
) -> Response:
    """A table of the overview as CSV for a spreadsheet: UTF-8 with a byte order mark (so
    that Excel reads å, ä and ö), and no cell that a spreadsheet would run as a formula."""
    view = stats.overview(session, actor, start=start, end=end)
    i18n.activate(request_locale(request))
    rows = _municipality_rows(view) if table == "municipalities" else _group_rows(view)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([[_cell(value) for value in row] for row in rows])
    period = f"{view.period.start.isoformat()}_{view.period.end.isoformat()}"
    filename = f"erfa-{table}-{period}.csv"
    return Response(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _municipality_rows(view: stats.OverviewView) -> list[list[Any]]:
    _ = i18n.gettext
    header = [
        _("Municipality"),
        _("Active officials, 30 days"),
        _("Active officials, 90 days"),
        _("Posts"),
        _("New discussions"),
        _("Resources shared"),
        _("Adoptions"),
    ]
    return [header] + [
        [m.name, m.active_30d, m.active_90d, m.posts, m.threads, m.resources, m.adoptions]
        for m in view.municipalities
    ]


def _group_rows(view: stats.OverviewView) -> list[list[Any]]:
    _ = i18n.gettext
    header = [_("Group"), _("Month"), _("Posts"), _("New discussions")]
    return [header] + [
        [g.name, m.label, m.posts, m.new_discussions] for g in view.groups for m in g.months
    ]


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, or a tab or
    carriage return before one) is kept as text by a leading apostrophe (OWASP, CSV
    injection). Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
