"""`hoso admin create` and `hoso units import` against a real, empty database (the test database's
DATABASE_URL), in production mode: administration from zero, with no demo data."""
import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from bootstrap import admin_cli, cli
from core.config import Settings, get_settings
from models import AuditEvent, RoleGrant, Unit, User
from services import auth

ADMIN_PASSWORD = "mot-mat-khau-quan-tri-dai"
HOSO = Path(sys.executable).parent / "hoso"
UNITS = ("code,name,parent_code,kind\n"
         "SNV,Sở Nội vụ,QNG,so\n"  # the root comes after its children
         "SNV-VP,Văn phòng Sở,SNV,phong\n"
         "QNG,Ủy ban nhân dân tỉnh Quảng Ngãi,,ubnd_tinh\n"
         "X-BS,Xã Bình Sơn,QNG,xa\n")


@pytest.fixture
def prod_env(monkeypatch, database_url, clean_db):
    """HOSO_ENV=prod on the test database, emptied; nothing else of production is needed by these commands."""
    monkeypatch.setenv("HOSO_ENV", "prod")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv(admin_cli.ADMIN_PASSWORD_VARIABLE, raising=False)
    get_settings.cache_clear()
    yield {**os.environ}
    get_settings.cache_clear()


async def hoso(*argv: str) -> int:
    """The command in-process (its own event loop, in a thread, as from a shell)."""
    return await asyncio.to_thread(cli.main, list(argv))


async def user_named(db, username: str) -> tuple[User | None, list[tuple[str, int | None]]]:
    async with db.session() as session:
        user = (await session.execute(select(User).where(User.username == username))).scalars().first()
        grants = [] if user is None else [(g.role, g.unit_id) for g in (await session.execute(
            select(RoleGrant).where(RoleGrant.user_id == user.id))).scalars()]
        return user, grants


async def units(db) -> dict[str, tuple[str, str | None, str]]:
    """code → (name, parent code, kind)."""
    async with db.session() as session:
        rows = (await session.execute(select(Unit))).scalars().all()
    code_of = {u.id: u.code for u in rows}
    return {u.code: (u.name, code_of.get(u.parent_id), u.kind) for u in rows}


async def test_admin_create_from_the_installed_command_in_prod(prod_env, clean_db):
    env = {**prod_env, admin_cli.ADMIN_PASSWORD_VARIABLE: ADMIN_PASSWORD}
    done = await asyncio.to_thread(subprocess.run, [str(HOSO), "admin", "create", "quantri", "--full-name",
                                                    "Nguyễn Thị Quản Trị"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "quantri" in done.stdout and "chưa gắn đơn vị" in done.stdout
    user, grants = await user_named(clean_db, "quantri")
    assert user.full_name == "Nguyễn Thị Quản Trị" and user.unit_id is None and user.is_active
    assert grants == [("sonoivu_admin", None)]
    assert user.password_hash.startswith("$argon2") and auth.verify_secret(user.password_hash, ADMIN_PASSWORD)
    async with clean_db.session() as session:
        logged_in = await auth.login(Settings(), "quantri", ADMIN_PASSWORD, session=session)
        assert logged_in.id == user.id
        event = (await session.execute(select(AuditEvent).where(AuditEvent.action == "account.created"))).scalar_one()
        assert event.actor == "system" and event.subject == f"user:{user.id}"
        assert ADMIN_PASSWORD not in str(event.detail)

    again = await asyncio.to_thread(subprocess.run, [str(HOSO), "admin", "create", "quantri"], env=env,
                                    capture_output=True, text=True)
    assert again.returncode == 2 and "«quantri» đã được dùng" in again.stderr
    async with clean_db.session() as session:
        assert (await session.execute(select(func.count(User.id)))).scalar_one() == 1


async def test_admin_create_refuses_without_a_database_in_prod(prod_env, monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv(admin_cli.ADMIN_PASSWORD_VARIABLE, ADMIN_PASSWORD)
    get_settings.cache_clear()
    assert await hoso("admin", "create", "quantri") == 2
    assert "DATABASE_URL" in capsys.readouterr().err


async def test_the_password_is_asked_twice(prod_env, clean_db, monkeypatch, capsys):
    answers = iter(["mat-khau-thu-nhat-dai", "mat-khau-khac-han-nhe"])
    monkeypatch.setattr(admin_cli.getpass, "getpass", lambda prompt: next(answers))
    assert await hoso("admin", "create", "quantri") == 2
    assert "không khớp" in capsys.readouterr().err
    assert (await user_named(clean_db, "quantri"))[0] is None

    answers = iter(["ngan", "ngan"])
    assert await hoso("admin", "create", "quantri") == 2
    assert "ít nhất 12 ký tự" in capsys.readouterr().err

    answers = iter([ADMIN_PASSWORD, ADMIN_PASSWORD])
    assert await hoso("admin", "create", "quantri") == 0
    user, _ = await user_named(clean_db, "quantri")
    assert auth.verify_secret(user.password_hash, ADMIN_PASSWORD)


async def test_units_import_is_idempotent_and_renames(prod_env, clean_db, tmp_path, capsys, monkeypatch):
    path = tmp_path / "don-vi.csv"
    path.write_text(UNITS, encoding="utf-8")
    assert await hoso("units", "import", str(path)) == 0
    out = capsys.readouterr().out
    assert "tạo mới 4, đổi tên 0, đổi cấp trên hoặc loại 0, không đổi 0" in out
    imported = await units(clean_db)
    assert imported == {"QNG": ("Ủy ban nhân dân tỉnh Quảng Ngãi", None, "ubnd_tinh"), "SNV": ("Sở Nội vụ", "QNG", "so"),
                        "SNV-VP": ("Văn phòng Sở", "SNV", "phong"), "X-BS": ("Xã Bình Sơn", "QNG", "xa")}
    async with clean_db.session() as session:
        events = (await session.execute(select(func.count(AuditEvent.id)))).scalar_one()

    assert await hoso("units", "import", str(path)) == 0
    assert "tạo mới 0, đổi tên 0, đổi cấp trên hoặc loại 0, không đổi 4" in capsys.readouterr().out
    assert await units(clean_db) == imported
    async with clean_db.session() as session:
        assert (await session.execute(select(func.count(AuditEvent.id)))).scalar_one() == events  # nothing changed

    path.write_text(UNITS.replace("Xã Bình Sơn", "Xã Bình Sơn mới"), encoding="utf-8")
    assert await hoso("units", "import", str(path)) == 0
    out = capsys.readouterr().out
    assert "dòng 5: X-BS — đổi tên" in out and "tạo mới 0, đổi tên 1" in out
    assert (await units(clean_db))["X-BS"][0] == "Xã Bình Sơn mới"
    async with clean_db.session() as session:
        renamed = (await session.execute(select(AuditEvent).where(AuditEvent.action == "unit.renamed"))).scalar_one()
        assert renamed.actor == "system" and renamed.detail["name"] == ["Xã Bình Sơn", "Xã Bình Sơn mới"]

    # the next administrator is placed at the province's root unit
    monkeypatch.setenv(admin_cli.ADMIN_PASSWORD_VARIABLE, ADMIN_PASSWORD)
    assert await hoso("admin", "create", "quantri.hai") == 0
    assert "Ủy ban nhân dân tỉnh Quảng Ngãi (QNG)" in capsys.readouterr().out
    user, _ = await user_named(clean_db, "quantri.hai")
    async with clean_db.session() as session:
        assert (await session.get(Unit, user.unit_id)).code == "QNG"


async def test_units_import_reports_every_bad_row_and_stores_nothing(prod_env, clean_db, tmp_path, capsys):
    path = tmp_path / "loi.csv"
    path.write_text("code;name;parent_code;kind\n"  # semicolons, as Excel saves a CSV in Vietnamese locale
                    "QNG;Ủy ban nhân dân tỉnh;;ubnd_tinh\n"
                    "SYT;Sở Y tế;SO-KHONG-CO;so\n"
                    ";Không mã;QNG;so\n"
                    "QNG;Trùng mã;;ubnd_tinh\n"
                    "P1;Phòng 1;P2;phong\n"
                    "P2;Phòng 2;P1;phong\n"
                    "X;Loại sai;QNG;huyen\n", encoding="utf-8")
    assert await hoso("units", "import", str(path)) == 1
    err = capsys.readouterr().err
    assert "có 6 dòng lỗi; chưa lưu đơn vị nào" in err
    for line in ("dòng 3 (mã SYT): đơn vị cấp trên «SO-KHONG-CO» không có",
                 "dòng 4: thiếu mã đơn vị",
                 "dòng 5 (mã QNG): mã «QNG» trùng với dòng 2",
                 "dòng 6 (mã P1): vòng lặp đơn vị cấp trên: P1 → P2 → P1",
                 "dòng 7 (mã P2): vòng lặp đơn vị cấp trên: P1 → P2 → P1",
                 "dòng 8 (mã X): loại «huyen» không hợp lệ"):
        assert line in err, err
    assert await units(clean_db) == {}

    missing = tmp_path / "khong-co.csv"
    assert await hoso("units", "import", str(missing)) == 2
    assert "không đọc được tệp" in capsys.readouterr().err


async def test_units_import_reads_xlsx_with_parents_after_children(prod_env, clean_db, tmp_path, capsys):
    book = openpyxl.Workbook()
    for row in (["Code", "Name", "Parent_code", "Kind"],
                ["SGD-LK", "Trường THPT Lê Khiết", "SGD", "Đơn vị sự nghiệp công lập"],  # the kind by its name
                ["SGD", "Sở Giáo dục và Đào tạo", "QNG", "so"],
                [None, None, None, None],
                ["QNG", "Ủy ban nhân dân tỉnh Quảng Ngãi", None, "ubnd_tinh"],
                [101, "Phường số 101", "QNG", "phuong"]):  # a code Excel keeps as a number
        book.active.append(row)
    path = tmp_path / "don-vi.xlsx"
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    assert await hoso("units", "import", str(path)) == 0
    assert "tạo mới 4" in capsys.readouterr().out
    assert await units(clean_db) == {"QNG": ("Ủy ban nhân dân tỉnh Quảng Ngãi", None, "ubnd_tinh"),
                                     "SGD": ("Sở Giáo dục và Đào tạo", "QNG", "so"),
                                     "SGD-LK": ("Trường THPT Lê Khiết", "SGD", "dvsn"),
                                     "101": ("Phường số 101", "QNG", "phuong")}
    assert await hoso("units", "import", str(path)) == 0
    assert "không đổi 4" in capsys.readouterr().out

    bad = openpyxl.Workbook()
    for row in (["code", "name", "parent_code", "kind"], ["SGD", "Sở Giáo dục", "SGD-LK", "so"]):
        bad.active.append(row)
    buffer = io.BytesIO()
    bad.save(buffer)
    path.write_bytes(buffer.getvalue())
    assert await hoso("units", "import", str(path)) == 1  # SGD under its own school: a cycle through the database
    assert "dòng 2 (mã SGD): vòng lặp đơn vị cấp trên: SGD → SGD-LK → SGD" in capsys.readouterr().err
    assert (await units(clean_db))["SGD"] == ("Sở Giáo dục và Đào tạo", "QNG", "so")
