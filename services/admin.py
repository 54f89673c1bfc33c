"""Sở Nội vụ administers the province from zero: its units (create, rename, validity dates, successor,
import from a CSV or xlsx file) and its officials' accounts (roles granted per unit, deactivation, password
reset with a one-time activation code).

Only `sonoivu_admin` administers and the auditor reads: the callers (routes, the `hoso` command) check that;
here `actor` is the username written to the audit log ("system" for the command line). Every change is
audited. Nothing here commits: the caller's unit of work does. A unique index that a concurrent request
beats us to (username, unit code, role grant) is a 409, never a 500.
"""
import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import openpyxl
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import RoleGrant, Unit, User
from models.accounts import PROVINCE_ROLES, ROLES, UNIT_ROLES
from models.org import UNIT_KINDS
from rules.clock import local_date
from services import audit, auth
from services.errors import Conflict, Invalid, NotFound

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
UNIT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
ASSIGNABLE_ROLES = {role: ROLES[role] for role in ROLES if role in UNIT_ROLES | PROVINCE_ROLES}
ADMIN_ROLE = "sonoivu_admin"
ADMIN_MIN_PASSWORD_LENGTH = 12
UNIT_FILE_MAX_BYTES = 5 * 1024 * 1024
UNIT_FILE_MAX_ROWS = 10_000
UNIT_FILE_COLUMNS = ("code", "name", "parent_code", "kind")
IMPORT_STATUSES = {"created": "Tạo mới", "renamed": "Đổi tên", "updated": "Đổi cấp trên hoặc loại",
                   "unchanged": "Không đổi"}


def _text(value: str | None) -> str:
    """NFC (one form for Vietnamese diacritics, so the same name compares equal) and single spaces."""
    return " ".join(unicodedata.normalize("NFC", value or "").split())


def _storable(value: str) -> bool:
    """No control character or unpaired surrogate: PostgreSQL text (UTF-8) takes the rest."""
    return not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value)


async def _flush_unique(message: str, code: str, *, session: AsyncSession) -> None:
    """Flush in a savepoint: a unique index hit by a concurrent writer becomes a Conflict and the
    session stays usable."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(message, code) from None


# ---- units ------------------------------------------------------------------------------------

@dataclass
class NewUnit:
    code: str
    name: str
    kind: str
    parent_id: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None


def _check_kind(kind: str) -> str:
    if kind not in UNIT_KINDS:
        raise Invalid("Loại đơn vị không hợp lệ; chọn một trong: " + ", ".join(UNIT_KINDS) + ".", "unknown_kind")
    return kind


def _check_name(name: str) -> str:
    name = _text(name)
    if not name:
        raise Invalid("Nhập tên đơn vị.", "missing_name")
    if not _storable(name):
        raise Invalid("Tên đơn vị chứa ký tự không hợp lệ.", "bad_characters")
    if len(name) > 255:
        raise Invalid("Tên đơn vị dài quá 255 ký tự.", "name_too_long")
    return name


def _check_validity(valid_from: date | None, valid_to: date | None) -> None:
    if valid_from and valid_to and valid_to < valid_from:
        raise Invalid("Ngày hết hiệu lực phải từ ngày bắt đầu hiệu lực trở đi.", "bad_validity")


async def unit(*, session: AsyncSession, unit_id: int) -> Unit:
    found = await session.get(Unit, unit_id)
    if found is None:
        raise NotFound("Không tìm thấy đơn vị.", "unit_not_found")
    return found


async def _referenced(unit_id: int, label: str, *, session: AsyncSession) -> Unit:
    """A unit named in a body or a form: unknown is invalid data (422), not a missing page."""
    found = await session.get(Unit, unit_id)
    if found is None:
        raise Invalid(f"{label} không tồn tại.", "unknown_unit")
    return found


async def all_units(*, session: AsyncSession) -> list[Unit]:
    return list((await session.execute(select(Unit).order_by(Unit.code))).scalars())


async def unit_tree(*, session: AsyncSession) -> list[tuple[Unit, int]]:
    """Every unit with its depth, each parent followed by its children (by code)."""
    units = await all_units(session=session)
    ids = {u.id for u in units}
    children: dict[int | None, list[Unit]] = {}
    for u in units:
        children.setdefault(u.parent_id if u.parent_id in ids else None, []).append(u)
    ordered: list[tuple[Unit, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for child in children.get(parent, []):
            ordered.append((child, depth))
            walk(child.id, depth + 1)

    walk(None, 0)
    return ordered


async def root_unit(*, session: AsyncSession) -> Unit | None:
    """The province's root unit: the only unit without a parent, or else the only `ubnd_tinh` among them."""
    roots = list((await session.execute(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))).scalars())
    if len(roots) == 1:
        return roots[0]
    provinces = [u for u in roots if u.kind == "ubnd_tinh"]
    return provinces[0] if len(provinces) == 1 else None


async def create_unit(*, session: AsyncSession, actor: str, new: NewUnit) -> Unit:
    code = (new.code or "").strip()
    if not UNIT_CODE.match(code):
        raise Invalid("Mã đơn vị gồm 1-32 ký tự chữ không dấu, số, dấu chấm, gạch ngang hoặc gạch dưới.",
                      "bad_unit_code")
    name, kind = _check_name(new.name), _check_kind(new.kind)
    if new.parent_id is not None:
        await _referenced(new.parent_id, "Đơn vị cấp trên", session=session)
    _check_validity(new.valid_from, new.valid_to)
    taken = f"Mã đơn vị «{code}» đã được dùng."
    if (await session.execute(select(Unit.id).where(Unit.code == code))).first():
        raise Conflict(taken, "unit_code_taken")
    row = Unit(code=code, name=name, kind=kind, parent_id=new.parent_id, valid_from=new.valid_from,
               valid_to=new.valid_to)
    session.add(row)
    await _flush_unique(taken, "unit_code_taken", session=session)
    await audit.record(actor=actor, action="unit.created", subject=f"unit:{row.id}", code=code, name=name,
                       kind=kind, parent_id=new.parent_id, valid_from=_iso(new.valid_from),
                       valid_to=_iso(new.valid_to), session=session)
    return row


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


async def rename_unit(*, session: AsyncSession, actor: str, unit_id: int, name: str) -> Unit:
    row = await unit(session=session, unit_id=unit_id)
    name = _check_name(name)
    if name != row.name:
        await audit.record(actor=actor, action="unit.renamed", subject=f"unit:{row.id}", old=row.name,
                           new=name, session=session)
        row.name = name
        await session.flush()
    return row


async def set_validity(*, session: AsyncSession, actor: str, unit_id: int, valid_from: date | None,
                       valid_to: date | None) -> Unit:
    row = await unit(session=session, unit_id=unit_id)
    _check_validity(valid_from, valid_to)
    if (valid_from, valid_to) != (row.valid_from, row.valid_to):
        await audit.record(actor=actor, action="unit.validity", subject=f"unit:{row.id}",
                           old=[_iso(row.valid_from), _iso(row.valid_to)], new=[_iso(valid_from), _iso(valid_to)], session=session)
        row.valid_from, row.valid_to = valid_from, valid_to
        await session.flush()
    return row


async def set_successor(*, session: AsyncSession, actor: str, unit_id: int, successor_id: int | None) -> Unit:
    """The unit that takes over this one's functions (a merger or a split); none to clear it."""
    row = await unit(session=session, unit_id=unit_id)
    if successor_id is not None:
        if successor_id == row.id:
            raise Invalid("Một đơn vị không thể là đơn vị kế thừa của chính nó.", "bad_successor")
        seen, current = {row.id}, await _referenced(successor_id, "Đơn vị kế thừa", session=session)
        while current is not None:  # A → B → A would leave nobody holding the functions
            if current.id in seen:
                raise Invalid("Đơn vị kế thừa tạo thành vòng lặp kế thừa.", "successor_cycle")
            seen.add(current.id)
            current = await session.get(Unit, current.successor_id) if current.successor_id else None
    if successor_id != row.successor_id:
        await audit.record(actor=actor, action="unit.successor", subject=f"unit:{row.id}",
                           old=row.successor_id, new=successor_id, session=session)
        row.successor_id = successor_id
        await session.flush()
    return row


UNIT_CHANGES = ("name", "valid_from", "valid_to", "successor_id")


async def update_unit(*, session: AsyncSession, actor: str, unit_id: int, changes: dict[str, Any]) -> Unit:
    """Apply the fields given (a PATCH): name, valid_from, valid_to, successor_id; null clears a date or the
    successor."""
    row = await unit(session=session, unit_id=unit_id)
    unknown = set(changes) - set(UNIT_CHANGES)
    if unknown:
        raise Invalid("Không sửa được: " + ", ".join(sorted(unknown)) + ".", "unknown_field")
    if "name" in changes:
        if changes["name"] is None:
            raise Invalid("Nhập tên đơn vị.", "missing_name")
        await rename_unit(session=session, actor=actor, unit_id=row.id, name=changes["name"])
    if "valid_from" in changes or "valid_to" in changes:
        await set_validity(session=session, actor=actor, unit_id=row.id,
                           valid_from=changes.get("valid_from", row.valid_from),
                           valid_to=changes.get("valid_to", row.valid_to))
    if "successor_id" in changes:
        await set_successor(session=session, actor=actor, unit_id=row.id, successor_id=changes["successor_id"])
    return row


# ---- the unit file (hoso units import, POST /api/admin/units/import) --------------------------

@dataclass
class UnitRow:
    row: int  # as the spreadsheet numbers it: the header is row 1
    code: str
    name: str
    parent_code: str
    kind: str


@dataclass
class RowProblem:
    row: int
    unit_code: str
    problem: str  # machine code: missing_code, duplicate_code, unknown_parent, cycle, ...
    reason: str  # Vietnamese, for people


@dataclass
class ImportedRow:
    row: int
    code: str
    status: str  # created, renamed, updated, unchanged


@dataclass
class ImportReport:
    rows: list[ImportedRow] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        return {status: sum(1 for r in self.rows if r.status == status) for status in IMPORT_STATUSES}


class UnitFileRefused(Invalid):
    """The file has bad rows (or cannot be read): nothing was stored. `problems` lists every bad row."""

    def __init__(self, problems: list[RowProblem], message: str | None = None):
        message = message or (f"Tệp có {len(problems)} dòng lỗi; chưa lưu đơn vị nào. "
                              "Sửa các dòng dưới đây rồi nhập lại toàn bộ tệp.")
        super().__init__(message, "bad_unit_file", problems=[asdict(p) for p in problems])
        self.problems = problems


def _file_error(reason: str, problem: str = "unreadable_file", row: int = 0) -> UnitFileRefused:
    return UnitFileRefused([RowProblem(row, "", problem, reason)], f"{reason} Chưa lưu đơn vị nào.")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed as a number in Excel
    return _text(str(value))


def _csv_records(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_error("Tệp CSV phải được lưu với bảng mã UTF-8 (trong Excel: «CSV UTF-8»).") from None
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count) if any(d in first for d in ",;\t") else ","
    return [list(record) for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _xlsx_records(content: bytes) -> list[list[Any]]:
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as err:
        raise _file_error(f"Không đọc được tệp Excel ({type(err).__name__}).") from None
    try:
        sheet = book.worksheets[0]
        records = []
        for values in sheet.iter_rows(values_only=True):
            records.append(list(values))
            if len(records) > UNIT_FILE_MAX_ROWS + 1:
                break
        return records
    finally:
        book.close()


def parse_unit_file(filename: str, content: bytes) -> tuple[list[UnitRow], list[RowProblem]]:
    """The rows of a CSV (UTF-8, comma, semicolon or tab) or xlsx (first sheet) file with the header
    `code,name,parent_code,kind`, and the problems found in the rows themselves. A file that cannot be read
    at all raises UnitFileRefused."""
    if len(content) > UNIT_FILE_MAX_BYTES:
        raise _file_error(f"Tệp lớn hơn {UNIT_FILE_MAX_BYTES // (1024 * 1024)} MB.", "file_too_large")
    if not content.strip():
        raise _file_error("Tệp trống.", "empty_file")
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise _file_error("Tệp .xls (Excel 97-2003) không được hỗ trợ: lưu lại dưới dạng .xlsx hoặc CSV UTF-8.",
                          "unsupported_format")
    records = _xlsx_records(content) if content.startswith(b"PK\x03\x04") else _csv_records(content)
    numbered = [(n, [_cell(v) for v in values]) for n, values in enumerate(records, start=1)]
    numbered = [(n, values) for n, values in numbered if any(values)]
    if not numbered:
        raise _file_error("Tệp trống.", "empty_file")
    header_row, header = numbered[0]
    columns = [name.lower().lstrip("\ufeff").strip() for name in header]
    missing = [name for name in UNIT_FILE_COLUMNS if name not in columns]
    if missing:
        raise _file_error(f"Dòng {header_row} (tiêu đề) thiếu cột: {', '.join(missing)}. Tiêu đề cần có các cột "
                          f"{','.join(UNIT_FILE_COLUMNS)}.", "missing_column", header_row)
    if len(numbered) - 1 > UNIT_FILE_MAX_ROWS:
        raise _file_error(f"Tệp có quá {UNIT_FILE_MAX_ROWS} dòng.", "too_many_rows")
    at = {name: columns.index(name) for name in UNIT_FILE_COLUMNS}
    kinds_by_label = {label.lower(): kind for kind, label in UNIT_KINDS.items()}
    rows, problems = [], []
    first_seen: dict[str, int] = {}
    for number, values in numbered[1:]:
        get = {name: values[i] if i < len(values) else "" for name, i in at.items()}
        code, name, parent, kind = get["code"], get["name"], get["parent_code"], get["kind"]
        kind = kind if kind in UNIT_KINDS else kinds_by_label.get(kind.lower(), kind)

        def bad(problem: str, reason: str) -> None:
            problems.append(RowProblem(number, code, problem, reason))

        if not code:
            bad("missing_code", "thiếu mã đơn vị (cột code).")
        elif not UNIT_CODE.match(code):
            bad("bad_code", f"mã «{code}» không hợp lệ: 1-32 ký tự chữ không dấu, số, dấu chấm, gạch ngang, "
                            "gạch dưới.")
        elif code in first_seen:
            bad("duplicate_code", f"mã «{code}» trùng với dòng {first_seen[code]} trong tệp.")
        else:
            first_seen[code] = number
        if not name:
            bad("missing_name", "thiếu tên đơn vị (cột name).")
        elif len(name) > 255:
            bad("name_too_long", "tên đơn vị dài quá 255 ký tự.")
        elif not _storable(name):
            bad("bad_characters", "tên đơn vị chứa ký tự không hợp lệ.")
        if kind not in UNIT_KINDS:
            bad("unknown_kind", f"loại «{kind}» không hợp lệ; dùng một trong: {', '.join(UNIT_KINDS)}."
                if kind else f"thiếu loại đơn vị (cột kind): một trong {', '.join(UNIT_KINDS)}.")
        if parent and parent == code:
            bad("cycle", f"đơn vị «{code}» không thể là cấp trên của chính nó.")
        rows.append(UnitRow(number, code, name, parent, kind))
    if not rows:
        raise _file_error("Tệp chỉ có dòng tiêu đề, không có đơn vị nào.", "empty_file")
    return rows, problems


def _cycles(parent_of: dict[str, str | None], codes: list[str]) -> dict[str, list[str]]:
    """Each given code that sits on a loop of parents, with that loop."""
    found: dict[str, list[str]] = {}
    for start in codes:
        path, current = [], start
        while current is not None and current not in path and current not in found:
            path.append(current)
            current = parent_of.get(current)
        if current is not None and current in path:
            loop = path[path.index(current):] + [current]
            for code in loop[:-1]:
                found.setdefault(code, loop)
    return found


async def import_units(*, session: AsyncSession, actor: str, rows: list[UnitRow],
                       problems: list[RowProblem] | None = None) -> ImportReport:
    """Upsert the rows by code: a new code is created, a changed name renamed, a changed parent or kind
    updated; units that are not in the file stay as they are. Parents may come after their children.
    Every bad row (with those `problems` already found in the file) is reported, and then nothing is
    stored: UnitFileRefused."""
    problems = list(problems or [])
    existing = {u.code: u for u in await all_units(session=session)}
    code_of = {u.id: u.code for u in existing.values()}
    usable = [r for r in rows if r.code and not any(p.row == r.row and p.problem in {"duplicate_code", "bad_code"}
                                                    for p in problems)]
    in_file = {r.code for r in usable}
    parent_of: dict[str, str | None] = {code: code_of.get(u.parent_id) for code, u in existing.items()}
    for r in usable:
        if r.parent_code and r.parent_code not in in_file and r.parent_code not in existing:
            problems.append(RowProblem(r.row, r.code, "unknown_parent",
                                       f"đơn vị cấp trên «{r.parent_code}» không có trong tệp cũng như trong "
                                       "hệ thống."))
            parent_of[r.code] = None
        elif r.parent_code != r.code:
            parent_of[r.code] = r.parent_code or None
    for code, loop in _cycles(parent_of, [r.code for r in usable if r.parent_code != r.code]).items():
        for r in usable:
            if r.code == code:
                problems.append(RowProblem(r.row, code, "cycle", "vòng lặp đơn vị cấp trên: " + " → ".join(loop)
                                           + "."))
    if problems:
        raise UnitFileRefused(sorted(problems, key=lambda p: (p.row, p.problem)))

    report, created = ImportReport(), set()
    for r in usable:
        if r.code not in existing:
            existing[r.code] = Unit(code=r.code, name=r.name, kind=r.kind)
            session.add(existing[r.code])
            created.add(r.code)
    await _flush_unique("Một người khác vừa nhập đơn vị cùng mã; hãy nhập lại tệp.", "unit_code_taken", session=session)
    for r in usable:
        row = existing[r.code]
        parent_id = existing[r.parent_code].id if r.parent_code else None
        if r.code in created:
            row.parent_id = parent_id
            report.rows.append(ImportedRow(r.row, r.code, "created"))
            await audit.record(actor=actor, action="unit.created", subject=f"unit:{row.id}", code=r.code,
                               name=r.name, kind=r.kind, parent_id=parent_id, via="import", session=session)
            continue
        changes = {name: [old, new] for name, old, new in (("name", row.name, r.name), ("kind", row.kind, r.kind),
                                                            ("parent_id", row.parent_id, parent_id)) if old != new}
        if not changes:
            report.rows.append(ImportedRow(r.row, r.code, "unchanged"))
            continue
        row.name, row.kind, row.parent_id = r.name, r.kind, parent_id
        status = "renamed" if set(changes) == {"name"} else "updated"
        report.rows.append(ImportedRow(r.row, r.code, status))
        await audit.record(actor=actor, action="unit.renamed" if status == "renamed" else "unit.updated",
                           subject=f"unit:{row.id}", via="import", **changes, session=session)
    await session.flush()
    if any(r.status != "unchanged" for r in report.rows):
        await audit.record(actor=actor, action="units.imported", subject="units", **report.summary, session=session)
    return report


async def import_unit_file(*, session: AsyncSession, actor: str, filename: str, content: bytes) -> ImportReport:
    """Read the file and import it: all rows or, when any row is bad, none (UnitFileRefused)."""
    rows, problems = parse_unit_file(filename, content)
    return await import_units(session=session, actor=actor, rows=rows, problems=problems)


# ---- accounts ---------------------------------------------------------------------------------

@dataclass
class NewAccount:
    """An official's account: unit roles are granted at `unit_id` (required for them), province roles
    province-wide; `unit_id` is also the official's own unit."""
    username: str
    full_name: str
    roles: list[str]
    unit_id: int | None = None
    email: str | None = None


@dataclass
class Account:
    user: User
    grants: list[RoleGrant]

    @property
    def activated(self) -> bool:
        return self.user.password_hash is not None

    @property
    def roles(self) -> list[str]:
        return sorted({g.role for g in self.grants} | ({"person"} if self.user.person_id is not None else set()))


def _check_username(username: str) -> str:
    username = (username or "").strip().lower()
    if not USERNAME.match(username):
        raise Invalid("Tên đăng nhập gồm 3-64 ký tự chữ thường không dấu, số, dấu chấm, gạch ngang, gạch dưới.",
                      "bad_username")
    return username


def _check_full_name(full_name: str) -> str:
    full_name = _text(full_name)
    if not full_name:
        raise Invalid("Nhập họ và tên.", "missing_full_name")
    if not _storable(full_name):
        raise Invalid("Họ và tên chứa ký tự không hợp lệ.", "bad_characters")
    if len(full_name) > 255:
        raise Invalid("Họ và tên dài quá 255 ký tự.", "name_too_long")
    return full_name


async def _grant_unit(role: str, unit_id: int | None, *, session: AsyncSession) -> int | None:
    """The unit the role is granted at: a unit role needs a unit still in force, a province role none."""
    if role not in ASSIGNABLE_ROLES:
        raise Invalid("Vai trò không hợp lệ; chọn một trong: " + ", ".join(ASSIGNABLE_ROLES) + ".", "unknown_role")
    if role in PROVINCE_ROLES:
        return None
    if unit_id is None:
        raise Invalid(f"Vai trò «{ROLES[role]}» được giao tại một đơn vị: chọn đơn vị.", "unit_required")
    row = await _referenced(unit_id, "Đơn vị", session=session)
    if row.valid_to is not None and row.valid_to < local_date(datetime.now(UTC)):
        raise Invalid(f"Đơn vị «{row.name}» đã hết hiệu lực từ {row.valid_to:%d/%m/%Y}.", "unit_ended")
    return row.id


async def _taken(username: str, *, session: AsyncSession) -> bool:
    return (await session.execute(select(User.id).where(User.username == username))).first() is not None


async def account(*, session: AsyncSession, user_id: int) -> Account:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("Không tìm thấy tài khoản.", "user_not_found")
    grants = (await session.execute(select(RoleGrant).where(RoleGrant.user_id == user_id)
                                    .order_by(RoleGrant.role, RoleGrant.unit_id))).scalars()
    return Account(user, list(grants))


async def accounts(*, session: AsyncSession) -> list[Account]:
    users = (await session.execute(select(User).order_by(User.username))).scalars().all()
    grants: dict[int, list[RoleGrant]] = {}
    for grant in (await session.execute(select(RoleGrant).order_by(RoleGrant.role, RoleGrant.unit_id))).scalars():
        grants.setdefault(grant.user_id, []).append(grant)
    return [Account(user, grants.get(user.id, [])) for user in users]


def _activation(user: User, valid_days: int) -> str:
    """A new one-time code: only its keyed hash is stored; the password, if any, stops working."""
    code = auth.new_activation_code()
    user.activation_hash = auth.hash_activation_code(code)
    user.activation_expires = datetime.now(UTC) + timedelta(days=valid_days)
    user.password_hash = None
    user.failed_logins = 0
    user.locked_until = None
    return code


async def create_account(*, session: AsyncSession, actor: str, new: NewAccount, valid_days: int) -> tuple[User, str]:
    """The account with its one-time activation code (returned once, stored only as a hash)."""
    username, full_name = _check_username(new.username), _check_full_name(new.full_name)
    roles = list(dict.fromkeys(new.roles or []))
    if not roles:
        raise Invalid("Chọn ít nhất một vai trò.", "missing_roles")
    grants = [(role, await _grant_unit(role, new.unit_id, session=session)) for role in roles]
    if new.unit_id is not None:
        await _referenced(new.unit_id, "Đơn vị", session=session)
    email = (new.email or "").strip() or None
    if email and (len(email) > 255 or "@" not in email or not _storable(email) or " " in email):
        raise Invalid("Địa chỉ thư điện tử không hợp lệ.", "bad_email")
    taken = f"Tên đăng nhập «{username}» đã được dùng."
    if await _taken(username, session=session):
        raise Conflict(taken, "username_taken")
    user = User(username=username, full_name=full_name, email=email, unit_id=new.unit_id)
    code = _activation(user, valid_days)
    session.add(user)
    await _flush_unique(taken, "username_taken", session=session)
    for role, unit_id in grants:
        session.add(RoleGrant(user_id=user.id, role=role, unit_id=unit_id))
    await session.flush()
    await audit.record(actor=actor, action="account.created", subject=f"user:{user.id}", username=username,
                       unit_id=new.unit_id, grants=[[role, unit_id] for role, unit_id in grants], session=session)
    return user, code


async def create_first_admin(*, session: AsyncSession, actor: str, username: str, full_name: str,
                             password: str) -> User:
    """A Sở Nội vụ administrator with a password (the `hoso admin create` command), at the province's root
    unit when there is one."""
    username, full_name = _check_username(username), _check_full_name(full_name)
    if len(password) < ADMIN_MIN_PASSWORD_LENGTH:
        raise Invalid(f"Mật khẩu quản trị phải có ít nhất {ADMIN_MIN_PASSWORD_LENGTH} ký tự.", "weak_password")
    taken = f"Tên đăng nhập «{username}» đã được dùng; chọn tên khác."
    if await _taken(username, session=session):
        raise Conflict(taken, "username_taken")
    root = await root_unit(session=session)
    user = User(username=username, full_name=full_name, unit_id=root.id if root else None,
                password_hash=auth.hash_secret(password))
    session.add(user)
    await _flush_unique(taken, "username_taken", session=session)
    session.add(RoleGrant(user_id=user.id, role=ADMIN_ROLE, unit_id=None))
    await session.flush()
    await audit.record(actor=actor, action="account.created", subject=f"user:{user.id}", username=username,
                       unit_id=user.unit_id, grants=[[ADMIN_ROLE, None]], via="cli", session=session)
    return user


async def _active_admins(*, session: AsyncSession, besides: int) -> int:
    return (await session.execute(
        select(func.count(func.distinct(User.id))).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == ADMIN_ROLE, User.is_active.is_(True), User.id != besides))).scalar_one()


async def _keep_an_admin(user_id: int, *, session: AsyncSession) -> None:
    if not await _active_admins(besides=user_id, session=session):
        raise Conflict("Đây là tài khoản quản trị Sở Nội vụ cuối cùng còn hoạt động: tạo hoặc mở lại một tài khoản "
                       "quản trị khác trước.", "last_admin")


async def grant_role(*, session: AsyncSession, actor: str, user_id: int, role: str, unit_id: int | None) -> Account:
    held = await account(session=session, user_id=user_id)
    unit_id = await _grant_unit(role, unit_id, session=session)
    held_message = f"Tài khoản đã có vai trò «{ROLES[role]}» tại đơn vị này."
    if any(g.role == role and g.unit_id == unit_id for g in held.grants):
        raise Conflict(held_message, "role_held")
    session.add(RoleGrant(user_id=user_id, role=role, unit_id=unit_id))
    await _flush_unique(held_message, "role_held", session=session)
    await audit.record(actor=actor, action="role.granted", subject=f"user:{user_id}", role=role,
                       unit_id=unit_id, session=session)
    return await account(session=session, user_id=user_id)


async def revoke_role(*, session: AsyncSession, actor: str, user_id: int, role: str, unit_id: int | None) -> Account:
    held = await account(session=session, user_id=user_id)
    unit_id = None if role in PROVINCE_ROLES else unit_id
    grant = next((g for g in held.grants if g.role == role and g.unit_id == unit_id), None)
    if grant is None:
        raise NotFound("Tài khoản không có vai trò này tại đơn vị này.", "role_not_held")
    if role == ADMIN_ROLE and held.user.is_active:
        await _keep_an_admin(user_id, session=session)
    await session.delete(grant)
    await session.flush()
    await audit.record(actor=actor, action="role.revoked", subject=f"user:{user_id}", role=role,
                       unit_id=unit_id, session=session)
    return await account(session=session, user_id=user_id)


async def set_active(*, session: AsyncSession, actor: str, user_id: int, active: bool,
                     actor_id: int | None = None) -> Account:
    """Deactivate (no login, and the account's open sessions stop at their next request) or reactivate."""
    held = await account(session=session, user_id=user_id)
    if held.user.is_active == active:
        return held
    if not active:
        if user_id == actor_id:
            raise Conflict("Không thể tự vô hiệu hóa tài khoản của mình.", "own_account")
        if any(g.role == ADMIN_ROLE for g in held.grants):
            await _keep_an_admin(user_id, session=session)
    held.user.is_active = active
    await session.flush()
    if not active:
        await auth.revoke_sessions(user_id, session=session)
    await audit.record(actor=actor, action="account.activated_by_admin" if active else "account.deactivated",
                       subject=f"user:{user_id}", username=held.user.username, session=session)
    return held


async def reset_password(*, session: AsyncSession, actor: str, user_id: int, valid_days: int) -> tuple[User, str]:
    """A new one-time activation code; the old password stops working at once."""
    held = await account(session=session, user_id=user_id)
    code = _activation(held.user, valid_days)
    await session.flush()
    await auth.revoke_sessions(held.user.id, session=session)  # whoever holds an open session is logged out
    await audit.record(actor=actor, action="account.reset", subject=f"user:{user_id}",
                       username=held.user.username, session=session)
    return held.user, code
