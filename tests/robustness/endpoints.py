"""The routes as the sweep sees them: one `Endpoint` per method, read from the app.

The routes come from `tests.routes.api_routes`, so a new route is swept without anyone
adding it here. An endpoint knows its path and query parameters (its dependencies' too) and
the kind of body it reads, with the fields of that body.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, params
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from tests.routes import Route, api_routes

API_PREFIX = "/api/v1/"
_PATH_PARAM = r"\{(\w+)(?::[^}]*)?\}"


class BodyKind(enum.Enum):
    NONE = "none"
    JSON = "json"
    FORM = "form"
    FILE = "file"


@dataclass(frozen=True)
class BodyField:
    name: str  # as sent: the alias
    annotation: Any


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    required_query: tuple[str, ...]
    body: BodyKind
    fields: tuple[BodyField, ...]

    @property
    def is_api(self) -> bool:
        return self.path.startswith(API_PREFIX)

    @property
    def unsafe(self) -> bool:
        return self.method not in ("GET", "HEAD", "OPTIONS")

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _query_params(dependant: Dependant) -> dict[str, bool]:
    """The query parameters a route reads, its dependencies' too: name → required."""
    names = {p.alias: p.field_info.is_required() for p in dependant.query_params}
    for sub in dependant.dependencies:
        names.update(_query_params(sub))
    return names


def unwrap(annotation: Any) -> Any:
    """`Annotated[X, ...]` → X; `X | None` → X."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = options[0] if options else annotation
    return annotation


def is_upload(annotation: Any) -> bool:
    annotation = unwrap(annotation)
    if typing.get_origin(annotation) is list:
        annotation = unwrap(typing.get_args(annotation)[0])
    return isinstance(annotation, type) and issubclass(annotation, UploadFile)


def _upload_params(route: Route) -> list[str]:
    """Parameters of the endpoint that are files, however they get there: a form field, or
    a dependency that parses the body itself (an upload read only once the caller is known)."""
    try:
        hints = typing.get_type_hints(route.endpoint, include_extras=True)
    except Exception:  # an annotation that does not resolve: no uploads seen
        return []
    return [name for name, hint in hints.items() if name != "return" and is_upload(hint)]


def _body(route: Route) -> tuple[BodyKind, tuple[BodyField, ...]]:
    fields: tuple[BodyField, ...] = ()
    info = route.body_field.field_info if route.body_field is not None else None
    model = unwrap(info.annotation) if info is not None else None
    if isinstance(model, type) and issubclass(model, BaseModel):
        fields = tuple(
            BodyField(f.alias or name, f.annotation) for name, f in model.model_fields.items()
        )
    known = {f.name for f in fields}
    fields += tuple(BodyField(n, UploadFile) for n in _upload_params(route) if n not in known)
    if any(is_upload(f.annotation) for f in fields):
        return BodyKind.FILE, fields
    if info is None:
        return BodyKind.NONE, fields
    if isinstance(info, params.Form):
        return BodyKind.FORM, fields
    return BodyKind.JSON, fields


def endpoints_of(app: FastAPI) -> list[Endpoint]:
    found = []
    for route in api_routes(app):
        kind, fields = _body(route)
        query = _query_params(route.dependant)
        for method in sorted(route.methods):
            found.append(
                Endpoint(
                    method=method,
                    path=route.path,
                    path_params=tuple(re.findall(_PATH_PARAM, route.path)),
                    query_params=tuple(sorted(query)),
                    required_query=tuple(sorted(n for n, required in query.items() if required)),
                    body=kind,
                    fields=fields,
                )
            )
    return found


def fill(path: str, values: Mapping[str, str]) -> str:
    """The path with each `{name}` replaced by its value (URL-safe already, or hostile)."""
    return re.sub(_PATH_PARAM, lambda m: values[m.group(1)], path)
