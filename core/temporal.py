"""Temporal client and worker construction."""
from temporalio.client import Client
from temporalio.worker import Worker

from core.config import Settings
from core.db import Database


async def connect(address: str, namespace: str = "default") -> Client:
    return await Client.connect(address, namespace=namespace)


def workflow_classes() -> list:
    from workflows.monthly_approval import MonthlyApprovalWorkflow
    from workflows.onboarding import OnboardingWorkflow
    from workflows.profile_update import ProfileUpdateWorkflow
    from workflows.province_approval import ProvinceApprovalWorkflow

    return [OnboardingWorkflow, ProfileUpdateWorkflow, MonthlyApprovalWorkflow, ProvinceApprovalWorkflow]


def build_worker(client: Client, db: Database, settings: Settings, *, task_queue: str | None = None) -> Worker:
    from activities import all_activities

    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=workflow_classes(),
        activities=all_activities(db, settings, client),
    )
