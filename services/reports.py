"""Periodic reports (rules/profiles.py `[[reporting]]`): who reports, the figures from the records, the xlsx and
the PDF the head signs, and what Sở Nội vụ reads of a round.

A round (workflows/reports.py) records one report per reporting unit: every agency directly under the
province's unit (Sở, xã, phường...), each for its whole subtree ("bao gồm cả cơ quan, đơn vị trực thuộc"), and
the province's unit for the people attached to it directly; a duty the Sở level reports (Bình Định III.2) has one
report, at the province's unit, for the whole province. So the province-wide total is the sum of the units'.

The figures are aggregates of the people of those units and their current approved revisions: headcount by
kind, ngạch / chức danh nghề nghiệp, vị trí việc làm (the form's item 23, the current position: the form has no
separate item for it yet), age band, sex, ethnicity, education and political theory, by unit; arrivals and
leavings in the period (hires, done transfers, people.left_on by reason). Ethnicity is sensitive personal data
(Nghị định 13/2023/NĐ-CP): it is counted, never listed with a name, and sealed at rest in `reports.figures`.
HR's submission takes the figures at that moment (live until then, so HR can check them); the head signs exactly
that snapshot (its SHA-256 is what the signature covers).
"""
import hashlib
import io
import json
import unicodedata
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import and_, func, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import Person, Placement, ProfileRevision, Report, SignedDocument, Task, Transfer, Unit, User
from models.people import PERSON_KINDS
from models.reports import REPORT_STATUSES
from models.transfers import LEAVING_REASONS
from rules.calendar import WorkingCalendar
from rules.clock import local_date
from rules.deadlines import compute_deadline, due_datetime, report_period, report_period_on
from rules.profiles import ReportingDuty, UnknownRule, get_profile
from services import audit, org
from services.catalogs import EDUCATION_LEVELS, POLITICAL_THEORY
from services.errors import Conflict, Forbidden, Invalid, NotFound
from services.pdf import FONT_DIR
from services.scope import Viewer
from services.signers import user_signer
from services.signing import ToSign
from workflows.contracts import CompleteTaskInput, ReportInput, ReportRoundPlan, ReportRoundPlanInput

HEAD = "Thủ trưởng đơn vị"
DIRECTOR = "Giám đốc Sở Nội vụ"
NOT_GIVEN = "(chưa khai)"
NO_POSITION = "(không giữ chức vụ)"
# HR's narrative (Kon Tum Đ19.2, Nghệ An Đ13.3: assessment, difficulties, equipment, proposals; the figures are b)
NOTE_FIELDS = {
    "assessment": "Đánh giá việc thực hiện quy chế",
    "difficulties": "Những vướng mắc trong quá trình thực hiện",
    "equipment": "Tình trạng trang thiết bị, hạ tầng công nghệ thông tin",
    "proposals": "Kiến nghị, đề xuất",
}
NOTE_MAX = 4000
AGE_BANDS = (("Dưới 30 tuổi", 0, 29), ("Từ 30 đến 39 tuổi", 30, 39), ("Từ 40 đến 49 tuổi", 40, 49),
             ("Từ 50 đến 59 tuổi", 50, 59), ("Từ 60 tuổi trở lên", 60, 999))
SEXES = {"nam": "Nam", "nu": "Nữ"}
HIRED, ARRIVED, MOVED_IN = ("Tuyển dụng mới", "Tiếp nhận từ bộ, ngành, tỉnh khác",
                            "Chuyển đến từ cơ quan, đơn vị khác trong tỉnh")
MOVED_OUT = "Chuyển đến cơ quan, đơn vị khác trong tỉnh"
# (key, title, fixed labels in order, or None: the labels found, most frequent first)
SECTIONS: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    ("kind", "Theo loại cán bộ, công chức, viên chức, người lao động", tuple(PERSON_KINDS.values())),
    ("grade", "Theo ngạch công chức, chức danh nghề nghiệp viên chức", None),
    ("position", "Theo vị trí việc làm (chức vụ hiện tại, mục 23)", None),
    ("age", "Theo độ tuổi", tuple(label for label, _, _ in AGE_BANDS)),
    ("sex", "Theo giới tính", tuple(SEXES.values())),
    ("ethnicity", "Theo dân tộc", None),
    ("qualification", "Theo trình độ chuyên môn cao nhất", None),
    ("general_education", "Theo trình độ giáo dục phổ thông", tuple(EDUCATION_LEVELS)),
    ("political_theory", "Theo trình độ lý luận chính trị", tuple(POLITICAL_THEORY)),
    ("unit", "Theo cơ quan, đơn vị", None),
    ("arrivals", "Tăng trong kỳ", (HIRED, ARRIVED, MOVED_IN)),
    ("leavings", "Giảm trong kỳ", (*LEAVING_REASONS.values(), MOVED_OUT)),
)
TITLES = {key: title for key, title, _ in SECTIONS}


def _duty(profile_name: str, version: str | None, key: str) -> ReportingDuty:
    try:
        return get_profile(profile_name, version).duty(key)
    except UnknownRule:
        raise Invalid(f"Hồ sơ quy định {profile_name} không có kỳ báo cáo «{key}».", "unknown_report_duty") from None


# ---- who reports, and the round ---------------------------------------------------------------------

async def province_unit(*, session: AsyncSession) -> Unit:
    unit = (await session.execute(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))).scalars().first()
    if unit is None:
        raise Conflict("Chưa có đơn vị cấp tỉnh trong hệ thống.", "no_province_unit")
    return unit


async def reporting_units(duty: ReportingDuty, on: date, *, session: AsyncSession) -> list[Unit]:
    """The province's unit, then the agencies under it that exist on `on` (a merged unit has ended)."""
    root = await province_unit(session=session)
    if duty.reporter == "sonoivu_admin":
        return [root]
    agencies = (await session.execute(select(Unit).where(
        Unit.parent_id == root.id, Unit.successor_id.is_(None),
        (Unit.valid_to.is_(None)) | (Unit.valid_to >= on)).order_by(Unit.code))).scalars()
    return [root, *agencies]


async def covered_units(report: Report, *, session: AsyncSession) -> set[int]:
    """The units a report counts: an agency's subtree; the province's unit alone (its own people), or the
    whole province when the Sở level reports."""
    root = await province_unit(session=session)
    if report.unit_id != root.id:
        return await org.subtree_ids({report.unit_id}, session=session)
    if _duty(report.profile, report.profile_version, report.duty).reporter == "sonoivu_admin":
        return await org.subtree_ids({root.id}, session=session)
    return {root.id}


async def plan_round(inp: ReportRoundPlanInput, calendar: WorkingCalendar, *, session: AsyncSession) -> ReportRoundPlan:
    """Record the period's report of every reporting unit (once: a repeated round finds them) and say what to
    start. The due date comes from the duty's rule, counted from the period's first day."""
    today = local_date(datetime.fromisoformat(inp.at))
    profile = get_profile(inp.profile, on=today)
    duty = _duty(profile.name, profile.version, inp.duty)
    try:
        period = report_period(duty, inp.period) if inp.period else report_period_on(duty, today)
    except ValueError as err:
        raise Invalid(f"{err}.", "bad_report_period") from None
    deadline = compute_deadline(profile, duty.rule.name, period.start, calendar)
    reports = []
    for unit in await reporting_units(duty, today, session=session):
        wid = f"report/{duty.key}/{period.key}/{unit.id}"
        await session.execute(insert(Report).values(
            duty=duty.key, period=period.key, period_start=period.start, period_end=period.end,
            period_label=period.label, unit_id=unit.id, title=duty.title, profile=profile.name,
            profile_version=profile.version, workflow_id=wid, legal_basis=duty.legal_basis, status="open",
            due_on=deadline.due if deadline else None, due_at=due_datetime(deadline.due) if deadline else None,
            late=False, figures={}, notes={}, created_at=datetime.now(UTC),
        ).on_conflict_do_nothing(index_elements=["duty", "period", "unit_id"]))
        report = (await session.execute(select(Report).where(
            Report.duty == duty.key, Report.period == period.key, Report.unit_id == unit.id))).scalars().one()
        reports.append(ReportInput(
            report_id=report.id, unit_id=unit.id, profile=report.profile, profile_version=report.profile_version,
            duty=duty.key, period=period.key, period_start=period.start.isoformat(),
            opened_on=today.isoformat(),
            reporter=duty.reporter, signer=duty.signer))
    await audit.record(actor="system", action="report.round_opened", subject=f"report-round:{duty.key}/{period.key}",
                       units=len(reports), due_on=deadline.due.isoformat() if deadline else None, session=session)
    return ReportRoundPlan(period=period.key, profile_version=profile.version, reports=reports)


# ---- the figures ------------------------------------------------------------------------------------

def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _band(age: int) -> str:
    return next(label for label, low, high in AGE_BANDS if low <= age <= high)


def _text(value: Any, empty: str = NOT_GIVEN) -> str:
    text = unicodedata.normalize("NFC", str(value or "").strip())
    return text or empty


def _rows(counts: Counter, fixed: tuple[str, ...] | None) -> list[list[Any]]:
    if fixed is not None:
        extra = sorted(label for label in counts if label not in fixed)  # e.g. a value outside the catalogue
        return [[label, counts.get(label, 0)] for label in (*fixed, *extra)]
    return [[label, n] for label, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


async def figures(unit_ids: set[int], start: date, end: date, as_of: date, *, session: AsyncSession) -> dict[str, Any]:
    """The report's figures for these units: the people now there (approved records) and the period's moves."""
    ids = list(unit_ids) or [-1]
    names = await org.unit_names(session=session)
    counts: dict[str, Counter] = {key: Counter() for key, _, _ in SECTIONS}
    people = (await session.execute(
        select(Person, ProfileRevision).join(ProfileRevision, ProfileRevision.id == Person.current_revision_id)
        .where(Person.unit_id.in_(ids), Person.status == "active", Person.left_on.is_(None)))).all()
    for person, revision in people:
        data = revision.data or {}
        counts["kind"][PERSON_KINDS.get(person.kind, person.kind)] += 1
        grade = " — ".join(part for part in (_text(data.get("grade_code"), ""), _text(data.get("grade_name"), ""))
                           if part)
        counts["grade"][grade or NOT_GIVEN] += 1
        counts["position"][_text(data.get("position"), NO_POSITION)] += 1
        counts["age"][_band(_age(person.date_of_birth, as_of))] += 1
        counts["sex"][SEXES.get(person.sex, _text(person.sex))] += 1
        counts["ethnicity"][_text(data.get("ethnicity"))] += 1
        for key in ("qualification", "general_education", "political_theory"):
            counts[key][_text(data.get(key))] += 1
        counts["unit"][names.get(person.unit_id, str(person.unit_id))] += 1
    onboarding = (await session.execute(select(func.count()).select_from(Person).where(
        Person.unit_id.in_(ids), Person.status == "onboarding"))).scalar_one()

    in_period = and_(Transfer.status == "done", Transfer.effective_on >= start, Transfer.effective_on <= end)
    arrived = select(Transfer.person_id).where(Transfer.kind == "arrival")
    counts["arrivals"][HIRED] = (await session.execute(select(func.count(func.distinct(Placement.person_id))).where(
        Placement.unit_id.in_(ids), Placement.transfer_id.is_(None), Placement.merger_id.is_(None),
        Placement.from_on >= start, Placement.from_on <= end,
        Placement.person_id.not_in(arrived)))).scalar_one()
    counts["arrivals"][ARRIVED] = (await session.execute(select(func.count()).select_from(Transfer).where(
        in_period, Transfer.kind == "arrival", Transfer.to_unit_id.in_(ids)))).scalar_one()
    counts["arrivals"][MOVED_IN] = (await session.execute(select(func.count()).select_from(Transfer).where(
        in_period, Transfer.kind == "intra_province", Transfer.to_unit_id.in_(ids),
        Transfer.from_unit_id.not_in(ids)))).scalar_one()
    for reason, n in (await session.execute(select(Person.leave_reason, func.count()).where(
            Person.unit_id.in_(ids), Person.left_on >= start, Person.left_on <= end)
            .group_by(Person.leave_reason))).all():
        counts["leavings"][LEAVING_REASONS.get(reason or "", _text(reason))] += n
    counts["leavings"][MOVED_OUT] = (await session.execute(select(func.count()).select_from(Transfer).where(
        in_period, Transfer.kind == "intra_province", Transfer.from_unit_id.in_(ids),
        Transfer.to_unit_id.not_in(ids)))).scalar_one()
    return {"as_of": as_of.isoformat(), "headcount": len(people), "onboarding": onboarding,
            "sections": {key: _rows(counts[key], fixed) for key, _, fixed in SECTIONS}}


def total(all_figures: list[dict[str, Any]]) -> dict[str, Any]:
    """The sum of several reports' figures (the province-wide total)."""
    counts: dict[str, Counter] = {key: Counter() for key, _, _ in SECTIONS}
    for one in all_figures:
        for key, rows in (one.get("sections") or {}).items():
            if key in counts:
                for label, n in rows:
                    counts[key][label] += n
    return {"as_of": max((f.get("as_of") or "" for f in all_figures), default="") or None,
            "headcount": sum(f.get("headcount", 0) for f in all_figures),
            "onboarding": sum(f.get("onboarding", 0) for f in all_figures),
            "sections": {key: _rows(counts[key], fixed) for key, _, fixed in SECTIONS}}


def digest(report_figures: dict[str, Any], notes: dict[str, Any]) -> str:
    """What the head's signature covers: the submitted figures and narrative, canonically."""
    canonical = json.dumps({"figures": report_figures, "notes": notes}, sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def clean_notes(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or any(key not in NOTE_FIELDS for key in raw):
        raise Invalid(f"Phần thuyết minh chỉ gồm: {', '.join(NOTE_FIELDS)}.", "bad_report_notes")
    notes = {}
    for key, value in raw.items():
        if not isinstance(value, str):
            raise Invalid(f"{NOTE_FIELDS[key]}: phải là văn bản.", "bad_report_notes")
        if len(value) > NOTE_MAX:
            raise Invalid(f"{NOTE_FIELDS[key]}: tối đa {NOTE_MAX} ký tự.", "bad_report_notes")
        if value.strip():
            notes[key] = value.strip()
    return notes


async def current_figures(report: Report, *, session: AsyncSession, today: date) -> dict[str, Any]:
    """The submitted snapshot, or (before HR submits) the figures as the records stand today."""
    if report.status != "open":
        return report.figures
    return await figures(await covered_units(report, session=session), report.period_start, report.period_end,
                         today, session=session)


# ---- the steps: HR submits, the head signs ------------------------------------------------------------

async def report_of_task(task: Task, *, session: AsyncSession) -> Report:
    report = (await session.execute(select(Report).where(Report.workflow_id == task.workflow_id))).scalars().first()
    if report is None:
        raise NotFound("Không tìm thấy báo cáo của nhiệm vụ này.", "report_not_found")
    return report


async def submit(task: Task, inp: CompleteTaskInput, now: datetime, *, session: AsyncSession) -> dict[str, Any]:
    """HR's «Lập báo cáo»: the figures from the records at this moment, with HR's narrative."""
    report = (await session.execute(select(Report).where(Report.workflow_id == task.workflow_id)
                                    .with_for_update())).scalars().first()
    if report is None:
        raise NotFound("Không tìm thấy báo cáo của nhiệm vụ này.", "report_not_found")
    if report.status == "submitted":
        raise Conflict("Báo cáo này đã được ký và nộp.", "report_submitted")
    report.notes = clean_notes(inp.data.get("notes"))
    report.figures = await figures(await covered_units(report, session=session), report.period_start,
                                   report.period_end, local_date(now), session=session)
    report.figures_sha256 = digest(report.figures, report.notes)
    report.status, report.prepared_at, report.prepared_by_id = "prepared", now, inp.actor_user_id
    actor = await session.get(User, inp.actor_user_id)
    await audit.record(actor=actor.username, action="report.prepared", subject=f"report:{report.id}",
                       headcount=report.figures["headcount"], sha256=report.figures_sha256, session=session)
    return {"report_id": report.id, "headcount": report.figures["headcount"], "figures_sha256": report.figures_sha256}


def capacity_of(task: Task) -> str:
    return DIRECTOR if task.actor_role == "sonoivu_director" else HEAD


async def document(session: AsyncSession, settings: Settings, task: Task, inp: CompleteTaskInput,
                   now: datetime) -> ToSign:
    """The PDF of the submitted report the head (or the Director, for the Sở level) signs. Read only."""
    report = await report_of_task(task, session=session)
    if report.status != "prepared":
        raise Conflict("Báo cáo chưa được lập hoặc đã được ký.", "report_not_prepared")
    signer = await session.get(User, inp.actor_user_id)
    unit = await session.get(Unit, report.unit_id)
    capacity = capacity_of(task)
    pdf = render_pdf(report, unit.name, signer_name=signer.full_name, signer_title=capacity)
    key = user_signer(settings, signer.username, signer.full_name, title=capacity, unit=unit.name)
    return ToSign(pdf=pdf, signer=key, field_name="BaoCao", signed_as=capacity, location=unit.name,
                  reason=f"{report.title} — {report.period_label}",
                  covers={"report_id": report.id, "figures_sha256": report.figures_sha256})


async def sign(settings: Settings, task: Task, inp: CompleteTaskInput, now: datetime, *,
               session: AsyncSession) -> dict[str, Any]:
    """Store the signed PDF on the report: it is submitted (late if after its due time)."""
    report = await report_of_task(task, session=session)
    signed = await session.get(SignedDocument, int(inp.data.get("signature_id") or 0))
    if signed is None or signed.task_id != task.id or signed.signer_id != inp.actor_user_id:
        raise Invalid("Chưa có chữ ký số cho báo cáo này; vui lòng ký lại.", "not_signed")
    if signed.covers.get("report_id") != report.id or signed.covers.get("figures_sha256") != report.figures_sha256:
        raise Conflict("Báo cáo vừa thay đổi sau khi ký; vui lòng tải lại trang và ký lại.", "report_changed")
    report.signed_pdf, report.signed_pdf_sha256 = signed.pdf, signed.sha256
    report.signed_at, report.signed_by_id, report.signed_as = now, signed.signer_id, signed.signed_as
    report.late = bool(report.due_at and now > report.due_at) or report.late
    report.status = "submitted"
    actor = await session.get(User, inp.actor_user_id)
    await audit.record(actor=actor.username, action="report.signed", subject=f"report:{report.id}",
                       capacity=report.signed_as, sha256=report.signed_pdf_sha256, late=report.late, session=session)
    return {"report_id": report.id, "late": report.late, "sha256": report.signed_pdf_sha256}


async def mark_late(task: Task, *, session: AsyncSession) -> None:
    """The due time passed with the report not yet signed (a milestone hook)."""
    report = (await session.execute(select(Report).where(Report.workflow_id == task.workflow_id))).scalars().first()
    if report is not None and report.status != "submitted":
        report.late = True


async def task_view(viewer: Viewer, task: Task, *, session: AsyncSession, today: date) -> dict[str, Any]:
    """What the report's task pages show: the report, its figures (live until HR submits), the narrative."""
    report = await report_of_task(task, session=session)
    unit = await session.get(Unit, report.unit_id)
    shown = await current_figures(report, session=session, today=today)
    return {"report": report, "report_unit": unit.name if unit else "", "report_figures": shown,
            "report_sections": sections_view(shown), "note_fields": NOTE_FIELDS,
            "report_status": REPORT_STATUSES.get(report.status, report.status),
            "signing_capacity": capacity_of(task),
            "form_defaults": {"notes": dict(report.notes or {})}}


def sections_view(shown: dict[str, Any]) -> list[dict[str, Any]]:
    sections = shown.get("sections") or {}
    return [{"key": key, "title": title, "rows": sections.get(key, [])} for key, title, _ in SECTIONS]


# ---- reading: rounds, one report, the total ----------------------------------------------------------

def _in_scope(viewer: Viewer):
    if viewer.unit_scope is None:
        return true()
    return Report.unit_id.in_(viewer.unit_scope or {-1})


async def rounds(viewer: Viewer, *, session: AsyncSession) -> list[dict[str, Any]]:
    """Every round the viewer sees a report of, newest first, with how many units have submitted."""
    rows = (await session.execute(
        select(Report.duty, Report.period, Report.period_label, Report.title, Report.due_on, func.count(),
               func.count().filter(Report.status == "submitted"), func.count().filter(Report.late))
        .where(_in_scope(viewer))
        .group_by(Report.duty, Report.period, Report.period_label, Report.title, Report.due_on)
        .order_by(Report.period.desc(), Report.duty))).all()
    return [{"duty": duty, "period": period, "period_label": label, "title": title, "due_on": due_on,
             "units": units, "submitted": submitted, "late": late}
            for duty, period, label, title, due_on, units, submitted, late in rows]


async def list_reports(viewer: Viewer, *, session: AsyncSession, duty: str | None = None,
                       period: str | None = None) -> list[tuple[Report, Unit]]:
    query = select(Report, Unit).join(Unit, Unit.id == Report.unit_id).where(_in_scope(viewer))
    if duty:
        query = query.where(Report.duty == duty)
    if period:
        query = query.where(Report.period == period)
    return list((await session.execute(query.order_by(Report.period.desc(), Report.duty, Unit.code))).all())


async def readable_report(viewer: Viewer, report_id: int, *, session: AsyncSession, signed: bool = False) -> Report:
    """A report of a unit in the viewer's scope (with its signed PDF when `signed`), else 404."""
    report = await session.get(Report, report_id)
    if report is None or not viewer.sees_unit(report.unit_id) or (signed and not report.signed_pdf):
        raise NotFound("Không tìm thấy báo cáo đã ký." if signed else "Không tìm thấy báo cáo.", "report_not_found")
    return report


async def province_total(viewer: Viewer, duty: str, period: str, *, session: AsyncSession) -> dict[str, Any]:
    """Sở Nội vụ's province-wide total of a round: the sum of the submitted (signed) reports."""
    if not viewer.province_wide:
        raise Forbidden("Chỉ Sở Nội vụ xem số liệu tổng hợp toàn tỉnh.", "province_only")
    rows = await list_reports(viewer, duty=duty, period=period, session=session)
    if not rows:
        raise NotFound("Không có kỳ báo cáo này.", "report_round_not_found")
    submitted = [(report, unit) for report, unit in rows if report.status == "submitted"]
    first = rows[0][0]
    return {"duty": duty, "period": period, "period_label": first.period_label, "title": first.title,
            "units": len(rows), "submitted": len(submitted),
            "missing": [unit.name for report, unit in rows if report.status != "submitted"],
            "missing_units": [(unit.code, unit.name) for report, unit in rows if report.status != "submitted"],
            "by_unit": [(unit.code, unit.name, report.figures.get("headcount", 0)) for report, unit in submitted],
            "figures": total([report.figures for report, _ in submitted])}


# ---- xlsx and PDF -------------------------------------------------------------------------------------

def _vn(day: date | str | None) -> str:
    if day is None:
        return "Không quy định"
    return (date.fromisoformat(day) if isinstance(day, str) else day).strftime("%d/%m/%Y")


def _sheet_figures(sheet, shown: dict[str, Any]) -> None:
    bold = Font(bold=True)
    sheet.append(["Tổng số", shown.get("headcount", 0)])
    sheet.append(["Hồ sơ đang lập (chưa phê duyệt, không tính vào tổng số)", shown.get("onboarding", 0)])
    for section in sections_view(shown):
        sheet.append([])
        sheet.append([section["title"], "Số người"])
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for label, n in section["rows"]:
            sheet.append([label, n])


def _book_bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_xlsx(report: Report, unit_name: str, shown: dict[str, Any]) -> bytes:
    """One report: the heading (unit, period, due date, legal basis), the figures, HR's narrative."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Bao cao"
    sheet.append([report.title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(["Đơn vị báo cáo", unit_name])
    sheet.append(["Kỳ báo cáo", f"{report.period_label} ({_vn(report.period_start)} – {_vn(report.period_end)})"])
    sheet.append(["Hạn nộp", _vn(report.due_on)])
    sheet.append(["Căn cứ", report.legal_basis or ""])
    sheet.append(["Số liệu tại ngày", _vn(shown.get("as_of"))])
    sheet.append(["Tình trạng", REPORT_STATUSES.get(report.status, report.status)])
    sheet.append([])
    _sheet_figures(sheet, shown)
    notes = book.create_sheet("Thuyet minh")
    notes.append(["Nội dung", "Thuyết minh"])
    for key, label in NOTE_FIELDS.items():
        notes.append([label, (report.notes or {}).get(key, "")])
    sheet.column_dimensions["A"].width = notes.column_dimensions["A"].width = 60
    sheet.column_dimensions["B"].width = 40
    notes.column_dimensions["B"].width = 100
    return _book_bytes(book)


def total_to_xlsx(summary: dict[str, Any]) -> bytes:
    """The province-wide total: the sum, then each submitted unit's headcount, then who has not submitted."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Tong hop toan tinh"
    sheet.append([f"{summary['title']} — tổng hợp toàn tỉnh"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(["Kỳ báo cáo", summary["period_label"]])
    sheet.append(["Đơn vị đã nộp", f"{summary['submitted']}/{summary['units']}"])
    sheet.append([])
    _sheet_figures(sheet, summary["figures"])
    units = book.create_sheet("Theo don vi")
    units.append(["Mã đơn vị", "Đơn vị", "Tổng số"])
    for code, name, headcount in summary["by_unit"]:
        units.append([code, name, headcount])
    for code, name in summary["missing_units"]:
        units.append([code, name, "Chưa nộp"])
    sheet.column_dimensions["A"].width = 60
    units.column_dimensions["B"].width = 50
    return _book_bytes(book)


def _t(value: Any) -> str:
    return unicodedata.normalize("NFC", "" if value is None else str(value))


class _Pdf(FPDF):
    def __init__(self, title: str, footer: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_margins(18, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(_t(title))
        self.set_creator("Hồ sơ")
        self.set_producer("Hồ sơ (fpdf2)")
        self.set_lang("vi-VN")
        self.footer_text = footer
        self.alias_nb_pages()
        self.add_page()

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("DejaVu", "", 7.5)
        self.cell(0, 5, _t(f"{self.footer_text} — Trang {self.page_no()}/{{nb}}"), align="C")

    def text_line(self, text: str, *, size: float = 10, bold: bool = False, align: str = "L") -> None:
        self.set_font("DejaVu", "B" if bold else "", size)
        self.multi_cell(0, size * 0.55, _t(text), align=align, new_x="LMARGIN", new_y="NEXT")

    def grid(self, rows: list[list[Any]], headings: tuple[str, str]) -> None:
        self.set_font("DejaVu", "", 9.5)
        style = FontFace(family="DejaVu", emphasis="BOLD", fill_color=(230, 230, 230))
        with self.table(col_widths=(142, 35), width=177, align="LEFT", line_height=5.2, headings_style=style,
                        padding=1.2) as table:
            row = table.row()
            for heading in headings:
                row.cell(_t(heading))
            for label, n in rows:
                row = table.row()
                row.cell(_t(label))
                row.cell(str(n), align="RIGHT")
        self.ln(2)


def render_pdf(report: Report, unit_name: str, *, signer_name: str, signer_title: str) -> bytes:
    """The submitted report as the PDF its head signs: heading, the figures section by section, HR's narrative."""
    province = get_profile(report.profile, report.profile_version).province
    doc = _Pdf(f"{report.title} — {report.period_label}", f"Hồ sơ — {unit_name} — {report.period_label}")
    doc.text_line(f"Tỉnh {province}", size=9.5)
    doc.text_line(f"Đơn vị báo cáo: {unit_name}", size=9.5)
    doc.ln(3)
    doc.text_line(report.title.upper(), size=12, bold=True, align="C")
    doc.text_line(f"Kỳ báo cáo: {report.period_label} ({_vn(report.period_start)} – {_vn(report.period_end)})",
                  size=10, align="C")
    doc.ln(3)
    shown = report.figures or {}
    doc.text_line(f"Căn cứ: {report.legal_basis or ''}", size=9)
    doc.text_line(f"Hạn nộp: {_vn(report.due_on)}. Số liệu từ cơ sở dữ liệu tại ngày {_vn(shown.get('as_of'))}.",
                  size=9)
    doc.ln(2)
    doc.text_line("I. SỐ LIỆU", size=10.5, bold=True)
    doc.text_line(f"Tổng số cán bộ, công chức, viên chức, người lao động hiện có: {shown.get('headcount', 0)} "
                  f"(hồ sơ đang lập, chưa phê duyệt: {shown.get('onboarding', 0)}).", size=10)
    doc.ln(1)
    for number, section in enumerate(sections_view(shown), start=1):
        doc.text_line(f"{number}. {section['title']}", size=10, bold=True)
        if section["rows"]:
            doc.grid(section["rows"], ("Nội dung", "Số người"))
        else:
            doc.text_line("Không có.", size=9.5)
    doc.text_line("II. THUYẾT MINH", size=10.5, bold=True)
    for key, label in NOTE_FIELDS.items():
        doc.text_line(f"{label}:", size=10, bold=True)
        doc.text_line((report.notes or {}).get(key) or "Không có.", size=10)
    doc.ln(6)
    doc.text_line(signer_title.upper(), size=10.5, bold=True, align="R")
    doc.text_line("(Ký số)", size=9, align="R")
    doc.text_line(signer_name, size=10.5, bold=True, align="R")
    return bytes(doc.output())


async def task_title(label: str, workflow_id: str, unit_id: int, *, session: AsyncSession) -> str:
    """«Lập báo cáo năm 2026: Sở Y tế» (the period and the unit of the report's workflow)."""
    report = (await session.execute(select(Report).where(Report.workflow_id == workflow_id))).scalars().first()
    unit = await session.get(Unit, unit_id)
    period = f" {report.period_label}" if report else ""
    return f"{label}{period}: {unit.name if unit else unit_id}"[:255]
