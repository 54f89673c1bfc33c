"""The HTTP contract (DESIGN.md) as pydantic models: what /openapi.json publishes and every JSON
route returns. Dates are ISO `YYYY-MM-DD`; times are ISO 8601 in Asia/Ho_Chi_Minh (+07:00).
A field without a default is always present, `null` when it has no value. Views read from
attributes, so a record whose fields match a view is validated into it directly."""
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from api.params import IdField
from rules.clock import VN_TZ
from services import cv


def _vn(value: datetime) -> datetime:
    return value.astimezone(VN_TZ)


VnTime = Annotated[datetime, AfterValidator(_vn)]


class View(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorBody(BaseModel):
    """A refusal: a Vietnamese message for the user and a machine code for clients; some refusals
    add fields naming what they are about (e.g. `person_id` of the existing record)."""
    model_config = ConfigDict(extra="allow")
    detail: str
    code: str


_REFUSALS = {401: "Not authenticated", 403: "Not allowed", 404: "Not found or outside the caller's scope",
             409: "Conflicts with the record's state", 422: "Invalid data",
             429: "Too many failed logins: wait `Retry-After` seconds", 503: "The workflow service does not answer"}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A router's `responses`: the refusals its routes answer with, all shaped as ErrorBody."""
    return {status: {"model": ErrorBody, "description": _REFUSALS[status]} for status in statuses}


PDF = {200: {"description": "A PDF file",
             "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}


# ---- auth ------------------------------------------------------------------------------------

class LoggedIn(View):
    username: str
    full_name: str


class Activated(View):
    username: str


class LoggedOut(View):
    ok: bool


class Me(View):
    username: str
    full_name: str
    roles: list[str] = Field(description="person, unit_hr, unit_head, sonoivu_admin, sonoivu_director, auditor")
    unit_id: int | None
    person_id: int | None


# ---- org and rules ---------------------------------------------------------------------------

class UnitView(View):
    id: int
    code: str
    name: str
    parent_id: int | None
    kind: str


class UserView(View):
    username: str
    full_name: str
    roles: list[str]
    unit_id: int | None


class OverrideSaved(View):
    day: date
    working: bool
    source: str


class OverrideView(OverrideSaved):
    note: str


class DeadlineView(View):
    due: date | None
    opens: date | None = Field(description="The first day of a monthly window")
    legal_basis: str
    rule: str
    profile: str
    profile_version: str
    kind: str
    actor: str
    counts_from: str = Field(description="The event the period counts from (rules.profiles.COUNT_STARTS)")
    counts_from_label: str = Field(description="That event, in Vietnamese")


# ---- tasks and people ------------------------------------------------------------------------

class TaskView(View):
    id: int
    kind: str
    title: str
    subject_person_id: int | None
    unit_id: int
    assignee: str | None = Field(description="The assignees' usernames, comma-separated")
    assignees: list[str]
    actor_role: str
    due_on: date | None
    due_at: VnTime | None
    legal_basis: str | None
    rule: str | None
    status: str
    escalation_level: int
    workflow_id: str
    outcome: str | None
    completed_at: VnTime | None


class TaskDetail(TaskView):
    outcomes: list[str] = Field(description="The allowed outcomes, the forward path first")
    data: dict[str, dict[str, str]] = Field(description="Per outcome, the data it needs: field → Vietnamese label")
    profile: str
    profile_version: str
    started_on: date
    comment: str | None
    reminded_at: VnTime | None
    escalated_head_at: VnTime | None
    escalated_sonoivu_at: VnTime | None


class Activation(View):
    username: str
    code: str = Field(description="The one-time activation code, shown once")


class CompletedTask(TaskDetail):
    activation: Activation | None = Field(default=None, exclude_if=lambda value: value is None,
                                          description="Only after creating an account")


class Hired(View):
    person_id: int
    workflow_id: str


class PersonView(View):
    id: int
    full_name: str
    sex: str
    date_of_birth: date
    citizen_id: str
    unit_id: int
    kind: str
    hired_on: date
    status: str
    profile: str
    profile_version: str
    workflow_id: str


class RevisionSummary(View):
    id: int
    number: int
    status: str
    kind: str
    data: dict[str, Any]
    review_comment: str | None


class UnitPeriodView(View):
    """One placement of the person's unit history (services/unit_history.py)."""
    unit_id: int
    unit_code: str
    unit_name: str
    from_on: date
    to_on: date | None = Field(description="null for the current unit")
    how: str = Field(description="hire, merger, or the transfer's kind")
    how_label: str
    decision_no: str | None
    transfer_id: int | None
    merger_id: int | None
    unit_valid_to: date | None = Field(description="The unit's last day, e.g. the day before its merger")
    successor_id: int | None
    successor_name: str | None


class PersonRecord(PersonView):
    cv: RevisionSummary | None = Field(description="The approved version everyone sees")
    working: RevisionSummary | None = Field(
        description="The newer revision waiting for review or approval, for the person and HR")
    units: list[UnitPeriodView] = Field(default=[], description="The person's units, oldest first")


class StepView(View):
    task_id: int
    kind: str
    task: str
    workflow_id: str
    started_on: date
    due_on: date | None
    due_at: VnTime | None
    done_at: VnTime | None
    status: str
    on_time: bool | None = Field(description="null while open and not yet overdue")
    actor: str | None
    legal_basis: str | None
    escalation_level: int
    outcome: str | None
    comment: str | None


class DraftSaved(View):
    revision_id: int
    number: int
    status: str
    data: dict[str, Any]


# ---- revisions -------------------------------------------------------------------------------

class UpdateStarted(View):
    revision_id: int
    workflow_id: str | None


class AttachmentView(View):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class RevisionView(View):
    id: int
    person_id: int
    number: int
    kind: str
    status: str
    change_date: date | None
    change_reason: str | None
    decision_no: str | None
    workflow_id: str | None
    data: dict[str, Any]
    review_comment: str | None
    submitted_at: VnTime | None
    approved_at: VnTime | None
    attachments: list[AttachmentView]


class ChangeView(View):
    username: str
    at: str
    old: Any
    new: Any


class DiffView(View):
    field: str
    label: str
    old: Any
    new: Any
    changed_by: list[ChangeView]


# ---- approvals, delegations, national sync ---------------------------------------------------

class ApprovalItemView(View):
    revision_id: int
    person_id: int
    full_name: str
    number: int
    kind: str
    decision: str
    reason: str | None
    status: str


class MonthApproval(View):
    """A unit's month without an approval yet (`status` "none")."""
    unit_id: int
    month: str
    status: str
    due_at: VnTime | None
    revisions: list[ApprovalItemView]
    signed_pdf_url: str | None
    late: bool


class ApprovalView(MonthApproval):
    id: int
    opens_on: date | None
    due_on: date | None
    legal_basis: str | None
    signed_at: VnTime | None
    signed_as: str | None
    workflow_id: str
    signed_pdf_sha256: str | None


class UnitMonthState(View):
    unit_id: int
    unit: str
    state: str = Field(description="on_time, late, pending, none, or the approval's status")
    approval_id: int | None


class DelegationCreated(View):
    id: int
    document_no: str


class DelegationRevoked(View):
    id: int
    revoked_at: VnTime | None


class DelegationView(View):
    id: int
    delegate_id: int
    document_no: str
    valid_from: date
    valid_to: date
    revoked_at: VnTime | None


class OutboxRow(View):
    id: int
    revision_id: int
    person_id: int
    status: str
    attempts: int
    last_error: str | None
    sent_at: VnTime | None
    idempotency_key: str


class Outbox(View):
    summary: dict[str, int] = Field(description="Rows by status, every status present")
    rows: list[OutboxRow]


# ---- request bodies shared by routes ---------------------------------------------------------

class Body(BaseModel):
    """A request body: an unknown field is refused (422) rather than silently dropped."""
    model_config = ConfigDict(extra="forbid")


class WorkPeriod(Body):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)
    from_: str = Field(default="", alias="from", max_length=16, description="mm/yyyy")
    to: str = Field(default="", max_length=16, description="mm/yyyy, or «nay»")
    description: str = Field(default="", max_length=500)


CvText = Annotated[str, Field(max_length=500)]
_CV_TYPES: dict[str, Any] = {
    "salary_step": Annotated[int, Field(ge=0, le=1000)] | CvText,
    "work_history": Annotated[list[WorkPeriod], Field(max_length=100)],
}
# The CV as a client sends it, a draft keeping what was typed, valid or not (services/cv.validate checks it on
# submission): one optional field per item of services/cv.FIELDS, typed.
CvData = create_model(
    "CvData", __base__=Body, __doc__="The CV's items (TT 06/2023/TT-BNV), each optional; only those sent change.",
    **{name: (_CV_TYPES.get(name, CvText) | None, Field(default=None, description=label))
       for name, (label, _) in cv.FIELDS.items()})


def cv_data(body: BaseModel) -> dict[str, Any]:
    """The items the client sent (an explicit null included), as the services store them."""
    return body.model_dump(mode="json", by_alias=True, exclude_unset=True)


RevisionKey = Annotated[str, Field(pattern=r"^[0-9]{1,10}$", description="A revision id")]


class TaskData(Body):
    """What an outcome needs (`data` of GET /api/tasks/{task_id} names it per outcome)."""
    comment: str | None = Field(default=None, max_length=2000)
    username: str | None = Field(default=None, max_length=64)
    revision_id: IdField | None = None
    decisions: dict[RevisionKey, Literal["approve", "return"]] | None = Field(
        default=None, description="Per revision of the batch: approve or return")
    reasons: dict[RevisionKey, Annotated[str, Field(max_length=2000)]] | None = Field(
        default=None, description="Per returned revision: why")
    notes: dict[Literal["assessment", "difficulties", "equipment", "proposals"],
                Annotated[str, Field(max_length=4000)]] | None = Field(
        default=None, description="A periodic report's narrative (prepare_report), each part optional")
    notice_no: str | None = Field(default=None, max_length=64,
                                  description="retirement_notice: the number of the written notice")
    decision_no: str | None = Field(default=None, max_length=64,
                                    description="retirement_decision: the number of the retirement decision")


# ---- workflow histories (Sở Nội vụ's audit of how a process ran) ------------------------------

class WorkflowRunView(View):
    workflow_id: str
    run_id: str
    type: str
    type_label: str
    status: str
    status_label: str
    started_at: datetime | None
    closed_at: datetime | None


class HistoryEventView(View):
    event_id: int
    time: datetime
    type: str = Field(description="Temporal's event type, e.g. ACTIVITY_TASK_SCHEDULED, TIMER_FIRED")
    reading: str | None = Field(default=None, description="What the event means, in Vietnamese")
    actor: str | None = None
    task_id: int | None = None
    detail: dict[str, Any] = {}


class HistoryTaskView(View):
    id: int
    kind: str
    title: str
    status: str
    started_on: date
    due_on: date | None
    due_at: datetime | None
    completed_at: datetime | None
    escalation_level: int
    legal_basis: str | None
    outcome: str | None


class WorkflowHistoryView(View):
    workflow_id: str
    run: WorkflowRunView
    events: list[HistoryEventView]
    tasks: list[HistoryTaskView]


# ---- compliance scorecards ---------------------------------------------------------------------

class ScorecardRow(View):
    unit_id: int
    unit_code: str
    unit_name: str
    month: str
    due: int = Field(description="Tasks with a legal deadline due in the month")
    on_time: int
    late: int
    open_overdue: int = Field(description="Not done and past their due time")
    escalated: int = Field(description="The head or Sở Nội vụ was told")
    on_time_rate: float | None = Field(description="on_time / due; null when nothing was due")
    by_rule: dict[str, int] = Field(default={}, description="Tasks due per rule of the profile")


# ---- transfers, arrivals and leavings (api/routes/transfers.py) ----------------------------------

class TransferStarted(View):
    transfer_id: int
    workflow_id: str


class TransferView(View):
    id: int
    person_id: int
    full_name: str
    kind: str = Field(description="internal, intra_province, arrival or leaving")
    kind_label: str
    from_unit_id: int | None = Field(description="null for an arrival")
    from_unit: str | None
    to_unit_id: int | None = Field(description="null for a leaving")
    to_unit: str | None
    reason: str = Field(description="A leaving's reason key (retirement, ...), else the reason for the move")
    reason_label: str = Field(description="A leaving's reason in Vietnamese, else the reason itself")
    decision_no: str
    effective_on: date
    paper_file_on: date | None
    status: str = Field(description="open, done or cancelled")
    status_label: str
    stage: str = Field(description="Where the transfer stands (services/moves.STAGES)")
    stage_label: str
    workflow_id: str | None
    current_task_id: int | None = Field(description="The open task of the transfer, if any")
    created_at: VnTime
    handed_over_at: VnTime | None
    closed_at: VnTime | None
    cancel_reason: str | None


class TransferDetail(TransferView):
    tasks: list[TaskView] = Field(description="The steps: the tasks of the transfer's workflow, in order")


# ---- the audit log's hash chain (services/audit.py) ----------------------------------------------

class AuditBroken(View):
    """The first row where the chain breaks. A deleted row is gone: `seq` is the first missing number,
    `id` and `at` are null, `after_id` and `before_id` name the rows around the gap."""
    reason: Literal["altered", "inserted", "deleted", "forked", "head_altered"]
    seq: int | None
    id: int | None
    at: VnTime | None
    count: int | None = Field(default=None, description="Rows missing (deleted)")
    after_id: int | None = None
    before_id: int | None = None
    message: str = Field(description="What was found, in Vietnamese")


class AuditVerification(View):
    ok: bool
    checked: int = Field(description="Rows checked (up to the first break)")
    first_broken: AuditBroken | None
    last_seq: int = Field(description="The chain's head when the check began (0: empty log)")
    last_hash: str
    checked_at: VnTime


# ---- backups (services/backups.py) -----------------------------------------------------------------

class BackupPolicyView(View):
    every_months: int = Field(description="A backup every N months (the profile's [backup])")
    keep_months: int = Field(description="Backups are kept at least this many months")
    legal_basis: str | None
    note: str


class BackupView(View):
    id: str
    file: str | None = Field(description="The dump's name in the backup folder; none when pg_dump failed")
    taken_at: VnTime
    trigger: Literal["schedule", "manual"]
    status: Literal["dumping", "dumped", "verified", "failed"]
    status_label: str
    size: int | None
    sha256: str | None
    server_version: str | None
    pg_dump: str | None
    tables: int
    rows: int
    verified_at: VnTime | None
    verification_ok: bool | None
    problems: list[str]
    failure_stage: Literal["dump", "verify"] | None
    failure: str | None
    deleted_at: VnTime | None
    deleted_reason: str | None
    resolved_at: VnTime | None
    resolved_by: str | None
    resolution: str | None
    task_id: int | None = Field(description="Sở Nội vụ's task about a failed backup")


class BackupsView(View):
    policy: BackupPolicyView
    backups: list[BackupView]


# ---- periodic reports (services/reports.py) --------------------------------------------------

class ReportView(View):
    id: int
    duty: str = Field(description="The duty's key in the profile's [[reporting]]")
    period: str = Field(description='"2026", "2026-H1" or "2026-Q3"')
    period_label: str
    period_start: date
    period_end: date
    title: str
    unit_id: int
    unit_code: str
    unit_name: str
    status: str = Field(description="open | prepared | submitted")
    status_label: str
    due_on: date | None = Field(description="null when the text sets no due date")
    due_at: datetime | None
    late: bool
    legal_basis: str | None
    workflow_id: str
    prepared_at: datetime | None
    signed_at: datetime | None
    signed_as: str | None
    signed_pdf_sha256: str | None


class ReportRow(View):
    label: str
    count: int


class ReportSection(View):
    key: str
    title: str
    rows: list[ReportRow]


class ReportFigures(View):
    as_of: date | None = Field(description="The day the figures were taken from the records")
    headcount: int
    onboarding: int = Field(description="Records still being made, not in the headcount")
    sections: list[ReportSection]


class ReportDetail(ReportView):
    figures: ReportFigures = Field(description="The submitted figures, or (before HR submits) today's")
    notes: dict[str, str]


class ReportRound(View):
    duty: str
    period: str
    period_label: str
    title: str
    due_on: date | None
    units: int
    submitted: int
    late: int


class ReportUnitHeadcount(View):
    unit_code: str
    unit_name: str
    headcount: int


class ReportTotal(View):
    duty: str
    period: str
    period_label: str
    title: str
    units: int
    submitted: int
    missing: list[str] = Field(description="The units that have not submitted")
    by_unit: list[ReportUnitHeadcount]
    figures: ReportFigures = Field(description="The sum of the submitted reports")
