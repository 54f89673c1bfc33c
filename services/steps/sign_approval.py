"""The unit head, or a deputy with a written delegation valid that day, signs the month's batch:
checked revisions are approved, the others returned with a reason (monthly approval rule)."""
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import Person, Task
from rules.clock import local_date
from services import actors, approvals, delegations
from services.errors import Invalid
from services.scope import Viewer
from services.signing import ToSign
from services.steps.base import DynamicActors, Outcome, Prepared, StepKind, month_title
from workflows.contracts import CompleteTaskInput, TaskResult


async def prepare(session: AsyncSession, task: Task, outcome: str, data: dict) -> Prepared:
    decisions, reasons = data.get("decisions") or {}, data.get("reasons") or {}
    if not isinstance(decisions, dict) or not isinstance(reasons, dict):
        raise Invalid("Quyết định và lý do phải ghi theo từng hồ sơ, ví dụ {\"12\": \"approve\"}.", "bad_decisions")
    return Prepared({"decisions": {str(k): v for k, v in decisions.items()},
                     "reasons": {str(k): v for k, v in reasons.items()}})


async def effect(session: AsyncSession, settings: Settings, task: Task, inp: CompleteTaskInput,
                 now: datetime) -> dict[str, Any]:
    return await approvals.sign(settings, task, inp, now, session=session)


async def effect_signing(session: AsyncSession, settings: Settings, task: Task, inp: CompleteTaskInput,
                         to_sign: ToSign, now: datetime) -> tuple[bytes, dict[str, Any]]:
    return await approvals.sign_while_applying(settings, task, inp, to_sign, now, session=session)


async def batch_context(session: AsyncSession, viewer: Viewer, task: Task, person: Person | None) -> dict:
    return await approvals.batch_view(viewer, task, local_date(datetime.now(UTC)), session=session)


def batch_form(form) -> tuple[dict[str, Any], dict[str, Any]]:
    """Checked revisions are approved; the others are returned with the reason typed beside them."""
    items = [str(v) for v in form.getlist("item")]
    approved = {str(v) for v in form.getlist("approve")}
    reasons = {rid: str(form.get(f"reason_{rid}") or "").strip() for rid in items}
    data = {"decisions": {rid: "approve" if rid in approved else "return" for rid in items},
            "reasons": {rid: text for rid, text in reasons.items() if rid not in approved and text}}
    return data, {"approve": approved, "reasons": reasons}


def signed_message(kind: StepKind, result: TaskResult) -> str:
    decisions = result.result.get("decisions", [])
    approved = sum(1 for d in decisions if d["decision"] == "approved")
    return (f"{kind.outcomes[result.outcome].label} "
            f"({approved} hồ sơ phê duyệt, {len(decisions) - approved} hồ sơ trả lại)")


async def mark_late(session: AsyncSession, task: Task) -> None:
    await approvals.mark_late(task.workflow_id, session=session)


KIND = StepKind(
    name="sign_approval",
    title="Ký số phê duyệt dữ liệu tháng",
    outcomes={"sign": Outcome("Ký số phê duyệt", {"decisions": "Với mỗi hồ sơ: approve hoặc return",
                                                 "reasons": "Lý do cho hồ sơ bị trả lại"})},
    effect=effect,
    prepare=prepare,
    titled=month_title,
    dynamic_actors=DynamicActors(extra=actors.delegate_ids, check=delegations.signing_capacity),
    page_context=batch_context,
    partial="tasks/_sign_approval.html",
    watch_partial="tasks/_sign_approval_watch.html",
    form_data=batch_form,
    done_message=signed_message,
    on_milestone={"escalate_sonoivu": mark_late},
    document=approvals.batch_document,
    effect_signing=effect_signing,
)
