"""Crash safety: `erfa serve` killed with SIGKILL in the middle of concurrent writes.

A subprocess test, like tests/cli/test_serve.py: a real `erfa serve` on a loopback port,
over a database of the suite's backend (`fresh_database_url`). Client threads write through
the JSON API with personal tokens — three authors reply and delete their own posts, two
upload attachments, a lead hides and restores posts — while a consumer follows the changes
feed. After a random 0.3–1.5 s the server's process group gets SIGKILL; it is started
again on the same database and data folder, twenty times, so damage would accumulate.

After every restart, on the database itself and through the API:
- every write that got a 2xx is there: the reply with its body (and its search entry while
  it is visible), the deletion, the hidden state as acknowledged or a newer one, the
  attachment row with its file of the right size and sha256;
- nothing is half-written anywhere: no visible post without its search entry and no entry
  of a hidden or deleted post, no attachment row without its file;
- what a crash left in the upload folder (partial uploads, files no row names) was removed
  at start, and start-up said so in one line. Before each restart the files are aged past
  the grace period; a young unreferenced file stays (the fast test below shows both);
- the feed read from the start lists exactly the database's posts in position order, with
  their versions; the consumer that followed it across the crashes mirrors the database.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from domain import attachments, auth, resources, threads, upkeep
from domain.actor import Actor, load_actor
from erfa import db
from models import (
    Attachment,
    EventDocument,
    MemberRole,
    Post,
    ResourceKind,
    Scope,
    SearchEntry,
    Visibility,
)
from tests.factories import make_group, make_membership, make_user
from tests.ports import free_port

ERFA = str(Path(sys.executable).with_name("erfa"))
KILLS = 20
LOAD_SECONDS = (0.3, 1.5)
AUTHORS = 3
UPLOADERS = 2
THREADS = 3
FILE_SIZES = (8 * 1024, 512 * 1024)
PNG = b"\x89PNG\r\n\x1a\n"
"""Uploads are PNG by their first bytes (that is all `sniff` reads of an image)."""
AGED = timedelta(hours=2)
"""How far back files are set before a restart: past `upkeep.DEFAULT_GRACE`."""
STARTUP_S = 60
FENCE_WAIT_S = 30
log = logging.getLogger(__name__)
"""What the run did (pytest --log-cli-level=INFO shows it)."""
REMOVED = re.compile(r"Removed (\d+) partial uploads and (\d+) uploaded files")


@dataclass
class Acks:
    """Every write that got a 2xx, as its answer described it."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    posts: dict[int, str] = field(default_factory=dict)
    """Replies: id → body."""
    deleted: set[int] = field(default_factory=set)
    moderated: dict[int, tuple[int, bool]] = field(default_factory=dict)
    """Hides and restores: post id → (version, hidden) of the newest acknowledged one."""
    files: dict[int, tuple[int, str]] = field(default_factory=dict)
    """Attachments: id → (size, sha256) of what was sent."""
    writes: int = 0
    refusals: list[str] = field(default_factory=list)
    """Answers no write of this test should get (a 500, a 404 of a post just written)."""

    def post(self, post_id: int, body: str) -> None:
        with self.lock:
            self.posts[post_id] = body
            self.writes += 1

    def delete(self, post_id: int) -> None:
        with self.lock:
            self.deleted.add(post_id)
            self.writes += 1

    def moderate(self, post_id: int, version: int, hidden: bool) -> None:
        with self.lock:
            if version > self.moderated.get(post_id, (0, False))[0]:
                self.moderated[post_id] = (version, hidden)
            self.writes += 1

    def file(self, attachment_id: int, size: int, sha256: str) -> None:
        with self.lock:
            self.files[attachment_id] = (size, sha256)
            self.writes += 1

    def refused(self, answer: httpx.Response) -> None:
        with self.lock:
            self.refusals.append(
                f"{answer.request.method} {answer.request.url.path}: "
                f"{answer.status_code} {answer.text[:200]}"
            )

    def post_ids(self) -> list[int]:
        with self.lock:
            return list(self.posts)


@dataclass
class World:
    engine: Engine
    home: Path
    env: dict[str, str]
    lead_token: str
    author_tokens: list[str]
    uploader_token: str
    thread_ids: list[int]
    resource_ids: list[int]
    first_post_ids: list[int]

    @property
    def uploads(self) -> Path:
        return self.home / "data" / "uploads"


@dataclass
class Mirror:
    """A consumer of `/sync/posts` that keeps its cursor across the crashes."""

    cursor: str | None = None
    posts: dict[int, tuple[int, bool, bool, str | None]] = field(default_factory=dict)
    """id → (version, deleted, hidden, body)."""

    def follow(self, client: httpx.Client) -> bool:
        """One page, applied; whether more is waiting. Transport errors propagate."""
        params: dict[str, Any] = {"limit": 200}
        if self.cursor:
            params["cursor"] = self.cursor
        answer = client.get("/api/v1/sync/posts", params=params)
        answer.raise_for_status()
        page = answer.json()
        for item in page["items"]:
            self.posts[item["id"]] = (
                item["version"],
                item["deleted"],
                item["hidden"],
                item["body"],
            )
        self.cursor = page["next_cursor"]
        return bool(page["has_more"])


class Server:
    """`erfa serve` in its own process group, printing into one log across restarts."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.process: subprocess.Popen[bytes] | None = None
        self.base = ""
        self.log = world.home / "serve.log"
        self.printed_from = 0

    def start(self) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.printed_from = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [ERFA, "serve", "--port", str(port)],
                cwd=self.world.home,
                env=self.world.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"erfa serve exited early:\n{self.printed()}"
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError(f"erfa serve did not answer within {STARTUP_S} s")

    def kill(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def printed(self) -> str:
        """What the server printed since its last start."""
        with self.log.open("rb") as log:
            log.seek(self.printed_from)
            return log.read().decode(errors="replace")

    def client(self, token: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )


@pytest.fixture
def world(fresh_database_url: str, tmp_path: Path) -> Iterator[World]:
    engine = db.create_db_engine(fresh_database_url)
    db.upgrade(engine)
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "ERFA_DATABASE_URL": fresh_database_url,
        "ERFA_DATA_DIR": str(home / "data"),
        "ERFA_MIN_POST_INTERVAL_S": "0",
    }
    for name in ("ERFA_UPLOAD_DIR", "ERFA_SMTP_URL", "ERFA_REDIS_URL", "ERFA_BASE_URL"):
        env.pop(name, None)
    try:
        yield build_world(engine, home, env)
    finally:
        engine.dispose()


def build_world(engine: Engine, home: Path, env: dict[str, str]) -> World:
    """A closed group with a lead and three authors; the first author shared two
    resources (their discussions count among the posts) and starts three discussions."""
    factory = db.make_session_factory(engine)
    with db.session_scope(factory) as session:
        group = make_group(session, slug="krasch", visibility=Visibility.CLOSED)
        lead, *authors = [make_user(session) for _ in range(AUTHORS + 1)]
        make_membership(session, group=group, user=lead, role=MemberRole.LEAD)
        for author in authors:
            make_membership(session, group=group, user=author)
        user_ids = [user.id or 0 for user in (lead, *authors)]
    with db.session_scope(factory) as session:
        lead_actor, *author_actors = [load_actor(session, i) for i in user_ids]
        tokens = [token_of(session, actor) for actor in (lead_actor, *author_actors)]
        uploader_token = token_of(session, author_actors[0])
    thread_ids, resource_ids = [], []
    for n in range(THREADS):
        with db.session_scope(factory) as session:
            thread = threads.start_thread(
                session, author_actors[n], slug="krasch", title=f"Tråd {n}", body=f"Start {n}"
            )
            thread_ids.append(thread.id or 0)
    for n in range(2):
        with db.session_scope(factory) as session:
            resource = resources.share_resource(
                session,
                author_actors[0],
                slug="krasch",
                title=f"Mall {n}",
                summary=f"En mall {n}.",
                kind=ResourceKind.TOOL,
                municipality="avesta",
            )
            resource_ids.append(resource.id or 0)
    with db.session_scope(factory) as session:
        first_post_ids = [post_id for post_id in session.exec(select(Post.id)).all() if post_id]
    return World(
        engine=engine,
        home=home,
        env=env,
        lead_token=tokens[0],
        author_tokens=tokens[1:],
        uploader_token=uploader_token,
        thread_ids=thread_ids,
        resource_ids=resource_ids,
        first_post_ids=first_post_ids,
    )


def token_of(session: Session, actor: Actor) -> str:
    made = auth.create_api_token(session, actor, name="krasch", scopes=[Scope.READ, Scope.WRITE])
    return made.secret


# The writers. Each runs until `stop`; a request the kill cut off is simply not acknowledged.


def keep_going(stop: threading.Event, act: Callable[[], None]) -> None:
    while not stop.is_set():
        try:
            act()
        except httpx.TransportError:
            time.sleep(0.02)


def author(
    server: Server, world: World, token: str, acks: Acks, stop: threading.Event, seed: int
) -> None:
    rng = random.Random(seed)
    mine: list[int] = []
    with server.client(token) as client:

        def act() -> None:
            if mine and rng.random() < 0.15:
                post_id = mine.pop(rng.randrange(len(mine)))
                answer = client.delete(f"/api/v1/posts/{post_id}")
                if answer.status_code == 204:
                    acks.delete(post_id)
                else:
                    acks.refused(answer)
                return
            body = f"Svar {uuid.uuid4().hex}"
            thread_id = rng.choice(world.thread_ids)
            answer = client.post(f"/api/v1/threads/{thread_id}/posts", json={"body": body})
            if answer.status_code == 201:
                acks.post(answer.json()["id"], body)
                mine.append(answer.json()["id"])
            else:
                acks.refused(answer)

        keep_going(stop, act)


def uploader(server: Server, world: World, acks: Acks, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    with server.client(world.uploader_token) as client:

        def act() -> None:
            content = PNG + rng.randbytes(rng.randint(*FILE_SIZES))
            resource_id = rng.choice(world.resource_ids)
            answer = client.post(
                f"/api/v1/resources/{resource_id}/attachments",
                files={"file": ("bild.png", content, "image/png")},
            )
            if answer.status_code == 201:
                got = answer.json()
                acks.file(got["id"], len(content), hashlib.sha256(content).hexdigest())
            else:
                acks.refused(answer)

        keep_going(stop, act)


def lead(server: Server, world: World, acks: Acks, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    hidden: set[int] = set()
    with server.client(world.lead_token) as client:

        def act() -> None:
            post_id = rng.choice(world.first_post_ids + acks.post_ids())
            if post_id in hidden:
                answer = client.post(f"/api/v1/posts/{post_id}/restore")
            else:
                answer = client.post(f"/api/v1/posts/{post_id}/hide", json={"reason": "Test"})
            if answer.status_code == 200:
                got = answer.json()
                acks.moderate(post_id, got["version"], got["hidden"])
                (hidden.add if got["hidden"] else hidden.discard)(post_id)
            elif answer.status_code == 409:  # deleted, or the state is not as it thought
                hidden.symmetric_difference_update({post_id})
            else:
                acks.refused(answer)

        keep_going(stop, act)


def consumer(server: Server, world: World, mirror: Mirror, stop: threading.Event) -> None:
    with server.client(world.lead_token) as client:

        def act() -> None:
            if not mirror.follow(client):
                time.sleep(0.05)

        keep_going(stop, act)


def load_then_kill(server: Server, world: World, acks: Acks, mirror: Mirror, n: int) -> None:
    """Writers and the consumer at work for a random moment, then SIGKILL."""
    stop = threading.Event()
    workers = [
        *(
            threading.Thread(target=author, args=(server, world, token, acks, stop, n * 10 + i))
            for i, token in enumerate(world.author_tokens)
        ),
        *(
            threading.Thread(target=uploader, args=(server, world, acks, stop, n * 10 + 5 + i))
            for i in range(UPLOADERS)
        ),
        threading.Thread(target=lead, args=(server, world, acks, stop, n * 10 + 8)),
        threading.Thread(target=consumer, args=(server, world, mirror, stop)),
    ]
    for worker in workers:
        worker.start()
    time.sleep(random.Random(n).uniform(*LOAD_SECONDS))
    server.kill()
    stop.set()
    for worker in workers:
        worker.join(timeout=30)
        assert not worker.is_alive(), "a client thread hangs after the kill"


# The checks after a restart.


def check_acknowledged(session: Session, acks: Acks) -> None:
    posts = {post.id: post for post in session.exec(select(Post)).all()}
    for post_id, body in acks.posts.items():
        assert post_id in posts, f"acknowledged reply {post_id} is lost"
        assert posts[post_id].body == body, f"reply {post_id} lost its body"
    for post_id in acks.deleted:
        assert posts[post_id].deleted_at is not None, f"acknowledged deletion of {post_id} lost"
    for post_id, (version, hidden) in acks.moderated.items():
        post = posts[post_id]
        assert post.version >= version, f"post {post_id} is older than acknowledged"
        if post.version == version:
            assert (post.hidden_at is not None) == hidden, f"post {post_id}: moderation lost"
    rows = {row.id: row for row in session.exec(select(Attachment)).all()}
    for attachment_id, (size, sha256) in acks.files.items():
        assert attachment_id in rows, f"acknowledged attachment {attachment_id} is lost"
        assert (rows[attachment_id].size, rows[attachment_id].sha256) == (size, sha256)


def check_search_index(session: Session) -> None:
    entries = set(session.exec(select(SearchEntry.ref_id).where(SearchEntry.kind == "post")).all())
    visible = set(
        session.exec(
            select(Post.id).where(col(Post.deleted_at).is_(None), col(Post.hidden_at).is_(None))
        ).all()
    )
    assert visible - entries == set(), "visible posts without their search entry"
    assert entries - visible == set(), "search entries of hidden, deleted or missing posts"


def named_files(session: Session) -> dict[str, tuple[int, str]]:
    """Every stored file a row names: its size and sha256."""
    return {
        row.storage_name: (row.size, row.sha256)
        for model in (Attachment, EventDocument)
        for row in session.exec(select(model)).all()
    }


def erfa_files(uploads: Path) -> set[str]:
    return {path.name for path in uploads.iterdir()} if uploads.exists() else set()


def check_files(session: Session, uploads: Path) -> None:
    named = named_files(session)
    present = erfa_files(uploads)
    assert set(named) - present == set(), "rows whose file is missing"
    assert present - set(named) == set(), "files no row names, left after start-up"
    for name, (size, sha256) in named.items():
        content = (uploads / name).read_bytes()
        assert (len(content), hashlib.sha256(content).hexdigest()) == (size, sha256), name


def feed_from_start(server: Server, world: World) -> list[tuple[int, int]]:
    """(id, version) of every item of `/sync/posts` read from the start."""
    mirror = Mirror()
    items: list[tuple[int, int]] = []
    with server.client(world.lead_token) as client:
        while True:
            params: dict[str, Any] = {"limit": 1000}
            if mirror.cursor:
                params["cursor"] = mirror.cursor
            page = client.get("/api/v1/sync/posts", params=params).json()
            items += [(item["id"], item["version"]) for item in page["items"]]
            mirror.cursor = page["next_cursor"]
            if not page["has_more"]:
                return items


def check_feed(session: Session, server: Server, world: World, mirror: Mirror) -> None:
    """Every read of the feed from the start is a prefix of the database's posts in
    position order, and soon all of them; the mirror soon equals the database.

    "Soon": on PostgreSQL the feed shows what lies below the fence, and any open
    transaction on the server holds it back, also one of another database (other tests).
    A lost or misplaced change never comes, and the wait ends in a failure."""
    rows = session.exec(select(Post).order_by(col(Post.change_txid), col(Post.change_seq))).all()
    positions = [(row.change_txid, row.change_seq) for row in rows]
    assert len(set(positions)) == len(positions), "two posts share a feed position"
    in_order = [(row.id, row.version) for row in rows]
    truth = {
        row.id: (
            row.version,
            row.deleted_at is not None,
            row.hidden_at is not None,
            None if row.deleted_at or row.hidden_at else row.body,
        )
        for row in rows
    }
    deadline = time.monotonic() + FENCE_WAIT_S
    while True:
        feed = feed_from_start(server, world)
        assert feed == in_order[: len(feed)], "the feed is not the database's order"
        with server.client(world.lead_token) as client:
            while mirror.follow(client):
                pass
        if (feed, mirror.posts) == (in_order, truth) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert feed == in_order, "the feed lacks changes the database holds"
    assert mirror.posts == truth, "the consumer that followed across crashes missed a change"


def check_after_restart(server: Server, world: World, acks: Acks, mirror: Mirror) -> None:
    with Session(world.engine) as session:
        check_acknowledged(session, acks)
        check_search_index(session)
        check_files(session, world.uploads)
        check_feed(session, server, world, mirror)


def leftovers_aged(world: World) -> tuple[int, int]:
    """Age every upload past the grace period; how many are partial and how many no row
    names (what the next start-up must remove)."""
    with Session(world.engine) as session:
        named = set(named_files(session))
    past = time.time() - AGED.total_seconds()
    partial = unreferenced = 0
    for name in erfa_files(world.uploads):
        os.utime(world.uploads / name, (past, past))
        if name.startswith(attachments.PARTIAL_PREFIX):
            partial += 1
        elif name not in named:
            unreferenced += 1
    return partial, unreferenced


def removed_at_start(printed: str) -> tuple[int, int]:
    found = REMOVED.search(printed)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def test_serve_killed_mid_write_twenty_times_keeps_every_acknowledged_write(
    world: World,
) -> None:
    server = Server(world)
    acks, mirror = Acks(), Mirror()
    cleaned = [0, 0]
    try:
        server.start()
        for n in range(KILLS):
            load_then_kill(server, world, acks, mirror, n)
            expected = leftovers_aged(world)
            server.start()
            printed = server.printed()
            assert "Upload missing" not in printed, printed
            assert removed_at_start(printed) == expected, printed
            cleaned = [cleaned[0] + expected[0], cleaned[1] + expected[1]]
            check_after_restart(server, world, acks, mirror)
    finally:
        server.kill()
    log.info(
        f"{KILLS} kills, {acks.writes} acknowledged writes ({len(acks.posts)} replies, "
        f"{len(acks.files)} files, {len(acks.moderated)} posts moderated, "
        f"{len(acks.deleted)} deleted); removed at start: {cleaned[0]} partial uploads, "
        f"{cleaned[1]} unreferenced files"
    )
    assert acks.refusals == []
    assert len(acks.posts) > KILLS
    assert len(acks.files) > KILLS
    assert acks.moderated


# Start-up's cleaning on its own, with the grace period that keeps other hosts' uploads.


def test_start_up_removes_only_old_leftovers_and_names_rows_without_their_file(
    session: Session, tmp_path: Path
) -> None:
    uploads = tmp_path / "uploads"
    group = make_group(session)
    user = make_user(session)
    make_membership(session, group=group, user=user)
    actor = load_actor(session, user.id or 0)
    resource = resources.share_resource(
        session,
        actor,
        slug=group.slug,
        title="Mall",
        summary="En mall.",
        kind=ResourceKind.TOOL,
        municipality="avesta",
    )

    def add(content: bytes) -> Attachment:
        return attachments.add_attachment(
            session,
            actor,
            resource_id=resource.id or 0,
            filename="bild.png",
            chunks=iter([content]),
            upload_dir=uploads,
            max_bytes=1024 * 1024,
        )

    kept, lost = add(PNG + b"kept"), add(PNG + b"lost")
    (uploads / lost.storage_name).unlink()
    past = time.time() - AGED.total_seconds()
    files = {
        "old_orphan": uuid.uuid4().hex,
        "young_orphan": uuid.uuid4().hex,
        "old_partial": f"{attachments.PARTIAL_PREFIX}old",
        "young_partial": f"{attachments.PARTIAL_PREFIX}young",
        "foreign": "notes.txt",
    }
    for key, name in files.items():
        (uploads / name).write_bytes(b"x")
        if key.startswith("old") or key == "foreign":
            os.utime(uploads / name, (past, past))
    os.utime(uploads / kept.storage_name, (past, past))

    report = upkeep.clean_uploads(session, upload_dir=uploads)

    assert (report.partial, report.unreferenced) == (1, 1)
    assert sorted(path.name for path in uploads.iterdir()) == sorted(
        [kept.storage_name, files["young_orphan"], files["young_partial"], "notes.txt"]
    )
    assert report.lines() == [
        f"Upload missing: attachment {lost.id} (bild.png): {uploads / lost.storage_name}.",
        "Removed 1 partial uploads and 1 uploaded files that no attachment or document names.",
    ]
    again = upkeep.clean_uploads(session, upload_dir=uploads, grace=timedelta(0))
    assert (again.partial, again.unreferenced) == (1, 1)
    assert sorted(path.name for path in uploads.iterdir()) == sorted(
        [kept.storage_name, "notes.txt"]
    )


def test_an_upload_is_on_disk_before_its_row_can_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGKILL cannot show it (the kernel keeps what a killed process wrote); a machine
    that loses power can: the file is synced before its rename, the folder after it."""
    uploads = tmp_path / "uploads"
    steps: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor: int) -> None:
        target = Path(os.readlink(f"/proc/self/fd/{descriptor}"))
        steps.append({uploads: "sync uploads", tmp_path: "sync parent"}.get(target, "sync file"))
        real_fsync(descriptor)

    def replace(source: Any, target: Any) -> None:
        steps.append("rename")
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    stored = attachments.store(iter([PNG, b"data"]), "bild.png", upload_dir=uploads, max_bytes=1024)

    assert steps == ["sync parent", "sync file", "rename", "sync uploads"]
    assert (uploads / stored.storage_name).read_bytes() == PNG + b"data"
