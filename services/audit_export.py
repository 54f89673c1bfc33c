"""Sở Nội vụ's side of the audit log: the chain's verification, the daily check's report, and the log of a
period as a PDF sealed by Sở Nội vụ (PAdES) or as xlsx (docs/data-protection.md#the-audit-chain)."""
import asyncio
import hashlib
import io
import json
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from fpdf import FPDF
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import AuditEvent, RoleGrant, Unit, User
from rules.clock import VN_TZ
from services import audit, notify, permissions
from services.errors import Invalid
from services.pdf import FONT_DIR
from services.scope import Viewer
from services.signers import agency_signer
from services.signing import FIELD_AGENCY, async_sign_pdf

READERS = ("sonoivu_admin", "sonoivu_director", "auditor")  # the province roles
NOTIFIED_ROLE = "sonoivu_admin"
MAX_DAYS = 366  # one export covers at most a year
MAX_ROWS = {"pdf": 5000, "xlsx": 100_000}
SEAL_REASON = "Sở Nội vụ xác thực bản xuất nhật ký hệ thống"
TITLE = "NHẬT KÝ HỆ THỐNG HỒ SƠ CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHECK_ACTION = "audit.chain_checked"
Format = Literal["pdf", "xlsx"]


def _vn(moment: datetime) -> str:
    return moment.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M:%S")


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def describe(broken: audit.Broken | None) -> str:
    """The break in one Vietnamese sentence (pages, PDF, notification)."""
    if broken is None:
        return "Chuỗi băm nguyên vẹn."
    where = f"số thứ tự {broken.seq}" if broken.seq is not None else "đầu chuỗi"
    if broken.reason == "deleted":
        count = f"{broken.count} dòng" if broken.count and broken.count > 1 else "1 dòng"
        around = []
        if broken.after_id is not None:
            around.append(f"sau dòng mã {broken.after_id}")
        if broken.before_id is not None:
            around.append(f"trước dòng mã {broken.before_id}")
        return f"{broken.message} Thiếu {count} từ {where}" + (f" ({', '.join(around)})." if around else ".")
    at = f", ghi lúc {_vn(broken.at)}" if broken.at else ""
    return f"{broken.message} Dòng {where} (mã {broken.id}{at})."


# ---- verification ------------------------------------------------------------------------------

async def verification(viewer: Viewer, *, session: AsyncSession) -> audit.Verification:
    permissions.require(viewer, READERS)
    return await audit.verify_chain(session=session)


@dataclass(frozen=True)
class CheckReport:
    """What the daily check found, as the activity passes it on."""
    ok: bool
    checked: int
    last_seq: int
    first_broken: dict[str, Any] | None
    checked_at: datetime


async def record_check(report: CheckReport, workflow_id: str, *, session: AsyncSession) -> bool:
    """Log the daily check's result once per run, and tell Sở Nội vụ's administrators (in the app) when the
    chain is broken; returns whether they were told. A retried activity changes nothing the second time."""
    subject = f"workflow:{workflow_id}"[:128]
    if await audit.last_event(CHECK_ACTION, subject, session=session) is None:
        await audit.record(actor="system", action=CHECK_ACTION, subject=subject, at=report.checked_at, ok=report.ok,
                           checked=report.checked, last_seq=report.last_seq, first_broken=report.first_broken,
                           session=session)
    if report.ok:
        return False
    broken = _broken_of(report.first_broken)
    users = set((await session.execute(select(RoleGrant.user_id).join(User, User.id == RoleGrant.user_id).where(
        RoleGrant.role == NOTIFIED_ROLE, User.is_active))).scalars())
    await notify.notify(session=session, user_ids=users, key=notice_key(workflow_id), kind="audit_chain",
                        subject="Cảnh báo: nhật ký hệ thống bị sửa, chèn hoặc xóa ngoài ứng dụng",
                        body=(f"Lần kiểm tra chuỗi băm nhật ký hệ thống lúc {_vn(report.checked_at)} phát hiện sai "
                              f"lệch. {describe(broken)} Đã kiểm tra {report.checked} dòng. Đề nghị kiểm tra ngay "
                              "quyền truy cập cơ sở dữ liệu và đối chiếu với bản xuất nhật ký đã ký số gần nhất; "
                              "xem tại trang «Nhật ký hệ thống» (/audit)."))
    return bool(users)


def notice_key(workflow_id: str) -> str:
    return f"audit-chain/{workflow_id}"


def _broken_of(data: dict[str, Any] | None) -> audit.Broken | None:
    if not data:
        return None
    at = data.get("at")
    return audit.Broken(reason=data["reason"], seq=data.get("seq"), id=data.get("id"),
                        at=datetime.fromisoformat(at) if at else None, count=data.get("count"),
                        after_id=data.get("after_id"), before_id=data.get("before_id"))


# ---- exports -----------------------------------------------------------------------------------

def period(start: date, end: date) -> tuple[datetime, datetime]:
    """The first and last instant of the days start..end in Asia/Ho_Chi_Minh; refuses a reversed or too long
    period."""
    if end < start:
        raise Invalid("Ngày kết thúc phải sau hoặc trùng ngày bắt đầu.", "bad_period")
    if (end - start).days >= MAX_DAYS:
        raise Invalid(f"Mỗi lần xuất tối đa {MAX_DAYS} ngày; vui lòng chọn khoảng thời gian ngắn hơn.",
                      "period_too_long")
    return datetime.combine(start, time.min, tzinfo=VN_TZ), datetime.combine(end, time.max, tzinfo=VN_TZ)


@dataclass(frozen=True)
class Export:
    filename: str
    media_type: str
    content: bytes
    rows: int


async def sonoivu_unit(*, session: AsyncSession) -> Unit:
    """Sở Nội vụ: the unit of its administrators' accounts, else the province's root unit."""
    unit = (await session.execute(
        select(Unit).join(User, User.unit_id == Unit.id).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == NOTIFIED_ROLE).order_by(RoleGrant.id).limit(1))).scalars().first()
    if unit is None:
        unit = (await session.execute(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))).scalars().first()
    if unit is None:
        raise Invalid("Chưa có đơn vị nào để ký bản xuất nhật ký.", "no_unit")
    return unit


async def export(settings: Settings, viewer: Viewer, start: date, end: date, fmt: Format, *,
                 session: AsyncSession) -> Export:
    """The log of the days start..end (Vietnam time), with the chain's state at the time of the export."""
    permissions.require(viewer, READERS)
    first, last = period(start, end)
    rows = await audit.events_between(first, last, session=session, limit=MAX_ROWS[fmt] + 1)
    if len(rows) > MAX_ROWS[fmt]:
        raise Invalid(f"Khoảng thời gian này có hơn {MAX_ROWS[fmt]:,} dòng nhật ký".replace(",", ".")
                      + "; vui lòng chọn khoảng ngắn hơn.", "too_many_rows")
    check = await audit.verify_chain(session=session)
    made_at = datetime.now(UTC)
    name = f"nhat-ky-he-thong-{start:%Y%m%d}-{end:%Y%m%d}.{fmt}"
    if fmt == "xlsx":
        content = await asyncio.to_thread(render_xlsx, rows, start, end, check, viewer, made_at)
        media_type = XLSX
    else:
        unit = await sonoivu_unit(session=session)
        pdf = await asyncio.to_thread(render_pdf, rows, start, end, check, viewer, made_at, unit.name)
        content = await async_sign_pdf(pdf, agency_signer(settings, unit.code, unit.name), field_name=FIELD_AGENCY,
                                       reason=SEAL_REASON, location=unit.name)
        media_type = "application/pdf"
    await audit.record(actor=viewer.username, action="audit.exported", subject="audit_events", format=fmt,
                       start=start.isoformat(), end=end.isoformat(), rows=len(rows),
                       sha256=hashlib.sha256(content).hexdigest(), session=session)
    return Export(filename=name, media_type=media_type, content=content, rows=len(rows))


def _detail(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def _summary(rows: list[AuditEvent], start: date, end: date, check: audit.Verification, viewer: Viewer,
             made_at: datetime) -> list[tuple[str, str]]:
    chain = "Nguyên vẹn" if check.ok else f"PHÁT HIỆN SAI LỆCH — {describe(check.first_broken)}"
    lines = [("Khoảng thời gian", f"Từ ngày {_day(start)} đến ngày {_day(end)} (giờ Việt Nam)"),
             ("Số dòng nhật ký", str(len(rows))),
             ("Xuất bởi", f"{viewer.full_name} ({viewer.username})"),
             ("Thời điểm xuất", _vn(made_at)),
             ("Kiểm tra chuỗi băm", f"{chain} Đã kiểm tra {check.checked} dòng; dòng cuối số thứ tự "
                                    f"{check.last_seq}.")]
    if rows:
        lines += [("Số thứ tự trong chuỗi", f"từ {rows[0].seq} đến {rows[-1].seq}"),
                  ("Mã băm liền trước dòng đầu", rows[0].prev_hash),
                  ("Mã băm của dòng cuối", rows[-1].hash)]
    return lines


HEADINGS = ("Số TT chuỗi", "Mã", "Thời điểm", "Người thực hiện", "Thao tác", "Đối tượng", "Chi tiết", "Mã băm")


def render_xlsx(rows: list[AuditEvent], start: date, end: date, check: audit.Verification, viewer: Viewer,
                made_at: datetime) -> bytes:
    """Sheet «Nhật ký»: one line per row (times in Vietnam time, without offset, as Excel wants); sheet
    «Thông tin»: the period, who exported it, the chain's state and the hashes that bound the rows."""
    book = Workbook(write_only=True)
    log = book.create_sheet("Nhật ký")
    log.append([*HEADINGS[:7], "Mã băm liền trước", "Mã băm"])
    for row in rows:
        log.append([row.seq, row.id, row.at.astimezone(VN_TZ).replace(tzinfo=None), row.actor, row.action,
                    row.subject, _detail(row.detail), row.prev_hash, row.hash])
    info = book.create_sheet("Thông tin")
    info.append([TITLE])
    for label, value in _summary(rows, start, end, check, viewer, made_at):
        info.append([label, value])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _t(value: Any) -> str:
    return unicodedata.normalize("NFC", "" if value is None else str(value))


WIDTHS = (14, 12, 28, 26, 32, 28, 99, 34)  # mm, landscape A4 less the margins
LINE = 3.4  # mm per line of the table, in 7 pt
PDF_DETAIL_CHARS = 2000


class _LogPdf(FPDF):
    def __init__(self, footer: str):
        super().__init__(orientation="L", unit="mm", format="A4")
        self.footer_text = footer
        self.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(auto=True, margin=15)
        self.alias_nb_pages()
        self._widths: dict[tuple[str, str], dict[str, float]] = {}

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font("DejaVu", "", 7)
        self.cell(0, 5, f"{self.footer_text} — Trang {self.page_no()}/{{nb}}", align="C")

    def wrap(self, text: str, width: float) -> list[str]:
        """The text in lines that fit the width: broken at the last space that fits, else inside the word.
        Character widths are measured once per font (the table's cells hold thousands of short texts)."""
        widths = self._widths.setdefault((self.font_family, self.font_style), {})
        room, lines, line, used, space = width - 2, [], [], 0.0, -1
        for char in text:
            size = widths.get(char)
            if size is None:
                size = widths[char] = self.get_string_width(char)
            if used + size > room and line:
                if char == " ":
                    lines.append("".join(line))
                    line, used, space = [], 0.0, -1
                    continue
                if space > 0:  # move the last word to the next line
                    lines.append("".join(line[:space]))
                    line = line[space + 1:]
                else:
                    lines.append("".join(line))
                    line = []
                used, space = sum(widths[c] for c in line), -1
            if char == " ":
                space = len(line)
            line.append(char)
            used += size
        lines.append("".join(line))
        return lines

    def table_row(self, texts: list[str], *, bold: bool = False) -> None:
        """One row of the log's table, its height that of its longest cell; drawn with text() (fpdf2's
        table() and multi_cell() take about 7 s for a thousand rows). A new page repeats the headings."""
        self.set_font("DejaVu", "B" if bold else "", 7)
        wrapped = [self.wrap(text, width) for width, text in zip(WIDTHS, texts)]
        height = max(map(len, wrapped)) * LINE + 1.2
        if not bold and self.get_y() + height > self.h - self.b_margin:
            self.add_page()
            self.table_row(list(HEADINGS), bold=True)
            self.set_font("DejaVu", "", 7)
        x, y = self.l_margin, self.get_y()
        for width, lines in zip(WIDTHS, wrapped):
            if bold:
                self.set_fill_color(230, 230, 230)
            self.rect(x, y, width, height, style="DF" if bold else "D")
            for number, line in enumerate(lines):
                self.text(x + 1, y + 3.0 + number * LINE, line)
            x += width
        self.set_xy(self.l_margin, y + height)


def render_pdf(rows: list[AuditEvent], start: date, end: date, check: audit.Verification, viewer: Viewer,
               made_at: datetime, agency: str) -> bytes:
    doc = _LogPdf(f"Nhật ký hệ thống từ {_day(start)} đến {_day(end)} — {agency}")
    doc.set_title(_t(f"{TITLE} — {_day(start)}–{_day(end)}"))
    doc.set_creator("Hồ sơ")
    doc.set_lang("vi-VN")
    doc.set_creation_date(made_at)
    doc.add_page()
    doc.set_font("DejaVu", "B", 9)
    doc.cell(0, 5, _t(agency.upper()), new_x="LMARGIN", new_y="NEXT")
    doc.ln(2)
    doc.set_font("DejaVu", "B", 13)
    doc.multi_cell(0, 7, _t(TITLE), align="C", new_x="LMARGIN", new_y="NEXT")
    doc.ln(2)
    doc.set_font("DejaVu", "", 9)
    for label, value in _summary(rows, start, end, check, viewer, made_at):
        doc.multi_cell(0, 5, _t(f"{label}: {value}"), new_x="LMARGIN", new_y="NEXT")
    doc.ln(3)
    if rows:
        doc.table_row(list(HEADINGS), bold=True)
        for row in rows:
            detail = _detail(row.detail)
            if len(detail) > PDF_DETAIL_CHARS:  # a row must fit on a page; the xlsx has it whole
                detail = detail[:PDF_DETAIL_CHARS] + "… (rút gọn; đầy đủ trong bản xlsx)"
            doc.table_row([_t(text) for text in (row.seq, row.id, _vn(row.at), row.actor, row.action, row.subject,
                                                 detail, row.hash[:16] + "…")])
    else:
        doc.multi_cell(0, 5, "Không có dòng nhật ký nào trong khoảng thời gian này.", new_x="LMARGIN", new_y="NEXT")
    doc.ln(4)
    doc.set_font("DejaVu", "", 8)
    doc.multi_cell(0, 4.5, _t(
        "Mỗi dòng mang mã băm HMAC-SHA256 của nội dung dòng và mã băm của dòng liền trước (chuỗi băm), với khóa "
        "do hệ thống giữ ngoài cơ sở dữ liệu; bản này được ký số bằng chữ ký số của cơ quan, tổ chức (Nghị định "
        "30/2020/NĐ-CP, Điều 32)."), new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())


def default_period(today: date) -> tuple[date, date]:
    """The page's form: the last 30 days."""
    return today - timedelta(days=29), today


@dataclass(frozen=True)
class PastCheck:
    at: datetime
    ok: bool
    checked: int
    description: str


async def past_checks(viewer: Viewer, *, session: AsyncSession, limit: int = 7) -> list[PastCheck]:
    """The last daily checks, as they were logged (newest first)."""
    permissions.require(viewer, READERS)
    return [PastCheck(at=row.at, ok=bool(row.detail.get("ok")), checked=int(row.detail.get("checked") or 0),
                      description=describe(_broken_of(row.detail.get("first_broken"))))
            for row in await audit.latest(CHECK_ACTION, session=session, limit=limit)]
