"""Fixtures for the PDF and signature tests: a development CA in a temporary directory,
sample CV data, and poppler's command-line tools (required: a missing tool fails the test)."""
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from services.signing import devca

POPPLER_HINT = "apt-get install poppler-utils"


def poppler(tool: str) -> str:
    found = shutil.which(tool) or (f"/usr/bin/{tool}" if Path(f"/usr/bin/{tool}").exists() else None)
    if not found:
        pytest.fail(f"{tool} not found: {POPPLER_HINT}", pytrace=False)
    return found


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "text.pdf"
    path.write_bytes(pdf)
    return subprocess.run([poppler("pdftotext"), "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True).stdout.decode("utf-8")


CV_DATA = {
    "full_name": "Nguyễn Văn An",
    "sex": "nam",
    "other_names": "",
    "date_of_birth": "1990-05-17",
    "birthplace": "Xã Tịnh Khê, tỉnh Quảng Ngãi",
    "hometown": "Xã Nghĩa Hành, tỉnh Quảng Ngãi",
    "ethnicity": "Kinh",
    "religion": "Không",
    "citizen_id": "051090000123",
    "citizen_id_issued_on": "2021-07-01",
    "phone": "0912345678",
    "residence": "Phường Trần Phú, thành phố Quảng Ngãi",
    "general_education": "12/12",
    "qualification": "Cử nhân Luật",
    "political_theory": "Trung cấp",
    "grade_code": "01.003",
    "grade_name": "Chuyên viên",
    "salary_step": 3,
    "salary_coefficient": "3.00",
    "salary_from": "2023-01-01",
    "position": "Phó Trưởng phòng Tổ chức cán bộ",
    "work_history": [
        {"from": "09/2012", "to": "12/2015", "description": "Chuyên viên Phòng Tư pháp huyện Sơn Tịnh"},
        {"from": "01/2016", "to": "nay", "description": "Chuyên viên Văn phòng Sở Nội vụ tỉnh Quảng Ngãi"},
    ],
}
GENERATED_AT = datetime(2025, 3, 5, 7, 30, tzinfo=timezone.utc)  # 14:30 in Hà Nội


@pytest.fixture(scope="module")
def ca_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("devca")


@pytest.fixture(scope="module")
def ca_cert(ca_dir):
    return devca.ensure_dev_ca(ca_dir)[0]


@pytest.fixture(scope="module")
def competent(ca_dir, ca_cert):
    devca.ensure_user_credential(ca_dir, "binh.tran", "Trần Thị Bình", title="Giám đốc",
                                 unit="Sở Nội vụ tỉnh Quảng Ngãi")
    return devca.signer_for_user(ca_dir, "binh.tran")


@pytest.fixture(scope="module")
def agency(ca_dir, ca_cert):
    devca.ensure_agency_credential(ca_dir, "Sở Nội vụ tỉnh Quảng Ngãi", "SNV-QNG")
    return devca.signer_for_agency(ca_dir, "SNV-QNG")


@pytest.fixture(scope="module")
def cv_pdf() -> bytes:
    from services.pdf import render_cv
    return render_cv(person_name="Nguyễn Văn An", unit_name="Sở Nội vụ tỉnh Quảng Ngãi",
                     managing_body="Ủy ban nhân dân tỉnh Quảng Ngãi", cv_data=CV_DATA,
                     revision_number=3, generated_at=GENERATED_AT)
