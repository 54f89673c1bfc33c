"""What the web app holds for its lifetime: settings, database, Temporal client."""
from dataclasses import dataclass, field

from temporalio.client import Client

from core.config import Settings
from core.db import Database


@dataclass
class AppState:
    settings: Settings
    db: Database
    temporal: Client | None = None
    temporal_address: str | None = None
    task_queue: str = "hoso"
    extra: dict = field(default_factory=dict)

    async def client(self) -> Client:
        if self.temporal is None:
            self.temporal = await Client.connect(self.temporal_address, namespace=self.settings.temporal_namespace)
        return self.temporal
