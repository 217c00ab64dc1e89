from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col

from domain import changes, rendering
from domain.markup import RENDERER_VERSION, render_markdown
from models import (
    CASE_SECTIONS,
    Event,
    EventKind,
    Group,
    Post,
    Resource,
    ResourceKind,
    Thread,
    User,
    utcnow,
)
from tests.factories import make_group, make_post, make_thread, make_user, municipality

STALE = RENDERER_VERSION - 1


def make_resource(session: Session, *, group: Group, author: User, **overrides: Any) -> Resource:
    assert group.id is not None
    assert author.id is not None
    values: dict[str, Any] = {
        "title": "Ungdomsråd med egen budget",
        "summary": "Så gjorde vi.",
        "kind": ResourceKind.MODEL,
        "municipality_id": municipality(session).id,
        "renderer_version": RENDERER_VERSION,
    }
    for n, name in enumerate(CASE_SECTIONS):
        values[name] = f"{name} *{n}*"
        values[f"{name}_html"] = render_markdown(values[name])
    values.update(overrides)
    resource = Resource(group_id=group.id, author_id=author.id, **values)
    session.add(resource)
    session.flush()
    return resource


def make_stale(session: Session, row: Post | Resource, *, version: int, change_seq: int) -> None:
    """Written by the older renderer: other HTML, an older renderer_version."""
    sources = ("body",) if isinstance(row, Post) else CASE_SECTIONS
    for name in sources:
        setattr(row, f"{name}_html", f"<p>old {name}</p>")
    row.renderer_version = STALE
    row.version, row.change_seq = version, change_seq
    session.flush()


@pytest.fixture
def author(session: Session) -> User:
    return make_user(session)


@pytest.fixture
def group(session: Session) -> Group:
    return make_group(session)


@pytest.fixture
def thread(session: Session, group: Group, author: User) -> Thread:
    return make_thread(session, group=group, author=author)


def test_a_stale_post_and_resource_are_rendered_again_as_a_new_version(
    session: Session, group: Group, author: User, thread: Thread
) -> None:
    post = make_post(
        session, thread=thread, author=author, body="Vi **testade** [det](https://x.se)"
    )
    resource = make_resource(session, group=group, author=author)
    make_stale(session, post, version=3, change_seq=41)
    make_stale(session, resource, version=2, change_seq=17)
    earlier = changes.stamp(session).seq

    assert rendering.rerender_stale(session) == 2

    session.refresh(post)
    session.refresh(resource)
    assert post.body_html == render_markdown(post.body)
    assert "<strong>testade</strong>" in post.body_html
    # A new version and a place in the change order: caches and the sync feed see it.
    assert post.renderer_version == RENDERER_VERSION
    assert post.version == 4
    assert post.change_seq > earlier
    for name in CASE_SECTIONS:
        assert getattr(resource, f"{name}_html") == render_markdown(getattr(resource, name))
    assert (resource.renderer_version, resource.version) == (RENDERER_VERSION, 3)
    assert resource.change_seq > earlier


def test_html_that_comes_out_the_same_is_not_a_new_version(
    session: Session, thread: Thread, author: User
) -> None:
    post = make_post(session, thread=thread, author=author, body="*samma*")
    post.renderer_version, post.version, post.change_seq = STALE, 2, 9
    session.flush()

    assert rendering.rerender_stale(session) == 1

    session.refresh(post)
    assert (post.renderer_version, post.version, post.change_seq) == (RENDERER_VERSION, 2, 9)


def test_rows_already_current_are_left_alone(
    session: Session, group: Group, author: User, thread: Thread
) -> None:
    current = make_post(session, thread=thread, author=author, body="*ny*")
    current.body_html = "<p>kept as it is</p>"
    make_resource(session, group=group, author=author)
    stale = make_post(session, thread=thread, author=author, body="*gammal*")
    make_stale(session, stale, version=1, change_seq=5)

    assert rendering.rerender_stale(session) == 1
    assert rendering.rerender_stale(session) == 0

    session.refresh(current)
    assert current.body_html == "<p>kept as it is</p>"


def test_stale_rows_are_rendered_in_batches_in_id_order(
    session: Session,
    author: User,
    thread: Thread,
    count_statements: Callable[[Callable[[], object]], int],
) -> None:
    posts = [make_post(session, thread=thread, author=author, body=f"**{n}**") for n in range(5)]
    for post in posts:
        make_stale(session, post, version=1, change_seq=0)
    rendered: list[int] = []

    statements = count_statements(
        lambda: rendered.append(rendering.rerender_stale(session, batch_size=2))
    )

    assert rendered == [5]
    # Posts: reads of 2, 2, 1 and an empty one, and per batch the top of the change order
    # and one write; resources and events: one empty read each.
    assert statements == 4 + 3 * 2 + 2
    for n, post in enumerate(posts):
        session.refresh(post)
        assert post.body_html == f"<p><strong>{n}</strong></p>\n"
        assert post.renderer_version == RENDERER_VERSION


def test_a_post_edited_between_read_and_write_keeps_the_edit(
    session: Session, author: User, thread: Thread, monkeypatch: pytest.MonkeyPatch
) -> None:
    post = make_post(session, thread=thread, author=author, body="före")
    make_stale(session, post, version=1, change_seq=1)
    edited = render_markdown("efter")

    def render_while_the_author_edits(source: str) -> str:
        session.execute(
            sa.update(Post)
            .where(col(Post.id) == post.id)
            .values(body="efter", body_html=edited, renderer_version=RENDERER_VERSION, version=2)
        )
        return render_markdown(source)

    monkeypatch.setattr(rendering, "render_markdown", render_while_the_author_edits)

    assert rendering.rerender_stale(session) == 0

    session.refresh(post)
    assert (post.body, post.body_html, post.version) == ("efter", edited, 2)


def test_a_batch_size_below_one_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        rendering.rerender_stale(session, batch_size=0)


def test_a_stale_events_description_and_minutes_are_rendered_again(
    session: Session, author: User
) -> None:
    """Events keep HTML too (a description, the minutes): a sanitizer fix reaches them."""
    start = utcnow() + timedelta(days=3)
    event = Event(
        kind=EventKind.SEMINAR,
        title="Träffen",
        description="Vi **ses**",
        description_html="<p>old</p>",
        minutes="Vi *beslutade*",
        minutes_html="<p>old</p>",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        created_by_id=author.id,
        renderer_version=STALE,
        version=2,
    )
    session.add(event)
    session.flush()

    assert rendering.rerender_stale(session) == 1

    session.refresh(event)
    assert event.description_html == render_markdown("Vi **ses**")
    assert event.minutes_html == render_markdown("Vi *beslutade*")
    assert (event.renderer_version, event.version) == (RENDERER_VERSION, 3)


def test_the_demo_and_the_synthetic_corpus_are_written_by_the_current_renderer(
    session: Session,
) -> None:
    """Seeded rows carry the renderer's version: a start after seeding renders nothing
    again (a million synthetic posts would take minutes)."""
    from domain.seed import seed_demo, seed_synthetic

    seed_demo(session)
    seed_synthetic(session, posts=30, threads=3)
    assert rendering.rerender_stale(session) == 0
