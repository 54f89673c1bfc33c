"""What the API and the pages show of transfers: each transfer in the viewer's scope with its person, units,
labels and current task, and a transfer's steps (the tasks of its workflow)."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Task, Transfer
from models.transfers import LEAVING_REASONS, TRANSFER_KINDS, TRANSFER_STATUSES
from rules.profiles import get_profile
from services import moves, org, people, transfers
from services.scope import Viewer


@dataclass
class TransferInfo:
    transfer: Transfer
    full_name: str
    from_unit: str | None
    to_unit: str | None
    kind_label: str
    reason_label: str
    status_label: str
    stage_label: str
    current_task: Task | None  # the first open task of its workflow


def reason_label(transfer: Transfer) -> str:
    """A leaving's reason by its Vietnamese label; a move's reason is its own text."""
    return LEAVING_REASONS.get(transfer.reason, transfer.reason) if transfer.kind == "leaving" else transfer.reason


async def _infos(found: list[Transfer], *, session: AsyncSession) -> list[TransferInfo]:
    units = await org.unit_names(session=session)
    names = await people.names({t.person_id for t in found}, session=session)
    workflow_ids = {t.workflow_id for t in found if t.workflow_id}
    open_tasks: dict[str, Task] = {}
    for task in (await session.execute(select(Task).where(Task.workflow_id.in_(workflow_ids or {""}),
                                                          Task.status == "open").order_by(Task.id))).scalars():
        open_tasks.setdefault(task.workflow_id, task)
    return [TransferInfo(
        transfer=t, full_name=names.get(t.person_id, ""), from_unit=units.get(t.from_unit_id),
        to_unit=units.get(t.to_unit_id), kind_label=TRANSFER_KINDS.get(t.kind, t.kind), reason_label=reason_label(t),
        status_label=TRANSFER_STATUSES.get(t.status, t.status), stage_label=moves.stage_label(t.stage),
        current_task=open_tasks.get(t.workflow_id or "")) for t in found]


async def listed(viewer: Viewer, status: str = "open", *, session: AsyncSession) -> list[TransferInfo]:
    """The transfers in the viewer's scope (services/transfers.transfers_query), newest first."""
    return await _infos(await transfers.in_progress(viewer, status=status, session=session), session=session)


async def one(viewer: Viewer, transfer_id: int, *, session: AsyncSession) -> TransferInfo:
    """A transfer in the viewer's scope, else 404."""
    transfer = await transfers.readable_transfer(viewer, transfer_id, session=session)
    return (await _infos([transfer], session=session))[0]


async def steps(transfer: Transfer, *, session: AsyncSession) -> list[Task]:
    """The tasks of the transfer's workflow, in the order they opened (for a transfer already read in scope)."""
    if not transfer.workflow_id:
        return []
    return list((await session.execute(select(Task).where(Task.workflow_id == transfer.workflow_id)
                                       .order_by(Task.created_at, Task.id))).scalars())


def counts_from_paper_file(profile_name: str, on: date) -> bool:
    """The profile in force counts a change from the day a valid paper file arrived (Kon Tum Đ10.2, `counts_from =
    "paper_file"` on any of its rules): the transfer forms then ask for that day, which the workflow passes on as
    the start `paper_file` for whichever rule counts from it."""
    profile = get_profile(profile_name, on=on)
    return any(profile.rule(name).counts_from == "paper_file" for name in profile.rule_names())
