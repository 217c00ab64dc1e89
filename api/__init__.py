"""The JSON API, `/api/v1`: the stable contract integrators rely on."""

from fastapi import APIRouter

from api import (
    attachments,
    audit,
    events,
    groups,
    me,
    moderation,
    municipalities,
    resources,
    search,
    stats,
    sync,
    themes,
    threads,
    users,
    webhooks,
)

router = APIRouter(prefix="/api/v1")
router.include_router(me.router)
router.include_router(groups.router)
router.include_router(users.router)
router.include_router(audit.router)
router.include_router(threads.router)
router.include_router(moderation.router)
router.include_router(resources.router)
router.include_router(attachments.router)
router.include_router(search.router)
router.include_router(sync.router)
router.include_router(municipalities.router)
router.include_router(themes.router)
router.include_router(stats.router)
router.include_router(webhooks.router)
router.include_router(events.router)
