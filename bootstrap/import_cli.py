"""`hoso import FILE`: the province's existing records from its previous system (services/importer.py).

Works with HOSO_ENV=prod (there DATABASE_URL must be set, the embedded database is never used). Prints progress
after each committed batch, every bad row with its number and reason, and a summary. Killed or interrupted, it
can be run again with the same file: what is in is skipped by citizen ID.

Exit codes: 0 every row imported or already in; 1 some rows are bad (each printed; the good ones were imported);
2 refused (an unreadable file or header, an unknown profile, no data key, no DATABASE_URL in production);
130 interrupted (Ctrl-C; the committed batches stay).
"""
import argparse
import asyncio
import sys
from pathlib import Path

COMMANDS = {"import"}


def register(sub: argparse._SubParsersAction) -> None:
    """Add `import` to the `hoso` command's subcommands."""
    imported = sub.add_parser("import", help="import existing records (CSV or xlsx) from the previous system")
    imported.add_argument("file", type=Path)
    imported.add_argument("--profile", help="the province's regulation profile (default: HOSO_PROFILE)")
    imported.add_argument("--batch-size", type=int, default=1000, help="rows per transaction (default 1000)")


def run(args: argparse.Namespace) -> int:
    from bootstrap.admin_cli import _database_url
    from core import crypto
    from core.config import get_settings
    from rules.profiles import UnknownProfile, profile_versions
    from services import importer

    settings = get_settings()
    profile = args.profile or settings.profile
    try:
        profile_versions(profile)
    except UnknownProfile as err:
        return _refuse(str(err))
    try:
        crypto.configure(settings)  # the sensitive items are sealed with it
    except crypto.DataKeyError as err:
        return _refuse(str(err))
    url = _database_url()
    if url is None:
        return 2
    try:
        rows = importer.read_rows(args.file)
    except importer.ImportFileRefused as refused:
        return _refuse(f"{args.file.name}: {refused.message} Chưa nhập hồ sơ nào.")
    if rows.ignored:
        print(f"Bỏ qua các cột không dùng đến: {', '.join(rows.ignored)}.", flush=True)
    try:
        report = asyncio.run(_import(url, rows, profile, max(1, args.batch_size)))
    except KeyboardInterrupt:
        print("hoso: đã dừng giữa chừng; các lô đã lưu được giữ lại. Chạy lại cùng lệnh để nhập tiếp "
              "(hồ sơ đã có được bỏ qua theo số CCCD).", file=sys.stderr)
        return 130
    for number, reason in report.bad:
        print(f"  dòng {number}: {reason}", file=sys.stderr)
    print(f"Đã nhập {args.file.name}: {report.imported} hồ sơ mới, {report.skipped} đã có (bỏ qua theo số CCCD), "
          f"{len(report.bad)} dòng lỗi; {report.seconds:.1f} giây ({report.per_second:.0f} hồ sơ/giây).", flush=True)
    if report.bad:
        print(f"hoso: {len(report.bad)} dòng lỗi không được nhập; sửa các dòng đó rồi chạy lại cùng tệp "
              "(các dòng đã nhập sẽ được bỏ qua).", file=sys.stderr)
        return 1
    return 0


def _refuse(message: str) -> int:
    print(f"hoso: {message}", file=sys.stderr)
    return 2


def _print_progress(step) -> None:
    share = f" ({100 * step.done / step.total:.1f}%)" if step.total else ""
    of = f"/{step.total}" if step.total else ""
    print(f"  {step.done}{of} dòng{share}: {step.imported} đã nhập, {step.skipped} đã có, {step.bad} lỗi; "
          f"{step.rate:.0f} dòng/giây", flush=True)


async def _import(url: str, rows, profile: str, batch_size: int):
    from core.db import Database
    from services import importer

    db = Database(url, pool_size=1)
    try:
        return await importer.import_rows(db, rows, profile_name=profile, batch_size=batch_size,
                                          progress=_print_progress)
    finally:
        await db.dispose()
