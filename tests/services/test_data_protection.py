"""Sensitive CV items at rest and in views: sealed in every table that holds CV data (read here with plain
SQL), read back in clear by the services; older plaintext rows still readable and sealed on their next
write; `hoso keys rotate` re-wraps under a new master key, idempotently; masked for heads, the director
and the auditor, the signed batch included."""
import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from bootstrap import keys_cli
from core import crypto
from core.config import ROOT, get_settings
from models import ProfileRevision, RevisionChange, User
from services import approvals, cv, national_sync, permissions, protection, revisions
from tests.helpers import CV_VALID, make_revisions, viewer

SECRET_VALUES = ("Ê Đê", "Tin Lành")  # ethnicity, religion: must never be stored in clear
CV = {**CV_VALID, "ethnicity": "Ê Đê", "religion": "Tin Lành"}
NOW = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)


def test_the_sensitive_fields_are_cv_fields():
    assert cv.SENSITIVE_FIELDS == {"ethnicity", "religion"}
    assert cv.SENSITIVE_FIELDS <= set(cv.FIELDS)


async def raw(db, sql: str, **params) -> list[str]:
    """Rows as PostgreSQL stores them (text), bypassing the models' sealing types."""
    async with db.session() as session:
        return [row[0] for row in (await session.execute(text(sql), params)).all()]


def assert_sealed(stored: str):
    for value in SECRET_VALUES:
        assert value not in stored, stored
    assert '"enc": "A256GCM"' in stored


async def person_with_history(db, org):
    """An approved revision holding CV, its outbox row, and a logged change of each sensitive field."""
    [(person, revision)] = await make_revisions(db, org.units["SYT"], 1)
    async with db.session() as session:
        revision = await session.get(ProfileRevision, revision.id)
        revision.data = CV  # through the model: sealed on flush
        hr_id = (await session.execute(select(User.id).where(User.username == "hr.syt"))).scalar_one()
        revisions.record_changes(revision.id, hr_id, CV_VALID, CV, NOW, session=session)
        await session.flush()
        await national_sync.enqueue(revision, person, session=session)
    return person, revision


async def test_stored_sealed_and_read_back_in_clear(db, org):
    person, revision = await person_with_history(db, org)
    [data] = await raw(db, "SELECT data::text FROM profile_revisions WHERE id = :id", id=revision.id)
    assert_sealed(data)
    assert '"residence": "Phường Cẩm Thành' in data  # the rest of the CV stays plain JSON
    [payload] = await raw(db, "SELECT payload::text FROM sync_outbox WHERE revision_id = :id", id=revision.id)
    assert_sealed(payload)
    assert person.citizen_id in payload
    changes = await raw(db, "SELECT field || ' ' || coalesce(old::text, '') || ' ' || new::text FROM revision_changes "
                            "WHERE revision_id = :id ORDER BY field", id=revision.id)
    assert [c.split()[0] for c in changes] == ["ethnicity", "religion"]
    for change in changes:
        assert_sealed(change)
        assert "Kinh" not in change and "Không" not in change  # the old values too

    async with db.session() as session:  # the services see plain values
        stored = await session.get(ProfileRevision, revision.id)
        assert stored.data["ethnicity"] == "Ê Đê" and stored.data["religion"] == "Tin Lành"
        assert crypto.SEALED_KEY not in stored.data
        [outbox] = await national_sync.rows(session=session)
        assert outbox.payload["data"] == stored.data
        logged = (await session.execute(select(RevisionChange).where(RevisionChange.revision_id == revision.id)
                                        .order_by(RevisionChange.field))).scalars().all()
        assert [(c.field, c.old, c.new) for c in logged] == [("ethnicity", "Kinh", "Ê Đê"),
                                                             ("religion", "Không", "Tin Lành")]


async def test_a_plain_row_from_before_stays_readable_and_is_sealed_on_its_next_write(db, org):
    [(person, revision)] = await make_revisions(db, org.units["SYT"], 1)
    async with db.session() as session:  # as written before the encryption existed
        await session.execute(text("UPDATE profile_revisions SET data = CAST(:data AS jsonb) WHERE id = :id"),
                              {"data": json.dumps(CV, ensure_ascii=False), "id": revision.id})
    [data] = await raw(db, "SELECT data::text FROM profile_revisions WHERE id = :id", id=revision.id)
    assert "Ê Đê" in data
    async with db.session() as session:
        stored = await session.get(ProfileRevision, revision.id)
        assert stored.data == CV
        stored.data = {**stored.data, "phone": "0905999888"}
    [data] = await raw(db, "SELECT data::text FROM profile_revisions WHERE id = :id", id=revision.id)
    assert_sealed(data)


async def test_a_plain_row_from_before_is_sealed_before_the_outbox_copies_it(db, org):
    [(person, revision)] = await make_revisions(db, org.units["SYT"], 1)
    async with db.session() as session:  # as written before the encryption existed, then approved
        await session.execute(text("UPDATE profile_revisions SET data = CAST(:data AS jsonb) WHERE id = :id"),
                              {"data": json.dumps(CV, ensure_ascii=False), "id": revision.id})
    async with db.session() as session:
        await national_sync.enqueue_approved([revision.id], session=session)
    [data] = await raw(db, "SELECT data::text FROM profile_revisions WHERE id = :id", id=revision.id)
    [payload] = await raw(db, "SELECT payload::text FROM sync_outbox WHERE revision_id = :id", id=revision.id)
    for stored in (data, payload):
        assert_sealed(stored)
        assert "Ê Đê" not in stored and "Tin Lành" not in stored
    async with db.session() as session:
        [outbox] = await national_sync.rows(session=session)
    assert outbox.payload["data"] == CV


def pairs(ring: crypto.KeyRing) -> list[tuple[str, bytes]]:
    return list(ring._keys.items())


async def rotate_all(db, ring) -> int:
    changed = 0
    for spec in protection.SEALED_TABLES:
        after = 0
        while after is not None:
            async with db.session() as session:
                after, done = await protection.rotate_batch(ring, spec, after, limit=2, session=session)
            changed += done
    return changed


async def test_rotation_rewraps_under_the_new_key_idempotently(db, org, monkeypatch):
    person, revision = await person_with_history(db, org)
    async with db.session() as session:  # a plaintext row from before, too
        await session.execute(text("UPDATE revision_changes SET new = CAST(:v AS jsonb) WHERE field = 'religion'"),
                              {"v": '"Tin Lành"'})
    old = crypto.keyring()
    new_key = crypto.parse_key(crypto.generate_key_line("k-next"), "test")
    fresh = crypto.KeyRing([new_key])
    rotated = crypto.KeyRing([new_key, *pairs(old)])  # the new key first, the old one kept
    previous = crypto.use(rotated)
    try:
        assert await rotate_all(db, rotated) == 4  # the revision, the outbox row, both changes
        assert await rotate_all(db, rotated) == 0  # idempotent
        for stored in await raw(db, "SELECT data::text FROM profile_revisions UNION ALL "
                                    "SELECT payload::text FROM sync_outbox UNION ALL "
                                    "SELECT new::text FROM revision_changes"):
            assert_sealed(stored)
            assert '"kid": "k-next"' in stored and f'"kid": "{old.current_id}"' not in stored
        async with db.session() as session:
            report = await protection.status(protection.SEALED_TABLES[1], session=session)
        assert report.by_key == {"k-next": 4} and report.in_clear == 0
        crypto.use(fresh)  # the old key retired: everything still opens
        async with db.session() as session:
            stored = await session.get(ProfileRevision, revision.id)
            assert stored.data["ethnicity"] == "Ê Đê"
            [outbox] = await national_sync.rows(session=session)
            assert outbox.payload["data"]["religion"] == "Tin Lành"
        crypto.use(old)  # without the new key, the re-wrapped rows no longer open
        async with db.session() as session:
            with pytest.raises(crypto.KeyUnavailable, match="k-next"):
                await session.get(ProfileRevision, revision.id)
    finally:
        back = crypto.KeyRing([*pairs(old), new_key])
        crypto.use(back)
        await rotate_all(db, back)  # leave the rows under the development key for the other tests
        crypto.use(previous)


def test_keys_cli_generate(capsys):
    assert keys_cli.main(["generate", "--id", "k2026"]) == 0
    key_id, secret = crypto.parse_key(capsys.readouterr().out, "stdout")
    assert key_id == "k2026" and len(secret) == 32
    assert keys_cli.main(["generate", "--id", "bad id!"]) == 2


@pytest.mark.parametrize(("username", "sees"), [("hr.syt", True), ("sonoivu", True), ("head.syt", False),
                                                ("giamdoc.snv", False), ("thanhtra", False)])
async def test_who_sees_the_sensitive_items(db, org, username, sees):
    person, revision = await person_with_history(db, org)
    me = await viewer(db, username)
    async with db.session() as session:
        assert permissions.sees_sensitive(me, person) is sees
        shown = await revisions.shown_data(me, await session.get(ProfileRevision, revision.id), session=session)
        diff = {d.field: d for d in await revisions.diff(me, revision.id, session=session)}
    assert shown["residence"] == CV["residence"]  # the rest is never masked
    expected = "Ê Đê" if sees else cv.MASKED
    assert shown["ethnicity"] == expected and diff["ethnicity"].new == expected
    assert [c["new"] for c in diff["religion"].changed_by] == ["Tin Lành" if sees else cv.MASKED]
    assert diff["religion"].changed_by[0]["username"] == "hr.syt"  # who changed it stays visible


async def test_the_signed_batch_says_a_sensitive_item_changed_not_its_value(db, org):
    person, revision = await person_with_history(db, org)
    async with db.session() as session:
        [entry] = await approvals._batch_entries({str(revision.id): "approve"}, {}, session=session)
    changed = {label: (old, new) for label, old, new in entry["changes"]}
    assert changed[cv.FIELDS["ethnicity"][0]] == (cv.MASKED, cv.MASKED)
    assert changed[cv.FIELDS["religion"][0]] == (cv.MASKED, cv.MASKED)
    assert not any(value in str(entry) for value in SECRET_VALUES)


async def test_hoso_keys_rotate_and_status(db, org, database_url):
    """The command itself, as an operator runs it: the plain rows from before get sealed, a second run does nothing."""
    [(person, revision)] = await make_revisions(db, org.units["SYT"], 1)
    async with db.session() as session:
        await session.execute(text("UPDATE profile_revisions SET data = CAST(:data AS jsonb) WHERE id = :id"),
                              {"data": json.dumps(CV, ensure_ascii=False), "id": revision.id})
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSO_DATA_KEY")}
    env.update(DATABASE_URL=database_url, HOSO_DATA_DIR=str(get_settings().data_dir))  # this process's dev key
    hoso = [sys.executable, "-m", "bootstrap.cli", "keys"]  # `hoso keys`, from this source tree
    first = subprocess.run([*hoso, "rotate"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    ring = crypto.keyring()
    assert f"profile_revisions: 1 dòng được mã hóa lại bằng khóa {ring.current_id}" in first.stdout
    assert "còn dữ liệu nhạy cảm chưa mã hóa: 0" in first.stdout
    [data] = await raw(db, "SELECT data::text FROM profile_revisions WHERE id = :id", id=revision.id)
    assert_sealed(data)
    second = subprocess.run([*hoso, "rotate"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "profile_revisions: 0 dòng" in second.stdout, second.stdout + second.stderr
    status = subprocess.run([*hoso, "status"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert f"profile_revisions: 1 dòng; đã mã hóa theo khóa — {ring.current_id}: 1" in status.stdout, status.stdout
