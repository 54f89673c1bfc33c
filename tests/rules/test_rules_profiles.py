from datetime import date

import pytest

from rules.profiles import (
    ACTORS,
    KINDS,
    PROFILE_NAMES,
    RULE_NAMES,
    STATUTE_LAYERS,
    UnknownProfile,
    UnknownRule,
    get_profile,
    list_profiles,
    profile_versions,
)


def all_versions():
    for name in PROFILE_NAMES:
        yield from profile_versions(name)


def test_list_profiles_newest_versions():
    profs = list_profiles()
    assert [p.name for p in profs] == list(PROFILE_NAMES)
    assert all(p.version == "2026-07-01" for p in profs)


@pytest.mark.parametrize(
    "name,first",
    [
        ("quang-ngai", "2024-10-01"),
        ("kon-tum", "2025-01-01"),
        ("binh-dinh", "2022-12-01"),
        ("nghe-an", "2023-12-06"),
        ("hai-phong", "2023-11-01"),
    ],
)
def test_versions(name, first):
    vs = profile_versions(name)
    assert [v.version for v in vs] == [first, "2026-07-01"]
    assert vs[0].layers == (name,)
    assert vs[1].layers == ("nd-27-2026", name)
    assert vs[0].effective_from == date.fromisoformat(first)


def test_every_rule_has_article_instrument_and_valid_fields():
    for p in all_versions():
        assert p.rules, p.name
        for name, r in p.rules.items():
            assert name in RULE_NAMES
            assert r.name == name
            assert r.article.strip(), (p.name, name)
            assert r.instrument.strip(), (p.name, name)
            assert r.kind in KINDS
            assert r.actor in ACTORS
            assert r.layer in (p.name, "nd-27-2026", *STATUTE_LAYERS)
            assert r.article in r.legal_basis and r.instrument in r.legal_basis
            if r.kind in ("working_days", "calendar_days", "monthly_before_day", "monthly_last_days"):
                assert r.amount > 0


def test_quang_ngai_rules():
    p = get_profile("quang-ngai", on=date(2025, 1, 1))
    r = p.rule("account_creation")
    assert (r.kind, r.amount, r.actor, r.article) == ("working_days", 7, "unit_hr", "Điều 5 khoản 2")
    assert r.legal_basis.startswith("Điều 5 khoản 2 QĐ 29/2024/QĐ-UBND tỉnh Quảng Ngãi")
    assert "07 ngày làm việc" in r.legal_basis
    assert p.rule("self_entry").amount == 5
    m = p.rule("monthly_approval")
    assert (m.kind, m.amount, m.actor, m.article) == ("monthly_before_day", 25, "unit_head", "Điều 6 khoản 1")
    pa = p.rule("province_approval")
    assert (pa.kind, pa.amount, pa.actor, pa.article) == (
        "monthly_last_days", 5, "sonoivu_director", "Điều 6 khoản 2")
    assert p.rule("transfer_internal").kind == "immediate"
    assert p.rule("transfer_send").kind == "immediate"
    assert p.rule("arrival_sync").actor == "sonoivu_admin"
    assert not p.has_rule("new_record")
    assert not p.has_rule("update_state_decision")
    assert p.approval_scope == "own_unit"
    assert p.onboarding_envelope is None
    assert "Điều 5 khoản 6" in p.escalation.basis


def test_kon_tum_rules():
    p = get_profile("kon-tum", on=date(2025, 6, 1))
    acc = p.rule("account_creation")
    assert (acc.kind, acc.actor, acc.article) == ("none", "sonoivu_admin", "Điều 7 khoản 2")
    assert p.rule("new_record").amount == 30
    assert p.rule("new_record").kind == "working_days"
    assert p.rule("transfer_internal").kind == "calendar_days"
    assert p.rule("transfer_send").kind == "working_days"
    assert p.rule("status_change").amount == 15
    assert p.rule("monthly_approval").kind == "monthly_last_days"
    assert not p.has_rule("province_approval")
    assert p.approval_scope == "department"
    assert p.onboarding_envelope == "new_record"


def test_hai_phong_and_nghe_an_and_binh_dinh():
    hp = get_profile("hai-phong", on=date(2024, 1, 1))
    assert hp.rule("account_creation").kind == "none"
    assert hp.rule("account_creation").article == "Điều 4 khoản 2"
    assert hp.rule("arrival_sync").amount == 5 and hp.rule("arrival_sync").actor == "sonoivu_admin"
    assert hp.rule("transfer_internal").kind == "working_days"
    assert hp.approval_scope == "own_unit"
    na = get_profile("nghe-an", on=date(2024, 1, 1))
    assert na.rule("update_state_decision").amount == 10
    assert na.rule("transfer_receive").kind == "calendar_days"
    assert na.onboarding_envelope == "new_record"
    assert not na.has_rule("account_creation")
    bd = get_profile("binh-dinh", on=date(2024, 1, 1))
    assert bd.rule("self_entry").amount == 3
    assert bd.rule("update_personal").kind == "calendar_days"
    assert bd.rule("status_change").article == "Mục II khoản 5 điểm b"


def test_binh_dinh_has_no_monthly_approval():
    for p in profile_versions("binh-dinh"):
        assert not p.has_rule("monthly_approval")
        with pytest.raises(UnknownRule) as ei:
            p.rule("monthly_approval")
        msg = str(ei.value)
        assert "binh-dinh" in msg and "monthly_approval" in msg
        assert "không có quy tắc" in msg
        assert "self_entry" in msg and "transfer_send" in msg
        assert "self_entry" in ei.value.valid
        assert "monthly_approval" not in ei.value.valid


def test_unknown_profile_lists_valid():
    with pytest.raises(UnknownProfile) as ei:
        get_profile("ha-noi")
    msg = str(ei.value)
    assert "ha-noi" in msg and "Không có hồ sơ quy định" in msg
    for n in PROFILE_NAMES:
        assert n in msg
    assert ei.value.valid == PROFILE_NAMES
    assert isinstance(ei.value, ValueError)


def test_unknown_version():
    with pytest.raises(UnknownProfile) as ei:
        get_profile("quang-ngai", "1999-01-01")
    assert "quang-ngai@2024-10-01" in str(ei.value)


def test_version_selection_by_date():
    assert get_profile("kon-tum", on=date(2026, 6, 30)).version == "2025-01-01"
    assert get_profile("kon-tum", on=date(2026, 7, 1)).version == "2026-07-01"
    assert get_profile("kon-tum").version == "2026-07-01"
    assert get_profile("kon-tum", "2025-01-01").version == "2025-01-01"
    # before the first version: use the earliest version
    assert get_profile("quang-ngai", on=date(2020, 1, 1)).version == "2024-10-01"


def test_national_layer_fills_gaps_only():
    before = get_profile("kon-tum", on=date(2026, 6, 30))
    after = get_profile("kon-tum", on=date(2026, 7, 1))
    assert before.rule("self_entry").kind == "none"
    se = after.rule("self_entry")
    assert (se.kind, se.amount, se.layer, se.actor) == ("working_days", 3, "nd-27-2026", "person")
    assert "Nghị định 27/2026/NĐ-CP" in se.legal_basis
    assert "Điều 7 khoản 2" in se.note  # records why the gap was filled
    # Kon Tum already has an update deadline (Điều 10 khoản 2) -> province wins
    usd = after.rule("update_state_decision")
    assert (usd.amount, usd.layer) == (15, "kon-tum")
    # Kon Tum account_creation: national layer lacks this rule -> still "none"
    assert after.rule("account_creation").kind == "none"
    assert after.caveats and "CHƯA XÁC MINH" in after.caveats[0]


def test_quang_ngai_province_wins_after_decree():
    after = get_profile("quang-ngai", on=date(2026, 7, 1))
    se = after.rule("self_entry")
    assert (se.kind, se.amount, se.layer) == ("working_days", 5, "quang-ngai")
    usd = after.rule("update_state_decision")  # gap -> national layer
    assert (usd.amount, usd.layer, usd.actor) == (3, "nd-27-2026", "unit_hr")


def test_absent_before_present_after():
    bd_before = get_profile("binh-dinh", on=date(2026, 6, 30))
    bd_after = get_profile("binh-dinh", on=date(2026, 7, 1))
    assert not bd_before.has_rule("update_state_decision")
    assert bd_after.rule("update_state_decision").layer == "nd-27-2026"
    assert bd_after.rule("self_entry").layer == "binh-dinh"  # province: 3 working days
    hp_after = get_profile("hai-phong", on=date(2026, 7, 1))
    assert hp_after.rule("self_entry").layer == "nd-27-2026"
    assert hp_after.rule("update_personal").kind == "none"  # national layer lacks this rule
    na_after = get_profile("nghe-an", on=date(2026, 7, 1))
    assert na_after.rule("update_state_decision").layer == "nghe-an"
    assert na_after.rule("self_entry").layer == "nd-27-2026"


def test_profile_is_immutable():
    p = get_profile("quang-ngai")
    with pytest.raises(TypeError):
        p.rules["x"] = None  # type: ignore[index]
