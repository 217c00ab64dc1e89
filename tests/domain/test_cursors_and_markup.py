from __future__ import annotations

import pytest

from domain.cursors import decode_cursor, encode_cursor
from domain.errors import Invalid
from domain.markup import render_markdown

KEY = "k" * 32


def test_a_cursor_round_trips_its_position() -> None:
    cursor = encode_cursor(KEY, "groups", {"id": 41})
    assert decode_cursor(KEY, "groups", cursor) == {"id": 41}


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "",
        "!!!",
        encode_cursor("another key of 32 characters....", "groups", {"id": 1}),
        encode_cursor(KEY, "threads", {"id": 1}),
    ],
)
def test_a_cursor_erfa_did_not_issue_for_this_list_is_invalid(cursor: str) -> None:
    with pytest.raises(Invalid) as caught:
        decode_cursor(KEY, "groups", cursor)
    assert caught.value.errors[0].field == "cursor"


def test_a_tampered_cursor_is_invalid() -> None:
    cursor = encode_cursor(KEY, "groups", {"id": 1})
    tampered = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
    with pytest.raises(Invalid):
        decode_cursor(KEY, "groups", tampered)


def test_markdown_becomes_html_without_scripts_or_raw_html() -> None:
    html = render_markdown(
        "**Hej** <script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=y>"
    )
    assert "<strong>Hej</strong>" in html
    assert "<script" not in html
    assert "<img" not in html
    assert 'href="javascript' not in html


def test_links_get_rel_nofollow_noopener_ugc() -> None:
    html = render_markdown("[Nora kommun](https://www.nora.se/)")
    assert 'href="https://www.nora.se/"' in html
    assert 'rel="nofollow noopener ugc"' in html
