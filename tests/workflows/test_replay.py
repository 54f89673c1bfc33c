"""Replay recorded histories against today's workflow code: a change that would break a running
workflow (a new, removed or reordered activity, timer or signal) fails here with a nondeterminism
error. No server and no database: the Replayer needs neither.

The histories come from tests/workflows/record_histories.py; re-record after a deliberate change
(`.venv/bin/python -m tests.workflows.record_histories`), once workflows already running in
production are taken care of (workflow.patched, or none left running).
"""
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from bootstrap.worker import workflow_classes

HERE = Path(__file__).parent
HISTORIES = sorted((HERE / "histories").glob("*.json"))
WORKFLOW_IDS: dict[str, str] = json.loads((HERE / "history_ids.json").read_text(encoding="utf-8"))


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(WORKFLOW_IDS[path.name], path.read_text(encoding="utf-8"))


def workflow_type(history: WorkflowHistory) -> str:
    return history.events[0].workflow_execution_started_event_attributes.workflow_type.name


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path):
    result = await Replayer(workflows=workflow_classes()).replay_workflow(load(path), raise_on_replay_failure=False)
    if result.replay_failure is not None:
        pytest.fail(f"{path.name} no longer replays: {result.replay_failure}", pytrace=False)


def test_every_workflow_type_has_a_history():
    recorded = {workflow_type(load(path)) for path in HISTORIES}
    registered = {cls.__temporal_workflow_definition.name for cls in workflow_classes()}
    assert registered <= recorded, f"no recorded history for {sorted(registered - recorded)}"


def test_every_history_has_its_workflow_id():
    assert sorted(WORKFLOW_IDS) == [p.name for p in HISTORIES]
