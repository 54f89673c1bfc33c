"""The Temporal worker: runs every workflow and activity of Hồ sơ on the configured task queue."""
import asyncio
import signal

from bootstrap.worker import build_worker
from core.config import get_settings
from core.db import Database
from core.devstack import database_url, temporal_address
from core.logging import configure_logging, log
from core.temporal import connect


async def main() -> None:
    settings = get_settings()
    configure_logging(json=settings.is_prod)
    db = Database(database_url(settings))
    client = await connect(temporal_address(settings), settings.temporal_namespace)
    worker = build_worker(client, db, settings)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):  # finish running activities, then stop
        loop.add_signal_handler(signum, lambda: asyncio.ensure_future(worker.shutdown()))
    log.info("worker.started", task_queue=settings.task_queue)
    try:
        await worker.run()
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
