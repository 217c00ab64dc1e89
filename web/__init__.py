"""The pages: server-rendered HTML with htmx, behind CSRF protection."""

from fastapi import APIRouter, Depends

from web import (
    account,
    admin,
    csrf,
    groups,
    notifications,
    pages,
    resources,
    search,
    settings,
    threads,
)

router = APIRouter(dependencies=[Depends(csrf.verify)])
router.include_router(account.router)
router.include_router(settings.router)
router.include_router(groups.router)
router.include_router(threads.router)
router.include_router(resources.router)
router.include_router(search.router)
router.include_router(notifications.router)
router.include_router(admin.router)
router.include_router(pages.router)
