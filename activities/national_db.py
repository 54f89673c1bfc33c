"""Send one approved revision's outbox row to the national CBCCVC database.

The caller (the monthly-approval workflow) runs one "national_db.send" per approved revision with a
RetryPolicy: a down or slow national side raises a retryable error and Temporal sends again with
backoff; every attempt carries the row's idempotency key, so the record is stored once.
"""
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.base import ActivityGroup, now, refuse
from core.config import Settings
from core.db import Database
from services import arrivals, national_sync
from services.errors import DomainError
from services.national_sync import NationalClient, NationalSyncError
from workflows.contracts import Pulled, PullInput, SendInput, SendResult  # defined there; re-exported here

__all__ = ["NationalDbActivities", "Pulled", "PullInput", "SendInput", "SendResult"]


class NationalDbActivities(ActivityGroup):
    def __init__(self, db: Database, settings: Settings, client=None, *, timeout: float = 10.0,
                 national: NationalClient | None = None):
        super().__init__(db, settings, client)
        self.timeout = timeout  # seconds per HTTP call: keep start_to_close_timeout above it
        self._national = national

    def national_client(self) -> NationalClient:
        if self._national is not None:
            return self._national
        if not self.settings.national_db_url:
            raise ApplicationError("HOSO_NATIONAL_DB_URL is not set: nowhere to send approved records",
                                   type="national_db.not_configured")  # retryable: configure, then it resumes
        return NationalClient(self.settings.national_db_url, timeout=self.timeout)

    @activity.defn(name="national_db.send")
    async def send(self, inp: SendInput) -> SendResult:
        async with self.db.session() as session:
            row = await national_sync.get(inp.outbox_id, session=session)
        if row is None:
            raise ApplicationError(f"sync_outbox row {inp.outbox_id} does not exist",
                                   type="national_db.unknown_row", non_retryable=True)
        if row.status == "sent":
            return SendResult(row.id, row.remote_id, already_sent=True)

        national = self.national_client()
        try:
            remote_id = await national.send(row.idempotency_key, row.payload)
        except NationalSyncError as err:
            async with self.db.session() as session:
                await national_sync.mark_failed(row.id, str(err), now(), session=session)
            raise ApplicationError(str(err), {"outbox_id": row.id, "status": err.status},
                                   type="national_db.rejected" if not err.retryable else "national_db.unavailable",
                                   non_retryable=not err.retryable) from err

        async with self.db.session() as session:
            marked = await national_sync.mark_sent(row.id, remote_id, now(), session=session)
            if not marked:  # another attempt marked it meanwhile: report the id it recorded
                current = await national_sync.get(row.id, session=session)
                return SendResult(row.id, current.remote_id if current else remote_id, already_sent=True)
        return SendResult(row.id, remote_id, already_sent=False)

    @activity.defn(name="national_db.pull")
    async def pull(self, inp: PullInput) -> Pulled:
        """An arrival's pull (Sở Nội vụ's task): fetch the person's latest record from the national database with
        no transaction open, then keep it as their draft revision once its identity matches. A refusal (no record,
        identity not matching, the national side refusing) is not retried and keeps the task open; an unreachable
        national side is retried by the caller's policy, then refused the same way."""
        try:
            async with self.db.session() as session:
                _, person = await arrivals.pull_task(inp.task_id, inp.actor_user_id, session=session)
            if self._national is None and not self.settings.national_db_url:
                raise arrivals.not_configured()
            try:
                record = await self.national_client().fetch(person.citizen_id)
            except NationalSyncError as err:
                if not err.retryable:
                    raise arrivals.rejected(str(err), err.status) from err
                refusal = arrivals.unavailable(str(err))
                raise ApplicationError(refusal.message, {"code": refusal.code, "status": refusal.status,
                                                         **refusal.extra}, type=refusal.code) from err
            if record is None:
                raise arrivals.not_found(person)
            async with self.db.session() as session:
                revision = await arrivals.store_pulled(inp.task_id, inp.actor_user_id, record, now(), session=session)
                return Pulled(revision.id, record["id"])
        except DomainError as err:
            raise refuse(err) from err
