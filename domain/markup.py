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
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from domain.errors import Invalid

RENDERER_VERSION = 2
"""2: @mentions link to the official."""
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

MENTION = re.compile(r"(?<![\w.@/+-])@([a-zA-Z0-9][a-zA-Z0-9.-]*)(?![\w.@-])")
"""An @mention in text: `@` and a handle (`domain/handles.py`), not inside an address."""
MENTION_PATH = "/u/"
"""Where a mention links: `/u/{handle}` leads to the official (web/municipality_pages.py)."""


def _link_mentions(state: StateCore) -> None:
    """A core rule: each `@handle` in text outside links becomes a link to the official.
    Code is another kind of token, so a mention in code stays text."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        inside_link = 0
        for token in block.children:
            inside_link += {"link_open": 1, "link_close": -1}.get(token.type, 0)
            if token.type != "text" or inside_link or "@" not in token.content:
                children.append(token)
                continue
            children.extend(_mention_tokens(token.content))
        block.children = children


def _mention_tokens(text: str) -> list[Token]:
    tokens: list[Token] = []
    end = 0
    for match in MENTION.finditer(text):
        handle = match.group(1).rstrip(".-")
        if len(handle) < 2:
            continue
        start, stop = match.start(), match.start() + 1 + len(handle)
        if start > end:
            tokens.append(_text_token(text[end:start]))
        opening = Token("link_open", "a", 1)
        opening.attrs = {"href": MENTION_PATH + handle.lower()}
        tokens += [opening, _text_token(text[start:stop]), Token("link_close", "a", -1)]
        end = stop
    if end < len(text):
        tokens.append(_text_token(text[end:]))
    return tokens


def _text_token(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)
_markdown.core.ruler.push("mentions", _link_mentions)


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
