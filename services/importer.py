"""Import of existing records from the province's previous system (`hoso import FILE`, bench/province.py).

A row is one person as the previous system exports it: the CV items of TT 06/2023 (`services/cv.FIELDS`, by key
or by their Vietnamese label), the unit's code, the kind (`models/people.PERSON_KINDS`), the status (active, or
archived with a leave date and a `models/transfers.LEAVING_REASONS` reason) and optionally the hiring date (else
the start of the first period of the work history) and an e-mail address. A valid row becomes what the demo's
imported staff are (bootstrap/demo_people._import_existing): a Person, an approved ProfileRevision of kind
`import` (its current version) and a Placement since the hiring date (ended on the leave date when archived).

Unlike `hoso units import`, a bad row does not refuse the file: a province's file of 60,000 rows must not fail
for one of them. Every bad row is reported with its number and a Vietnamese reason, nothing of it is stored,
and the good rows are imported. A citizen ID already in the database is skipped and counted, never duplicated;
a citizen ID seen on an earlier row of the file makes the later row bad.

Rows go in by batches (`batch_size` rows read per transaction, each batch a few multi-row INSERTs), each its own
unit of work (`Database.session()`, which commits) with one audit event for the batch. A crash loses at most
the batch in flight; running the same file again skips what is in (by citizen ID), so every row ends up in
exactly once. The inserts go through the tables' column types, so the sensitive CV items are sealed at rest
(models/sealed.SealedJSONB) as on every other write. No Temporal workflow is started per person: retirement
foresight is the daily RetirementScan, which finds imported people as it finds the others.
"""
import csv
import functools
import json
import re
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy import insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from unidecode import unidecode

from core.db import Database
from models import Person, Placement, ProfileRevision, Unit
from models.people import PERSON_KINDS
from models.transfers import LEAVING_REASONS
from rules.clock import local_date
from rules.profiles import Profile, profile_versions
from services import audit, cv, people
from services.errors import Invalid

ACTOR = "system"  # the audit log's actor for an import (the command line's too)
CHANGE_REASON = "Chuyển từ hệ thống cũ"
STATUSES = {"active": "Đang công tác", "archived": "Đã nghỉ"}
# Columns besides the CV items: key → Vietnamese header.
EXTRA_COLUMNS = {
    "unit_code": "Mã đơn vị",
    "kind": "Loại",
    "status": "Trạng thái",
    "hired_on": "Ngày tuyển dụng",
    "left_on": "Ngày nghỉ",
    "leave_reason": "Lý do nghỉ",
    "email": "Thư điện tử",
}
REQUIRED_COLUMNS = [name for name, (_, required) in cv.FIELDS.items() if required] + ["unit_code", "kind"]
COLUMNS = [*cv.FIELDS, *EXTRA_COLUMNS]
DATE_COLUMNS = {"date_of_birth", "citizen_id_issued_on", "salary_from", "hired_on", "left_on"}
PERIOD = re.compile(r"^\s*([0-9]{1,2}/[0-9]{4})\s*[-–—]\s*([0-9]{1,2}/[0-9]{4}|nay)\s*[:|]\s*(.+?)\s*$",
                    re.IGNORECASE | re.DOTALL)
ITEM_NUMBER = re.compile(r"^[0-9]+\.\s*")
PERIOD_FORMAT = "«mm/yyyy-mm/yyyy: chức danh, đơn vị» («đến» có thể là «nay»), các giai đoạn cách nhau bằng dấu «;»"


def _fold(text_: str) -> str:
    """A header or a choice as compared: no diacritics, lower case, single spaces, no item number («1. »)."""
    folded = " ".join(unidecode(str(text_)).lower().replace("_", " ").split())
    return ITEM_NUMBER.sub("", folded)


def _aliases() -> dict[str, str]:
    names: dict[str, str] = {}
    for key, (label, _) in cv.FIELDS.items():
        names[_fold(key)] = key
        names.setdefault(_fold(label), key)
    for key, label in EXTRA_COLUMNS.items():
        names[_fold(key)] = key
        names[_fold(label)] = key
    names.update({_fold(alias): key for alias, key in (
        ("Họ và tên", "full_name"), ("Họ tên", "full_name"), ("Số CCCD", "citizen_id"), ("CCCD", "citizen_id"),
        ("Số định danh cá nhân", "citizen_id"), ("Mã ngạch", "grade_code"), ("Ngạch", "grade_name"),
        ("Chức vụ", "position"), ("Quá trình công tác", "work_history"), ("Nơi ở hiện nay", "residence"),
        ("Email", "email"), ("Đơn vị", "unit_code"), ("Loại cán bộ", "kind"), ("Ngày nghỉ việc", "left_on"))})
    return names


HEADERS = _aliases()
KINDS = {**{_fold(k): k for k in PERSON_KINDS}, **{_fold(v): k for k, v in PERSON_KINDS.items()}}
REASONS = {**{_fold(k): k for k in LEAVING_REASONS}, **{_fold(v): k for k, v in LEAVING_REASONS.items()}}
STATUS_NAMES = {**{_fold(k): k for k in STATUSES}, **{_fold(v): k for k, v in STATUSES.items()},
                _fold("Đã lưu trữ"): "archived", _fold("Lưu trữ"): "archived", _fold("Đã nghỉ việc"): "archived"}
SEXES = {_fold(k): k for k in cv.SEX} | {_fold(v): k for k, v in cv.SEX.items()}


class ImportFileRefused(Invalid):
    """The file cannot be read as a whole (format, encoding, header): nothing was read from it."""

    def __init__(self, message: str):
        super().__init__(message, "bad_import_file")


# ---- reading a file -----------------------------------------------------------------------------

class RowReader(Iterator[tuple[int, dict]]):
    """The rows of a file, read lazily: (row number as the spreadsheet shows it, {column key: raw value}).

    `total` is the number of data rows (an estimate for xlsx: the sheet's recorded dimension, which may count
    trailing empty rows); `ignored` the headers that name no known column."""

    def __init__(self, rows: Iterator[tuple[int, dict]], total: int | None, ignored: list[str]):
        self._rows, self.total, self.ignored = rows, total, ignored

    def __iter__(self) -> "RowReader":
        return self

    def __next__(self) -> tuple[int, dict]:
        return next(self._rows)


def read_rows(path: Path) -> RowReader:
    """The rows of a CSV (UTF-8, comma, semicolon or tab) or xlsx (first sheet) file whose first non-empty row is
    the header. Raises ImportFileRefused at once when the file or its header is unusable."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            magic = handle.read(8)
    except OSError as err:
        raise ImportFileRefused(f"Không đọc được tệp {path.name}: {err.strerror or err}.") from None
    if not magic:
        raise ImportFileRefused("Tệp trống.")
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileRefused("Tệp .xls (Excel 97-2003) không được hỗ trợ: lưu lại dưới dạng .xlsx hoặc CSV UTF-8.")
    if magic.startswith(b"PK\x03\x04"):
        return _xlsx_rows(path)
    return _csv_rows(path)


def _csv_rows(path: Path) -> RowReader:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            sample = handle.readline()
            delimiter = max(",;\t", key=sample.count) if any(d in sample for d in ",;\t") else ","
            handle.seek(0)
            total = sum(1 for record in csv.reader(handle, delimiter=delimiter) if any(v.strip() for v in record))
    except UnicodeDecodeError:
        raise ImportFileRefused("Tệp CSV phải được lưu với bảng mã UTF-8 (trong Excel: «CSV UTF-8»).") from None

    def records() -> Iterator[tuple[int, list]]:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            for record in reader:
                yield reader.line_num, record  # the line a record starts on, for one-line records

    numbered = _numbered(records())
    header = _header(numbered)
    return RowReader(_mapped(numbered, header), max(0, total - 1), header[2])


def _xlsx_rows(path: Path) -> RowReader:
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as err:
        raise ImportFileRefused(f"Không đọc được tệp Excel ({type(err).__name__}).") from None
    sheet = book.worksheets[0]

    def records() -> Iterator[tuple[int, list]]:
        try:
            yield from enumerate(sheet.iter_rows(values_only=True), start=1)
        finally:
            book.close()

    numbered = _numbered(records())
    try:
        header = _header(numbered)
    except ImportFileRefused:
        book.close()
        raise
    total = sheet.max_row - header[0] if sheet.max_row else None
    return RowReader(_mapped(numbered, header), total, header[2])


def _numbered(records: Iterator[tuple[int, list]]) -> Iterator[tuple[int, list]]:
    """The non-empty records, each with its row number."""
    for number, values in records:
        if any(v is not None and str(v).strip() for v in values):
            yield number, list(values)


def _header(numbered: Iterator[tuple[int, list]]) -> tuple[int, dict[int, str], list[str]]:
    """(row number, column index → key, ignored headers) from the first non-empty row."""
    try:
        number, values = next(numbered)
    except StopIteration:
        raise ImportFileRefused("Tệp trống.") from None
    at: dict[int, str] = {}
    ignored, first_at = [], {}
    for index, value in enumerate(values):
        name = "" if value is None else str(value).lstrip("\ufeff").strip()
        key = HEADERS.get(_fold(name)) if name else None
        if key is None:
            if name:
                ignored.append(name)
            continue
        if key in first_at:
            raise ImportFileRefused(f"Dòng {number} (tiêu đề): cột «{name}» trùng với cột «{first_at[key]}» "
                                    f"(cùng là {_label(key)}).")
        at[index], first_at[key] = key, name
    missing = [c for c in REQUIRED_COLUMNS if c not in first_at]
    if missing:
        raise ImportFileRefused(f"Dòng {number} (tiêu đề) thiếu cột: {', '.join(_label(c) for c in missing)}. "
                                "Tên cột là mã trường (full_name, …, unit_code, kind, status) hoặc tên mục của "
                                "sơ yếu lý lịch.")
    return number, at, ignored


def _mapped(numbered: Iterator[tuple[int, list]], header: tuple[int, dict[int, str], list[str]]):
    _, at, _ = header
    for number, values in numbered:
        yield number, {key: values[i] if i < len(values) else None for i, key in at.items()}


def _label(key: str) -> str:
    label = cv.FIELDS[key][0] if key in cv.FIELDS else EXTRA_COLUMNS[key]
    return f"«{ITEM_NUMBER.sub('', label)}» ({key})"


# ---- checking a row -----------------------------------------------------------------------------

@dataclass
class _Record:
    row: int
    person: dict[str, Any]  # people columns, without ids
    data: dict[str, Any]  # the revision's CV
    unit_id: int
    hired_on: date
    left_on: date | None


@dataclass(frozen=True)
class _UnitInfo:
    id: int
    name: str
    merged: bool
    valid_to: date | None


@functools.lru_cache(maxsize=1024)
def _key(name: str) -> str:
    """A column's key from its key or header (rows built by code may use either)."""
    return name if name in COLUMNS else HEADERS.get(_fold(name), name)


def _value(value: Any) -> Any:
    """A cell as the checks read it: text NFC and trimmed (None when empty), an Excel date a date, an integral
    number an int."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (int, float, date, list, dict)):
        return value
    value = unicodedata.normalize("NFC", str(value)).strip()
    return value or None


def _unstorable(value: Any) -> bool:
    """A NUL, another control character than tab and line breaks, or an unpaired surrogate (PostgreSQL refuses
    NUL in text and jsonb; the others have no place in a record)."""
    return isinstance(value, str) and any(
        (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r") or unicodedata.category(ch) == "Cs" for ch in value)


def _periods(value: Any) -> Any:
    """The work history from its text: JSON (a list of {from, to, description}) or «mm/yyyy-mm/yyyy: …; …»."""
    if not isinstance(value, str):
        return value
    if value.startswith("["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    periods = []
    for part in re.split(r"[;\n]+", value):
        if not part.strip():
            continue
        match = PERIOD.match(part)
        if match is None:
            return value
        start, end, description = match.groups()
        periods.append({"from": start.zfill(7), "to": "nay" if end.lower() == "nay" else end.zfill(7),
                        "description": " ".join(description.split())})
    return periods


def _date(value: Any) -> date | None:
    return cv.parse_date(value) if value is not None else None


def _check(number: int, raw: dict, today: date, units: dict[str, _UnitInfo], versions: list[Profile],
           now: datetime) -> _Record | str:
    """The row as it will be stored, or why it cannot be (every problem of the row, in Vietnamese)."""
    values = {_key(k): _value(v) for k, v in raw.items()}
    bad_text = [k for k, v in values.items() if k in COLUMNS and _unstorable(v)]
    if bad_text:
        return f"có ký tự không hợp lệ (ký tự điều khiển) ở cột {', '.join(_label(k) for k in bad_text)}."
    problems: list[str] = []
    citizen_id = values.get("citizen_id")
    if isinstance(citizen_id, int):  # a number in Excel loses its leading zeros
        values["citizen_id"] = str(citizen_id).zfill(12)
    phone = values.get("phone")
    if isinstance(phone, int):
        values["phone"] = "0" + str(phone) if len(str(phone)) == 9 else str(phone)
    if isinstance(values.get("sex"), str):
        values["sex"] = SEXES.get(_fold(values["sex"]), values["sex"])
    if isinstance(values.get("salary_coefficient"), (int, float)):
        values["salary_coefficient"] = str(values["salary_coefficient"])
    for key in ("citizen_id_issued_on", "salary_from"):
        if isinstance(values.get(key), date):
            values[key] = values[key].isoformat()
    history = _periods(values.get("work_history"))
    if isinstance(values.get("work_history"), str) and isinstance(history, str):
        problems.append(f"{cv.FIELDS['work_history'][0]}: ghi dạng {PERIOD_FORMAT}.")
        history = None
    values["work_history"] = history
    clean, errors = cv.validate({k: v for k, v in values.items() if k in cv.FIELDS}, today)
    problems.extend(errors.values())

    kind = KINDS.get(_fold(values["kind"])) if values.get("kind") is not None else None
    if kind is None:
        problems.append(f"loại «{values.get('kind') or ''}» không hợp lệ; dùng một trong: "
                        f"{', '.join(PERSON_KINDS)} ({', '.join(PERSON_KINDS.values())})."
                        if values.get("kind") is not None else
                        f"thiếu loại (cột kind): một trong {', '.join(PERSON_KINDS)}.")
    status = STATUS_NAMES.get(_fold(values["status"])) if values.get("status") is not None else "active"
    if status is None:
        problems.append(f"trạng thái «{values['status']}» không hợp lệ; dùng active (đang công tác) hoặc "
                        "archived (đã nghỉ, kèm ngày nghỉ và lý do nghỉ).")
    left_on = _date(values.get("left_on"))
    reason = REASONS.get(_fold(values["leave_reason"])) if values.get("leave_reason") is not None else None
    if status == "archived":
        if left_on is None:
            problems.append("hồ sơ đã nghỉ cần ngày nghỉ hợp lệ (cột left_on, dd/mm/yyyy hoặc yyyy-mm-dd)."
                            if values.get("left_on") is not None else "hồ sơ đã nghỉ cần ngày nghỉ (cột left_on).")
        elif left_on > today:
            problems.append("ngày nghỉ không được ở tương lai.")
        if reason is None:
            problems.append(f"lý do nghỉ «{values.get('leave_reason') or ''}» không hợp lệ; dùng một trong: "
                            f"{', '.join(LEAVING_REASONS)}." if values.get("leave_reason") is not None else
                            f"hồ sơ đã nghỉ cần lý do nghỉ (cột leave_reason): một trong {', '.join(LEAVING_REASONS)}.")
    elif status == "active" and (values.get("left_on") is not None or values.get("leave_reason") is not None):
        problems.append("hồ sơ đang công tác không có ngày nghỉ hay lý do nghỉ; nếu người này đã nghỉ, ghi trạng "
                        "thái archived.")

    code = values.get("unit_code")
    unit = units.get(str(code)) if code is not None else None
    if code is None:
        problems.append("thiếu mã đơn vị (cột unit_code).")
    elif unit is None:
        problems.append(f"mã đơn vị «{code}» không có trong hệ thống (nhập đơn vị trước: hoso units import).")
    elif status == "active" and (unit.merged or (unit.valid_to is not None and unit.valid_to < today)):
        problems.append(f"đơn vị «{unit.name}» ({code}) đã giải thể hoặc sáp nhập, không còn tiếp nhận hồ sơ.")
    elif status == "archived" and left_on and unit.valid_to is not None and unit.valid_to < left_on:
        problems.append(f"đơn vị «{unit.name}» ({code}) đã giải thể trước ngày nghỉ.")

    hired_on = _date(values.get("hired_on")) if values.get("hired_on") is not None else _first_period(history)
    if hired_on is None:
        problems.append("ngày tuyển dụng không hợp lệ (cột hired_on, dd/mm/yyyy hoặc yyyy-mm-dd)."
                        if values.get("hired_on") is not None else
                        "thiếu ngày tuyển dụng (cột hired_on) và quá trình công tác không cho biết ngày bắt đầu.")
    if problems:
        return " ".join(problems)
    born = date.fromisoformat(clean["date_of_birth"])
    email = values.get("email")
    try:  # the hire's identity checks (services/people), which the registration of a new hire applies too
        people._check_hire(people.HireInput(
            full_name=clean["full_name"], sex=clean["sex"], date_of_birth=born, citizen_id=clean["citizen_id"],
            unit_id=unit.id, hired_on=hired_on, kind=kind, email=str(email) if email is not None else None), today)
    except Invalid as refused:
        return refused.message
    if hired_on <= born:
        return "ngày tuyển dụng phải sau ngày sinh."
    if left_on is not None and status == "archived" and left_on < hired_on:
        return "ngày nghỉ trước ngày tuyển dụng."
    profile = versions[0]
    for version in versions:
        if version.effective_from <= hired_on:
            profile = version
    full_name = " ".join(clean["full_name"].split())
    data = {k: v for k, v in clean.items() if v not in (None, "", [])}
    data["full_name"] = full_name
    archived = status == "archived"
    return _Record(number, {
        "full_name": full_name, "search_name": people.search_key(full_name), "sex": clean["sex"],
        "date_of_birth": born, "citizen_id": clean["citizen_id"], "email": str(email) if email is not None else None,
        "unit_id": unit.id, "kind": kind, "hired_on": hired_on, "status": status,
        "profile": profile.name, "profile_version": profile.version,
        "left_on": left_on if archived else None, "leave_reason": reason if archived else None,
        "archived_at": now if archived else None, "created_at": now,
    }, data, unit.id, hired_on, left_on if archived else None)


def _first_period(history: Any) -> date | None:
    """The first day of the earliest period of a valid work history."""
    starts = []
    for period in history if isinstance(history, list) else []:
        start = str(period.get("from", "")) if isinstance(period, dict) else ""
        if cv.MONTH.match(start):
            starts.append(date(int(start[3:]), int(start[:2]), 1))
    return min(starts) if starts else None


# ---- importing ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportProgress:
    done: int  # rows read and settled (imported, skipped or bad), all committed
    total: int | None  # rows in the file, when known
    imported: int
    skipped: int
    bad: int
    seconds: float

    @property
    def rate(self) -> float:
        """Rows settled per second so far."""
        return self.done / self.seconds if self.seconds > 0 else 0.0


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0  # the citizen ID already had a record (a re-run, or a record made since)
    bad: list[tuple[int, str]] = field(default_factory=list)  # (row number, Vietnamese reason)
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        """Records imported per second."""
        return self.imported / self.seconds if self.seconds > 0 else 0.0


NEXT_PEOPLE_IDS = text("SELECT nextval(pg_get_serial_sequence('people', 'id')) FROM generate_series(1, :n)")
NEXT_REVISION_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('profile_revisions', 'id')) FROM generate_series(1, :n)")


async def import_rows(db: Database, rows: Iterable[tuple[int, dict]], *, profile_name: str, batch_size: int = 1000,
                      progress: Callable[[ImportProgress], None] | None = None) -> ImportReport:
    """Import the rows (row number, {column key or header: value}), `batch_size` rows per transaction; see the
    module's docstring. `progress` is called after each committed batch; an exception it raises stops the import
    there (what was committed stays, and a re-run goes on from it)."""
    versions = profile_versions(profile_name)  # an unknown profile refuses before anything is read
    batch_size = max(1, batch_size)
    started = time.monotonic()
    now = datetime.now(UTC)
    today = local_date(now)
    total = getattr(rows, "total", None)
    if total is None and hasattr(rows, "__len__"):
        total = len(rows)  # type: ignore[arg-type]
    async with db.session() as session:
        units = {u.code: _UnitInfo(u.id, u.name, u.successor_id is not None, u.valid_to)
                 for u in (await session.execute(select(Unit))).scalars()}
    report, done = ImportReport(), 0
    first_row: dict[str, int] = {}  # citizen ID → the row it was first seen on in the file
    batch: list[_Record] = []
    read = 0

    async def flush() -> None:
        nonlocal done, read
        if batch:
            await _store(db, batch, report, now)
        done += read
        read = 0
        batch.clear()
        report.seconds = time.monotonic() - started
        if progress is not None:
            progress(ImportProgress(done, total, report.imported, report.skipped, len(report.bad), report.seconds))

    for number, raw in rows:
        read += 1
        checked = _check(number, raw, today, units, versions, now)
        cid = checked.person["citizen_id"] if isinstance(checked, _Record) else _raw_citizen_id(raw)
        if cid and cid in first_row:
            report.bad.append((number, f"số CCCD {cid} trùng với dòng {first_row[cid]} trong tệp."))
        else:
            if cid:
                first_row[cid] = number
            if isinstance(checked, _Record):
                batch.append(checked)
            else:
                report.bad.append((number, checked))
        if read >= batch_size:
            await flush()
    total = done + read  # known now (an xlsx's recorded dimension may have counted empty rows)
    if read or done == 0:
        await flush()
    report.seconds = time.monotonic() - started
    return report


def _raw_citizen_id(raw: dict) -> str | None:
    """The citizen ID of a bad row as written (for duplicates within the file), if any."""
    for key, value in raw.items():
        if _key(key) == "citizen_id":
            value = _value(value)
            if isinstance(value, int):
                value = str(value).zfill(12)
            return str(value).replace(" ", "") if value is not None else None
    return None


async def _store(db: Database, batch: list[_Record], report: ImportReport, now: datetime) -> None:
    """One transaction: the batch's new people (ids drawn first, so each statement is one multi-row INSERT), their
    revisions and placements, and one audit event. A citizen ID that has a record — from a previous run, or
    inserted concurrently (ON CONFLICT DO NOTHING) — is skipped."""
    async with db.session() as session:
        wanted = [r.person["citizen_id"] for r in batch]
        existing = set((await session.execute(
            select(Person.citizen_id).where(Person.citizen_id.in_(wanted)))).scalars())
        fresh = [r for r in batch if r.person["citizen_id"] not in existing]
        if not fresh:
            report.skipped += len(batch)
            return
        person_ids = [row[0] for row in (await session.execute(NEXT_PEOPLE_IDS, {"n": len(fresh)}))]
        revision_ids = [row[0] for row in (await session.execute(NEXT_REVISION_IDS, {"n": len(fresh)}))]
        people_rows = [{**r.person, "id": pid, "current_revision_id": rid}
                       for r, pid, rid in zip(fresh, person_ids, revision_ids)]
        inserted = set((await session.execute(
            pg_insert(Person.__table__).on_conflict_do_nothing(index_elements=["citizen_id"])
            .returning(Person.__table__.c.id), people_rows)).scalars())
        stored = [(r, pid, rid) for r, pid, rid in zip(fresh, person_ids, revision_ids) if pid in inserted]
        if stored:
            # through the table's column types: SealedJSONB seals the sensitive items of `data`
            await session.execute(insert(ProfileRevision.__table__), [
                {"id": rid, "person_id": pid, "number": 1, "status": "approved", "kind": "import", "data": r.data,
                 "approved_at": now, "change_reason": CHANGE_REASON, "created_at": now, "updated_at": now}
                for r, pid, rid in stored])
            await session.execute(insert(Placement.__table__), [
                {"person_id": pid, "unit_id": r.unit_id, "from_on": r.hired_on,
                 "to_on": max(r.hired_on, r.left_on) if r.left_on else None, "created_at": now}
                for r, pid, _ in stored])
            await audit.record(actor=ACTOR, action="people.imported", subject="people", session=session,
                               rows=[batch[0].row, batch[-1].row], imported=len(stored),
                               skipped=len(batch) - len(stored), person_ids=[min(inserted), max(inserted)],
                               archived=sum(1 for r, _, _ in stored if r.left_on))
    report.imported += len(stored)
    report.skipped += len(batch) - len(stored)
