"""The application factory: one engine per process, both doors, one error policy."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

import api
import web
from api.openapi import install_openapi
from erfa import db, worker
from erfa.bodies import BodyLimitMiddleware
from erfa.errors import install_error_handlers
from erfa.live import LiveHub
from erfa.ratelimit import create_rate_limiter
from erfa.security import SecurityHeadersMiddleware
from erfa.settings import Settings
from web import assets, feeds, unsubscribe
from web.deps import PAGE_READS_AT_ONCE
from web.rendering import TEMPLATE_DIR

STATIC_DIR = TEMPLATE_DIR.parent / "static"


def create_app(settings: Settings | None = None, *, run_jobs: bool = False) -> FastAPI:
    """The app; with `run_jobs` (what `erfa serve` starts) each server process also runs
    a job runner (erfa/worker.py), stopped before the process ends."""
    settings = settings or Settings()
    engine = db.engine_from_settings(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if not gc.get_freeze_count():  # once per process
            # What start-up built lives as long as the process. Frozen, it is left out of
            # the collector's full passes, which otherwise walk it all again every few
            # requests that make many objects (docs/BENCHMARKS.md, "Sync feed").
            gc.freeze()
        runner = worker.start_in_thread(settings, engine) if run_jobs else None
        hub: LiveHub = app.state.live
        await hub.start(app.state.read_session_factory, app.state.session_factory)
        yield
        await hub.stop()
        if runner is not None:
            thread, stop = runner
            stop.set()
            thread.join(timeout=15)  # a delivery in flight ends within its 10 s
        engine.dispose()

    app = FastAPI(
        title="erfa",
        summary="The collaboration forum of the Bergslagen municipalities' experience groups.",
        version="1",
        docs_url=None,  # web/pages.py serves /api/docs from erfa's own assets
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = db.make_session_factory(engine)
    app.state.read_session_factory = db.make_session_factory(engine, read_only=True)
    app.state.rate_limiter = create_rate_limiter(settings.redis_url)
    app.state.live = LiveHub(redis_url=settings.redis_url)
    app.state.page_limiter = anyio.CapacityLimiter(PAGE_READS_AT_ONCE)

    install_error_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware,
        max_body=settings.max_body_kb * 1024,
        max_upload=settings.max_upload_mb * 1024 * 1024,
    )
    app.add_middleware(SecurityHeadersMiddleware, https=settings.is_https)
    app.include_router(assets.router, include_in_schema=False)  # before the mount: its own path
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(api.router)
    install_openapi(app)
    app.include_router(web.router, include_in_schema=False)  # pages are not the API
    app.include_router(feeds.router, include_in_schema=False)  # key, no session or CSRF
    app.include_router(unsubscribe.router, include_in_schema=False)  # token, no CSRF
    app.add_api_route("/healthz", healthz, methods=["GET"], include_in_schema=False)
    return app


def serve_app() -> FastAPI:
    """What `erfa serve` runs in each worker process: the app with its job runner."""
    return create_app(run_jobs=True)


def healthz(request: Request) -> JSONResponse:
    """Liveness and database reachability, for load balancers and `docker compose`."""
    try:
        db.check_connection(request.app.state.engine)
    except sa.exc.SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
