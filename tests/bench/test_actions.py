"""bench/actions.py counts the recorded histories of the replay test: every registered workflow type, and the
figures the capacity plan uses agree with the raw JSON of the files."""
import json
from collections import Counter

from bench import actions
from bootstrap.worker import workflow_classes


def test_every_registered_workflow_type_is_counted():
    registered = {cls.__temporal_workflow_definition.name for cls in workflow_classes()}
    assert registered <= set(actions.by_type(actions.counted()))


def test_counts_agree_with_the_files():
    for path in sorted(actions.HISTORIES.glob("*.json")):
        raw = Counter(e["eventType"] for e in json.loads(path.read_text(encoding="utf-8"))["events"])
        c = actions.count(path.stem, actions.load(path))
        assert c.events == sum(raw.values())
        assert c.activities == raw["EVENT_TYPE_ACTIVITY_TASK_SCHEDULED"] == sum(c.activity_types.values())
        assert c.attempts >= raw["EVENT_TYPE_ACTIVITY_TASK_STARTED"]
        assert c.timers == raw["EVENT_TYPE_TIMER_STARTED"]
        assert c.signals == raw["EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED"]
        assert c.updates == raw["EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED"]
        assert c.children == raw["EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED"]
        assert c.encrypted > c.bytes > 0  # the codec adds a nonce, a tag and the key id to every payload


def test_the_plan_is_built_from_recorded_histories_and_adds_up():
    counted = actions.counted()
    assert set(actions.PROCESS_HISTORY.values()) <= {c.name for c in counted}
    plan = actions.plan(counted, *actions.PROVINCE)
    assert abs(plan["actions_per_year"] - sum(row["actions"] for row in plan["table"])) <= len(plan["table"])
