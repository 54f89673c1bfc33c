"""The daily check of the audit log's hash chain (a Temporal Schedule, bootstrap/schedules.py): recompute the
chain (services/audit.verify_chain), then log the result and, when the chain is broken, tell Sở Nội vụ's
administrators in the app and by mail. The run's result stays in Temporal's history as a dated anchor (the
head's seq and hash) outside the database, for the namespace's retention."""
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    import workflows.calls as calls
    from workflows.contracts import AuditCheckInput, AuditCheckResult, AuditReportInput
    from workflows.human_task import activity

SCHEDULE_ID = "audit-chain-check"
# the whole log is read: a large one takes minutes, not the 30 s of a step's activity
VERIFY_TIMEOUT = timedelta(minutes=30)
VERIFY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=30), maximum_interval=timedelta(minutes=5),
                           maximum_attempts=5)


@workflow.defn(name="AuditChainCheck")
class AuditChainCheckWorkflow:
    @workflow.run
    async def run(self, inp: AuditCheckInput) -> AuditCheckResult:
        result = await workflow.execute_activity(calls.verify_audit_chain, inp, start_to_close_timeout=VERIFY_TIMEOUT,
                                                 retry_policy=VERIFY_RETRY)
        await activity(calls.report_audit_check, AuditReportInput(workflow_id=workflow.info().workflow_id,
                                                                  result=result))
        return result
