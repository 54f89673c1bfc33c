"""temporal-compose.yml must be a valid Compose file with the services the lead fixed.

Validated with Debian's `docker-compose` (1.29) and, where present, the `docker compose`
v2 plugin. Neither needs a Docker engine for `config`. If neither is installed the test
FAILS on purpose (CI installs Debian's docker-compose); it is never skipped.
"""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "temporal-compose.yml"
REQUIRED_SERVICES = {"postgres", "temporal", "temporal-ui", "web", "worker", "migrate"}
INSTALL_HINT = (
    "No Compose validator found: install Debian's docker-compose "
    "(`apt-get update && apt-get install -y docker-compose`; CI installs it), "
    "or the `docker compose` v2 plugin."
)


def _validators() -> list[list[str]]:
    found: list[list[str]] = []
    if shutil.which("docker-compose"):
        found.append(["docker-compose"])
    if shutil.which("docker"):
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, text=True, timeout=60
        )
        if probe.returncode == 0:
            found.append(["docker", "compose"])
    return found


def _run(cmd: list[str], *args: str) -> subprocess.CompletedProcess:
    # Run from the repo root with a clean environment for the variables the file
    # interpolates, so the result does not depend on the caller's shell.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HOSO_", "TEMPORAL_", "SMTP_", "COMPOSE_"))
           and k != "DATABASE_URL"}
    return subprocess.run(
        [*cmd, "-f", str(COMPOSE_FILE), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


_KEY = re.compile(r"^(?P<key>[^\s:#'\"][^:]*?|'[^']*'|\"[^\"]*\"):(?:\s+(?P<value>.*))?$")


def _parse_mappings(text: str) -> dict:
    """Nested mappings of a normalised `docker-compose config` YAML; sequences are skipped.

    Used only when PyYAML is not importable (the app does not depend on it).
    """
    root: dict = {}
    stack: list[tuple[int, dict]] = [(-1, root)]
    skip_deeper_than: int | None = None
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        line = raw.strip()
        if skip_deeper_than is not None and indent > skip_deeper_than:
            continue
        if line.startswith("- ") or line == "-":
            skip_deeper_than = indent
            continue
        skip_deeper_than = None
        match = _KEY.match(line)
        if not match:
            continue
        key = match.group("key").strip("'\"")
        value = match.group("value")
        while stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        if value is None or value == "":
            child: dict = {}
            parent[key] = child
            stack.append((indent, child))
        else:
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            parent[key] = value
    return root


def _rendered(cmd: list[str]) -> dict:
    if cmd == ["docker", "compose"]:
        result = _run(cmd, "config", "--format", "json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)
    result = _run(cmd, "config")
    assert result.returncode == 0, result.stderr
    try:
        import yaml  # type: ignore[import-not-found]
    except ImportError:
        return _parse_mappings(result.stdout)
    return yaml.safe_load(result.stdout)


def _env(service: dict) -> dict:
    env = service.get("environment") or {}
    if isinstance(env, list):  # "KEY=value" form
        env = dict(item.split("=", 1) for item in env)
    return env


def test_a_validator_is_installed():
    assert _validators(), INSTALL_HINT


@pytest.mark.parametrize("cmd", _validators() or [None], ids=lambda c: " ".join(c or ["none"]))
def test_compose_file_is_valid(cmd):
    assert cmd, INSTALL_HINT
    assert COMPOSE_FILE.is_file(), f"missing {COMPOSE_FILE}"

    quiet = _run(cmd, "config", "-q")
    assert quiet.returncode == 0, f"{' '.join(cmd)} config failed:\n{quiet.stderr}"

    listed = _run(cmd, "config", "--services")
    assert listed.returncode == 0, listed.stderr
    services = set(listed.stdout.split())
    assert REQUIRED_SERVICES <= services, f"missing services: {REQUIRED_SERVICES - services}"

    config = _rendered(cmd)["services"]
    for name in ("web", "worker"):
        env = _env(config[name])
        assert env.get("DATABASE_URL", "").startswith("postgresql+psycopg://"), (name, env)
        assert "@postgres:5432/" in env["DATABASE_URL"], (name, env["DATABASE_URL"])
        assert env.get("TEMPORAL_ADDRESS") == "temporal:7233", (name, env)
        assert env.get("HOSO_ENV") == "prod", (name, env)
        depends = config[name].get("depends_on") or {}
        assert isinstance(depends, dict), (name, depends)
        assert depends.get("migrate", {}).get("condition") == "service_completed_successfully", (
            name, depends,
        )
    assert _env(config["migrate"]).get("DATABASE_URL") == _env(config["web"])["DATABASE_URL"]
