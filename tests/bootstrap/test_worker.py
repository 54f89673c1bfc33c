"""The worker's sizes come from the settings (HOSO_WORKER_*), and the benchmark's escalation worker uses the same
sizes and sandbox."""
from bootstrap.sandbox import CompiledOnceSandboxRunner
from bootstrap.worker import build_worker, worker_options
from core.config import Settings


async def test_the_worker_takes_its_sizes_from_the_environment(monkeypatch, ts_env, db):
    monkeypatch.setenv("HOSO_WORKER_MAX_CACHED_WORKFLOWS", "2500")
    monkeypatch.setenv("HOSO_WORKER_MAX_CONCURRENT_ACTIVITIES", "40")
    monkeypatch.setenv("HOSO_WORKER_WORKFLOW_TASK_POLLERS", "8")
    settings = Settings(smtp_host=None)
    config = build_worker(ts_env.client, db, settings, task_queue="sizes").config()
    assert config["max_cached_workflows"] == 2500
    assert config["max_concurrent_activities"] == 40
    assert config["workflow_task_poller_behavior"].maximum == 8
    assert isinstance(config["workflow_runner"], CompiledOnceSandboxRunner)
    assert {name: config[name] for name in worker_options(settings)} == worker_options(settings)

