"""The problem+json schema, so that the OpenAPI document tells the truth about errors.

Routes declare the errors they answer with `responses=problem_responses(404, 409)`; the
answers themselves are rendered in one place, `erfa/errors.py`. Every operation may answer
422 (its input did not validate), so `problem_responses` always adds it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
"""`api/openapi.py` puts `Problem` (and `FieldProblem`) into the document's components."""

_TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    412: "Stale version",
    413: "Too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
}


class FieldProblem(BaseModel):
    field: str
    message: str
    code: str


class Problem(BaseModel):
    """RFC 9457 problem details; validation errors (422) add `errors`, one per field."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "/problems/not-found",
                    "title": "Not found",
                    "status": 404,
                    "detail": "No such group.",
                },
                {
                    "type": "/problems/invalid",
                    "title": "Invalid input",
                    "status": 422,
                    "detail": "limit: Input should be less than or equal to 200",
                    "errors": [
                        {
                            "field": "limit",
                            "message": "Input should be less than or equal to 200",
                            "code": "less_than_equal",
                        }
                    ],
                },
            ]
        }
    )

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "description": _TITLES.get(status, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
        }
        for status in (*statuses, 422)
    }


def problem_schemas() -> dict[str, dict[str, Any]]:
    """`Problem` and the models it refers to, as OpenAPI component schemas."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components: dict[str, dict[str, Any]] = schema.pop("$defs", {})
    components["Problem"] = schema
    return components
