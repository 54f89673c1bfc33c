from datetime import UTC, datetime

from temporalio import activity
from temporalio.exceptions import ApplicationError

from core.config import Settings
from core.db import Database
from services.errors import DomainError


class ActivityGroup:
    def __init__(self, db: Database, settings: Settings, client=None):
        self.db = db
        self.settings = settings
        self.client = client  # Temporal client, for activities that start or signal workflows

    def functions(self) -> list:
        return [getattr(self, name) for name in dir(self)
                if hasattr(getattr(self, name), "__temporal_activity_definition")]


def now() -> datetime:
    """The server's time of this attempt: real time in production, skipped time in tests."""
    try:
        return activity.info().current_attempt_scheduled_time.astimezone(UTC)
    except RuntimeError:
        return datetime.now(UTC)


def refuse(err: DomainError) -> ApplicationError:
    """A business refusal: never retried, its Vietnamese message reaches the caller."""
    return ApplicationError(err.message, {"code": err.code, "status": err.status, **err.extra},
                            type=err.code, non_retryable=True)
