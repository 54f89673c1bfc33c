"""The CV and approval-batch PDFs: Vietnamese text must come back intact through pdftotext."""
from datetime import datetime, timezone

import pytest

from services.cv import FIELDS
from services.pdf import render_approval_batch, render_cv
from tests.services.signing.conftest import CV_DATA, pdf_text

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
ITEMS = [
    {"person_name": "Nguyễn Văn An", "revision_number": 3, "decision": "approved",
     "changes": [("30. Bậc lương", "2", "3"), ("30. Hệ số lương", "2.67", "3.00")],
     "attachments": [("quyet-dinh-nang-bac-luong.pdf", SHA)]},
    {"person_name": "Lê Thị Cúc", "revision_number": 1, "decision": "returned",
     "reason": "Thiếu bản chụp CCCD mặt sau", "changes": [], "attachments": []},
]


def test_cv_text_is_intact(cv_pdf, tmp_path):
    assert cv_pdf.startswith(b"%PDF-")
    text = pdf_text(cv_pdf, tmp_path)
    assert "SƠ YẾU LÝ LỊCH CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC" in text
    for needle in ("Cơ quan quản lý", "Ủy ban nhân dân tỉnh Quảng Ngãi", "Đơn vị sử dụng",
                   "Sở Nội vụ tỉnh Quảng Ngãi", "Số hiệu"):
        assert needle in text
    for label, _ in FIELDS.values():
        assert label in text, label
    for value in ("Nguyễn Văn An", "Họ và tên khai sinh", "Quê quán", "Xã Nghĩa Hành, tỉnh Quảng Ngãi",
                  "Nam", "17/05/1990", "01/07/2021", "01/01/2023", "051090000123", "Cử nhân Luật",
                  "Phó Trưởng phòng Tổ chức cán bộ", "Chuyên viên Văn phòng Sở Nội vụ tỉnh Quảng Ngãi",
                  "09/2012", "12/2015", "nay"):
        assert value in text, value
    assert "1990-05-17" not in text  # dates are dd/mm/yyyy
    assert "05/03/2025 14:30" in text  # generation time in Asia/Ho_Chi_Minh


def test_cv_female_and_missing_fields(tmp_path):
    data = dict(CV_DATA, sex="nu", full_name="Lê Thị Cúc", position=None, work_history=[])
    pdf = render_cv(person_name="Lê Thị Cúc", unit_name="UBND xã Tịnh Khê", managing_body="UBND tỉnh",
                    cv_data=data, revision_number=1, generated_at=datetime(2025, 12, 31, 20, 0))
    text = pdf_text(pdf, tmp_path)
    assert "Nữ" in text and "Lê Thị Cúc" in text
    assert "01/01/2026 03:00" in text  # naive time is UTC; shown in Việt Nam time


def test_approval_batch_text(tmp_path):
    pdf = render_approval_batch(unit_name="Sở Nội vụ tỉnh Quảng Ngãi", month="2025-03",
                                approver_name="Trần Thị Bình", approver_title="Giám đốc", items=ITEMS)
    text = pdf_text(pdf, tmp_path)
    assert "PHÊ DUYỆT DỮ LIỆU CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC — THÁNG 03/2025" in text
    for needle in ("Sở Nội vụ tỉnh Quảng Ngãi", "Nguyễn Văn An", "phiên bản số 3", "Phê duyệt",
                   "Trả lại: Thiếu bản chụp CCCD mặt sau", "30. Hệ số lương", "2.67", "3.00",
                   "quyet-dinh-nang-bac-luong.pdf", SHA, "Trần Thị Bình", "GIÁM ĐỐC"):
        assert needle in text, needle


def test_approval_batch_rejects_bad_input():
    with pytest.raises(ValueError, match="YYYY-MM"):
        render_approval_batch(unit_name="X", month="03-2025", approver_name="A", approver_title="B", items=[])
    with pytest.raises(ValueError, match="approved"):
        render_approval_batch(unit_name="X", month="2025-03", approver_name="A", approver_title="B",
                              items=[{"person_name": "A", "revision_number": 1, "decision": "maybe"}])


def test_approval_batch_accepts_the_approval_service_item_shape(tmp_path):
    """services/approvals.py passes person/revision and the decision already in Vietnamese."""
    items = [{"person": "Nguyễn Văn An", "revision": 2, "decision": "Trả lại: Sai ngày cấp CCCD",
              "changes": [("8. Ngày cấp CCCD", "01/07/2021", "01/07/2022")], "attachments": []}]
    pdf = render_approval_batch(unit_name="Sở Y tế", month="2025-11", approver_name="Võ Thị Lan",
                                approver_title="Thủ trưởng đơn vị", items=items)
    text = pdf_text(pdf, tmp_path)
    for needle in ("THÁNG 11/2025", "1. Nguyễn Văn An — phiên bản số 2", "Trả lại: Sai ngày cấp CCCD",
                   "phê duyệt: 0, trả lại: 1", "THỦ TRƯỞNG ĐƠN VỊ", "Võ Thị Lan"):
        assert needle in text, needle
