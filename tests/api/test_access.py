"""Access rules tied to the unit (issue 8, item 3), per role, on the real app, worker and PostgreSQL."""
from datetime import date

from models import ProfileRevision, RoleGrant, User
from rules.clock import local_date
from services import actors, approvals, deadlines, tasks
from tests.api.test_contract import HIRE
from workflows.contracts import OpenTaskInput, Schedule

OTHER_CITIZEN_ID = "051095004321"


async def grant(db, username: str, role: str, unit_id: int) -> None:
    async with db.session() as session:
        user = (await session.execute(User.__table__.select().where(User.username == username))).first()
        session.add(RoleGrant(user_id=user.id, role=role, unit_id=unit_id))


async def test_a_unit_role_counts_only_for_its_unit(api, db, org):
    """HR of Chi cục Dân số who also heads Sở Giáo dục sees Sở Giáo dục, but is not its HR."""
    await grant(db, "hr.syt-ds", "unit_head", org.units["SGD"])
    hr = await api("hr.syt-ds")
    refused = await hr.post("/api/hires", json={**HIRE, "unit_id": org.units["SGD"]})
    assert refused.status_code == 403 and refused.json()["code"] == "unit_out_of_scope"
    allowed = await hr.post("/api/hires", json={**HIRE, "unit_id": org.units["SYT-DS"]})
    assert allowed.status_code == 201, allowed.text


async def test_a_duplicate_hire_outside_the_scope_names_nobody(api, org):
    syt = await api("hr.syt")
    first = await syt.post("/api/hires", json={**HIRE, "unit_id": org.units["SYT"]})
    assert first.status_code == 201
    same_scope = await syt.post("/api/hires", json={**HIRE, "unit_id": org.units["SYT"]})
    assert same_scope.status_code == 409 and same_scope.json()["person_id"] == first.json()["person_id"]
    outsider = await (await api("hr.sgd")).post("/api/hires", json={**HIRE, "unit_id": org.units["SGD"]})
    body = outsider.json()
    assert outsider.status_code == 409 and body["code"] == "citizen_id_exists"
    assert "person_id" not in body and "workflow_id" not in body
    assert HIRE["full_name"] not in body["detail"] and str(first.json()["person_id"]) not in body["detail"]


async def test_the_auditor_writes_nothing(api, org):
    auditor = await api("thanhtra")
    assert (await auditor.get("/api/units")).status_code == 200
    writes = [auditor.post("/api/hires", json={**HIRE, "unit_id": org.units["SYT"]}),
              auditor.post("/api/admin/calendar", json={"day": "2026-12-31", "working": False,
                                                        "source": "Quyết định số 1/QĐ-TTg"}),
              auditor.post("/api/delegations", json={"unit_id": org.units["SYT"], "delegate": "pho.syt",
                                                     "document_no": "1/UQ", "valid_from": "2026-12-01",
                                                     "valid_to": "2026-12-31"})]
    for response in [await write for write in writes]:
        assert response.status_code == 403 and response.json()["code"] == "read_only", response.text


async def test_a_head_delegates_only_to_a_deputy_of_the_same_unit(api, org):
    head = await api("head.syt")
    body = {"unit_id": org.units["SYT"], "document_no": "15/UQ-SYT", "valid_from": "2026-12-01",
            "valid_to": "2026-12-31"}
    other_unit = await head.post("/api/delegations", json={**body, "delegate": "hr.syt-ds"})
    assert other_unit.status_code == 422 and other_unit.json()["code"] == "delegate_not_in_unit"
    deputy = await head.post("/api/delegations", json={**body, "delegate": "pho.syt"})
    assert deputy.status_code == 201, deputy.text


async def own_person(db, username: str, org, unit: str) -> int:
    """Give a staff account a record of its own (an HR official or a head is a civil servant too)."""
    from models import Person
    async with db.session() as session:
        person = Person(full_name="Võ Thị Lan", search_name="vo thi lan", sex="nu", date_of_birth=date(1990, 5, 1),
                        citizen_id=OTHER_CITIZEN_ID, unit_id=org.units[unit], kind="cong_chuc",
                        hired_on=date(2015, 1, 1), status="active", profile="quang-ngai", profile_version="2024")
        session.add(person)
        await session.flush()
        user = await session.get(User, org.users[username])
        user.person_id = person.id
        return person.id


async def test_nobody_reviews_their_own_record(db, org):
    """HR's own CV goes to another HR official of the unit, or to the head when there is none."""
    person_id = await own_person(db, "hr.syt", org, "SYT")
    schedule = Schedule("unit_hr", None, None, None, None, None, None)
    async with db.session() as session:
        opened = await tasks.open_task(OpenTaskInput(
            workflow_id=f"onboarding/{person_id}", step_key="review#1@test", kind="review_entry",
            person_id=person_id, unit_id=org.units["SYT"], profile="quang-ngai", profile_version="2024",
            started_on="2026-12-01", schedule=schedule), now=deadlines_now(), session=session)
    assert org.users["hr.syt"] not in opened.candidate_user_ids
    assert opened.candidate_user_ids == [org.users["head.syt"]]
    async with db.session() as session:
        users = await actors.actor_user_ids("unit_hr", org.units["SYT"], None, session=session)
        assert set(await actors.others(users, org.units["SYT"], None, session=session)) == {org.users["hr.syt"]}


async def test_a_heads_own_change_is_approved_by_the_unit_above(db, org):
    person_id = await own_person(db, "head.syt", org, "SYT")
    async with db.session() as session:
        revision = ProfileRevision(person_id=person_id, number=1, status="ready", kind="onboarding", data={},
                                   author_id=org.users["hr.syt"])
        session.add(revision)
        await session.flush()
        calendar = await deadlines.working_calendar(session=session)
        target = await approvals.target(revision.id, local_date(deadlines_now()), calendar, session=session)
    assert target.unit_id == org.units["QNG"]  # not Sở Y tế, whose head is the person themself


def deadlines_now():
    from datetime import UTC, datetime
    return datetime.now(UTC)
