"""Inputs and results of workflows, activities and updates: one dataclass per call.

Dates travel as ISO strings ("YYYY-MM-DD"), times as ISO 8601 with offset, so histories stay
readable and replay-safe whatever the converter does with date objects.
"""
from dataclasses import dataclass, field
from typing import Any


@dataclass
class OnboardingInput:
    person_id: int
    unit_id: int
    profile: str
    profile_version: str
    hired_on: str


@dataclass
class ScheduleInput:
    """Ask for a step's due date and milestones under a profile version."""
    profile: str
    profile_version: str
    rule: str | None          # the step's own rule, if it has one
    start: str                # the event the period counts from
    default_actor: str        # who acts when the profile names nobody
    envelope_rule: str | None = None   # bounds steps without a deadline of their own
    envelope_start: str | None = None
    # the dates the workflow knows, by rules.profiles.COUNT_STARTS name: the rule's `counts_from`
    # picks its own, else the period counts from `start`
    starts: dict[str, str] = field(default_factory=dict)


@dataclass
class Schedule:
    actor_role: str
    rule: str | None
    due_on: str | None
    due_at: str | None
    remind_at: str | None
    escalate_sonoivu_at: str | None
    legal_basis: str | None


@dataclass
class OpenTaskInput:
    workflow_id: str
    step_key: str
    kind: str
    person_id: int | None
    unit_id: int
    profile: str
    profile_version: str
    started_on: str
    schedule: Schedule


@dataclass
class OpenedTask:
    task_id: int
    candidate_user_ids: list[int]
    outcomes: list[str]
    check_candidates: bool = True


@dataclass
class SignersInput:
    """Who may now sign an open approval task (a delegation was granted or revoked)."""
    task_id: int
    user_ids: list[int]


@dataclass
class CompleteTaskInput:
    """The Update a person sends to finish a task."""
    task_id: int
    outcome: str
    actor_user_id: int
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class TaskResult:
    task_id: int
    outcome: str
    completed_at: str
    late: bool
    result: dict[str, Any] = field(default_factory=dict)


@dataclass
class Signed:
    """The signature the signing activity stored for a completion (its id joins the Update's data), and the
    completion itself when the activity applied it in the same transaction (a key held in the worker)."""
    signature_id: int
    completed: TaskResult | None = None


@dataclass
class MilestoneInput:
    task_id: int
    milestone: str  # "remind" | "escalate_head" | "escalate_sonoivu"


@dataclass
class PersonStatusInput:
    person_id: int
    status: str


# ---- record updates and monthly approvals ---------------------------------------------------

@dataclass
class UpdateInput:
    revision_id: int
    person_id: int
    unit_id: int
    profile: str
    profile_version: str
    kind: str          # "update_personal" (the person) | "update_state_decision" (unit HR)
    change_date: str   # the deadline counts from the change, as stated


@dataclass
class EnqueueInput:
    """Put a reviewed revision into its unit's approval for the month (signal-with-start)."""
    revision_id: int
    workflow_id: str   # the revision's own workflow, signalled back with the decision


@dataclass
class Enqueued:
    approval_workflow_id: str
    month: str


@dataclass
class ApprovalInput:
    unit_id: int
    month: str         # YYYY-MM
    profile: str
    profile_version: str


@dataclass
class ApprovalOpened:
    approval_id: int
    opens_at: str | None
    ends_at: str       # after this, new revisions belong to the next month


@dataclass
class ApprovalItemsInput:
    approval_id: int
    revision_ids: list[int]


@dataclass
class ApprovalDecision:
    revision_id: int
    decision: str      # "approved" | "returned"
    reason: str | None
    decided_on: str


@dataclass
class ExportInput:
    """An approved revision's signed export, made with the approval signer's key."""
    revision_id: int
    signer_id: int
    signed_as: str


@dataclass
class SendInput:
    outbox_id: int


@dataclass
class SendResult:
    outbox_id: int
    remote_id: str | None
    already_sent: bool


@dataclass
class ProvinceApprovalInput:
    month: str
    profile: str
    profile_version: str


@dataclass
class UnitSignedInput:
    """A unit's signed batch, reported to the province-level approval of its month."""
    approval_id: int


# ---- transfers, leaving, arrivals -------------------------------------------------------------

@dataclass
class TransferInput:
    """A move, an arrival or a leaving (one row of `transfers`), workflow `transfer/{transfer_id}`."""
    transfer_id: int
    person_id: int
    unit_id: int             # where the record is when it starts (for an arrival: the receiving unit)
    kind: str                # models/transfers.TRANSFER_KINDS
    to_unit_id: int | None   # None for a leaving
    profile: str
    profile_version: str
    effective_on: str        # the decision's effective date
    paper_file_on: str | None = None  # when a valid paper file arrived, if the profile counts from it


# ---- unit mergers ---------------------------------------------------------------------------------

@dataclass
class MergerInput:
    """A unit merged into its successor (one row of `mergers`), workflow `merger/{merger_id}`."""
    merger_id: int
    from_unit_id: int
    to_unit_id: int
    effective_on: str         # people move on this day (the workflow waits for it); the old unit ends the day before
    batch_size: int = 100     # people moved per activity, in one transaction
    batches_per_run: int = 20  # then continue-as-new, so each run's history stays small


@dataclass
class MergerBatchInput:
    merger_id: int
    limit: int


@dataclass
class MergerProgress:
    moved: int       # by this batch
    total_moved: int  # by the merger so far (its merger_moves rows)
    remaining: int   # still in the old unit or its sub-units


@dataclass
class TransferStageInput:
    """Where a transfer stands (transfers.stage, services/moves.STAGES), written for the pages."""
    transfer_id: int
    stage: str


@dataclass
class TransferCancelInput:
    """A cancel of a transfer or leaving (the Update `cancel_transfer`, then the activity that applies it)."""
    transfer_id: int
    reason: str
    actor: str               # the username of who cancels


@dataclass
class TransferCancelled:
    cancelled: bool
    message: str | None = None   # why not, in Vietnamese
    code: str | None = None
    task_ids: list[int] = field(default_factory=list)  # the tasks it closed


# ---- arrivals from a ministry or another province (workflows/arrival.py) ---------------------------

@dataclass
class PullInput:
    """Sở Nội vụ's completion of the pull task: fetch the person's record from the national database."""
    task_id: int
    actor_user_id: int


@dataclass
class Pulled:
    revision_id: int   # the person's draft revision (kind "arrival") holding the pulled record
    remote_id: str     # the national database's id of the record pulled


@dataclass
class ArrivalStageInput:
    """Where an arrival stands (transfers.stage), with an audit row."""
    transfer_id: int
    stage: str


@dataclass
class ArrivalDoneInput:
    """The arrival's record is approved: the person is active, the transfer done."""
    transfer_id: int
    revision_id: int


# ---- the audit log's daily chain check (workflows/audit_check.py) ---------------------------------

@dataclass
class AuditCheckInput:
    """The daily Schedule's input (nothing to choose: the whole chain is checked)."""
    note: str = ""


@dataclass
class AuditCheckResult:
    """What audit.verify_chain found; kept in the run's history (outside the database) as a dated anchor."""
    ok: bool
    checked: int
    last_seq: int             # the chain's head when the check began
    last_hash: str
    checked_at: str           # ISO time with offset
    first_broken: dict[str, Any] | None = None  # services/audit.Broken.as_dict(): reason, seq, id, at, ...


@dataclass
class AuditReportInput:
    workflow_id: str
    result: AuditCheckResult


# ---- backups (workflows/backup.py) -----------------------------------------------------------------

@dataclass
class BackupRunInput:
    """The monthly Schedule's input: the profile whose `[backup]` sets the period and the retention."""
    profile: str


@dataclass
class BackupPlan:
    due: bool                 # this month is one of the profile's period
    profile_version: str      # the version in force today
    every_months: int
    keep_months: int
    legal_basis: str | None


@dataclass
class BackupDumpInput:
    trigger: str = "schedule"  # "schedule" | "manual"


@dataclass
class BackupDumped:
    entry_id: str
    file: str                 # its name in the backup folder
    size: int
    tables: int
    rows: int


@dataclass
class BackupFileInput:
    file: str


@dataclass
class BackupVerified:
    file: str
    ok: bool
    problems: list[str] = field(default_factory=list)


@dataclass
class BackupPruneInput:
    keep_months: int


@dataclass
class BackupPruned:
    deleted: list[str] = field(default_factory=list)


@dataclass
class BackupFailureInput:
    stage: str                # "dump" | "verify"
    message: str
    file: str | None = None


@dataclass
class BackupFailureRecorded:
    entry_id: str
    unit_id: int | None       # Sở Nội vụ's unit, where its task opens (None: no unit in the database)


@dataclass
class BackupTaskInput:
    """Sở Nội vụ's task about a failed backup, workflow `backup-failed/{entry_id}`."""
    entry_id: str
    unit_id: int
    profile: str
    profile_version: str
    failed_on: str


# ---- retirement (workflows/retirement.py) -------------------------------------------------------

@dataclass
class RetirementInput:
    """A person's retirement, workflow `retirement/{person_id}`; what is done travels on through
    continue-as-new."""
    person_id: int
    profile: str | None = None          # pinned by the first plan
    profile_version: str | None = None
    notice_for: str | None = None       # the retirement date the notice was given for
    decision_for: str | None = None     # the retirement date the decision was made for
    decision_no: str | None = None
    decided_by_id: int | None = None
    attempt: int = 0                    # steps opened so far (their keys stay unique)


@dataclass
class Recheck:
    """Signal `recheck`: the date's inputs may have changed. The daily scan sends the date it computed
    (nothing to do when it is the workflow's); None asks the workflow to plan again."""
    retirement_date: str | None = None
    reason: str = ""


@dataclass
class RetirementPlanInput:
    person_id: int
    profile: str | None = None          # None: the version in force today
    profile_version: str | None = None


@dataclass
class RetirementPlan:
    """A person's retirement as the record says today (dates ISO, times with offset)."""
    person_id: int
    unit_id: int
    status: str                         # people.status: the workflow ends when it is no longer active
    profile: str
    profile_version: str
    retirement_date: str | None         # None: the roadmap has no age for the recorded sex
    age: str                            # «61 tuổi 6 tháng»
    basis: str
    notice_due: str | None
    decision_due: str | None
    notice_opens_at: str | None
    decision_opens_at: str | None
    leaving_at: str | None              # the retirement date, when the leaving starts


@dataclass
class WithdrawInput:
    """Close a retirement workflow's open tasks (the date moved, or the person left otherwise)."""
    workflow_id: str
    retirement_date: str | None         # the new date, None when the process ends


@dataclass
class LeavingInput:
    person_id: int
    retirement_date: str
    decision_no: str
    decided_by_id: int | None


@dataclass
class LeavingOpened:
    """The leaving's row in `transfers` and how to start its workflow, or why not yet."""
    transfer: TransferInput | None
    workflow_type: str = ""
    workflow_id: str = ""
    blocked: str | None = None          # another open transfer of the person, in Vietnamese


@dataclass
class RetirementScanInput:
    """The daily scan (bootstrap/schedules.py), paged by person id; continues as new every few batches."""
    after_id: int = 0
    today: str | None = None            # fixed by the first batch, so a scan across midnight keeps its horizon
    batch_size: int = 200               # people started or signalled per activity
    batches_per_run: int = 20
    found: int = 0


@dataclass
class ScanBatchInput:
    after_id: int
    limit: int
    today: str | None


@dataclass
class ScanBatch:
    today: str
    last_id: int
    found: int                          # people in the horizon (or with an open retirement task)
    ended: int                          # whose workflow already ended: left alone
    done: bool


# ---- periodic reports (workflows/reports.py) --------------------------------------------------------

@dataclass
class ReportRoundInput:
    """A reporting duty's Schedule input: the profile and the duty's key (rules/profiles.py `[[reporting]]`).
    With `period` ("2026", "2026-H1", "2026-Q3") that period's round opens (by hand); without it, the period
    whose round opened last (rules.deadlines.report_period_on)."""
    profile: str
    duty: str
    period: str | None = None


@dataclass
class ReportRoundPlanInput:
    profile: str
    duty: str
    period: str | None
    at: str                   # when the round started (workflow.now()), ISO with offset


@dataclass
class ReportInput:
    """One unit's report for a period, workflow `report/{duty}/{period}/{unit_id}`."""
    report_id: int
    unit_id: int
    profile: str
    profile_version: str
    duty: str
    period: str
    period_start: str         # the due date counts from it (rule `report.{duty}`, counts_from "period_start")
    opened_on: str
    reporter: str             # actor of the preparing task when the profile names nobody
    signer: str


@dataclass
class ReportRoundPlan:
    period: str
    profile_version: str
    reports: list[ReportInput] = field(default_factory=list)


@dataclass
class ReportRoundResult:
    period: str
    started: int              # report workflows started by this run
    already: int              # already running or done (a repeated round starts nobody twice)
