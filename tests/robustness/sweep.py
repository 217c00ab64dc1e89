"""Sending one request and judging its answer: `Sweep` notes each `Finding`.

A request must answer below 500, within `SLOW_S`, without raising a warning, and an error
of the API must be problem+json. A sweep collects every offender and fails once at the
end, grouped by cause, so that one run shows them all.

Each request runs inside a SAVEPOINT that is rolled back afterwards, with an empty rate
limiter and the client's cookies restored: every request meets the same world, whatever
the one before it deleted, suspended or signed out, and the sign-in endpoints are not all
429s after the thirtieth attempt.
"""

from __future__ import annotations

import gc
import logging
import re
import time
import traceback
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from erfa.ratelimit import create_rate_limiter
from tests.robustness.endpoints import API_PREFIX, Endpoint
from tests.robustness.hostile import Payload

log = logging.getLogger("tests.sweep")

ROOT = Path(__file__).resolve().parents[2]
APP_PACKAGES = tuple(f"{ROOT / name}/" for name in ("api", "web", "domain", "erfa", "models"))
PROBLEM = "application/problem+json"
SLOW_S = 5.0
"""Generous: a guard against pathological behaviour, not a benchmark. It is CPU time of
this process (the client, the app and, on SQLite, the database), which other work on the
machine does not stretch; a request that waits (on PostgreSQL, on a lock) is a finding
once its wall time passes `STALLED_FACTOR` times as much."""
STALLED_FACTOR = 4
HTTPX_NUDGE = "Using `httpx` with `starlette.testclient` is deprecated"

Headers = Mapping[str, str | bytes]


@dataclass(frozen=True)
class Finding:
    endpoint: str
    client: str
    label: str
    outcome: str
    detail: str


def _shown(filename: str) -> str:
    path = Path(filename)
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def _where(exc: BaseException) -> str:
    """The exception, the last frame in erfa's own code, and the frame that raised it."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename.startswith(APP_PACKAGES)]
    pieces = [f"{type(exc).__name__}: {str(exc)[:200]}"]
    for frame in ours[-1:] + frames[-1:]:
        pieces.append(f"{_shown(frame.filename)}:{frame.lineno} in {frame.name}: {frame.line}")
    return " | ".join(dict.fromkeys(pieces))


def _raw(headers: Headers) -> list[tuple[bytes, bytes]]:
    return [(k.encode(), v if isinstance(v, bytes) else v.encode()) for k, v in headers.items()]


def _listed(items: Sequence[str], most: int) -> str:
    more = f"; … and {len(items) - most} more" if len(items) > most else ""
    return "; ".join(items[:most]) + more


def _snippet(response: httpx.Response) -> str:
    text = re.sub(r"\s+", " ", response.text)
    if "<title>" in text:
        text = text[text.index("<title>") :]
    return text[:200]


class Sweep:
    def __init__(self, app: FastAPI, connection: sa.Connection, slow_s: float = SLOW_S) -> None:
        self.app = app
        self.connection = connection
        self.slow_s = slow_s
        self.findings: list[Finding] = []
        self.statuses: Counter[int] = Counter()
        self.seconds: defaultdict[str, float] = defaultdict(float)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @contextmanager
    def _isolated(self, client: TestClient) -> Iterator[None]:
        """A SAVEPOINT rolled back afterwards, an empty rate limiter, the cookies restored."""
        self.app.state.rate_limiter = create_rate_limiter(None)
        cookies = list(client.cookies.jar)
        savepoint = self.connection.begin_nested()
        try:
            yield
        finally:
            if savepoint.is_active:
                savepoint.rollback()
            client.cookies.clear()
            for cookie in cookies:
                client.cookies.jar.set_cookie(cookie)

    def _send_raw(
        self, client: TestClient, method: str, url: str, content: bytes | None, headers: Headers
    ) -> httpx.Response:
        """Send header bytes as they are. The test client re-encodes header values as UTF-8,
        so a byte such as 0xB2 (Latin-1 "²", which `str.isdigit` calls a digit) arrives as
        "Â²"; a server passes the bytes on, and Starlette reads them as Latin-1."""

        async def request() -> httpx.Response:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=self.app),
                base_url=str(client.base_url),
                headers=client.headers,
                cookies=client.cookies,
            ) as raw:
                return await raw.request(method, url, content=content, headers=_raw(headers))

        # A thread of its own: a browser test may have left this thread's event loop running.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(anyio.run, request).result()

    def send(
        self,
        endpoint: Endpoint,
        who: str,
        client: TestClient,
        label: str,
        url: str,
        payload: Payload | None = None,
        headers: Headers | None = None,
    ) -> httpx.Response | None:
        """Send one request and note everything wrong with how it was answered."""
        sent_headers: dict[str, str | bytes] = dict(headers or {})
        if payload is not None and payload.content_type is not None:
            sent_headers["Content-Type"] = payload.content_type

        def found(outcome: str, detail: str) -> None:
            self.findings.append(Finding(str(endpoint), who, label, outcome, detail))

        content = payload.content if payload is not None else None
        raw = any(isinstance(v, bytes) and not v.isascii() for v in sent_headers.values())
        response: httpx.Response | None = None
        with self._isolated(client), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warnings.filterwarnings("ignore", message=re.escape(HTTPX_NUDGE))
            started, cpu = time.perf_counter(), time.process_time()
            try:
                if raw:
                    response = self._send_raw(client, endpoint.method, url, content, sent_headers)
                else:
                    response = client.request(
                        endpoint.method, url, content=content, headers=_raw(sent_headers)
                    )
            except httpx.InvalidURL:
                return None  # the client refused to send it; nothing reached the app
            except Exception as exc:
                found(f"exception {type(exc).__name__}", _where(exc))
            elapsed = time.perf_counter() - started
            spent = time.process_time() - cpu
            # What the request left unclosed warns when collected; collect the young
            # generations now, so that the warning is this request's (and not unraisable).
            gc.collect(1)
        self.seconds[str(endpoint)] += elapsed
        self.statuses[response.status_code if response is not None else 0] += 1
        if response is not None:
            status = response.status_code
            if status >= 500:
                found(f"status {status}", _snippet(response))
            elif (
                status >= 400
                and response.request.url.path.startswith(API_PREFIX)
                and not response.headers.get("content-type", "").startswith(PROBLEM)
            ):
                kind = response.headers.get("content-type")
                found(f"{status} is not problem+json but {kind}", _snippet(response))
        if spent > self.slow_s:
            found(f"slower than {self.slow_s:g} s", f"{spent:.1f} s of CPU")
        elif elapsed > self.slow_s * STALLED_FACTOR:
            found(f"stalled for {self.slow_s * STALLED_FACTOR:g} s", f"{elapsed:.1f} s")
        for warning in caught:
            found(
                f"warning {warning.category.__name__}",
                f"{str(warning.message)[:200]} at {_shown(warning.filename)}:{warning.lineno}",
            )
        return response

    def report(self) -> str:
        """The findings grouped by cause: the outcome and, for an exception, where it was
        raised (so that one bug met on thirty routes is one entry)."""
        grouped: dict[tuple[str, str], list[Finding]] = defaultdict(list)
        for finding in self.findings:
            where = finding.detail.partition(" | ")[2] if " | " in finding.detail else ""
            grouped[(finding.outcome, where)].append(finding)
        lines = [f"{len(self.findings)} findings in {self.requests} requests:"]
        for (outcome, where), items in sorted(grouped.items(), key=lambda g: -len(g[1])):
            routes = list(dict.fromkeys(f.endpoint for f in items))
            labels = list(dict.fromkeys(f.label for f in items))
            clients = ", ".join(sorted({f.client for f in items}))
            lines.append(f"- {outcome} ×{len(items)}{f' at {where}' if where else ''}")
            lines.append(f"    {items[0].detail.partition(' | ')[0]}")
            lines.append(f"    routes ({len(routes)}): {_listed(routes, 12)}")
            lines.append(f"    inputs ({len(labels)}): {_listed(labels, 10)}")
            lines.append(f"    clients: {clients}")
        return "\n".join(lines)

    def assert_clean(self) -> None:
        log.info("%d requests, %d findings, %s", self.requests, len(self.findings), self.statuses)
        slowest = sorted(self.seconds.items(), key=lambda item: -item[1])[:8]
        log.info("slowest routes: %s", [(e, round(s, 1)) for e, s in slowest])
        assert self.requests > 0
        if self.findings:
            pytest.fail(self.report(), pytrace=False)
