"""A test-only workflow: send outbox rows with "national_db.send" under a retry policy.

The real caller is the monthly-approval workflow; this one exists so the tests can show exactly-once
delivery end to end on a real Temporal server.
"""
import asyncio
from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.national_db import SendInput, SendResult

RETRY = RetryPolicy(initial_interval=timedelta(seconds=0.2), backoff_coefficient=2.0,
                    maximum_interval=timedelta(seconds=2), maximum_attempts=0)  # 0: unlimited


@dataclass
class SyncInput:
    outbox_ids: list[int]
    parallel: bool = False
    start_to_close_seconds: float = 10.0


@workflow.defn(name="TestNationalSync")
class NationalSyncTestWorkflow:
    @workflow.run
    async def run(self, inp: SyncInput) -> list[SendResult]:
        async def one(outbox_id: int) -> SendResult:
            return await workflow.execute_activity(
                "national_db.send", SendInput(outbox_id), result_type=SendResult,
                start_to_close_timeout=timedelta(seconds=inp.start_to_close_seconds), retry_policy=RETRY)

        if inp.parallel:
            return list(await asyncio.gather(*(one(i) for i in inp.outbox_ids)))
        return [await one(i) for i in inp.outbox_ids]
