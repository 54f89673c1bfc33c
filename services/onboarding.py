"""Registering a hire and starting its onboarding workflow as one step: nothing half-saved."""
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from models import Person
from services import people
from services.errors import Conflict
from services.scope import Viewer
from workflows.contracts import OnboardingInput
from workflows.onboarding import workflow_id


async def hire(client: Client, task_queue: str, session: AsyncSession, viewer: Viewer, inp: people.HireInput,
               *, profile_name: str, today: date) -> Person:
    person = await people.register_hire(session, viewer, inp, profile_name=profile_name, today=today)
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
    await session.commit()
    return person
