"""What an event's arrangers see and do besides its form: who is registered, by
municipality (on a page, and as CSV for name tags and lunch counts), and the
documentation after the event: minutes, files, the discussion.

The list and its CSV ask the policy exactly as the page's own link does
(`event_registrations.registration_list`): the arrangers only.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from domain import event_documents, event_registrations
from domain.errors import Conflict, Invalid, TooLarge, UnsupportedMedia
from domain.event_fields import local
from erfa import i18n
from erfa.deps import IdPath, SessionDep, SettingsDep
from erfa.files import stored_file_response
from web.deps import SignedIn, SignedInUpload, file_chunks
from web.events import detail_page, event_url
from web.rendering import render, request_locale, see_other

router = APIRouter()
FORMULA = ("=", "+", "-", "@", "\t", "\r")
"""A cell that starts like a formula is one to a spreadsheet: such text is quoted."""


@router.get("/e/{event_id}/registrations", name="events:registrations", response_class=HTMLResponse)
def registrations(
    request: Request, event_id: IdPath, session: SessionDep, actor: SignedIn
) -> HTMLResponse:
    listed = event_registrations.registration_list(session, actor, event_id)
    return render(request, "events/registrations.html", {"listed": listed})


@router.get("/e/{event_id}/registrations.csv", name="events:registrations_csv")
def registrations_csv(
    request: Request, event_id: IdPath, session: SessionDep, actor: SignedIn
) -> Response:
    """The registered and the waiting, one a row, by municipality: for name tags and the
    lunch count. Semicolons and a byte order mark, as Excel in Swedish opens it."""
    listed = event_registrations.registration_list(session, actor, event_id)
    i18n.activate(request_locale(request))
    gettext = i18n.gettext
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    header = [
        gettext("Municipality"),
        gettext("Name"),
        gettext("Title"),
        gettext("Email"),
        gettext("Status"),
        gettext("Registered at"),
    ]
    writer.writerow(header)
    status = {"registered": gettext("registered"), "waiting": gettext("waiting list")}
    for person in [*listed.registered, *listed.waiting]:
        cells = [person.municipality, person.name, person.title, person.email]
        cells += [status[person.status.value], f"{local(person.registered_at):%Y-%m-%d %H:%M}"]
        writer.writerow([_cell(cell) for cell in cells])
    filename = f"erfa-event-{event_id}-registrations.csv"
    return Response(
        ("\ufeff" + out.getvalue()).encode(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _cell(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA) else text


@router.post("/e/{event_id}/minutes", name="events:minutes")
def minutes(
    request: Request,
    event_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    text: Annotated[str, Form(alias="minutes", max_length=60_000)] = "",
) -> Response:
    try:
        event_documents.save_minutes(session, actor, event_id=event_id, minutes=text)
    except Invalid as exc:
        session.rollback()
        return detail_page(
            request, session, actor, event_id, errors=exc.errors, minutes=text, status_code=422
        )
    return see_other(request, event_url(event_id, "minutes", "#documentation"))


@router.post("/e/{event_id}/documents", name="events:upload")
def upload(
    request: Request,
    event_id: IdPath,
    file: SignedInUpload,
    session: SessionDep,
    actor: SignedIn,
    settings: SettingsDep,
) -> Response:
    try:
        event_documents.add_document(
            session,
            actor,
            event_id=event_id,
            filename=file.filename or "bilaga",
            chunks=file_chunks(file),
            upload_dir=settings.uploads,
            max_bytes=settings.max_upload_mb * 1024 * 1024,
        )
    except (TooLarge, UnsupportedMedia) as exc:
        session.rollback()
        notice = "too-large" if isinstance(exc, TooLarge) else "unsupported"
        return see_other(request, event_url(event_id, notice, "#documentation"))
    return see_other(request, event_url(event_id, "uploaded", "#documentation"))


@router.get("/e/{event_id}/documents/{document_id}", name="events:document")
def document(
    event_id: IdPath,
    document_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    settings: SettingsDep,
) -> FileResponse:
    found = event_documents.get_document(session, actor, event_id=event_id, document_id=document_id)
    return stored_file_response(found, settings.uploads)


@router.post("/e/{event_id}/discussion", name="events:discuss")
def discuss(
    request: Request,
    event_id: IdPath,
    session: SessionDep,
    actor: SignedIn,
    group: Annotated[str, Form(max_length=64)] = "",
    body: Annotated[str, Form(max_length=250_000)] = "",
) -> Response:
    """Open the discussion after the event, in its group (or the group chosen for an
    event of the whole association)."""
    try:
        thread = event_documents.start_discussion(
            session, actor, event_id=event_id, slug=group or None, body=body
        )
    except (Invalid, Conflict) as exc:
        session.rollback()
        errors = exc.errors if isinstance(exc, Invalid) else []
        return detail_page(request, session, actor, event_id, errors=errors, status_code=422)
    return see_other(request, f"/t/{thread.id}")
