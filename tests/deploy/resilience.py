"""Helpers of the resilience tests: the worker as a real `python worker.py` process that can be killed."""
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from core.config import ROOT


def worker_env(*, database_url: str, temporal_address: str, task_queue: str, **extra: str) -> dict:
    """The parent's environment (data keys, data dir) with this test's database, server and queue."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "SMTP_"))}
    env.update(DATABASE_URL=database_url, TEMPORAL_ADDRESS=temporal_address, HOSO_TASK_QUEUE=task_queue,
               HOSO_ENV="dev", SMTP_HOST="", PYTHONUNBUFFERED="1", **extra)
    return env


class WorkerProcess:
    def __init__(self, env: dict, log_path: Path):
        self.env, self.log_path = env, log_path
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    async def start(self, timeout: float = 60) -> None:
        """Start `python worker.py` and wait until it logs that it polls."""
        mark = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, str(ROOT / "worker.py")], cwd=ROOT, env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1
        deadline = time.monotonic() + timeout
        while b"worker.started" not in self.log_path.read_bytes()[mark:]:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker did not start:\n{self.log_path.read_text()[-3000:]}")
            await asyncio.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, running activities are lost mid-way."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def server_address(client) -> str:
    return client.service_client.config.target_host


async def app_client(address: str, settings):
    """A client with the app's data converter, the one `python worker.py` uses (encrypted payloads), so that
    this process reads what that worker writes into histories."""
    from core.temporal import connect
    return await connect(address, settings.temporal_namespace, settings=settings)
