"""Every route of the app, for tests that walk them all.

FastAPI 0.16x keeps an included router whole, as one entry of `app.routes`; its routes,
with their full paths and the router's dependencies, come from `iter_route_contexts`. A
test that filtered `app.routes` for `APIRoute` saw only `/healthz` and passed, checking
nothing: `test_the_walk_sees_both_doors` guards against that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, cast

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts


class Route(Protocol):
    path: str
    name: str
    methods: set[str]
    endpoint: Callable[..., Any]
    dependant: Dependant
    body_field: Any


def api_routes(app: FastAPI) -> list[Route]:
    """Every APIRoute (both doors, and `/healthz`), with its full path."""
    return [
        cast(Route, context)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    ]
