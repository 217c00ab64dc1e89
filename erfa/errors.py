"""One place that turns errors into answers: problem+json under /api, a page elsewhere.

RFC 9457 problem details carry `type`, `title`, `status`, `detail` (and `errors` for
validation). Unknown routes, wrong methods and unexpected failures get the same shape;
an unexpected failure is logged with its traceback and never shows internals.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api.problems import PROBLEM_MEDIA_TYPE
from domain.errors import DomainError, Invalid, TooSoon, Unauthenticated
from erfa.ratelimit import TooManyRequests
from web.rendering import render_error, sign_in_redirect

log = logging.getLogger("erfa")

API_PREFIX = "/api/v1/"
_HTTP_TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Too large",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Internal error",
    503: "Unavailable",
}
_HTTP_CODES = {404: "not-found", 405: "method-not-allowed", 500: "internal-error"}
UNPARSABLE_BODY = "There was an error parsing the body"
"""FastAPI's 400 for a body it cannot decode (bytes that are not UTF-8, a broken form)."""
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def problem(
    status: int,
    *,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {"type": f"/problems/{code}", "title": title, "status": status, "detail": detail}
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX) or request.url.path == "/openapi.json"


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooSoon) else {}
    if not _is_api(request):
        if isinstance(exc, Unauthenticated):
            return sign_in_redirect(request)
        response = render_error(request, exc.status, exc.detail)
        response.headers.update(headers)
        return response
    if isinstance(exc, Unauthenticated):
        return problem(
            401,
            code=exc.code,
            title=exc.title,
            detail=exc.detail,
            headers={"WWW-Authenticate": "Bearer"},
        )
    extra: dict[str, Any] = {}
    if isinstance(exc, Invalid):
        extra["errors"] = [
            {"field": e.field, "message": e.message, "code": e.code} for e in exc.errors
        ]
    return problem(
        exc.status, code=exc.code, title=exc.title, detail=exc.detail, headers=headers, **extra
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": ".".join(str(part) for part in error["loc"] if part != "body") or "body",
            "message": error["msg"],
            "code": error["type"],
        }
        for error in exc.errors()
    ]
    if not _is_api(request):
        return render_error(request, 422, "; ".join(e["message"] for e in errors))
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, code="invalid", title="Invalid input", detail=detail, errors=errors)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    if not _is_api(request):
        reason = exc.detail if exc.detail in ("csrf",) else ""
        if isinstance(exc, TooManyRequests):
            reason = "rate"
        response = render_error(request, exc.status_code, reason)
        response.headers.update(headers)
        return response
    if exc.status_code == 400 and exc.detail == UNPARSABLE_BODY:
        return _unparsable_body()
    title = _HTTP_TITLES.get(exc.status_code, "Error")
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else title
    if exc.status_code == 404:
        detail = f"There is nothing at {request.url.path}."
    code = _HTTP_CODES.get(exc.status_code, f"http-{exc.status_code}")
    return problem(exc.status_code, code=code, title=title, detail=detail, headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method a route takes at the request's path. Starlette's 405 names only the
    methods of the first route there, and FastAPI makes one route per method."""
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    )


def _unparsable_body() -> Response:
    """Invalid input like malformed JSON, which FastAPI itself answers with a 422: the API
    documents one status for a body it cannot use."""
    detail = "The body cannot be read: it is not UTF-8 JSON, or not a well-formed form."
    error = {"field": "body", "message": detail, "code": "body_unreadable"}
    return problem(422, code="invalid", title="Invalid input", detail=detail, errors=[error])


async def _data_error(request: Request, exc: Exception) -> Response:
    """Input the database cannot store (a NUL character, a number out of range): a 422."""
    if not _is_api(request):
        return render_error(request, 422, "")
    detail = "Some value cannot be stored: a character or number out of range."
    return problem(422, code="invalid", title="Invalid input", detail=detail, errors=[])


async def _collision(request: Request, exc: Exception) -> Response:
    """A unique constraint that a concurrent request won (two officials given the same
    handle at the same moment): nothing was saved, and the same request may succeed when
    sent again. Services check uniqueness first; this is the race between check and write."""
    log.warning("constraint collision on %s %s: %s", request.method, request.url.path, exc)
    if not _is_api(request):
        return render_error(request, 409, "collision")
    return problem(
        409,
        code="conflict",
        title="Conflict",
        detail="The change collided with another made at the same moment; nothing was saved. "
        "Send it again.",
    )


BUSY_RETRY_AFTER_S = 2


async def _database_busy(request: Request, exc: Exception) -> Response:
    """The database did not answer in time: a lock held too long ("database is locked" on
    SQLite), a deadlock or a lost connection. Nothing was saved (the transaction rolled
    back); the caller may send the same request again shortly."""
    log.warning("database busy on %s %s: %s", request.method, request.url.path, exc)
    headers = {"Retry-After": str(BUSY_RETRY_AFTER_S)}
    if not _is_api(request):
        response = render_error(request, 503, "")
        response.headers.update(headers)
        return response
    return problem(
        503,
        code="busy",
        title="Busy",
        detail="The database is busy; nothing was saved. Send the request again shortly.",
        headers=headers,
    )


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if not _is_api(request):
        return render_error(request, 500, "")
    return problem(
        500, code="internal-error", title="Internal error", detail="The error has been logged."
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(sa.exc.DataError, _data_error)
    app.add_exception_handler(sa.exc.OperationalError, _database_busy)
    app.add_exception_handler(sa.exc.IntegrityError, _collision)
    app.add_exception_handler(OverflowError, _data_error)
    app.add_exception_handler(Exception, _unexpected_error)
