"""The OpenAPI document at /openapi.json: FastAPI's, completed with what it cannot know.

FastAPI builds the operations from the routes; this adds the problem+json schemas that
`problem_responses` refers to, the introduction integrators read first in /api/docs, and
the examples as the models declare them (FastAPI drops every null from the document, the
nulls inside examples too, which leaves examples that break their own schema).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from api.problems import problem_schemas

DESCRIPTION = """\
The JSON API of erfa, under `/api/v1`.

**Signing in.** Send `Authorization: Bearer <token>` with either an access token
(`POST /api/v1/auth/token` with the form fields `username` = email and `password`; valid
for 15 minutes) or a personal API token (`POST /api/v1/me/tokens`, scopes `read` or
`read` and `write`). Unsafe methods need a token that may write.

**Errors** are RFC 9457 problem details (`application/problem+json`: `type`, `title`,
`status`, `detail`; validation errors add `errors`, one per field). A group the caller
may not read is a 404, as if it did not exist.

**Lists** take `?cursor=&limit=` (limit 1–200, default 50) and answer
`{"items": [...], "next_cursor": "..." | null}`; a cursor erfa did not issue is a 422.

**Versions.** Single resources carry a strong `ETag`; `If-None-Match` with it answers 304,
and a `PATCH` with a stale `If-Match` answers 412.
"""

TAGS = [
    {"name": "me", "description": "Signing in, the caller's account and personal API tokens."},
    {"name": "groups", "description": "Experience groups, their members and join requests."},
    {"name": "threads", "description": "Discussions and their posts."},
    {"name": "moderation", "description": "What group leads do: pin, lock, move, hide, flags."},
    {"name": "resources", "description": "Shared models, tools, processes and research."},
    {"name": "search", "description": "Swedish full-text search over what the caller reads."},
    {"name": "sync", "description": "The changes feed integrators follow to mirror erfa."},
    {"name": "municipalities", "description": "The member municipalities."},
    {"name": "themes", "description": "The yearly themes of the association."},
    {"name": "users", "description": "Officials, as coordinators administer them."},
    {"name": "audit", "description": "What moderators and coordinators did, and why."},
    {"name": "stats", "description": "Activity per municipality and group (coordinators)."},
    {"name": "webhooks", "description": "A group's changes pushed to an integrator (leads)."},
]


def install_openapi(app: FastAPI) -> None:
    """Serve the completed document at `app.openapi_url`, built once per process."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            complete(FastAPI.openapi(app))
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]


def complete(document: dict[str, Any]) -> None:
    document["info"]["description"] = DESCRIPTION
    document["tags"] = TAGS
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(problem_schemas())
    declared = declared_examples()
    for schema in schemas.values():
        if "examples" in schema and schema.get("title") in declared:
            schema["examples"] = declared[schema["title"]]


def declared_examples() -> dict[str, list[Any]]:
    """The `examples` of the API's models, by model name (the title of their schema)."""
    found: dict[str, list[Any]] = {}
    pending: list[type[BaseModel]] = [BaseModel]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        extra = model.model_config.get("json_schema_extra")
        if model.__module__.startswith("api.") and isinstance(extra, dict):
            examples = extra.get("examples")
            if isinstance(examples, list):
                found[model.__name__] = examples
    return found
