"""The audit log through the API: coordinators read every entry, leads their groups'."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import ApiActor
from api.pagination import Page
from api.problems import problem_responses
from api.schemas import AuditEntryOut, ListOut
from domain import audit_log
from erfa.deps import SessionDep

router = APIRouter(tags=["audit"])


@router.get("/audit", responses=problem_responses(401, 403, 404, 422))
def list_audit(
    session: SessionDep,
    actor: ApiActor,
    page: Page,
    group: Annotated[str | None, Query(max_length=64, description="A group's slug.")] = None,
    who: Annotated[
        str | None,
        Query(
            alias="actor",
            max_length=254,
            description="An official's id, email or handle, or `system`.",
        ),
    ] = None,
    action: Annotated[
        str | None,
        Query(max_length=64, description="Exact (`post.hide`) or a prefix (`post.`)."),
    ] = None,
    since: Annotated[
        str | None, Query(alias="from", max_length=40, description="An ISO date or datetime.")
    ] = None,
    until: Annotated[
        str | None, Query(alias="to", max_length=40, description="An ISO date or datetime.")
    ] = None,
) -> ListOut[AuditEntryOut]:
    """Entries newest first. Dates are whole days and times without an offset are Swedish
    time. Only coordinators and group leads read the log (403 for others)."""
    position = page.position("audit")
    filters = audit_log.AuditFilters(
        group=group, actor=who, action=action, since=since, until=until
    )
    rows = audit_log.list_entries(
        session,
        actor,
        filters=filters,
        before_id=position["id"] if position else None,
        limit=page.fetch,
    )
    items, next_cursor = page.window("audit", rows, lambda row: {"id": row.entry.id})
    return ListOut(items=[AuditEntryOut.from_row(row) for row in items], next_cursor=next_cursor)
