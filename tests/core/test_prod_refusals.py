"""HOSO_ENV=prod refuses development-only settings: web (the app factory under uvicorn), worker and
`hoso migrate` exit non-zero naming the variable, before touching a database or Temporal."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import DEV_SECRET_KEY, ROOT, Settings

BIN = Path(sys.executable).parent
GOOD_KEY = "k3Jx9-real-production-secret-0123456789abcdef"
DATA_KEYS = "k-test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="  # HOSO_DATA_KEYS, one 32-byte key
AUDIT_KEY = "Vq2-audit-chain-production-key-0123456789"  # HOSO_AUDIT_KEY
# Unreachable on purpose: a process that got past the check would fail on these instead, without the message.
NOWHERE = {"DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none", "TEMPORAL_ADDRESS": "127.0.0.1:9"}


def _env(**overrides: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HOSO_", "TEMPORAL_", "SMTP_")) and k != "DATABASE_URL"}
    env.update(HOSO_ENV="prod", HOSO_DATA_DIR=str(ROOT / ".var" / "prod-refusals"), **NOWHERE)
    env.update(overrides)
    return env


COMMANDS = {
    "worker": [sys.executable, str(ROOT / "worker.py")],
    "web": [str(BIN / "uvicorn"), "api.main:create_app", "--factory", "--host", "127.0.0.1", "--port", "0"],
    "migrate": [str(BIN / "hoso"), "migrate"],
}


def _start(command: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(COMMANDS[command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_dev_secret_key_is_refused(command):
    done = _start(command, _env(HOSO_SECRET_KEY=DEV_SECRET_KEY, HOSO_SIGNING_DEV_CA="false"))
    assert done.returncode != 0, done.stdout + done.stderr
    assert "HOSO_SECRET_KEY" in done.stderr, done.stderr
    assert "không khởi động" in done.stderr, done.stderr


def test_placeholder_key_and_implicit_dev_ca_are_refused_by_the_worker():
    done = _start("worker", _env(HOSO_SECRET_KEY="Change-Me-long-random-string-0123456789"))
    assert done.returncode == 2, done.stderr
    assert "HOSO_SECRET_KEY" in done.stderr and "HOSO_SIGNING_DEV_CA" in done.stderr, done.stderr


def test_implicit_dev_ca_alone_is_refused_by_migrate():
    done = _start("migrate", _env(HOSO_SECRET_KEY=GOOD_KEY))
    assert done.returncode == 2, done.stderr
    assert "HOSO_SIGNING_DEV_CA" in done.stderr and "HOSO_SECRET_KEY" not in done.stderr, done.stderr


def _prod(**values) -> Settings:
    base = dict(env="prod", secret_key=GOOD_KEY, signing_dev_ca=False, database_url="postgresql://h@db/hoso",
                temporal_address="temporal:7233", data_keys=DATA_KEYS, audit_key=AUDIT_KEY)
    return Settings(**{**base, **values})


def _named(settings: Settings) -> list[str]:
    return [problem.split()[0] for problem in settings.production_problems()]


@pytest.mark.parametrize("key", ["", "   ", DEV_SECRET_KEY, "CHANGE-ME-long-random-string-abcdefghijkl",
                                 "x-change-me-x" * 4, "short-but-random"])
def test_unsafe_secret_keys(key):
    assert _named(_prod(secret_key=key)) == ["HOSO_SECRET_KEY"]


def test_dev_ca_only_when_set_explicitly(monkeypatch):
    monkeypatch.delenv("HOSO_SIGNING_DEV_CA", raising=False)
    implicit = Settings(env="prod", secret_key=GOOD_KEY, database_url="postgresql://h@db/hoso",
                        temporal_address="temporal:7233", data_keys=DATA_KEYS, audit_key=AUDIT_KEY)
    assert _named(implicit) == ["HOSO_SIGNING_DEV_CA"]
    monkeypatch.setenv("HOSO_SIGNING_DEV_CA", "true")
    explicit = Settings(env="prod", secret_key=GOOD_KEY, database_url="postgresql://h@db/hoso",
                        temporal_address="temporal:7233", data_keys=DATA_KEYS, audit_key=AUDIT_KEY)
    assert explicit.signing_dev_ca and explicit.production_problems() == []


def test_placeholders_and_embedded_services_in_prod():
    assert _named(_prod(database_url="postgresql+psycopg://hoso:hoso-change-me@postgres:5432/hoso")) == ["DATABASE_URL"]
    assert _named(_prod(signing_passphrase="CHANGE-ME-signing-passphrase")) == ["HOSO_SIGNING_PASSPHRASE"]
    assert _named(_prod(database_url=None, temporal_address=None)) == ["DATABASE_URL", "TEMPORAL_ADDRESS"]
    assert _prod().production_problems() == []


def test_migrate_needs_no_temporal_address():
    assert _prod(temporal_address=None).production_problems(temporal=False) == []


def test_development_is_never_refused():
    assert Settings(env="dev", secret_key="").production_problems() == []
