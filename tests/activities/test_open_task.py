"""tasks.open as one activity attempt (ActivityEnvironment) on the real PostgreSQL: the first task of a hire whose
request has started the workflow but not yet committed the person is retried soon, then opens once committed."""
from datetime import date

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.tasks import PERSON_PENDING_RETRY, TaskActivities
from services import people
from tests.helpers import task_by_id, viewer
from workflows.contracts import OpenTaskInput, Schedule

TODAY = date(2026, 12, 1)


async def test_the_first_task_of_a_hire_not_yet_committed_is_retried_soon(db, org, settings):
    acts = TaskActivities(db, settings)
    hr = await viewer(db, "hr.syt")
    async with db.session() as hiring:  # the hire's unit of work: the person is flushed, not committed
        person = await people.register_hire(hr, people.HireInput(
            full_name="Nguyễn Văn An", sex="nam", date_of_birth=date(1995, 3, 15), citizen_id="051095000123",
            unit_id=org.units["SYT"], hired_on=TODAY, kind="cong_chuc"),
            profile_name="quang-ngai", today=TODAY, session=hiring)
        account = OpenTaskInput(
            workflow_id=f"onboarding/{person.id}", step_key="account", kind="create_account", person_id=person.id,
            unit_id=person.unit_id, profile="quang-ngai", profile_version=person.profile_version,
            started_on=TODAY.isoformat(), schedule=Schedule("unit_hr", None, None, None, None, None, None))
        with pytest.raises(ApplicationError) as pending:
            await ActivityEnvironment().run(acts.open, account)
        assert pending.value.type == "person_pending" and not pending.value.non_retryable
        assert pending.value.next_retry_delay == PERSON_PENDING_RETRY

    opened = await ActivityEnvironment().run(acts.open, account)
    task = await task_by_id(db, opened.task_id)
    assert (task.subject_person_id, task.status) == (person.id, "open")
    assert task.title == "Tạo lập tài khoản cá nhân: Nguyễn Văn An"
    assert opened.candidate_user_ids == [org.users["hr.syt"]]
