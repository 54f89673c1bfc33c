"""Backups on the real PostgreSQL of the test session (embedded 18, or CI's 15 with DATABASE_URL): a dump restored
into a scratch database gives the same figures as the dump's snapshot; an altered restore and a truncated dump are
reported; retention; the restore of the application database; the page, the API and the `hoso` commands."""
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from core.devstack import drop_database, ensure_database
from core.migrate import upgrade
from rules.profiles import BackupPolicy, get_profile
from services import backups
from services.errors import Conflict
from tests.helpers import make_revisions

NOW = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def settings(settings, tmp_path):
    """The session's settings with a backup folder of this test's own."""
    return settings.model_copy(update={"backup_dir": tmp_path / "backups"})


def connect(params_or_url) -> psycopg.Connection:
    params = params_or_url if isinstance(params_or_url, dict) else backups.conninfo(params_or_url)
    return psycopg.connect(psycopg.conninfo.make_conninfo(**params), autocommit=True)


def scratch_databases(url: str) -> set[str]:
    with connect(url) as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                               (backups.SCRATCH_PREFIX + "%",))}


async def seeded(db, org) -> None:
    """Records with every kind of column: sealed CV items (bytes), JSONB, dates, times."""
    await make_revisions(db, org.units["SYT"], 3)


async def test_dump_and_restore_give_identical_table_checksums(db, org, database_url, tmp_path):
    await seeded(db, org)
    before = scratch_databases(database_url)
    entry = await backups.dump(database_url, tmp_path, now=NOW)
    path = tmp_path / entry["file"]
    assert path.is_file() and entry["status"] == "dumped"
    assert entry["size"] == path.stat().st_size
    tables = entry["tables"]
    assert tables["public.units"]["rows"] == 13 and tables["public.people"]["rows"] == 3
    assert tables["public.profile_revisions"]["rows"] == 3 and "public.alembic_version" in tables
    with connect(database_url) as conn:  # the dump was made with the server's own major version
        major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
    assert entry["pg_dump"].split(".")[0] == str(major) == entry["server_version"].split(".")[0]

    async with backups.scratch_restore(database_url, path) as scratch:
        restored = await backups.figures_of(scratch)
        assert scratch["dbname"] in scratch_databases(database_url)
    assert restored == tables
    assert scratch_databases(database_url) == before  # the scratch database is dropped

    verified = await backups.verify(database_url, path, now=NOW + timedelta(minutes=1))
    assert verified["status"] == "verified"
    assert verified["verification"]["ok"] and verified["verification"]["problems"] == []
    assert verified["verification"]["tables"] == len(tables)
    assert backups.read_manifest(tmp_path) == [verified]  # the manifest holds what verify returned
    assert scratch_databases(database_url) == before


async def test_the_checksum_sees_a_changed_value_and_a_missing_row(db, org, database_url, tmp_path):
    await seeded(db, org)
    entry = await backups.dump(database_url, tmp_path, now=NOW)
    async with backups.scratch_restore(database_url, tmp_path / entry["file"]) as scratch:
        with connect(scratch) as conn:  # a restore that does not hold what was dumped
            conn.execute("UPDATE units SET name = name || '.' WHERE code = 'SYT'")
            conn.execute("DELETE FROM role_grants WHERE id = (SELECT max(id) FROM role_grants)")
        altered = await backups.figures_of(scratch)
    problems = backups.compare(entry["tables"], altered)
    grants = entry["tables"]["public.role_grants"]["rows"]
    assert problems == [
        f"Bảng public.role_grants: {grants} dòng lúc sao lưu, {grants - 1} dòng sau khi khôi phục.",
        "Bảng public.units: cùng 13 dòng nhưng tổng kiểm tra khác (dữ liệu đã bị thay đổi).",
    ]
    missing = {k: v for k, v in altered.items() if k != "public.units"}
    assert "Bảng public.units: có lúc sao lưu nhưng không có sau khi khôi phục." in backups.compare(
        entry["tables"], missing)


async def test_a_truncated_dump_is_reported_as_failed(db, org, database_url, tmp_path):
    await seeded(db, org)
    before = scratch_databases(database_url)
    entry = await backups.dump(database_url, tmp_path, now=NOW)
    path = tmp_path / entry["file"]
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])

    checked = await backups.verify(database_url, path, now=NOW)
    assert checked["status"] == "failed" and not checked["verification"]["ok"]
    [problem] = checked["verification"]["problems"]
    assert "bị cắt cụt" in problem and "SHA-256" in problem
    assert checked["failure"]["stage"] == "verify"
    # and pg_restore itself refuses the truncated file (the manifest's hash is not all that stands in the way)
    with pytest.raises(backups.BackupFailed) as refused:
        async with backups.scratch_restore(database_url, path):
            pass
    assert refused.value.code == "pg_restore_failed" and "pg_restore" in refused.value.message
    assert scratch_databases(database_url) == before


async def test_a_dump_cut_off_by_a_dead_worker_is_closed_by_the_next_one(database_url, tmp_path):
    with backups.editing(tmp_path) as entries:  # what a worker killed mid-dump leaves behind
        entries.append({"id": "hoso-cut", "file": "hoso-cut.dump", "status": "dumping",
                        "taken_at": (NOW - timedelta(days=1)).isoformat(), "trigger": "schedule"})
    (tmp_path / "hoso-cut.dump.partial").write_bytes(b"PGDMP")
    assert [r.status_label for r in backups.rows_of(tmp_path)] == ["Đang sao lưu"]
    made = await backups.dump(database_url, tmp_path, now=NOW)
    cut = next(e for e in backups.read_manifest(tmp_path) if e["id"] == "hoso-cut")
    assert cut["status"] == "failed" and cut["file"] is None and "gián đoạn" in cut["failure"]["message"]
    assert not (tmp_path / "hoso-cut.dump.partial").exists() and (tmp_path / made["file"]).is_file()


async def test_tools_of_the_servers_major_version(database_url):
    with connect(database_url) as conn:
        major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
    for name in ("pg_dump", "pg_restore"):
        found = backups.tool(name, major)
        assert Path(found.path).name == name and found.version.split(".")[0] == str(major)
    with pytest.raises(backups.BackupFailed) as missing:
        backups.tool("pg_dump", 99)
    assert missing.value.code == "pg_tools_missing" and "postgresql-client-99" in missing.value.message


def entry(entry_id: str, taken: datetime, status: str = "verified", **extra) -> dict:
    return {"id": entry_id, "file": f"{entry_id}.dump", "taken_at": taken.isoformat(), "status": status, **extra}


def month(n: int) -> datetime:
    """The 1st of the n-th month from January 2026, 02:00 in Việt Nam."""
    return datetime(2026 + (n // 12), n % 12 + 1, 1, 2, 0, tzinfo=UTC) - timedelta(hours=7)


def test_retention_keeps_the_profiles_months_and_waits_for_a_newer_verified_dump():
    runs = [entry(f"m{i}", month(i)) for i in range(5)]
    assert backups.to_delete(runs[:3], 3, month(2)) == []
    assert [e["id"] for e in backups.to_delete(runs[:4], 3, month(3))] == ["m0"]
    assert [e["id"] for e in backups.to_delete(runs, 3, month(4))] == ["m0", "m1"]
    assert [e["id"] for e in backups.to_delete(runs, 5, month(4))] == []  # a profile keeping five months
    # the newest dump did not verify: the old ones stay until a newer one does
    failed = runs[:3] + [entry("m3", month(3), "failed"), entry("m4", month(4), "failed")]
    assert backups.to_delete(failed, 3, month(4)) == []
    # verified ones are kept up to the number, however old, when later months failed
    mixed = [entry("m0", month(0)), entry("m1", month(1)), entry("m2", month(2), "failed"), entry("m3", month(3)),
             entry("m4", month(4), "failed"), entry("m5", month(5))]
    assert [e["id"] for e in backups.to_delete(mixed, 3, month(5))] == ["m0", "m2"]
    assert backups.to_delete([entry("m0", month(0), deleted_at=month(3).isoformat())] + runs[1:], 3, month(4)) == [
        runs[1]]
    assert backups.to_delete([entry("x", month(0), "dumping"), entry("y", month(4))], 3, month(4)) == []


def test_prune_deletes_files_and_keeps_the_record(tmp_path):
    with backups.editing(tmp_path) as entries:
        for i in range(4):
            entries.append(entry(f"m{i}", month(i)))
            (tmp_path / f"m{i}.dump").write_bytes(b"x")
    (tmp_path / "not-ours.dump").write_bytes(b"y")
    assert backups.prune(tmp_path, keep_months=3, now=month(3)) == ["m0.dump"]
    assert sorted(p.name for p in tmp_path.glob("*.dump")) == ["m1.dump", "m2.dump", "m3.dump", "not-ours.dump"]
    [gone] = [e for e in backups.read_manifest(tmp_path) if e["id"] == "m0"]
    assert gone["deleted_at"] == month(3).isoformat() and "3 tháng" in gone["deleted_reason"]
    assert not list(tmp_path.glob(".backups.*.tmp"))  # written atomically, no temporary file left


def test_the_period_and_retention_come_from_the_profile():
    quang_ngai = get_profile("quang-ngai").backup
    assert (quang_ngai.every_months, quang_ngai.keep_months) == (1, 3)
    assert quang_ngai.legal_basis.startswith("Điều 10 khoản 2 QĐ 29/2024/QĐ-UBND")
    assert get_profile("kon-tum").backup.article == "Điều 12 khoản 1"
    assert get_profile("binh-dinh").backup.legal_basis is None and get_profile("binh-dinh").backup.note
    quarterly = BackupPolicy(every_months=3)
    assert [backups.due(quarterly, datetime(2026, m, 1).date()) for m in (1, 2, 3, 4)] == [True, False, False, True]
    assert all(backups.due(quang_ngai, datetime(2026, m, 1).date()) for m in range(1, 13))


@pytest.fixture
def own_database(admin_uri):
    """A database of the test's own, which nobody else connects to (the restore swaps it)."""
    name = f"hoso_restore_test_{uuid.uuid4().hex[:8]}"
    url = ensure_database(admin_uri, name)
    upgrade(url)
    yield url, name
    with connect(admin_uri) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (name + "%",)).fetchall()
    for (found,) in rows:
        drop_database(admin_uri, found)


def units(url: str) -> list[str]:
    with connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT code FROM units ORDER BY code")]


def add_unit(url: str, code: str) -> None:
    with connect(url) as conn:
        conn.execute("INSERT INTO units (code, name, kind) VALUES (%s, %s, 'so')", (code, f"Sở {code}"))


async def test_restore_replaces_the_database_and_keeps_the_previous_one(own_database, tmp_path):
    url, name = own_database
    add_unit(url, "A")
    dumped = await backups.dump(url, tmp_path, now=NOW)
    add_unit(url, "B")  # written after the backup: gone after the restore
    with connect(url):  # another session (a running worker): refused, nothing changed
        with pytest.raises(Conflict) as busy:
            await backups.restore_database(url, tmp_path / dumped["file"], now=NOW)
    assert busy.value.code == "database_in_use" and "dừng web và worker" in busy.value.message
    assert units(url) == ["A", "B"]

    done = await backups.restore_database(url, tmp_path / dumped["file"], now=NOW)
    assert done["database"] == name and units(url) == ["A"]
    previous = backups.conninfo(url, done["previous"])
    assert units(make_url(previous)) == ["A", "B"]
    assert backups.entry_of(tmp_path, dumped["file"])["restores"] == [
        {"at": NOW.isoformat(), "database": name, "previous": done["previous"]}]


def make_url(params: dict) -> str:
    return psycopg.conninfo.make_conninfo(**params)


# ---- the page and the API -----------------------------------------------------------------------------------

async def test_page_and_api_list_the_backups_for_sonoivu_and_the_auditor(api, settings, database_url):
    entry_ = await backups.dump(database_url, settings.backup_path, now=NOW)
    await backups.verify(database_url, settings.backup_path / entry_["file"], now=NOW)
    backups.record_failure(settings.backup_path, now=NOW + timedelta(days=31), stage="dump",
                           message="pg_dump: lỗi: không kết nối được", workflow_id="backup-monthly-x")
    admin = await api("sonoivu")
    listed = (await admin.get("/api/backups")).json()
    assert listed["policy"]["keep_months"] == 3 and listed["policy"]["legal_basis"].startswith("Điều 10 khoản 2")
    newest, verified = listed["backups"]
    assert newest["status"] == "failed" and newest["file"] is None and newest["failure_stage"] == "dump"
    assert verified["file"] == entry_["file"] and verified["status"] == "verified" and verified["verification_ok"]
    assert verified["taken_at"] == "2026-05-01T09:00:00+07:00"
    auditor = await api("thanhtra")
    assert (await auditor.get("/api/backups")).status_code == 200
    page = await auditor.get("/backups")
    assert page.status_code == 200 and entry_["file"] in page.text and "01/05/2026" in page.text
    assert "Đã kiểm tra khôi phục: khớp" in page.text and "không kết nối được" in page.text
    assert 'href="/backups"' in page.text  # the menu's link
    hr = await api("hr.syt")
    assert (await hr.get("/api/backups")).status_code == 403
    assert (await hr.get("/backups")).status_code == 403
    assert 'href="/backups"' not in (await hr.get("/")).text


# ---- the commands -------------------------------------------------------------------------------------------

def hoso(*args: str, env: dict, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).with_name("hoso")), *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def command_env(own_database, tmp_path):
    url, _ = own_database
    env = {**os.environ, "DATABASE_URL": url, "HOSO_BACKUP_DIR": str(tmp_path / "backups"),
           "HOSO_DATA_DIR": str(tmp_path / "data"), "HOSO_ENV": "dev"}
    return env, url, tmp_path / "backups"


def test_hoso_backup_and_restore_verify_only(command_env):
    env, url, folder = command_env
    add_unit(url, "A")
    done = hoso("backup", env=env)
    assert done.returncode == 0, done.stderr
    [entry_] = backups.read_manifest(folder)
    assert f"Đã sao lưu: {folder / entry_['file']}" in done.stdout
    assert "Kiểm tra khôi phục: khớp" in done.stdout and entry_["status"] == "verified"
    assert entry_["trigger"] == "manual"

    checked = hoso("restore", entry_["file"], "--verify-only", env=env)
    assert checked.returncode == 0, checked.stderr
    assert "khôi phục thử khớp số liệu lúc sao lưu" in checked.stdout

    (folder / entry_["file"]).write_bytes((folder / entry_["file"]).read_bytes()[:-100])
    broken = hoso("restore", str(folder / entry_["file"]), "--verify-only", env=env)
    assert broken.returncode == 1 and "KHÔNG KHỚP" in broken.stderr and "bị cắt cụt" in broken.stderr
    assert backups.read_manifest(folder)[0]["status"] == "failed"


def test_hoso_restore_asks_first_and_refuses_in_prod_without_yes(command_env):
    env, url, folder = command_env
    add_unit(url, "A")
    assert hoso("backup", env=env).returncode == 0
    [entry_] = backups.read_manifest(folder)
    add_unit(url, "B")
    declined = hoso("restore", entry_["file"], env=env, stdin="khong\n")
    assert declined.returncode == 2 and "chưa xác nhận" in declined.stderr and units(url) == ["A", "B"]
    assert "Web và worker phải dừng trước" in declined.stdout

    prod = {**env, "HOSO_ENV": "prod", "HOSO_SECRET_KEY": "k" * 40, "HOSO_SIGNING_DEV_CA": "false",
            "HOSO_DATA_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "HOSO_AUDIT_KEY": "a" * 40}
    refused = hoso("restore", entry_["file"], env=prod)
    assert refused.returncode == 2 and "--yes" in refused.stderr and units(url) == ["A", "B"]

    database = backups.conninfo(url)["dbname"]
    confirmed = hoso("restore", entry_["file"], env=env, stdin=f"{database}\n")
    assert confirmed.returncode == 0, confirmed.stderr
    assert units(url) == ["A"] and "truoc_khoi_phuc" in confirmed.stdout
