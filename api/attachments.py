"""Attachments of resources through the JSON API."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel

from api.auth import ApiActor
from api.problems import problem_responses
from domain import attachments
from erfa.deps import IdPath, SessionDep, SettingsDep
from erfa.files import attachment_response

router = APIRouter(tags=["resources"])
CHUNK = 1024 * 1024


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    url: str


def read_chunks(upload: UploadFile) -> Iterator[bytes]:
    while chunk := upload.file.read(CHUNK):
        yield chunk


@router.post(
    "/resources/{resource_id}/attachments",
    status_code=201,
    responses=problem_responses(401, 403, 404, 413, 415),
)
def upload(
    resource_id: IdPath,
    file: UploadFile,
    request: Request,
    session: SessionDep,
    actor: ApiActor,
    settings: SettingsDep,
) -> AttachmentOut:
    """Add a file (multipart field `file`); its type is checked by its content."""
    attachment = attachments.add_attachment(
        session,
        actor,
        resource_id=resource_id,
        filename=file.filename or "bilaga",
        chunks=read_chunks(file),
        upload_dir=settings.uploads,
        max_bytes=settings.max_upload_mb * 1024 * 1024,
    )
    assert attachment.id is not None
    url = str(request.url_for("download_attachment", attachment_id=attachment.id))
    return AttachmentOut(
        id=attachment.id,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        url=url,
    )


@router.get(
    "/attachments/{attachment_id}",
    response_class=FileResponse,
    responses=problem_responses(401, 404),
)
def download_attachment(
    attachment_id: IdPath, session: SessionDep, actor: ApiActor, settings: SettingsDep
) -> FileResponse:
    attachment = attachments.get_attachment(session, actor, attachment_id)
    return attachment_response(attachment, settings.uploads)
