"""Archive packages: complete, verifiable, self-contained, and no more than the maker reads."""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from domain import archive, archive_content, archive_writer, jobs
from domain.actor import SYSTEM, Actor, load_actor
from domain.errors import Conflict, Forbidden, Invalid, NotFound
from domain.markup import render_markdown
from erfa import db
from models import (
    Adoption,
    Attachment,
    AuditEntry,
    Event,
    EventDocument,
    Group,
    Job,
    ProgrammeItem,
    Resource,
    ResourceGoal,
    Thread,
    User,
    Visibility,
    utcnow,
)
from tests.factories import make_group, make_membership, make_post, make_thread, make_user

HREF = re.compile(r'(?:href|src)="([^"]*)"')


@dataclass
class World:
    coordinator: User
    group: Group
    secret: Group
    thread: Thread
    resource: Resource
    event: Event
    upload_dir: Path
    files: dict[str, bytes]


def _store(upload_dir: Path, name: str, data: bytes) -> str:
    upload_dir.mkdir(parents=True, exist_ok=True)
    (upload_dir / name).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def world(session: Session, tmp_path: Path) -> World:
    upload_dir = tmp_path / "uploads"
    coordinator = make_user(session, is_coordinator=True, name="Cora Koordinator")
    author = make_user(session, name="Anna Författare", title="Folkhälsostrateg")
    group = make_group(session, slug="arkivgrupp", name="Arkivgruppen")
    make_membership(session, group=group, user=author)
    thread = make_thread(session, group=group, author=author, title="Sommarjobb för unga")
    make_post(session, thread=thread, author=author, body="Vi prövade **feriejobb** i Avesta.")
    hidden = make_post(session, thread=thread, author=author, body="Dolt men bevarat inlägg")
    hidden.hidden_at, hidden.hidden_reason = utcnow(), "Personuppgifter om en elev"
    gone = make_post(session, thread=thread, author=author, body="Raderad hemlighet XYZZY")
    gone.deleted_at = utcnow()
    assert group.id is not None
    assert author.id is not None
    resource = Resource(
        group_id=group.id,
        author_id=author.id,
        title="Feriepraktik-modellen",
        summary="Så ordnar kommunen feriepraktik.",
        municipality_id=author.municipality_id,
        background="Bakgrunden i korthet",
        background_html=render_markdown("Bakgrunden i korthet"),
        lessons="Börja i januari",
        lessons_html=render_markdown("Börja i januari"),
        link="https://example.se/modell",
    )
    session.add(resource)
    session.flush()
    assert resource.id is not None
    session.add(ResourceGoal(resource_id=resource.id, goal_id=8))
    session.add(
        Adoption(
            resource_id=resource.id,
            municipality_id=author.municipality_id,
            summary="Vi gjorde likadant",
            outcome="Fler sökande",
        )
    )
    files = {"attachment": b"%PDF-1.4 bilaga", "document": b"minnesanteckningar\n"}
    session.add(
        Attachment(
            resource_id=resource.id,
            filename="Lärdomar & resultat.pdf",
            content_type="application/pdf",
            size=len(files["attachment"]),
            storage_name="a" * 32,
            sha256=_store(upload_dir, "a" * 32, files["attachment"]),
        )
    )
    starts = utcnow() + timedelta(days=3)
    event = Event(
        title="Seminarium om unga",
        description="Välkomna",
        description_html=render_markdown("Välkomna"),
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        group_id=group.id,
        place="Avesta bibliotek",
    )
    session.add(event)
    session.flush()
    assert event.id is not None
    session.add(ProgrammeItem(event_id=event.id, starts_at=starts, title="Inledning", speaker="Bo"))
    session.add(
        EventDocument(
            event_id=event.id,
            filename="anteckningar.txt",
            content_type="text/plain",
            size=len(files["document"]),
            storage_name="d" * 32,
            sha256=_store(upload_dir, "d" * 32, files["document"]),
        )
    )
    secret = make_group(
        session, slug="hemlig", name="Hemliga gruppen", visibility=Visibility.SECRET
    )
    insider = make_user(session, name="Ines Insider")
    make_membership(session, group=secret, user=insider)
    hush = make_thread(session, group=secret, author=insider, title="Hemlig diskussion")
    make_post(session, thread=hush, author=insider, body="Sekretesstext QWERTY")
    session.flush()
    return World(coordinator, group, secret, thread, resource, event, upload_dir, files)


def _export(
    session: Session, actor: Actor, world: World, target: Path, **scope: object
) -> Unzipped:
    archive.export(
        session,
        actor,
        scope=archive_content.ArchiveScope(**scope),  # type: ignore[arg-type]
        target=target,
        upload_dir=world.upload_dir,
    )
    return Unzipped(target)


class Unzipped:
    """A package's entries, read at once so that no zip stays open."""

    def __init__(self, path: Path) -> None:
        with zipfile.ZipFile(path) as package:
            self.entries = {name: package.read(name) for name in package.namelist()}

    def namelist(self) -> list[str]:
        return list(self.entries)

    def read(self, name: str) -> bytes:
        return self.entries[name]


def _coordinator(session: Session, world: World) -> Actor:
    assert world.coordinator.id is not None
    return load_actor(session, world.coordinator.id)


def _html(package: Unzipped) -> dict[str, str]:
    return {
        name: package.read(name).decode() for name in package.namelist() if name.endswith(".html")
    }


def test_every_entry_of_a_group_package_is_in_its_manifest_with_a_matching_checksum(
    session: Session, world: World, tmp_path: Path
) -> None:
    package = _export(
        session, _coordinator(session, world), world, tmp_path / "p.zip", group="arkivgrupp"
    )
    manifest = json.loads(package.read("manifest.json"))
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(listed) == set(package.namelist()) - {"manifest.json"}
    for path, entry in listed.items():
        data = package.read(path)
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["size"], entry["sha256"])
    assert manifest["scope"] == {"group": "arkivgrupp"}
    assert manifest["creator"]["name"] == "Cora Koordinator"
    assert manifest["erfa_version"]
    assert manifest["created_at"]
    assert manifest["counts"] == {
        "groups": 1,
        "threads": 1,
        "posts": 2,
        "resources": 1,
        "events": 1,
        "files": 2,
    }
    assert "LÄSMIG.txt" in listed
    assert "sha256sum" in package.read("LÄSMIG.txt").decode()


def test_threads_posts_resources_and_events_are_in_html_and_json_and_files_are_byte_equal(
    session: Session, world: World, tmp_path: Path
) -> None:
    package = _export(
        session, _coordinator(session, world), world, tmp_path / "p.zip", group="arkivgrupp"
    )
    names = set(package.namelist())
    t, r, e = world.thread.id, world.resource.id, world.event.id
    thread_html = package.read(f"representations/html/threads/t-{t}.html").decode()
    assert "Sommarjobb för unga" in thread_html
    assert "<strong>feriejobb</strong>" in thread_html
    assert "Anna Författare" in thread_html
    assert "Folkhälsostrateg" in thread_html
    assert "Dolt men bevarat inlägg" in thread_html
    assert "Personuppgifter om en elev" in thread_html
    thread_json = json.loads(package.read(f"representations/json/threads/t-{t}.json"))
    assert [p["state"] for p in thread_json["posts"]] == ["published", "hidden"]
    assert thread_json["posts"][1]["hidden_reason"] == "Personuppgifter om en elev"
    resource_json = json.loads(package.read(f"representations/json/resources/r-{r}.json"))
    assert resource_json["title"] == "Feriepraktik-modellen"
    assert resource_json["goals"] == [{"number": 8, "name": resource_json["goals"][0]["name"]}]
    assert resource_json["adoptions"][0]["outcome"] == "Fler sökande"
    resource_html = package.read(f"representations/html/resources/r-{r}.html").decode()
    assert "Börja i januari" in resource_html
    assert "Fler sökande" in resource_html
    event_json = json.loads(package.read(f"representations/json/events/e-{e}.json"))
    assert event_json["programme"][0]["title"] == "Inledning"
    event_html = package.read(f"representations/html/events/e-{e}.html").decode()
    assert "Seminarium om unga" in event_html
    assert "Inledning" in event_html
    attachment = resource_json["attachments"][0]
    assert attachment["filename"] == "Lärdomar & resultat.pdf"
    assert re.fullmatch(r"a\d+-Lardomar_resultat\.pdf", attachment["file"])
    assert package.read(f"representations/files/{attachment['file']}") == world.files["attachment"]
    document = event_json["documents"][0]
    assert package.read(f"representations/files/{document['file']}") == world.files["document"]
    index = json.loads(package.read("representations/json/index.json"))
    [group] = index["groups"]
    assert {m["name"] for m in group["members"]} == {"Anna Författare"}
    assert "representations/html/index.html" in names


def test_deleted_posts_are_left_out_and_nothing_reaches_out_of_the_package(
    session: Session, world: World, tmp_path: Path
) -> None:
    package = _export(
        session, _coordinator(session, world), world, tmp_path / "p.zip", group="arkivgrupp"
    )
    names = set(package.namelist())
    for name in names:
        assert b"XYZZY" not in package.read(name), name
    for name, html in _html(package).items():
        assert "<script" not in html.lower(), name
        assert not re.search(r'src="https?://|<link[^>]+href="https?://', html), name
        for href in HREF.findall(html):
            if href.startswith(("#", "http://", "https://", "mailto:", "/")):
                continue  # in-page anchors, and links written in posts
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), href.split("#")[0]))
            assert target in names, f"{name} links to {href}, which is not in the package"


def test_a_year_package_of_a_coordinator_holds_no_secret_group_they_are_not_in(
    session: Session, world: World, tmp_path: Path
) -> None:
    year = utcnow().astimezone(archive_content.LOCAL_ZONE).year
    package = _export(session, _coordinator(session, world), world, tmp_path / "y.zip", year=year)
    blob = b"".join(package.read(name) for name in package.namelist())
    assert b"Sommarjobb" in blob
    assert b"Seminarium om unga" in blob
    assert b"QWERTY" not in blob
    assert b"Hemlig" not in blob
    console = _export(session, SYSTEM, world, tmp_path / "s.zip", year=year)
    assert b"QWERTY" in b"".join(console.read(name) for name in console.namelist())


def test_a_year_package_holds_only_what_was_written_that_year(
    session: Session, world: World, tmp_path: Path
) -> None:
    old = make_post(session, thread=world.thread, author=world.coordinator, body="Gammalt ABCDE")
    old.created_at = datetime(2019, 6, 1, tzinfo=UTC)
    session.flush()
    this_year = utcnow().astimezone(archive_content.LOCAL_ZONE).year
    package = _export(session, SYSTEM, world, tmp_path / "y.zip", year=this_year)
    assert b"ABCDE" not in b"".join(package.read(name) for name in package.namelist())
    earlier = _export(session, SYSTEM, world, tmp_path / "o.zip", year=2019)
    thread = json.loads(earlier.read(f"representations/json/threads/t-{world.thread.id}.json"))
    assert [p["body"] for p in thread["posts"]] == ["Gammalt ABCDE"]
    assert json.loads(earlier.read("manifest.json"))["counts"]["resources"] == 0


def test_the_statements_of_a_package_do_not_grow_with_its_posts(
    session: Session,
    world: World,
    tmp_path: Path,
    count_statements: Callable[[Callable[[], object]], int],
) -> None:
    def statements(name: str) -> int:
        return count_statements(
            lambda: archive.export(
                session,
                SYSTEM,
                scope=archive_content.ArchiveScope(group="arkivgrupp"),
                target=tmp_path / name,
                upload_dir=world.upload_dir,
            )
        )

    few = statements("few.zip")
    for n in range(30):
        make_post(session, thread=world.thread, author=world.coordinator, body=f"Svar {n}")
    session.flush()
    assert statements("many.zip") == few


def test_posts_are_read_in_pages(
    session: Session, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive_writer, "POST_PAGE", 2)
    for n in range(5):
        make_post(session, thread=world.thread, author=world.coordinator, body=f"Sida {n}")
    session.flush()
    package = _export(session, SYSTEM, world, tmp_path / "p.zip", group="arkivgrupp")
    thread = json.loads(package.read(f"representations/json/threads/t-{world.thread.id}.json"))
    positions = [p["position"] for p in thread["posts"]]
    assert positions == sorted(positions)
    assert len(positions) == 7


def test_only_coordinators_make_packages_and_of_groups_they_read(
    session: Session, world: World, tmp_path: Path
) -> None:
    official = make_user(session)
    assert official.id is not None
    with pytest.raises(Forbidden):
        _export(
            session, load_actor(session, official.id), world, tmp_path / "x.zip", group="arkivgrupp"
        )
    with pytest.raises(NotFound):
        _export(session, _coordinator(session, world), world, tmp_path / "x.zip", group="hemlig")
    with pytest.raises(NotFound):
        _export(session, SYSTEM, world, tmp_path / "x.zip", group="finns-inte")
    assert not (tmp_path / "x.zip").exists()


def test_an_existing_file_is_never_overwritten_and_a_failed_package_leaves_nothing(
    session: Session, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "p.zip"
    target.write_bytes(b"keep")
    with pytest.raises(Conflict):
        _export(session, SYSTEM, world, target, group="arkivgrupp")
    assert target.read_bytes() == b"keep"

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk trouble")

    monkeypatch.setattr(archive_writer.Writer, "_write_index", broken)
    with pytest.raises(RuntimeError):
        _export(session, SYSTEM, world, tmp_path / "q.zip", group="arkivgrupp")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.zip", "uploads"]


@pytest.mark.parametrize(
    ("group", "year", "field"),
    [
        (None, None, "scope"),
        ("arkivgrupp", 2024, "scope"),
        (None, 1999, "year"),
        (None, 3000, "year"),
    ],
)
def test_a_package_is_of_one_group_or_one_year_in_range(
    group: str | None, year: int | None, field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        archive.scope_of(group=group, year=year)
    assert refused.value.errors[0].field == field


def test_file_names_are_made_safe() -> None:
    assert archive_content.safe_filename("../../etc/passwd") == "passwd"
    assert (
        archive_content.safe_filename("Årsrapport 2019 (slutlig).docx")
        == "Arsrapport_2019_slutlig_.docx"
    )
    assert archive_content.safe_filename("...") == "fil"


# --- packages kept under the data folder: who reaches them ------------------------------


def _member_coordinator(session: Session, group: Group, name: str = "Ida Insider") -> Actor:
    insider = make_user(session, is_coordinator=True, name=name)
    make_membership(session, group=group, user=insider)
    assert insider.id is not None
    return load_actor(session, insider.id)


def _package(session: Session, actor: Actor, world: World, directory: Path, **scope: object) -> str:
    name = f"erfa-arkiv-{len(list(directory.glob('*.zip'))) + 1}.zip"
    _export(session, actor, world, directory / name, **scope)
    return name


def test_a_package_records_its_maker_and_the_groups_it_holds(
    session: Session, world: World, tmp_path: Path
) -> None:
    package = _export(
        session, _coordinator(session, world), world, tmp_path / "p.zip", group="arkivgrupp"
    )
    about = json.loads(package.read("manifest.json"))
    assert about["creator"]["user_id"] == world.coordinator.id
    assert about["group_ids"] == [world.group.id]
    year = utcnow().astimezone(archive_content.LOCAL_ZONE).year
    console = json.loads(
        _export(session, SYSTEM, world, tmp_path / "y.zip", year=year).read("manifest.json")
    )
    assert world.secret.id in console["group_ids"]
    assert console["creator"]["user_id"] is None


def test_a_coordinator_reaches_only_packages_of_groups_they_may_archive(
    session: Session, world: World, tmp_path: Path
) -> None:
    directory = tmp_path / "archives"
    directory.mkdir()
    insider = _member_coordinator(session, world.secret)
    cora = _coordinator(session, world)
    secret = _package(session, insider, world, directory, group="hemlig")
    year = utcnow().astimezone(archive_content.LOCAL_ZONE).year
    console = _package(session, SYSTEM, world, directory, year=year)
    shared = _package(session, insider, world, directory, group="arkivgrupp")

    listed = archive.list_packages(session, cora, directory=directory).packages
    assert [p.name for p in listed] == [shared]
    for hidden in (secret, console):
        with pytest.raises(NotFound):
            archive.package_path(session, cora, directory=directory, name=hidden)
        with pytest.raises(NotFound):
            archive.delete_package(session, cora, directory=directory, name=hidden)
        assert (directory / hidden).is_file()
    assert archive.package_path(session, cora, directory=directory, name=shared).is_file()
    theirs = archive.list_packages(session, insider, directory=directory).packages
    assert {secret, shared} <= {p.name for p in theirs}
    assert archive.package_path(session, insider, directory=directory, name=secret).is_file()


def test_a_package_that_does_not_say_what_it_holds_is_shown_to_no_coordinator(
    session: Session, world: World, tmp_path: Path
) -> None:
    directory = tmp_path / "archives"
    directory.mkdir()
    name = "erfa-arkiv-okand.zip"
    with zipfile.ZipFile(directory / name, "w") as package:
        package.writestr("manifest.json", '{"scope": {"year": 2024}, "files": []}')
    cora = _coordinator(session, world)
    assert archive.list_packages(session, cora, directory=directory).packages == []
    with pytest.raises(NotFound):
        archive.package_path(session, cora, directory=directory, name=name)


def test_a_coordinator_sees_only_the_packages_being_prepared_they_asked_for_or_may_read(
    session: Session, world: World, tmp_path: Path
) -> None:
    insider = _member_coordinator(session, world.secret)
    cora = _coordinator(session, world)
    secret = archive.request_export(session, insider, group="hemlig", year=None)
    their_year = archive.request_export(session, insider, group=None, year=2024)
    shared = archive.request_export(session, insider, group="arkivgrupp", year=None)
    own_year = archive.request_export(session, cora, group=None, year=2024)
    assert "hemlig" in secret

    def pending(actor: Actor) -> set[str]:
        listing = archive.list_packages(session, actor, directory=tmp_path / "none")
        return {p.name for p in listing.pending}

    assert pending(cora) == {shared, own_year}
    assert pending(insider) == {secret, their_year, shared, own_year}


def test_deleting_a_package_records_it_and_leaves_the_file_to_remove_after_the_commit(
    session: Session, world: World, tmp_path: Path
) -> None:
    directory = tmp_path / "archives"
    directory.mkdir()
    cora = _coordinator(session, world)
    name = _package(session, cora, world, directory, group="arkivgrupp")
    path = archive.delete_package(session, cora, directory=directory, name=name)
    assert path == directory / name
    assert path.is_file()
    [entry] = session.exec(
        select(AuditEntry).where(col(AuditEntry.action) == "archive.delete")
    ).all()
    assert entry.detail["package"] == name
    archive.remove_package(path)
    assert not path.exists()


# --- the job: a long lease, and a run another runner took over ---------------------------


@pytest.fixture
def own_engine(fresh_database_url: str) -> Iterator[Engine]:
    engine = db.create_db_engine(fresh_database_url)
    db.upgrade(engine)
    yield engine
    engine.dispose()


@dataclass
class JobWorld:
    writer: sessionmaker[Session]
    reader: sessionmaker[Session]
    job: Job
    directory: Path
    upload_dir: Path

    def run(self) -> Path | None:
        return archive.run_export(
            self.writer,
            self.reader,
            self.job,
            upload_dir=self.upload_dir,
            directory=self.directory,
        )

    def claim(self, later: timedelta) -> list[Job]:
        """What another runner claims `later` from now, committed."""
        with db.session_scope(self.writer) as session:
            return jobs.claim(session, limit=1, now=utcnow() + later, kinds=(archive.EXPORT,))

    def waiting(self) -> list[Job]:
        with self.writer() as session:
            return list(session.exec(select(Job)).all())


@pytest.fixture
def job_world(own_engine: Engine, tmp_path: Path) -> JobWorld:
    writer = db.make_session_factory(own_engine)
    with db.session_scope(writer) as session:
        coordinator = make_user(session, is_coordinator=True)
        group = make_group(session, slug="jobbgrupp")
        thread = make_thread(session, group=group, author=coordinator, title="Till arkivet")
        make_post(session, thread=thread, author=coordinator, body="Ett inlägg")
        assert coordinator.id is not None
        actor = load_actor(session, coordinator.id)
        archive.request_export(session, actor, group="jobbgrupp", year=None)
    with db.session_scope(writer) as session:
        [job] = jobs.claim(session, limit=1, kinds=(archive.EXPORT,))
    reader = db.make_session_factory(own_engine, read_only=True)
    return JobWorld(writer, reader, job, tmp_path / "archives", tmp_path / "uploads")


def test_the_job_holds_a_long_lease_while_the_package_is_written(
    job_world: JobWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    claimed: list[list[Job]] = []
    export = archive.export

    def slow_export(*args: Any, **kwargs: Any) -> archive_content.Counts:
        claimed.append(job_world.claim(timedelta(minutes=5)))  # past the claim's 20 s
        return export(*args, **kwargs)

    monkeypatch.setattr(archive, "export", slow_export)
    made = job_world.run()
    assert claimed == [[]]
    assert made is not None
    assert made.is_file()
    assert job_world.waiting() == []


def test_a_run_whose_job_another_runner_took_over_leaves_the_job_to_it(
    job_world: JobWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = archive.export

    def overtaken(*args: Any, **kwargs: Any) -> archive_content.Counts:
        assert len(job_world.claim(archive.LEASE + timedelta(minutes=1))) == 1
        return export(*args, **kwargs)

    original = job_world.job
    monkeypatch.setattr(archive, "export", overtaken)
    assert job_world.run() is None
    [left] = job_world.waiting()
    assert left.attempts == original.attempts + 1
    package = job_world.directory / str(original.payload["name"])
    assert package.is_file()  # the other runner finds it made and leaves it as it is
    job_world.job = left
    assert job_world.run() == package
    assert job_world.waiting() == []
