"""PDF documents of Hồ sơ: the CV (sơ yếu lý lịch, TT 06/2023/TT-BNV) and the monthly approval batch.

Text is set in DejaVu Sans, shipped with the package (services/pdf/fonts/, see LICENSE there),
so Vietnamese renders on any machine and ``pdftotext`` reads it back intact. The documents are
meant to be signed afterwards (services.signing): nothing here changes a PDF once written.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from fpdf import FPDF

from rules.clock import VN_TZ

from services.cv import FIELDS, SEX, parse_date

__all__ = ["render_cv", "render_approval_batch", "FONT_DIR", "vn_datetime", "vn_date"]

FONT_DIR = Path(__file__).parent / "fonts"
FONT = "DejaVu"
CV_TITLE = "SƠ YẾU LÝ LỊCH CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC"
BATCH_TITLE = "PHÊ DUYỆT DỮ LIỆU CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC"
DATE_FIELDS = {"date_of_birth", "citizen_id_issued_on", "salary_from"}
GRID_PADDING = 1.2  # mm inside each table cell
DECISIONS = {"approved": "Phê duyệt", "approve": "Phê duyệt", "returned": "Trả lại", "return": "Trả lại"}

def _t(value: Any) -> str:
    """Text as NFC (DejaVu has the precomposed Vietnamese letters; pdftotext returns them as such)."""
    return unicodedata.normalize("NFC", "" if value is None else str(value))


def vn_datetime(moment: datetime) -> str:
    """dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


def vn_date(value: Any) -> str:
    parsed = value if isinstance(value, date) else parse_date(value)
    return parsed.strftime("%d/%m/%Y") if parsed else _t(value)


class _Doc(FPDF):
    footer_text = ""

    def __init__(self, *, title: str, subject: str, created: datetime | None = None):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_margins(18, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(_t(title))
        self.set_subject(_t(subject))
        self.set_creator("Hồ sơ")
        self.set_producer("Hồ sơ (fpdf2)")
        self.set_lang("vi-VN")
        if created is not None:
            self.set_creation_date(created if created.tzinfo else created.replace(tzinfo=timezone.utc))
        self.alias_nb_pages()
        self.add_page()

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(90)
        text = f"{self.footer_text} — Trang {self.page_no()}/{{nb}}" if self.footer_text else \
            f"Trang {self.page_no()}/{{nb}}"
        self.cell(0, 5, text, align="C")
        self.set_text_color(0)

    # helpers -----------------------------------------------------------------------------------
    # A line or a table cell that fits on one line is placed with text(): fpdf's cell(), multi_cell() and
    # table() lay out every string through their line breaker, which cost most of a 500-revision batch.
    def line_text(self, text: str, *, size: float = 10, bold: bool = False, align: str = "L",
                  height: float = 5.5) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        text = _t(text)
        width = self.epw - 2 * self.c_margin
        text_width = self.get_string_width(text)
        if "\n" in text or text_width > width:
            self.multi_cell(0, height, text, align=align, new_x="LMARGIN", new_y="NEXT")
            return
        if self.will_page_break(height):
            self.add_page()
        offset = {"L": 0, "C": (width - text_width) / 2, "R": width - text_width}[align]
        self.text(self.l_margin + self.c_margin + offset, self.y + height / 2 + 0.3 * self.font_size, text)
        self.set_xy(self.l_margin, self.y + height)

    def heading(self, text: str, size: float = 11) -> None:
        self.ln(2)
        self.line_text(text, size=size, bold=True)
        self.ln(1)

    def grid(self, rows: Iterable[Iterable[Any]], widths: tuple[float, ...], *,
             headings: tuple[str, ...] | None = None, size: float = 9.5) -> None:
        """A bordered table, the headings in bold on grey and repeated on each new page; long cells wrap."""
        if headings is not None:
            self._grid_row(headings, widths, size, heading=True)
        for values in rows:
            self._grid_row(values, widths, size, headings=headings)
        self.ln(2)

    def _grid_row(self, values: Iterable[Any], widths: tuple[float, ...], size: float, *, heading: bool = False,
                  headings: tuple[str, ...] | None = None) -> None:
        """One row; on a new page the headings come first again."""
        line_height = size * 0.55
        self.set_font(FONT, "B" if heading else "", size)
        cells = [self._cell_lines(_t(value), width) for value, width in zip(values, widths)]
        row_height = max(len(lines) for lines in cells) * line_height + 2 * GRID_PADDING
        if self.will_page_break(row_height):
            self.add_page()
            if headings is not None:
                self._grid_row(headings, widths, size, heading=True)
                self.set_font(FONT, "", size)
        x, y = self.l_margin, self.y
        self.set_fill_color(230)
        for lines, width in zip(cells, widths):
            self.rect(x, y, width, row_height, style="DF" if heading else "D")
            for number, line in enumerate(lines):
                self.text(x + GRID_PADDING, y + GRID_PADDING + number * line_height + line_height / 2
                          + 0.3 * self.font_size, line)
            x += width
        self.set_xy(self.l_margin, y + row_height)

    def _cell_lines(self, text: str, width: float) -> list[str]:
        inner = width - 2 * GRID_PADDING
        if "\n" not in text and self.get_string_width(text) <= inner:
            return [text]
        return self.multi_cell(inner + 2 * self.c_margin, 1, text, dry_run=True, output="LINES") or [""]


def _cv_value(name: str, value: Any) -> str:
    if value in (None, ""):
        return ""
    if name == "sex":
        return SEX.get(str(value).strip().lower(), _t(value))
    if name in DATE_FIELDS or isinstance(value, date):
        return vn_date(value)
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, (list, tuple)):
        return "; ".join(_t(v) for v in value)
    return _t(value)


def render_cv(*, person_name: str, unit_name: str, managing_body: str, cv_data: dict,
              revision_number: int, generated_at: datetime) -> bytes:
    """The CV (mẫu sơ yếu lý lịch, TT 06/2023/TT-BNV) of one revision, as PDF bytes.

    Every field of services.cv.FIELDS is printed in form order with its Vietnamese label
    (empty when not filled in); work_history as a table from–to–description. ``cv_data`` may
    also carry ``staff_number`` (số hiệu cán bộ, công chức), printed in the header.
    """
    doc = _Doc(title=f"{CV_TITLE} — {person_name}", subject=f"Sơ yếu lý lịch, phiên bản {revision_number}",
               created=generated_at)
    doc.footer_text = (f"Hồ sơ — {person_name} — phiên bản số {revision_number} — "
                       f"tạo lúc {vn_datetime(generated_at)} (giờ Việt Nam)")
    doc.line_text(f"Cơ quan quản lý CBCCVC: {managing_body}", size=9.5)
    doc.line_text(f"Đơn vị sử dụng CBCCVC: {unit_name}", size=9.5)
    doc.line_text(f"Số hiệu cán bộ, công chức, viên chức: {cv_data.get('staff_number') or '……………'}",
                  size=9.5)
    doc.line_text(f"Phiên bản hồ sơ số: {revision_number}", size=9.5)
    doc.ln(4)
    doc.line_text(CV_TITLE, size=14, bold=True, align="C", height=7)
    doc.line_text("(Mẫu theo Thông tư 06/2023/TT-BNV)", size=9, align="C")
    doc.ln(3)

    data = dict(cv_data)
    data.setdefault("full_name", person_name)
    rows = [(label, _cv_value(name, data.get(name))) for name, (label, _) in FIELDS.items()
            if name != "work_history"]
    doc.grid(rows, (68, 109))
    if "work_history" in FIELDS:
        doc.heading(FIELDS["work_history"][0])
        periods = data.get("work_history") or []
        history = [(p.get("from", ""), p.get("to", ""), p.get("description", "")) for p in periods
                   if isinstance(p, dict)]
        if history:
            doc.grid(history, (25, 25, 127), headings=("Từ tháng, năm", "Đến tháng, năm",
                                                       "Chức danh, chức vụ, đơn vị công tác"))
        else:
            doc.line_text("(chưa khai)", size=9.5)
    doc.ln(4)
    doc.line_text(f"Hồ sơ tạo lúc {vn_datetime(generated_at)} (giờ Việt Nam), từ phiên bản số "
                  f"{revision_number} trong hệ thống Hồ sơ.", size=8.5)
    return bytes(doc.output())


def _month_label(month: str) -> str:
    text = month.strip()
    if (m := re.fullmatch(r"(\d{4})-(\d{2})", text)):
        return f"{m.group(2)}/{m.group(1)}"
    if re.fullmatch(r"\d{2}/\d{4}", text):
        return text
    raise ValueError(f"month must be YYYY-MM or MM/YYYY, not {month!r}")


def _decision(item: dict) -> str:
    raw = str(item.get("decision") or "").strip()
    reason = _t(item.get("reason") or "").strip()
    label = DECISIONS.get(raw.lower())
    if label is None:
        if raw.startswith(("Phê duyệt", "Trả lại")):
            return raw
        raise ValueError(f"decision must be 'approved' or 'returned', not {raw!r}")
    if label == "Trả lại":
        return f"Trả lại: {reason}" if reason else "Trả lại"
    return label


def render_approval_batch(*, unit_name: str, month: str, approver_name: str, approver_title: str,
                          items: list[dict]) -> bytes:
    """The month's approval sheet, signed by the head (or delegate) of the unit.

    Each item: ``person_name`` (or ``person``), ``revision_number`` (or ``revision``),
    ``decision`` ("approved"/"approve" | "returned"/"return", or the text "Phê duyệt" /
    "Trả lại: <lý do>"), ``reason`` (for a return), ``changes``: list of (label, old, new),
    ``attachments``: list of (filename, sha256).
    """
    label = _month_label(month)
    title = f"{BATCH_TITLE} — THÁNG {label}"
    doc = _Doc(title=title, subject=f"{unit_name}, tháng {label}")
    doc.footer_text = f"Hồ sơ — {unit_name} — phê duyệt tháng {label}"
    doc.line_text(f"Đơn vị: {unit_name}", size=10)
    doc.ln(3)
    doc.line_text(title, size=11.5, bold=True, align="C", height=7)
    doc.ln(2)
    approved = sum(1 for i in items if _decision(i) == "Phê duyệt")
    doc.line_text(f"Số hồ sơ trong đợt: {len(items)} (phê duyệt: {approved}, trả lại: "
                  f"{len(items) - approved}).", size=10)
    for number, item in enumerate(items, start=1):
        person = item.get("person_name", item.get("person", ""))
        revision = item.get("revision_number", item.get("revision", ""))
        doc.heading(f"{number}. {person} — phiên bản số {revision}", size=10.5)
        doc.line_text(f"Quyết định: {_decision(item)}", size=10)
        changes = list(item.get("changes") or [])
        if changes:
            doc.grid([(c[0], c[1], c[2]) for c in changes], (55, 61, 61),
                     headings=("Trường thông tin", "Giá trị cũ", "Giá trị mới"), size=9)
        else:
            doc.line_text("Không có thay đổi dữ liệu.", size=9)
        attachments = list(item.get("attachments") or [])
        if attachments:
            doc.grid([(a[0], a[1]) for a in attachments], (55, 122),
                     headings=("Tài liệu đính kèm", "SHA-256"), size=8)
    doc.ln(6)
    doc.line_text(f"{approver_title}".upper() if approver_title else "NGƯỜI PHÊ DUYỆT", size=10.5,
                  bold=True, align="R")
    doc.line_text("(Ký số)", size=9, align="R")
    doc.line_text(approver_name, size=10.5, bold=True, align="R")
    return bytes(doc.output())
