"""The world every request meets: real objects, their ids and slugs, and who asks.

Who asks: the API with a coordinator's and a plain member's token and with none; the pages
with a coordinator's and a member's session, anonymously, and anonymously without the CSRF
header (a browser without JavaScript). Each (route, client) pair first sends one valid
request (`World.baseline`). A client turned away there (401, or a redirect to the sign-in
page) gets nothing more, as the route never reads its input. Hostile paths and query
strings are dealt out among the clients whose valid request succeeds (`World.succeeding`);
hostile bodies and headers go to the first of them (`World.chosen`); the clients without
credentials or CSRF header get the malformed bodies that are parsed before they are
refused.

Passwords are hashed with argon2 at its cheapest.
"""

from __future__ import annotations

import secrets
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, cast
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jose import jwt
from sqlmodel import Session, select

from api.auth import ALGORITHM, AUDIENCE, ISSUER
from domain import archive, event_documents, personal_data
from domain.actor import load_actor
from domain.feed_keys import key_for
from erfa.settings import personal_data_export_key
from models import (
    Flag,
    Group,
    MemberRole,
    Municipality,
    Notification,
    NotificationKind,
    Post,
    SignupRequest,
    Theme,
    Thread,
    User,
    Visibility,
    Webhook,
    WebSession,
    utcnow,
)
from tests.factories import (
    PASSWORD,
    make_group,
    make_membership,
    make_post,
    make_thread,
    make_user,
    municipality,
)
from tests.robustness.endpoints import BodyKind, Endpoint, endpoints_of, fill
from tests.robustness.hostile import FORM, JSON, PDF, Payload, dumps, form_payloads
from tests.robustness.sweep import Sweep
from tests.robustness.valid import (
    EVENT,
    QUERY_SAMPLES,
    RESOURCE,
    SIGN_IN_FIELDS,
    form_pairs,
    sample_value,
)
from web import csrf
from web.feeds import feed_secret

Client = Callable[[User], TestClient]

UNAUTHENTICATED = ("api:anonymous", "web:anonymous without CSRF header")
"""Clients with no credentials (API) or no CSRF header (pages): refused before the route."""

PATH_PARAMS = {
    "slug",
    "user_id",
    "token_id",
    "request_id",
    "thread_id",
    "post_id",
    "resource_id",
    "attachment_id",
    "notification_id",
    "session_id",
    "decision",
    "action",
    "token",
    "name",
    "flag_id",
    "year",
    "webhook_id",
    "event_id",
    "document_id",
    "key",
    "handle",
    "package",
}
"""Path parameters the world has a real value for; a new one needs a line in `built_world`."""

CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
"""argon2 at its cheapest: what a password costs to hash is not what this sweep tests."""


@dataclass(frozen=True)
class Verdict:
    """How a client's valid request to a route was answered (None: an exception)."""

    status: int | None
    location: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status is not None and self.status < 400


Verdicts = dict[tuple[str, str], Verdict]


def _turned_away(who: str, verdict: Verdict) -> bool:
    """Refused before the route reads its input: an anonymous visitor sent to sign in, or a
    form without its CSRF token. (A signed-in official's 303 to /login is a sign-out.)"""
    status, location = verdict.status, verdict.location
    if status is None:
        return True
    if "anonymous" not in who:
        return False
    return (
        status == 401
        or (status == 303 and location.startswith("/login"))
        or (who.endswith("without CSRF header") and status == 403)
    )


@dataclass
class World:
    sweep: Sweep
    endpoints: list[Endpoint]
    values: dict[str, str]
    signup_id: int
    member_email: str
    cursor: str
    jwt_secret: str
    clients: dict[str, TestClient]
    verdicts: Verdicts
    feed_key: str = ""
    """The member's feed key: the credential of the feeds, which read no session."""
    export_token: str = ""
    """A signed link to a personal-data export of the member (`/settings/export/{token}`)."""

    def door(self, endpoint: Endpoint) -> dict[str, TestClient]:
        prefix = "api:" if endpoint.is_api else "web:"
        return {who: c for who, c in self.clients.items() if who.startswith(prefix)}

    def real(self, endpoint: Endpoint, name: str) -> str:
        if name == "request_id" and endpoint.path.startswith("/admin/signups/"):
            return str(self.signup_id)
        if name == "token" and endpoint.path.startswith("/settings/export/"):
            return self.export_token
        return quote(self.values.get(name, "1"), safe="")

    def real_path(self, endpoint: Endpoint, query: str = "", instead_of: str = "") -> str:
        """The path with real ids, the required query parameters, and `query` besides."""
        path = fill(endpoint.path, {p: self.real(endpoint, p) for p in endpoint.path_params})
        pairs = [
            f"{name}={quote(QUERY_SAMPLES.get(name, '1'))}"
            for name in endpoint.required_query
            if name != instead_of
        ]
        if endpoint.path.endswith("/feed.atom") and instead_of != "key":
            pairs.append(f"key={quote(self.feed_key)}")
        joined = "&".join([*pairs, query] if query else pairs)
        return f"{path}?{joined}" if joined else path

    def sample(self, endpoint: Endpoint) -> dict[str, Any]:
        values = {f.name: sample_value(f.name, f.annotation) for f in endpoint.fields}
        if values and set(values) <= SIGN_IN_FIELDS:
            values.update({k: self.member_email for k in ("email", "username") if k in values})
        if "reply_to_id" in values:
            values["reply_to_id"] = int(self.values["post_id"])
        return values

    def valid(self, endpoint: Endpoint) -> Payload | None:
        """The body of a valid request, or None for a route that reads none."""
        sample = self.sample(endpoint)
        if endpoint.body is BodyKind.JSON:
            return Payload("valid body", dumps(sample), JSON)
        if endpoint.body is BodyKind.FORM:
            return Payload("valid form", urlencode(form_pairs(sample)).encode(), FORM)
        if endpoint.body is BodyKind.FILE:
            return next(form_payloads(endpoint, sample))
        return None

    def baseline(self, endpoint: Endpoint, who: str) -> Verdict:
        """How one valid request of the client is answered (asked once per test module)."""
        key = (str(endpoint), who)
        if key not in self.verdicts:
            url, valid = self.real_path(endpoint), self.valid(endpoint)
            client = self.clients[who]
            response = self.sweep.send(endpoint, who, client, "valid request", url, valid)
            self.verdicts[key] = Verdict(
                response.status_code if response is not None else None,
                response.headers.get("location", "") if response is not None else "",
            )
        return self.verdicts[key]

    def reaching(self, endpoint: Endpoint, *skip: str) -> dict[str, TestClient]:
        """The clients of the route's door that its valid request does not turn away."""
        return {
            who: client
            for who, client in self.door(endpoint).items()
            if who not in skip and not _turned_away(who, self.baseline(endpoint, who))
        }

    def succeeding(self, endpoint: Endpoint) -> list[tuple[str, TestClient]]:
        """The clients whose valid request succeeds (else the chosen one): hostile inputs
        are dealt out among them, so that each role meets some on every route."""
        found = [
            (who, client)
            for who, client in self.reaching(endpoint, *UNAUTHENTICATED).items()
            if self.baseline(endpoint, who).succeeded
        ]
        return found or [self.chosen(endpoint)]

    def chosen(self, endpoint: Endpoint) -> tuple[str, TestClient]:
        """The first client whose valid request succeeds, else the first one let in."""
        reaching = self.reaching(endpoint)
        for who, client in reaching.items():
            if self.baseline(endpoint, who).succeeded:
                return who, client
        return next(iter(reaching.items()), next(iter(self.door(endpoint).items())))

    def token(self, **claims: Any) -> str:
        """An access token signed with erfa's own secret, with the given claims."""
        now = int(utcnow().timestamp())
        values = {
            "sub": self.values["user_id"],
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 600,
            "jti": uuid.uuid4().hex,
            **claims,
        }
        encoded: str = jwt.encode(values, self.jwt_secret, algorithm=ALGORITHM)
        return encoded


def _export_of(app: FastAPI, member: User) -> str:
    """A signed, unexpired link to an (empty) export package of the member."""
    settings = app.state.settings
    expires = int((utcnow() + personal_data.LINK_LIFETIME).timestamp())
    name = f"{member.id}-{expires}-robustness"
    settings.export_dir.mkdir(parents=True, exist_ok=True)
    (settings.export_dir / f"{name}.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    return personal_data.export_token(personal_data_export_key(settings), name)


def _forum(session: Session, coordinator: User, member: User) -> tuple[Group, Thread, Post, Post]:
    """An open group and a closed one, led by the coordinator; a thread of three posts in
    the open one. Returns the open group, the thread, its first post and the reply."""
    group = make_group(session, slug="svepet")
    make_membership(session, group=group, user=coordinator, role=MemberRole.LEAD)
    make_membership(session, group=group, user=member)
    closed = make_group(session, slug="svepet-stangd", visibility=Visibility.CLOSED)
    make_membership(session, group=closed, user=coordinator, role=MemberRole.LEAD)
    # A municipality and a theme of the same slug, for their administrators' routes.
    session.add(Municipality(slug="svepet", name="Svepet"))
    session.add(
        Theme(slug="svepet", name="Svepet", starts_on=date(2030, 1, 1), ends_on=date(2030, 12, 31))
    )
    thread = make_thread(session, group=group, author=member)
    post = make_post(session, thread=thread, author=member, body="Första inlägget.")
    reply = make_post(session, thread=thread, author=coordinator, body="Ett svar.")
    make_post(session, thread=thread, author=member, body="Ett tredje.")
    return group, thread, post, reply


def _through_the_api(
    api_as: Client, api_member: TestClient, applicant: User, thread: Thread
) -> tuple[dict[str, str], str]:
    """What only the API makes: a resource with an attachment, an API token, a request to
    join the closed group. Returns their ids, and a cursor into the thread's posts."""
    shared = api_member.post("/api/v1/groups/svepet/resources", json=RESOURCE)
    assert shared.status_code == 201, shared.text
    resource_id = shared.json()["id"]
    attached = api_member.post(
        f"/api/v1/resources/{resource_id}/attachments",
        files={"file": ("plan.pdf", PDF, "application/pdf")},
    )
    assert attached.status_code == 201, attached.text
    token = api_member.post("/api/v1/me/tokens", json={"name": "svep", "scopes": ["read"]})
    assert token.status_code == 201, token.text
    joined = api_as(applicant).post("/api/v1/groups/svepet-stangd/join", json={"message": "Hej"})
    assert joined.status_code == 202, joined.text
    page = api_member.get(f"/api/v1/threads/{thread.id}/posts?limit=1").json()
    assert page["next_cursor"], page
    ids = {
        "token_id": str(token.json()["id"]),
        "request_id": str(joined.json()["id"]),
        "resource_id": str(resource_id),
        "attachment_id": str(attached.json()["id"]),
    }
    return ids, page["next_cursor"]


def _pending(
    session: Session, *, coordinator: User, member: User, group: Group, thread: Thread, reply: Post
) -> tuple[SignupRequest, Notification]:
    """A request to sign up, awaiting a coordinator, and the member's notice of the reply."""
    assert member.id is not None
    signup = SignupRequest(
        email="sokande@avesta.se",
        name="Sökande",
        municipality_id=cast(int, municipality(session).id),
    )
    notification = Notification(
        user_id=member.id,
        kind=NotificationKind.REPLY,
        actor_id=coordinator.id,
        group_id=group.id,
        thread_id=thread.id,
        post_id=reply.id,
    )
    session.add_all([signup, notification])
    session.flush()
    return signup, notification


def _flag(session: Session, *, flagger: User, group: Group, post: Post) -> Flag:
    """An open flag on a post of the open group, for the moderation queue."""
    assert flagger.id is not None
    assert group.id is not None
    assert post.id is not None
    flag = Flag(post_id=post.id, user_id=flagger.id, group_id=group.id, reason="Svepet flaggar")
    session.add(flag)
    session.flush()
    return flag


def _event(app: FastAPI, session: Session, api: TestClient, arranger: User) -> dict[str, str]:
    """A seminar of the open group, made through the API, with a file of documentation.
    Nobody is registered: its version stays 1, the version the forms' samples name."""
    made = api.post("/api/v1/events", json=EVENT)
    assert made.status_code == 201, made.text
    event_id = made.json()["id"]
    document = event_documents.add_document(
        session,
        load_actor(session, cast(int, arranger.id)),
        event_id=event_id,
        filename="program.pdf",
        chunks=iter([PDF]),
        upload_dir=app.state.settings.uploads,
        max_bytes=1024 * 1024,
    )
    return {"event_id": str(event_id), "document_id": str(document.id)}


def _anonymous_clients(app: FastAPI) -> tuple[TestClient, TestClient]:
    """A visitor whose page sends the CSRF header, and a browser without JavaScript."""
    anonymous = TestClient(app, follow_redirects=False)
    cookie = secrets.token_urlsafe(16)
    anonymous.cookies.set(csrf.COOKIE, cookie)
    anonymous.headers[csrf.HEADER] = csrf.token_for(app.state.settings, cookie)
    headerless = TestClient(app, follow_redirects=False)
    headerless.cookies.set(csrf.COOKIE, secrets.token_urlsafe(16))
    return anonymous, headerless


@contextmanager
def built_world(
    app: FastAPI,
    session: Session,
    connection: sa.Connection,
    api_as: Client,
    browser_as: Client,
    verdicts: Verdicts,
) -> Iterator[World]:
    """The world, with its clients open (one event loop thread per client, not per request).
    Expects `domain.passwords` to hash with `CHEAP_HASHER` already."""
    cheap = {"password_hash": CHEAP_HASHER.hash(PASSWORD)}
    coordinator = make_user(session, is_coordinator=True, name="Svep Samordnare", **cheap)
    member = make_user(session, name="Svep Medlem", **cheap)
    applicant = make_user(session, name="Svep Sökande", **cheap)
    group, thread, post, reply = _forum(session, coordinator, member)
    api_coordinator, api_member = api_as(coordinator), api_as(member)
    made, cursor = _through_the_api(api_as, api_member, applicant, thread)
    signup, notification = _pending(
        session, coordinator=coordinator, member=member, group=group, thread=thread, reply=reply
    )
    flag = _flag(session, flagger=applicant, group=group, post=post)
    webhook = Webhook(
        group_id=group.id,
        url="https://example.org/svepet",
        events=["post.created"],
        secret_nonce="s",
    )
    session.add(webhook)
    session.flush()
    anonymous, headerless = _anonymous_clients(app)
    clients = {
        "api:coordinator": api_coordinator,
        "api:member": api_member,
        "api:anonymous": TestClient(app),
        "web:coordinator": browser_as(coordinator),
        "web:member": browser_as(member),
        "web:anonymous": anonymous,
        "web:anonymous without CSRF header": headerless,
    }
    web_session = session.exec(select(WebSession).where(WebSession.user_id == member.id)).one()
    values = {
        "slug": group.slug,
        "user_id": str(member.id),
        "token_id": made["token_id"],
        "request_id": made["request_id"],
        "thread_id": str(thread.id),
        "post_id": str(post.id),
        "resource_id": made["resource_id"],
        "attachment_id": made["attachment_id"],
        "notification_id": str(notification.id),
        "session_id": str(web_session.id),
        "decision": "approve",
        "action": "suspend",
        "token": "ingen-sadan-lank",
        "name": "htmx.min.js",
        "flag_id": str(flag.id),
        "year": "2026",
        "webhook_id": str(webhook.id),
        **_event(app, session, api_coordinator, coordinator),
        "key": key_for(member, feed_secret(app.state.settings)),
        "handle": member.handle,
        "package": _archive_package(app),
    }
    assert set(values) == PATH_PARAMS
    with ExitStack() as stack:
        for client in clients.values():
            stack.enter_context(client)
        yield World(
            sweep=Sweep(app, connection),
            endpoints=endpoints_of(app),
            values=values,
            signup_id=cast(int, signup.id),
            member_email=member.email,
            cursor=cursor,
            jwt_secret=app.state.settings.jwt_secret,
            clients=clients,
            verdicts=verdicts,
            feed_key=key_for(member, feed_secret(app.state.settings)),
            export_token=_export_of(app, member),
        )


def _archive_package(app: FastAPI) -> str:
    """An archive package in the data folder, to download and to delete."""
    folder = app.state.settings.data_dir / archive.DIRECTORY
    folder.mkdir(parents=True, exist_ok=True)
    name = "erfa-arkiv-svepet.zip"
    with zipfile.ZipFile(folder / name, "w") as package:
        package.writestr("manifest.json", '{"scope": {"year": 2026}, "group_ids": [], "files": []}')
    return name
