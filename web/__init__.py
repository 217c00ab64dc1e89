"""The pages: server-rendered HTML with htmx, behind CSRF protection."""

from fastapi import APIRouter, Depends

from web import (
    account,
    admin,
    archive,
    audit,
    calendar,
    csrf,
    event_arrangers,
    events,
    group_admin,
    groups,
    language,
    live,
    moderation,
    municipalities_admin,
    municipality_pages,
    notifications,
    overview,
    pages,
    resources,
    search,
    settings,
    themes,
    threads,
    webhooks,
)

router = APIRouter(dependencies=[Depends(csrf.verify)])
router.include_router(account.router)
router.include_router(language.router)
router.include_router(settings.router)
router.include_router(groups.router)
router.include_router(group_admin.router)
router.include_router(threads.router)
router.include_router(live.router)
router.include_router(moderation.router)
router.include_router(resources.router)
router.include_router(search.router)
router.include_router(notifications.router)
router.include_router(admin.router)
router.include_router(audit.router)
router.include_router(archive.router)
router.include_router(municipalities_admin.router)
router.include_router(municipality_pages.router)
router.include_router(themes.router)
router.include_router(overview.router)
router.include_router(webhooks.router)
router.include_router(calendar.router)  # before the events: /e/{id}.ics is not a page
router.include_router(events.router)
router.include_router(event_arrangers.router)
router.include_router(pages.router)
