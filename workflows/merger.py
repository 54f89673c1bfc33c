"""A unit's merger into its successor (`merger/{merger_id}`, the 2025 reorganisation): on the decision's
effective date, every person of the old unit and of its sub-units moves to the successor, in batches.

Each batch is one activity and one transaction (`mergers.move_batch`): it moves up to `batch_size` people not
yet moved by this merger and writes their `merger_moves` rows with the moves, so a batch cut short by a crash
leaves nothing behind and a retried one moves no one twice. After `batches_per_run` batches (or sooner, when
Temporal suggests it) the workflow continues as new: each run's history stays a few dozen events whatever the
unit's size. When no one is left, `mergers.finish` closes the old unit and its sub-units (valid to the day
before, successor set) in the same transaction as it checks that no one arrived meanwhile; if someone did,
more batches move them first."""
from datetime import date, datetime, time, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from rules.clock import VN_TZ
    import workflows.calls as calls
    from workflows.contracts import MergerBatchInput, MergerInput
    from workflows.human_task import RETRY, activity

BATCH_TIMEOUT = timedelta(minutes=5)
# a worker that dies mid-batch stops heartbeating: the batch is tried again after this, not after BATCH_TIMEOUT
BATCH_HEARTBEAT = timedelta(seconds=30)


def workflow_id(merger_id: int) -> str:
    return f"merger/{merger_id}"


@workflow.defn(name="UnitMerger")
class UnitMergerWorkflow:
    def __init__(self) -> None:
        self.stage = "waiting"

    @workflow.query(name="stage")
    def current_stage(self) -> str:
        return self.stage

    @workflow.run
    async def run(self, inp: MergerInput) -> str:
        takes_effect = datetime.combine(date.fromisoformat(inp.effective_on), time(0), tzinfo=VN_TZ)
        if takes_effect > workflow.now():
            await workflow.sleep(takes_effect - workflow.now())
        self.stage = "moving"
        for _ in range(max(1, inp.batches_per_run)):
            progress = await workflow.execute_activity(
                calls.move_merger_batch, MergerBatchInput(merger_id=inp.merger_id, limit=max(1, inp.batch_size)),
                start_to_close_timeout=BATCH_TIMEOUT, heartbeat_timeout=BATCH_HEARTBEAT, retry_policy=RETRY)
            if progress.remaining == 0 and await activity(calls.finish_merger, inp.merger_id) == 0:
                self.stage = "done"
                return "done"
            if workflow.info().is_continue_as_new_suggested():
                break
        workflow.continue_as_new(inp)
