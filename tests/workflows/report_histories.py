"""The recorded histories of the ReportRound and PeriodicReport workflows (workflows/reports.py), part of
record_histories.SCENARIOS.

To record only these (the other histories untouched, history_ids.json updated for their files):

    .venv/bin/python -m tests.workflows.report_histories
"""
import asyncio
import json
import os
import tempfile
from pathlib import Path

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
    from core.config import ROOT
    from core.devstack import embedded_postgres_uri
    from tests.national_receiver.support import InProcessReceiver
    from tests.workflows import record_histories as rh
    admin_uri = os.environ.get("DATABASE_URL") or embedded_postgres_uri(ROOT / ".var" / "test")
    recorded: dict = {}
    national = InProcessReceiver()
    await national.start()
    try:
        with tempfile.TemporaryDirectory(prefix="hoso-replay-signing-") as signing_dir:
            for scenario in REPORT_SCENARIOS:
                print(f"-- {scenario.__name__}")
                async with rh.stack(admin_uri, national.url, Path(signing_dir), recorded) as s:
                    await scenario(s)
    finally:
        await national.stop()
    for kind in KINDS:
        for old in rh.HISTORIES.glob(f"{kind}*.json"):
            old.unlink()
    ids = {name: wid for name, wid in json.loads(rh.WORKFLOW_IDS.read_text(encoding="utf-8")).items()
           if not name.startswith(KINDS)}
    for name, history in sorted(recorded.items()):
        (rh.HISTORIES / name).write_text(history.to_json() + "\n", encoding="utf-8")
        ids[name] = history.workflow_id
    rh.WORKFLOW_IDS.write_text(json.dumps(dict(sorted(ids.items())), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
