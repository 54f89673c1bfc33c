"""The pages, one router per domain."""
from fastapi import APIRouter

from ui.routes import admin, approvals, auth, hires, histories, inbox, people, records, scorecards, tasks
from ui.routes import mergers  # unit mergers (issue 6, case 7)
from ui.routes import transfers as transfer_pages  # transfers, arrivals, leavings (issue 6, cases 1-5)
from ui.routes import audit as audit_pages  # the audit log: chain check and exports (issue 7)
from ui.routes import backups as backup_pages  # the database backups (issue 7, item 5)
from ui.routes import reports as report_pages  # periodic reports (issue 7, item 4)

router = APIRouter(include_in_schema=False)
for module in (auth, inbox, tasks, people, hires, records, approvals, admin, histories, scorecards):
    router.include_router(module.router)
router.include_router(mergers.router)
router.include_router(transfer_pages.router)
router.include_router(audit_pages.router)
router.include_router(backup_pages.router)
router.include_router(report_pages.router)

__all__ = ["router"]
