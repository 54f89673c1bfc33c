"""`hoso import FILE` against the test database in production mode (DATABASE_URL and a data key set): its exit
status and output, and a run killed in the middle of a batch that a second run completes, each row exactly once."""
import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bootstrap import cli
from core import crypto
from core.config import get_settings
from models import Person
from tests.services.test_import import cid, row, write_csv

HOSO = Path(sys.executable).parent / "hoso"


@pytest.fixture
def prod_env(monkeypatch, database_url, clean_db):
    """HOSO_ENV=prod on the emptied test database, with a data key of its own (restored afterwards)."""
    monkeypatch.setenv("HOSO_ENV", "prod")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HOSO_DATA_KEY", crypto.generate_key_line("import-test"))
    for name in ("HOSO_DATA_KEYS", "HOSO_DATA_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    previous = crypto.use(None)
    crypto.use(previous)
    yield {**os.environ}
    crypto.use(previous)
    get_settings.cache_clear()


async def hoso(*argv: str) -> int:
    """The command in-process (its own event loop, in a thread, as from a shell)."""
    return await asyncio.to_thread(cli.main, list(argv))


async def count_people(db) -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count()).select_from(Person))).scalar_one()


async def test_a_good_file_prints_progress_and_a_summary(prod_env, clean_db, org, tmp_path, capsys):
    path = write_csv(tmp_path / "can-bo.csv", [row(n) for n in range(1, 6)])
    assert await hoso("import", str(path), "--batch-size", "2") == 0
    out = capsys.readouterr().out
    assert "  2/5 dòng (40.0%): 2 đã nhập, 0 đã có, 0 lỗi;" in out and "  5/5 dòng (100.0%)" in out
    assert "Đã nhập can-bo.csv: 5 hồ sơ mới, 0 đã có (bỏ qua theo số CCCD), 0 dòng lỗi;" in out
    assert await count_people(clean_db) == 5
    assert await hoso("import", str(path)) == 0  # again: everything is in already
    assert "0 hồ sơ mới, 5 đã có" in capsys.readouterr().out


async def test_bad_rows_are_printed_with_their_numbers_and_exit_1(prod_env, clean_db, org, tmp_path, capsys):
    path = write_csv(tmp_path / "loi.csv", [row(1), row(2, unit_code="KHONG-CO"), row(3, citizen_id=cid(1)), row(4)])
    assert await hoso("import", str(path)) == 1
    captured = capsys.readouterr()
    assert "  dòng 3: mã đơn vị «KHONG-CO» không có trong hệ thống" in captured.err
    assert f"  dòng 4: số CCCD {cid(1)} trùng với dòng 2 trong tệp." in captured.err
    assert "2 dòng lỗi không được nhập" in captured.err
    assert "Đã nhập loi.csv: 2 hồ sơ mới, 0 đã có (bỏ qua theo số CCCD), 2 dòng lỗi;" in captured.out
    assert await count_people(clean_db) == 2


async def test_refusals_exit_2_and_store_nothing(prod_env, clean_db, org, tmp_path, capsys, monkeypatch):
    header_only = write_csv(tmp_path / "thieu.csv", [], header=["full_name", "sex"])
    assert await hoso("import", str(header_only)) == 2
    assert "thieu.csv: Dòng 1 (tiêu đề) thiếu cột:" in capsys.readouterr().err
    assert await hoso("import", str(tmp_path / "khong-co.csv")) == 2
    assert "Không đọc được tệp khong-co.csv" in capsys.readouterr().err
    good = write_csv(tmp_path / "tot.csv", [row(1)])
    assert await hoso("import", str(good), "--profile", "khong-co") == 2
    assert "Không có hồ sơ quy định 'khong-co'" in capsys.readouterr().err
    monkeypatch.delenv("HOSO_DATA_KEY")
    get_settings.cache_clear()
    assert await hoso("import", str(good)) == 2
    assert "HOSO_DATA_KEYS" in capsys.readouterr().err
    assert await count_people(clean_db) == 0


async def test_a_killed_import_run_again_ends_with_every_row_exactly_once(prod_env, clean_db, org, tmp_path):
    """The third batch cannot commit while this test holds an uncommitted record with one of its citizen IDs (the
    unique index makes the import's insert wait), so killing the process after the second batch's progress line
    kills it inside the third batch, whatever the timing."""
    path = write_csv(tmp_path / "lon.csv", [row(n) for n in range(1, 31)])
    async with clean_db.sessions() as blocker:
        await blocker.execute(text(
            "INSERT INTO people (full_name, search_name, sex, date_of_birth, citizen_id, unit_id, kind, hired_on, "
            "status, profile, profile_version, created_at) VALUES ('Chặn', 'chan', 'nam', '1985-03-15', :cid, :unit, "
            "'cong_chuc', '2010-09-01', 'active', 'quang-ngai', 'x', now())"),
            {"cid": cid(25), "unit": org.units["SYT"]})
        process = await asyncio.create_subprocess_exec(
            str(HOSO), "import", str(path), "--batch-size", "10", env=prod_env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        lines = []
        while not (line := (await process.stdout.readline()).decode()).startswith("  20/30"):
            assert line, (lines, (await process.stderr.read()).decode())
            lines.append(line)
        process.send_signal(signal.SIGKILL)
        assert await process.wait() == -signal.SIGKILL
        await blocker.rollback()
    assert await count_people(clean_db) == 20  # the two committed batches, nothing of the third

    again = await asyncio.create_subprocess_exec(str(HOSO), "import", str(path), "--batch-size", "10", env=prod_env,
                                                 stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await again.communicate()
    assert again.returncode == 0, err.decode()
    assert "Đã nhập lon.csv: 10 hồ sơ mới, 20 đã có (bỏ qua theo số CCCD), 0 dòng lỗi;" in out.decode()
    async with clean_db.session() as session:
        counts = (await session.execute(select(Person.citizen_id, func.count()).group_by(Person.citizen_id))).all()
    assert sorted(c for c, _ in counts) == sorted(cid(n) for n in range(1, 31)) and {n for _, n in counts} == {1}
