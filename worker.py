"""The Temporal worker: runs every workflow and activity of Hồ sơ on the configured task queue."""
import asyncio

from core.config import get_settings
from core.db import Database
from core.devstack import database_url, temporal_address
from core.logging import configure_logging, log
from core.temporal import build_worker, connect


async def main() -> None:
    settings = get_settings()
    configure_logging(json=settings.is_prod)
    db = Database(database_url(settings))
    client = await connect(temporal_address(settings), settings.temporal_namespace)
    worker = build_worker(client, db, settings)
    log.info("worker.started", task_queue=settings.task_queue)
    try:
        await worker.run()
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
