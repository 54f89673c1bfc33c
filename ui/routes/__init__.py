"""The pages, one router per domain."""
from fastapi import APIRouter

from ui.routes import admin, approvals, auth, hires, inbox, people, records, tasks

router = APIRouter(include_in_schema=False)
for module in (auth, inbox, tasks, people, hires, records, approvals, admin):
    router.include_router(module.router)

__all__ = ["router"]
