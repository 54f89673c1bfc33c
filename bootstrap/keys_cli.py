"""`hoso keys`: the master keys of the sensitive personal data (docs/data-protection.md).

    hoso keys generate [--id ID]   print a new key line `id:base64` for HOSO_DATA_KEYS or HOSO_DATA_KEY_FILE
    hoso keys rotate               re-wrap every data key under the current (first) master key, and seal the
                                   sensitive values still in clear; idempotent, safe while the app runs
    hoso keys status               envelopes per master key id, and values still in clear

Rotation: put the new key first, keep the old ones after it, restart web and worker, run `hoso keys
rotate`; once `hoso keys status` shows no envelope under an old key (and Temporal's retention has passed
for the histories it encrypted), remove it.
"""
import argparse
import asyncio
import sys

def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hoso keys", description="Khóa mã hóa dữ liệu cá nhân nhạy cảm")
    actions = parser.add_subparsers(dest="keys_command", required=True)
    generate = actions.add_parser("generate", help="print a new key line id:base64")
    generate.add_argument("--id", dest="key_id", help="the key's id (letters, digits, . _ -); default: its fingerprint")
    rotate = actions.add_parser("rotate", help="re-wrap every data key under the current master key")
    rotate.add_argument("--batch", type=int, default=200, help="rows per transaction (default 200)")
    actions.add_parser("status", help="envelopes per master key id, values still in clear")
    return run(parser.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    from core import crypto
    from core.config import get_settings

    if args.keys_command == "generate":
        if args.key_id and not crypto.KEY_ID.match(args.key_id):
            print("hoso keys: mã khóa chỉ được gồm chữ, số, «.», «_», «-» (tối đa 32 ký tự).", file=sys.stderr)
            return 2
        print(crypto.generate_key_line(args.key_id))
        return 0
    settings = get_settings()
    try:
        ring = crypto.configure(settings)
    except crypto.DataKeyError as err:
        print(f"hoso keys: {err}", file=sys.stderr)
        return 2
    from core.devstack import database_url
    url = database_url(settings)
    try:
        if args.keys_command == "rotate":
            asyncio.run(_rotate(url, ring, max(1, args.batch)))
        asyncio.run(_status(url, ring))
    except crypto.KeyUnavailable as err:
        print(f"hoso keys: {err}", file=sys.stderr)
        return 1
    return 0


async def _rotate(url: str, ring, batch: int) -> None:
    from core.db import Database
    from services import protection

    db = Database(url)
    try:
        for spec in protection.SEALED_TABLES:
            after, changed = 0, 0
            while after is not None:
                async with db.session() as session:  # one short transaction per batch
                    after, done = await protection.rotate_batch(ring, spec, after, batch, session=session)
                changed += done
            print(f"{spec.name}: {changed} dòng được mã hóa lại bằng khóa {ring.current_id}")
    finally:
        await db.dispose()


async def _status(url: str, ring) -> None:
    from core.db import Database
    from services import protection

    db = Database(url)
    try:
        print(f"Khóa hiện hành: {ring.current_id}; các khóa đang có: {', '.join(ring.ids)}")
        for spec in protection.SEALED_TABLES:
            async with db.session() as session:
                report = await protection.status(spec, session=session)
            keys = ", ".join(f"{kid}: {n}" + ("" if kid in ring.ids else " (KHÔNG CÓ trong danh sách khóa!)")
                             for kid, n in sorted(report.by_key.items())) or "không có"
            print(f"{spec.name}: {report.rows} dòng; đã mã hóa theo khóa — {keys}; "
                  f"còn dữ liệu nhạy cảm chưa mã hóa: {report.in_clear}")
    finally:
        await db.dispose()
