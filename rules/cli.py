"""CLI: ``hoso deadline PROFILE RULE START`` and ``hoso profiles``.

``bootstrap/cli.py`` forwards the ``deadline`` and ``profiles`` subcommands here.
Calendar: ``WorkingCalendar()`` with the bundled decisions (no DB layer here).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Sequence

from .calendar import WorkingCalendar
from .deadlines import compute_deadline
from .profiles import (
    PROFILE_NAMES,
    RULE_LABELS,
    UnknownProfile,
    UnknownRule,
    get_profile,
    list_profiles,
    profile_versions,
)

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"Lỗi: {message}", file=sys.stderr)
        print(
            "Cách dùng: hoso deadline HỒ_SƠ QUY_TẮC NGÀY_BẮT_ĐẦU (YYYY-MM-DD) | hoso profiles",
            file=sys.stderr,
        )
        print(f"Hồ sơ hợp lệ: {', '.join(PROFILE_NAMES)}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="hoso", description="Thời hạn theo quy chế CSDL CBCCVC của tỉnh")
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("deadline", help="Tính hạn của một bước")
    d.add_argument("profile")
    d.add_argument("rule")
    d.add_argument("start", help="ngày xảy ra sự kiện, YYYY-MM-DD")
    d.add_argument(
        "--version",
        default=None,
        help="phiên bản hồ sơ quy định (mặc định: phiên bản có hiệu lực vào ngày bắt đầu)",
    )
    sub.add_parser("profiles", help="Liệt kê hồ sơ quy định, phiên bản và quy tắc")
    return p


def _cmd_deadline(args: argparse.Namespace) -> int:
    if args.profile not in PROFILE_NAMES:
        print(str(UnknownProfile(args.profile, PROFILE_NAMES)), file=sys.stderr)
        return EXIT_USAGE
    try:
        start = date.fromisoformat(args.start)
    except ValueError:
        print(
            f"Ngày bắt đầu không hợp lệ '{args.start}'. Định dạng hợp lệ: YYYY-MM-DD "
            f"(ví dụ 2026-02-10)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        profile = get_profile(args.profile, args.version, on=None if args.version else start)
        dl = compute_deadline(profile, args.rule, start, WorkingCalendar())
    except (UnknownProfile, UnknownRule) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    rule = profile.rule(args.rule)
    if dl is None:
        print("không có thời hạn")
        print(rule.legal_basis)
        print(f"người thực hiện: {rule.actor}")
        print(f"tính từ: {rule.counts_from_label} ({rule.counts_from})")
        return 0
    print(dl.due.isoformat())
    print(dl.legal_basis)
    if dl.opens is not None:
        print(f"mở từ {dl.opens.isoformat()}")
    print(f"tính từ: {rule.counts_from_label} ({rule.counts_from})")
    return 0


def _cmd_profiles() -> int:
    for latest in list_profiles():
        print(f"{latest.name}: {latest.title}")
        for p in profile_versions(latest.name):
            print(f"  phiên bản {p.version} (hiệu lực từ {p.effective_from.isoformat()}), "
                  f"lớp: {' + '.join(p.layers)}")
            for r in p.rules.values():
                amount = f" {r.amount}" if r.kind not in ("none", "immediate") else ""
                print(f"    {r.name}: {r.kind}{amount}, {r.actor}, {r.article} [{r.layer}], "
                      f"tính từ {r.counts_from} — {RULE_LABELS.get(r.name, '')}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(args_list)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if args.cmd == "deadline":
        return _cmd_deadline(args)
    if args.cmd == "profiles":
        return _cmd_profiles()
    return EXIT_USAGE  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
