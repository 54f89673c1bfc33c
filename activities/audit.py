from datetime import datetime

from temporalio import activity

from activities.base import ActivityGroup, now
from services import audit, audit_export, notify
from workflows.contracts import AuditCheckInput, AuditCheckResult, AuditReportInput


class AuditActivities(ActivityGroup):
    @activity.defn(name="audit.verify_chain")
    async def verify_chain(self, inp: AuditCheckInput) -> AuditCheckResult:
        """Recompute the audit log's chain (read only; a retry reads it again)."""
        async with self.db.session() as session:
            found = await audit.verify_chain(session=session)
        return AuditCheckResult(ok=found.ok, checked=found.checked, last_seq=found.last_seq, last_hash=found.last_hash,
                                checked_at=now().isoformat(),
                                first_broken=found.first_broken.as_dict() if found.first_broken else None)

    @activity.defn(name="audit.report_check")
    async def report_check(self, inp: AuditReportInput) -> bool:
        """Log the check; when the chain is broken, notify Sở Nội vụ's administrators, then mail them."""
        result = inp.result
        report = audit_export.CheckReport(ok=result.ok, checked=result.checked, last_seq=result.last_seq,
                                          first_broken=result.first_broken,
                                          checked_at=datetime.fromisoformat(result.checked_at))
        async with self.db.session() as session:
            told = await audit_export.record_check(report, inp.workflow_id, session=session)
        if told:
            async with self.db.session() as session:
                await notify.mail_pending(self.settings, audit_export.notice_key(inp.workflow_id), session=session)
        return told
