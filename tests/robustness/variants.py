"""Hostile paths, query strings and headers for one route, made in the world.

Path parameters get hostile values, one at a time, beside the real ids of the others;
query strings and headers mix hostile values with the world's own cursor and tokens.
"""

from __future__ import annotations

from collections.abc import Iterator

from tests.robustness.endpoints import Endpoint, fill
from tests.robustness.hostile import HOSTILE_SEGMENTS, QUERY_VALUES
from tests.robustness.sweep import Headers
from tests.robustness.world import World
from web import csrf

SHARED_HEADER_SHARE = 3
"""Each route gets one in this many of the headers that shared code reads."""


def path_variants(world: World, endpoint: Endpoint) -> Iterator[tuple[str, str]]:
    real = {p: world.real(endpoint, p) for p in endpoint.path_params}
    for name in endpoint.path_params:
        for label, raw in HOSTILE_SEGMENTS:
            yield f"{name}={label}", fill(endpoint.path, {**real, name: raw})


def query_variants(world: World, endpoint: Endpoint) -> Iterator[tuple[str, str]]:
    generic = ["%00=%00&=&&&=x&%ED%A0%80=1&" + "k" * 5000 + "=1"]
    if {"limit", "cursor"} & set(endpoint.query_params):
        generic += [
            "limit=1&limit=999",
            "cursor=a&cursor=b",
            "limit=-1",
            f"limit={10**30}",
            "cursor=" + "x" * 10_000,
            "cursor=!!!not*base64$$$",
            "cursor=QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE",
            f"cursor={world.cursor}",  # a real cursor, of another list
            f"cursor={world.cursor}&cursor={world.cursor}x",
        ]
    for query in generic:
        yield f"?{query[:50]}", world.real_path(endpoint, query)
    for name in endpoint.query_params:
        queries = [(label, f"{name}={raw}") for label, raw in QUERY_VALUES]
        queries += [
            ("twice (1, 999)", f"{name}=1&{name}=999"),
            ("twice (a, b)", f"{name}=a&{name}=b"),
        ]
        for label, query in queries:
            yield f"{name} {label}", world.real_path(endpoint, query, instead_of=name)


def header_variants(world: World, endpoint: Endpoint) -> Iterator[tuple[str, Headers]]:
    """Headers the route's own code may read (validators, htmx, CSRF) on every route; those
    that shared code reads (who asks, in what language) dealt out among the routes."""
    turn = world.endpoints.index(endpoint)
    for n, variant in enumerate(_shared_headers(world, endpoint)):
        if (n + turn) % SHARED_HEADER_SHARE == 0:
            yield variant
    if endpoint.is_api:
        for label, value in (
            ("superscript two", b'"\xb2"'),  # Latin-1 "²": str.isdigit() says yes
            ("5000 digits", b'"' + b"9" * 5000 + b'"'),
            ("2**64", f'"{2**64}"'.encode()),
            ("-1", b'"-1"'),
            ("junk", b'W/"abc", *, ,,'),
            ("empty", b""),
        ):
            yield f"If-Match {label}", {"If-Match": value}
            yield f"If-None-Match {label}", {"If-None-Match": value}
    else:
        yield "htmx", {"HX-Request": "true"}
        yield "htmx, boosted", {"HX-Request": "true", "HX-Boosted": "true"}
        yield "htmx with a 5000-char target", {"HX-Request": "true", "HX-Target": "t" * 5000}
        yield "htmx with a target of invalid UTF-8", {"HX-Request": "true", "HX-Target": b"\xff"}
        yield "CSRF token of Latin-1 é", {csrf.HEADER: b"\xe9t\xe9"}
        yield "CSRF token of 5000 chars", {csrf.HEADER: "a" * 5000}
        yield "CSRF token empty", {csrf.HEADER: ""}


def _shared_headers(world: World, endpoint: Endpoint) -> Iterator[tuple[str, Headers]]:
    yield "User-Agent of 10 000 chars", {"User-Agent": "u" * 10_000}
    yield "User-Agent of invalid UTF-8", {"User-Agent": b"\xff\xfe\xc0\xae"}
    yield (
        "Accept-Language of junk",
        {"Accept-Language": "xx;q=nan, sv;q=1e999, ;q=, en;q=abc, *;q=-1" + "," * 5000},
    )
    yield "Accept-Language of invalid UTF-8", {"Accept-Language": b"\xff\xfe;q=1"}
    yield "Accept nothing erfa makes", {"Accept": "application/x-nothing"}
    yield "Cookie of junk", {"Cookie": "erfa_session=%00%ff; erfa_csrf=" + "c" * 5000 + "; =;;;"}
    yield "Cookie of invalid UTF-8", {"Cookie": b"erfa_session=\xff\xfe; erfa_csrf=\xc0\xae"}
    if endpoint.is_api:
        for label, credential in (
            ("a 10 000-char bearer", "Bearer " + "a" * 10_000),
            ("an API token of junk", "Bearer erfa_pat_" + "x" * 500),
            ("an API token of invalid UTF-8", b"Bearer erfa_pat_\xff\xfe"),
            ("a bearer of invalid UTF-8", b"Bearer \xff\xfe"),
            ("Basic", "Basic Zm9vOmJhcg=="),
            ("Bearer and nothing", "Bearer "),
            ("alg none", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."),
            ("sub 2**64", "Bearer " + world.token(sub=str(2**64))),
            ("sub 5000 digits", "Bearer " + world.token(sub="9" * 5000)),
            ("sub -1", "Bearer " + world.token(sub="-1")),
            ("sub Arabic-Indic one", "Bearer " + world.token(sub="١")),
            ("sub a number", "Bearer " + world.token(sub=1)),
            ("sub null", "Bearer " + world.token(sub=None)),
            ("exp 2**64", "Bearer " + world.token(exp=2**64)),
            ("exp nan", "Bearer " + world.token(exp="nan")),
            ("iat in the future", "Bearer " + world.token(iat=2**40)),
        ):
            yield f"Authorization: {label}", {"Authorization": credential}
