"""A robustness sweep: every route of both doors, with hostile input, never answers 5xx.

The routes are read from the app itself (`endpoints`), so a new route is swept without
anyone adding it here. Path parameters get the ids and slugs of real objects (`world`), and
hostile values; bodies, query strings and headers are malformed in every way a client
manages (`hostile`, `variants`), and Hypothesis adds random JSON and random query strings
for the API. Each request must answer below 500, within a time bound, without raising a
warning, and an error of the API must be problem+json (`sweep`). A sweep collects every
offender and fails once at the end, grouped by cause, so that one run shows them all.

Both doors are asked by signed-in officials and anonymously, each (route, client) pair
first with one valid request (`valid`); who then gets which hostile input is told in
`world`. Every request meets the same world: it runs in a SAVEPOINT that is rolled back.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from sqlmodel import Session

from domain import passwords
from tests.robustness.endpoints import BodyKind, Endpoint, endpoints_of
from tests.robustness.hostile import (
    CSRF_QUERY_VALUES,
    JSON,
    JSON_VALUES,
    MULTIPART,
    PARSED_BEFORE_AUTH,
    PARSED_BEFORE_CSRF,
    PDF,
    QUERY_VALUES,
    RAW_PAYLOADS,
    WITH_TOKEN,
    Payload,
    dumps,
    form_payloads,
    json_payloads,
    multipart,
)
from tests.robustness.sweep import PROBLEM, Sweep
from tests.robustness.variants import header_variants, path_variants, query_variants
from tests.robustness.world import (
    CHEAP_HASHER,
    PATH_PARAMS,
    Client,
    Verdicts,
    World,
    built_world,
)
from web import csrf

# Hypothesis seeds a derandomized test from its source text, decorators included: the
# random tests below name `_dumps` and `_query_strings` as they did before the split, so
# that they draw the same examples.
_dumps = dumps

DOORS = pytest.mark.parametrize("door", ["api", "web"])
SWEEP_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    database=None,
    derandomize=True,
)


@pytest.fixture(scope="module")
def verdicts() -> Verdicts:
    """Shared by the sweeps of this module: every world is built alike, so who gets through
    to which route does not change, and each sweep need not ask again."""
    return {}


@pytest.fixture
def world(
    app: FastAPI,
    session: Session,
    connection: sa.Connection,
    api_as: Client,
    browser_as: Client,
    monkeypatch: pytest.MonkeyPatch,
    verdicts: Verdicts,
    caplog: pytest.LogCaptureFixture,
) -> Iterator[World]:
    caplog.set_level(logging.CRITICAL, logger="erfa")  # the report shows where each crash was
    caplog.set_level(logging.ERROR, logger="python_multipart")  # a line per garbage body
    monkeypatch.setattr(passwords, "_hasher", CHEAP_HASHER, raising=False)
    dummy = CHEAP_HASHER.hash("no account has this password")
    monkeypatch.setattr(passwords, "_dummy_hash", lambda: dummy, raising=False)
    with built_world(app, session, connection, api_as, browser_as, verdicts) as world:
        yield world


@pytest.fixture
def hypothesis_home(tmp_path: Path) -> Iterator[None]:
    """Hypothesis keeps caches (constants, Unicode tables) beside its database, in
    `.hypothesis/` of the working directory, even with `database=None`: keep them in the
    test's own temporary directory."""
    set_hypothesis_home_dir(tmp_path / "hypothesis")
    yield
    set_hypothesis_home_dir(None)


def _of(world: World, door: str) -> list[Endpoint]:
    return [e for e in world.endpoints if e.is_api == (door == "api")]


def _short(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "…"


def test_the_sweep_sees_both_doors_and_has_a_value_for_every_path_parameter(
    world: World,
) -> None:
    api, pages = _of(world, "api"), _of(world, "web")
    assert len(api) > 20, "the API's routes were not found"
    assert len(pages) > 20, "the pages' routes were not found"
    assert any(e.body is BodyKind.JSON for e in api)
    assert any(e.body is BodyKind.FILE for e in api)
    assert any(e.body is BodyKind.FORM for e in pages)
    unknown = {p for e in world.endpoints for p in e.path_params} - PATH_PARAMS
    assert unknown == set(), "give the world a real value for these path parameters"
    world.verdicts.clear()  # ask afresh: this sweep sends every route's valid requests
    refused = []
    for endpoint in world.endpoints:
        verdict = world.baseline(endpoint, world.chosen(endpoint)[0])
        # A 409 is the route's own answer to the world's state (unpin what is not
        # pinned): the request reached it.
        if not verdict.succeeded and verdict.status != 409:
            refused.append(f"{endpoint}: {verdict.status}")
    assert len(refused) < len(world.endpoints) / 10, "\n".join(refused)  # it reaches the routes
    world.sweep.assert_clean()


def test_the_sweep_notices_each_way_of_misbehaving(connection: sa.Connection) -> None:
    """A crash, a 5xx answer, a slow answer, a warning, and an API error that is not
    problem+json are each a finding; a 4xx problem is not."""
    app = FastAPI()

    @app.get("/api/v1/crash")
    def crash() -> None:
        raise ZeroDivisionError("boom")

    @app.get("/api/v1/unavailable")
    def unavailable() -> JSONResponse:
        return JSONResponse({}, status_code=503)

    @app.get("/api/v1/slow")
    def slow() -> None:
        burn_until = time.process_time() + 1.5
        while time.process_time() < burn_until:
            pass

    @app.get("/api/v1/stalls")
    def stalls() -> None:
        time.sleep(4.5)

    @app.get("/api/v1/warns")
    def warns() -> None:
        warnings.warn("deprecated", DeprecationWarning, stacklevel=1)

    @app.get("/api/v1/plain-error")
    def plain_error() -> JSONResponse:
        return JSONResponse({"detail": "no"}, status_code=404)

    @app.get("/api/v1/problem")
    def a_problem() -> Response:
        return Response(b"{}", status_code=404, media_type=PROBLEM)

    sweep = Sweep(app, connection, slow_s=1.0)
    with TestClient(app) as client:
        for route in endpoints_of(app):
            sweep.send(route, "client", client, "nothing hostile", route.path)
    outcomes = {f.endpoint: f.outcome for f in sweep.findings}
    assert outcomes == {
        "GET /api/v1/crash": "exception ZeroDivisionError",
        "GET /api/v1/unavailable": "status 503",
        "GET /api/v1/slow": "slower than 1 s",
        "GET /api/v1/stalls": "stalled for 4 s",
        "GET /api/v1/warns": "warning DeprecationWarning",
        "GET /api/v1/plain-error": "404 is not problem+json but application/json",
    }
    crashed = next(f.detail for f in sweep.findings if "crash" in f.endpoint)
    assert "tests/robustness/test_sweep.py" in crashed


@DOORS
def test_hostile_path_values_never_cause_a_server_error(door: str, world: World) -> None:
    for endpoint in _of(world, door):
        if not endpoint.path_params:
            continue
        clients = world.succeeding(endpoint)
        for n, (label, url) in enumerate(path_variants(world, endpoint)):
            who, client = clients[n % len(clients)]
            world.sweep.send(endpoint, who, client, label, url, world.valid(endpoint))
    world.sweep.assert_clean()


@DOORS
def test_hostile_query_strings_never_cause_a_server_error(door: str, world: World) -> None:
    for endpoint in _of(world, door):
        if endpoint.unsafe and not endpoint.query_params:
            continue
        clients = world.succeeding(endpoint)
        for n, (label, url) in enumerate(query_variants(world, endpoint)):
            who, client = clients[n % len(clients)]
            world.sweep.send(endpoint, who, client, label, url, world.valid(endpoint))
    world.sweep.assert_clean()


@DOORS
def test_hostile_bodies_never_cause_a_server_error(door: str, world: World) -> None:
    for endpoint in _of(world, door):
        if not endpoint.unsafe:
            continue
        url = world.real_path(endpoint)
        who, client = world.chosen(endpoint)
        if endpoint.body is BodyKind.JSON:
            full = json_payloads(world.sample(endpoint))
        elif endpoint.body is BodyKind.NONE:
            full = iter(WITH_TOKEN)
        else:
            full = form_payloads(endpoint, world.sample(endpoint))
        for payload in full:
            world.sweep.send(endpoint, who, client, payload.label, url, payload)
        # Without credentials or token: what is parsed before the refusal.
        who = "api:anonymous" if endpoint.is_api else "web:anonymous without CSRF header"
        for payload in RAW_PAYLOADS:
            if payload.label in (PARSED_BEFORE_AUTH if endpoint.is_api else PARSED_BEFORE_CSRF):
                world.sweep.send(endpoint, who, world.clients[who], payload.label, url, payload)
        if not endpoint.is_api:
            who = "web:anonymous without CSRF header"
            upload = Payload("", multipart([("file", PDF, "plan.pdf")]), MULTIPART)
            for label, raw in CSRF_QUERY_VALUES:
                query = world.real_path(endpoint, f"{csrf.FIELD}={raw}")
                label = f"multipart, {csrf.FIELD} in the query {label}"
                world.sweep.send(endpoint, who, world.clients[who], label, query, upload)
    world.sweep.assert_clean()


@DOORS
def test_hostile_headers_never_cause_a_server_error(door: str, world: World) -> None:
    for endpoint in _of(world, door):
        who, client = world.chosen(endpoint)
        url, valid = world.real_path(endpoint), world.valid(endpoint)
        for label, headers in header_variants(world, endpoint):
            world.sweep.send(endpoint, who, client, label, url, valid, headers)
    world.sweep.assert_clean()


# --- random input, for the API --------------------------------------------------------------------


@pytest.mark.usefixtures("hypothesis_home")
def test_random_json_never_causes_a_server_error(world: World) -> None:
    targets = [e for e in _of(world, "api") if e.body is BodyKind.JSON]
    assert targets
    chosen = {e: world.chosen(e) for e in targets}

    @SWEEP_SETTINGS
    @given(value=JSON_VALUES, pick=st.integers(min_value=0, max_value=1000))
    def send_everywhere(value: object, pick: int) -> None:
        for endpoint in targets:
            who, client = chosen[endpoint]
            url, sample = world.real_path(endpoint), world.sample(endpoint)
            body = Payload(f"random body {_short(value)}", _dumps(value), JSON)
            world.sweep.send(endpoint, who, client, body.label, url, body)
            if sample:
                name = list(sample)[pick % len(sample)]
                one = {**sample, name: value}
                field_payload = Payload(f"random {name}={_short(value)}", _dumps(one), JSON)
                world.sweep.send(endpoint, who, client, field_payload.label, url, field_payload)

    send_everywhere()
    world.sweep.assert_clean()


def _query_strings(names: Sequence[str]) -> st.SearchStrategy[str]:
    """Query strings of up to eight pairs: the routes' own names, `limit`, `cursor`, or any."""
    key = st.one_of(st.sampled_from([*names, "limit", "cursor"]), st.text(max_size=8))
    value = st.one_of(
        st.text(max_size=40).map(lambda v: quote(v, safe="")),
        st.integers().map(str),
        st.sampled_from([raw for _, raw in QUERY_VALUES]),
    )
    pair = st.tuples(key.map(lambda k: quote(k, safe="")), value)
    return st.lists(pair, max_size=8).map(lambda ps: "&".join(f"{k}={v}" for k, v in ps))


@pytest.mark.usefixtures("hypothesis_home")
def test_random_query_strings_never_cause_a_server_error(world: World) -> None:
    targets = [e for e in _of(world, "api") if e.method == "GET" and e.query_params]
    assert targets
    names = sorted({n for e in targets for n in e.query_params})
    chosen = {e: world.chosen(e) for e in targets}

    @SWEEP_SETTINGS
    @given(query=_query_strings(names))
    def send_everywhere(query: str) -> None:
        for endpoint in targets:
            who, client = chosen[endpoint]
            url = world.real_path(endpoint, query)
            world.sweep.send(endpoint, who, client, f"?{query[:80]}", url)

    send_everywhere()
    world.sweep.assert_clean()
