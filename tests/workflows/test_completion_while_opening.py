"""A task's row is committed by the open activity a moment before the workflow hears of it. A completion that
arrives in between (an API client that reads its inbox and completes at once) is accepted, waits until the
open is recorded, and is checked then: no refusal, no retry. The open activity here holds its result until
the test releases it, on the real dev server with the real activities and PostgreSQL."""
import asyncio
from datetime import UTC, datetime

import pytest
from temporalio import activity
from temporalio.client import WorkflowUpdateFailedError
from temporalio.worker import Worker

from activities import all_activities
from bootstrap.worker import worker_options, workflow_classes
from rules.clock import local_date
from tests.helpers import complete_as, hire, open_task, task_by_id, viewer
from services import auth
from workflows.contracts import CompleteTaskInput, OpenTaskInput, TaskResult

HELD = 1.0  # seconds the completion is kept waiting on the open


@pytest.fixture
async def held_open(dev_env, db, settings, task_queue):
    """A worker whose tasks.open commits the row, then waits for the test's release before it returns."""
    released = asyncio.Event()
    activities = all_activities(db, settings, dev_env.client)
    real_open = next(fn for fn in activities if getattr(fn, "__temporal_activity_definition").name == "tasks.open")

    @activity.defn(name="tasks.open")
    async def open_held(inp: OpenTaskInput):
        opened = await real_open(inp)
        await released.wait()
        return opened

    activities = [open_held if fn is real_open else fn for fn in activities]
    async with Worker(dev_env.client, task_queue=task_queue, workflows=workflow_classes(), activities=activities,
                      **worker_options(settings)):
        yield released


async def _held_account_task(db, dev_env, task_queue, org):
    person = await hire(db, dev_env.client, task_queue, "hr.syt", org.units["SYT"], local_date(datetime.now(UTC)))
    wid = f"onboarding/{person.id}"
    return wid, await open_task(db, wid, "create_account")  # committed; the workflow not told yet


async def test_a_completion_during_the_open_waits_for_it(dev_env, held_open, db, org, task_queue):
    wid, account = await _held_account_task(db, dev_env, task_queue, org)
    hr = (await viewer(db, "hr.syt")).user_id
    data = {"username": "an.nguyenvan", "activation_hash": auth.hash_activation_code(auth.new_activation_code())}
    completing = asyncio.create_task(dev_env.client.get_workflow_handle(wid).execute_update(
        "complete_task", CompleteTaskInput(account.id, "done", hr, data), result_type=TaskResult))
    await asyncio.sleep(HELD)
    assert not completing.done()  # accepted, not refused as not open yet
    assert (await task_by_id(db, account.id)).status == "open"
    held_open.set()
    result = await asyncio.wait_for(completing, 20)
    assert result.outcome == "done"
    assert (await task_by_id(db, account.id)).status == "done"


async def test_the_update_is_accepted_during_the_open_and_checked_after_it(dev_env, held_open, db, org, task_queue):
    wid, account = await _held_account_task(db, dev_env, task_queue, org)
    handle = dev_env.client.get_workflow_handle(wid)
    outsider = (await viewer(db, "hr.sgd")).user_id  # not a candidate: refused, but only once the open is recorded
    refused = asyncio.create_task(
        handle.execute_update("complete_task", CompleteTaskInput(account.id, "done", outsider, {})))
    await asyncio.sleep(HELD)
    assert not refused.done()  # accepted and waiting: the validator could not yet tell
    held_open.set()
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await asyncio.wait_for(refused, 20)
    assert "không được giao" in str(err.value.cause)
    assert (await task_by_id(db, account.id)).status == "open"
    with pytest.raises(WorkflowUpdateFailedError) as err:  # a task this workflow never opened: refused at once
        await handle.execute_update("complete_task", CompleteTaskInput(account.id + 1000, "done", outsider, {}))
    assert "không còn mở" in str(err.value.cause)
    done = await complete_as(db, dev_env.client, "hr.syt", account.id, "done", {"username": "an.nguyenvan"})
    assert done.result.outcome == "done"
