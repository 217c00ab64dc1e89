"""An event's documentation: minutes, files (slides, handouts) and a discussion after it.

The arrangers write the minutes (markdown, stored beside its sanitised HTML), add files
and start the discussion; whoever sees the event reads them. Files follow the rules of a
resource's attachments (`domain/attachments.py`): the type comes from the content, the
size is bounded while the upload streams in, and the file is stored outside the web root
under a random name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlmodel import Session

from domain import attachments, events, policy, threads
from domain.actor import Actor
from domain.errors import Conflict, Invalid, NotFound
from domain.event_fields import local
from domain.markup import render_within_limit
from models import Event, EventDocument, Thread, utcnow

MAX_MINUTES = 50_000


def save_minutes(session: Session, actor: Actor, *, event_id: int, minutes: str) -> Event:
    minutes = minutes.strip()
    if len(minutes) > MAX_MINUTES:
        raise Invalid.field(
            "minutes", f"Minutes are at most {MAX_MINUTES} characters long.", "too-long"
        )
    html = render_within_limit(minutes, field="minutes")
    event, group = events.readable(session, actor, event_id, for_change=True)
    policy.require_event_editor(actor, event, group)
    event.minutes, event.minutes_html = minutes, html
    event.updated_at = utcnow()
    event.version += 1
    session.flush()
    return event


def add_document(
    session: Session,
    actor: Actor,
    *,
    event_id: int,
    filename: str,
    chunks: Iterator[bytes],
    upload_dir: Path,
    max_bytes: int,
) -> EventDocument:
    """Store a file of the event's documentation; UnsupportedMedia and TooLarge as for a
    resource's attachments."""
    event, group = events.readable(session, actor, event_id)
    policy.require_event_editor(actor, event, group)
    stored = attachments.store(chunks, filename, upload_dir=upload_dir, max_bytes=max_bytes)
    document = EventDocument(
        event_id=event_id, uploaded_by_id=actor.user_id or None, **stored.columns()
    )
    session.add(document)
    session.flush()
    return document


def get_document(
    session: Session, actor: Actor, *, event_id: int, document_id: int
) -> EventDocument:
    """A file of an event the actor sees; NotFound for any other."""
    document = session.get(EventDocument, document_id)
    if document is None or document.event_id != event_id:
        raise NotFound("document")
    events.readable(session, actor, event_id)
    return document


def start_discussion(
    session: Session, actor: Actor, *, event_id: int, slug: str | None, body: str
) -> Thread:
    """Open the discussion after the event in its group (an event of the whole
    association names the group, `slug`), linked from the event's page. Conflict when
    it has one already."""
    event, group = events.readable(session, actor, event_id, for_change=True)
    policy.require_event_editor(actor, event, group)
    if event.thread_id is not None:
        raise Conflict("The event has its discussion already.")
    target = group.slug if group is not None else (slug or "").strip()
    if not target:
        raise Invalid.field("group", "Choose the group the discussion takes place in.")
    text = body.strip() or f"{event.title}, {local(event.starts_at):%Y-%m-%d}."
    thread = threads.start_thread(session, actor, slug=target, title=event.title, body=text)
    event.thread_id = thread.id
    event.version += 1
    session.flush()
    return thread
