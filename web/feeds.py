"""Atom feeds (RFC 4287) of a group and of a discussion, read with a personal feed key.

Feed readers send no headers and keep no cookies: the key in the query string is the only
credential (`domain/feed_keys.py`), so these GETs need neither a session nor CSRF. A key
that does not work and a group the key's owner may not read get the same plain 404: a
feed URL is a capability, and a secret group never shows that it exists. A request with
no key at all is refused (403) before anything is looked up.

Absolute URLs come from `ERFA_BASE_URL`. The `rel="self"` link is the feed's URL without
the key: the feed document travels further than its URL (readers share, cache, export and
republish feeds), and a key copied out of it would read the official's groups until they
revoke it. Entry and feed ids are tag: URIs of ids, so they survive a renamed group.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from sqlmodel import Session

from domain import feed_keys, feeds
from domain.actor import Actor
from domain.errors import NotFound
from erfa import i18n
from erfa.deps import IdPath, SessionDep, SettingsDep
from erfa.settings import Settings, derive_key
from web.rendering import path_for, request_locale, templates

router = APIRouter()

MEDIA_TYPE = "application/atom+xml; charset=utf-8"
FEED_KEY_PURPOSE = "feed-key"
TAG_DATE = "2026"
"""The date of the tag: URIs (RFC 4151) of feeds and entries. It never changes: ids that
changed would make readers show every entry anew."""
CACHE = "private, max-age=60"
ROBOTS = {"X-Robots-Tag": "noindex"}


def feed_secret(settings: Settings) -> str:
    return derive_key(settings.secret_key, FEED_KEY_PURPOSE)


@router.get("/g/{slug}/feed.atom", name="feeds:group")
def group_atom(
    request: Request, slug: str, session: SessionDep, settings: SettingsDep, key: str = ""
) -> Response:
    if not key:
        return _keyless(request)
    actor = feed_keys.actor_for(session, key, feed_secret(settings))
    try:
        feed = feeds.group_feed(session, actor, slug)
    except NotFound:
        return _not_found(request)
    return _atom(request, settings, feed)


@router.get("/t/{thread_id}/feed.atom", name="feeds:thread")
def thread_atom(
    request: Request,
    thread_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    key: str = "",
) -> Response:
    if not key:
        return _keyless(request)
    actor = feed_keys.actor_for(session, key, feed_secret(settings))
    try:
        feed = feeds.thread_feed(session, actor, thread_id)
    except NotFound:
        return _not_found(request)
    return _atom(request, settings, feed)


def group_feed_url(request: Request, session: Session, actor: Actor, slug: str) -> str | None:
    """The signed-in official's feed of the group, key included, for its page."""
    return _keyed(request, session, actor, path_for(request, "feeds:group", slug=slug))


def thread_feed_url(request: Request, session: Session, actor: Actor, thread_id: int) -> str | None:
    """The signed-in official's feed of the discussion, key included, for its page."""
    return _keyed(request, session, actor, path_for(request, "feeds:thread", thread_id=thread_id))


def _keyed(request: Request, session: Session, actor: Actor, path: str) -> str | None:
    settings: Settings = request.app.state.settings
    key = feed_keys.own_key(session, actor, feed_secret(settings))
    return f"{_base(settings)}{path}?key={quote(key, safe='')}" if key else None


def _base(settings: Settings) -> str:
    return settings.base_url.rstrip("/")


def _tag(settings: Settings, specific: str) -> str:
    host = urlsplit(settings.base_url).hostname or "localhost"
    return f"tag:{host},{TAG_DATE}:{specific}"


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _atom(request: Request, settings: Settings, feed: feeds.FeedView) -> Response:
    i18n.activate(feed.locale)
    body = templates.env.get_template("feeds/atom.xml").render(_context(settings, feed))
    encoded = body.encode()
    # The ETag is the document's own digest: a renamed discussion or official changes
    # the feed without a new change position.
    etag = f'"{hashlib.sha256(encoded).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": CACHE, **ROBOTS}
    if _matches(request.headers.get("If-None-Match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(encoded, media_type=MEDIA_TYPE, headers=headers)


def _matches(header: str | None, etag: str) -> bool:
    """`If-None-Match` compares weakly (RFC 9110 13.1.2): `W/` is ignored."""
    if header is None:
        return False
    candidates = {part.strip().removeprefix("W/") for part in header.split(",")}
    return "*" in candidates or etag in candidates


def _context(settings: Settings, feed: feeds.FeedView) -> dict[str, Any]:
    base = _base(settings)
    if feed.thread_id is None:
        page = f"/g/{quote(feed.group_slug, safe='')}"
        feed_id = _tag(settings, f"group:{feed.group_id}")
        title = feed.group_name
    else:
        page = f"/t/{feed.thread_id}"
        feed_id = _tag(settings, f"thread:{feed.thread_id}")
        title = f"{feed.thread_title} · {feed.group_name}"
    return {
        "base": f"{base}/",
        "feed_id": feed_id,
        "title": title,
        "updated": _rfc3339(feed.updated),
        "self_url": f"{base}{page}/feed.atom",
        "page_url": f"{base}{page}",
        "entries": [
            {
                "id": _tag(settings, f"post:{entry.post_id}"),
                "url": f"{base}/p/{entry.post_id}",
                "title": _entry_title(entry),
                "author": f"{entry.author_name} ({entry.municipality})",
                "published": _rfc3339(entry.published),
                "updated": _rfc3339(entry.updated),
                "body_html": entry.body_html,
            }
            for entry in feed.entries
        ],
    }


def _entry_title(entry: feeds.FeedEntry) -> str:
    """The discussion's title; a reply's says it is one, in the reader's language."""
    if not entry.is_reply:
        return entry.thread_title
    return i18n.gettext("Re: %(title)s") % {"title": entry.thread_title}


def _keyless(request: Request) -> Response:
    i18n.activate(request_locale(request))
    message = i18n.gettext(
        "A feed link carries your personal key: copy it from the page of the group or "
        "discussion in erfa."
    )
    return PlainTextResponse(message + "\n", 403, headers={"Cache-Control": "no-store", **ROBOTS})


def _not_found(request: Request) -> Response:
    i18n.activate(request_locale(request))
    message = i18n.gettext("There is no such feed, or its key no longer works.")
    return PlainTextResponse(message + "\n", 404, headers={"Cache-Control": "no-store", **ROBOTS})
