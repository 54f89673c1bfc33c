"""Periodic reports' figures come from the records (approved revisions, moves and leavings in the period), within
the reporting unit's subtree; ethnicity is counted, never named, and sealed at rest; the xlsx reads back; the PDF
the head signs validates; Sở Nội vụ's total sums the submitted reports; HR and heads see only their own."""
import io
import re
import uuid
from datetime import UTC, date, datetime

import psycopg
import pytest
from openpyxl import load_workbook

from models import Person, Placement, ProfileRevision, Report, Task, Transfer
from rules.calendar import WorkingCalendar
from services import org as org_service
from services import reports
from services.errors import Forbidden, NotFound
from services.signing import validate_pdf
from tests.helpers import CV_VALID, open_task, viewer
from workflows.contracts import CompleteTaskInput, ReportRoundInput, ReportRoundPlanInput
from workflows.reports import ReportRoundWorkflow, workflow_id

START, END, AS_OF = date(2026, 1, 1), date(2026, 12, 31), date(2027, 1, 5)
SEQ = iter(range(1, 10_000))
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def person(db, unit_id: int, *, kind="cong_chuc", sex="nam", born=date(1990, 6, 1), status="active",
                 hired_on=date(2020, 1, 2), left_on=None, leave_reason=None, **cv) -> Person:
    """A person with (when active) an approved current revision whose CV has `cv` over CV_VALID."""
    n = next(SEQ)
    async with db.session() as session:
        p = Person(full_name=f"Người Thử {n}", search_name=f"nguoi thu {n}", sex=sex, date_of_birth=born,
                   citizen_id=f"0510{n:08d}", unit_id=unit_id, kind=kind, hired_on=hired_on, status=status,
                   profile="kon-tum", profile_version="2025-01-01", left_on=left_on, leave_reason=leave_reason)
        session.add(p)
        await session.flush()
        session.add(Placement(person_id=p.id, unit_id=unit_id, from_on=hired_on))
        if status != "onboarding":
            revision = ProfileRevision(person_id=p.id, number=1, status="approved", data={**CV_VALID, **cv},
                                       approved_at=datetime(2026, 3, 1, tzinfo=UTC))
            session.add(revision)
            await session.flush()
            p.current_revision_id = revision.id
        return p


async def transfer(db, who: Person, kind: str, from_unit: int | None, to_unit: int, on: date, status="done"):
    async with db.session() as session:
        session.add(Transfer(person_id=who.id, kind=kind, from_unit_id=from_unit, to_unit_id=to_unit, reason="",
                             decision_no="QĐ 1", effective_on=on, status=status, profile="kon-tum",
                             profile_version="2025-01-01"))


@pytest.fixture
async def records(db, org):
    u = org.units
    await person(db, u["SYT"], ethnicity="Kinh", grade_code="01.003", grade_name="Chuyên viên",
                 position="Trưởng phòng", qualification="Cử nhân Luật")
    await person(db, u["SYT"], sex="nu", born=date(1960, 3, 1), ethnicity="Ê Đê")        # 66 on 05/01/2027
    await person(db, u["SYT-BV"], kind="vien_chuc", sex="nu", born=date(2000, 1, 1), ethnicity="Kinh",
                 grade_code="V.08.05.12", grade_name="Điều dưỡng hạng IV", qualification="Cao đẳng Điều dưỡng",
                 hired_on=date(2026, 4, 1))                                              # a hire of the year
    await person(db, u["SYT-VP"], kind="hop_dong", born=date(1985, 12, 31), political_theory="Trung cấp")
    await person(db, u["SYT"], status="onboarding", hired_on=date(2026, 11, 20))        # not yet approved
    await person(db, u["SYT"], status="archived", left_on=date(2026, 9, 30), leave_reason="retirement")
    await person(db, u["SYT"], status="archived", left_on=date(2025, 12, 31), leave_reason="resignation")
    moved_in = await person(db, u["SYT"], hired_on=date(2015, 5, 1))
    await transfer(db, moved_in, "intra_province", u["SGD"], u["SYT"], date(2026, 2, 1))
    await transfer(db, moved_in, "intra_province", u["SYT-DS"], u["SYT"], date(2026, 3, 1))  # within the agency
    arrived = await person(db, u["SYT-DS"], hired_on=date(2026, 6, 1))                   # from another province
    await transfer(db, arrived, "arrival", None, u["SYT-DS"], date(2026, 6, 1))
    moved_out = await person(db, u["SGD"], ethnicity="Ba Na")
    await transfer(db, moved_out, "intra_province", u["SYT"], u["SGD"], date(2026, 8, 1))
    await transfer(db, moved_out, "intra_province", u["SYT"], u["SGD"], date(2025, 8, 1))   # another period
    return org


def rows(figures: dict, key: str) -> dict[str, int]:
    return dict(map(tuple, figures["sections"][key]))


async def test_figures_from_the_records_of_the_agency_and_its_units(db, records):
    async with db.session() as session:
        units = await org_service.subtree_ids({records.units["SYT"]}, session=session)
        figures = await reports.figures(units, START, END, AS_OF, session=session)
    assert figures["headcount"] == 6 and figures["onboarding"] == 1 and figures["as_of"] == "2027-01-05"
    assert rows(figures, "kind") == {"Cán bộ": 0, "Công chức": 4, "Viên chức": 1, "Người lao động (hợp đồng)": 1}
    assert rows(figures, "sex") == {"Nam": 4, "Nữ": 2}
    assert rows(figures, "age") == {"Dưới 30 tuổi": 1, "Từ 30 đến 39 tuổi": 3, "Từ 40 đến 49 tuổi": 1,
                                    "Từ 50 đến 59 tuổi": 0, "Từ 60 tuổi trở lên": 1}
    assert rows(figures, "ethnicity") == {"Kinh": 5, "Ê Đê": 1}  # SGD's Ba Na colleague is not theirs
    assert rows(figures, "grade")["V.08.05.12 — Điều dưỡng hạng IV"] == 1
    assert rows(figures, "grade")["01.003 — Chuyên viên"] == 5
    assert rows(figures, "position") == {"(không giữ chức vụ)": 5, "Trưởng phòng": 1}
    assert rows(figures, "qualification") == {"Cử nhân Luật": 5, "Cao đẳng Điều dưỡng": 1}
    assert rows(figures, "political_theory")["Trung cấp"] == 1 and rows(figures, "political_theory")["Sơ cấp"] == 5
    assert rows(figures, "unit") == {"Sở Y tế": 3, "Bệnh viện Đa khoa tỉnh": 1, "Văn phòng Sở Y tế": 1,
                                     "Chi cục Dân số": 1}
    # the hire of 04/2026 and the onboarding one of 11/2026 (the arrival is counted as such, not as a hire)
    assert rows(figures, "arrivals") == {"Tuyển dụng mới": 2, "Tiếp nhận từ bộ, ngành, tỉnh khác": 1,
                                         "Chuyển đến từ cơ quan, đơn vị khác trong tỉnh": 1}
    leavings = rows(figures, "leavings")
    assert leavings["Nghỉ hưu"] == 1 and leavings["Thôi việc"] == 0  # the resignation was in 2025
    assert leavings["Chuyển đến cơ quan, đơn vị khác trong tỉnh"] == 1
    assert not any("Người Thử" in str(row) for section in figures["sections"].values() for row in section)


async def round_reports(db, org, profile="kon-tum", duty="yearly", period="2026") -> dict[str, Report]:
    async with db.session() as session:
        plan = await reports.plan_round(ReportRoundPlanInput(profile, duty, period, "2027-01-01T07:00:00+07:00"),
                                        WorkingCalendar(), session=session)
    codes = {unit_id: code for code, unit_id in org.units.items()}
    async with db.session() as session:
        return {codes[r.unit_id]: await session.get(Report, r.report_id) for r in plan.reports}


async def test_a_round_records_each_reporting_unit_once_with_its_due_date(db, org):
    first = await round_reports(db, org)
    again = await round_reports(db, org)
    assert sorted(first) == ["P-CT", "P-KT", "QNG", "SGD", "SNV", "STC", "SYT", "X-BS"]
    assert {code: r.id for code, r in first.items()} == {code: r.id for code, r in again.items()}
    syt = first["SYT"]
    assert (syt.due_on, syt.period_start, syt.period_end, syt.period_label) == (
        date(2027, 1, 14), START, END, "năm 2026")
    assert syt.workflow_id == f"report/yearly/2026/{org.units['SYT']}" and "Điều 19 khoản 1" in syt.legal_basis
    async with db.session() as session:  # the province's own unit counts only the people attached to it
        assert await reports.covered_units(first["QNG"], session=session) == {org.units["QNG"]}
        assert org.units["SYT-BV"] in await reports.covered_units(first["SYT"], session=session)


async def submitted(db, report: Report, task: Task, hr: str, notes: dict) -> Report:
    user_id = (await viewer(db, hr)).user_id
    async with db.session() as session:
        await reports.submit(task, CompleteTaskInput(0, "submit", user_id, {"notes": notes}),
                             datetime(2027, 1, 5, 2, tzinfo=UTC), session=session)
    async with db.session() as session:
        return await session.get(Report, report.id)


async def test_xlsx_reads_back_and_the_signed_pdf_validates(db, records, settings, database_url):
    syt = (await round_reports(db, records))["SYT"]
    task = Task(workflow_id=syt.workflow_id, actor_role="unit_head")  # what the steps read of their task
    notes = {"assessment": "Cập nhật đầy đủ, đúng hạn.", "proposals": "Bổ sung mục vị trí việc làm."}
    syt = await submitted(db, syt, task, "hr.syt", notes)
    assert syt.status == "prepared" and syt.figures["headcount"] == 6
    assert syt.figures_sha256 == reports.digest(syt.figures, syt.notes)

    book = load_workbook(io.BytesIO(reports.to_xlsx(syt, "Sở Y tế", syt.figures)))
    sheet = book["Bao cao"]
    cells = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert cells["Đơn vị báo cáo"] == "Sở Y tế" and cells["Tổng số"] == 6 and cells["Hạn nộp"] == "14/01/2027"
    assert cells["Kỳ báo cáo"] == "năm 2026 (01/01/2026 – 31/12/2026)" and cells["Ê Đê"] == 1
    assert cells["Tuyển dụng mới"] == 2 and cells["Nghỉ hưu"] == 1
    narrative = dict(book["Thuyet minh"].iter_rows(min_row=2, values_only=True))
    assert narrative["Kiến nghị, đề xuất"] == "Bổ sung mục vị trí việc làm."

    head = (await viewer(db, "head.syt")).user_id
    async with db.session() as session:
        to_sign = await reports.document(session, settings, task, CompleteTaskInput(0, "sign", head),
                                         datetime(2027, 1, 6, 2, tzinfo=UTC))
    assert to_sign.covers == {"report_id": syt.id, "figures_sha256": syt.figures_sha256}
    assert to_sign.signed_as == "Thủ trưởng đơn vị"
    [signature] = validate_pdf(await to_sign.sign())
    assert signature.intact and signature.valid

    # at rest, the ethnicity counts are sealed: neither the section nor a value is in clear
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        raw = (await (await conn.execute("SELECT figures::text FROM reports WHERE id = %s", (syt.id,))).fetchone())[0]
    assert "Ê Đê" not in raw and '"ethnicity"' not in raw and '"kind"' in raw


async def test_province_total_sums_the_submitted_reports_within_scope(db, records):
    units = await round_reports(db, records)
    for code, hr in (("SYT", "hr.syt"), ("SGD", "hr.sgd")):
        report = await submitted(db, units[code], Task(workflow_id=units[code].workflow_id), hr, {})
        async with db.session() as session:  # as the head's signature leaves it
            (await session.get(Report, report.id)).status = "submitted"
    sonoivu, hr, lk = [await viewer(db, name) for name in ("sonoivu", "hr.syt", "hr.sgd-lk")]
    async with db.session() as session:
        summary = await reports.province_total(sonoivu, "yearly", "2026", session=session)
        assert (summary["units"], summary["submitted"]) == (8, 2) and "Sở Tài chính" in summary["missing"]
        assert summary["figures"]["headcount"] == 7  # SYT's 6 and SGD's one
        assert rows(summary["figures"], "ethnicity") == {"Kinh": 5, "Ba Na": 1, "Ê Đê": 1}
        with pytest.raises(Forbidden):
            await reports.province_total(hr, "yearly", "2026", session=session)
        assert [u.code for _, u in await reports.list_reports(hr, duty="yearly", period="2026", session=session)] \
            == ["SYT"]
        assert await reports.list_reports(lk, session=session) == []
        with pytest.raises(NotFound):
            await reports.readable_report(lk, units["SYT"].id, session=session)
        [row] = await reports.rounds(await viewer(db, "thanhtra"), session=session)
        assert (row["units"], row["submitted"], row["due_on"]) == (8, 2, date(2027, 1, 14))
    book = load_workbook(io.BytesIO(reports.total_to_xlsx(summary)))
    by_unit = list(book["Theo don vi"].iter_rows(min_row=2, values_only=True))
    assert ("SYT", "Sở Y tế", 6) in by_unit and ("STC", "Sở Tài chính", "Chưa nộp") in by_unit


async def test_reports_api_and_pages(api, db, records):
    units = await round_reports(db, records)
    await submitted(db, units["SYT"], Task(workflow_id=units["SYT"].workflow_id), "hr.syt", {})
    sonoivu, hr = await api("sonoivu"), await api("hr.syt")
    listed = (await sonoivu.get("/api/reports", params={"duty": "yearly", "period": "2026"})).json()
    assert len(listed) == 8 and {r["status"] for r in listed} == {"open", "prepared"}
    mine = (await hr.get("/api/reports")).json()
    assert [r["unit_code"] for r in mine] == ["SYT"] and mine[0]["due_on"] == "2027-01-14"
    detail = (await hr.get(f"/api/reports/{units['SYT'].id}")).json()
    assert detail["figures"]["headcount"] == 6 and detail["status_label"] == "Đã lập, chờ thủ trưởng ký"
    assert (await hr.get("/api/reports/total", params={"duty": "yearly", "period": "2026"})).status_code == 403
    assert (await hr.get(f"/api/reports/{units['SGD'].id}")).status_code == 404
    assert (await hr.get("/api/reports", params={"period": "2026-Q5"})).status_code == 422
    total = (await sonoivu.get("/api/reports/total", params={"duty": "yearly", "period": "2026"})).json()
    assert total["submitted"] == 0 and total["figures"]["headcount"] == 0
    xlsx = await sonoivu.get("/api/reports/total.xlsx", params={"duty": "yearly", "period": "2026"})
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    one = await hr.get(f"/api/reports/{units['SYT'].id}.xlsx")
    assert load_workbook(io.BytesIO(one.content))["Bao cao"]["B2"].value == "Sở Y tế"
    assert (await hr.get(f"/api/reports/{units['SYT'].id}/signed.pdf")).status_code == 404  # not signed yet

    page = await sonoivu.get("/reports", params={"duty": "yearly", "period": "2026"})
    assert page.status_code == 200 and "Tổng hợp toàn tỉnh" in page.text and 'id="report-SYT"' in page.text
    assert "Báo cáo định kỳ" in (await hr.get("/reports")).text
    hr_page = await hr.get("/reports", params={"duty": "yearly", "period": "2026"})
    assert "Tổng hợp toàn tỉnh" not in hr_page.text and 'id="report-SGD"' not in hr_page.text
    assert (await hr.get(f"/reports/{units['SYT'].id}")).status_code == 200


async def test_hr_and_the_head_complete_the_report_from_their_pages(api, db, records, dev_env, task_queue):
    await dev_env.client.execute_workflow(
        ReportRoundWorkflow.run, ReportRoundInput(profile="kon-tum", duty="yearly", period="2026"),
        id=f"report-round-test-{uuid.uuid4().hex[:8]}", task_queue=task_queue)
    wid = workflow_id("yearly", "2026", records.units["SYT"])
    hr, head = await api("hr.syt"), await api("head.syt")
    prepare = await open_task(db, wid, "prepare_report")
    page = await hr.get(f"/tasks/{prepare.id}")
    assert page.status_code == 200 and 'id="report-form"' in page.text and 'id="section-ethnicity"' in page.text
    assert "Ê Đê" in page.text and "Người Thử" not in page.text  # counted, never named
    token = CSRF.search(page.text).group(1)
    done = await hr.post(f"/tasks/{prepare.id}/complete", data={
        "csrf": token, "outcome": "submit", "note_equipment": "Máy chủ đã cũ.", "note_assessment": ""})
    assert done.status_code == 303, done.text
    sign = await open_task(db, wid, "sign_report")
    page = await head.get(f"/tasks/{sign.id}")
    assert 'id="sign-report-form"' in page.text and "Máy chủ đã cũ." in page.text
    assert (await hr.get(f"/tasks/{sign.id}")).status_code == 200  # HR watches it
    signed = await head.post(f"/tasks/{sign.id}/complete", data={"csrf": CSRF.search(page.text).group(1),
                                                                 "outcome": "sign"})
    assert signed.status_code == 303, signed.text
    report = (await round_reports(db, records))["SYT"]
    assert report.status == "submitted" and report.notes == {"equipment": "Máy chủ đã cũ."}
    pdf = await hr.get(f"/reports/{report.id}/signed.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    [signature] = validate_pdf(pdf.content)
    assert signature.intact and signature.valid
