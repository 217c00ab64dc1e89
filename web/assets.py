"""Front-end assets from registry packages, served by erfa itself (no CDN)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

router = APIRouter()

_VENDOR = {
    # name: (package, path inside it, media type)
    "htmx.min.js": ("js_lib_htmx", "static/htmx/htmx.min.js", "text/javascript"),
    # Swagger UI 5 (OpenAPI 3.1) as packaged by fastapi-offline; only its files are used.
    "swagger-ui-bundle.js": ("fastapi_offline", "static/swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": ("fastapi_offline", "static/swagger-ui.css", "text/css"),
}
_IMMUTABLE = "public, max-age=31536000, immutable"


@cache
def _read(name: str) -> bytes:
    package, path, _ = _VENDOR[name]
    return resources.files(package).joinpath(path).read_bytes()


@router.get("/static/vendor/{name}", name="vendor", include_in_schema=False)
def vendor_asset(name: str) -> Response:
    if name not in _VENDOR:
        raise HTTPException(status_code=404)
    # Templates add the package version as a query string, so a new pinned release
    # gets a new URL and the long cache lifetime is safe.
    return Response(_read(name), media_type=_VENDOR[name][2], headers={"Cache-Control": _IMMUTABLE})
