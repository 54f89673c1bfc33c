"""The Temporal worker of Hồ sơ: every workflow and activity on one task queue."""
from temporalio.client import Client
from temporalio.worker import PollerBehaviorSimpleMaximum, Worker

from activities import all_activities
from bootstrap.sandbox import CompiledOnceSandboxRunner
from core.config import Settings
from core.db import Database
from workflows.arrival import ArrivalWorkflow
from workflows.audit_check import AuditChainCheckWorkflow
from workflows.backup import BackupFailedWorkflow, MonthlyBackupWorkflow
from workflows.merger import UnitMergerWorkflow
from workflows.monthly_approval import MonthlyApprovalWorkflow
from workflows.onboarding import OnboardingWorkflow
from workflows.profile_update import ProfileUpdateWorkflow
from workflows.province_approval import ProvinceApprovalWorkflow
from workflows.retirement import RetirementScanWorkflow, RetirementWorkflow
from workflows.transfer import TransferWorkflow
from workflows.reports import PeriodicReportWorkflow, ReportRoundWorkflow  # periodic reports (issue 7)


def workflow_classes() -> list:
    return [OnboardingWorkflow, ProfileUpdateWorkflow, MonthlyApprovalWorkflow, ProvinceApprovalWorkflow,
            UnitMergerWorkflow, ArrivalWorkflow, TransferWorkflow, AuditChainCheckWorkflow,
            MonthlyBackupWorkflow, BackupFailedWorkflow, RetirementWorkflow, RetirementScanWorkflow,
            ReportRoundWorkflow, PeriodicReportWorkflow]


def worker_options(settings: Settings) -> dict:
    """The Worker's sizes (HOSO_WORKER_*) and its sandbox, shared by bench/province.py so the benchmark measures
    them."""
    return dict(
        workflow_runner=CompiledOnceSandboxRunner(),
        max_cached_workflows=settings.worker_max_cached_workflows,
        max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        workflow_task_poller_behavior=PollerBehaviorSimpleMaximum(settings.worker_workflow_task_pollers),
        activity_task_poller_behavior=PollerBehaviorSimpleMaximum(settings.worker_activity_task_pollers),
    )


def build_worker(client: Client, db: Database, settings: Settings, *, task_queue: str | None = None) -> Worker:
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=workflow_classes(),
        activities=all_activities(db, settings, client),
        **worker_options(settings),
    )
