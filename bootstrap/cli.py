"""`hoso` command: run the whole stack for development, migrate, seed, and the rules commands.

`run` and `seed` create the demo province and refuse to when HOSO_ENV=prod.
"""
import argparse
import asyncio
import os
import signal
import sys
from datetime import UTC, datetime

from bootstrap import admin_cli, import_cli
from core.config import ROOT, get_settings

RULES_COMMANDS = {"deadline", "profiles"}
DEMO_COMMANDS = {"run", "seed"}  # both create the demo province
PRODUCTION_CHECKED = {"run", "migrate"}  # refused under HOSO_ENV=prod with development-only settings


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in RULES_COMMANDS:
        from rules.cli import main as rules_main
        return rules_main(argv)
    if argv[:1] == ["keys"]:  # hoso keys generate|rotate|status (bootstrap/keys_cli.py)
        from bootstrap.keys_cli import main as keys_main
        return keys_main(argv[1:])
    if argv[:1] in (["backup"], ["restore"]):  # hoso backup | hoso restore FILE (bootstrap/backup_cli.py)
        from bootstrap.backup_cli import main as backup_main
        return backup_main(argv)
    parser = argparse.ArgumentParser(prog="hoso", description="Hồ sơ CBCCVC")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start database, Temporal, worker and web app (development)")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("seed", help="create the demo province (needs a running worker)")
    sub.add_parser("deadline", help="hoso deadline PROFILE RULE START")
    sub.add_parser("profiles", help="list the regulation profiles")
    admin_cli.register(sub)
    import_cli.register(sub)  # hoso import FILE (bootstrap/import_cli.py)
    args = parser.parse_args(argv)
    if args.command in admin_cli.COMMANDS:
        return admin_cli.run(args)
    if args.command in import_cli.COMMANDS:
        return import_cli.run(args)
    if args.command in DEMO_COMMANDS and not _demo_allowed():
        return 2
    if args.command in PRODUCTION_CHECKED and not _production_allowed(temporal=args.command != "migrate"):
        return 2
    return {"run": run, "migrate": migrate, "seed": seed}[args.command]()


def _demo_allowed() -> bool:
    """False, after telling the operator why, when demo data would go into production."""
    from bootstrap.demo import DemoRefused, refuse_in_prod
    try:
        refuse_in_prod(get_settings())
    except DemoRefused as refused:
        print(f"hoso: {refused}", file=sys.stderr)
        return False
    return True


def _production_allowed(*, temporal: bool) -> bool:
    """False, after naming the variables to fix, when HOSO_ENV=prod runs with development-only settings."""
    from core.config import ProductionRefused
    try:
        get_settings().refuse_unsafe_production(temporal=temporal)
    except ProductionRefused as refused:
        print(f"hoso: {refused}", file=sys.stderr)
        return False
    return True


def _resolve() -> tuple[str, str]:
    """Database URL and Temporal address, starting the embedded ones where unset."""
    from core.devstack import database_url, temporal_address
    settings = get_settings()
    return database_url(settings), temporal_address(settings)


def migrate() -> int:
    from core.devstack import database_url
    from core.migrate import upgrade
    upgrade(database_url(get_settings()))
    return 0


def seed() -> int:
    url, address = _resolve()
    asyncio.run(_seed(url, address))
    return 0


async def _seed(url: str, address: str) -> None:
    from bootstrap.demo import refuse_in_prod, seed_org
    from bootstrap.demo_people import seed_people
    from core.db import Database
    from core.temporal import connect
    from rules.clock import local_date

    settings = get_settings()
    refuse_in_prod(settings)
    db = Database(url)
    try:
        async with db.session() as session:
            await seed_org(session, settings.demo_password)
        client = await connect(address, settings.temporal_namespace)
        await seed_people(db, client, settings.task_queue, settings.profile, settings.demo_password,
                          local_date(datetime.now(UTC)))
    finally:
        await db.dispose()


def run() -> int:
    """The development stack, supervised (bootstrap/supervisor.py): a worker or receiver that dies is started
    again; on exit everything this command started is stopped, the embedded servers included."""
    from bootstrap.supervisor import Stack, Supervised, embedded_postgres
    from core.devstack import ensure_database, start_temporal_dev_server, temporal_address
    from core.migrate import upgrade

    settings = get_settings()
    stack = Stack()
    previous_sigterm = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops the stack
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        url = settings.database_url or ensure_database(embedded_postgres(stack, settings.data_dir), "hoso")
        address = temporal_address(settings)
        upgrade(url)
        if not settings.temporal_address:
            stack.process("máy chủ Temporal phát triển", start_temporal_dev_server(settings))
        national_url = _national_receiver(stack, settings)
        env = {**os.environ, "DATABASE_URL": url, "TEMPORAL_ADDRESS": address, "HOSO_NATIONAL_DB_URL": national_url}
        os.environ.update(DATABASE_URL=url, TEMPORAL_ADDRESS=address, HOSO_NATIONAL_DB_URL=national_url)
        get_settings.cache_clear()
        stack.supervise(Supervised("worker", [sys.executable, str(ROOT / "worker.py")], env=env,
                                   log_path=settings.data_dir / "worker.log", grace=30))
        print("Đang tạo dữ liệu mẫu (lần chạy đầu mất khoảng một phút)...", flush=True)
        asyncio.run(_seed(url, address))
        _banner(settings)
        import uvicorn
        uvicorn.run("api.main:create_app", factory=True, host=settings.host, port=settings.port,
                    log_level="warning")
    finally:
        stack.close()
        signal.signal(signal.SIGTERM, previous_sigterm)
    return 0


def _national_receiver(stack, settings) -> str:
    """Without HOSO_NATIONAL_DB_URL, a local stand-in plays the national database (development only)."""
    from bootstrap.supervisor import Supervised

    if settings.national_db_url:
        return settings.national_db_url
    port = settings.port + 700
    stack.supervise(Supervised("CSDL quốc gia (bản mô phỏng)", [
        sys.executable, "-m", "national_receiver", "--port", str(port),
        "--store", str(settings.data_dir / "national.sqlite")], cwd=ROOT, log_path=settings.data_dir / "national.log",
        grace=5))
    return f"http://127.0.0.1:{port}"


def _banner(settings) -> None:
    from bootstrap.demo import demo_logins
    from bootstrap.demo_people import EXISTING, HIRES

    print(f"\nHồ sơ đang chạy: http://{settings.host}:{settings.port}/")
    print(f"Temporal Web UI: http://127.0.0.1:{settings.temporal_ui_port}/ (khi dùng máy chủ Temporal nhúng)")
    print(f"CSDL quốc gia (bản mô phỏng cho phát triển): {os.environ.get('HOSO_NATIONAL_DB_URL')}")
    print(f"Hồ sơ quy định: {settings.profile}. Mật khẩu mọi tài khoản mẫu: {settings.demo_password}\n")
    for login, who in demo_logins():
        print(f"  {login:<16} {who}")
    for hire in HIRES:
        if hire.stage != "account":
            print(f"  {hire.login:<16} {hire.name} (cá nhân, {hire.unit})")
    for staff in EXISTING:
        print(f"  {staff.login:<16} {staff.name} (cá nhân, {staff.unit}; hồ sơ đã phê duyệt, có bản xuất ký số)")
    print(flush=True)


if __name__ == "__main__":
    sys.exit(main())
