"""The CV form (sơ yếu lý lịch, TT 06/2023/TT-BNV, first sections) and its validation.

A draft keeps whatever was typed; submitting requires the whole form to be valid. Every
message is in Vietnamese and names the field.
"""
import re
from datetime import date
from decimal import Decimal
from typing import Any

from services.catalogs import (
    CITIZEN_ID_PROVINCES, EDUCATION_LEVELS, GRADES, POLITICAL_THEORY, SALARY_GROUPS, coefficient,
)
from models.people import SENSITIVE_CV_FIELDS

MIN_WORKING_AGE = 18  # Bộ luật Lao động 2019 Điều 143 (chưa thành niên làm việc là ngoại lệ)

# field: (label, required) in the order of the form (TT 06/2023 items)
FIELDS: dict[str, tuple[str, bool]] = {
    "full_name": ("1. Họ và tên khai sinh", True),
    "sex": ("1. Giới tính", True),
    "other_names": ("2. Các tên gọi khác", False),
    "date_of_birth": ("3. Ngày sinh", True),
    "birthplace": ("4. Nơi sinh", True),
    "hometown": ("5. Quê quán", True),
    "ethnicity": ("6. Dân tộc", True),
    "religion": ("7. Tôn giáo", True),
    "citizen_id": ("8. Số CCCD / định danh cá nhân", True),
    "citizen_id_issued_on": ("8. Ngày cấp CCCD", True),
    "phone": ("8. Số điện thoại", False),
    "residence": ("10. Nơi ở hiện nay / thường trú", True),
    "general_education": ("19. Trình độ giáo dục phổ thông", True),
    "qualification": ("20. Trình độ chuyên môn cao nhất", True),
    "political_theory": ("32. Lý luận chính trị", True),
    "grade_code": ("30. Mã ngạch / chức danh nghề nghiệp", True),
    "grade_name": ("30. Ngạch / chức danh nghề nghiệp", True),
    "salary_step": ("30. Bậc lương", True),
    "salary_coefficient": ("30. Hệ số lương", True),
    "salary_from": ("30. Ngày hưởng", True),
    "position": ("23. Chức vụ hiện tại", False),
    "work_history": ("33. Tóm tắt quá trình công tác", True),
}
# Sensitive personal data (Nghị định 13/2023/NĐ-CP Điều 2.4): encrypted at rest and masked for those who need not
# see them (services/permissions.sees_sensitive). Defined beside the model (models/people.py), which seals them.
SENSITIVE_FIELDS: frozenset[str] = SENSITIVE_CV_FIELDS
MASKED = "Đã ẩn (dữ liệu cá nhân nhạy cảm)"
SEX = {"nam": "Nam", "nu": "Nữ"}
# Digits are ASCII only: `\d` and str.isdigit() also take «²» or «٣», which int() refuses or reads as another digit.
MONTH = re.compile(r"^(0[1-9]|1[0-2])/(19|20)[0-9][0-9]$")
STEP = re.compile(r"^[0-9]{1,3}$")
COEFFICIENT = re.compile(r"^[0-9]{1,2}([.,][0-9]{1,4})?$")


def masked(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of the CV with every sensitive item present replaced by MASKED (empty ones too: «none» is telling)."""
    return {name: MASKED if name in SENSITIVE_FIELDS else value for name, value in data.items()}


def citizen_id_error(value: str, *, sex: str | None = None, born: date | None = None) -> str | None:
    """Why a 12-digit citizen ID is invalid, or None (TT 59/2021/TT-BCA structure)."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{12}", value):
        return "Số CCCD phải gồm đúng 12 chữ số."
    if value[:3] not in CITIZEN_ID_PROVINCES:
        return f"Mã tỉnh nơi đăng ký khai sinh «{value[:3]}» trong số CCCD không tồn tại."
    century_sex = int(value[3])
    if born is not None:
        century = (born.year // 100) - 19  # 1900s → 0, 2000s → 1, ...
        if not 0 <= century <= 4 or century_sex // 2 != century:
            return "Chữ số thứ 4 của số CCCD không khớp thế kỷ của năm sinh."
        if value[4:6] != f"{born.year % 100:02d}":
            return "Chữ số thứ 5-6 của số CCCD không khớp năm sinh."
    if isinstance(sex, str) and sex in SEX and century_sex % 2 != (0 if sex == "nam" else 1):
        return "Chữ số thứ 4 của số CCCD không khớp giới tính."
    return None


def birth_date_error(born: date | None, today: date) -> str | None:
    if born is None:
        return "Ngày sinh không hợp lệ."
    if born > today:
        return "Ngày sinh không được ở tương lai."
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age < MIN_WORKING_AGE:
        return f"Người được tuyển dụng phải từ đủ {MIN_WORKING_AGE} tuổi."
    return None


def parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for parse in (date.fromisoformat, _parse_vn_date):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def _parse_vn_date(text: str) -> date:
    if not text.isascii():
        raise ValueError(text)
    day, month, year = text.split("/")
    return date(int(year), int(month), int(day))


def validate(data: dict[str, Any], today: date) -> tuple[dict[str, Any], dict[str, str]]:
    """Return (clean data, errors by field) for a submission."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, (label, required) in FIELDS.items():
        value = data.get(name)
        if isinstance(value, str):
            value = value.strip()
        if required and value in (None, "", []):
            errors[name] = f"{label}: bắt buộc nhập."
        clean[name] = value
    if errors:
        return clean, errors
    _check_identity(clean, errors, today)
    _check_salary(clean, errors)
    _check_choices(clean, errors)
    _check_history(clean, errors)
    return clean, errors


def _check_identity(clean: dict, errors: dict, today: date) -> None:
    if not isinstance(clean["sex"], str) or clean["sex"] not in SEX:
        errors["sex"] = "Giới tính phải là Nam hoặc Nữ."
    born = parse_date(clean["date_of_birth"])
    if (msg := birth_date_error(born, today)):
        errors["date_of_birth"] = msg
    else:
        clean["date_of_birth"] = born.isoformat()
    issued = parse_date(clean["citizen_id_issued_on"])
    if issued is None or issued > today or (born and issued < born):
        errors["citizen_id_issued_on"] = "Ngày cấp CCCD không hợp lệ."
    else:
        clean["citizen_id_issued_on"] = issued.isoformat()
    if (msg := citizen_id_error(clean["citizen_id"], sex=clean["sex"], born=born)):
        errors["citizen_id"] = msg
    phone = clean.get("phone")
    if phone and not (isinstance(phone, str) and re.fullmatch(r"0[0-9]{9}", phone.replace(" ", ""))):
        errors["phone"] = "Số điện thoại phải gồm 10 chữ số, bắt đầu bằng 0."


def _check_salary(clean: dict, errors: dict) -> None:
    grade = GRADES.get(clean["grade_code"]) if isinstance(clean["grade_code"], str) else None
    step, coef = clean["salary_step"], str(clean["salary_coefficient"])
    if not (type(step) is int or (isinstance(step, str) and STEP.match(step))) or not COEFFICIENT.match(coef):
        errors["salary_step"] = "Bậc lương và hệ số lương phải là số."
        return
    step, coef = int(step), Decimal(coef.replace(",", "."))
    clean["salary_step"], clean["salary_coefficient"] = step, f"{coef:.2f}"
    if grade is None:
        errors["grade_code"] = f"Mã ngạch không có trong danh mục; các mã hợp lệ: {', '.join(GRADES)}."
        return
    group = grade[1]
    steps = SALARY_GROUPS[group][2]
    if not 1 <= step <= steps:
        errors["salary_step"] = f"Ngạch {grade[0]} (loại {group}) có {steps} bậc; bậc {step} không hợp lệ."
    elif coefficient(group, step) != coef:
        errors["salary_coefficient"] = (
            f"Hệ số bậc {step} loại {group} là {coefficient(group, step):.2f}, không phải {coef:.2f}.")
    salary_from = parse_date(clean["salary_from"])
    if salary_from is None:
        errors["salary_from"] = "Ngày hưởng bậc lương không hợp lệ."
    else:
        clean["salary_from"] = salary_from.isoformat()


def _check_choices(clean: dict, errors: dict) -> None:
    if clean["general_education"] not in EDUCATION_LEVELS:
        errors["general_education"] = f"Chọn một trong: {', '.join(EDUCATION_LEVELS)}."
    if clean["political_theory"] not in POLITICAL_THEORY:
        errors["political_theory"] = f"Chọn một trong: {', '.join(POLITICAL_THEORY)}."


def _check_history(clean: dict, errors: dict) -> None:
    periods = clean["work_history"]
    if not isinstance(periods, list):
        errors["work_history"] = "Quá trình công tác phải là danh sách các giai đoạn."
        return
    for number, period in enumerate(periods, start=1):
        if not isinstance(period, dict):
            errors["work_history"] = f"Giai đoạn {number}: ghi từ tháng/năm, đến tháng/năm và nội dung công tác."
            return
        start, end = str(period.get("from", "")).strip(), str(period.get("to", "")).strip()
        if not MONTH.match(start) or not (end == "nay" or MONTH.match(end)):
            errors["work_history"] = (
                f"Giai đoạn {number}: thời gian ghi dạng tháng/năm (mm/yyyy), «đến» có thể là «nay».")
            return
        if end != "nay" and (int(end[3:]), int(end[:2])) < (int(start[3:]), int(start[:2])):
            errors["work_history"] = f"Giai đoạn {number}: «đến» trước «từ»."
            return
        if not str(period.get("description", "")).strip():
            errors["work_history"] = f"Giai đoạn {number}: ghi chức danh, chức vụ, đơn vị công tác."
            return
