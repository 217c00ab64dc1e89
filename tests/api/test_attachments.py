"""Files of resources: accepted by content, refused otherwise, served only to readers."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from erfa.settings import Settings
from models import Attachment, User, Visibility
from tests.factories import make_group, make_membership, make_user

Client = Callable[[User], TestClient]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def shared(api_as: Client, session: Session) -> tuple[User, int]:
    group = make_group(session, slug="files-g")
    author = make_user(session)
    make_membership(session, group=group, user=author)
    created = api_as(author).post(
        "/api/v1/groups/files-g/resources",
        json={"title": "Mall", "summary": "En mall.", "kind": "tool", "municipality": "nora"},
    )
    return author, created.json()["id"]


def upload(
    client: TestClient, resource_id: int, name: str, data: bytes, claimed: str = "application/pdf"
):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/resources/{resource_id}/attachments", files={"file": (name, data, claimed)}
    )


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("plan.pdf", PDF, "application/pdf"),
        ("bild.png", PNG, "image/png"),
        (
            "rapport.docx",
            docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("data.csv", b"kommun;antal\nNora;12\n", "text/csv"),
    ],
)
def test_accepted_files_are_stored_and_downloaded_by_other_readers(
    name: str,
    data: bytes,
    content_type: str,
    api_as: Client,
    shared: tuple[User, int],
    session: Session,
) -> None:
    author, resource_id = shared
    response = upload(api_as(author), resource_id, name, data)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["content_type"] == content_type
    assert body["size"] == len(data)
    reader = api_as(make_user(session))
    download = reader.get(body["url"])
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = "inline" if content_type.startswith("image/") else "attachment"
    assert download.headers["Content-Disposition"].startswith(disposition)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("sida.html", b"<!doctype html><script>alert(1)</script>"),
        ("falsk.pdf", b"<html><body>not a pdf</body></html>"),
        ("bild.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("text.txt", b"<script>alert(1)</script>"),
        ("program.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("arkiv.zip", b"PK\x03\x04" + b"\x00" * 26),
    ],
)
def test_other_files_are_415(
    name: str, data: bytes, api_as: Client, shared: tuple[User, int]
) -> None:
    author, resource_id = shared
    response = upload(api_as(author), resource_id, name, data)
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"


def test_a_file_over_the_limit_is_413(
    app: FastAPI, api_as: Client, shared: tuple[User, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    author, resource_id = shared
    monkeypatch.setattr(app.state.settings, "max_upload_mb", 1)
    response = upload(api_as(author), resource_id, "stor.pdf", PDF + b"0" * (1024 * 1024))
    assert response.status_code == 413


def test_outsiders_neither_upload_nor_download(api_as: Client, session: Session) -> None:
    closed = make_group(session, slug="files-c", visibility=Visibility.CLOSED)
    author = make_user(session)
    make_membership(session, group=closed, user=author)
    created = (
        api_as(author)
        .post(
            "/api/v1/groups/files-c/resources",
            json={"title": "Intern", "summary": "x", "kind": "tool", "municipality": "nora"},
        )
        .json()
    )
    url = upload(api_as(author), created["id"], "plan.pdf", PDF).json()["url"]
    outsider = api_as(make_user(session))
    assert outsider.get(url).status_code == 404
    assert upload(outsider, created["id"], "plan.pdf", PDF).status_code == 404
    member = make_user(session)
    make_membership(session, group=closed, user=member)
    assert upload(api_as(member), created["id"], "plan.pdf", PDF).status_code == 403


def test_a_file_missing_from_storage_is_a_clear_404_not_a_500(
    api_as: Client, shared: tuple[User, int], session: Session, settings: Settings
) -> None:
    """A row whose file is gone (a disk restored without its uploads: erfa serve reports
    such rows at start) answers with a problem, never a crash."""
    author, resource_id = shared
    body = upload(api_as(author), resource_id, "plan.pdf", PDF).json()
    stored = session.get(Attachment, body["id"])
    assert stored is not None
    (settings.uploads / stored.storage_name).unlink()

    download = api_as(author).get(body["url"])

    assert download.status_code == 404
    assert download.headers["content-type"] == "application/problem+json"
    assert "file" in download.json()["detail"]
