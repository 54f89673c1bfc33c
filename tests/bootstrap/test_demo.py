"""The demo province of `make run`, seeded on the dev server through the real services and workflows with a
worker: the onboardings, then what issues 6 and 7 ask the demo to show, each checked in the database and on the
pages as the inspector, Sở Nội vụ and the receiving school's HR see them; a second seeding adds nothing."""
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bootstrap import demo_lifecycle, demo_oversight
from bootstrap.demo_people import actor_of, seed_people
from models import Merger, Person, Placement, ProfileRevision, Report, SignedExport, Task, Transfer, Unit, User
from rules.clock import local_date
from rules.retirement import retirement_date
from services import backups, scorecards
from tests.conftest import PASSWORD
from tests.helpers import until, viewer


@pytest.fixture(params=["quang-ngai", "kon-tum"])
def settings(settings, tmp_path, request):
    """The default profile, and Kon Tum's (the managing body releases and receives, Sở Nội vụ creates accounts and
    sets no deadline for it, the month's window is its last 5 days, the yearly report is due by 14/01). The demo's
    backup goes into a folder of the test's own; the worker gets these settings too."""
    return settings.model_copy(update={"backup_dir": tmp_path / "backups", "profile": request.param})


async def one(db, query):
    async with db.session() as session:
        return (await session.execute(query)).scalars().first()


async def every(db, query):
    async with db.session() as session:
        return list((await session.execute(query)).scalars())


async def test_the_demo_shows_every_process(api, dev_env, db, org, settings, task_queue):
    today = local_date(datetime.now(UTC))
    started = time.monotonic()
    assert await seed_people(db, dev_env.client, task_queue, settings.profile, PASSWORD, today, settings)
    print(f"\ndemo seeded in {time.monotonic() - started:.1f} s")
    calendar = await demo_lifecycle.working_calendar(db)
    now = datetime.now(UTC)

    # A transfer in progress: released by the hospital, waiting at the school's HR (issue 6, case 2).
    transfer = await one(db, select(Transfer).where(Transfer.kind == "intra_province"))
    assert (transfer.status, transfer.stage, transfer.from_unit_id, transfer.to_unit_id) == (
        "open", "receiving", org.units["SYT-BV"], org.units["SGD-LK"])
    release, receive = await every(db, select(Task).where(Task.workflow_id == transfer.workflow_id).order_by(Task.id))
    assert (release.kind, release.status, receive.kind, receive.status) == (
        "release_record", "done", "receive_record", "open")
    assert receive.unit_id == org.units["SGD-LK"]
    receiver = await actor_of(db, receive)  # the school's HR (Kon Tum, Nghệ An: its managing body's)
    assert receiver == ("hr.sgd-lk" if settings.profile == "quang-ngai" else receiver)
    moving = await one(db, select(Person).where(Person.id == transfer.person_id))
    assert moving.unit_id == org.units["SYT-BV"]  # the handover is the receiving side's acceptance
    if demo_lifecycle.late_due(today, calendar):
        assert release.completed_at > release.due_at and release.due_on.month == today.month

    # Archived people: a retirement and a resignation, through the Transfer workflow to the end.
    archived = await every(db, select(Person).where(Person.status == "archived").order_by(Person.id))
    assert sorted(p.leave_reason for p in archived) == ["resignation", "retirement"]
    for person in archived:
        leaving = await one(db, select(Transfer).where(Transfer.person_id == person.id))
        assert (leaving.kind, leaving.status, leaving.stage, leaving.effective_on) == (
            "leaving", "done", "archived", person.left_on)
        placements = await every(db, select(Placement).where(Placement.person_id == person.id))
        assert [p.to_on for p in placements] == [person.left_on]
        status_change = await one(db, select(ProfileRevision).where(ProfileRevision.id == person.current_revision_id))
        assert (status_change.kind, status_change.status) == ("status_change", "approved")
        assert not (await one(db, select(User).where(User.person_id == person.id))).is_active
        if demo_lifecycle.approval_window_open(settings.profile, today, calendar):
            assert leaving.workflow_id and await dev_env.client.get_workflow_handle(
                leaving.workflow_id).result() == "archived"
    retired = next(p for p in archived if p.leave_reason == "retirement")
    assert retirement_date(retired.sex, retired.date_of_birth) == retired.left_on < today

    # A person whose retirement notice is due, their workflow started by the daily scan's workflow.
    notice = await one(db, select(Task).where(Task.kind == "retirement_notice"))
    assert notice.status == "open" and notice.workflow_id == f"retirement/{notice.subject_person_id}"
    assert notice.unit_id == org.units["SGD-LK"] and notice.due_on >= today - timedelta(days=31)
    retiring = await one(db, select(Person).where(Person.id == notice.subject_person_id))
    retires = retirement_date(retiring.sex, retiring.date_of_birth)
    assert today < retires < today + timedelta(days=250)  # about 6 months; sooner where nobody retires then

    # One unit merged into another, the people's unit history showing it.
    merger = await one(db, select(Merger))
    old = await one(db, select(Unit).where(Unit.id == merger.from_unit_id))
    assert (merger.status, merger.moved, merger.to_unit_id, merger.effective_on) == (
        "done", 3, org.units["SYT"], today.replace(day=1))
    assert (old.code, old.successor_id, old.valid_to) == ("SYT-ATTP", org.units["SYT"],
                                                        merger.effective_on - timedelta(days=1))
    merged = await every(db, select(Person).where(Person.id.in_(
        select(Placement.person_id).where(Placement.unit_id == old.id))))
    assert len(merged) == 3 and {p.unit_id for p in merged} == {org.units["SYT"]}
    history = await every(db, select(Placement).where(Placement.person_id == merged[0].id).order_by(Placement.id))
    assert [(p.unit_id, p.to_on, p.merger_id) for p in history] == [
        (old.id, merger.effective_on - timedelta(days=1), None), (org.units["SYT"], None, merger.id)]

    # This month's scorecard has late and escalated work (none can be due yet on a month's first working day).
    inspector = await viewer(db, "thanhtra")
    month = f"{today:%Y-%m}"

    async def scored():
        async with db.session() as session:
            total = scorecards.totals(await scorecards.month(inspector, month, session=session), month)
        return total if total.late and total.escalated and total.open_overdue else None

    if demo_lifecycle.late_due(today, calendar):
        total = await until(scored, timeout=30)
        assert total.due > total.on_time

    # One submitted and one open report of a past period: overdue where the duty has a due date (Quảng Ngãi: none).
    reports = await every(db, select(Report).order_by(Report.period, Report.unit_id))
    [submitted] = [r for r in reports if r.status == "submitted"]
    left_open = [r for r in reports if r.status == "open"]
    assert submitted.signed_pdf and submitted.period_end < today and left_open
    assert len(reports) == len(left_open) + 1
    duty, period = demo_oversight.report_round(settings.profile, today, calendar)
    assert {(r.duty, r.period) for r in left_open} == {(duty.key, period.key)}
    if duty.reporter == "unit_hr":
        assert submitted.unit_id == org.units["SYT"] and submitted.period == period.key
    if settings.profile == "quang-ngai":
        assert all(r.due_on is None for r in reports)  # Điều 12 khoản 1 sets no date: nothing is overdue
    elif left_open[0].due_at is not None:
        assert all(r.due_at < now for r in left_open)

    # A verified backup, in the configured folder.
    [entry] = backups.read_manifest(settings.backup_path)
    assert entry["status"] == "verified" and entry["verification"]["ok"]
    assert (settings.backup_path / entry["file"]).is_file()

    # What each login sees on the pages.
    thanhtra, sonoivu, school = await api("thanhtra"), await api("sonoivu"), await api(receiver)
    transfers_page = (await thanhtra.get("/transfers")).text
    assert moving.full_name in transfers_page and "Chờ đơn vị mới tiếp nhận hồ sơ" in transfers_page
    school_inbox = (await school.get("/")).text
    assert "Tiếp nhận" in school_inbox
    notice_page = (await (await api(await actor_of(db, notice))).get("/")).text
    assert retiring.full_name in notice_page
    found = (await thanhtra.get("/search", params={"q": "", "status": "archived"})).text
    assert all(p.full_name in found for p in archived)
    mergers_page = (await sonoivu.get(f"/mergers/{merger.id}")).text
    assert "Chi cục An toàn vệ sinh thực phẩm" in mergers_page
    person_page = (await sonoivu.get(f"/people/{merged[0].id}")).text
    assert "Chi cục An toàn vệ sinh thực phẩm" in person_page and "Sở Y tế" in person_page
    assert (await thanhtra.get(f"/scorecards?month={month}")).status_code == 200
    reports_page = (await thanhtra.get("/reports", params={"duty": duty.key, "period": submitted.period})).text
    assert "Đã ký, đã nộp" in reports_page
    assert entry["file"] in (await sonoivu.get("/backups")).text

    # Every approved record's export can be downloaded at once (those imported, and the archived ones).
    async def exports_pending():
        missing = await every(db, select(Person.id).where(Person.current_revision_id.is_not(None),
                                                          Person.current_revision_id.not_in(
                                                              select(SignedExport.revision_id))))
        return not missing

    await until(exports_pending, timeout=30)  # an approval's exports are made just after its signature
    assert (await sonoivu.get(f"/people/{merged[0].id}/export.pdf")).headers["content-type"] == "application/pdf"
    assert (await sonoivu.get(f"/people/{retired.id}/export.pdf")).headers["content-type"] == "application/pdf"

    # Seeded once: a second run finds people and adds nothing.
    async with db.session() as session:
        people = (await session.execute(select(func.count(Person.id)))).scalar_one()
    assert not await seed_people(db, dev_env.client, task_queue, settings.profile, PASSWORD, today, settings)
    async with db.session() as session:
        assert (await session.execute(select(func.count(Person.id)))).scalar_one() == people
    assert len(backups.read_manifest(settings.backup_path)) == 1


async def test_where_the_head_cannot_sign_today_the_leavers_come_archived(db, org, settings, monkeypatch):
    """Quảng Ngãi from the 25th (the month's window is closed): the archived state is inserted as the previous
    system's records are, with what the workflow would have left."""
    monkeypatch.setattr(demo_lifecycle, "approval_window_open", lambda *_: False)
    today = local_date(datetime.now(UTC))
    calendar = await demo_lifecycle.working_calendar(db)
    ids = await demo_lifecycle.seed_leavings(db, None, "unused", settings.profile, PASSWORD, today, calendar)
    for person_id in ids:
        person = await one(db, select(Person).where(Person.id == person_id))
        leaving = await one(db, select(Transfer).where(Transfer.person_id == person_id))
        assert (person.status, person.unit_id, person.archived_at is not None) == ("archived", org.units["STC"], True)
        assert (leaving.kind, leaving.status, leaving.stage, leaving.reason, leaving.effective_on) == (
            "leaving", "done", "archived", person.leave_reason, person.left_on)
        assert [p.to_on for p in await every(db, select(Placement).where(Placement.person_id == person_id))] == [
            person.left_on]
        revision = await one(db, select(ProfileRevision).where(ProfileRevision.id == person.current_revision_id))
        assert (revision.kind, revision.status, revision.id) == ("status_change", "approved", leaving.revision_id)
        assert revision.data["work_history"][-1]["to"] == f"{person.left_on:%m/%Y}"
        assert not (await one(db, select(User).where(User.person_id == person_id))).is_active
        assert await one(db, select(SignedExport.revision_id).where(SignedExport.revision_id == revision.id))
    assert sorted(p.leave_reason for p in await every(db, select(Person).where(Person.id.in_(ids)))) == [
        "resignation", "retirement"]
