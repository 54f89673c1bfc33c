"""The database backups and their verification, for Sở Nội vụ (services/backups.py)."""
from datetime import UTC, datetime

from fastapi import APIRouter

from api.deps import CurrentUser, SessionDep, StateDep
from api.schemas import BackupPolicyView, BackupsView, BackupView, errors
from rules.clock import local_date
from services import backups, permissions

router = APIRouter(prefix="/api", tags=["backups"], responses=errors(401, 403, 422, 503))


@router.get("/backups")
async def list_backups(viewer: CurrentUser, session: SessionDep, state: StateDep) -> BackupsView:
    """The backups of the manifest, newest first: file, SHA-256, figures, verification, deletion, a failure and
    its task. For Sở Nội vụ's administrator and the auditor."""
    permissions.require(viewer, backups.SEES_BACKUPS)
    policy = backups.policy_of(state.settings.profile, local_date(datetime.now(UTC)))
    rows = await backups.with_tasks(backups.rows_of(state.settings.backup_path), session=session)
    return BackupsView(
        policy=BackupPolicyView(every_months=policy.every_months, keep_months=policy.keep_months,
                                legal_basis=policy.legal_basis, note=policy.note),
        backups=[BackupView.model_validate(row) for row in rows])
