from datetime import timedelta

from psycopg.errors import ForeignKeyViolation
from sqlalchemy.exc import IntegrityError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.base import ActivityGroup, now, refuse
from services import notify, tasks
from services.errors import Conflict, DomainError
from workflows.contracts import CompleteTaskInput, MilestoneInput, OpenedTask, OpenTaskInput, Signed, TaskResult

# A hire's request starts the workflow, then commits the person (services/onboarding.hire): under load the
# first task can be opened before that commit. Such attempts are retried soon rather than after the workflow's
# 1 s backoff; past this many, the workflow's own retry policy applies.
PERSON_PENDING_ATTEMPTS = 10
PERSON_PENDING_RETRY = timedelta(milliseconds=100)
CONCURRENT_CHANGE = Conflict("Dữ liệu vừa được thay đổi bởi thao tác khác; vui lòng tải lại trang.",
                             "concurrent_change")


class TaskActivities(ActivityGroup):
    @activity.defn(name="tasks.open")
    async def open(self, inp: OpenTaskInput) -> OpenedTask:
        try:
            async with self.db.session() as session:
                opened = await tasks.open_task(inp, now=now(), session=session)
        except IntegrityError as err:
            if not (inp.person_id and isinstance(err.orig, ForeignKeyViolation)
                    and activity.info().attempt < PERSON_PENDING_ATTEMPTS):
                raise
            raise ApplicationError(f"person {inp.person_id} not committed yet", type="person_pending",
                                   next_retry_delay=PERSON_PENDING_RETRY) from err
        await self._mail(f"task{opened.task_id}/open")
        return opened

    @activity.defn(name="tasks.complete")
    async def complete(self, inp: CompleteTaskInput) -> TaskResult:
        try:
            async with self.db.session() as session:
                result = await tasks.complete_task(self.settings, inp, now=now(), session=session)
        except DomainError as err:
            raise refuse(err) from err
        except IntegrityError as err:  # a concurrent write won: refuse rather than retry forever
            raise refuse(CONCURRENT_CHANGE) from err
        await self._mail(f"task{inp.task_id}/")
        return result

    @activity.defn(name="tasks.sign")
    async def sign(self, inp: CompleteTaskInput) -> Signed:
        """Sign what the completion will apply. With a key held in the worker and a kind that can, the completion
        is applied in the same transaction, its writes running while pyhanko signs (tasks.sign_and_complete);
        otherwise (a token, a remote signing service) the document is signed with no transaction open and the
        signature stored in a short one, for the completing activity to apply."""
        at = now()
        try:
            async with self.db.session() as session:
                signing = await tasks.signing(self.settings, inp, now=at, session=session)
                if isinstance(signing, Signed):  # applied by an earlier or overlapping attempt
                    signed = signing
                elif signing.together:
                    signed = await tasks.sign_and_complete(self.settings, inp, signing, now=at, session=session)
                else:
                    signed = None
            if signed is not None:
                await self._mail(f"task{inp.task_id}/")
                return signed
            to_sign = signing.document
            pdf = await to_sign.sign()
            async with self.db.session() as session:
                return Signed(await tasks.store_signature(inp, to_sign, pdf, session=session))
        except DomainError as err:
            raise refuse(err) from err
        except IntegrityError as err:
            raise refuse(CONCURRENT_CHANGE) from err

    @activity.defn(name="tasks.remind")
    async def remind(self, inp: MilestoneInput) -> bool:
        return await self._milestone(inp)

    @activity.defn(name="tasks.escalate_head")
    async def escalate_head(self, inp: MilestoneInput) -> bool:
        return await self._milestone(inp)

    @activity.defn(name="tasks.escalate_sonoivu")
    async def escalate_sonoivu(self, inp: MilestoneInput) -> bool:
        return await self._milestone(inp)

    async def _milestone(self, inp: MilestoneInput) -> bool:
        async with self.db.session() as session:
            done = await tasks.milestone(inp.task_id, inp.milestone, now=now(), session=session)
        await self._mail(f"task{inp.task_id}/{inp.milestone}")
        return done

    async def _mail(self, key_prefix: str) -> None:
        async with self.db.session() as session:
            await notify.mail_pending(self.settings, key_prefix, session=session)
