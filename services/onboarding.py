"""Registering a hire and starting its onboarding workflow as one step: nothing half-saved."""
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from core.db import on_rollback
from models import Person
from services import people
from services.errors import Conflict, Unavailable
from services.scope import Viewer
from workflows.contracts import OnboardingInput
from workflows.onboarding import workflow_id


async def hire(client: Client, task_queue: str, session: AsyncSession, viewer: Viewer, inp: people.HireInput,
               *, profile_name: str, today: date) -> Person:
    person = await people.register_hire(viewer, inp, profile_name=profile_name, today=today, session=session)
    try:
        await client.start_workflow(
            "Onboarding",
            OnboardingInput(person_id=person.id, unit_id=person.unit_id, profile=person.profile,
                            profile_version=person.profile_version, hired_on=person.hired_on.isoformat()),
            id=workflow_id(person.id), task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError as err:
        raise Conflict("Quy trình tiếp nhận của người này đã được khởi động.", "duplicate_hire") from err
    except RPCError as err:
        raise Unavailable("Hệ thống quy trình tạm thời không phản hồi; chưa có gì được lưu, vui lòng thử lại.",
                          "workflow_unavailable") from err
    cancel_if_not_saved(client, session, workflow_id(person.id))
    return person


def cancel_if_not_saved(client: Client, session: AsyncSession, started_workflow_id: str) -> None:
    """The workflow was started for rows not yet committed: if the unit of work fails, end it too."""
    async def terminate() -> None:
        await client.get_workflow_handle(started_workflow_id).terminate("the database refused the registration")
    on_rollback(session, terminate)
