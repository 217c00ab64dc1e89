"""Rendering pages and their htmx fragments.

The only place that reads `HX-*` request headers and the only place that sets
`Vary: HX-Request, HX-Target, Accept-Language`: a block is rendered for htmx, the whole
page otherwise, in the language the request asks for.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2_fragments.fastapi import Jinja2Blocks

from erfa import i18n

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

templates = Jinja2Blocks(directory=str(TEMPLATE_DIR))
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
)
templates.env.globals["current_locale"] = i18n.current_locale
templates.env.globals["htmx_version"] = version("django-js-lib-htmx")


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def request_locale(request: Request) -> str:
    return i18n.negotiate(request.headers.get("Accept-Language"))


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    i18n.activate(request_locale(request))
    fragment = block if block is not None and is_htmx(request) else None
    response = templates.TemplateResponse(
        request, template, context or {}, status_code=status_code, block_name=fragment
    )
    response.headers["Vary"] = "HX-Request, HX-Target, Accept-Language"
    assert isinstance(response, HTMLResponse)
    return response


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def render_error(request: Request, status_code: int, message: str) -> HTMLResponse:
    return render(
        request,
        "error.html",
        {"status_code": status_code, "message": message},
        status_code=status_code,
    )
