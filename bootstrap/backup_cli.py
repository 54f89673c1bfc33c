"""`hoso backup` and `hoso restore FILE [--verify-only] [--yes]`: the database backups by hand
(services/backups.py; docs/operations.md, section Backups).

- `hoso backup`: dump and verify now, then delete what the profile's retention allows; prints the file and the
  result; exit 0 when verified, 1 when the dump or its verification failed (recorded in the manifest).
- `hoso restore FILE --verify-only`: restore FILE into a scratch database, compare it with the figures the
  manifest next to it recorded at the dump, drop the scratch database; exit 0 when they match, 1 when not.
- `hoso restore FILE`: replace the application database with FILE after a confirmation (typing the database's
  name) or `--yes`; with HOSO_ENV=prod only with `--yes`. Refused while anyone else (web, worker) is connected.
"""
import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from core.config import ProductionRefused, Settings, get_settings

COMMANDS = {"backup", "restore"}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="hoso", description="Sao lưu và khôi phục cơ sở dữ liệu Hồ sơ")
    sub = root.add_subparsers(dest="command", required=True)
    sub.add_parser("backup", help="sao lưu ngay (pg_dump), kiểm tra khôi phục, xóa bản cũ theo thời hạn giữ")
    restore = sub.add_parser("restore", help="kiểm tra hoặc khôi phục một bản sao lưu")
    restore.add_argument("file", help="tệp .dump (đường dẫn, hoặc tên tệp trong thư mục sao lưu)")
    restore.add_argument("--verify-only", action="store_true",
                         help="chỉ khôi phục thử vào cơ sở dữ liệu tạm và đối chiếu, rồi xóa cơ sở dữ liệu tạm")
    restore.add_argument("--yes", action="store_true", help="không hỏi xác nhận (bắt buộc khi HOSO_ENV=prod)")
    return root


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    settings = get_settings()
    try:
        settings.refuse_unsafe_production(temporal=False)
    except ProductionRefused as refused:
        print(f"hoso: {refused}", file=sys.stderr)
        return 2
    from core.devstack import database_url
    url = database_url(settings)
    if args.command == "backup":
        return asyncio.run(backup(settings, url))
    if args.verify_only:
        return asyncio.run(verify_only(settings, url, args.file))
    return asyncio.run(restore(settings, url, args.file, yes=args.yes))


def _size(size: int) -> str:
    from ui.formats import file_size
    return file_size(size)


async def backup(settings: Settings, url: str) -> int:
    from rules.clock import local_date
    from services import backups
    from services.errors import DomainError

    folder, now = settings.backup_path, datetime.now(UTC)
    try:
        entry = await backups.dump(url, folder, now=now, trigger="manual")
    except DomainError as err:
        backups.record_failure(folder, now=now, stage="dump", message=err.message)
        print(f"hoso backup: sao lưu không thành công: {err.message}", file=sys.stderr)
        return 1
    rows = sum(t["rows"] for t in entry["tables"].values())
    print(f"Đã sao lưu: {folder / entry['file']} ({_size(entry['size'])}; {len(entry['tables'])} bảng, {rows} dòng; "
          f"PostgreSQL {entry['server_version']}, pg_dump {entry['pg_dump']})")
    checked = (await backups.verify(url, folder / entry["file"], now=datetime.now(UTC)))["verification"]
    if not checked["ok"]:
        print("Kiểm tra khôi phục: KHÔNG KHỚP", file=sys.stderr)
        for problem in checked["problems"]:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"Kiểm tra khôi phục: khớp ({checked['tables']} bảng, {checked['rows']} dòng).")
    keep = backups.policy_of(settings.profile, local_date(now)).keep_months
    for name in backups.prune(folder, keep_months=keep, now=now):
        print(f"Đã xóa theo thời hạn giữ ({keep} tháng): {name}")
    return 0


async def verify_only(settings: Settings, url: str, file: str) -> int:
    from services import backups
    from services.errors import DomainError

    path = backups.file_path(file, settings.backup_path)
    try:
        entry = await backups.verify(url, path, now=datetime.now(UTC))
    except DomainError as err:
        print(f"hoso restore: {err.message}", file=sys.stderr)
        return 2
    checked = entry["verification"]
    if checked["ok"]:
        print(f"{path}: khôi phục thử khớp số liệu lúc sao lưu ({checked['tables']} bảng, {checked['rows']} dòng); "
              "cơ sở dữ liệu tạm đã được xóa.")
        return 0
    print(f"{path}: KHÔNG KHỚP số liệu lúc sao lưu:", file=sys.stderr)
    for problem in checked["problems"]:
        print(f"  - {problem}", file=sys.stderr)
    return 1


def _confirmed(database: str, path: Path) -> bool:
    print(f"Khôi phục sẽ THAY TOÀN BỘ cơ sở dữ liệu «{database}» bằng bản sao lưu {path}: mọi dữ liệu ghi sau lúc "
          "sao lưu sẽ không còn trong cơ sở dữ liệu đang dùng (cơ sở dữ liệu hiện tại được giữ lại dưới tên khác).\n"
          "Web và worker phải dừng trước (lệnh từ chối khi còn kết nối khác). Temporal không được khôi phục theo: "
          "các quy trình đang chạy tiếp tục theo lịch sử của chúng (xem docs/operations.md, mục Backups).")
    try:
        answer = input(f"Gõ tên cơ sở dữ liệu ({database}) để xác nhận: ")
    except EOFError:
        return False
    return answer.strip() == database


async def restore(settings: Settings, url: str, file: str, *, yes: bool) -> int:
    from services import backups
    from services.errors import DomainError

    path = backups.file_path(file, settings.backup_path)
    database = backups.conninfo(url).get("dbname", "")
    if settings.is_prod and not yes:
        print("hoso restore: HOSO_ENV=prod: khôi phục thay toàn bộ cơ sở dữ liệu đang dùng, nên phải ghi rõ --yes "
              "(chạy --verify-only trước để kiểm tra tệp).", file=sys.stderr)
        return 2
    if not yes and not _confirmed(database, path):
        print("hoso restore: chưa xác nhận, không khôi phục.", file=sys.stderr)
        return 2
    try:
        done = await backups.restore_database(url, path, now=datetime.now(UTC))
    except DomainError as err:
        print(f"hoso restore: {err.message}", file=sys.stderr)
        return 1
    print(f"Đã khôi phục cơ sở dữ liệu «{done['database']}» từ {path} (đã đối chiếu số liệu từng bảng: khớp).\n"
          f"Cơ sở dữ liệu trước khi khôi phục được giữ với tên «{done['previous']}»; khi không cần nữa: "
          f"DROP DATABASE \"{done['previous']}\";\n"
          "Tiếp theo: hoso migrate (nếu phiên bản ứng dụng mới hơn bản sao lưu), rồi khởi động lại web và worker.")
    return 0
