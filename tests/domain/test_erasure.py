"""GDPR erasure of an official: nothing of the person is left in any column of any table,
their content stays (under "Tidigare tjänsteperson") or goes as tombstones, mirrors learn
either through the changes feed, and only coordinators erase, never the last one."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel, select

from domain import (
    attachments,
    audit,
    auth,
    erasure,
    erasure_content,
    handles,
    resources,
    threads,
    users,
)
from domain.actor import SYSTEM, load_actor
from domain.errors import Conflict, Forbidden, Invalid, NotFound
from erfa.settings import Settings
from models import (
    AuditEntry,
    Event,
    EventDocument,
    Flag,
    Group,
    Invitation,
    JoinRequest,
    MemberRole,
    Membership,
    PasswordReset,
    Post,
    PostRevision,
    ProgrammeItem,
    Registration,
    RegistrationStatus,
    Resource,
    ResourceKind,
    Scope,
    SearchEntry,
    SignupRequest,
    Thread,
    User,
    UserStatus,
    Visibility,
    Webhook,
    WebhookDelivery,
    utcnow,
)
from tests.factories import make_group, make_membership, make_user
from tests.factories import municipality as municipality_of

NAME = "Åsa Raderad"
EMAIL = "asa.raderad@ludvika.se"
SECRET_TEXT = "Hemlighetsfull formulering"
Client = Callable[[User], TestClient]


@dataclass(frozen=True)
class World:
    group: Group
    coordinator: User
    person: User
    other: User
    handle: str
    opened: Thread
    """Started by the person, replied to by the other."""
    alone: Thread
    """Started by the person, nobody else wrote in it."""
    theirs_elsewhere: Thread
    """Started by the other; the person's reply is the last."""
    resource: Resource
    files: list[Path]


def build_world(session: Session, settings: Settings) -> World:
    """An official with rows in every table that can hold something of them."""
    group = make_group(session, slug="radering", name="Raderingsgruppen")
    closed = make_group(session, slug="stangd", name="Stängd", visibility=Visibility.CLOSED)
    coordinator = make_user(session, name="Cissi Samordnare", is_coordinator=True)
    person = make_user(
        session,
        name=NAME,
        email=EMAIL,
        title="Miljöstrateg",
        municipality_id=municipality_of(session, "ludvika").id,
        is_representative=True,
        last_active_at=utcnow(),
    )
    other = make_user(session, name="Bo Kvar", email="bo.kvar@nora.se")
    make_membership(session, group=group, user=person, role=MemberRole.LEAD)
    make_membership(session, group=group, user=other)
    assert person.id is not None
    assert other.id is not None
    assert group.id is not None
    me, them = load_actor(session, person.id), load_actor(session, other.id)

    opened = threads.start_thread(
        session, me, slug="radering", title="Klimatanpassning", body=f"{SECRET_TEXT} ett"
    )
    assert opened.id is not None
    threads.reply(session, them, thread_id=opened.id, body="Bra fråga")
    first = session.exec(select(Post).where(Post.thread_id == opened.id, Post.position == 1)).one()
    assert first.id is not None
    threads.edit_post(
        session, me, post_id=first.id, body=f"{SECRET_TEXT} redigerad", expected_version=None
    )
    alone = threads.start_thread(
        session, me, slug="radering", title="Ensam tråd", body=f"{SECRET_TEXT} två"
    )
    elsewhere = threads.start_thread(
        session, them, slug="radering", title="Bos tråd", body="Bo undrar"
    )
    assert elsewhere.id is not None
    threads.reply(session, me, thread_id=elsewhere.id, body=f"{SECRET_TEXT} tre")
    threads.follow_thread(session, me, elsewhere.id)

    resource = resources.share_resource(
        session,
        me,
        slug="radering",
        title="Åsas modell",
        summary=f"{SECRET_TEXT} fyra",
        kind=ResourceKind.MODEL,
        municipality="ludvika",
        sections={"background": f"{SECRET_TEXT} fem"},
    )
    assert resource.id is not None
    resource.contact_name, resource.contact_email = NAME, EMAIL
    attachment = attachments.add_attachment(
        session,
        me,
        resource_id=resource.id,
        filename="modell.txt",
        chunks=iter(["Åsas anteckningar\n".encode()]),
        upload_dir=settings.uploads,
        max_bytes=1 << 20,
    )

    now = utcnow()
    event = Event(
        title="Seminarium",
        starts_at=now + timedelta(days=7),
        ends_at=now + timedelta(days=7, hours=2),
        group_id=group.id,
        created_by_id=person.id,
        capacity=1,
        registered_count=1,
        waiting_count=1,
    )
    session.add(event)
    session.flush()
    assert event.id is not None
    session.add(
        ProgrammeItem(event_id=event.id, starts_at=event.starts_at, title="Inledning", speaker=NAME)
    )
    session.add(Registration(event_id=event.id, user_id=person.id))
    session.add(
        Registration(event_id=event.id, user_id=other.id, status=RegistrationStatus.WAITING)
    )
    settings.uploads.mkdir(parents=True, exist_ok=True)
    (settings.uploads / "dokument-asa").write_bytes(b"slides")
    session.add(
        EventDocument(
            event_id=event.id,
            uploaded_by_id=person.id,
            filename="bilder.pdf",
            content_type="application/pdf",
            size=6,
            storage_name="dokument-asa",
            sha256="0" * 64,
        )
    )

    auth.start_session(session, person.id)
    auth.create_api_token(session, me, name="Intranätet", scopes=[Scope.READ])
    session.add(PasswordReset(user_id=person.id, token_hash="r" * 64, expires_at=now))
    session.add(Invitation(user_id=person.id, token_hash="i" * 64, expires_at=now))
    assert closed.id is not None
    session.add(JoinRequest(group_id=closed.id, user_id=person.id, message=f"Jag är {NAME}"))
    session.add(SignupRequest(email=EMAIL, name=NAME, municipality_id=person.municipality_id))
    first_of_other = session.exec(
        select(Post).where(Post.thread_id == elsewhere.id, Post.position == 1)
    ).one()
    assert first_of_other.id is not None
    session.add(Flag(post_id=first_of_other.id, user_id=person.id, group_id=group.id, reason="Fel"))
    webhook = Webhook(
        group_id=group.id, created_by_id=person.id, url="https://x.se", secret_nonce="n"
    )
    others_hook = Webhook(
        group_id=group.id, created_by_id=other.id, url="https://y.se", secret_nonce="m"
    )
    session.add_all([webhook, others_hook])
    session.flush()
    payload = {
        "type": "post.created",
        "data": {
            "id": first.id,
            "author": {
                "id": person.id,
                "name": NAME,
                "title": "Miljöstrateg",
                "municipality": "ludvika",
            },
            "body": f"{SECRET_TEXT} ett",
        },
    }
    # Every payload shape that carries an author (`domain/webhooks.py`): a post's own
    # (post.created, .updated, .hidden, .deleted) and a discussion's first post's.
    started = {
        "type": "thread.created",
        "data": {
            "id": opened.id,
            "group": "radering",
            "title": "Klimatanpassning",
            "first_post": payload["data"],
        },
    }
    bos = {
        "type": "post.created",
        "data": {"id": 0, "author": {"id": other.id, "name": "Bo Kvar", "title": "Utvecklare"}},
    }
    for n, hook in enumerate((webhook, others_hook)):
        assert hook.id is not None
        for kind, body in (("post", payload), ("thread", started), ("bo", bos)):
            session.add(
                WebhookDelivery(
                    webhook_id=hook.id,
                    message_id=f"msg_{person.id}_{n}_{kind}",
                    event=str(body["type"]),
                    payload=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                )
            )
    audit.record(
        session,
        SYSTEM,
        "user.invite",
        target_type="user",
        target_id=person.id,
        after={"email": EMAIL, "name": NAME, "status": "invited"},
    )
    audit.record(
        session,
        load_actor(session, coordinator.id or 0),
        "membership.add",
        target_type="membership",
        target_id=None,
        group_id=group.id,
        reason=f"{NAME} leder gruppen",
        official=NAME,
    )
    session.flush()
    session.refresh(person)
    return World(
        group,
        coordinator,
        person,
        other,
        person.handle,
        opened,
        alone,
        elsewhere,
        resource,
        [settings.uploads / attachment.storage_name, settings.uploads / "dokument-asa"],
    )


def personal_data_left(session: Session, needles: list[str]) -> list[str]:
    """Every `table.column` (text, varchar or JSON) of every table that holds a needle, in
    the stored form or as JSON escapes it."""
    found: list[str] = []
    forms = {form for needle in needles for form in (needle, json.dumps(needle)[1:-1])}
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            kind = getattr(column.type, "impl", column.type)  # AutoString decorates String
            if not isinstance(kind, sa.String | sa.Text | sa.JSON):
                continue
            text = sa.cast(column, sa.Text)
            hit = session.execute(
                sa.select(sa.func.count())
                .select_from(table)
                .where(sa.or_(*(text.contains(form, autoescape=True) for form in forms)))
            ).scalar_one()
            if hit:
                found.append(f"{table.name}.{column.name}")
    return found


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    return build_world(session, settings)


def test_the_world_holds_the_person_everywhere_before(session: Session, world: World) -> None:
    left = personal_data_left(session, [EMAIL, NAME, world.handle])
    for expected in (
        "user_account.email",
        "user_account.name",
        "thread.last_poster_name",
        "resource.contact_name",
        "programme_item.speaker",
        "webhook_delivery.payload",
        "audit_entry.after",
        "audit_entry.detail",
        "signup_request.email",
    ):
        assert expected in left


@pytest.mark.parametrize("with_content", [False, True])
def test_no_personal_data_is_left_in_any_column(
    session: Session, world: World, with_content: bool
) -> None:
    assert world.person.id is not None
    done = erasure.erase_official(
        session, SYSTEM, user_id=world.person.id, with_content=with_content
    )
    session.flush()
    session.expire_all()
    assert personal_data_left(session, [EMAIL, NAME, world.handle]) == []
    person = session.get(User, world.person.id)
    assert person is not None
    assert (person.name, person.title, person.status) == (
        erasure.ERASED_NAME,
        "",
        UserStatus.ERASED,
    )
    assert person.email == f"erased-{person.id}@invalid"
    assert person.password_hash is None
    assert not person.is_representative
    assert person.last_active_at is None
    for model in (Registration, Invitation, PasswordReset, JoinRequest):
        assert session.exec(select(model).where(model.user_id == person.id)).all() == []
    assert session.exec(select(SignupRequest).where(SignupRequest.email == EMAIL)).all() == []
    assert done.removed["sessions"] == 1
    assert done.removed["API tokens"] == 1
    # The waiting official got the freed place.
    event = session.exec(select(Event).where(Event.title == "Seminarium")).one()
    assert (event.registered_count, event.waiting_count) == (1, 0)
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "user.erase")).one()
    assert entry.target_id == person.id
    assert entry.detail["with_content"] is with_content
    if with_content:
        assert personal_data_left(session, [SECRET_TEXT]) == []
        assert session.exec(select(PostRevision)).all() == []
    else:
        assert "post.body" in personal_data_left(session, [SECRET_TEXT])


def test_without_content_posts_and_files_stay_under_the_new_name(
    session: Session, world: World
) -> None:
    assert world.person.id is not None
    done = erasure.erase_official(session, SYSTEM, user_id=world.person.id, with_content=False)
    assert done.files == []
    assert done.posts_kept == 4
    assert done.resources_kept == 1
    assert all(path.exists() for path in world.files)
    posts = session.exec(select(Post).where(Post.author_id == world.person.id)).all()
    assert len(posts) == 4
    assert all(post.deleted_at is None for post in posts)
    session.refresh(world.theirs_elsewhere)
    assert world.theirs_elsewhere.last_poster_name == erasure.ERASED_NAME
    assert "Tidigare tjänsteperson" in done.summary()


def test_with_content_posts_are_tombstones_and_files_go_after_the_commit(
    session: Session, world: World, settings: Settings
) -> None:
    assert world.person.id is not None
    assert world.resource.id is not None
    done = erasure.erase_official(session, SYSTEM, user_id=world.person.id, with_content=True)
    # Nothing is removed from the disk by the erasure itself: only after the commit.
    assert all(path.exists() for path in world.files)
    assert sorted(settings.uploads / name for name in done.files) == sorted(world.files)
    assert erasure.remove_files(settings.uploads, done.files) == 2
    assert not any(path.exists() for path in world.files)
    session.expire_all()
    posts = session.exec(select(Post).where(Post.author_id == world.person.id)).all()
    assert len(posts) == 4
    assert all(post.deleted_at is not None and post.body == "" for post in posts)
    resource = session.get(Resource, world.resource.id)
    assert resource is not None
    assert resource.deleted_at is not None
    assert resource.summary == ""
    # The search index holds nothing of theirs; the discussion others replied to stays.
    indexed = session.exec(select(SearchEntry)).all()
    assert {(e.kind, e.ref_id) for e in indexed if e.kind == "post"} & {
        ("post", post.id) for post in posts
    } == set()
    threads_indexed = {e.ref_id for e in indexed if e.kind == "thread"}
    assert world.opened.id in threads_indexed
    assert world.alone.id not in threads_indexed
    assert not any(e.kind == "resource" and e.ref_id == world.resource.id for e in indexed)
    assert session.exec(select(Flag).where(Flag.user_id == world.person.id)).all() == []


@pytest.mark.parametrize("with_content", [False, True])
def test_the_changes_feed_carries_each_of_their_posts_once_more(
    session: Session, world: World, api_as: Client, with_content: bool
) -> None:
    assert world.person.id is not None
    client = api_as(world.other)
    cursor = _drain(client, None)[1]
    resource_cursor = client.get("/api/v1/sync/resources?limit=1000").json()["next_cursor"]
    before = _positions(session)
    erasure.erase_official(session, SYSTEM, user_id=world.person.id, with_content=with_content)
    session.flush()
    items, _ = _drain(client, cursor)
    theirs = set(session.exec(select(Post.id).where(Post.author_id == world.person.id)).all())
    assert {item["id"] for item in items} == theirs
    assert len(items) == len(theirs)
    for item in items:
        assert item["author"]["name"] == erasure.ERASED_NAME
        assert item["author"]["title"] == ""
        assert item["deleted"] is with_content
        assert (item["body"] is None) is with_content
    changed = client.get(f"/api/v1/sync/resources?cursor={resource_cursor}").json()["items"]
    assert [(r["id"], r["deleted"]) for r in changed] == [(world.resource.id, with_content)]
    # New positions, each its own, all after every position taken before.
    after = _positions(session)
    fresh = [position for position in after if position not in before]
    assert len(fresh) == len(set(fresh)) == len(theirs) + 1
    assert min(fresh) > max(before)


def _positions(session: Session) -> list[tuple[int, int]]:
    rows = [
        *session.execute(sa.select(Post.change_txid, Post.change_seq)).all(),  # type: ignore[call-overload]
        *session.execute(sa.select(Resource.change_txid, Resource.change_seq)).all(),  # type: ignore[call-overload]
    ]
    return [(int(txid), int(seq)) for txid, seq in rows]


def _drain(client: TestClient, cursor: str | None) -> tuple[list[dict[str, Any]], str]:
    items: list[dict[str, Any]] = []
    while True:
        query = "?limit=1000" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"/api/v1/sync/posts{query}").json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            assert cursor is not None
            return items, cursor


@pytest.mark.parametrize("with_content", [False, True])
def test_a_prolific_author_costs_no_more_statements_than_a_quiet_one(
    session: Session, count_statements: Callable[[Callable[[], object]], int], with_content: bool
) -> None:
    group = make_group(session, slug="flitig")
    counts = []
    for posts in (2, 30):
        author = make_user(session)
        make_membership(session, group=group, user=author)
        author_id = author.id
        assert author_id is not None
        actor = load_actor(session, author_id)
        thread = threads.start_thread(session, actor, slug="flitig", title="Många", body="Ett")
        assert thread.id is not None
        for n in range(posts - 1):
            threads.reply(session, actor, thread_id=thread.id, body=f"Svar {n}")
        session.flush()

        def erase(author_id: int = author_id) -> object:
            return erasure.erase_official(
                session, SYSTEM, user_id=author_id, with_content=with_content
            )

        counts.append(count_statements(erase))
    assert counts[0] == counts[1]


def test_the_last_active_coordinator_is_not_erased(session: Session) -> None:
    for user in session.exec(select(User).where(User.is_coordinator)).all():
        user.is_coordinator = False
    only = make_user(session, name="Ensam Samordnare", is_coordinator=True)
    session.flush()
    assert only.id is not None
    with pytest.raises(Conflict, match="at least one coordinator"):
        erasure.erase_official(session, SYSTEM, user_id=only.id, with_content=False)
    session.refresh(only)
    assert only.status is UserStatus.ACTIVE
    assert only.name == "Ensam Samordnare"


def test_only_coordinators_erase_and_never_themselves(session: Session, world: World) -> None:
    assert world.person.id is not None
    assert world.coordinator.id is not None
    member = load_actor(session, world.other.id or 0)
    with pytest.raises(Forbidden):
        erasure.erase_official(session, member, user_id=world.person.id, with_content=False)
    coordinator = load_actor(session, world.coordinator.id)
    with pytest.raises(Forbidden, match="their own"):
        erasure.erasure_target(session, coordinator, user_id=world.coordinator.id)
    with pytest.raises(NotFound):
        erasure.erase_official(session, coordinator, user_id=10**9, with_content=False)
    with pytest.raises(Invalid):
        erasure.erase_official(
            session,
            coordinator,
            user_id=world.person.id,
            with_content=False,
            confirmation="someone@else.se",
        )
    target = erasure.erasure_target(session, coordinator, user_id=world.person.id)
    assert (target.name, target.email, target.posts, target.resources) == (NAME, EMAIL, 4, 1)
    erasure.erase_official(
        session,
        coordinator,
        user_id=world.person.id,
        with_content=False,
        confirmation=EMAIL.upper(),
    )
    with pytest.raises(Conflict, match="erased already"):
        erasure.erase_official(session, coordinator, user_id=world.person.id, with_content=False)


def test_an_erased_official_cannot_be_brought_back_or_changed_through_the_api(
    session: Session, api_as: Callable[[User], TestClient]
) -> None:
    """Suspending and reactivating would make an erased account `invited` again, and a
    membership or a role would give the placeholder a life of its own."""
    coordinator = make_user(session, is_coordinator=True)
    make_user(session, is_coordinator=True)
    official = make_user(session)
    group = make_group(session, slug="erased-g")
    assert official.id is not None
    erasure.erase_official(session, SYSTEM, user_id=official.id, with_content=False)
    session.flush()
    api = api_as(coordinator)

    refused = [
        api.post(f"/api/v1/users/{official.id}/suspend", json={}),
        api.post(f"/api/v1/users/{official.id}/reactivate"),
        api.patch(f"/api/v1/users/{official.id}", json={"is_coordinator": True}),
        api.put(f"/api/v1/groups/{group.slug}/members/{official.id}", json={"role": "member"}),
    ]

    assert [response.status_code for response in refused] == [409, 409, 409, 409]
    session.refresh(official)
    assert official.status is UserStatus.ERASED
    assert not official.is_coordinator
    assert session.exec(select(Membership).where(Membership.user_id == official.id)).all() == []


def _authors(value: Any) -> list[dict[str, Any]]:
    """Every "author" object anywhere in a payload."""
    if isinstance(value, dict):
        found = [value["author"]] if isinstance(value.get("author"), dict) else []
        return found + [a for item in value.values() for a in _authors(item)]
    if isinstance(value, list):
        return [a for item in value for a in _authors(item)]
    return []


@pytest.mark.parametrize("with_content", [False, True])
def test_every_author_object_of_theirs_in_the_delivery_log_is_scrubbed(
    session: Session, world: World, with_content: bool
) -> None:
    assert world.person.id is not None
    erasure.erase_official(session, SYSTEM, user_id=world.person.id, with_content=with_content)
    session.flush()
    session.expire_all()
    payloads = [json.loads(d.payload) for d in session.exec(select(WebhookDelivery)).all()]
    kinds = sorted(payload["type"] for payload in payloads)
    # Their own webhook went with its log; in the other's, the deliveries of their posts
    # (their text) go with their content, and Bo's stays.
    if with_content:
        assert kinds == ["post.created"]
    else:
        assert kinds == ["post.created", "post.created", "thread.created"]
    theirs = [a for p in payloads for a in _authors(p) if a["id"] == world.person.id]
    assert len(theirs) == (0 if with_content else 2)
    assert all((a["name"], a["title"]) == (erasure.ERASED_NAME, "") for a in theirs)
    bos = [a for p in payloads for a in _authors(p) if a["id"] == world.other.id]
    assert [(a["name"], a["title"]) for a in bos] == [("Bo Kvar", "Utvecklare")]


def test_other_officials_with_near_miss_names_and_addresses_stay_intact(
    session: Session, world: World
) -> None:
    """Only whole values and whole words are the person's: "Åsa Raderadsson" and
    "lisasa.raderad@ludvika.se" are someone else."""
    assert world.person.id is not None
    near = make_user(
        session,
        name=f"{NAME}sson",
        email=f"lis{EMAIL}",
        handle=f"{world.handle}-2",
        municipality_id=world.person.municipality_id,
    )
    assert near.id is not None
    coordinator = load_actor(session, world.coordinator.id or 0)
    near_data = {"email": near.email, "name": near.name, "handle": near.handle}
    audit.record(
        session, SYSTEM, "user.invite", target_type="user", target_id=near.id, after=near_data
    )
    free_texts = {
        f"{near.name} leder gruppen": f"{near.name} leder gruppen",
        f"Skriv till {near.email} eller @{near.handle}": (
            f"Skriv till {near.email} eller @{near.handle}"
        ),
        f"{NAME} och {near.name} leder, @{world.handle} skriver.": (
            f"{erasure.ERASED_NAME} och {near.name} leder, @erased-{world.person.id} skriver."
        ),
        f"Mejla {EMAIL}.": f"Mejla erased-{world.person.id}@invalid.",
    }
    for reason in free_texts:
        audit.record(
            session,
            coordinator,
            "membership.add",
            target_type="membership",
            target_id=None,
            reason=reason,
        )
    event = session.exec(select(Event).where(Event.title == "Seminarium")).one()
    assert event.id is not None
    speakers = {
        near.name: near.name,
        f"{NAME}, {near.name}": f"{erasure.ERASED_NAME}, {near.name}",
        f"Anna {NAME}dotter": f"Anna {NAME}dotter",
    }
    for speaker in speakers:
        session.add(
            ProgrammeItem(
                event_id=event.id, starts_at=event.starts_at, title="Panel", speaker=speaker
            )
        )
    session.flush()

    erasure.erase_official(session, SYSTEM, user_id=world.person.id, with_content=False)
    session.flush()
    session.expire_all()

    kept = session.get(User, near.id)
    assert kept is not None
    assert (kept.name, kept.email, kept.handle) == (
        f"{NAME}sson",
        f"lis{EMAIL}",
        near_data["handle"],
    )
    invited = session.exec(
        select(AuditEntry).where(
            AuditEntry.action == "user.invite", AuditEntry.target_id == near.id
        )
    ).one()
    assert invited.after == near_data
    reasons = session.exec(
        select(AuditEntry.reason).where(AuditEntry.action == "membership.add")
    ).all()
    for before, after in free_texts.items():
        assert after in reasons, before
    stored = session.exec(select(ProgrammeItem.speaker).where(ProgrammeItem.title == "Panel")).all()
    assert sorted(stored) == sorted(speakers.values())


@pytest.mark.parametrize("with_content", [False, True])
def test_a_discussion_of_nothing_but_their_posts_loses_its_title_with_their_content(
    session: Session, world: World, api_as: Client, with_content: bool
) -> None:
    assert world.person.id is not None
    assert world.alone.id is not None
    client = api_as(world.other)
    cursor = _drain(client, None)[1]
    group_version = world.group.version
    alone_version = world.alone.version
    erasure.erase_official(session, SYSTEM, user_id=world.person.id, with_content=with_content)
    session.flush()
    session.expire_all()
    listed = client.get(f"/api/v1/groups/{world.group.slug}/threads").json()
    titles = {item["id"]: item["title"] for item in listed["items"]}
    alone = session.get(Thread, world.alone.id)
    assert alone is not None
    if with_content:
        assert titles[world.alone.id] == erasure_content.REMOVED_THREAD_TITLE
        assert alone.version == alone_version + 1
        assert personal_data_left(session, ["Ensam tråd"]) == []
    else:
        assert titles[world.alone.id] == "Ensam tråd"
    # Others replied to the one they opened: its title stays either way.
    assert titles[world.opened.id] == "Klimatanpassning"
    assert titles[world.theirs_elsewhere.id] == "Bos tråd"
    group = session.get(Group, world.group.id)
    assert group is not None
    assert group.version > group_version
    # The changes feed carries the discussion's posts, tombstones with its content.
    items, _ = _drain(client, cursor)
    alone_items = [item for item in items if item["thread_id"] == world.alone.id]
    assert len(alone_items) == 1
    assert alone_items[0]["deleted"] is with_content


def test_no_official_takes_a_handle_of_the_erased(session: Session, world: World) -> None:
    """`erased-<id>` is what erasure gives: an official who could take it would make a
    later erasure of official <id> fail."""
    assert world.person.id is not None
    assert world.other.id is not None
    placeholder = f"erased-{world.person.id}"
    for typed in (placeholder, f"@Erased-{world.person.id}", "erased-x"):
        with pytest.raises(Invalid) as refused:
            users.update_profile(session, SYSTEM, user_id=world.other.id, handle=typed)
        assert (refused.value.errors[0].field, refused.value.errors[0].code) == (
            "handle",
            "reserved",
        )
    # A name that folds to one suggests another handle.
    named = users.create_user(
        session,
        SYSTEM,
        email="erased.kvist@nora.se",
        name=f"Erased-{world.person.id}",
        municipality="nora",
        password="Erfarenheter delas i Bergslagen 2026",
    )
    assert named.handle == f"erased.{world.person.id}"
    assert handles.free_handle(session, placeholder) == f"erased.{world.person.id}-2"
    # "erased" alone and "erased.x" are no placeholders.
    assert handles.check_handle("erased") == "erased"
    users.update_profile(session, SYSTEM, user_id=world.other.id, handle="erased.bo")

    erasure.erase_official(session, SYSTEM, user_id=world.person.id, with_content=False)
    session.flush()
    session.refresh(world.person)
    assert world.person.handle == placeholder


def test_a_placeholder_handle_held_from_before_is_a_conflict_not_a_crash(
    session: Session, world: World
) -> None:
    """An official who took `erased-<id>` before the prefix was reserved keeps it (and may
    save their profile with it); erasing official <id> is then refused until they have
    another handle, never a failed statement."""
    assert world.person.id is not None
    assert world.other.id is not None
    holder = session.get(User, world.other.id)
    assert holder is not None
    holder.handle = f"erased-{world.person.id}"
    session.flush()
    users.update_profile(session, SYSTEM, user_id=world.other.id, handle=holder.handle, title="X")
    with pytest.raises(Conflict, match=f"@erased-{world.person.id}"):
        erasure.erase_official(session, SYSTEM, user_id=world.person.id, with_content=False)
    session.refresh(world.person)
    assert world.person.status is UserStatus.ACTIVE
    users.update_profile(session, SYSTEM, user_id=world.other.id, handle="bo.kvar")
    erasure.erase_official(session, SYSTEM, user_id=world.person.id, with_content=False)
    session.flush()
    assert world.person.handle == f"erased-{world.person.id}"
