"""The pages, one router per domain."""
from fastapi import APIRouter

from ui.routes import auth, hires, inbox, people, tasks

router = APIRouter(include_in_schema=False)
for module in (auth, inbox, tasks, people, hires):
    router.include_router(module.router)

__all__ = ["router"]
