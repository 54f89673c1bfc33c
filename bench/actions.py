"""Temporal work per workflow, counted from the recorded histories that the replay test replays.

    .venv/bin/python -m bench.actions            # one line per recorded history, then one per workflow type
    .venv/bin/python -m bench.actions --json     # the same figures as JSON (with activity types)

Reads tests/workflows/histories/*.json (tests/workflows/record_histories.py records them: real worker, real
activities, time-skipping server) and counts, per history: events, activities (and attempts), timers,
signals received, Updates accepted, child workflows started, continue-as-new, and the history's size. It
needs no server and no database, and it times nothing.

**actions** follows Temporal Cloud's list of billable actions (docs.temporal.io/cloud/actions), which is
also a fair measure of the server's work on a self-hosted cluster: the workflow's start (a start by
signal-with-start and its signal count once), each activity attempt, each timer started, each signal
received, each Update accepted, each child workflow started (the child's own start counts in the child's
history), each marker-recording workflow task, each search-attribute upsert. Not in a history, so not
counted: rejected Updates, queries, activity heartbeats, and a Schedule's own two actions per run.

**bytes** is the serialized protobuf of the history as recorded (payloads in clear JSON); **encrypted** is
the same history with every payload put through the production codec (core/temporal.EncryptionCodec,
AES-256-GCM, a throwaway key), as the web app and worker write them. Search attributes and headers are left
as they are, as the SDK leaves them.
"""
import argparse
import json
import os
from collections import Counter
from dataclasses import dataclass, field, fields
from pathlib import Path

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History
from temporalio.client import WorkflowHistory

from core.crypto import KeyRing
from core.temporal import EncryptionCodec

ROOT = Path(__file__).resolve().parent.parent
HISTORIES = ROOT / "tests" / "workflows" / "histories"
WORKFLOW_IDS = ROOT / "tests" / "workflows" / "history_ids.json"
NOT_ENCODED = {"header", "search_attributes"}  # payloads the SDK's codec never sees

E = EventType


@dataclass
class Counts:
    name: str                 # the file's stem: <WorkflowType>-<case>
    workflow_type: str
    closed: bool              # the recorded run ended (completed, failed, continued as new, ...)
    events: int = 0
    workflow_tasks: int = 0
    activities: int = 0       # activities scheduled
    attempts: int = 0         # activity attempts (each is an action)
    timers: int = 0
    signals: int = 0          # signals received (from clients, activities or other workflows)
    updates: int = 0          # Updates accepted
    children: int = 0         # child workflows started by this one
    continued: int = 0        # continue-as-new at the end of this run
    markers: int = 0          # workflow tasks that recorded markers (local activities, side effects)
    upserts: int = 0          # search-attribute upserts
    actions: int = 0
    bytes: int = 0
    encrypted: int = 0
    activity_types: Counter = field(default_factory=Counter)


def load(path: Path) -> WorkflowHistory:
    ids = json.loads(WORKFLOW_IDS.read_text(encoding="utf-8"))
    return WorkflowHistory.from_json(ids[path.name], path.read_text(encoding="utf-8"))


def count(name: str, history: WorkflowHistory) -> Counts:
    events = history.events
    started = events[0].workflow_execution_started_event_attributes
    last = events[-1].event_type
    c = Counts(name, started.workflow_type.name, closed=last in CLOSING, events=len(events))
    marker_tasks = set()
    task = 0  # the id of the last WorkflowTaskCompleted: markers and upserts follow it
    for event in events:
        kind = event.event_type
        if kind == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            c.workflow_tasks += 1
            task = event.event_id
        elif kind == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            c.activities += 1
            c.activity_types[event.activity_task_scheduled_event_attributes.activity_type.name] += 1
        elif kind == E.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            c.attempts += max(1, event.activity_task_started_event_attributes.attempt)  # retries are not events
        elif kind == E.EVENT_TYPE_TIMER_STARTED:
            c.timers += 1
        elif kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            c.signals += 1
        elif kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            c.updates += 1
        elif kind == E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            c.children += 1
        elif kind == E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            c.continued += 1
        elif kind == E.EVENT_TYPE_MARKER_RECORDED:
            marker_tasks.add(task)
        elif kind == E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            c.upserts += 1
    c.markers = len(marker_tasks)
    # A signal-with-start that started the run: its Signaled event comes before the first workflow task
    # starts, and Temporal counts the start and that signal as one action.
    first_task = next((e.event_id for e in events if e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_STARTED), 0)
    with_start = any(e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED and e.event_id < first_task
                     for e in events)
    c.actions = (0 if with_start else 1) + c.attempts + c.timers + c.signals + c.updates + c.children \
        + c.markers + c.upserts
    proto = History(events=events)
    c.bytes = proto.ByteSize()
    c.encrypted = finished(encrypted_size(proto))
    return c


CLOSING = {E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
           E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
           E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW}


def payloads_in(message: Message) -> list[Payload]:
    """Every Payload inside `message` that the SDK's codec encodes (in place: the list holds references)."""
    found = []
    for descriptor, value in message.ListFields():
        if descriptor.message_type is None or descriptor.name in NOT_ENCODED:
            continue
        if descriptor.message_type.GetOptions().map_entry:
            items = list(value.values()) if descriptor.message_type.fields_by_name["value"].message_type else []
        elif descriptor.is_repeated:
            items = list(value)
        else:
            items = [value]
        for item in items:
            found.extend([item] if isinstance(item, Payload) else payloads_in(item))
    return found


async def encrypted_size(history: History) -> int:
    copy = History()
    copy.CopyFrom(history)
    payloads = payloads_in(copy)
    codec = EncryptionCodec(KeyRing([("k-bench", os.urandom(32))]))
    for payload, sealed in zip(payloads, await codec.encode(payloads)):
        payload.CopyFrom(sealed)
    return copy.ByteSize()


def as_dict(c: Counts) -> dict:
    return {**{f.name: getattr(c, f.name) for f in fields(c)}, "activity_types": dict(c.activity_types)}


def finished(coroutine):
    """The result of a coroutine that never waits (the codec only computes), also inside a running loop."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("the payload codec waited for I/O")


def counted(paths: list[Path] | None = None) -> list[Counts]:
    return [count(path.stem, load(path)) for path in (paths or sorted(HISTORIES.glob("*.json")))]


def by_type(all_counts: list[Counts]) -> dict[str, Counts]:
    """Per workflow type, the recorded history with the most actions among its closed ones (else among its
    open ones): the longest path recorded, so the figure errs on the high side."""
    best: dict[str, Counts] = {}
    for c in all_counts:
        held = best.get(c.workflow_type)
        if held is None or (c.closed, c.actions) > (held.closed, held.actions):
            best[c.workflow_type] = c
    return dict(sorted(best.items()))


COLUMNS = ("events", "workflow_tasks", "activities", "attempts", "timers", "signals", "updates", "children",
           "continued", "actions", "bytes", "encrypted")
HEADS = ("events", "wf tasks", "activities", "attempts", "timers", "signals", "updates", "children", "CAN",
         "actions", "bytes", "encrypted")


def table(rows: list[Counts], title: str) -> str:
    width = max(len(c.name) for c in rows) + 8
    lines = [f"{title:<{width}}" + "".join(f"{h:>11}" for h in HEADS)]
    for c in rows:
        label = f"{c.name} {'closed' if c.closed else 'open'}"
        lines.append(f"{label:<{width}}" + "".join(f"{getattr(c, col):>11}" for col in COLUMNS))
    return "\n".join(lines)


# --- the capacity plan (docs/operations.md, "Capacity plan"): measured costs × stated assumptions -------------

# Which recorded history stands for each process: the longest path recorded of it (errs on the high side).
PROCESS_HISTORY = {
    "onboarding": "Onboarding-hr-return-approved",          # a hire whose CV HR returns once
    "update": "ProfileUpdate-personal-reviewed-approved",
    "transfer": "Transfer-handed-over-checked-approved",    # between two units
    "leaving": "Transfer-leaving-returned-archived",        # the head returns it once
    "retirement": "Retirement-moved-noticed-decided-leaving",
    "approval": "MonthlyApproval-approve-and-return",       # two revisions: one approved, one returned
    "province_approval": "ProvinceApproval-director-signed",  # one unit's batch
    "scan": "RetirementScan-two-pages",
    "audit_check": "AuditChainCheck-broken-notified",
    "backup": "MonthlyBackup-verified",
    "report": "PeriodicReport-submitted-signed",
}
SCHEDULE_ACTIONS = 2      # a Schedule's own actions per run (docs.temporal.io/cloud/actions), not in any history
# A daily re-signal of a Retirement workflow waiting for its next step (`python -m bench.resignal`, 2026-12-02):
# the signal, one workflow task, the wait's timer cancelled and started again.
RESIGNAL = {"actions": 2, "events": 6, "bytes": 462}

# Assumptions (per person and year unless said; ranges in docs/operations.md). Change them here and rerun.
ASSUME = {
    "hires": 0.06,            # onboardings and arrivals (turnover 5–8 %)
    "transfers": 0.03,        # moves between or within units
    "leavings": 0.03,         # resignation, dismissal, death, out of the province
    "retirements": 0.03,      # each a Retirement workflow, then its leaving
    "updates": 3,             # record updates (2–4)
    "horizon_months": 8,      # the retirement scan's horizon: 6 months' notice + 60 days (rules/data/retirement.toml)
    "report_rounds": 2,       # report rounds a year (yearly, or half-yearly too; Bình Định has 4)
    "reporting_units": 40,    # reports per round: the agencies under the province's unit
    "signed_last_day": 0.5,   # share of the month's approvals signed on the cutoff's last working day (8 h)
    "late_at_cutoff": 0.2,    # share of approvals still unsigned at the cutoff instant (escalated at once)
    "tasks_late": 0.1,        # share of ordinary tasks still open at their due instant (end of a working day)
}
PROVINCE = (60_000, 1_500)            # people, units: bench/README's province at full size
NATION = (2_000_000, 60_000, 34)      # people, units, provinces (34 since 01/07/2025, NQ 202/2025/QH15)
OPEN_DAYS = {  # how long a run stays open (estimates), for the history Temporal keeps: open + retention
    "onboarding": 30, "update": 30, "transfer": 30, "leaving": 30, "retirement": 240, "approval": 30,
    "province_approval": 30, "scan re-signal": 120}  # re-signals pile up in a Retirement run: half its life
RETENTION_DAYS = 30                   # the namespace's retention (temporal-compose.yml: 720h)
WORKING_DAYS = 250
YEAR_S = 365 * 86400


def plan(all_counts: list[Counts], people: int, units: int) -> dict:
    """Yearly Temporal work of one deployment of `people` and `units`, and its bursts."""
    by_name = {c.name: c for c in all_counts}
    cost = {process: by_name[name] for process, name in PROCESS_HISTORY.items()}
    a = ASSUME
    revisions = people * (a["updates"] + a["hires"] + a["transfers"] + a["leavings"] + a["retirements"])
    per_unit_month = revisions / (units * 12)
    ap = cost["approval"]
    # In the approval's history each revision brings its add_revision signal and an approvals.add_items, and
    # each approved one a national_db.send and an exports.produce: the rest is the month's fixed part.
    per_revision = (ap.signals + ap.activity_types["approvals.add_items"]) / ap.signals + \
        (ap.activity_types["national_db.send"] + ap.activity_types["exports.produce"]) / ap.activity_types["national_db.send"]
    approval_fixed = ap.actions - ap.signals - ap.activity_types["approvals.add_items"] \
        - ap.activity_types["national_db.send"] - ap.activity_types["exports.produce"]
    approval_actions = approval_fixed + per_revision * per_unit_month
    pa = cost["province_approval"]
    per_unit = ("approvals.add_units", "approvals.province_unit")  # with the unit's unit_signed signal: 3 a unit
    province_actions = pa.actions - pa.signals - sum(pa.activity_types[t] for t in per_unit) + units * 3
    candidates = people * a["retirements"] * a["horizon_months"] / 12
    scan_pages = max(1, candidates / 200)  # RetirementScanInput.batch_size
    rows = [  # process, runs a year, the recorded history it costs like[, its actions when bigger than that]
        ("onboarding", people * a["hires"], cost["onboarding"]),
        ("update", people * a["updates"], cost["update"]),
        ("transfer", people * a["transfers"], cost["transfer"]),
        ("leaving", people * (a["leavings"] + a["retirements"]), cost["leaving"]),
        ("retirement", people * a["retirements"], cost["retirement"]),
        ("approval", units * 12, cost["approval"], approval_actions),
        ("province_approval", 12, cost["province_approval"], province_actions),
        ("scan", 365, cost["scan"], 1 + scan_pages + SCHEDULE_ACTIONS),
        ("scan re-signal", 365 * candidates, None, RESIGNAL["actions"]),
        ("audit_check", 365, cost["audit_check"], cost["audit_check"].actions + SCHEDULE_ACTIONS),
        ("backup", 12, cost["backup"], cost["backup"].actions + SCHEDULE_ACTIONS),
        ("report", a["report_rounds"] * a["reporting_units"], cost["report"], cost["report"].actions + 1),
    ]
    table, total = [], {"actions": 0.0, "events": 0.0, "bytes": 0.0, "kept": 0.0}
    for process, runs, c, *override in rows:
        actions = override[0] if override else c.actions
        if c is None:  # measured apart (RESIGNAL)
            events, size = RESIGNAL["events"], RESIGNAL["bytes"]
        else:  # events and bytes in proportion to the actions when the run is bigger than the one recorded
            events, size = c.events * actions / c.actions, c.encrypted * actions / c.actions
        table.append({"process": process, "runs": round(runs), "actions_per_run": round(actions, 1),
                      "actions": round(runs * actions), "events": round(runs * events), "bytes": round(runs * size)})
        total["actions"] += runs * actions
        total["events"] += runs * events
        total["bytes"] += runs * size
        total["kept"] += runs * size * (OPEN_DAYS.get(process, 0) + RETENTION_DAYS) / 365
    after_signature = 4 + 3 * per_unit_month  # Update, tasks.sign, tasks.complete, report; per revision 2 + its decision
    tasks_per_day = (people * (2 * a["updates"] + 4.5 * a["hires"] + 3 * a["transfers"] + a["leavings"]
                               + 3 * a["retirements"]) + units * 12) / WORKING_DAYS
    return {
        "people": people, "units": units, "revisions_per_unit_month": round(per_unit_month, 1),
        "approval_actions": round(approval_actions, 1), "table": table,
        "actions_per_year": round(total["actions"]), "events_per_year": round(total["events"]),
        "history_bytes_per_year": round(total["bytes"]), "history_bytes_kept": round(total["kept"]),
        "actions_per_s_average": round(total["actions"] / YEAR_S, 2),
        "peaks": {
            "signing day, actions/s over 8 h": round(units * a["signed_last_day"] * after_signature / (8 * 3600), 1),
            "escalations at the cutoff instant": round(units * a["late_at_cutoff"] + tasks_per_day * a["tasks_late"]),
            "escalations at the end of a working day": round(tasks_per_day * a["tasks_late"]),
            "signals of the 05:00 retirement scan": round(candidates),
        },
    }


def print_plan(all_counts: list[Counts]) -> None:
    people, units, provinces = NATION
    shapes = [("province (bench/README's full size)", PROVINCE, 1),
              (f"average province (the nation / {provinces})", (people // provinces, units // provinces), 1),
              (f"nation: {provinces} average provinces", (people // provinces, units // provinces), provinces)]
    for title, (p_people, p_units), times in shapes:
        p = plan(all_counts, p_people, p_units)
        print(f"{title}: {p_people * times:,} people, {p_units * times:,} units; "
              f"{p['revisions_per_unit_month']} revisions per unit and month, "
              f"{p['approval_actions']} actions per monthly approval")
        print(f"  {'process':<20}{'runs/yr':>13}{'actions/run':>13}{'actions/yr':>14}{'events/yr':>14}{'MB/yr':>10}")
        for r in p["table"]:
            print(f"  {r['process']:<20}{r['runs'] * times:>13,}{r['actions_per_run']:>13}{r['actions'] * times:>14,}"
                  f"{r['events'] * times:>14,}{r['bytes'] * times / 1e6:>10,.0f}")
        print(f"  {'total':<46}{p['actions_per_year'] * times:>14,}{p['events_per_year'] * times:>14,}"
              f"{p['history_bytes_per_year'] * times / 1e6:>10,.0f}")
        print(f"  average {p['actions_per_s_average'] * times:.2f} actions/s, "
              f"{p['events_per_year'] * times / YEAR_S:.1f} events/s; "
              f"history kept (open runs + {RETENTION_DAYS} days' retention): "
              f"{p['history_bytes_kept'] * times / 1e9:.1f} GB")
        for name, value in p["peaks"].items():
            print(f"  {name}: {value * times:,}")
        print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON (with each history's activity types)")
    parser.add_argument("--plan", action="store_true", help="the yearly volumes of docs/operations.md's capacity plan")
    args = parser.parse_args()
    all_counts = counted()
    if args.plan:
        print_plan(all_counts)
        return
    if args.json:
        print(json.dumps({"histories": [as_dict(c) for c in all_counts],
                          "by_type": {k: c.name for k, c in by_type(all_counts).items()}},
                         ensure_ascii=False, indent=1))
        return
    print(table(all_counts, "history"))
    print()
    print(table(list(by_type(all_counts).values()), "per type (most actions, closed first)"))


if __name__ == "__main__":
    main()
