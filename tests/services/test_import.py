"""The import of existing records (services/importer.py) on the real database: CSV and xlsx, each reason a row is
refused for, idempotency by citizen ID, the resume after an interruption, the sensitive items sealed at rest."""
import csv
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select, text

from models import AuditEvent, Person, Placement, ProfileRevision, Unit
from services import importer

PROFILE = "quang-ngai"
HEADER = list(importer.COLUMNS)


def cid(serial: int, *, sex: str = "nam", born: int = 1985) -> str:
    century_sex = 2 * (born // 100 - 19) + (0 if sex == "nam" else 1)
    return f"051{century_sex}{born % 100:02d}{serial:06d}"


def row(serial: int, **changes) -> dict:
    """One person as the previous system exports them (text, as a CSV gives it)."""
    values = {
        "full_name": f"Nguyễn Văn Nhập {serial}", "sex": "Nam", "date_of_birth": "15/03/1985",
        "birthplace": "Tỉnh Quảng Ngãi", "hometown": "Tỉnh Quảng Ngãi", "ethnicity": "Kinh", "religion": "Phật giáo",
        "citizen_id": cid(serial), "citizen_id_issued_on": "01/06/2021", "phone": "0912345678",
        "residence": "Tỉnh Quảng Ngãi", "general_education": "12/12", "qualification": "Cử nhân",
        "political_theory": "Sơ cấp", "grade_code": "01.003", "grade_name": "Chuyên viên", "salary_step": "2",
        "salary_coefficient": "2,67", "salary_from": "01/01/2024", "position": "",
        "work_history": "09/2010-12/2015: Chuyên viên, Văn phòng Sở; 01/2016-nay: Chuyên viên, Sở Y tế",
        "unit_code": "SYT", "kind": "Công chức", "status": "active",
    }
    values.update(changes)
    return values


def write_csv(path: Path, rows: list[dict], header: list[str] | None = None) -> Path:
    header = header or HEADER
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for values in rows:
            writer.writerow([values.get(key, "") for key in HEADER])
    return path


async def people_count(db) -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count()).select_from(Person))).scalar_one()


async def test_a_csv_file_with_vietnamese_headers_becomes_approved_imported_records(clean_db, org, tmp_path):
    header = [importer._label(key).split("» (")[0].lstrip("«") for key in HEADER]  # «Họ và tên khai sinh», …
    path = write_csv(tmp_path / "can-bo.csv", [row(1), row(2, unit_code="SGD-LK", kind="vien_chuc", sex="Nữ",
                                                        citizen_id=cid(2, sex="nu"), hired_on="2010-09-01")],
                     header=header)
    rows = importer.read_rows(path)
    assert rows.total == 2 and rows.ignored == []
    seen = []
    report = await importer.import_rows(clean_db, rows, profile_name=PROFILE, progress=seen.append)
    assert (report.imported, report.skipped, report.bad) == (2, 0, [])
    assert seen[-1].done == 2 and seen[-1].total == 2 and seen[-1].imported == 2
    async with clean_db.session() as session:
        people = {p.citizen_id: p for p in (await session.execute(select(Person))).scalars()}
        first, second = people[cid(1)], people[cid(2, sex="nu")]
        assert first.status == "active" and first.kind == "cong_chuc" and first.unit_id == org.units["SYT"]
        assert first.hired_on == date(2010, 9, 1)  # the work history's first period
        assert first.search_name == "nguyen van nhap 1" and first.profile == PROFILE
        assert second.sex == "nu" and second.kind == "vien_chuc" and second.unit_id == org.units["SGD-LK"]
        revision = await session.get(ProfileRevision, first.current_revision_id)
        assert (revision.person_id, revision.number, revision.status, revision.kind) == (first.id, 1, "approved", "import")
        assert revision.approved_at is not None
        assert revision.data["religion"] == "Phật giáo" and revision.data["salary_coefficient"] == "2.67"
        assert revision.data["date_of_birth"] == "1985-03-15" and revision.data["sex"] == "nam"
        assert revision.data["work_history"] == [
            {"from": "09/2010", "to": "12/2015", "description": "Chuyên viên, Văn phòng Sở"},
            {"from": "01/2016", "to": "nay", "description": "Chuyên viên, Sở Y tế"}]
        assert "position" not in revision.data  # empty cells are not stored
        [placement] = (await session.execute(select(Placement).where(Placement.person_id == first.id))).scalars()
        assert (placement.unit_id, placement.from_on, placement.to_on) == (org.units["SYT"], date(2010, 9, 1), None)
        [event] = (await session.execute(select(AuditEvent).where(AuditEvent.action == "people.imported"))).scalars()
        assert event.detail["imported"] == 2 and event.detail["rows"] == [2, 3]


async def test_an_xlsx_file_with_typed_cells(clean_db, org, tmp_path):
    """Excel's own types: dates, numbers (a citizen ID typed as a number loses its leading zero), keys as headers."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    values = row(7, date_of_birth=date(1990, 2, 1), citizen_id=int("001090000007"), salary_step=1,
                 salary_coefficient=2.34, salary_from=date(2023, 7, 1), citizen_id_issued_on=date(2022, 1, 5),
                 phone=912345678, status="archived", left_on=date(2024, 12, 31), leave_reason="Thôi việc")
    sheet.append([values.get(key) for key in HEADER])
    sheet.append([None] * len(HEADER))  # an empty row is no row
    path = tmp_path / "can-bo.xlsx"
    book.save(path)
    steps = []
    report = await importer.import_rows(clean_db, importer.read_rows(path), profile_name=PROFILE, progress=steps.append)
    assert (report.imported, report.bad) == (1, []) and (steps[-1].done, steps[-1].total) == (1, 1)
    async with clean_db.session() as session:
        person = (await session.execute(select(Person))).scalar_one()
        assert person.citizen_id == "001090000007" and person.date_of_birth == date(1990, 2, 1)
        assert (person.status, person.left_on, person.leave_reason) == ("archived", date(2024, 12, 31), "resignation")
        assert person.archived_at is not None
        revision = await session.get(ProfileRevision, person.current_revision_id)
        assert revision.data["phone"] == "0912345678" and revision.data["salary_from"] == "2023-07-01"
        placement = (await session.execute(select(Placement))).scalar_one()
        assert placement.to_on == date(2024, 12, 31)


async def test_every_bad_row_is_reported_with_its_reason_and_nothing_of_it_is_stored(clean_db, org, tmp_path):
    async with clean_db.session() as session:
        merged = await session.get(Unit, org.units["SYT-DS"])
        merged.successor_id = org.units["SYT"]
    rows = [
        row(1),                                                          # 2 good
        row(2, religion=""),                                             # 3 a required item missing
        row(3, citizen_id="05108500000"),                                # 4 citizen ID of 11 digits
        row(4, citizen_id=cid(4, sex="nu")),                             # 5 citizen ID against the sex
        row(5, grade_code="99.999"),                                     # 6 a CV check (services/cv.validate)
        row(6, unit_code="KHONG-CO"),                                    # 7 unknown unit
        row(7, unit_code="SYT-DS"),                                      # 8 a merged unit
        row(8, citizen_id=cid(1)),                                       # 9 duplicate of row 2 in the file
        row(9, status="archived"),                                       # 10 archived without date or reason
        row(10, kind="thuc_tap"),                                        # 11 unknown kind
        row(11, status="nghi_phep"),                                     # 12 unknown status
        row(12, work_history="từ 2010 đến nay làm chuyên viên"),         # 13 unreadable work history
        row(13, full_name="Nguyễn " + "Văn " * 30 + "Dài"),              # 14 a name too long (the hire's checks)
        row(14, status="active", left_on="01/01/2024"),                  # 15 active with a leave date
        row(15, status="archived", left_on="01/01/2009", leave_reason="retirement"),  # 16 left before hired
        row(16, religion="Không\x00"),                                   # 17 a NUL character
        row(17, unit_code=""),                                           # 18 no unit
        row(18),                                                         # 19 good
    ]
    path = write_csv(tmp_path / "loi.csv", rows)
    report = await importer.import_rows(clean_db, importer.read_rows(path), profile_name=PROFILE)
    assert report.imported == 2 and report.skipped == 0
    reasons = dict(report.bad)
    assert sorted(reasons) == list(range(3, 19))
    expected = {
        3: "7. Tôn giáo: bắt buộc nhập.",
        4: "Số CCCD phải gồm đúng 12 chữ số.",
        5: "không khớp giới tính",
        6: "Mã ngạch không có trong danh mục",
        7: "mã đơn vị «KHONG-CO» không có trong hệ thống",
        8: "«Chi cục Dân số» (SYT-DS) đã giải thể hoặc sáp nhập",
        9: f"số CCCD {cid(1)} trùng với dòng 2 trong tệp.",
        10: "hồ sơ đã nghỉ cần ngày nghỉ",
        11: "loại «thuc_tap» không hợp lệ",
        12: "trạng thái «nghi_phep» không hợp lệ",
        13: "33. Tóm tắt quá trình công tác: ghi dạng",
        14: "Họ và tên dài quá 100 ký tự.",
        15: "hồ sơ đang công tác không có ngày nghỉ",
        16: "ngày nghỉ trước ngày tuyển dụng.",
        17: "có ký tự không hợp lệ",
        18: "thiếu mã đơn vị",
    }
    for number, words in expected.items():
        assert words in reasons[number], (number, reasons[number])
    assert "hồ sơ đã nghỉ cần lý do nghỉ" in reasons[10]
    async with clean_db.session() as session:
        stored = set((await session.execute(select(Person.citizen_id))).scalars())
        assert stored == {cid(1), cid(18)}
        assert (await session.execute(select(func.count()).select_from(ProfileRevision))).scalar_one() == 2
        assert (await session.execute(select(func.count()).select_from(Placement))).scalar_one() == 2


async def test_a_second_run_skips_every_citizen_id_already_in(clean_db, org, tmp_path):
    path = write_csv(tmp_path / "lan-1.csv", [row(n) for n in range(1, 6)])
    first = await importer.import_rows(clean_db, importer.read_rows(path), profile_name=PROFILE, batch_size=2)
    assert (first.imported, first.skipped, first.bad) == (5, 0, [])
    again = write_csv(tmp_path / "lan-2.csv", [row(n) for n in range(1, 8)])  # the same five and two more
    second = await importer.import_rows(clean_db, importer.read_rows(again), profile_name=PROFILE, batch_size=2)
    assert (second.imported, second.skipped, second.bad) == (2, 5, [])
    assert await people_count(clean_db) == 7
    async with clean_db.session() as session:
        events = list((await session.execute(select(AuditEvent).where(AuditEvent.action == "people.imported")
                                             .order_by(AuditEvent.seq))).scalars())
    assert [e.detail["imported"] for e in events] == [2, 2, 1, 1, 1]  # one event per batch that stored something


class Interrupted(Exception):
    pass


async def test_an_interrupted_import_resumes_and_every_row_is_in_exactly_once(clean_db, org, tmp_path):
    path = write_csv(tmp_path / "lon.csv", [row(n) for n in range(1, 11)] + [row(11, grade_code="x")])

    def stop_after_two_batches(step: importer.ImportProgress) -> None:
        if step.done >= 6:
            raise Interrupted

    with pytest.raises(Interrupted):
        await importer.import_rows(clean_db, importer.read_rows(path), profile_name=PROFILE, batch_size=3,
                                   progress=stop_after_two_batches)
    assert await people_count(clean_db) == 6  # the two committed batches
    steps = []
    report = await importer.import_rows(clean_db, importer.read_rows(path), profile_name=PROFILE, batch_size=3,
                                        progress=steps.append)
    assert (report.imported, report.skipped, [n for n, _ in report.bad]) == (4, 6, [12])
    assert [s.done for s in steps] == [3, 6, 9, 11] and steps[-1].total == 11
    async with clean_db.session() as session:
        counts = (await session.execute(select(Person.citizen_id, func.count()).group_by(Person.citizen_id))).all()
        assert sorted(c for c, _ in counts) == sorted(cid(n) for n in range(1, 11)) and {n for _, n in counts} == {1}
        revisions = (await session.execute(select(ProfileRevision.person_id, func.count())
                                           .group_by(ProfileRevision.person_id))).all()
        assert len(revisions) == 10 and {n for _, n in revisions} == {1}


async def test_sensitive_items_are_sealed_at_rest(clean_db, org, tmp_path):
    path = write_csv(tmp_path / "nhay-cam.csv", [row(1, ethnicity="Hrê", religion="Công giáo")])
    await importer.import_rows(clean_db, importer.read_rows(path), profile_name=PROFILE)
    async with clean_db.session() as session:
        [stored] = (await session.execute(text("SELECT data::text FROM profile_revisions"))).scalars()
        revision = (await session.execute(select(ProfileRevision))).scalar_one()
    assert "Hrê" not in stored and "Công giáo" not in stored and '"enc": "A256GCM"' in stored
    assert "Tỉnh Quảng Ngãi" in stored  # the rest is in clear, for the search and the exports
    assert (revision.data["ethnicity"], revision.data["religion"]) == ("Hrê", "Công giáo")


async def test_rows_built_by_code_with_typed_values(clean_db, org):
    """The library API as bench/province.py calls it: (number, dict) pairs, no file."""
    rows = [(n + 1, {**row(n), "date_of_birth": date(1985, 3, 15), "salary_step": 2}) for n in range(1, 4)]
    report = await importer.import_rows(clean_db, rows, profile_name=PROFILE)
    assert (report.imported, report.bad) == (3, []) and report.seconds > 0


def test_a_file_that_cannot_be_read_is_refused_at_once(tmp_path):
    missing = write_csv(tmp_path / "thieu.csv", [], header=["full_name", "sex"])
    with pytest.raises(importer.ImportFileRefused, match="thiếu cột: .*«Ngày sinh» \\(date_of_birth\\)"):
        importer.read_rows(missing)
    twice = tmp_path / "trung.csv"
    twice.write_text(",".join(HEADER + ["Họ và tên khai sinh"]) + "\n", encoding="utf-8")
    with pytest.raises(importer.ImportFileRefused, match="trùng với cột «full_name»"):
        importer.read_rows(twice)
    legacy = tmp_path / "cu.csv"
    legacy.write_bytes(",".join(HEADER).encode() + b"\nNguy\xea\xf1n")
    with pytest.raises(importer.ImportFileRefused, match="UTF-8"):
        importer.read_rows(legacy)
    xls = tmp_path / "cu.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(importer.ImportFileRefused, match="Excel 97-2003"):
        importer.read_rows(xls)
    empty = tmp_path / "rong.csv"
    empty.write_bytes(b"")
    with pytest.raises(importer.ImportFileRefused, match="Tệp trống"):
        importer.read_rows(empty)
    extra = write_csv(tmp_path / "them.csv", [], header=HEADER + ["Ghi chú"])
    assert importer.read_rows(extra).ignored == ["Ghi chú"]
