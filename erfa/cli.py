"""The `erfa` command: serve, migrate, and administer an installation from the console.

Every command prints one clear line and exits non-zero on bad input or an unreachable
database; tracebacks are for bugs only.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import httpx
import sqlalchemy as sa
import typer
from alembic.util.exc import CommandError
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from domain import (
    archive,
    erasure,
    groups,
    outbox,
    personal_data,
    rendering,
    retention,
    seed,
    upkeep,
    users,
)
from domain.actor import SYSTEM
from domain.errors import DomainError
from domain.event_fields import STOCKHOLM
from domain.markup import RENDERER_VERSION
from erfa import backup, db, live, mail, sync_client, worker
from erfa.settings import Settings
from models import MemberRole, Visibility, utcnow

app = typer.Typer(help="erfa: the forum of Bergslagen's experience groups.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations and upkeep.", no_args_is_help=True)
user_app = typer.Typer(help="Officials.", no_args_is_help=True)
group_app = typer.Typer(help="Experience groups.", no_args_is_help=True)
seed_app = typer.Typer(help="Data for demos and benchmarks.", no_args_is_help=True)
sync_app = typer.Typer(help="The reference client of the changes feed.", no_args_is_help=True)
digest_app = typer.Typer(help="Notification mail gathered in digests.", no_args_is_help=True)
archive_app = typer.Typer(help="Archive packages for an e-archive.", no_args_is_help=True)
retention_app = typer.Typer(help="Deleting what erfa no longer needs.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(group_app, name="group")
app.add_typer(seed_app, name="seed")
app.add_typer(sync_app, name="sync")
app.add_typer(digest_app, name="digest")
app.add_typer(archive_app, name="archive")
app.add_typer(retention_app, name="retention")

DEMO_LOGINS_FILE = "demo-logins.txt"
REQUESTS_AT_ONCE = 256
LIMIT_CONCURRENCY = REQUESTS_AT_ONCE + live.MAX_STREAMS
"""Connections a worker takes at once: live streams (each an open connection, capped by
erfa.live) on top of the requests it serves."""


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"erfa: {message}", err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            (f"ERFA_{'_'.join(str(p) for p in e['loc']).upper()}: " if e["loc"] else "")
            + e["msg"].removeprefix("Value error, ")
            for e in exc.errors()
        )
        fail(f"invalid configuration: {problems}")


@contextmanager
def connected(settings: Settings) -> Iterator[Engine]:
    """An engine that has answered once, or a one-line error naming the database."""
    try:
        engine = db.engine_from_settings(settings)
        db.check_connection(engine)
    except (sa.exc.SQLAlchemyError, ModuleNotFoundError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        fail(f"cannot reach the database at {db.safe_url(settings.database_url)}: {reason}")
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def unit_of_work(settings: Settings) -> Iterator[Session]:
    """A migrated database and one committed transaction; domain errors become one line."""
    with connected(settings) as engine:
        migrate(engine)
        try:
            with db.session_scope(db.make_session_factory(engine)) as session:
                yield session
                mails = outbox.take(session)
        except DomainError as exc:
            fail(exc.detail)
        except sa.exc.IntegrityError as exc:  # lost a race against a concurrent change
            fail(f"the change conflicts with data saved meanwhile: {exc.orig}")
    # Mail only what is committed: a failed commit must not leave a link in an inbox.
    errors = mail.send_queued(settings, mails)
    if errors:
        fail("saved, but mail could not be sent: " + "; ".join(errors))


def migrate(engine: Engine) -> None:
    db.upgrade(engine)


def rerender(engine: Engine) -> int:
    """Render stored HTML made by an older markdown renderer again, and commit it."""
    with db.session_scope(db.make_session_factory(engine)) as session:
        return rendering.rerender_stale(session)


def clean_uploads(engine: Engine, settings: Settings) -> None:
    """Remove what a crash left in the upload folder; name rows whose file is missing."""
    with db.session_scope(db.make_session_factory(engine)) as session:
        report = upkeep.clean_uploads(session, upload_dir=settings.uploads)
    for line in report.lines():
        typer.echo(line, err=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    demo: Annotated[bool, typer.Option(help="Seed the demo data into an empty database.")] = False,
) -> None:
    """Apply pending migrations, then serve erfa."""
    settings = load_settings()
    if "base_url" not in settings.model_fields_set:
        # Without ERFA_BASE_URL, links in mails point where this server listens.
        os.environ["ERFA_BASE_URL"] = settings.base_url = served_url(host, port)
    with connected(settings) as engine:
        migrate(engine)
        rendered = rerender(engine)
        if rendered:
            typer.echo(
                f"Re-rendered {rendered} posts and resources with renderer version "
                f"{RENDERER_VERSION}.",
                err=True,
            )
        clean_uploads(engine, settings)
        if demo:
            with db.session_scope(db.make_session_factory(engine)) as session:
                logins = seed.seed_demo(session)
            print_demo_logins(settings, [login.line() for login in logins])
    typer.echo(f"erfa serves on http://{host}:{port}/", err=True)
    # Each server process runs a job runner (webhook deliveries and other durable jobs)
    # in its lifespan, stopped before the process ends (erfa.app.serve_app).
    _run_uvicorn(host, port, workers)


@app.command("worker")
def worker_command() -> None:
    """Run durable jobs (webhook deliveries, …) without serving: for deployments with
    several processes or hosts. `erfa serve` runs a job runner of its own as well."""
    settings = load_settings()
    warn_without_base_url(settings)
    with connected(settings) as engine:
        migrate(engine)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        typer.echo("erfa worker runs jobs; stop it with Ctrl-C or SIGTERM.", err=True)
        try:
            worker.Runner(settings, engine).run_forever(stop)
        except KeyboardInterrupt:
            stop.set()


def served_url(host: str, port: int) -> str:
    """The address of a server listening on `host`:`port`, as a browser on this machine
    reaches it (a wildcard address is reached as the machine's own name)."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - naming the wildcard, not binding to it
        host = socket.getfqdn() or "localhost"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _run_uvicorn(host: str, port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run(
        "erfa.app:serve_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        # Idle clients cannot hold connections: an idle keep-alive connection is closed
        # after 5 s, and a worker takes at most LIMIT_CONCURRENCY connections at once (503
        # beyond). Bodies that stall are cut off by erfa.bodies. uvicorn bounds neither the
        # size nor the pace of a request head: the proxy in front does (README).
        timeout_keep_alive=5,
        limit_concurrency=LIMIT_CONCURRENCY,
        timeout_graceful_shutdown=30,
    )


def print_demo_logins(settings: Settings, fresh: list[str]) -> None:
    """Print the demo logins: new ones are kept (owner-only) so a restart can show them again."""
    path = settings.data_dir / DEMO_LOGINS_FILE
    if fresh:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("\n".join(fresh) + "\n")
        lines = fresh
    elif path.exists():
        lines = path.read_text().splitlines()
        typer.echo("Demo data is already present; the logins seeded then:", err=True)
    else:
        typer.echo("The database is not empty: no demo data seeded.", err=True)
        return
    for line in lines:
        typer.echo(line)
    sys.stdout.flush()


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    with connected(load_settings()) as engine:
        db.upgrade(engine, revision)
        typer.echo(f"database at {db.current_revision(engine)}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target, e.g. -1 or base.")]) -> None:
    """Revert migrations down to REVISION."""
    with connected(load_settings()) as engine:
        try:
            db.downgrade(engine, revision)
        except CommandError as exc:
            fail(f"cannot downgrade to {revision!r}: {exc}")
        typer.echo(f"database at {db.current_revision(engine) or 'base'}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and whether migrations are pending."""
    with connected(load_settings()) as engine:
        current, head = db.current_revision(engine), db.head_revision()
    state = "up to date" if current == head else f"pending: newest is {head}"
    typer.echo(f"{current or 'base'} ({state})")


@db_app.command("rerender")
def db_rerender() -> None:
    """Render posts and resources made by an older markdown renderer again."""
    with connected(load_settings()) as engine:
        migrate(engine)
        rendered = rerender(engine)
    typer.echo(f"re-rendered {rendered} posts and resources (renderer version {RENDERER_VERSION})")


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="Work email address.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    municipality: Annotated[str, typer.Option(help="Municipality slug, e.g. ludvika.")],
    title: Annotated[str, typer.Option(help="Job title.")] = "",
    admin: Annotated[bool, typer.Option(help="Make the official a coordinator.")] = False,
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from standard input instead of inviting.")
    ] = False,
) -> None:
    """Create an official: with a password from stdin, or invited by email."""
    settings = load_settings()
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    with unit_of_work(settings) as session:
        if password is None:
            user = users.invite_official(
                session,
                SYSTEM,
                email=email,
                name=name,
                municipality=municipality,
                title=title,
                is_coordinator=admin,
            )
        else:
            user = users.create_user(
                session,
                SYSTEM,
                email=email,
                name=name,
                municipality=municipality,
                title=title,
                is_coordinator=admin,
                password=password,
            )
    how = "active" if password is not None else "invited by email"
    typer.echo(f"created {user.email} (id {user.id}, {how})")


@user_app.command("erase")
def user_erase(
    email: Annotated[str, typer.Argument(help="The official's email address.")],
    with_content: Annotated[
        bool, typer.Option(help="Remove their posts, resources and files too.")
    ] = False,
) -> None:
    """GDPR erasure: remove an official's personal data; their posts stay under
    "Tidigare tjänsteperson, <municipality>" unless --with-content."""
    settings = load_settings()
    with unit_of_work(settings) as session:
        done = erasure.erase_by_email(session, SYSTEM, email=email, with_content=with_content)
    # Only now that the erasure is committed: a failed commit keeps the files.
    erasure.remove_files(settings.uploads, done.files)
    exports = personal_data.export_files_of(settings.export_dir, done.user_id)
    erasure.remove_files(settings.export_dir, [path.name for path in exports])
    typer.echo(done.summary())


@user_app.command("list")
def user_list() -> None:
    """List officials: email, name, municipality, status and role."""
    with unit_of_work(load_settings()) as session:
        rows = [
            (
                u.email,
                u.name,
                u.municipality.slug,
                u.status.value,
                "coordinator" if u.is_coordinator else "official",
            )
            for u in users.list_users(session, SYSTEM)
        ]
    for row in rows:
        typer.echo("\t".join(row))


@app.command("export-user")
def export_user(
    email: Annotated[str, typer.Argument(help="The official's email.")],
    out: Annotated[
        Path | None,
        typer.Option(help="The zip to write; default ./erfa-export-<handle>-<YYYYMMDD>.zip."),
    ] = None,
) -> None:
    """GDPR: everything erfa holds about an official, as JSON and their files, in one zip."""
    settings = load_settings()
    with unit_of_work(settings) as session:
        user = users.user_by_email(session, email)
        if user is None or user.id is None:
            fail(f"no official with the email {email.strip().lower()}")
        now = utcnow()
        day = now.astimezone(STOCKHOLM).strftime("%Y%m%d")
        target = (out or Path(f"erfa-export-{user.handle}-{day}.zip")).absolute()
        temporary = _export_target(target)
        try:
            with temporary.open("wb") as stream:
                personal_data.export_personal_data(
                    session, SYSTEM, user_id=user.id, target=stream, upload_dir=settings.uploads
                )
            _place_new(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
    typer.echo(f"wrote {target} ({target.stat().st_size} bytes)")


def _export_target(target: Path) -> Path:
    """An empty temporary file beside `target`, or a one-line error naming what is wrong."""
    if target.exists():
        fail(f"{target} exists already; nothing was written")
    if not target.parent.is_dir():
        fail(f"{target.parent} is not a folder; nothing was written")
    try:
        descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=".erfa-export-")
    except OSError as exc:
        fail(f"cannot write in {target.parent}: {exc.strerror}")
    os.close(descriptor)
    return Path(name)


def _place_new(temporary: Path, target: Path) -> None:
    """Give the finished file its name, never over a file made meanwhile."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        fail(f"{target} appeared while exporting; nothing was written")
    except OSError:  # a file system without hard links
        if target.exists():
            fail(f"{target} appeared while exporting; nothing was written")
        os.replace(temporary, target)


@group_app.command("create")
def group_create(
    slug: Annotated[str, typer.Option(help="URL name, e.g. ungdom.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    focus: Annotated[str, typer.Option(help="Focus area, e.g. youth or ungdom.")],
    visibility: Annotated[Visibility, typer.Option(case_sensitive=False)] = Visibility.OPEN,
    description: Annotated[str, typer.Option(help="What the group is for.")] = "",
) -> None:
    """Create an experience group."""
    with unit_of_work(load_settings()) as session:
        group = groups.create_group(
            session,
            SYSTEM,
            slug=slug,
            name=name,
            focus_area=groups.parse_focus_area(focus),
            description=description,
            visibility=visibility,
        )
    typer.echo(f"created group {group.slug} ({group.visibility.value})")


@group_app.command("add-member")
def group_add_member(
    slug: Annotated[str, typer.Argument(help="The group's slug.")],
    email: Annotated[str, typer.Argument(help="The official's email.")],
    lead: Annotated[bool, typer.Option(help="Make the official a lead of the group.")] = False,
) -> None:
    """Add an official to a group (or change their role there)."""
    role = MemberRole.LEAD if lead else MemberRole.MEMBER
    with unit_of_work(load_settings()) as session:
        user = users.user_by_email(session, email)
        if user is None or user.id is None:
            fail(f"no official with the email {email.strip().lower()}")
        groups.set_member(session, SYSTEM, slug=slug, user_id=user.id, role=role)
    typer.echo(f"{email.strip().lower()} is now {role.value} of {slug}")


@seed_app.command("demo")
def seed_demo() -> None:
    """Seed the demo data into an empty database and print the logins."""
    settings = load_settings()
    with unit_of_work(settings) as session:
        logins = seed.seed_demo(session)
    print_demo_logins(settings, [login.line() for login in logins])


@seed_app.command("synthetic")
def seed_synthetic(
    posts: Annotated[int, typer.Option(min=1, help="How many posts.")],
    threads: Annotated[
        int | None, typer.Option(min=1, help="How many threads (default: posts / 100).")
    ] = None,
) -> None:
    """Bulk data for benchmarks (the benchmark corpus: --posts 1000000 --threads 10000)."""
    with unit_of_work(load_settings()) as session:
        corpus = seed.seed_synthetic(session, posts=posts, threads=threads)
    typer.echo(
        f"seeded {corpus.groups} groups, {corpus.threads} threads, {corpus.posts} posts, "
        f"{corpus.officials} officials"
    )
    typer.echo(corpus.login.line())


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be deleted; delete nothing.")
    ] = False,
) -> None:
    """Delete what erfa no longer needs (docs/DATA.md): the purge `erfa serve` runs daily
    at 03:30 Swedish time, for deployments that run it from cron."""
    settings = load_settings()
    years = settings.audit_retention_years
    with connected(settings) as engine:
        migrate(engine)
        factory = db.make_session_factory(engine)
        if dry_run:
            with db.session_scope(factory) as session:
                counts = retention.preview(session, now=utcnow(), audit_years=years)
            typer.echo("Would delete: " + retention.summary(counts))
            return
        counts = retention.purge_all(factory, now=utcnow(), audit_years=years)
    expired = personal_data.purge_expired_exports(settings.export_dir, now=utcnow())
    typer.echo(f"Deleted: {retention.summary(counts)}, export_files {expired}")


@sync_app.command("pull")
def sync_pull(
    url: Annotated[str, typer.Option(help="erfa's address, e.g. https://erfa.example.se")],
    token: Annotated[str, typer.Option(help="A personal API token (or an access token).")],
    out: Annotated[Path, typer.Option(help="The mirror, JSON Lines; its cursor is kept beside.")],
) -> None:
    """Mirror the posts the token may read into OUT, resuming from the cursor kept in
    OUT.state; deleted and hidden posts leave the mirror."""
    if not url.startswith(("http://", "https://")):
        fail("--url must start with http:// or https://")
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=60) as client:
            result = sync_client.pull(client, out)
    except sync_client.SyncError as exc:
        fail(f"sync failed: {exc}")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}")
    typer.echo(
        f"{result.applied} changes in {result.pages} pages; {result.removed} removed; "
        f"{result.mirrored} posts in {out}"
    )


@archive_app.command("export")
def archive_export(
    out: Annotated[Path, typer.Option(help="The package to write, a new .zip file.")],
    group: Annotated[str | None, typer.Option(help="The group's slug.")] = None,
    year: Annotated[int | None, typer.Option(help="A calendar year, e.g. 2019.")] = None,
) -> None:
    """Write an archive package of one group (--group) or one calendar year (--year), of
    every group: HTML and JSON of the same content, the files, and a manifest of checksums."""
    try:
        scope = archive.scope_of(group=group, year=year)
    except DomainError as exc:
        fail(exc.detail.replace("a group", "--group").replace("a year", "--year"))
    if out.exists():
        fail(f"{out} exists already; give a new file")
    if not out.parent.is_dir() or not os.access(out.parent, os.W_OK):
        fail(f"cannot write {out}: its folder is missing or not writable")
    settings = load_settings()
    with connected(settings) as engine:
        migrate(engine)
        try:
            with db.make_session_factory(engine, read_only=True)() as session:
                counts = archive.export(
                    session, SYSTEM, scope=scope, target=out, upload_dir=settings.uploads
                )
        except DomainError as exc:
            fail(f"no group with the slug {group}" if scope.group else exc.detail)
        except OSError as exc:
            fail(f"cannot write {out}: {exc.strerror or exc}")
    typer.echo(
        f"{out}: {out.stat().st_size} bytes; {counts.groups} groups, {counts.threads} threads, "
        f"{counts.posts} posts, {counts.resources} resources, {counts.events} events, "
        f"{counts.files} files"
    )


@digest_app.command("send")
def digest_send(
    now: Annotated[
        bool, typer.Option("--now", help="Run the daily round now, not only when it is due.")
    ] = False,
) -> None:
    """Send the daily (and on Mondays the weekly) notification digests that are due: the
    round `erfa serve` runs at 07:00 Swedish time, for deployments that run it from cron."""
    settings = load_settings()
    warn_without_base_url(settings)
    with connected(settings) as engine:
        migrate(engine)
        gathered, mailed = worker.Runner(settings, engine).send_digests(force=now)
    if not gathered:
        typer.echo("No digest is due now (the round is at 07:00; --now runs it at once).")
        return
    typer.echo(f"{gathered} officials had news for a digest; {mailed} digests sent.")


@app.command("backup")
def backup_command(
    path: Annotated[Path, typer.Argument(help="A new (or empty) folder for the backup.")],
) -> None:
    """A consistent copy of the database and the uploads, taken while erfa serves, with a
    manifest of checksums (the README has a nightly example)."""
    settings = load_settings()
    with connected(settings) as engine:
        try:
            summary = backup.backup(settings, engine, path, _progress)
        except backup.BackupError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"cannot back up to {path}: {exc.strerror or exc}")
    typer.echo(summary.line("backed up to", path))


@app.command("restore")
def restore_command(
    path: Annotated[Path, typer.Argument(help="A folder made by erfa backup.")],
) -> None:
    """Restore a backup into an empty database and upload folder, checking every file
    against the manifest first; then migrate it to this erfa's schema."""
    settings = load_settings()
    with connected(settings) as engine:
        try:
            made = backup.read_manifest(path)
            typer.echo(f"restoring the {backup.describe(made)}", err=True)
            summary = backup.restore(settings, engine, path, _progress)
        except backup.BackupError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"cannot restore from {path}: {exc.strerror or exc}")
    typer.echo(summary.line("restored from", path))


def _progress(message: str) -> None:
    typer.echo(f"  {message}", err=True)


def warn_without_base_url(settings: Settings) -> None:
    """Mail written outside `erfa serve` needs ERFA_BASE_URL for its links."""
    if "base_url" not in settings.model_fields_set:
        typer.echo(
            f"ERFA_BASE_URL is not set: links in mail point to {settings.base_url}.", err=True
        )


def main() -> None:
    app(prog_name="erfa")


if __name__ == "__main__":
    main()
