"""The Temporal worker: runs every workflow and activity of Hồ sơ on the configured task queue."""
import asyncio
import signal
import sys

from bootstrap import schedules
from bootstrap.worker import build_worker
from core import crypto
from core.config import ProductionRefused, get_settings
from core.db import Database
from core.devstack import database_url, temporal_address
from core.logging import configure_logging, log
from core.temporal import connect


async def main() -> None:
    settings = get_settings()
    configure_logging(json=settings.is_prod)
    if settings.is_prod and settings.signing_dev_ca:
        log.warning("signing.dev_ca_in_production", detail="HOSO_SIGNING_DEV_CA=true: chữ ký bằng CA phát triển")
    db = Database(database_url(settings))
    crypto.configure(settings)  # the data key ring: a missing or bad key stops the start
    client = await connect(temporal_address(settings), settings.temporal_namespace, settings=settings)
    worker = build_worker(client, db, settings)
    await schedules.ensure(client, settings)  # the periodic jobs (bootstrap/schedules.py JOBS)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):  # finish running activities, then stop
        loop.add_signal_handler(signum, lambda: asyncio.ensure_future(worker.shutdown()))
    log.info("worker.started", task_queue=settings.task_queue)
    try:
        await worker.run()
    finally:
        await db.dispose()


def refused() -> int | None:
    """Exit status 2, after saying why, when HOSO_ENV=prod with development-only settings."""
    try:
        get_settings().refuse_unsafe_production()
    except ProductionRefused as refusal:
        print(f"worker: {refusal}", file=sys.stderr)
        return 2
    return None


if __name__ == "__main__":
    status = refused()
    if status is not None:
        sys.exit(status)
    asyncio.run(main())
