"""Rendering pages and their htmx fragments.

The only place that reads `HX-*` request headers and the only place that sets
`Vary: HX-Request, HX-Target, Accept-Language`: a block is rendered for htmx, the whole
page otherwise, in the language the request asks for.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import pass_context, pass_eval_context
from jinja2.nodes import EvalContext
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup

from domain import policy
from domain.errors import Invalid, TooSoon
from erfa import i18n
from erfa.ratelimit import TooManyRequests
from web import csrf, formats

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

templates = Jinja2Blocks(directory=str(TEMPLATE_DIR))
templates.env.auto_reload = False  # templates change with a release: no stat per render
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
)


@pass_eval_context
def _gettext(eval_context: EvalContext, message: str, /, **variables: Any) -> str:
    """Jinja's new-style gettext (escaped, always %-formatted) in one call, where the
    extension's own goes through three: a page of posts asks for hundreds of strings."""
    found = i18n.gettext(message)  # erfa's own catalog: trusted markup, as Jinja's own treats it
    if not variables and "%" not in found:  # formatting would leave it as it is
        return Markup(found) if eval_context.autoescape else found  # noqa: S704
    return (Markup(found) if eval_context.autoescape else found) % variables  # noqa: S704


@pass_eval_context
def _ngettext(
    eval_context: EvalContext, singular: str, plural: str, n: int, /, **variables: Any
) -> str:
    variables.setdefault("num", n)
    found = i18n.ngettext(singular, plural, n)
    return (Markup(found) if eval_context.autoescape else found) % variables  # noqa: S704


templates.env.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext)
templates.env.globals["current_locale"] = i18n.current_locale
templates.env.globals["htmx_version"] = version("django-js-lib-htmx")
templates.env.filters.update(formats.FILTERS)


_URL_TEMPLATES: dict[tuple[int, str, tuple[str, ...]], tuple[str, tuple[str, ...]]] = {}


def _url_template(
    request: Request, name: str, keys: tuple[str, ...]
) -> tuple[str, tuple[str, ...]]:
    """A route's path with numbered stand-ins for its parameters, asked of the router once."""
    cached = _URL_TEMPLATES.get((id(request.app), name, keys))
    if cached is None:
        stand_ins = tuple(str(900_000_000_000 + n) for n in range(len(keys)))
        path = request.app.url_path_for(name, **dict(zip(keys, stand_ins, strict=True)))
        cached = (str(path), stand_ins)
        _URL_TEMPLATES[(id(request.app), name, keys)] = cached
    return cached


@pass_context
def _url_for(context: Any, name: str, /, **params: Any) -> str:
    """url_for for templates, by route name as ever, but as a site-relative path from a
    cached template: the router's own look-up walks every route on every call, which
    cost a thread page of 50 posts some 60 ms."""
    keys = tuple(sorted(params))
    path, stand_ins = _url_template(context["request"], name, keys)
    for key, stand_in in zip(keys, stand_ins, strict=True):
        value = params[key]
        shown = str(value) if type(value) is int else quote(str(value), safe="/")
        path = path.replace(stand_in, shown, 1)
    return path


def path_for(request: Request, name: str, /, **params: Any) -> str:
    """A route's site-relative path, as `url_for` in templates gives it (from the cache)."""
    return str(_url_for({"request": request}, name, **params))


templates.env.globals["url_for"] = _url_for
templates.env.globals["swagger_version"] = version("fastapi-offline")


def is_htmx(request: Request) -> bool:
    """An htmx request that wants a piece of a page. Boosted links and forms (hx-boost)
    navigate: they get whole pages, like a browser without JavaScript."""
    return (
        request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"
    )


LOCALE_COOKIE = "erfa_locale"
"""The language a visitor chose before signing in (`web/language.py` sets it)."""


def request_locale(request: Request) -> str:
    """The signed-in official's language (their settings), else the one chosen on the
    sign-in page, else the browser's, else Swedish."""
    actor = getattr(request.state, "actor", None)
    preferred = actor.locale if actor is not None else request.cookies.get(LOCALE_COOKIE)
    return i18n.negotiate(request.headers.get("Accept-Language"), preferred)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | tuple[str, ...] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The page, or for htmx the block named by `block` (of several, the one `HX-Target` names,
    else the first): one template serves both."""
    i18n.activate(request_locale(request))
    fragment = _fragment(request, block) if is_htmx(request) else None
    actor = getattr(request.state, "actor", None)
    page = {
        "csrf_token": csrf.token(request),
        "current_actor": actor,
        "can_administer": actor is not None and policy.can_administer(actor),
        "can_read_audit": actor is not None and policy.can_read_audit(actor),
        "unread_notifications": getattr(request.state, "unread_notifications", 0),
        **(context or {}),
    }
    response = templates.TemplateResponse(
        request, template, page, status_code=status_code, block_name=fragment
    )
    response.headers.update(headers or {})
    response.headers["Vary"] = "HX-Request, HX-Target, Accept-Language, Cookie"
    response.headers["Cache-Control"] = "no-store"
    csrf.set_cookie(request, response)
    assert isinstance(response, HTMLResponse)
    return response


def refusal(
    exc: Invalid | TooManyRequests | TooSoon,
) -> tuple[dict[str, Any], int, dict[str, str]]:
    """How a form shows a refused post: its field errors (422), or the posting pace or a
    discussion's slow mode (429) with how long to wait. Returns context, status and
    headers for `render`."""
    if isinstance(exc, TooManyRequests | TooSoon):
        wait = exc.retry_after
        return {"errors": [], "retry_after": wait}, 429, {"Retry-After": str(wait)}
    return {"errors": exc.errors, "retry_after": None}, 422, {}


def _fragment(request: Request, block: str | tuple[str, ...] | None) -> str | None:
    if block is None or isinstance(block, str):
        return block
    target = request.headers.get("HX-Target")
    return target if target in block else block[0]


def see_other(request: Request, url: str) -> Response:
    """After a successful form post: 303 for plain browsers, HX-Redirect for htmx (boosted
    forms too: the browser then loads the next page whole, scripts and all)."""
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": quote(url, safe=_URL_SAFE)})
    return RedirectResponse(url, status_code=303)


_URL_SAFE = ":/?#[]@!$&'()*+,;=%-._~"


def safe_next(target: str | None) -> str:
    """A path on this site to go on to after signing in; anything else is the start page.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so a path
    with any of them could turn into `//elsewhere`: such a target is refused whole.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if any(ch == "\\" or ch.isspace() or not ch.isprintable() for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def sign_in_redirect(request: Request) -> Response:
    """Anonymous visitors of a page are sent to the sign-in form, and back afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    url = "/login?" + urlencode({"next": target}) if target != "/" else "/login"
    if request.method not in ("GET", "HEAD"):
        return render_error(request, 401, "")
    return see_other(request, url)


def render_error(request: Request, status_code: int, message: str) -> HTMLResponse:
    return render(
        request,
        "error.html",
        {"status_code": status_code, "message": message},
        status_code=status_code,
    )
