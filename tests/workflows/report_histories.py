"""The recorded histories of the ReportRound and PeriodicReport workflows (workflows/reports.py), part of
record_histories.SCENARIOS.

To record only these (the other histories untouched, history_ids.json updated for their files):

    .venv/bin/python -m tests.workflows.report_histories
"""
import asyncio

KINDS = ("ReportRound-", "PeriodicReport-")


async def report_round_signed_and_preparing(s) -> None:
    """Kon Tum's yearly round for 2026: every reporting unit's workflow starts; Sở Y tế's HR submits and its head
    signs; Sở Giáo dục's report still waits for HR."""
    from tests.helpers import complete_as, make_revisions, open_task
    from tests.workflows import record_histories as rh
    from workflows.contracts import ReportRoundInput
    from workflows.reports import ReportRoundWorkflow, workflow_id
    await make_revisions(s.db, s.org.units["SYT"], 2)
    round_id = "report-round-yearly-replay"
    result = await s.client.execute_workflow(ReportRoundWorkflow.run, ReportRoundInput("kon-tum", "yearly", "2026"),
                                             id=round_id, task_queue=rh.TASK_QUEUE)
    assert result.started == 8
    await rh.record(s, round_id, "kon-tum-2026", done=True)
    signed = workflow_id("yearly", "2026", s.org.units["SYT"])
    await complete_as(s.db, s.client, "hr.syt", (await open_task(s.db, signed, "prepare_report")).id, "submit",
                      {"notes": {"difficulties": "Không có."}})
    await complete_as(s.db, s.client, "head.syt", (await open_task(s.db, signed, "sign_report")).id, "sign")
    await rh.record(s, signed, "submitted-signed", done=True)
    waiting = workflow_id("yearly", "2026", s.org.units["SGD"])
    await open_task(s.db, waiting, "prepare_report")
    await rh.record(s, waiting, "preparing-open")


REPORT_SCENARIOS = [report_round_signed_and_preparing]


async def main() -> None:
    from tests.workflows import record_histories as rh
    await rh.record_only(REPORT_SCENARIOS, KINDS)


if __name__ == "__main__":
    asyncio.run(main())
