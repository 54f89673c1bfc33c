"""Workflow code must replay deterministically: workflows/ imports only the standard library,
temporalio, rules and workflows itself, and calls nothing that reads the clock, randomness or files
(Temporal gives workflow.now() and workflow.random() instead)."""
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "workflows"
ALLOWED_PACKAGES = {"temporalio", "rules", "workflows"}
# dotted calls that differ between the first run and a replay
BANNED_CALLS = {
    "datetime.now", "datetime.utcnow", "datetime.today", "date.today", "datetime.datetime.now",
    "datetime.datetime.utcnow", "datetime.datetime.today", "datetime.date.today",
    "time.time", "time.time_ns", "time.monotonic", "time.perf_counter", "time.sleep",
    "uuid.uuid1", "uuid.uuid4", "os.urandom", "os.getenv", "open", "input",
}
BANNED_PREFIXES = ("random.", "secrets.", "os.environ.")
BANNED_MODULES = {"random", "secrets"}
BANNED_NAMES = {"time": {"time", "time_ns", "monotonic", "perf_counter", "sleep"}, "uuid": {"uuid1", "uuid4"},
                "os": {"urandom", "getenv", "environ"}}


def dotted(node: ast.AST) -> str | None:
    """`a.b.c` for a call target made of names and attributes only, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def import_problems(tree: ast.AST) -> list[str]:
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [(node.lineno, alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules = [(node.lineno, node.module, tuple(a.name for a in node.names))]
        else:
            continue  # relative imports stay inside workflows/
        for line, module, names in modules:
            top = module.split(".")[0]
            if top not in ALLOWED_PACKAGES and top not in sys.stdlib_module_names:
                problems.append(f"{line}: imports {module}")
            elif top in BANNED_MODULES:
                problems.append(f"{line}: imports {module}, not deterministic")
            elif set(names) & BANNED_NAMES.get(module, set()):
                problems.append(f"{line}: imports {', '.join(names)} from {module}, not deterministic")
    return problems


def call_problems(tree: ast.AST) -> list[str]:
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = dotted(node.func)
            if name and (name in BANNED_CALLS or name.startswith(BANNED_PREFIXES)):
                problems.append(f"{node.lineno}: calls {name}()")
    return problems


def problems_of(source: str) -> list[str]:
    tree = ast.parse(source)
    return import_problems(tree) + call_problems(tree)


def test_every_workflow_module_is_pure():
    modules = sorted(WORKFLOWS.rglob("*.py"))
    assert len(modules) >= 5, "workflows/ not found"
    found = [f"{path.relative_to(ROOT)}:{problem}" for path in modules
             for problem in problems_of(path.read_text(encoding="utf-8"))]
    assert not found, "\n".join(found)


def test_allowed_code_passes():
    source = (
        "import asyncio\nfrom datetime import datetime, timedelta\nfrom temporalio import workflow\n"
        "from rules.clock import local_date\nfrom workflows.contracts import UpdateInput\nfrom . import human_task\n"
        "def f():\n    wait = datetime.fromisoformat('2026-01-01') - workflow.now()\n"
        "    return workflow.random().randint(1, 6), workflow.uuid4(), asyncio.sleep(1)\n"
    )
    assert problems_of(source) == []


def test_imports_outside_the_allowed_packages_fail():
    source = "import sqlalchemy\nfrom services import tasks\ndef f():\n    from activities.tasks import X\n"
    assert problems_of(source) == ["1: imports sqlalchemy", "2: imports services", "4: imports activities.tasks"]


def test_nondeterministic_imports_fail():
    source = "import random\nfrom secrets import token_hex\nfrom time import time\nfrom uuid import uuid4, UUID\n"
    assert problems_of(source) == [
        "1: imports random, not deterministic", "2: imports secrets, not deterministic",
        "3: imports time from time, not deterministic", "4: imports uuid4, UUID from uuid, not deterministic",
    ]


def test_nondeterministic_calls_fail():
    source = ("import datetime, time, uuid, os\nfrom datetime import date\n"
              "a = datetime.datetime.now()\nb = date.today()\nc = time.time()\nd = uuid.uuid4()\n"
              "e = open('x')\nf = os.environ.get('X')\n")
    assert problems_of(source) == ["3: calls datetime.datetime.now()", "4: calls date.today()", "5: calls time.time()",
                                   "6: calls uuid.uuid4()", "7: calls open()", "8: calls os.environ.get()"]

