"""`hoso admin create USERNAME` and `hoso units import FILE`: administration from zero, on a database with no
demo data (they work with HOSO_ENV=prod; there DATABASE_URL must be set, the embedded database is never used).

Exit codes: 0 done; 1 the unit file has bad rows (each is printed, nothing was stored); 2 refused (an existing
username, passwords that differ, an unreadable file, no DATABASE_URL in production).
"""
import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path

from core.config import get_settings

COMMANDS = {"admin", "units"}
ADMIN_PASSWORD_VARIABLE = "HOSO_ADMIN_PASSWORD"
CLI_ACTOR = "system"  # the audit log's actor for the command line
DEFAULT_ADMIN_NAME = "Quản trị Sở Nội vụ"


def register(sub: argparse._SubParsersAction) -> None:
    """Add `admin` and `units` to the `hoso` command's subcommands."""
    admin = sub.add_parser("admin", help="Sở Nội vụ administrators: hoso admin create USERNAME")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_sub.add_parser(
        "create", help=f"create a Sở Nội vụ administrator (password from {ADMIN_PASSWORD_VARIABLE} or a prompt)")
    create.add_argument("username")
    create.add_argument("--full-name", default=DEFAULT_ADMIN_NAME)
    units = sub.add_parser("units", help="the province's units: hoso units import FILE")
    units_sub = units.add_subparsers(dest="units_command", required=True)
    imported = units_sub.add_parser("import", help="import units from CSV or xlsx: code,name,parent_code,kind")
    imported.add_argument("file", type=Path)


def run(args: argparse.Namespace) -> int:
    url = _database_url()
    if url is None:
        return 2
    if args.command == "admin":
        password = _password()
        if password is None:
            return 2
        return asyncio.run(_create_admin(url, args.username, args.full_name, password))
    try:
        content = args.file.read_bytes()
    except OSError as err:
        return _refuse(f"không đọc được tệp {args.file}: {err.strerror or err}")
    return asyncio.run(_import_units(url, args.file.name, content))


def _refuse(message: str) -> int:
    print(f"hoso: {message}", file=sys.stderr)
    return 2


def _database_url() -> str | None:
    settings = get_settings()
    if settings.is_prod and not settings.database_url:
        _refuse("HOSO_ENV=prod: đặt DATABASE_URL (không dùng cơ sở dữ liệu nhúng khi chạy thật).")
        return None
    from core.devstack import database_url
    return database_url(settings)


def _password() -> str | None:
    """From HOSO_ADMIN_PASSWORD (for scripts), or asked twice without echo."""
    password = os.environ.get(ADMIN_PASSWORD_VARIABLE)
    if password:
        return password
    try:
        first = getpass.getpass("Mật khẩu quản trị: ")
        second = getpass.getpass("Nhập lại mật khẩu: ")
    except (EOFError, KeyboardInterrupt):
        _refuse("chưa nhập mật khẩu.")
        return None
    if first != second:
        _refuse("hai lần nhập mật khẩu không khớp nhau; không tạo tài khoản.")
        return None
    return first


async def _create_admin(url: str, username: str, full_name: str, password: str) -> int:
    from core.db import Database
    from services import admin
    from services.errors import DomainError

    db = Database(url, pool_size=1)
    try:
        async with db.session() as session:
            user = await admin.create_first_admin(session=session, actor=CLI_ACTOR, username=username,
                                                  full_name=full_name, password=password)
            unit = await admin.unit(session=session, unit_id=user.unit_id) if user.unit_id else None
            username, user_id = user.username, user.id
    except DomainError as err:
        return _refuse(err.message)
    finally:
        await db.dispose()
    where = f"đơn vị {unit.name} ({unit.code})" if unit else "chưa gắn đơn vị (chưa có đơn vị gốc của tỉnh)"
    print(f"Đã tạo tài khoản quản trị Sở Nội vụ «{username}» (số {user_id}), {where}. Đăng nhập tại /login.")
    return 0


async def _import_units(url: str, filename: str, content: bytes) -> int:
    from core.db import Database
    from services import admin
    from services.errors import DomainError

    db = Database(url, pool_size=1)
    try:
        async with db.session() as session:
            report = await admin.import_unit_file(session=session, actor=CLI_ACTOR, filename=filename,
                                                  content=content)
    except admin.UnitFileRefused as refused:
        print(f"hoso: {filename}: {refused.message}", file=sys.stderr)
        for problem in refused.problems:
            if problem.row > 1:  # the file's own refusal is in the message
                code = f" (mã {problem.unit_code})" if problem.unit_code else ""
                print(f"  dòng {problem.row}{code}: {problem.reason}", file=sys.stderr)
        return 1 if any(p.row > 1 for p in refused.problems) else 2
    except DomainError as err:
        return _refuse(f"{filename}: {err.message}")
    finally:
        await db.dispose()
    for row in report.rows:
        if row.status != "unchanged":
            print(f"  dòng {row.row}: {row.code} — {admin.IMPORT_STATUSES[row.status].lower()}")
    summary = report.summary
    print(f"Đã nhập {filename}: tạo mới {summary['created']}, đổi tên {summary['renamed']}, "
          f"đổi cấp trên hoặc loại {summary['updated']}, không đổi {summary['unchanged']}.")
    return 0
