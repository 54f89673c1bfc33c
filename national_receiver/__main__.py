"""python -m national_receiver --port 8900 --store .var/national.sqlite"""
import argparse
from pathlib import Path

import uvicorn

from national_receiver.app import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="national_receiver",
                                     description="Development/test stand-in for the national CBCCVC database")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--store", type=Path, default=None,
                        help="SQLite file to keep received records across restarts (default: in memory)")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    uvicorn.run(create_app(args.store), host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
