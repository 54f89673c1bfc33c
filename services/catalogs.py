"""Catalogues used to validate CV entries.

Salary tables: Nghị định 204/2004/NĐ-CP, bảng 2 (chuyên môn, nghiệp vụ), as commonly
transcribed (see ../shared/REGULATIONS.md). Grade codes: ngạch công chức hành chính.
"""
from decimal import Decimal

# group: (first coefficient, step increase, number of steps)
SALARY_GROUPS: dict[str, tuple[str, str, int]] = {
    "A3.1": ("6.20", "0.36", 6),
    "A3.2": ("5.75", "0.36", 6),
    "A2.1": ("4.40", "0.34", 8),
    "A2.2": ("4.00", "0.34", 8),
    "A1": ("2.34", "0.33", 9),
    "A0": ("2.10", "0.31", 10),
    "B": ("1.86", "0.20", 12),
    "C1": ("1.65", "0.18", 12),
    "C2": ("1.50", "0.18", 12),
    "C3": ("1.35", "0.18", 12),
}

# code: (name, salary group)
GRADES: dict[str, tuple[str, str]] = {
    "01.001": ("Chuyên viên cao cấp", "A3.1"),
    "01.002": ("Chuyên viên chính", "A2.1"),
    "01.003": ("Chuyên viên", "A1"),
    "01.004": ("Cán sự", "A0"),
    "01.005": ("Nhân viên", "B"),
}

EDUCATION_LEVELS = ["9/12", "10/10", "12/12"]
POLITICAL_THEORY = ["Chưa qua đào tạo", "Sơ cấp", "Trung cấp", "Cao cấp", "Cử nhân"]


def coefficient(group: str, step: int) -> Decimal:
    first, increase, _ = SALARY_GROUPS[group]
    return Decimal(first) + Decimal(increase) * (step - 1)


# Province codes of the 12-digit citizen ID (first three digits, Thông tư 59/2021/TT-BCA).
CITIZEN_ID_PROVINCES = {
    "001", "002", "004", "006", "008", "010", "011", "012", "014", "015", "017", "019", "020",
    "022", "024", "025", "026", "027", "030", "031", "033", "034", "035", "036", "037", "038",
    "040", "042", "044", "045", "046", "048", "049", "051", "052", "054", "056", "058", "060",
    "062", "064", "066", "067", "068", "070", "072", "074", "075", "077", "079", "080", "082",
    "083", "084", "086", "087", "089", "091", "092", "093", "094", "095", "096",
}
