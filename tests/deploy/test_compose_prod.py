"""The compose file runs web, worker and migrate with the real signing settings, and none of its
CHANGE-ME placeholders silently works: the app's production check refuses the rendered defaults and
accepts the same environment once .env sets real values."""
import os
import subprocess

import pytest

from core.config import Settings
from tests.deploy.test_compose import COMPOSE_FILE, INSTALL_HINT, ROOT, _env, _parse_mappings, _validators

APP_SERVICES = ("migrate", "web", "worker")
REAL = {"HOSO_SECRET_KEY": "Zq8-production-secret-key-0123456789abcdefgh", "HOSO_DB_PASSWORD": "app-db-pass-4f9a",
        "TEMPORAL_DB_PASSWORD": "temporal-db-pass-77c1", "HOSO_SIGNING_PASSPHRASE": "p12-pass-0b3e",
        "HOSO_AUDIT_KEY": "Vq2-audit-chain-production-key-0123456789"}


def _services(**dotenv: str) -> dict:
    validators = _validators()
    assert validators, INSTALL_HINT
    cmd = validators[0]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HOSO_", "TEMPORAL_", "SMTP_", "COMPOSE_")) and k != "DATABASE_URL"}
    env.update(dotenv)
    args = [*cmd, "-f", str(COMPOSE_FILE), "config"]
    done = subprocess.run(args + (["--format", "json"] if cmd == ["docker", "compose"] else []),
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    if cmd == ["docker", "compose"]:
        import json
        return json.loads(done.stdout)["services"]
    try:
        import yaml  # type: ignore[import-not-found]
    except ImportError:
        return _parse_mappings(done.stdout)["services"]
    return yaml.safe_load(done.stdout)["services"]


def _settings(env: dict) -> Settings:
    """Settings as the container would read them from its environment."""
    saved = dict(os.environ)
    try:
        for key in [k for k in os.environ if k.startswith(("HOSO_", "TEMPORAL_", "SMTP_")) or k == "DATABASE_URL"]:
            del os.environ[key]
        os.environ.update({k: str(v) for k, v in env.items()})
        return Settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def defaults() -> dict:
    return _services()


def test_app_services_sign_with_the_mounted_keys_never_the_dev_ca(defaults):
    for name in APP_SERVICES:
        env = _env(defaults[name])
        assert env.get("HOSO_SIGNING_DIR") == "/run/secrets/hoso", (name, env)
        assert str(env.get("HOSO_SIGNING_DEV_CA")).lower() == "false", (name, env)
        assert env.get("HOSO_SIGNING_PASSPHRASE"), (name, env)
        assert _settings(env).signing_dev_ca is False


def test_migrate_runs_the_checked_command():
    # The rendered YAML's sequences are not parsed without PyYAML: read the service in the file itself.
    block = COMPOSE_FILE.read_text().split("\n  migrate:\n", 1)[1].split("\n\n", 1)[0]
    assert 'command: ["hoso", "migrate"]' in block, block


def test_placeholder_defaults_are_refused(defaults):
    for name in APP_SERVICES:
        problems = " ".join(_settings(_env(defaults[name])).production_problems())
        for variable in ("HOSO_SECRET_KEY", "DATABASE_URL", "HOSO_SIGNING_PASSPHRASE"):
            assert variable in problems, (name, variable, problems)


def test_real_values_from_dotenv_are_accepted():
    services = _services(**REAL)
    for name in APP_SERVICES:
        settings = _settings(_env(services[name]))
        assert settings.production_problems() == [], (name, settings.production_problems())
        assert settings.secret_key == REAL["HOSO_SECRET_KEY"]
        assert settings.signing_passphrase == REAL["HOSO_SIGNING_PASSPHRASE"]


def test_temporal_schema_refuses_a_placeholder_password(defaults):
    assert "change-me" in _env(defaults["temporal-schema"])["SQL_PASSWORD"].lower()
    script = ROOT / "deploy" / "temporal" / "setup-schema.sh"
    env = {"PATH": os.environ["PATH"], "POSTGRES_SEEDS": "127.0.0.1", "POSTGRES_USER": "temporal",
           "SQL_PASSWORD": _env(defaults["temporal-schema"])["SQL_PASSWORD"]}
    done = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and "TEMPORAL_DB_PASSWORD" in done.stderr, done.stderr
