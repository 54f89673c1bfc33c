"""What the web app holds for its lifetime: settings, database, Temporal client (core.temporal.connect: encrypted
payloads, TLS when configured)."""
from dataclasses import dataclass, field

from temporalio.client import Client

from core.config import Settings
from core.db import Database
from core.temporal import connect


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
            self.temporal = await connect(self.temporal_address, self.settings.temporal_namespace,
                                          settings=self.settings)
        return self.temporal
