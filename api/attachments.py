"""Attachments of resources through the JSON API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict
from starlette.datastructures import UploadFile

from api import examples
from api.auth import ApiActor
from api.problems import problem_responses
from domain import attachments
from erfa.bodies import read_upload
from erfa.deps import IdPath, SessionDep, SettingsDep
from erfa.files import attachment_response

router = APIRouter(tags=["resources"])
CHUNK = 1024 * 1024
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            }
        },
    }
}


DOWNLOAD = {
    "description": "The file, as `attachment` (images may be `inline`), in its own type.",
    "content": {
        content_type: {"schema": {"type": "string", "format": "binary"}}
        for content_type in attachments.CONTENT_TYPES
    },
}


class AttachmentOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.ATTACHMENT_OUT]})

    id: int
    filename: str
    content_type: str
    size: int
    url: str


def read_chunks(upload: UploadFile) -> Iterator[bytes]:
    while chunk := upload.file.read(CHUNK):
        yield chunk


async def _upload(request: Request, actor: ApiActor) -> AsyncIterator[UploadFile]:
    """The file, parsed once the caller is known: nobody unknown gets a body parsed."""
    async with read_upload(request) as upload:
        yield upload


@router.post(
    "/resources/{resource_id}/attachments",
    status_code=201,
    responses=problem_responses(400, 401, 403, 404, 413, 415),
    openapi_extra=UPLOAD_BODY,
)
def upload(
    resource_id: IdPath,
    file: Annotated[UploadFile, Depends(_upload)],
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
    path = request.app.url_path_for("download_attachment", attachment_id=attachment.id)
    return AttachmentOut(
        id=attachment.id,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        url=settings.base_url.rstrip("/") + path,  # never from the request's Host header
    )


@router.get(
    "/attachments/{attachment_id}",
    response_class=FileResponse,
    responses={**problem_responses(401, 404), 200: DOWNLOAD},
)
def download_attachment(
    attachment_id: IdPath, session: SessionDep, actor: ApiActor, settings: SettingsDep
) -> FileResponse:
    attachment = attachments.get_attachment(session, actor, attachment_id)
    return attachment_response(attachment, settings.uploads)
