from rules.cli import main
from rules.profiles import PROFILE_NAMES


def test_deadline_prints_iso_first_line(capsys):
    assert main(["deadline", "quang-ngai", "account_creation", "2026-02-10"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "2026-02-26"
    assert out[1].startswith("Điều 5 khoản 2 QĐ 29/2024/QĐ-UBND tỉnh Quảng Ngãi")


def test_deadline_monthly_prints_window(capsys):
    assert main(["deadline", "kon-tum", "monthly_approval", "2026-02-03"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "2026-02-28"
    assert "Điều 8 khoản 1" in out[1]
    assert out[2] == "mở từ 2026-02-24"


def test_deadline_uses_version_in_force_on_start(capsys):
    assert main(["deadline", "kon-tum", "self_entry", "2026-07-01"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "2026-07-06"
    assert main(["deadline", "kon-tum", "self_entry", "2026-06-01"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "không có thời hạn"


def test_bad_profile_exit_2_lists_valid(capsys):
    assert main(["deadline", "ha-noi", "account_creation", "2026-02-10"]) == 2
    err = capsys.readouterr().err
    for n in PROFILE_NAMES:
        assert n in err


def test_bad_rule_exit_2_lists_rules(capsys):
    assert main(["deadline", "binh-dinh", "monthly_approval", "2026-02-10"]) == 2
    err = capsys.readouterr().err
    assert "monthly_approval" in err and "self_entry" in err and "status_change" in err


def test_bad_date_exit_2(capsys):
    assert main(["deadline", "quang-ngai", "account_creation", "10/02/2026"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_missing_args_exit_2(capsys):
    assert main(["deadline", "quang-ngai"]) == 2
    assert main([]) == 2


def test_profiles_listing(capsys):
    assert main(["profiles"]) == 0
    out = capsys.readouterr().out
    for n in PROFILE_NAMES:
        assert n in out
    assert "2026-07-01" in out and "nd-27-2026" in out and "account_creation" in out
