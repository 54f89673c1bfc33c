"""The periodic work of Hồ sơ as Temporal Schedules, created or updated when a worker starts.

Each module that needs one adds a `PeriodicJob` to `JOBS` (a workflow type, its input and a cron
spec in Asia/Ho_Chi_Minh). `ensure` is idempotent: a second worker (or a restart) updates the
existing schedule instead of failing, so several workers can start at once.
"""
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from temporalio.client import (
    Client, Schedule, ScheduleActionStartWorkflow, ScheduleAlreadyRunningError, ScheduleOverlapPolicy,
    SchedulePolicy, ScheduleSpec, ScheduleUpdate, ScheduleUpdateInput,
)

from core.config import Settings
from core.logging import log
from workflows.contracts import RetirementScanInput
from workflows.retirement import SCAN_CRON as RETIREMENT_SCAN_CRON, SCAN_SCHEDULE_ID as RETIREMENT_SCAN_ID
from workflows.audit_check import SCHEDULE_ID as AUDIT_CHECK_ID
from workflows.contracts import AuditCheckInput
from workflows.backup import CRON as BACKUP_CRON, SCHEDULE_ID as BACKUP_ID
from workflows.contracts import BackupRunInput

TIME_ZONE = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class PeriodicJob:
    schedule_id: str              # also the prefix of the started workflows' ids
    workflow: str                 # workflow type name
    cron: str                     # in TIME_ZONE, e.g. "0 6 * * *" every day at 06:00
    make_input: Callable[[Settings], Any]
    note: str = ""                # what it is for and which article asks for it


JOBS: list[PeriodicJob] = []
JOBS.append(PeriodicJob(AUDIT_CHECK_ID, "AuditChainCheck", "30 2 * * *", lambda _: AuditCheckInput(),
                        note="the audit log's hash chain, recomputed daily; Sở Nội vụ is told when it breaks"))
JOBS.append(PeriodicJob(BACKUP_ID, "MonthlyBackup", BACKUP_CRON, lambda settings: BackupRunInput(settings.profile),
                        note="dump and verify the database; the profile's [backup] sets the months and how long "
                             "dumps are kept (Quảng Ngãi Đ10.2, Kon Tum Đ12.1)"))
JOBS.append(PeriodicJob(RETIREMENT_SCAN_ID, "RetirementScan", RETIREMENT_SCAN_CRON, lambda _: RetirementScanInput(),
                        note="starts or re-signals one Retirement workflow per person retiring within the notice "
                             "lead + margin (BLLĐ 2019 Đ169, NĐ 135/2020; notice and decision: rules/profiles/statutes.toml)"))


# Jobs that depend on the configured profile (settings.profile): each source gives its jobs for the settings.
JOB_SOURCES: list[Callable[[Settings], list[PeriodicJob]]] = []


def jobs_for(settings: Settings) -> list[PeriodicJob]:
    """JOBS, then the jobs of the configured profile."""
    return [*JOBS, *(job for source in JOB_SOURCES for job in source(settings))]


def report_jobs(settings: Settings) -> list[PeriodicJob]:
    """One Schedule per reporting duty of the profile (`[[reporting]]`): at 07:00 on the 1st of each month a round
    opens in (rules.deadlines.round_months), the round of the period just ended (workflows/reports.py)."""
    from rules.deadlines import round_months
    from rules.profiles import get_profile
    from workflows.contracts import ReportRoundInput
    from workflows.reports import schedule_id
    return [PeriodicJob(schedule_id(duty.key), "ReportRound", f"0 7 1 {','.join(map(str, round_months(duty)))} *",
                        lambda s, key=duty.key: ReportRoundInput(profile=s.profile, duty=key),
                        note=f"{duty.title}: {duty.legal_basis}")
            for duty in get_profile(settings.profile).reporting]


JOB_SOURCES.append(report_jobs)  # periodic reports (issue 7, item 4)


def schedule_of(job: PeriodicJob, settings: Settings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(job.workflow, job.make_input(settings), id=job.schedule_id,
                                           task_queue=settings.task_queue),
        spec=ScheduleSpec(cron_expressions=[job.cron], time_zone_name=TIME_ZONE),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure(client: Client, settings: Settings, jobs: list[PeriodicJob] | None = None) -> list[str]:
    """Create each job's schedule, or bring an existing one up to date; returns their ids."""
    done = []
    for job in jobs_for(settings) if jobs is None else jobs:
        schedule = schedule_of(job, settings)
        try:
            await client.create_schedule(job.schedule_id, schedule)
        except ScheduleAlreadyRunningError:
            async def replace(current: ScheduleUpdateInput, schedule=schedule) -> ScheduleUpdate:
                schedule.state = current.description.schedule.state  # an operator's pause (and its note) stays
                return ScheduleUpdate(schedule=schedule)
            await client.get_schedule_handle(job.schedule_id).update(replace)
        done.append(job.schedule_id)
    if done:
        log.info("schedules.ensured", schedules=done)
    return done
