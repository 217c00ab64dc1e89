"""Checking an upload's type costs a few megabytes of memory, whatever the upload claims.

Zip bombs are built here from 200 MiB of zeros deflated in 1 MiB pieces (about 200 KB on
disk), so the tests stay cheap while the old check would have inflated them in memory.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import re
import stat
import struct
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlmodel import Session

from domain import attachments, resources
from domain.actor import Actor, load_actor
from domain.errors import TooLarge, UnsupportedMedia
from models import Attachment, ResourceKind
from tests.factories import make_group, make_membership, make_user

MiB = 1024 * 1024
MEMORY_LIMIT = 8 * MiB
ODT = "application/vnd.oasis.opendocument.text"
OFFICE_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": ODT,
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
OOXML_PARTS = {
    "docx": {"word/document.xml": "<w:document><w:body><w:p/></w:body></w:document>"},
    "xlsx": {
        "xl/workbook.xml": "<workbook><sheets><sheet name='Blad1'/></sheets></workbook>",
        "xl/worksheets/sheet1.xml": "<worksheet><sheetData/></worksheet>",
    },
    "pptx": {
        "ppt/presentation.xml": "<p:presentation/>",
        "ppt/slides/slide1.xml": "<p:sld/>",
    },
}


@contextmanager
def memory_peak() -> Iterator[list[int]]:
    """The peak of memory allocated inside the block, appended to the yielded list."""
    peak: list[int] = []
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


def office_file(extension: str) -> bytes:
    """A small but well-formed Office or OpenDocument file, as the programs lay them out."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if extension in OOXML_PARTS:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("_rels/.rels", "<Relationships/>")
            for name, text in OOXML_PARTS[extension].items():
                archive.writestr(name, text)
        else:
            archive.writestr("mimetype", OFFICE_TYPES[extension], zipfile.ZIP_STORED)
            archive.writestr("content.xml", "<office:document-content/>")
            archive.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
    return buffer.getvalue()


@functools.cache
def bomb(name: str) -> bytes:
    """`name` holds 200 MiB of zeros; after it come the parts that make an Office file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(name, "w") as entry:
            zeros = bytes(MiB)
            for _ in range(200):
                entry.write(zeros)
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


@functools.cache
def many_entries(count: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for n in range(count):
            archive.writestr(f"word/media/{n}.bin", b"")
    return buffer.getvalue()


def long_names() -> bytes:
    """A hundred entries named by 50 000 characters each: a 5 MB central directory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for n in range(100):
            archive.writestr(f"word/{n}{'x' * 50_000}.xml", b"")
    return buffer.getvalue()


def with_sizes(
    data: bytes, name: str, *, packed: int | None = None, size: int | None = None
) -> bytes:
    """The archive with the sizes of `name` rewritten in its local header and directory entry."""
    patched = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        local = archive.getinfo(name).header_offset
    central = next(
        found.start()
        for found in re.finditer(rb"PK\x01\x02", data)
        if data[found.start() + 46 :].startswith(name.encode())
    )
    for at in (local + 18, central + 20):
        if packed is not None:
            struct.pack_into("<L", patched, at, packed)
        if size is not None:
            struct.pack_into("<L", patched, at + 4, size)
    return bytes(patched)


def announcing(data: bytes, entries: int) -> bytes:
    """The archive with its end record announcing `entries` entries."""
    patched = bytearray(data)
    struct.pack_into("<2H", patched, len(data) - 22 + 8, entries, entries)
    return bytes(patched)


def huge_total() -> bytes:
    """Six real deflated entries of 1 MiB, each claiming 190 times that: 1.1 GiB in all."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for n in range(6):
            archive.writestr(f"word/media/image{n}.bin", os.urandom(MiB))
    data = buffer.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for entry in archive.infolist()[1:]:
            data = with_sizes(data, entry.filename, size=entry.compress_size * 190)
    return data


def refused_peak(data: bytes, filename: str) -> int:
    source = io.BytesIO(data)
    with memory_peak() as peak, pytest.raises(UnsupportedMedia):
        attachments.sniff(source, filename)
    return peak[0]


def pieces(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.fixture
def shared(session: Session) -> tuple[Actor, int]:
    """An author's actor and the id of a resource they shared."""
    group = make_group(session)
    author = make_user(session)
    make_membership(session, group=group, user=author)
    assert author.id is not None
    actor = load_actor(session, author.id)
    resource = resources.share_resource(
        session,
        actor,
        slug=group.slug,
        title="Mall",
        summary="En mall.",
        kind=ResourceKind.TOOL,
        municipality="nora",
    )
    assert resource.id is not None
    return actor, resource.id


@pytest.fixture
def upload_dir(tmp_path: Path) -> Path:
    path = tmp_path / "uploads"
    path.mkdir()
    return path


def add(
    session: Session,
    shared: tuple[Actor, int],
    upload_dir: Path,
    filename: str,
    chunks: Iterator[bytes],
    max_bytes: int = 20 * MiB,
) -> Attachment:
    actor, resource_id = shared
    return attachments.add_attachment(
        session,
        actor,
        resource_id=resource_id,
        filename=filename,
        chunks=chunks,
        upload_dir=upload_dir,
        max_bytes=max_bytes,
    )


@pytest.mark.parametrize("entry", ["mimetype", "word/document.xml"])
def test_a_zip_bomb_costs_at_most_a_few_megabytes(entry: str) -> None:
    assert refused_peak(bomb(entry), "plan.odt") < MEMORY_LIMIT


def test_a_zip_bomb_upload_costs_at_most_a_few_megabytes_and_leaves_no_file(
    session: Session, shared: tuple[Actor, int], upload_dir: Path
) -> None:
    chunks = pieces(bomb("mimetype"))
    with memory_peak() as peak, pytest.raises(UnsupportedMedia):
        add(session, shared, upload_dir, "plan.odt", chunks)
    assert peak[0] < MEMORY_LIMIT
    assert list(upload_dir.iterdir()) == []


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(
            lambda: with_sizes(bomb("word/document.xml"), "word/document.xml", size=13),
            id="a bomb that claims to be small",
        ),
        pytest.param(
            lambda: with_sizes(bomb("mimetype"), "mimetype", size=len(ODT)),
            id="a mimetype that claims to be small",
        ),
        pytest.param(
            lambda: with_sizes(
                office_file("docx"), "word/document.xml", packed=5 * MiB, size=5 * MiB
            ),
            id="data running into the directory",
        ),
        pytest.param(
            lambda: with_sizes(office_file("odt"), "mimetype", size=len(ODT) + 10),
            id="a stored entry whose sizes differ",
        ),
        pytest.param(huge_total, id="over a gigabyte in all"),
    ],
)
def test_an_archive_that_lies_about_its_sizes_is_refused_cheaply(
    build: Callable[[], bytes],
) -> None:
    assert refused_peak(build(), "plan.docx") < MEMORY_LIMIT


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: many_entries(30_000), id="announced"),
        pytest.param(lambda: announcing(many_entries(30_000), 10), id="announced as ten"),
        pytest.param(long_names, id="a directory of 5 MB"),
    ],
)
def test_an_archive_of_tens_of_thousands_of_entries_is_refused_cheaply(
    build: Callable[[], bytes],
) -> None:
    assert refused_peak(build(), "plan.docx") < MEMORY_LIMIT


def test_only_the_first_bytes_of_a_large_mimetype_entry_are_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", ODT.encode() + os.urandom(12 * MiB))
        archive.writestr("content.xml", "<office:document-content/>")
    assert refused_peak(buffer.getvalue(), "plan.odt") < MEMORY_LIMIT


@pytest.mark.parametrize("extension", OFFICE_TYPES)
def test_real_office_files_are_still_accepted(extension: str) -> None:
    kind = attachments.sniff(io.BytesIO(office_file(extension)), f"fil.{extension}")
    assert (kind.extension, kind.content_type) == (extension, OFFICE_TYPES[extension])


def test_an_office_file_with_zip64_records_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    # zipfile writes the zip64 end records only past 65 535 entries unless told otherwise.
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in [("[Content_Types].xml", "<Types/>"), ("xl/workbook.xml", "<w/>")]:
            with archive.open(name, "w", force_zip64=True) as entry:
                entry.write(text.encode())
    assert b"PK\x06\x06" in buffer.getvalue()
    assert attachments.sniff(buffer, "blad.xlsx").extension == "xlsx"


def test_a_large_spreadsheet_compressed_as_usual_is_accepted() -> None:
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" s="1" t="s"><v>0</v></c><c r="B{n}" s="2"><v>0</v></c></row>'
        for n in range(1, 100_001)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", f"<worksheet><sheetData>{rows}</sheetData>")
    assert attachments.sniff(buffer, "stor.xlsx").extension == "xlsx"


def test_text_with_an_invalid_byte_near_its_end_is_refused() -> None:
    data = b"kommun;antal\n" + b"Nora;12\n" * 100_000 + b"\xff\n"
    with pytest.raises(UnsupportedMedia):
        attachments.sniff(io.BytesIO(data), "data.csv")


def test_a_character_split_between_blocks_is_still_text() -> None:
    # An odd offset puts a two-byte character across every block boundary.
    data = b"a" + "å".encode() * 100_000
    assert attachments.sniff(io.BytesIO(data), "text.txt").content_type == "text/plain"


def test_a_large_csv_is_checked_and_stored_without_holding_it_in_memory(
    session: Session, shared: tuple[Actor, int], upload_dir: Path
) -> None:
    data = "kommun;antal;år\n".encode() + b"Nora;12;2024\n" * 1_200_000
    chunks = pieces(data)
    with memory_peak() as peak:
        attachment = add(session, shared, upload_dir, "data.csv", chunks)
    assert peak[0] < MEMORY_LIMIT
    assert (attachment.content_type, attachment.size) == ("text/csv", len(data))
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    stored = upload_dir / attachment.storage_name
    assert [path.name for path in upload_dir.iterdir()] == [attachment.storage_name]
    assert stored.read_bytes() == data
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("filename", "build"),
    [
        ("data.csv", lambda: b"Nora;12\n" * 100_000 + b"\xc3("),
        ("sida.txt", lambda: b"<html><script>alert(1)</script></html>"),
        ("plan.odt", lambda: bomb("mimetype")),
        ("plan.docx", lambda: with_sizes(office_file("docx"), "word/document.xml", packed=MiB)),
    ],
    ids=["bad UTF-8 at the end", "markup", "a zip bomb", "a lying archive"],
)
def test_a_refused_upload_leaves_no_file_behind(
    filename: str,
    build: Callable[[], bytes],
    session: Session,
    shared: tuple[Actor, int],
    upload_dir: Path,
) -> None:
    with pytest.raises(UnsupportedMedia):
        add(session, shared, upload_dir, filename, pieces(build()))
    assert list(upload_dir.iterdir()) == []


def test_an_upload_past_the_limit_stops_there_and_leaves_no_file(
    session: Session, shared: tuple[Actor, int], upload_dir: Path
) -> None:
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:
        for n in range(10):
            sent.append(n)
            yield b"%PDF-" + bytes(256 * 1024 - 5)

    with pytest.raises(TooLarge):
        add(session, shared, upload_dir, "stor.pdf", chunks(), max_bytes=MiB)
    assert len(sent) == 5
    assert list(upload_dir.iterdir()) == []


def test_an_upload_that_breaks_off_leaves_no_file(
    session: Session, shared: tuple[Actor, int], upload_dir: Path
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"%PDF-1.4\n"
        raise OSError("the client went away")

    with pytest.raises(OSError, match="went away"):
        add(session, shared, upload_dir, "plan.pdf", chunks())
    assert list(upload_dir.iterdir()) == []
