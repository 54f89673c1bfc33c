"""The audit log's hash chain (issue 7, item 2): every row written by services/audit.record is chained; rows
altered, inserted or deleted directly in PostgreSQL (raw SQL on a separate connection, as someone with only
database access would) are named by the verification; concurrent writers never fork the chain; the
migration chains the rows that existed before it; the API and the page serve the check and the exports
(a PDF sealed by Sở Nội vụ, validated by pyHanko and pdfsig; an xlsx read back with openpyxl)."""
import asyncio
import io
import secrets
import uuid
from datetime import UTC, date, datetime, timedelta

import openpyxl
import psycopg
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import func, select, text

from core.config import DEV_AUDIT_KEY, MIN_SECRET_KEY_LENGTH, Settings
from core.db import Database
from core.devstack import drop_database, ensure_database
from core.migrate import migrations_root
from models import AuditEvent
from models.audit import AuditChainHead
from rules.clock import VN_TZ
from services import audit
from services.errors import Conflict
from services.signing import pdfsig_report, validate_pdf
from services.signing.devca import ensure_dev_ca


async def write(db: Database, n: int, *, actor: str = "hr.syt", per_commit: int = 1) -> None:
    """n rows through the application, per_commit in each unit of work."""
    for start in range(0, n, per_commit):
        async with db.session() as session:
            for i in range(start, min(n, start + per_commit)):
                await audit.record(actor=actor, action="test.event", subject=f"person:{i}", number=i,
                                   note="Hồ sơ — ghi chú có dấu", ratio=0.5, whole=2.0, items=[1, "hai"],
                                   session=session)


async def rows(db: Database) -> list[AuditEvent]:
    async with db.session() as session:
        return list((await session.execute(select(AuditEvent).order_by(AuditEvent.seq))).scalars())


async def verify(db: Database, key: bytes | None = None) -> audit.Verification:
    async with db.session() as session:
        return await audit.verify_chain(session=session, key=key)


async def raw(database_url: str, *statements: tuple[str, tuple] | str) -> None:
    """SQL on its own connection, outside the application (autocommit)."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        for statement in statements:
            sql, params = (statement, ()) if isinstance(statement, str) else statement
            await conn.execute(sql, params)


# ---- the chain as the application writes it -------------------------------------------------------

async def test_rows_are_chained_in_commit_order(clean_db):
    await write(clean_db, 7, per_commit=3)
    chain = await rows(clean_db)
    assert [r.seq for r in chain] == list(range(1, 8))
    assert chain[0].prev_hash == audit.GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(chain, chain[1:]))
    assert [r.id for r in chain] == sorted(r.id for r in chain)  # ids drawn under the lock grow with seq
    assert len({r.hash for r in chain}) == 7
    found = await verify(clean_db)
    assert found.ok and found.checked == 7 and found.first_broken is None
    assert (found.last_seq, found.last_hash) == (7, chain[-1].hash)
    async with clean_db.session() as session:
        assert (await audit.head(session=session)) == (7, chain[-1].hash)


async def test_an_empty_log_verifies(clean_db):
    found = await verify(clean_db)
    assert found.ok and found.checked == 0 and found.last_seq == 0


async def test_a_rollback_or_a_rolled_back_savepoint_writes_nothing(clean_db):
    await write(clean_db, 1)
    with pytest.raises(RuntimeError):
        async with clean_db.session() as session:
            await audit.record(actor="x", action="test.lost", subject="s", session=session)
            raise RuntimeError("the unit of work fails")
    async with clean_db.session() as session:
        await audit.record(actor="x", action="test.kept", subject="before", session=session)
        try:
            async with session.begin_nested():
                await audit.record(actor="x", action="test.lost", subject="savepoint", session=session)
                raise RuntimeError("the savepoint fails")
        except RuntimeError:
            pass
        async with session.begin_nested():  # a released savepoint keeps its rows, appended at the commit
            await audit.record(actor="x", action="test.kept", subject="released", session=session)
        async with clean_db.session() as other:  # nothing appended yet: the chain's head is not held meanwhile
            assert (await audit.head(session=other))[0] == 1
    refused = Conflict("Từ chối nhưng giữ dấu vết.", "kept")
    refused.keep_changes = True
    with pytest.raises(Conflict):
        async with clean_db.session() as session:
            await audit.record(actor="x", action="test.kept", subject="refusal", session=session)
            raise refused
    assert [(r.action, r.subject) for r in await rows(clean_db)] == [
        ("test.event", "person:0"), ("test.kept", "before"), ("test.kept", "released"), ("test.kept", "refusal")]
    assert (await verify(clean_db)).ok


async def test_concurrent_writers_never_fork_the_chain(clean_db):
    writers, commits, per_commit = 8, 5, 3
    start = asyncio.Event()

    async def writer(w: int) -> None:
        await start.wait()
        for c in range(commits):
            async with clean_db.session() as session:
                for i in range(per_commit):
                    await audit.record(actor=f"writer{w}", action="test.concurrent", subject=f"w{w}:c{c}:{i}",
                                       session=session)
                    await asyncio.sleep(0)  # let the others record and commit in between
                await session.execute(text("SELECT pg_sleep(0.002)"))

    tasks = [asyncio.create_task(writer(w)) for w in range(writers)]
    start.set()
    await asyncio.gather(*tasks)
    chain = await rows(clean_db)
    assert [r.seq for r in chain] == list(range(1, writers * commits * per_commit + 1))
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(chain, chain[1:]))
    for w in range(writers):  # each commit's rows stay together and in the order recorded
        mine = [r for r in chain if r.actor == f"writer{w}"]
        for c in range(commits):
            seqs = [r.seq for r in mine if r.subject.startswith(f"w{w}:c{c}:")]
            assert seqs == list(range(seqs[0], seqs[0] + per_commit))
    found = await verify(clean_db)
    assert found.ok and found.checked == len(chain)


# ---- tampering behind the application's back -------------------------------------------------------

async def test_an_altered_row_is_named(clean_db, database_url):
    await write(clean_db, 6)
    target = (await rows(clean_db))[2]
    await raw(database_url, ("UPDATE audit_events SET detail = jsonb_set(detail, '{note}', '\"sửa lén\"') "
                             "WHERE id = %s", (target.id,)))
    found = await verify(clean_db)
    assert not found.ok
    broken = found.first_broken
    assert (broken.reason, broken.id, broken.seq) == ("altered", target.id, 3)
    assert broken.at == target.at
    assert found.checked == 3


@pytest.mark.parametrize("column, value", [("actor", "'sonoivu'"), ("at", "at - interval '1 day'"),
                                           ("hash", "md5(hash) || md5(hash)"), ("prev_hash", "repeat('1', 64)"),
                                           ("id", "id + 1000000")])
async def test_any_column_altered_is_named(clean_db, database_url, column, value):
    await write(clean_db, 4)
    target = (await rows(clean_db))[1]
    await raw(database_url, (f"UPDATE audit_events SET {column} = {value} WHERE seq = %s", (target.seq,)))
    broken = (await verify(clean_db)).first_broken
    assert (broken.reason, broken.seq) == ("altered", 2)


async def test_an_inserted_row_is_named(clean_db, database_url):
    """Inserted in the middle: the later rows are renumbered to make room, the new row links to the one before."""
    await write(clean_db, 5)
    before = (await rows(clean_db))[1]
    await raw(database_url,
              "UPDATE audit_events SET seq = -seq WHERE seq >= 3",
              "UPDATE audit_events SET seq = -seq + 1 WHERE seq < 0",
              ("INSERT INTO audit_events (at, actor, action, subject, detail, seq, prev_hash, hash) "
               "VALUES (now(), 'sonoivu', 'role.granted', 'user:1', '{}', 3, %s, %s)",
               (before.hash, secrets.token_hex(32))))
    inserted = next(r for r in await rows(clean_db) if r.seq == 3)
    found = await verify(clean_db)
    assert (found.first_broken.reason, found.first_broken.id, found.first_broken.seq) == ("inserted", inserted.id, 3)


async def test_a_row_inserted_after_the_last_is_named(clean_db, database_url):
    await write(clean_db, 3)
    last = (await rows(clean_db))[-1]
    await raw(database_url, ("INSERT INTO audit_events (at, actor, action, subject, detail, seq, prev_hash, hash) "
                             "VALUES (now(), 'sonoivu', 'login', 'user:1', '{}', 4, %s, %s)",
                             (last.hash, secrets.token_hex(32))))
    inserted = (await rows(clean_db))[-1]
    broken = (await verify(clean_db)).first_broken
    assert (broken.reason, broken.id, broken.seq) == ("inserted", inserted.id, 4)


async def test_a_deleted_row_is_named(clean_db, database_url):
    await write(clean_db, 6)
    chain = await rows(clean_db)
    await raw(database_url, ("DELETE FROM audit_events WHERE id = %s", (chain[3].id,)))
    found = await verify(clean_db)
    broken = found.first_broken
    assert (broken.reason, broken.seq, broken.count) == ("deleted", 4, 1)
    assert (broken.after_id, broken.before_id, broken.id) == (chain[2].id, chain[4].id, None)


async def test_a_deletion_hidden_by_renumbering_is_named(clean_db, database_url):
    await write(clean_db, 6)
    chain = await rows(clean_db)
    await raw(database_url, ("DELETE FROM audit_events WHERE seq = 2", ()),
              "UPDATE audit_events SET seq = -seq WHERE seq > 2",
              "UPDATE audit_events SET seq = -seq - 1 WHERE seq < 0",
              ("UPDATE audit_chain SET seq = 5, hash = %s", (chain[-1].hash,)))
    broken = (await verify(clean_db)).first_broken
    assert (broken.reason, broken.seq, broken.after_id, broken.before_id) == ("deleted", 2, chain[0].id, chain[2].id)


async def test_deleted_last_rows_are_named(clean_db, database_url):
    await write(clean_db, 5)
    chain = await rows(clean_db)
    await raw(database_url, "DELETE FROM audit_events WHERE seq >= 4")
    broken = (await verify(clean_db)).first_broken
    assert (broken.reason, broken.seq, broken.count, broken.after_id) == ("deleted", 4, 2, chain[2].id)


async def test_an_emptied_log_is_named(clean_db, database_url):
    await write(clean_db, 2)
    await raw(database_url, "DELETE FROM audit_events")
    broken = (await verify(clean_db)).first_broken
    assert (broken.reason, broken.seq, broken.count) == ("deleted", 1, 2)


async def test_a_rewritten_head_is_named(clean_db, database_url):
    await write(clean_db, 3)
    await raw(database_url, ("UPDATE audit_chain SET hash = %s", (secrets.token_hex(32),)))
    broken = (await verify(clean_db)).first_broken
    assert (broken.reason, broken.seq) == ("head_altered", 3)


async def test_the_chain_cannot_be_rebuilt_without_the_key(clean_db, database_url):
    """Someone who alters a row and recomputes every hash with a key of their own still breaks the chain."""
    await write(clean_db, 4)
    await raw(database_url, "UPDATE audit_events SET actor = 'nobody' WHERE seq = 2")
    forged_key = b"a key the attacker chose"
    async with clean_db.session() as session:
        chain = list((await session.execute(select(AuditEvent).order_by(AuditEvent.seq))).scalars())
    prev, updates = audit.GENESIS, []
    for row in chain:
        digest = audit.row_hash(forged_key, audit.canonical(id=row.id, seq=row.seq, at=row.at, actor=row.actor,
                                                            action=row.action, subject=row.subject,
                                                            detail=row.detail), prev)
        updates.append(("UPDATE audit_events SET prev_hash = %s, hash = %s WHERE id = %s", (prev, digest, row.id)))
        prev = digest
    await raw(database_url, *updates, ("UPDATE audit_chain SET hash = %s", (prev,)))
    assert (await verify(clean_db, key=forged_key)).ok  # consistent under the attacker's key...
    broken = (await verify(clean_db)).first_broken  # ...but not under the application's
    assert (broken.reason, broken.seq) == ("altered", 1)


async def test_the_chain_continues_after_the_head_is_removed(clean_db, database_url):
    await write(clean_db, 2)
    await raw(database_url, "DELETE FROM audit_chain")
    await write(clean_db, 2)
    assert [r.seq for r in await rows(clean_db)] == [1, 2, 3, 4]
    assert (await verify(clean_db)).ok


# ---- the migration chains the rows that were there before it ------------------------------------------

def _alembic(url: str, target: str) -> None:
    root = migrations_root()
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "alembic"))
    config.attributes["url"] = url
    command.upgrade(config, target)


async def test_the_migration_chains_existing_rows(admin_uri):
    name = f"hoso_test_chain_{uuid.uuid4().hex[:8]}"
    url = ensure_database(admin_uri, name)
    try:
        await asyncio.to_thread(_alembic, url, "0006")
        base = datetime(2026, 3, 5, 8, 30, 15, 123456, tzinfo=UTC)
        old = [(base + timedelta(minutes=i), "hr.syt", "cv.draft_saved", f"person:{i}",
                f'{{"fields": ["phone"], "n": {i}, "x": 1.0, "tên": "Nguyễn Văn Ấn"}}') for i in range(5)]
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            for values in old:
                await conn.execute("INSERT INTO audit_events (at, actor, action, subject, detail) "
                                   "VALUES (%s, %s, %s, %s, %s::jsonb)", values)
        await asyncio.to_thread(_alembic, url, "head")
        db = Database(url)
        try:
            found = await verify(db)
            assert found.ok and found.checked == 5 and found.last_seq == 5
            await write(db, 2)  # the application continues the migrated chain
            chain = await rows(db)
            assert [r.seq for r in chain] == list(range(1, 8)) and chain[5].prev_hash == chain[4].hash
            assert (await verify(db)).ok
        finally:
            await db.dispose()
    finally:
        drop_database(admin_uri, name)


# ---- the key in production ----------------------------------------------------------------------------

GOOD = dict(env="prod", secret_key="k3Jx9-real-production-secret-0123456789abcdef", signing_dev_ca=False,
            database_url="postgresql://h@db/hoso", temporal_address="temporal:7233",
            data_keys="k-test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            audit_key="Vq2-audit-chain-production-key-0123456789")


@pytest.mark.parametrize("key", ["", DEV_AUDIT_KEY, "CHANGE-ME-audit-chain-key-0123456789abcdef",
                                 "x" * (MIN_SECRET_KEY_LENGTH - 1)])
def test_production_refuses_a_development_audit_key(key):
    problems = Settings(**{**GOOD, "audit_key": key}).production_problems(temporal=False)
    assert [p.split()[0] for p in problems] == ["HOSO_AUDIT_KEY"]
    assert Settings(**GOOD).production_problems() == []


# ---- the API and the page -----------------------------------------------------------------------------

READERS = ("sonoivu", "giamdoc.snv", "thanhtra")


async def test_province_roles_verify_over_the_api(api, db, database_url):
    clients = {login: await api(login) for login in READERS + ("hr.syt", "head.syt")}
    for login in READERS:
        response = await clients[login].get("/api/audit/verify")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["ok"] is True and body["first_broken"] is None and body["checked"] == body["last_seq"] >= 5
    for login in ("hr.syt", "head.syt"):
        assert (await clients[login].get("/api/audit/verify")).status_code == 403
    assert (await (await api()).get("/api/audit/verify")).status_code == 401

    chain = await rows(db)
    await raw(database_url, ("DELETE FROM audit_events WHERE id = %s", (chain[2].id,)))
    body = (await clients["thanhtra"].get("/api/audit/verify")).json()
    assert body["ok"] is False
    assert {k: body["first_broken"][k] for k in ("reason", "seq", "id", "after_id", "before_id")} == \
        {"reason": "deleted", "seq": 3, "id": None, "after_id": chain[1].id, "before_id": chain[3].id}
    assert "xóa" in body["first_broken"]["message"]


async def in_period(db: Database) -> list[str]:
    """Rows at both edges of March 2026 in Vietnam time, and just outside it; the subjects of those inside."""
    moments = {"person:truoc-ky": datetime(2026, 2, 28, 23, 59, 59, tzinfo=VN_TZ),
               "person:dau-ky": datetime(2026, 3, 1, 0, 0, tzinfo=VN_TZ),
               "person:giua-ky": datetime(2026, 3, 15, 9, 30, tzinfo=VN_TZ),
               "person:cuoi-ky": datetime(2026, 3, 31, 23, 59, 59, tzinfo=VN_TZ),
               "person:sau-ky": datetime(2026, 4, 1, 0, 0, tzinfo=VN_TZ)}
    async with db.session() as session:
        for subject, moment in moments.items():
            await audit.record(actor="hr.syt", action="cv.draft_saved", subject=subject, at=moment,
                               fields=["phone"], session=session)
    return ["person:dau-ky", "person:giua-ky", "person:cuoi-ky"]


async def test_the_pdf_export_is_sealed_by_sonoivu(api, db, settings):
    expected = await in_period(db)
    client = await api("thanhtra")
    response = await client.get("/api/audit/export", params={"from": "2026-03-01", "to": "2026-03-31",
                                                             "format": "pdf"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert 'filename="nhat-ky-he-thong-20260301-20260331.pdf"' in response.headers["content-disposition"]
    ca_cert, _ = ensure_dev_ca(settings.signing_path)
    [report] = validate_pdf(response.content, trust_roots=[ca_cert])
    assert report.intact and report.valid and report.trusted and report.ok and report.covers_whole_document
    assert report.signer_name == "Sở Nội vụ"
    assert "Signature is Valid" in pdfsig_report(response.content)
    text_of = await asyncio.to_thread(_pdftotext, response.content)
    for subject in expected:
        assert subject in text_of
    assert "truoc-ky" not in text_of and "sau-ky" not in text_of and "Nguyên vẹn" in text_of
    async with db.session() as session:
        logged = (await session.execute(select(AuditEvent).where(AuditEvent.action == "audit.exported"))).scalar_one()
    assert logged.actor == "thanhtra" and logged.detail["rows"] == 3 and logged.detail["format"] == "pdf"


def _pdftotext(pdf: bytes) -> str:
    import subprocess
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.pdf"
        path.write_bytes(pdf)
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout


async def test_the_xlsx_export_has_the_rows_of_the_period(api, db):
    expected = await in_period(db)
    client = await api("giamdoc.snv")
    response = await client.get("/api/audit/export", params={"from": "2026-03-01", "to": "2026-03-31",
                                                             "format": "xlsx"})
    assert response.status_code == 200, response.text
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    log = list(book["Nhật ký"].iter_rows(values_only=True))
    assert log[0][:7] == ("Số TT chuỗi", "Mã", "Thời điểm", "Người thực hiện", "Thao tác", "Đối tượng", "Chi tiết")
    assert [row[5] for row in log[1:]] == expected
    assert [row[2] for row in log[1:]] == [datetime(2026, 3, 1, 0, 0), datetime(2026, 3, 15, 9, 30),
                                           datetime(2026, 3, 31, 23, 59, 59)]  # Vietnam time
    chain = {r.subject: r for r in await rows(db)}
    assert [(row[0], row[1], row[8]) for row in log[1:]] == [(chain[s].seq, chain[s].id, chain[s].hash)
                                                             for s in expected]
    info = {row[0]: row[1] for row in book["Thông tin"].iter_rows(values_only=True) if len(row) > 1}
    assert info["Khoảng thời gian"].startswith("Từ ngày 01/03/2026 đến ngày 31/03/2026")
    assert info["Số dòng nhật ký"] == "3" and info["Kiểm tra chuỗi băm"].startswith("Nguyên vẹn")


@pytest.mark.parametrize("params, status", [
    ({"from": "2026-03-31", "to": "2026-03-01"}, 422),
    ({"from": "2025-01-01", "to": "2026-03-01"}, 422),
    ({"from": "0001-01-01", "to": "9999-12-31"}, 422),
    ({"from": "2026-03-01", "to": "2026-03-31", "format": "doc"}, 422),
    ({"from": "2026-03-01"}, 422),
    ({"from": "01/03/2026", "to": "2026-03-31"}, 422),
])
async def test_bad_periods_are_refused(api, org, params, status):
    client = await api("sonoivu")
    response = await client.get("/api/audit/export", params=params)
    assert response.status_code == status, response.text
    assert response.json()["detail"]


async def test_only_province_roles_export(api, org):
    for login in ("hr.syt", "head.syt"):
        response = await (await api(login)).get("/api/audit/export", params={"from": "2026-03-01", "to": "2026-03-31"})
        assert response.status_code == 403


async def test_the_page_shows_the_chain_and_exports(api, db, database_url):
    admin = await api("sonoivu")
    page = await admin.get("/audit")
    assert page.status_code == 200 and 'id="chain-ok"' in page.text and 'action="/audit/export"' in page.text
    assert 'href="/audit"' in page.text  # the menu of a province role
    hr = await api("hr.syt")
    assert (await hr.get("/audit")).status_code == 403
    assert 'href="/audit"' not in (await hr.get("/")).text

    expected = await in_period(db)
    made = await admin.get("/audit/export", params={"from": "2026-03-01", "to": "2026-03-31", "format": "xlsx"})
    assert made.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(made.content))["Nhật ký"]
    assert [row[5] for row in sheet.iter_rows(min_row=2, values_only=True)] == expected
    refused = await admin.get("/audit/export", params={"from": "2026-03-31", "to": "2026-03-01", "format": "pdf"})
    assert refused.status_code == 422 and "Ngày kết thúc" in refused.text

    target = (await rows(db))[1]
    await raw(database_url, ("UPDATE audit_events SET subject = 'person:0' WHERE id = %s", (target.id,)))
    page = await (await api("thanhtra")).get("/audit")
    assert 'id="chain-broken"' in page.text and f"mã {target.id}" in page.text
