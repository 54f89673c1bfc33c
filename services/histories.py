"""How a process ran, as Sở Nội vụ audits it: the workflows about a person, and one run's event
history read from Temporal itself (`fetch_history`), not from a copy, with a Vietnamese reading of
the events that matter (task opened, reminder, escalation, completion and by whom, timers).

Who reads: the province roles everywhere; unit HR and heads within their scope; a person their own
record's workflows (not the unit's monthly batches, which carry other people's revisions).
"""
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from models import Approval, ApprovalItem, ProfileRevision, Task, Transfer, User
from rules.clock import VN_TZ
from services.errors import NotFound, Unavailable
from services.scope import Viewer, readable_person

# business ids ("onboarding/12", "approval/3/2026-05") and the ids of runs a Schedule started ("audit-chain-check-…")
WORKFLOW_ID = re.compile(r"^[a-z][0-9A-Za-z/@._:-]{0,127}$")
WORKFLOW_LABELS = {
    "Onboarding": "Tiếp nhận, lập hồ sơ mới",
    "ProfileUpdate": "Cập nhật thông tin hồ sơ",
    "MonthlyApproval": "Phê duyệt hằng tháng của đơn vị",
    "ProvinceApproval": "Phê duyệt cấp tỉnh",
    "Transfer": "Điều chuyển, nghỉ hưu, thôi việc",
    "Arrival": "Tiếp nhận người chuyển đến",
    "Retirement": "Theo dõi nghỉ hưu",
    "UnitMerger": "Sáp nhập, giải thể đơn vị",
    "RetirementScan": "Rà soát người đến tuổi nghỉ hưu (hằng ngày)",
    "ReportRound": "Mở đợt báo cáo định kỳ",
    "PeriodicReport": "Báo cáo định kỳ của đơn vị",
    "AuditChainCheck": "Kiểm tra chuỗi nhật ký kiểm toán (hằng ngày)",
    "MonthlyBackup": "Sao lưu dữ liệu hằng tháng",
    "BackupFailed": "Xử lý sao lưu lỗi",
}
STATUS_LABELS = {
    WorkflowExecutionStatus.RUNNING: "Đang thực hiện",
    WorkflowExecutionStatus.COMPLETED: "Đã hoàn tất",
    WorkflowExecutionStatus.FAILED: "Lỗi",
    WorkflowExecutionStatus.CANCELED: "Đã hủy",
    WorkflowExecutionStatus.TERMINATED: "Đã dừng",
    WorkflowExecutionStatus.CONTINUED_AS_NEW: "Tiếp tục ở lượt chạy mới",
    WorkflowExecutionStatus.TIMED_OUT: "Hết thời gian",
}
ACTIVITY_READINGS = {
    "deadlines.schedule": "Tính thời hạn theo quy định",
    "tasks.sign": "Ký số văn bản",
    "approvals.enqueue": "Đưa bản cập nhật vào đợt phê duyệt tháng",
    "approvals.open": "Mở đợt phê duyệt tháng",
    "approvals.close": "Đóng đợt phê duyệt tháng",
    "approvals.report_to_province": "Báo cáo bản đã ký lên cấp tỉnh",
    "national_db.send": "Gửi dữ liệu đã phê duyệt lên CSDL quốc gia",
    "exports.produce": "Lập bản trích xuất có chữ ký số",
    "people.set_status": "Cập nhật tình trạng hồ sơ",
}
SIGNAL_READINGS = {
    "approval_decided": "Nhận quyết định của thủ trưởng về bản cập nhật",
    "signers_changed": "Thay đổi người được ký (giao, thu hồi ủy quyền)",
    "add_revision": "Thêm bản cập nhật vào đợt phê duyệt",
    "unit_signed": "Một đơn vị đã ký, báo cáo lên cấp tỉnh",
    "recheck": "Rà soát lại ngày nghỉ hưu (ngày sinh hoặc giới tính được đính chính)",
}


@dataclass
class WorkflowRun:
    workflow_id: str
    run_id: str
    type: str
    type_label: str
    status: str
    status_label: str
    started_at: datetime | None
    closed_at: datetime | None


@dataclass
class HistoryEvent:
    event_id: int
    time: datetime
    type: str                     # Temporal's event type, e.g. ACTIVITY_TASK_SCHEDULED
    reading: str | None = None    # what it means, in Vietnamese, for the events that matter
    actor: str | None = None      # who acted (a completion)
    task_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class History:
    workflow_id: str
    run: WorkflowRun
    events: list[HistoryEvent]
    tasks: list[Task]


# ---- which workflows, and who may read them ---------------------------------------------------

async def person_workflow_ids(viewer: Viewer, person_id: int, *, session: AsyncSession) -> list[str]:
    """Every business id of a workflow about the person that the viewer may read."""
    person = await readable_person(viewer, person_id, session=session)
    ids = [f"onboarding/{person.id}"]
    ids += [wid for (wid,) in await session.execute(
        select(Task.workflow_id).where(Task.subject_person_id == person.id).order_by(Task.id))]
    ids += [wid for (wid,) in await session.execute(
        select(ProfileRevision.workflow_id).where(ProfileRevision.person_id == person.id,
                                                  ProfileRevision.workflow_id.is_not(None)))]
    ids += [wid for (wid,) in await session.execute(
        select(Transfer.workflow_id).where(Transfer.person_id == person.id, Transfer.workflow_id.is_not(None)))]
    ids.append(f"retirement/{person.id}")
    batches = await session.execute(
        select(Approval.workflow_id, Approval.unit_id).join(ApprovalItem, ApprovalItem.approval_id == Approval.id)
        .join(ProfileRevision, ProfileRevision.id == ApprovalItem.revision_id)
        .where(ProfileRevision.person_id == person.id))
    ids += [wid for wid, unit_id in batches if viewer.unit_scope is None or unit_id in viewer.unit_scope]
    return list(dict.fromkeys(ids))  # unique, in order


async def check_readable(viewer: Viewer, workflow_id: str, *, session: AsyncSession) -> None:
    """NotFound unless the workflow is about a record or unit the viewer may read."""
    missing = NotFound("Không tìm thấy quy trình hoặc quy trình nằm ngoài phạm vi của bạn.", "workflow_not_found")
    if not WORKFLOW_ID.match(workflow_id):
        raise missing
    if viewer.unit_scope is None:  # province roles read every process
        return
    prefix, _, rest = workflow_id.partition("/")
    key = rest.split("/")[0]
    try:
        if prefix in ("onboarding", "retirement") and key.isascii() and key.isdigit():
            await readable_person(viewer, int(key), session=session)
            return
        if prefix == "update" and key.isascii() and key.isdigit():
            revision = await session.get(ProfileRevision, int(key))
            if revision is not None:
                await readable_person(viewer, revision.person_id, session=session)
                return
        if prefix == "transfer" and key.isascii() and key.isdigit():
            transfer = await session.get(Transfer, int(key))
            if transfer is not None and (viewer.person_id == transfer.person_id or any(
                    viewer.sees_unit(u) for u in (transfer.from_unit_id, transfer.to_unit_id) if u is not None)):
                return
        if prefix == "approval" and key.isascii() and key.isdigit() and viewer.sees_unit(int(key)):
            return
    except NotFound:
        raise missing from None
    raise missing


# ---- reading Temporal ---------------------------------------------------------------------------

def _run(description) -> WorkflowRun:
    status = description.status
    return WorkflowRun(
        workflow_id=description.id, run_id=description.run_id, type=description.workflow_type,
        type_label=WORKFLOW_LABELS.get(description.workflow_type, description.workflow_type),
        status=status.name if status else "UNKNOWN", status_label=STATUS_LABELS.get(status, "Không rõ"),
        started_at=description.start_time, closed_at=description.close_time)


async def _describe(client: Client, workflow_id: str) -> WorkflowRun | None:
    try:
        return _run(await client.get_workflow_handle(workflow_id).describe())
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise Unavailable("Hệ thống quy trình tạm thời không phản hồi; vui lòng thử lại.",
                          "workflow_unavailable") from err


async def person_workflows(viewer: Viewer, person_id: int, *, session: AsyncSession,
                           client: Client) -> list[WorkflowRun]:
    runs = []
    for workflow_id in await person_workflow_ids(viewer, person_id, session=session):
        run = await _describe(client, workflow_id)
        if run is not None:
            runs.append(run)
    return sorted(runs, key=lambda r: r.started_at or datetime.min.replace(tzinfo=UTC))


async def history(viewer: Viewer, workflow_id: str, *, session: AsyncSession, client: Client) -> History:
    """The latest run's event history, fetched from Temporal, with its readings and the tasks it opened."""
    await check_readable(viewer, workflow_id, session=session)
    run = await _describe(client, workflow_id)
    if run is None:
        raise NotFound("Không tìm thấy quy trình hoặc quy trình nằm ngoài phạm vi của bạn.", "workflow_not_found")
    try:
        fetched = await client.get_workflow_handle(workflow_id, run_id=run.run_id).fetch_history()
    except RPCError as err:
        raise Unavailable("Hệ thống quy trình tạm thời không phản hồi; vui lòng thử lại.",
                          "workflow_unavailable") from err
    tasks = list((await session.execute(select(Task).where(Task.workflow_id == workflow_id)
                                        .order_by(Task.id))).scalars())
    reader = _Reader(client, {t.id: t for t in tasks})
    events = [await reader.read(event) for event in fetched.events]
    await _name_actors(events, session)
    return History(workflow_id=workflow_id, run=run, events=events, tasks=tasks)


async def _name_actors(events: list[HistoryEvent], session: AsyncSession) -> None:
    ids = {e.detail["actor_user_id"] for e in events if isinstance(e.detail.get("actor_user_id"), int)}
    names = dict((await session.execute(select(User.id, User.full_name).where(User.id.in_(ids or {-1})))).all())
    for event in events:
        user_id = event.detail.get("actor_user_id")
        if user_id in names:
            event.actor = names[user_id]
            event.reading = f"{event.reading} — người thực hiện: {names[user_id]}"


def _duration(proto) -> timedelta:
    return timedelta(seconds=proto.seconds, microseconds=proto.nanos // 1000)


class _Reader:
    """Turns events into HistoryEvents; remembers scheduled activities to name their results."""

    def __init__(self, client: Client, tasks: dict[int, Task]):
        self.converter = client.data_converter
        self.tasks = tasks
        self.scheduled: dict[int, tuple[str, Any]] = {}

    async def _value(self, payloads) -> Any:
        if not payloads or not payloads.payloads:
            return None
        try:
            values = await self.converter.decode(payloads.payloads)
        except Exception:  # noqa: BLE001 - an undecodable payload (e.g. an old key) is shown without detail
            return None
        return values[0] if values else None

    def _task_title(self, task_id: Any) -> str:
        task = self.tasks.get(task_id) if isinstance(task_id, int) else None
        return f"«{task.title}»" if task else f"số {task_id}"

    async def read(self, event) -> HistoryEvent:
        kind = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
        out = HistoryEvent(event_id=event.event_id, time=event.event_time.ToDatetime(tzinfo=UTC), type=kind)
        handler = getattr(self, f"_{kind.lower()}", None)
        if handler is not None:
            await handler(event, out)
        return out

    async def _workflow_execution_started(self, event, out: HistoryEvent) -> None:
        out.reading = "Quy trình bắt đầu"

    async def _workflow_execution_completed(self, event, out: HistoryEvent) -> None:
        out.reading = "Quy trình hoàn tất"

    async def _workflow_execution_terminated(self, event, out: HistoryEvent) -> None:
        reason = event.workflow_execution_terminated_event_attributes.reason
        out.reading = f"Quy trình bị dừng: {reason}" if reason else "Quy trình bị dừng"

    async def _workflow_execution_continued_as_new(self, event, out: HistoryEvent) -> None:
        out.reading = "Quy trình tiếp tục ở lượt chạy mới (giữ lịch sử gọn)"

    async def _workflow_execution_signaled(self, event, out: HistoryEvent) -> None:
        name = event.workflow_execution_signaled_event_attributes.signal_name
        out.reading, out.detail = SIGNAL_READINGS.get(name), {"signal": name}

    async def _workflow_execution_update_accepted(self, event, out: HistoryEvent) -> None:
        request = event.workflow_execution_update_accepted_event_attributes.accepted_request
        value = await self._value(request.input.args)
        if isinstance(value, dict) and "task_id" in value:
            out.task_id = value["task_id"]
            out.detail = {"outcome": value.get("outcome"), "actor_user_id": value.get("actor_user_id")}
            out.reading = f"Yêu cầu hoàn thành nhiệm vụ {self._task_title(out.task_id)}"
        elif isinstance(value, dict) and "transfer_id" in value:
            out.detail = {"reason": value.get("reason"), "by": value.get("actor")}
            out.reading = f"Yêu cầu hủy điều chuyển: «{value.get('reason')}» ({value.get('actor')})"

    async def _timer_started(self, event, out: HistoryEvent) -> None:
        wait = _duration(event.timer_started_event_attributes.start_to_fire_timeout)
        fires = out.time + wait
        out.detail = {"fires_at": fires.isoformat()}
        out.reading = f"Đặt mốc thời gian: {fires.astimezone(VN_TZ).strftime('%H:%M %d/%m/%Y')}"

    async def _timer_fired(self, event, out: HistoryEvent) -> None:
        out.reading = "Đến mốc thời gian (nhắc hạn, quá hạn hoặc mở bước tiếp theo)"

    async def _activity_task_scheduled(self, event, out: HistoryEvent) -> None:
        attrs = event.activity_task_scheduled_event_attributes
        name, value = attrs.activity_type.name, await self._value(attrs.input)
        self.scheduled[event.event_id] = (name, value)
        out.detail = {"activity": name}
        task_id = value.get("task_id") if isinstance(value, dict) else None
        if name == "tasks.open" and isinstance(value, dict):
            schedule = value.get("schedule") or {}
            due = schedule.get("due_on")
            out.reading = f"Mở nhiệm vụ (bước {value.get('step_key', '').split('@')[0]})" + (
                f", hạn {due[8:10]}/{due[5:7]}/{due[:4]}" if due else ", không có thời hạn")
            if schedule.get("legal_basis"):
                out.detail["legal_basis"] = schedule["legal_basis"]
        elif name == "tasks.remind":
            out.task_id, out.reading = task_id, f"Nhắc hạn nhiệm vụ {self._task_title(task_id)}"
        elif name == "tasks.escalate_head":
            out.task_id, out.reading = task_id, f"Quá hạn: báo thủ trưởng đơn vị về nhiệm vụ {self._task_title(task_id)}"
        elif name == "tasks.escalate_sonoivu":
            out.task_id, out.reading = task_id, f"Báo Sở Nội vụ về nhiệm vụ {self._task_title(task_id)}"
        elif name == "tasks.complete" and isinstance(value, dict):
            out.task_id = task_id
            out.detail.update(outcome=value.get("outcome"), actor_user_id=value.get("actor_user_id"))
            out.reading = f"Hoàn thành nhiệm vụ {self._task_title(task_id)}, kết quả «{value.get('outcome')}»"
        else:
            out.reading = ACTIVITY_READINGS.get(name)

    async def _activity_task_completed(self, event, out: HistoryEvent) -> None:
        attrs = event.activity_task_completed_event_attributes
        name, _ = self.scheduled.get(attrs.scheduled_event_id, ("", None))
        out.detail = {"activity": name}
        if name == "tasks.open":
            value = await self._value(attrs.result)
            if isinstance(value, dict):
                out.task_id = value.get("task_id")
                out.reading = f"Đã giao nhiệm vụ {self._task_title(out.task_id)}"

    async def _activity_task_failed(self, event, out: HistoryEvent) -> None:
        attrs = event.activity_task_failed_event_attributes
        name, _ = self.scheduled.get(attrs.scheduled_event_id, ("", None))
        out.detail = {"activity": name, "message": attrs.failure.message}
        out.reading = f"Bước tự động bị từ chối hoặc lỗi: {attrs.failure.message}"

    async def _start_child_workflow_execution_initiated(self, event, out: HistoryEvent) -> None:
        attrs = event.start_child_workflow_execution_initiated_event_attributes
        out.detail = {"child": attrs.workflow_id}
        out.reading = f"Khởi động quy trình con {attrs.workflow_id}"
