"""The GDPR export: every reference to an official in the data model is covered, an
official with a row in every such table finds each row in the package, the package is
whole (manifest checksums, files byte for byte) and holds no secret and nobody else's."""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, SQLModel, select

from domain import personal_data, personal_data_categories, personal_data_readme, users
from domain.actor import SYSTEM, Actor, load_actor
from domain.errors import NotFound
from models import (
    Adoption,
    ApiToken,
    Attachment,
    AuditEntry,
    Event,
    EventDocument,
    Flag,
    Invitation,
    JoinRequest,
    Notification,
    NotificationKind,
    PasswordReset,
    PostRevision,
    Registration,
    Resource,
    ResourceGoal,
    SignupRequest,
    Subscription,
    ThreadRead,
    User,
    Webhook,
    WebhookDelivery,
    WebSession,
    utcnow,
)
from tests.factories import (
    make_group,
    make_membership,
    make_post,
    make_thread,
    make_user,
    municipality,
)

EXTRA_REFERENCES = {
    ("audit_entry", "actor_id"),  # a plain id: the log outlives the official's rows
    ("audit_entry", "target_id"),  # with target_type "user"
    ("signup_request", "email"),  # before there is an account, the email is the person
}


def user_references() -> set[tuple[str, str]]:
    """Every column with a foreign key to `user_account.id`, from the metadata."""
    return {
        (table.name, column.name)
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        for key in column.foreign_keys
        if key.column.table.name == "user_account" and key.column.name == "id"
    }


def test_every_reference_to_an_official_is_covered_by_the_export() -> None:
    missing = sorted((user_references() | EXTRA_REFERENCES) - set(personal_data_categories.COVERED))
    assert not missing, f"personal_data_categories.COVERED does not export {missing}"


def test_every_category_is_explained_in_the_readme() -> None:
    names = {"profile", *(category.name for category in personal_data_categories.CATEGORIES)}
    assert names == set(personal_data_readme.ABOUT)


@dataclass
class Made:
    subject: User
    other: User
    files: dict[str, bytes] = field(default_factory=dict)
    rows: dict[tuple[str, str], int] = field(default_factory=dict)
    """(table, column) → the key of the row whose column refers to the subject."""


def _add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def _id(row: Any) -> int:
    assert row.id is not None
    return int(row.id)


def _stored(upload_dir: Path, data: bytes) -> dict[str, Any]:
    name = secrets.token_hex(16)
    upload_dir.mkdir(parents=True, exist_ok=True)
    (upload_dir / name).write_bytes(data)
    return {"size": len(data), "storage_name": name, "sha256": hashlib.sha256(data).hexdigest()}


def make_everything(session: Session, upload_dir: Path) -> Made:
    """An official with a row in every table that refers to officials, beside another."""
    now = utcnow()
    subject = make_user(session, name="Karin Lund", email="karin.lund@nora.se")
    other = make_user(session, name="Olle Berg", email="olle.berg@ludvika.se")
    made = Made(subject, other)
    me, them = subject.id, other.id
    assert me is not None
    assert them is not None
    rows = made.rows
    group = make_group(session)
    rows["membership", "user_id"] = make_membership(session, group=group, user=subject).id or 0
    make_membership(session, group=group, user=other)
    rows["join_request", "user_id"] = _add(session, JoinRequest(group_id=_id(group), user_id=me)).id
    rows["join_request", "decided_by_id"] = _add(
        session, JoinRequest(group_id=_id(group), user_id=them, decided_by_id=me, decided_at=now)
    ).id
    thread = make_thread(session, group=group, author=subject)
    rows["thread", "author_id"] = _id(thread) or 0
    post = make_post(session, thread=thread, author=subject, body="Mitt inlägg")
    rows["post", "author_id"] = _id(post) or 0
    theirs = make_post(session, thread=thread, author=other, hidden_by_id=me, hidden_at=now)
    rows["post", "hidden_by_id"] = _id(theirs) or 0
    rows["post_revision", "edited_by_id"] = _add(
        session,
        PostRevision(post_id=_id(post), version=1, body="Första versionen", edited_by_id=me),
    ).id
    resource = _add(
        session,
        Resource(
            group_id=_id(group),
            author_id=me,
            title="Min modell",
            municipality_id=_id(municipality(session)),
        ),
    )
    _add(session, ResourceGoal(resource_id=_id(resource), goal_id=11))
    rows["resource", "author_id"] = _id(resource)
    rows["resource", "contact_user_id"] = _add(
        session,
        Resource(
            group_id=_id(group),
            author_id=them,
            contact_user_id=me,
            title="Deras verktyg",
            municipality_id=_id(municipality(session)),
        ),
    ).id
    made.files["attachment"] = b"%PDF-1.4 an attachment of Karin's\n"
    rows["attachment", "uploaded_by_id"] = _add(
        session,
        Attachment(
            resource_id=_id(resource),
            uploaded_by_id=me,
            filename="modell.pdf",
            content_type="application/pdf",
            **_stored(upload_dir, made.files["attachment"]),
        ),
    ).id
    rows["adoption", "recorded_by_id"] = _add(
        session,
        Adoption(
            resource_id=_id(resource),
            municipality_id=_id(municipality(session, "nora")),
            recorded_by_id=me,
        ),
    ).id
    event = _add(
        session,
        Event(
            title="Seminarium",
            starts_at=now + timedelta(days=3),
            ends_at=now + timedelta(days=3, hours=2),
            created_by_id=me,
        ),
    )
    rows["event", "created_by_id"] = _id(event)
    rows["registration", "user_id"] = _add(
        session, Registration(event_id=_id(event), user_id=me)
    ).id
    made.files["event_document"] = b"slides, byte for byte \x00\xff"
    rows["event_document", "uploaded_by_id"] = _add(
        session,
        EventDocument(
            event_id=_id(event),
            uploaded_by_id=me,
            filename="bilder.pptx",
            content_type="application/vnd.ms-powerpoint",
            **_stored(upload_dir, made.files["event_document"]),
        ),
    ).id
    rows["flag", "user_id"] = _add(
        session, Flag(post_id=_id(theirs), user_id=me, group_id=_id(group), reason="Off topic")
    ).id
    rows["flag", "resolved_by_id"] = _add(
        session, Flag(post_id=_id(post), user_id=them, group_id=_id(group), resolved_by_id=me)
    ).id
    rows["notification", "user_id"] = _add(
        session, Notification(user_id=me, kind=NotificationKind.REPLY, actor_id=them)
    ).id
    rows["notification", "actor_id"] = _add(
        session, Notification(user_id=them, kind=NotificationKind.MENTION, actor_id=me)
    ).id
    rows["subscription", "user_id"] = _add(
        session, Subscription(user_id=me, thread_id=_id(thread))
    ).id
    _add(session, ThreadRead(user_id=me, thread_id=_id(thread), last_read_position=1))
    rows["thread_read", "user_id"] = _id(thread) or 0
    rows["web_session", "user_id"] = _add(
        session,
        WebSession(user_id=me, token_hash=secrets.token_hex(32), expires_at=now, ip="198.51.100.7"),
    ).id
    _add(
        session,
        WebSession(
            user_id=them,
            token_hash=secrets.token_hex(32),
            expires_at=now,
            ip="203.0.113.99",
            user_agent="OthersBrowser/9.9",
        ),
    )
    rows["api_token", "user_id"] = _add(
        session,
        ApiToken(user_id=me, name="Intranät", token_hash=secrets.token_hex(32), prefix="erfa_abc"),
    ).id
    webhook = _add(
        session,
        Webhook(
            group_id=_id(group),
            created_by_id=me,
            url="https://intra.nora.se/hook",
            secret_nonce="n0nce-of-the-webhook",
        ),
    )
    rows["webhook", "created_by_id"] = webhook.id
    _add(
        session,
        WebhookDelivery(
            webhook_id=webhook.id, message_id="msg_1", event="post.created", payload="{}"
        ),
    )
    rows["invitation", "user_id"] = _add(
        session,
        Invitation(
            user_id=me, invited_by_id=them, token_hash=secrets.token_hex(32), expires_at=now
        ),
    ).id
    rows["invitation", "invited_by_id"] = _add(
        session,
        Invitation(
            user_id=them, invited_by_id=me, token_hash=secrets.token_hex(32), expires_at=now
        ),
    ).id
    rows["password_reset", "user_id"] = _add(
        session, PasswordReset(user_id=me, token_hash=secrets.token_hex(32), expires_at=now)
    ).id
    nora = _id(municipality(session, "nora"))
    rows["signup_request", "email"] = _add(
        session, SignupRequest(email=subject.email, name="Karin Lund", municipality_id=nora)
    ).id
    rows["signup_request", "decided_by_id"] = _add(
        session,
        SignupRequest(
            email="someone@nora.se", name="Någon", municipality_id=nora, decided_by_id=me
        ),
    ).id
    rows["audit_entry", "actor_id"] = _add(
        session,
        AuditEntry(actor_id=me, action="post.hide", target_type="post", target_id=_id(theirs)),
    ).id
    rows["audit_entry", "target_id"] = _add(
        session, AuditEntry(actor_id=them, action="user.update", target_type="user", target_id=me)
    ).id
    return made


def export(session: Session, user: User, upload_dir: Path) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    assert user.id is not None
    personal_data.export_personal_data(
        session, SYSTEM, user_id=user.id, target=buffer, upload_dir=upload_dir
    )
    return zipfile.ZipFile(io.BytesIO(buffer.getvalue()))


def category_rows(package: zipfile.ZipFile, name: str) -> list[dict[str, Any]]:
    rows = json.loads(package.read(f"data/{name}.json"))
    assert isinstance(rows, list)
    return rows


def test_an_official_with_a_row_in_every_table_finds_every_row_in_the_export(
    session: Session, tmp_path: Path
) -> None:
    made = make_everything(session, tmp_path / "uploads")
    # The world must keep up with the data model: a new reference needs a row here.
    assert set(made.rows) == user_references() | EXTRA_REFERENCES
    package = export(session, made.subject, tmp_path / "uploads")
    keys = {category.name: category.key for category in personal_data_categories.CATEGORIES}
    for reference, key in sorted(made.rows.items()):
        name = personal_data_categories.COVERED[reference]
        found = {row[keys[name]] for row in category_rows(package, name)}
        assert key in found, f"{reference}: row {key} is not in data/{name}.json ({found})"
    profile = json.loads(package.read("data/profile.json"))
    assert profile["email"] == "karin.lund@nora.se"
    assert profile["has_password"] is True
    assert profile["municipality"]["slug"] == "avesta"
    [resource_goal] = category_rows(package, "resource_goals")
    assert resource_goal == {"resource_id": made.rows["resource", "author_id"], "goal_id": 11}
    [revision] = category_rows(package, "post_revisions")
    assert revision["body"] == "Första versionen"


def test_the_package_is_whole_and_holds_no_secret_and_nothing_of_anyone_else(
    session: Session, tmp_path: Path
) -> None:
    made = make_everything(session, tmp_path / "uploads")
    package = export(session, made.subject, tmp_path / "uploads")
    manifest = json.loads(package.read("manifest.json"))
    assert manifest["official"]["email"] == "karin.lund@nora.se"
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(listed) == set(package.namelist()) - {"manifest.json"}
    for path, entry in listed.items():
        data = package.read(path)
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["size"], entry["sha256"])
    attachment = f"files/attachments/{made.rows['attachment', 'uploaded_by_id']}-modell.pdf"
    document = f"files/event_documents/{made.rows['event_document', 'uploaded_by_id']}-bilder.pptx"
    assert package.read(attachment) == made.files["attachment"]
    assert package.read(document) == made.files["event_document"]
    readme = package.read("LÄSMIG.txt").decode()
    assert "Dina rättigheter" in readme
    assert "Your rights" in readme
    assert "data/posts.json" in readme
    everything = b"".join(package.read(name) for name in package.namelist())
    secrets_ = [made.subject.password_hash or "", "n0nce-of-the-webhook"]
    for table in (WebSession, ApiToken, Invitation, PasswordReset):
        secrets_ += [str(row.token_hash) for row in session.exec(select(table)).all()]  # type: ignore[attr-defined]
    for secret in secrets_:
        assert secret.encode() not in everything
    for others in ("203.0.113.99", "OthersBrowser/9.9", "olle.berg@ludvika.se", "someone@nora.se"):
        assert others.encode() not in everything, others
    assert b"token_hash" not in everything
    assert b"password_hash" not in everything


def test_a_missing_file_is_listed_rather_than_failing_the_export(
    session: Session, tmp_path: Path
) -> None:
    made = make_everything(session, tmp_path / "uploads")
    for stored in (tmp_path / "uploads").iterdir():
        stored.unlink()
    package = export(session, made.subject, tmp_path / "uploads")
    manifest = json.loads(package.read("manifest.json"))
    assert len(manifest["missing_files"]) == 2
    assert manifest["missing_files"][0] in package.read("LÄSMIG.txt").decode()


def test_what_a_coordinator_did_to_others_is_exported_without_the_others_data(
    session: Session, tmp_path: Path
) -> None:
    coordinator = make_user(session, name="Cissi Samordnare", is_coordinator=True)
    colleague = make_user(session, name="Conny Samordnare", is_coordinator=True)
    suspended = make_user(session, name="Sune Avstängd", email="sune.avstangd@ludvika.se")
    assert coordinator.id is not None
    assert colleague.id is not None
    assert suspended.id is not None
    cissi = load_actor(session, coordinator.id)
    users.set_suspended(
        session, cissi, user_id=suspended.id, suspended=True, reason="Sunes skäl: sjukskriven"
    )
    invited = users.invite_official(
        session, cissi, email="ines.inbjuden@nora.se", name="Ines Inbjuden", municipality="nora"
    )
    # What is done about the coordinator is theirs, with the reason.
    users.set_suspended(
        session,
        load_actor(session, colleague.id),
        user_id=coordinator.id,
        suspended=True,
        reason="Cissis skäl: tjänstledig",
    )
    package = export(session, coordinator, tmp_path)
    everything = b"".join(package.read(name) for name in package.namelist())
    for others in (
        "Sunes skäl",
        "sune.avstangd@ludvika.se",
        "Sune Avstängd",
        "ines.inbjuden@nora.se",
        "Ines Inbjuden",
    ):
        assert others.encode() not in everything, others
    entries = {
        (entry["action"], entry["target_id"]): entry
        for entry in category_rows(package, "audit_entries")
    }
    for acted in (("user.suspend", suspended.id), ("user.invite", invited.id)):
        entry = entries[acted]
        assert entry["actor_id"] == coordinator.id
        assert entry["target_type"] == "user"
        assert entry["created_at"]
        assert (entry["reason"], entry["before"], entry["after"], entry["detail"]) == (
            None,
            None,
            None,
            None,
        )
    about = entries["user.suspend", coordinator.id]
    assert about["reason"] == "Cissis skäl: tjänstledig"
    assert about["after"] == {"status": "suspended"}


def test_the_export_asks_one_statement_per_category_however_many_posts(
    session: Session,
    tmp_path: Path,
    count_statements: Callable[[Callable[[], object]], int],
) -> None:
    author = make_user(session)
    thread = make_thread(session, group=make_group(session), author=author)
    counts = []
    for posts in (1, 30):
        for _ in range(posts):
            make_post(session, thread=thread, author=author)
        counts.append(count_statements(lambda: export(session, author, tmp_path)))
    assert counts[0] == counts[1]


def test_only_the_official_and_the_console_may_export(session: Session, tmp_path: Path) -> None:
    karin = make_user(session)
    olle = make_user(session)
    assert karin.id is not None
    assert olle.id is not None
    buffer = io.BytesIO()
    with pytest.raises(NotFound):
        personal_data.export_personal_data(
            session,
            load_actor(session, olle.id),
            user_id=karin.id,
            target=buffer,
            upload_dir=tmp_path,
        )
    personal_data.export_personal_data(
        session, load_actor(session, karin.id), user_id=karin.id, target=buffer, upload_dir=tmp_path
    )
    assert zipfile.ZipFile(buffer).read("data/profile.json")


def test_links_are_signed_expire_and_are_purged(tmp_path: Path) -> None:
    key = b"k" * 32
    now = utcnow()
    karin = Actor(user_id=7, active=True)
    olle = Actor(user_id=8, active=True)
    fresh = f"7-{int((now + timedelta(days=7)).timestamp())}-abc"
    stale = f"7-{int((now - timedelta(seconds=1)).timestamp())}-def"
    for name in (fresh, stale):
        (tmp_path / f"{name}.zip").write_bytes(b"zip")
    token = personal_data.export_token(key, fresh)
    found = personal_data.open_export(karin, key=key, token=token, export_dir=tmp_path, now=now)
    assert found.path == tmp_path / f"{fresh}.zip"
    with pytest.raises(NotFound):
        personal_data.open_export(olle, key=key, token=token, export_dir=tmp_path, now=now)
    tampered = personal_data.export_token(key, fresh).replace("7-", "8-", 1)
    with pytest.raises(NotFound):
        personal_data.open_export(olle, key=key, token=tampered, export_dir=tmp_path, now=now)
    expired = personal_data.export_token(key, stale)
    gone = personal_data.open_export(karin, key=key, token=expired, export_dir=tmp_path, now=now)
    assert gone.path is None
    assert personal_data.purge_expired_exports(tmp_path, now=now) == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == [f"{fresh}.zip"]
    later = now + timedelta(days=8)
    assert personal_data.purge_expired_exports(tmp_path, now=later) == 1
    assert personal_data.purge_expired_exports(tmp_path / "none", now=later) == 0
