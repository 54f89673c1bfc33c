"""Sở Nội vụ's page of the database backups and their verification (services/backups.py)."""
from fastapi import APIRouter, Request

from api.deps import CurrentUser, SessionDep, StateDep
from services import backups, permissions
from ui.formats import vn_today
from ui.web import render

router = APIRouter(include_in_schema=False)


@router.get("/backups")
async def backups_page(request: Request, viewer: CurrentUser, session: SessionDep, state: StateDep):
    permissions.require(viewer, backups.SEES_BACKUPS)
    folder = state.settings.backup_path
    rows = await backups.with_tasks(backups.rows_of(folder), session=session)
    return await render(request, "backups/index.html", viewer=viewer, active="backups", rows=rows,
                        policy=backups.policy_of(state.settings.profile, vn_today()), folder=folder,
                        kept=sum(1 for r in rows if r.file and not r.deleted_at),
                        verified=sum(1 for r in rows if r.status == "verified" and not r.deleted_at))
