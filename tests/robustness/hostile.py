"""Hostile input: values for paths and query strings, malformed bodies, and random JSON.

Bodies are malformed in every way a client manages: raw payloads that no route could
accept (nested 100 000 deep, invalid UTF-8, multipart without an end), and variations on a
route's valid sample (`json_payloads`, `form_payloads`), one field at a time. Random JSON
values, for Hypothesis, are here too.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from hypothesis import strategies as st

from tests.robustness.endpoints import Endpoint, is_upload
from tests.robustness.valid import form_pairs

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=sweep"
TWO_MB = "a" * (2 * 1024 * 1024)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

HOSTILE_SEGMENTS: list[tuple[str, str]] = [
    ("0", "0"),
    ("-1", "-1"),
    ("2**63", str(2**63)),
    ("2**64", str(2**64)),
    ("400 nines", "9" * 400),
    ("5000 nines", "9" * 5000),
    ("5000 a", "a" * 5000),
    ("%00", "%00"),
    ("NUL inside", "a%00b"),  # httpx refuses a raw NUL; the app sees the same character
    ("../../etc/passwd", "../../etc/passwd"),  # httpx removes the dot segments
    ("encoded ../../etc/passwd", "..%2F..%2Fetc%2Fpasswd"),
    ("encoded dots", "%2E%2E"),
    ("overlong UTF-8 %C0%AE", "%C0%AE%C0%AE"),
    ("lone surrogate %ED%A0%80", "%ED%A0%80"),
    ("emoji", quote("😀")),
    ("RTL override U+202E", quote("\u202egpj.exe")),
    ("bare %", "%"),
    ("1.5", "1.5"),
    ("1e3", "1e3"),
    ("Arabic-Indic one", quote("١")),
    ("superscript two", quote("²")),
    ("space", "%20"),
]

QUERY_VALUES: list[tuple[str, str]] = [
    ("-1", "-1"),
    ("0", "0"),
    ("10**30", str(10**30)),
    ("5000 nines", "9" * 5000),
    ("10 000 chars", "x" * 10_000),
    ("junk base64", "!!!not*base64$$$"),
    ("base64 of garbage", "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE"),
    ("%00", "%00"),
    ("NUL inside", "a%00b"),
    ("overlong UTF-8 %C0%AE", "%C0%AE"),
    ("lone surrogate %ED%A0%80", "%ED%A0%80"),
    ("emoji", quote("😀")),
    ("RTL override", quote("\u202e")),
    ("superscript two", quote("²")),
    ("empty", ""),
    ("bare %", "%"),
    ("1.5", "1.5"),
    ("true", "true"),
    ("search syntax", quote("\" * AND OR NOT NEAR( a:b ^ ' \\ %_ ()")),
]

CSRF_QUERY_VALUES: list[tuple[str, str]] = [
    ("non-ASCII", quote("été")),
    ("of invalid UTF-8", "%FF%FE"),
    ("of 5000 chars", "a" * 5000),
    ("twice", "a&csrf_token=b"),
    ("empty", ""),
]

WRONG_JSON_TYPES: list[tuple[str, Any]] = [
    ("number", 12345),
    ("2**64", 2**64),
    ("-1", -1),
    ("float", 1.5),
    ("object", {"a": 1}),
    ("array", [1, "a"]),
    ("null", None),
    ("true", True),
    ("false", False),
    ("string", "x"),
    ("empty string", ""),
]

WRONG_FORM_VALUES: list[tuple[str, bytes]] = [
    ("empty", b""),
    ("word", b"abc"),
    ("2**64", str(2**64).encode()),
    ("5000 nines", b"9" * 5000),
    ("NUL", b"a%00b"),
    ("lone surrogate", b"%ED%A0%80"),
    ("overlong UTF-8", b"%C0%AE"),
    ("superscript two", b"%C2%B2"),
]


@dataclass(frozen=True)
class Payload:
    label: str
    content: bytes
    content_type: str | None


def multipart(parts: Sequence[tuple[str, bytes, str | None]], boundary: str = "sweep") -> bytes:
    """A multipart/form-data body; a part with a filename is a file."""
    out = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + value + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def dumps(value: Any) -> bytes:
    """JSON as a careless client writes it: NaN and Infinity allowed (httpx refuses them)."""
    return json.dumps(value).encode()


RAW_PAYLOADS: list[Payload] = [
    Payload("JSON nested 100 000 deep", b"[" * 100_000, JSON),
    Payload("JSON nested 100 000 deep, closed", b"[" * 100_000 + b"]" * 100_000, JSON),
    Payload("JSON objects nested 100 000 deep", b'{"a":' * 100_000 + b"1" + b"}" * 100_000, JSON),
    Payload("a 5000-digit number", b'{"n": ' + b"9" * 5000 + b"}", JSON),
    Payload("NaN and Infinity", b'{"n": NaN, "m": -Infinity}', JSON),
    Payload("top-level null", b"null", JSON),
    Payload("top-level array", b"[]", JSON),
    Payload("top-level string", b'"x"', JSON),
    Payload("top-level number", b"1", JSON),
    Payload("invalid UTF-8 bytes in JSON", b'{"x": "\xff\xfe\xc0\xae\xed\xa0\x80"}', JSON),
    Payload("NUL bytes in the JSON text", b'{"x"\x00: 1}\x00', JSON),
    Payload("empty body with a JSON content type", b"", JSON),
    Payload("JSON with an unknown charset", b"{}", "application/json; charset=klingon"),
    Payload("unknown content type", b"\x00\x01garbage", "application/x-erfa-unknown"),
    Payload("form with duplicated keys", b"a=1&a=2&title=x&title=y&body=1&body=2", FORM),
    Payload("form with invalid UTF-8", b"title=%FF%FE&body=\xff\xfe\xc0\xae&name=%ED%A0%80", FORM),
    Payload("form with 5000 fields", "&".join(f"f{i}=1" for i in range(5000)).encode(), FORM),
    Payload("form with a 5000-char key", b"k" * 5000 + b"=1", FORM),
    Payload("form with a non-ASCII csrf_token", b"csrf_token=%C3%A9t%C3%A9", FORM),
    Payload("form with a csrf_token of invalid UTF-8", b"csrf_token=%FF%FE", FORM),
    Payload("form with csrf_token twice", b"csrf_token=a&csrf_token=b", FORM),
    Payload(
        "multipart with a non-ASCII csrf_token",
        multipart([("csrf_token", "été".encode(), None)]),
        MULTIPART,
    ),
    Payload(
        "multipart with csrf_token as a file",
        multipart([("csrf_token", b"x", "token.txt")]),
        MULTIPART,
    ),
    Payload(
        "multipart with a garbage boundary",
        b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--xyz--\r\n',
        'multipart/form-data; boundary=";;;garbage===--\\"',
    ),
    Payload("multipart without a boundary", b"--x\r\n\r\n", "multipart/form-data"),
    Payload(
        "multipart with a 5000-char boundary",
        b"--" + b"b" * 5000,
        "multipart/form-data; boundary=" + "b" * 5000,
    ),
    Payload(
        "multipart that never ends",
        b'--sweep\r\nContent-Disposition: form-data; name="a"\r\n\r\n' + b"x" * 1000,
        MULTIPART,
    ),
    Payload("multipart of random bytes", secrets.token_bytes(4096), MULTIPART),
    Payload(
        "multipart with 5000 parts",
        multipart([(f"f{i}", b"1", None) for i in range(5000)]),
        MULTIPART,
    ),
]


WITH_TOKEN = [p for p in RAW_PAYLOADS if "csrf_token" not in p.label]
"""Raw bodies for a client that sends its CSRF token in the header (which the check prefers
to a form field): those that do not only play with the form's token."""
PARSED_BEFORE_AUTH = {
    "JSON nested 100 000 deep",
    "invalid UTF-8 bytes in JSON",
    "multipart with a garbage boundary",
    "multipart with 5000 parts",
}
"""Raw bodies sent without credentials: FastAPI parses a body before the caller is known."""
PARSED_BEFORE_CSRF = {p.label for p in RAW_PAYLOADS if "csrf_token" in p.label} | {
    "form with invalid UTF-8",
    "form with 5000 fields",
    "form with a 5000-char key",
    "multipart with a garbage boundary",
}
"""Raw bodies sent without the CSRF header: the check reads the token from a form."""


def json_payloads(sample: Mapping[str, Any]) -> Iterator[Payload]:
    """Bodies for a JSON route, given its valid sample."""
    yield from WITH_TOKEN
    yield Payload("valid body in UTF-16", json.dumps(sample).encode("utf-16"), JSON)
    yield Payload("valid body as a form", urlencode(form_pairs(sample)).encode(), FORM)
    yield Payload("valid body, no content type", dumps(sample), None)
    yield Payload("valid body as text/plain", dumps(sample), "text/plain")
    for name in sample:
        yield Payload(f"2 MB string in {name}", dumps({**sample, name: TWO_MB}), JSON)
        yield Payload(f"NUL in {name}", dumps({**sample, name: "a\x00b"}), JSON)
        for label, wrong in WRONG_JSON_TYPES:
            yield Payload(f"{label} in {name}", dumps({**sample, name: wrong}), JSON)
        marked = dumps({**sample, name: "MARK"})
        yield Payload(
            f"invalid UTF-8 in {name}", marked.replace(b'"MARK"', b'"\xff\xfe\xed\xa0\x80"'), JSON
        )
        yield Payload(
            f"900 levels deep in {name}", marked.replace(b'"MARK"', b"[" * 900 + b"]" * 900), JSON
        )
    if sample:
        yield Payload("every field NUL", dumps(dict.fromkeys(sample, "\x00")), JSON)
        yield Payload("every field null", dumps(dict.fromkeys(sample)), JSON)
        yield Payload("every field 2**64", dumps(dict.fromkeys(sample, 2**64)), JSON)
        yield Payload("an unknown field", dumps({**sample, "is_coordinator": True}), JSON)


def form_payloads(endpoint: Endpoint, sample: Mapping[str, Any]) -> Iterator[Payload]:
    """Bodies for a form route, given its valid sample; for an upload route the valid upload
    comes first."""
    files = [f.name for f in endpoint.fields if is_upload(f.annotation)]
    plain = [k for k in sample if k not in files]
    pairs = form_pairs({k: sample[k] for k in plain})

    def encoded(extra: Sequence[tuple[bytes, bytes]] = (), skip: str = "") -> bytes:
        kept = [(quote(k).encode(), quote(v).encode()) for k, v in pairs if k != skip]
        return b"&".join(k + b"=" + v for k, v in [*kept, *extra])

    def fields(skip: str = "") -> list[tuple[str, bytes, str | None]]:
        return [(k, v.encode(), None) for k, v in pairs if k != skip]

    def upload(filename: str | None = "plan.pdf", data: bytes = PDF, as_name: str = "") -> bytes:
        return multipart(fields() + [(as_name or f, data, filename) for f in files])

    if files:
        yield Payload("valid upload", upload(), MULTIPART)
        for label, filename in (
            ("../../etc/passwd", "../../etc/passwd"),
            ("NUL", "a\x00b.pdf"),
            ("emoji", "😀.pdf"),
            ("RTL override", "\u202efdp.exe"),
            ("5000 chars", "a" * 5000 + ".pdf"),
            ("empty", ""),
            ("..", ".."),
            ("quote and CRLF", 'a"\r\nX-Injected: 1.pdf'),
            ("Windows device", "CON.pdf"),
        ):
            yield Payload(f"file named {label}", upload(filename), MULTIPART)
        yield Payload("empty file", upload(data=b""), MULTIPART)
        yield Payload("2 MB of random bytes", upload(data=secrets.token_bytes(2 << 20)), MULTIPART)
        yield Payload("PDF named .png", upload("bild.png"), MULTIPART)
        yield Payload("file sent as a plain field", upload(filename=None), MULTIPART)
        yield Payload("file under another name", upload(as_name="other"), MULTIPART)
        yield Payload("no file at all", multipart(fields()), MULTIPART)
        yield Payload("upload as urlencoded", encoded(), FORM)
    else:
        yield Payload("valid form as multipart", multipart(fields()), MULTIPART)
    yield from WITH_TOKEN
    yield Payload("valid form as JSON", dumps(sample), JSON)
    twice = [(quote(k).encode(), b"zz") for k, _ in pairs]
    yield Payload("every key twice", encoded(twice), FORM)
    yield Payload("every key twice, multipart", multipart(fields() * 2), MULTIPART)
    for name in plain:
        key = quote(name).encode()
        yield Payload(f"2 MB in {name}", encoded([(key, TWO_MB.encode())], name), FORM)
        for label, raw in WRONG_FORM_VALUES:
            yield Payload(f"{label} in {name}", encoded([(key, raw)], name), FORM)
        yield Payload(f"{name} missing", encoded(skip=name), FORM)
        yield Payload(
            f"raw invalid UTF-8 in {name}", encoded([(key, b"\xff\xfe\xc0\xae")], name), FORM
        )


# --- random input, for Hypothesis -----------------------------------------------------------------

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**100]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.sampled_from(["\x00", "a\x00b", "9" * 400, "\u202e", "😀", "²", ""]),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
