"""The monthly batch's document: the head previews it, signs those very bytes while the batch stays as it is, and
the signature is applied set-wise (approved, made current, queued for the national database, or returned)."""
from datetime import date

import pytest
from sqlalchemy import select, update

from models import (ApprovalItem, AuditEvent, Person, PreparedDocument, ProfileRevision, SignedDocument, SyncOutbox,
                    Task)
from services import audit, national_sync, tasks
from services.errors import Conflict, Invalid
from services.people import search_key
from services.signing import validate_pdf
from tests.helpers import BATCH_TIME as NOW, batch_to_sign, expected_key, make_revisions, viewer
from tests.services.signing.conftest import pdf_text
from workflows.contracts import CompleteTaskInput

def approve_all(revision_ids: list[int]) -> dict:
    return {"decisions": {str(i): "approve" for i in revision_ids}, "reasons": {}}


async def preview(db, settings, task_id: int, data: dict) -> bytes:
    head = await viewer(db, "head.syt")
    async with db.session() as session:
        return await tasks.preview_document(settings, head, task_id, "sign", data, session=session, now=NOW)


async def sign_and_apply(db, settings, task_id: int, data: dict, *, together: bool = False):
    """What the tasks.sign and tasks.complete activities do: (the signed document, its PDF, the result). Apart,
    as for a token or a remote signing service: signed with no transaction open, applied by the completion;
    together, as for a key held in the worker: signed while the batch's statements run, in one transaction."""
    head = await viewer(db, "head.syt")
    inp = CompleteTaskInput(task_id, "sign", head.user_id, data)
    if together:
        async with db.session() as session:
            signing = await tasks.signing(settings, inp, session=session, now=NOW)
            assert signing.together
            signed = await tasks.sign_and_complete(settings, inp, signing, session=session, now=NOW)
        async with db.session() as session:
            kept = await session.get(SignedDocument, signed.signature_id)
        return signing.document, kept.pdf, signed.completed
    async with db.session() as session:
        to_sign = await tasks.document_to_sign(settings, inp, session=session, now=NOW)
    pdf = await to_sign.sign()
    async with db.session() as session:
        signature_id = await tasks.store_signature(inp, to_sign, pdf, session=session)
    async with db.session() as session:
        result = await tasks.complete_task(settings, CompleteTaskInput(
            task_id, "sign", head.user_id, {**data, "signature_id": signature_id}), session=session, now=NOW)
    return to_sign, pdf, result


@pytest.mark.parametrize("together", [False, True], ids=["signed-apart", "signed-while-applying"])
async def test_the_head_signs_the_very_bytes_she_previewed(db, org, settings, tmp_path, together):
    task_id, waiting = await batch_to_sign(db, org, 3)
    previewed = await preview(db, settings, task_id, approve_all(waiting))
    text = pdf_text(previewed, tmp_path)
    assert "Nguyễn Văn Thử 1" in text and "Nguyễn Văn Thử 3" in text and "Số hồ sơ trong đợt: 3" in text

    to_sign, signed, result = await sign_and_apply(db, settings, task_id, approve_all(waiting), together=together)
    assert to_sign.pdf == previewed
    [report] = validate_pdf(signed)
    assert report.intact and report.valid
    assert signed.startswith(previewed)  # an incremental update: the previewed bytes, then the signature
    assert [d["revision_id"] for d in result.result["decisions"]] == waiting
    assert {d["decision"] for d in result.result["decisions"]} == {"approved"}
    async with db.session() as session:  # applied: the kept preview is gone, the signed copy is the approval's
        assert await session.get(PreparedDocument, task_id) is None


async def test_a_batch_changed_since_the_preview_is_rendered_again(db, org, settings, tmp_path):
    task_id, waiting = await batch_to_sign(db, org, 2)
    previewed = await preview(db, settings, task_id, approve_all(waiting))
    async with db.session() as session:  # the person's name changes (an identity correction approved elsewhere)
        person_id = (await session.get(ProfileRevision, waiting[0])).person_id
        await session.execute(update(Person).where(Person.id == person_id).values(full_name="Trần Thị Đổi Tên"))
    head = await viewer(db, "head.syt")
    async with db.session() as session:
        to_sign = await tasks.document_to_sign(settings, CompleteTaskInput(task_id, "sign", head.user_id,
                                                                           approve_all(waiting)), session=session, now=NOW)
    assert to_sign.pdf != previewed and "Trần Thị Đổi Tên" in pdf_text(to_sign.pdf, tmp_path)

    other_choice = {"decisions": {str(waiting[0]): "approve", str(waiting[1]): "return"},
                    "reasons": {str(waiting[1]): "Thiếu quyết định nâng bậc lương"}}
    again = await preview(db, settings, task_id, other_choice)
    assert "Trả lại: Thiếu quyết định nâng bậc lương" in pdf_text(again, tmp_path)
    _, signed, _ = await sign_and_apply(db, settings, task_id, other_choice)
    assert signed.startswith(again)


@pytest.mark.parametrize("together", [False, True], ids=["signed-apart", "signed-while-applying"])
async def test_the_signature_applies_every_effect_set_wise(db, org, settings, together):
    task_id, waiting = await batch_to_sign(db, org, 4)
    async with db.session() as session:  # one change moves the date of birth: the retirement plan must hear of it
        revision = await session.get(ProfileRevision, waiting[0])
        revision.data = {**revision.data, "date_of_birth": "1991-02-03"}
        renamed = await session.get(ProfileRevision, waiting[1])  # another corrects a name: found by its new one
        renamed.data = {**renamed.data, "full_name": "Đặng Thị Ánh Tuyết"}
    data = {"decisions": {**{str(i): "approve" for i in waiting[:3]}, str(waiting[3]): "return"},
            "reasons": {str(waiting[3]): "Sai hệ số lương"}}
    _, signed, result = await sign_and_apply(db, settings, task_id, data, together=together)
    assert [report.valid for report in validate_pdf(signed)] == [True]
    async with db.session() as session:
        rows = {r.id: r for r in (await session.execute(select(ProfileRevision).where(
            ProfileRevision.id.in_(waiting)))).scalars()}
        items = {i.revision_id: i for i in (await session.execute(select(ApprovalItem).where(
            ApprovalItem.revision_id.in_(waiting)))).scalars()}
        people = {p.id: p for p in (await session.execute(select(Person).where(
            Person.id.in_([r.person_id for r in rows.values()])))).scalars()}
        outbox = {o.revision_id: o for o in (await session.execute(select(SyncOutbox).where(
            SyncOutbox.revision_id.in_(waiting)))).scalars()}
        events = (await session.execute(select(AuditEvent.action, AuditEvent.subject).order_by(AuditEvent.seq)
                                        .where(AuditEvent.action.in_(("approval.signed", "retirement.inputs_changed",
                                                                      "task.completed"))))).all()
        chain = await audit.verify_chain(session=session)
    for revision_id in waiting[:3]:
        revision, person = rows[revision_id], people[rows[revision_id].person_id]
        assert revision.status == "approved" and revision.approved_at == NOW
        assert items[revision_id].decision == "approved"
        assert person.current_revision_id == revision_id
        assert outbox[revision_id].payload["data"] == revision.data and outbox[revision_id].status == "pending"
        assert outbox[revision_id].idempotency_key == await expected_key(db, outbox[revision_id].id)
    assert result.result["outbox_ids"] == [outbox[i].id for i in waiting[:3]]
    assert people[rows[waiting[0]].person_id].date_of_birth == date(1991, 2, 3)
    renamed = people[rows[waiting[1]].person_id]
    assert (renamed.full_name, renamed.search_name) == ("Đặng Thị Ánh Tuyết", "dang thi anh tuyet")
    assert outbox[waiting[1]].payload["full_name"] == "Đặng Thị Ánh Tuyết"
    assert people[rows[waiting[2]].person_id].search_name == search_key(people[rows[waiting[2]].person_id].full_name)
    returned = rows[waiting[3]]
    assert returned.status == "returned_by_head" and returned.review_comment == "Sai hệ số lương"
    assert items[waiting[3]].decision == "returned" and items[waiting[3]].reason == "Sai hệ số lương"
    assert waiting[3] not in outbox and people[returned.person_id].current_revision_id != returned.id
    assert [action for action, _ in events] == ["retirement.inputs_changed", "approval.signed", "task.completed"]
    assert events[0][1] == f"person:{rows[waiting[0]].person_id}"
    assert chain.ok


async def test_a_signature_that_no_longer_covers_the_pending_items_applies_nothing(db, org, settings):
    task_id, waiting = await batch_to_sign(db, org, 2)
    head = await viewer(db, "head.syt")
    inp = CompleteTaskInput(task_id, "sign", head.user_id, approve_all(waiting))
    async with db.session() as session:
        to_sign = await tasks.document_to_sign(settings, inp, session=session, now=NOW)
    pdf = await to_sign.sign()
    async with db.session() as session:
        signature_id = await tasks.store_signature(inp, to_sign, pdf, session=session)
    await batch_to_sign(db, org, 1, first=3)  # a revision joins between the signature and its application
    with pytest.raises(Conflict) as refused:
        async with db.session() as session:
            await tasks.complete_task(settings, CompleteTaskInput(
                task_id, "sign", head.user_id, {**inp.data, "signature_id": signature_id}), session=session, now=NOW)
    assert refused.value.code == "batch_changed"
    async with db.session() as session:
        statuses = (await session.execute(select(ProfileRevision.status).where(
            ProfileRevision.id.in_(waiting)))).scalars().all()
    assert set(statuses) == {"ready"}


async def test_a_batch_changed_while_it_is_signed_and_applied_applies_nothing(db, org, settings):
    task_id, waiting = await batch_to_sign(db, org, 2)
    head = await viewer(db, "head.syt")
    inp = CompleteTaskInput(task_id, "sign", head.user_id, approve_all(waiting))
    with pytest.raises(Conflict) as refused:
        async with db.session() as session:
            signing = await tasks.signing(settings, inp, session=session, now=NOW)
            await batch_to_sign(db, org, 1, first=3)  # a revision joins, committed, while this transaction runs
            await tasks.sign_and_complete(settings, inp, signing, session=session, now=NOW)
    assert refused.value.code == "batch_changed"
    async with db.session() as session:
        statuses = (await session.execute(select(ProfileRevision.status).where(
            ProfileRevision.id.in_(waiting)))).scalars().all()
        task = await session.get(Task, task_id)
        signatures = (await session.execute(select(SignedDocument.id).where(SignedDocument.task_id == task_id))).all()
        queued = (await session.execute(select(SyncOutbox.id))).all()
    assert set(statuses) == {"ready"} and task.status == "open" and signatures == [] and queued == []


async def test_a_batch_queued_twice_in_the_outbox_keeps_one_row_each(db, org):
    made = await make_revisions(db, org.units["SYT"], 3)
    async with db.session() as session:
        first = await national_sync.enqueue_approved([r.id for _, r in made[:2]], session=session)
    async with db.session() as session:
        again = await national_sync.enqueue_approved([r.id for _, r in made], session=session)
        keys = dict((await session.execute(select(SyncOutbox.id, SyncOutbox.idempotency_key))).all())
    assert again[:2] == first and len(set(again)) == 3 and set(keys) == set(again)
    assert all(key.startswith(f"hoso-rev-{r.id}-") for (_, r), key in zip(made, (keys[i] for i in again)))


async def test_a_batch_with_a_revision_not_approved_queues_nothing(db, org):
    *made, (_, draft) = await make_revisions(db, org.units["SYT"], 3)
    async with db.session() as session:
        await session.execute(update(ProfileRevision).where(ProfileRevision.id == draft.id).values(status="ready"))
    with pytest.raises(Invalid) as refused:
        async with db.session() as session:
            await national_sync.enqueue_approved([r.id for _, r in made] + [draft.id], session=session)
    assert refused.value.code == "sync_not_approved" and refused.value.extra["revision_id"] == draft.id
    async with db.session() as session:
        assert (await session.execute(select(SyncOutbox.id))).all() == []
