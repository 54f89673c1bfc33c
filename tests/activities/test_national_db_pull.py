"""An arrival's pull from the national database: the client's GET, the stand-in's answer, and national_db.pull
as one activity attempt (ActivityEnvironment) against a fresh in-process receiver holding the other province's
record, posted as that province's system posts it."""
from datetime import UTC, date, datetime

import httpx
import pytest
from sqlalchemy import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.national_db import NationalDbActivities, Pulled, PullInput
from models import AuditEvent, ProfileRevision, RevisionChange, Transfer, User
from rules.profiles import get_profile
from services import people, tasks
from services.national_sync import NationalClient, RejectedSyncError, RetryableSyncError
from tests.arrivals import BORN, WOMAN, other_province_record, publish
from tests.helpers import viewer
from workflows.contracts import OpenTaskInput, Schedule

TODAY = date(2026, 12, 1)


def activities(db, settings, url: str | None) -> NationalDbActivities:
    return NationalDbActivities(db, settings.model_copy(update={"national_db_url": url}), timeout=5)


async def user_id(db, username: str) -> int:
    async with db.session() as session:
        return (await session.execute(select(User.id).where(User.username == username))).scalar_one()


async def arrival_task(db, unit_id: int, citizen_id: str = WOMAN, sex: str = "nu") -> tuple[int, int, int]:
    """(person, transfer, pull task) as the Arrival workflow leaves them when Sở Nội vụ's task opens."""
    hr = await viewer(db, "hr.syt")
    profile = get_profile("hai-phong", on=TODAY)
    async with db.session() as session:
        person = await people.register_hire(hr, people.HireInput(
            full_name="Trần Thị Hoa", sex=sex, date_of_birth=BORN, citizen_id=citizen_id, unit_id=unit_id,
            hired_on=TODAY, kind="cong_chuc"), profile_name="hai-phong", today=TODAY, session=session)
        transfer = Transfer(person_id=person.id, kind="arrival", to_unit_id=unit_id, reason="Tiếp nhận",
                            decision_no="1/QĐ", effective_on=TODAY, profile=profile.name,
                            profile_version=profile.version)
        session.add(transfer)
        await session.flush()
        transfer.workflow_id = f"transfer/{transfer.id}"
        opened = await tasks.open_task(OpenTaskInput(
            workflow_id=transfer.workflow_id, step_key="sync@test", kind="pull_national", person_id=person.id,
            unit_id=unit_id, profile=profile.name, profile_version=profile.version, started_on=TODAY.isoformat(),
            schedule=Schedule("sonoivu_admin", "arrival_sync", None, None, None, None, None)),
            session=session, now=datetime.now(UTC))
        return person.id, transfer.id, opened.task_id


async def revisions_of(db, person_id: int) -> list[ProfileRevision]:
    async with db.session() as session:
        return list((await session.execute(select(ProfileRevision).where(ProfileRevision.person_id == person_id)
                                           .order_by(ProfileRevision.number))).scalars())


# ---- the protocol: GET /api/v1/records/{citizen_id} ---------------------------------------------------------

async def test_the_stand_in_answers_the_latest_record_of_a_citizen_and_404_when_none(receiver):
    client = NationalClient(receiver.url)
    assert await client.fetch(WOMAN) is None
    first = await publish(receiver.url, other_province_record(WOMAN, revision=3), their_revision_id=1)
    latest = await publish(receiver.url, other_province_record(WOMAN, revision=4, phone="0912000111"),
                           their_revision_id=2)
    await publish(receiver.url, other_province_record("031095004321", name="Lê Văn Nam", sex="nam"), 3)
    record = await client.fetch(WOMAN)
    assert record["id"] == latest != first
    assert record["citizen_id"] == WOMAN and record["revision"] == 4
    assert record["payload"]["data"]["phone"] == "0912000111"
    async with httpx.AsyncClient(base_url=receiver.url) as http:
        assert (await http.get("/api/v1/records/12345")).status_code == 422
    with pytest.raises(RejectedSyncError):  # the client does not even ask for what is not a citizen ID
        await client.fetch("03119500432x")


async def test_the_pull_has_the_outgoing_sync_s_error_split(receiver):
    client = NationalClient(receiver.url)
    await receiver.control(fail_next=1, status=503)
    with pytest.raises(RetryableSyncError):
        await client.fetch(WOMAN)
    await receiver.control(fail_next=1, status=429)
    with pytest.raises(RetryableSyncError):
        await client.fetch(WOMAN)
    await receiver.control(fail_next=1, status=403)
    with pytest.raises(RejectedSyncError) as refused:
        await client.fetch(WOMAN)
    assert refused.value.status == 403
    with pytest.raises(RetryableSyncError):
        await NationalClient("http://127.0.0.1:9").fetch(WOMAN)
    assert (await receiver.stats())["failed_injected"] == 3


# ---- national_db.pull ----------------------------------------------------------------------------------------

async def test_pull_stores_the_record_as_the_persons_draft(db, org, settings, receiver):
    remote_id = await publish(receiver.url, other_province_record(WOMAN))
    person_id, transfer_id, task_id = await arrival_task(db, org.units["SYT"])
    sonoivu = await user_id(db, "sonoivu")
    acts = activities(db, settings, receiver.url)

    pulled = await ActivityEnvironment().run(acts.pull, PullInput(task_id, sonoivu))
    [draft] = await revisions_of(db, person_id)
    assert pulled == Pulled(draft.id, remote_id)
    assert (draft.status, draft.kind, draft.author_id, draft.workflow_id) == (
        "draft", "arrival", sonoivu, f"transfer/{transfer_id}")
    assert draft.data["qualification"] == "Thạc sĩ Quản lý công"
    assert draft.data["work_history"][0]["description"] == "Chuyên viên, Sở Nội vụ thành phố Hải Phòng"
    assert (draft.data["citizen_id"], draft.data["sex"], draft.data["date_of_birth"]) == (WOMAN, "nu", "1995-03-15")
    async with db.session() as session:
        transfer = await session.get(Transfer, transfer_id)
        assert transfer.revision_id == draft.id and transfer.handed_over_at is not None
        changed = (await session.execute(select(RevisionChange.field, RevisionChange.user_id).where(
            RevisionChange.revision_id == draft.id))).all()
        audit = (await session.execute(select(AuditEvent).where(AuditEvent.action == "arrival.pulled"))).scalars().one()
    assert ("qualification", sonoivu) in changed  # the diff says who brought each item in
    assert audit.actor == "sonoivu" and audit.detail["remote_id"] == remote_id

    # Pulled again (a completion retried, or a newer record since): the same draft, brought up to date.
    newer = await publish(receiver.url, other_province_record(WOMAN, revision=5, phone="0912000111"), 9002)
    again = await ActivityEnvironment().run(acts.pull, PullInput(task_id, sonoivu))
    assert again == Pulled(draft.id, newer)
    [same] = await revisions_of(db, person_id)
    assert same.data["phone"] == "0912000111"


async def test_no_record_is_a_refusal_and_nothing_is_stored(db, org, settings, receiver):
    person_id, _, task_id = await arrival_task(db, org.units["SYT"])
    with pytest.raises(ApplicationError) as refused:
        await ActivityEnvironment().run(activities(db, settings, receiver.url).pull,
                                        PullInput(task_id, await user_id(db, "sonoivu")))
    assert refused.value.non_retryable and refused.value.type == "national_record_not_found"
    assert "chưa có hồ sơ của số CCCD 031195004322" in refused.value.message
    assert refused.value.details[0]["status"] == 409
    assert await revisions_of(db, person_id) == []


@pytest.mark.parametrize("changes, says", [
    ({"sex": "nam"}, "giới tính: CSDL quốc gia ghi «Nam», đơn vị đã đăng ký «Nữ»"),
    ({"date_of_birth": "1995-05-13"}, "ngày sinh: CSDL quốc gia ghi «13/05/1995», đơn vị đã đăng ký «15/03/1995»"),
    ({"citizen_id": "031195009999"}, "số CCCD: CSDL quốc gia ghi «031195009999», đơn vị đã đăng ký «031195004322»"),
])
async def test_a_record_that_does_not_match_the_registered_identity_is_refused(changes, says, db, org, settings,
                                                                               receiver):
    await publish(receiver.url, other_province_record(WOMAN, **changes))
    person_id, _, task_id = await arrival_task(db, org.units["SYT"])
    with pytest.raises(ApplicationError) as refused:
        await ActivityEnvironment().run(activities(db, settings, receiver.url).pull,
                                        PullInput(task_id, await user_id(db, "sonoivu")))
    assert refused.value.non_retryable and refused.value.type == "national_identity_mismatch"
    assert says in refused.value.message
    assert await revisions_of(db, person_id) == []


async def test_unreachable_is_retryable_then_a_refusal_in_vietnamese(db, org, settings, receiver):
    await publish(receiver.url, other_province_record(WOMAN))
    person_id, _, task_id = await arrival_task(db, org.units["SYT"])
    sonoivu = await user_id(db, "sonoivu")
    await receiver.control(fail_next=1, status=503)
    with pytest.raises(ApplicationError) as down:
        await ActivityEnvironment().run(activities(db, settings, receiver.url).pull, PullInput(task_id, sonoivu))
    assert not down.value.non_retryable and down.value.type == "national_db_unavailable"
    assert down.value.message.startswith("Không kết nối được CSDL quốc gia")
    with pytest.raises(ApplicationError) as refused:  # the national side refusing is not retried
        await receiver.control(fail_next=1, status=401)
        await ActivityEnvironment().run(activities(db, settings, receiver.url).pull, PullInput(task_id, sonoivu))
    assert refused.value.non_retryable and refused.value.type == "national_db_rejected"
    assert "(mã 401)" in refused.value.message
    with pytest.raises(ApplicationError) as unset:
        await ActivityEnvironment().run(activities(db, settings, None).pull, PullInput(task_id, sonoivu))
    assert unset.value.non_retryable and unset.value.type == "national_db_not_configured"
    assert await revisions_of(db, person_id) == []
    await ActivityEnvironment().run(activities(db, settings, receiver.url).pull, PullInput(task_id, sonoivu))
    assert len(await revisions_of(db, person_id)) == 1


async def test_only_a_candidate_pulls(db, org, settings, receiver):
    await publish(receiver.url, other_province_record(WOMAN))
    person_id, _, task_id = await arrival_task(db, org.units["SYT"])
    with pytest.raises(ApplicationError) as refused:
        await ActivityEnvironment().run(activities(db, settings, receiver.url).pull,
                                        PullInput(task_id, await user_id(db, "hr.syt")))
    assert refused.value.non_retryable and refused.value.type == "not_your_task"
    assert await revisions_of(db, person_id) == []
