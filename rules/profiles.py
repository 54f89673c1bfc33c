"""Per-province regulation profiles, versioned and layered.

Data lives in ``rules/profiles/*.toml`` (read once at import). Each version of a
province lists its layers bottom-up (e.g. ``("nd-27-2026", "quang-ngai")``).
The national layer only *fills gaps*: its rule is used only when the province has
no such rule, or only names the actor without setting a deadline (kind
``"none"``). Provincial rules always win.

Below every version, whatever its declared layers, lie the *statute layers*
(``rules/profiles/statutes.toml``): duties that national laws give every agency
(e.g. the retirement notice and decision). They are merged first, so a national
layer never replaces them (it only fills gaps) and a province's own rule does,
the same way as over a national rule.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

__all__ = [
    "RULE_NAMES",
    "PROFILE_NAMES",
    "KINDS",
    "ACTORS",
    "COUNT_STARTS",
    "Rule",
    "EscalationPolicy",
    "BackupPolicy",
    "ReportingDuty",
    "REPORT_PERIODS",
    "Profile",
    "Layer",
    "UnknownProfile",
    "UnknownRule",
    "get_profile",
    "list_profiles",
    "profile_versions",
    "national_layers",
    "STATUTE_LAYERS",
    "statute_layers",
]

RULE_NAMES = (
    "account_creation",
    "self_entry",
    "new_record",
    "update_personal",
    "update_state_decision",
    "monthly_approval",
    "province_approval",
    "transfer_internal",
    "transfer_send",
    "transfer_receive",
    "arrival_account",
    "arrival_sync",
    "status_change",
    "retirement_notice",
    "retirement_decision",
)
PROFILE_NAMES = ("quang-ngai", "kon-tum", "binh-dinh", "nghe-an", "hai-phong")

KINDS = (
    "working_days",
    "calendar_days",
    "immediate",
    "monthly_before_day",
    "monthly_last_days",
    "none",
    "months_before",  # counts backwards from its start (e.g. 6 months before the retirement date)
    "fixed_date",  # a fixed day and month (a periodic report: "trước ngày 15 tháng 01 hàng năm")
)
# superior_hr: the HR of the higher authority that manages the person ("cấp trên theo phân cấp quản
# lý", Kon Tum Đ11.2, Nghệ An Đ10.2): unit_hr of the nearest unit above the person's unit that has one,
# else Sở Nội vụ (services/actors.py).
ACTORS = ("unit_hr", "person", "unit_head", "sonoivu_admin", "sonoivu_director", "superior_hr")

# The event each period counts from (`counts_from` of a rule). The workflow passes the dates it
# knows under these names (ScheduleInput.starts); a rule picks its own.
COUNT_STARTS = {
    "hire": "ngày tuyển dụng, tiếp nhận",
    "account": "ngày tài khoản cá nhân được tạo lập",
    "event": "ngày phát sinh thay đổi",
    "paper_file": "ngày có hồ sơ giấy hợp lệ",
    "effective_date": "ngày văn bản có hiệu lực",
    "receipt": "ngày tiếp nhận hồ sơ trên phần mềm",
    # an arrival from a ministry or another province: the (paper) file handed over with the person,
    # not a record on the software (Quảng Ngãi Đ9.1.a, Hải Phòng Đ9.1.a)
    "handover": "ngày nhận chuyển giao hồ sơ",
    "request": "ngày Sở Nội vụ nhận văn bản đề nghị",
    "month": "tháng phê duyệt",
    "retirement_date": "ngày nghỉ hưu",
    "period_start": "ngày đầu kỳ báo cáo",  # a periodic report (Profile.reporting)
}
# Where a profile's rule does not say, its period counts from this event.
DEFAULT_COUNTS_FROM = {
    "account_creation": "hire",
    "self_entry": "account",
    "new_record": "hire",
    "update_personal": "event",
    "update_state_decision": "event",
    "monthly_approval": "month",
    "province_approval": "month",
    "transfer_internal": "effective_date",
    "transfer_send": "effective_date",
    "transfer_receive": "receipt",
    "arrival_account": "receipt",
    "arrival_sync": "request",
    "status_change": "effective_date",
    "retirement_notice": "retirement_date",
    "retirement_decision": "retirement_date",
}

# Short Vietnamese labels of the steps, used in error messages / CLI.
RULE_LABELS = {
    "account_creation": "tạo lập tài khoản cá nhân",
    "self_entry": "cá nhân nhập liệu lần đầu",
    "new_record": "lập hồ sơ mới",
    "update_personal": "cập nhật thông tin cá nhân thay đổi",
    "update_state_decision": "cập nhật thông tin theo quyết định của cơ quan nhà nước",
    "monthly_approval": "phê duyệt hằng tháng cấp đơn vị",
    "province_approval": "phê duyệt cấp tỉnh (Giám đốc Sở Nội vụ)",
    "transfer_internal": "điều chuyển hồ sơ trong cùng cơ quan",
    "transfer_send": "chuyển hồ sơ sang cơ quan khác trong tỉnh",
    "transfer_receive": "tiếp nhận hồ sơ chuyển đến",
    "arrival_account": "tạo tài khoản cho người chuyển đến từ bộ, ngành, tỉnh khác",
    "arrival_sync": "Sở Nội vụ đồng bộ dữ liệu người chuyển đến",
    "status_change": "điều chỉnh tình trạng hồ sơ khi nghỉ, chuyển đi",
    "retirement_notice": "thông báo bằng văn bản về thời điểm nghỉ hưu",
    "retirement_decision": "ra quyết định nghỉ hưu",
}

_DIR = Path(__file__).resolve().parent / "profiles"


class UnknownProfile(ValueError):
    def __init__(self, name: str, valid: tuple[str, ...] | list[str], detail: str = "") -> None:
        self.name = name
        self.valid = tuple(valid)
        msg = (
            f"Không có hồ sơ quy định '{name}'{detail}. "
            f"Các giá trị hợp lệ: {', '.join(self.valid)}"
        )
        super().__init__(msg)


class UnknownRule(ValueError):
    def __init__(self, profile: str, rule: str, valid: tuple[str, ...] | list[str]) -> None:
        self.profile = profile
        self.rule = rule
        self.valid = tuple(valid)
        super().__init__(
            f"Hồ sơ quy định '{profile}' không có quy tắc '{rule}'. "
            f"Các quy tắc của hồ sơ này: {', '.join(self.valid)}"
        )


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    amount: int
    actor: str
    article: str
    instrument: str
    layer: str
    note: str = ""
    summary: str = ""  # Vietnamese summary of the obligation (beyond the minimal API)
    counts_from: str = "event"  # a COUNT_STARTS key: the event the period counts from
    fixed_on: tuple[int, int] | None = None  # (day, month) of a `fixed_date` rule, in the start's year + `amount`

    @property
    def counts_from_label(self) -> str:
        return COUNT_STARTS[self.counts_from]

    @property
    def legal_basis(self) -> str:
        base = f"{self.article} {self.instrument}"
        return f"{base} — {self.summary}" if self.summary else base

    @property
    def has_deadline(self) -> bool:
        return self.kind != "none"


@dataclass(frozen=True)
class EscalationPolicy:
    remind_before_working_days: int
    head_at_due: bool
    sonoivu_after_working_days: int
    basis: str


@dataclass(frozen=True)
class BackupPolicy:
    """How often the application database is backed up and how long backups are kept (the profile's
    `[backup]` table). A province whose text sets no period or number keeps the defaults (monthly, three
    months: Quảng Ngãi Đ10.2, Kon Tum Đ12.1), and its `note` says so."""
    every_months: int = 1   # a backup every N months (the Schedule fires monthly; services/backups.py)
    keep_months: int = 3    # backups are kept at least this many months, and at least this many verified ones
    article: str = ""
    instrument: str = ""
    summary: str = ""
    note: str = ""

    @property
    def legal_basis(self) -> str | None:
        if not self.article:
            return None
        base = f"{self.article} {self.instrument}".strip()
        return f"{base} — {self.summary}" if self.summary else base


# A periodic report's period → months in it.
REPORT_PERIODS = {"yearly": 12, "half_yearly": 6, "quarterly": 3}
# who prepares a report → who signs it: each reporting unit's HR and head, or the Sở level (Bình Định III.2)
REPORT_SIGNERS = {"unit_hr": "unit_head", "sonoivu_admin": "sonoivu_director"}


@dataclass(frozen=True)
class ReportingDuty:
    """A periodic report (a `[[reporting]]` table): who reports what, for which period, by when, under which
    article. Each duty is a Temporal Schedule (bootstrap/schedules.py) that opens a round when its period ends
    (or `opens_months_before_end` months before): a task for each reporting unit's HR (or the Sở level), then the
    head's signature. The due date is `rule` (kind `fixed_date`, or `none` when the text sets no date), counted
    from the period's first day; the head's task has the same date (`sign_rule`)."""
    key: str
    title: str
    period: str                     # a REPORT_PERIODS key
    reporter: str                   # a REPORT_SIGNERS key
    signer: str
    rule: Rule                      # named `report.{key}`: the preparer's due date and its legal basis
    sign_rule: Rule                 # named `report.{key}.sign`: the same date, for the signer
    rounds: tuple[int, ...]         # which periods of a year are reported (1-based; e.g. (1,) the first half only)
    opens_months_before_end: int = 0
    contents: str = ""              # what the report holds, as the article says

    @property
    def months(self) -> int:
        return REPORT_PERIODS[self.period]

    @property
    def legal_basis(self) -> str:
        return self.rule.legal_basis


@dataclass(frozen=True)
class Profile:
    name: str
    version: str
    title: str
    province: str
    effective_from: date
    layers: tuple[str, ...]
    rules: Mapping[str, Rule]
    escalation: EscalationPolicy
    approval_scope: str
    onboarding_envelope: str | None
    instrument: str = ""
    caveats: tuple[str, ...] = field(default=())
    backup: BackupPolicy = BackupPolicy()
    reporting: tuple["ReportingDuty", ...] = ()  # the periodic reports, `[[reporting]]` (each a Schedule)

    def rule(self, name: str) -> Rule:
        try:
            return self.rules[name]
        except KeyError:
            for duty in self.reporting:  # a periodic report's due date (`report.{key}`, `report.{key}.sign`)
                if name in (duty.rule.name, duty.sign_rule.name):
                    return duty.rule if name == duty.rule.name else duty.sign_rule
            raise UnknownRule(self.name, name, self.rule_names()) from None

    def has_rule(self, name: str) -> bool:
        return name in self.rules or any(name in (d.rule.name, d.sign_rule.name) for d in self.reporting)

    def rule_names(self) -> tuple[str, ...]:
        return tuple(n for n in RULE_NAMES if n in self.rules)

    def duty(self, key: str) -> "ReportingDuty":
        """A periodic report of the profile by its key (`[[reporting]]`)."""
        for duty in self.reporting:
            if duty.key == key:
                return duty
        raise UnknownRule(self.name, f"report.{key}", [f"report.{d.key}" for d in self.reporting])


@dataclass(frozen=True)
class Layer:
    name: str
    title: str
    instrument: str
    effective_from: date | None
    verified: bool
    note: str
    rules: Mapping[str, dict[str, Any]]


# --------------------------------------------------------------------------- loading
def _rule_from(name: str, raw: Mapping[str, Any], instrument: str, layer: str) -> Rule:
    if name not in RULE_NAMES:
        raise ValueError(f"Quy tắc không hợp lệ '{name}' trong lớp '{layer}'")
    kind = raw["kind"]
    if kind not in KINDS:
        raise ValueError(f"Loại thời hạn không hợp lệ '{kind}' ({layer}.{name})")
    actor = raw["actor"]
    if actor not in ACTORS:
        raise ValueError(f"Người thực hiện không hợp lệ '{actor}' ({layer}.{name})")
    article = str(raw.get("article", "")).strip()
    inst = str(raw.get("instrument", instrument)).strip()
    if not article or not inst:
        raise ValueError(f"Thiếu điều khoản / văn bản cho {layer}.{name}")
    counts_from = str(raw.get("counts_from") or DEFAULT_COUNTS_FROM.get(name, "event"))
    if counts_from not in COUNT_STARTS:
        raise ValueError(f"Mốc tính thời hạn không hợp lệ '{counts_from}' ({layer}.{name}); "
                         f"các giá trị hợp lệ: {', '.join(COUNT_STARTS)}")
    return Rule(
        name=name,
        kind=kind,
        amount=int(raw.get("amount", 0)),
        actor=actor,
        article=article,
        instrument=inst,
        layer=layer,
        note=str(raw.get("note", "")),
        summary=str(raw.get("summary", "")),
        counts_from=counts_from,
    )


def _backup_from(raw: Mapping[str, Any] | None, instrument: str, layer: str) -> BackupPolicy:
    """The `[backup]` table of a province file; without one, the defaults."""
    if raw is None:
        return BackupPolicy()
    policy = BackupPolicy(
        every_months=int(raw.get("every_months", 1)), keep_months=int(raw.get("keep_months", 3)),
        article=str(raw.get("article", "")).strip(), instrument=str(raw.get("instrument", instrument)).strip(),
        summary=str(raw.get("summary", "")), note=str(raw.get("note", "")),
    )
    if policy.every_months < 1 or policy.keep_months < 1:
        raise ValueError(f"{layer}.backup: every_months và keep_months phải từ 1 trở lên")
    if not policy.article and not policy.note:
        raise ValueError(f"{layer}.backup: thiếu điều khoản (article) hoặc ghi chú (note) giải thích vì sao không có")
    return policy


def _reporting_from(raw: list[Mapping[str, Any]] | None, instrument: str, layer: str) -> tuple[ReportingDuty, ...]:
    """The `[[reporting]]` tables of a province file (appended last); none without them."""
    duties: list[ReportingDuty] = []
    for item in raw or ():
        key, period, reporter = str(item.get("key", "")), str(item.get("period", "")), str(item.get("reporter", ""))
        where = f"{layer}.reporting.{key}"
        if not (key.isascii() and key.replace("_", "").isalpha() and key.islower()) or len(key) > 16:
            raise ValueError(f"{where}: key phải là chữ thường không dấu, tối đa 16 ký tự")
        if period not in REPORT_PERIODS:
            raise ValueError(f"{where}: period không hợp lệ '{period}'; "
                             f"các giá trị hợp lệ: {', '.join(REPORT_PERIODS)}")
        if reporter not in REPORT_SIGNERS:
            raise ValueError(f"{where}: reporter không hợp lệ '{reporter}'; "
                             f"các giá trị hợp lệ: {', '.join(REPORT_SIGNERS)}")
        kind = str(item.get("kind", "none"))
        if kind not in ("fixed_date", "none"):
            raise ValueError(f"{where}: kind của kỳ báo cáo chỉ là fixed_date hoặc none, không phải '{kind}'")
        fixed_on = None
        if kind == "fixed_date":
            day, month = (int(part) for part in str(item.get("on", "")).split("/"))
            date(2001, month, day)  # a day every year has (raises ValueError otherwise)
            fixed_on = (day, month)
        article = str(item.get("article", "")).strip()
        inst = str(item.get("instrument", instrument)).strip()
        if not article or not inst:
            raise ValueError(f"Thiếu điều khoản / văn bản cho {where}")
        per_year = 12 // REPORT_PERIODS[period]
        rounds = tuple(int(n) for n in item.get("rounds", range(1, per_year + 1)))
        if not rounds or any(not 1 <= n <= per_year for n in rounds):
            raise ValueError(f"{where}: rounds phải nằm trong 1..{per_year}")
        opens = int(item.get("opens_months_before_end", 0))
        if not 0 <= opens < REPORT_PERIODS[period]:
            raise ValueError(f"{where}: opens_months_before_end phải từ 0 đến dưới độ dài kỳ")
        rule = Rule(name=f"report.{key}", kind=kind, amount=int(item.get("year_offset", 0)), actor=reporter,
                    article=article, instrument=inst, layer=layer, note=str(item.get("note", "")),
                    summary=str(item.get("summary", "")), counts_from="period_start", fixed_on=fixed_on)
        signer = REPORT_SIGNERS[reporter]
        duties.append(ReportingDuty(
            key=key, title=str(item.get("title", "")).strip() or key, period=period, reporter=reporter, signer=signer,
            rule=rule, sign_rule=Rule(**{**rule.__dict__, "name": f"report.{key}.sign", "actor": signer}),
            rounds=rounds, opens_months_before_end=opens, contents=str(item.get("contents", ""))))
    if len({d.key for d in duties}) != len(duties):
        raise ValueError(f"{layer}: hai kỳ báo cáo trùng key")
    return tuple(duties)


def _load_national() -> dict[str, Layer]:
    return _load_layers("national.toml")


def _load_layers(filename: str) -> dict[str, Layer]:
    data = tomllib.loads((_DIR / filename).read_text(encoding="utf-8"))
    out: dict[str, Layer] = {}
    for lname, raw in data.get("layers", {}).items():
        out[lname] = Layer(
            name=lname,
            title=raw.get("title", lname),
            instrument=raw["instrument"],
            effective_from=raw.get("effective_from"),
            verified=bool(raw.get("verified", False)),
            note=raw.get("note", ""),
            rules=MappingProxyType(dict(raw.get("rules", {}))),
        )
    return out


_NATIONAL = _load_national()
# laws every agency applies, under every version's layers (merged bottom-up, in file order)
_STATUTES = _load_layers("statutes.toml")
STATUTE_LAYERS = tuple(_STATUTES)


def national_layers() -> Mapping[str, Layer]:
    return MappingProxyType(_NATIONAL)


def statute_layers() -> Mapping[str, Layer]:
    return MappingProxyType(_STATUTES)


def _build_versions(data: Mapping[str, Any]) -> list[Profile]:
    name = data["name"]
    instrument = data["instrument"]
    esc = data["escalation"]
    escalation = EscalationPolicy(
        remind_before_working_days=int(esc["remind_before_working_days"]),
        head_at_due=bool(esc["head_at_due"]),
        sonoivu_after_working_days=int(esc["sonoivu_after_working_days"]),
        basis=esc["basis"],
    )
    own = {
        rname: _rule_from(rname, raw, instrument, name)
        for rname, raw in data.get("rules", {}).items()
    }
    envelope = data.get("onboarding_envelope") or None
    if envelope is not None and envelope not in own:
        raise ValueError(f"{name}: onboarding_envelope '{envelope}' không phải quy tắc của tỉnh")
    versions: list[Profile] = []
    for v in data["version"]:
        layers = tuple(v["layers"])
        if layers[-1] != name:
            raise ValueError(f"{name}: lớp trên cùng phải là tỉnh")
        merged: dict[str, Rule] = {}
        caveats: list[str] = []
        for statute in _STATUTES.values():  # the bottom of every version
            for rname, raw in statute.rules.items():
                merged[rname] = _rule_from(rname, raw, statute.instrument, statute.name)
        # Bottom-up: the national layer only fills the province's gaps.
        for lname in layers[:-1]:
            layer = _NATIONAL.get(lname)
            if layer is None:
                raise ValueError(f"{name}: không có lớp quốc gia '{lname}'")
            if not layer.verified:
                caveats.append(f"{lname}: {layer.note}")
            for rname, raw in layer.rules.items():
                if rname in merged and merged[rname].kind != "none":
                    continue
                merged[rname] = _rule_from(rname, raw, layer.instrument, lname)
        caveats += [f"{statute.name}: {statute.note}" for statute in _STATUTES.values() if not statute.verified]
        for rname, rule in own.items():
            below = merged.get(rname)
            if below is not None and rule.kind == "none" and below.kind != "none":
                # Province names only the actor; lower layer has a deadline -> use it and note why.
                extra = (
                    f"Lấp khoảng trống: {rule.article} {rule.instrument} chỉ quy định người "
                    f"thực hiện, không quy định thời hạn; áp dụng thời hạn của {below.layer}."
                )
                merged[rname] = Rule(
                    **{**below.__dict__, "note": (below.note + " " + extra).strip()}
                )
                continue
            merged[rname] = rule
        ordered = {r: merged[r] for r in RULE_NAMES if r in merged}
        versions.append(
            Profile(
                name=name,
                version=str(v["version"]),
                title=data["title"],
                province=data["province"],
                effective_from=v["effective_from"],
                layers=layers,
                rules=MappingProxyType(ordered),
                escalation=escalation,
                approval_scope=data["approval_scope"],
                onboarding_envelope=envelope,
                instrument=instrument,
                caveats=tuple(caveats),
                backup=_backup_from(data.get("backup"), instrument, name),
                reporting=_reporting_from(data.get("reporting"), instrument, name),
            )
        )
    versions.sort(key=lambda p: p.effective_from)
    return versions


def _load_all() -> dict[str, tuple[Profile, ...]]:
    out: dict[str, tuple[Profile, ...]] = {}
    for pname in PROFILE_NAMES:
        data = tomllib.loads((_DIR / f"{pname}.toml").read_text(encoding="utf-8"))
        if data["name"] != pname:
            raise ValueError(f"Tệp {pname}.toml khai báo name = {data['name']!r}")
        out[pname] = tuple(_build_versions(data))
    return out


_PROFILES = _load_all()


# --------------------------------------------------------------------------- lookup
def profile_versions(name: str) -> list[Profile]:
    """All versions of a province, oldest first."""
    try:
        return list(_PROFILES[name])
    except KeyError:
        raise UnknownProfile(name, PROFILE_NAMES) from None


def get_profile(name: str, version: str | None = None, *, on: date | None = None) -> Profile:
    """A regulation profile version.

    - ``version`` given: exactly that version (workflows pin the version at start);
    - ``on`` given: the version in force on that date; if the date precedes every
      version, the earliest version;
    - neither: the latest version.
    """
    versions = profile_versions(name)
    if version is not None:
        for p in versions:
            if p.version == version:
                return p
        raise UnknownProfile(
            name,
            [f"{name}@{p.version}" for p in versions],
            detail=f" phiên bản '{version}'",
        )
    if on is not None:
        chosen = versions[0]
        for p in versions:
            if p.effective_from <= on:
                chosen = p
        return chosen
    return versions[-1]


def list_profiles() -> list[Profile]:
    """Latest version of each province."""
    return [_PROFILES[n][-1] for n in PROFILE_NAMES]
