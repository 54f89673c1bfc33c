"""The transfer, arrival and leaving rules of the five provinces, value by value, as read in the seeds
(../shared/seeds): kind, amount, actor, article, the event the period counts from, and a summary
that names that event. Also the rules of other steps whose count does not start at the default."""
import pytest

from rules.profiles import COUNT_STARTS, DEFAULT_COUNTS_FROM, PROFILE_NAMES, profile_versions

TRANSFER_RULES = ("transfer_internal", "transfer_send", "transfer_receive", "arrival_account", "arrival_sync",
                  "status_change")

# (province, rule): (kind, amount, actor, article, counts_from, the words of the summary naming the start)
# None for the start words: the seed sets no deadline and names no start.
EXPECTED = {
    # Quảng Ngãi, QĐ 29/2024 Điều 9
    ("quang-ngai", "transfer_internal"): ("immediate", 0, "unit_hr", "Điều 9 khoản 2", "effective_date",
                                          "sau khi văn bản có hiệu lực"),
    ("quang-ngai", "transfer_send"): ("immediate", 0, "unit_hr", "Điều 9 khoản 3", "effective_date",
                                      "sau khi văn bản có hiệu lực"),
    ("quang-ngai", "transfer_receive"): ("none", 0, "unit_hr", "Điều 9 khoản 3", "receipt",
                                         "sau khi tiếp nhận hồ sơ trên hệ thống"),
    # "Kể từ ngày nhận chuyển giao hồ sơ ..." with no number of days: no deadline (not 5 working days)
    ("quang-ngai", "arrival_account"): ("none", 0, "unit_hr", "Điều 9 khoản 1 điểm a", "handover",
                                        "kể từ ngày nhận chuyển giao hồ sơ"),
    ("quang-ngai", "arrival_sync"): ("none", 0, "sonoivu_admin", "Điều 9 khoản 1 điểm a", "request",
                                     "theo văn bản đề nghị"),
    ("quang-ngai", "status_change"): ("none", 0, "unit_hr", "Điều 9 khoản 5", "effective_date", None),
    # Kon Tum, Quy chế (dự thảo) Điều 11
    ("kon-tum", "transfer_internal"): ("calendar_days", 10, "unit_hr", "Điều 11 khoản 1", "effective_date",
                                       "kể từ ngày văn bản có hiệu lực"),
    # "cơ quan ... có thẩm quyền sử dụng CBCCVC cấp trên theo phân cấp quản lý có trách nhiệm điều chuyển"
    ("kon-tum", "transfer_send"): ("working_days", 10, "superior_hr", "Điều 11 khoản 2", "effective_date",
                                   "kể từ ngày văn bản có hiệu lực"),
    # "cơ quan ... tiếp nhận có trách nhiệm chuyển tiếp hồ sơ ... đến cơ quan ... trực tiếp sử dụng";
    # "Thời gian hoàn tất điều chuyển và tiếp nhận ... kể từ ngày văn bản có hiệu lực"
    ("kon-tum", "transfer_receive"): ("working_days", 10, "superior_hr", "Điều 11 khoản 2", "effective_date",
                                      "kể từ ngày văn bản có hiệu lực"),
    ("kon-tum", "status_change"): ("calendar_days", 15, "unit_hr", "Điều 11 khoản 3", "effective_date",
                                   "kể từ ngày văn bản có hiệu lực"),
    # Bình Định, Hướng dẫn 12/2022 Mục II khoản 5
    ("binh-dinh", "transfer_send"): ("working_days", 3, "unit_hr", "Mục II khoản 5 điểm a", "effective_date",
                                     "kể từ ngày văn bản có hiệu lực"),
    ("binh-dinh", "status_change"): ("working_days", 3, "unit_hr", "Mục II khoản 5 điểm b", "effective_date",
                                     "kể từ ngày văn bản có hiệu lực"),
    # Nghệ An, QĐ 4023/QĐ-UBND Điều 10
    ("nghe-an", "transfer_internal"): ("calendar_days", 15, "unit_hr", "Điều 10 khoản 1", "effective_date",
                                       "kể từ ngày văn bản có hiệu lực"),
    # "cơ quan, đơn vị có thẩm quyền quản lý CBCCVC ... theo phân cấp quản lý có trách nhiệm điều chuyển"
    ("nghe-an", "transfer_send"): ("calendar_days", 15, "superior_hr", "Điều 10 khoản 2", "effective_date",
                                   "kể từ ngày văn bản có hiệu lực"),
    ("nghe-an", "transfer_receive"): ("calendar_days", 15, "superior_hr", "Điều 10 khoản 2", "effective_date",
                                      "kể từ ngày văn bản có hiệu lực"),
    ("nghe-an", "status_change"): ("calendar_days", 15, "unit_hr", "Điều 10 khoản 3", "effective_date",
                                   "kể từ ngày văn bản có hiệu lực"),
    # Hải Phòng, Quy chế (dự thảo 11/2023) Điều 9
    ("hai-phong", "transfer_internal"): ("working_days", 10, "unit_hr", "Điều 9 khoản 2", "effective_date",
                                         "kể từ khi văn bản có hiệu lực"),
    ("hai-phong", "transfer_send"): ("working_days", 5, "unit_hr", "Điều 9 khoản 3", "effective_date",
                                     "kể từ ngày văn bản có hiệu lực"),
    ("hai-phong", "transfer_receive"): ("working_days", 5, "unit_hr", "Điều 9 khoản 3", "receipt",
                                        "sau khi tiếp nhận hồ sơ trên phần mềm"),
    ("hai-phong", "arrival_account"): ("working_days", 5, "unit_hr", "Điều 9 khoản 1 điểm a", "handover",
                                       "kể từ ngày nhận chuyển giao hồ sơ"),
    ("hai-phong", "arrival_sync"): ("working_days", 5, "sonoivu_admin", "Điều 9 khoản 1 điểm a", "request",
                                    "kể từ ngày nhận văn bản đề nghị"),
    ("hai-phong", "status_change"): ("none", 0, "unit_hr", "Điều 9 khoản 5", "effective_date", None),
}

# Other steps whose period does not count from the rule's default start.
OTHER_STARTS = {
    # "trong thời gian 15 ngày làm việc, kể từ ngày có hồ sơ giấy hợp lệ" (Kon Tum Đ10.2)
    ("kon-tum", "update_personal"): ("paper_file", "kể từ ngày có hồ sơ giấy hợp lệ"),
    ("kon-tum", "update_state_decision"): ("paper_file", "kể từ ngày có hồ sơ giấy hợp lệ"),
    # "chậm nhất là 10 ngày làm việc kể từ ngày văn bản có hiệu lực" (Nghệ An Đ9.2.b)
    ("nghe-an", "update_state_decision"): ("effective_date", "kể từ ngày văn bản có hiệu lực"),
}


def versions():
    return [pytest.param(profile, id=f"{name}@{profile.version}")
            for name in PROFILE_NAMES for profile in profile_versions(name)]


@pytest.mark.parametrize("profile", versions())
def test_transfer_rules_match_the_seed(profile):
    for rule_name in TRANSFER_RULES:
        expected = EXPECTED.get((profile.name, rule_name))
        if expected is None:  # the seed has no such duty: no rule, the workflow has no deadline
            assert not profile.has_rule(rule_name), (profile.name, rule_name)
            continue
        kind, amount, actor, article, counts_from, start_words = expected
        rule = profile.rule(rule_name)
        assert (rule.kind, rule.amount, rule.actor, rule.article, rule.counts_from) == \
            (kind, amount, actor, article, counts_from), (profile.name, rule_name)
        assert rule.layer == profile.name  # the national layer sets none of these
        if start_words is not None:
            assert start_words in rule.summary, (profile.name, rule_name, rule.summary)
        if kind == "none":
            assert "không quy định thời hạn" in rule.summary, (profile.name, rule_name)


@pytest.mark.parametrize("profile", versions())
def test_other_rules_count_from_their_seed_start(profile):
    for (name, rule_name), (counts_from, start_words) in OTHER_STARTS.items():
        if name != profile.name:
            continue
        rule = profile.rule(rule_name)
        assert rule.layer == profile.name
        assert rule.counts_from == counts_from, (profile.name, rule_name)
        assert start_words in rule.summary


@pytest.mark.parametrize("profile", versions())
def test_every_other_rule_keeps_its_default_start(profile):
    for rule_name, rule in profile.rules.items():
        if (profile.name, rule_name) in EXPECTED or (profile.name, rule_name) in OTHER_STARTS:
            continue
        assert rule.counts_from == DEFAULT_COUNTS_FROM[rule_name], (profile.name, rule_name)


def test_the_count_starts_have_vietnamese_labels():
    for key, label in COUNT_STARTS.items():
        assert label.startswith(("ngày", "tháng")), key
    assert COUNT_STARTS["handover"] == "ngày nhận chuyển giao hồ sơ"
    assert set(DEFAULT_COUNTS_FROM.values()) <= set(COUNT_STARTS)


def test_superior_actor_only_where_the_seed_names_the_higher_authority():
    superior = {(p.name, r.name) for name in PROFILE_NAMES for p in profile_versions(name)
                for r in p.rules.values() if r.actor == "superior_hr"}
    assert superior == {("kon-tum", "transfer_send"), ("kon-tum", "transfer_receive"),
                        ("nghe-an", "transfer_send"), ("nghe-an", "transfer_receive")}


def test_cli_shows_where_the_count_starts(capsys):
    from rules.cli import main
    assert main(["deadline", "kon-tum", "transfer_receive", "2026-03-02"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "2026-03-16"  # 10 working days from the effective date, not from a receipt
    assert out[-1] == "tính từ: ngày văn bản có hiệu lực (effective_date)"
    assert main(["deadline", "quang-ngai", "arrival_account", "2026-03-02"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "không có thời hạn" and out[-1] == "tính từ: ngày nhận chuyển giao hồ sơ (handover)"
    assert main(["profiles"]) == 0
    assert "update_personal: working_days 15, unit_hr, Điều 10 khoản 2 [kon-tum], tính từ paper_file" \
        in capsys.readouterr().out
