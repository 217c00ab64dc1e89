"""The audit log page and its CSV export: coordinators see every entry, leads their groups'."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from domain import audit_log
from erfa.deps import ReaderDep, SessionDep
from web.deps import SignedIn
from web.rendering import render

router = APIRouter(prefix="/admin")

CSV_COLUMNS = (
    "id",
    "at",
    "actor_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "group",
    "reason",
    "before",
    "after",
)
_FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")
"""Spreadsheets run a cell that starts like this as a formula: such cells get a leading '."""
_CHUNK = 64 * 1024


def audit_filters(
    group: Annotated[str, Query(max_length=64)] = "",
    who: Annotated[str, Query(alias="actor", max_length=254)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    since: Annotated[str, Query(alias="from", max_length=40)] = "",
    until: Annotated[str, Query(alias="to", max_length=40)] = "",
) -> audit_log.AuditFilters:
    return audit_log.AuditFilters(
        group=group or None,
        actor=who or None,
        action=action or None,
        since=since or None,
        until=until or None,
    )


Filters = Annotated[audit_log.AuditFilters, Depends(audit_filters)]


@router.get("/audit", name="audit:index", response_class=HTMLResponse)
def audit_index(
    request: Request,
    session: SessionDep,
    actor: SignedIn,
    filters: Filters,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> HTMLResponse:
    page = audit_log.audit_page(session, actor, filters=filters, before_id=before)
    context = {"page": page, "query": _query(filters)}
    status = 422 if page.errors else 200
    return render(request, "admin/audit.html", context, block="audit_entries", status_code=status)


@router.get("/audit.csv", name="audit:csv")
def audit_csv(
    session: SessionDep, reader: ReaderDep, actor: SignedIn, filters: Filters
) -> StreamingResponse:
    """The entries the filters match, newest first, at most `audit_log.EXPORT_LIMIT`:
    UTF-8 with a byte order mark, so that spreadsheet programs read å, ä and ö."""
    criteria = audit_log.criteria_for(session, actor, filters)
    return StreamingResponse(
        _csv_chunks(reader, criteria),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="erfa-audit.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _query(filters: audit_log.AuditFilters) -> dict[str, str]:
    """The filters as the page's links repeat them (older entries, the export)."""
    named = {
        "group": filters.group,
        "actor": filters.actor,
        "action": filters.action,
        "from": filters.since,
        "to": filters.until,
    }
    return {key: value for key, value in named.items() if value}


def _csv_chunks(reader: sessionmaker[Session], criteria: audit_log.AuditCriteria) -> Iterator[str]:
    """Rows as they are read, in chunks: the export never sits in memory whole. It reads
    through a session of its own, since the request's has closed once streaming begins."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    with reader() as session:
        for row in audit_log.export_rows(session, criteria):
            writer.writerow([_cell(value) for value in _cells(row)])
            if buffer.tell() >= _CHUNK:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()


def _cells(row: audit_log.AuditRow) -> list[Any]:
    entry = row.entry
    return [
        entry.id,
        entry.created_at.astimezone(audit_log.LOCAL_ZONE).isoformat(timespec="seconds"),
        entry.actor_id if entry.actor_id is not None else "",
        row.actor_name or ("" if entry.actor_id is not None else "system"),
        entry.action,
        entry.target_type,
        entry.target_id if entry.target_id is not None else "",
        row.group_slug or "",
        entry.reason,
        _json(entry.before),
        _json(entry.after),
    ]


def _json(value: dict[str, object] | None) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value is not None else ""


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_LEAD):
        return "'" + value
    return value
