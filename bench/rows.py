"""Rows the application database gains per process, measured on the scenarios of the recorded histories.

    .venv/bin/python -m bench.rows

Runs three scenarios of tests/workflows/record_histories.py, each on its own time-skipping server with
the real worker and activities and a fresh database (embedded, or on DATABASE_URL; dropped afterwards):
`month_of_hires` (two hires, one returned once by HR, one returned by the head; the unit's monthly
approval; the province's), `personal_update` (one person's change with its scan, accepted, approved)
and `transfer_handed_over_approved` (a move between two units, approved). For each it counts every
table's rows after the demo organisation is seeded and again at the end, and prints the tables that
grew with their average row size (`pg_column_size` of the row: the heap tuple's data, without
indexes or page overhead). It times nothing.
"""
import asyncio
import os
import tempfile
from pathlib import Path

from sqlalchemy import text

from core.config import ROOT
from core.devstack import embedded_postgres_uri
from tests.national_receiver.support import InProcessReceiver
from tests.workflows import record_histories as rh
from tests.workflows.transfer_histories import transfer_handed_over_approved

SCENARIOS = [rh.month_of_hires, rh.personal_update, transfer_handed_over_approved]


async def table_rows(db) -> dict[str, int]:
    async with db.session() as session:
        names = (await session.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"))).scalars().all()
        return {name: (await session.execute(text(f'SELECT count(*) FROM "{name}"'))).scalar_one()
                for name in names}


async def row_bytes(db, name: str) -> int:
    async with db.session() as session:
        return int((await session.execute(text(f'SELECT avg(pg_column_size(t.*)) FROM "{name}" t'))).scalar_one())


async def measure(scenario, admin_uri: str, national_url: str, signing_dir: Path) -> list[tuple[str, int, int]]:
    async with rh.stack(admin_uri, national_url, signing_dir, {}) as s:
        before = await table_rows(s.db)
        await scenario(s)
        after = await table_rows(s.db)
        return [(name, after[name] - before.get(name, 0), await row_bytes(s.db, name))
                for name in after if after[name] > before.get(name, 0)]


async def main() -> None:
    admin_uri = os.environ.get("DATABASE_URL") or embedded_postgres_uri(ROOT / ".var" / "test")
    national = InProcessReceiver()
    await national.start()
    try:
        with tempfile.TemporaryDirectory(prefix="hoso-rows-signing-") as signing_dir:
            for scenario in SCENARIOS:
                grew = await measure(scenario, admin_uri, national.url, Path(signing_dir))
                print(f"{scenario.__name__}: {sum(n for _, n, _ in grew)} rows")
                for name, added, size in grew:
                    print(f"  {name:<32}{added:>6} rows {size:>7} bytes/row")
    finally:
        await national.stop()


if __name__ == "__main__":
    asyncio.run(main())
