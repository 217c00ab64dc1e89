"""Markdown to safe HTML. Every `*_html` column is produced here and nowhere else.

markdown-it-py renders with raw HTML off; nh3 then keeps only an allow-list of tags and
attributes, so even a renderer bug cannot let a script through. Bump `RENDERER_VERSION`
when the output changes: stored HTML with an older version is rendered again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

import nh3
from markdown_it import MarkdownIt

from domain.errors import Invalid

RENDERER_VERSION = 1
_WORD = re.compile(r"\w+", re.UNICODE)

_ALLOWED_TAGS = {
    "a",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "td": {"align"}, "th": {"align"}}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)


def render_markdown(source: str) -> str:
    html = _markdown.render(source)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener ugc",
    )


MAX_HTML = 300_000
"""Characters of HTML one text may render to. A large but ordinary table stays below it;
a few hundred characters of header can make a table of 700 000 (markdown fills every row
up to the header's width)."""


def render_within_limit(source: str, *, field: str) -> str:
    """`render_markdown`, refusing (Invalid on `field`, code "too-large") output over
    `MAX_HTML`. Call it before the write transaction opens: it may take a second."""
    html = render_markdown(source)
    if len(html) > MAX_HTML:
        raise Invalid.field(
            field,
            f"Formatted, the text would be {len(html) // 1000} kB of HTML, more than erfa "
            f"keeps ({MAX_HTML // 1000} kB): a table with very many cells, for example. "
            "Shorten it or split it.",
            "too-large",
        )
    return html


def highlight(text: str, matches: Callable[[str], bool], width: int = 160) -> str:
    """A short, escaped excerpt of `text` around its first matching word, matches marked."""
    words = list(_WORD.finditer(text))
    first = next((w for w in words if matches(w.group())), None)
    start = max(0, (first.start() if first else 0) - width // 3)
    end = min(len(text), start + width)
    parts, cursor = [], start
    for word in words:
        if word.start() < start or word.end() > end:
            continue
        if matches(word.group()):
            parts.append(escape(text[cursor : word.start()]))
            parts.append(f"<mark>{escape(word.group())}</mark>")
            cursor = word.end()
    parts.append(escape(text[cursor:end]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return prefix + "".join(parts).replace("\n", " ") + suffix
