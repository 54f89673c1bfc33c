"""tasks.sign as one activity attempt (ActivityEnvironment) on the real PostgreSQL, for a head whose key is held in
the worker: the month's batch is signed and applied in one transaction and the activity returns the completion,
so the workflow needs no tasks.complete; a retried or overlapping attempt returns the same completion and signs
nothing again."""
import dataclasses

from sqlalchemy import func, select
from temporalio.testing import ActivityEnvironment

from activities.tasks import TaskActivities
from models import ProfileRevision, SignedDocument, SyncOutbox, Task
from services.signing import validate_pdf
from tests.helpers import batch_to_sign, viewer
from workflows.contracts import CompleteTaskInput


async def test_a_key_in_the_worker_signs_and_applies_the_batch_in_one_activity(db, org, settings):
    task_id, waiting = await batch_to_sign(db, org, 3)
    head = await viewer(db, "head.syt")
    inp = CompleteTaskInput(task_id, "sign", head.user_id,
                            {"decisions": {str(waiting[0]): "return", **{str(i): "approve" for i in waiting[1:]}},
                             "reasons": {str(waiting[0]): "Thiếu quyết định nâng bậc lương"}})
    acts = TaskActivities(db, settings)

    signed = await ActivityEnvironment().run(acts.sign, inp)
    assert signed.completed is not None and signed.completed.outcome == "sign"
    decisions = {d["revision_id"]: d["decision"] for d in signed.completed.result["decisions"]}
    assert decisions == {waiting[0]: "returned", waiting[1]: "approved", waiting[2]: "approved"}
    async with db.session() as session:
        task = await session.get(Task, task_id)
        kept = await session.get(SignedDocument, signed.signature_id)
        statuses = dict((await session.execute(select(ProfileRevision.id, ProfileRevision.status).where(
            ProfileRevision.id.in_(waiting)))).all())
        queued = (await session.execute(select(SyncOutbox.revision_id).order_by(SyncOutbox.id))).scalars().all()
    assert (task.status, task.completed_by_id, task.result) == ("done", head.user_id, signed.completed.result)
    assert [report.valid for report in validate_pdf(kept.pdf)] == [True]
    assert statuses == {waiting[0]: "returned_by_head", waiting[1]: "approved", waiting[2]: "approved"}
    assert queued == waiting[1:] and signed.completed.result["outbox_ids"] != []

    retry = ActivityEnvironment()
    retry.info = dataclasses.replace(retry.info, attempt=2)  # the first attempt committed, its report was lost
    assert await retry.run(acts.sign, inp) == signed
    # an attempt that started before the first one committed (it timed out while waiting) and then waited for the
    # task's lock finds the same completion
    assert await ActivityEnvironment().run(acts.sign, inp) == signed
    async with db.session() as session:
        count = (await session.execute(select(func.count()).select_from(SignedDocument).where(
            SignedDocument.task_id == task_id))).scalar_one()
    assert count == 1
