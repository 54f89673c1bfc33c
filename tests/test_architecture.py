"""Checks that read the source tree and keep its shape: no import loop in services/ or ui/, no
model query in a route, and no commit outside the units of work (core/db.py, used by the
request and by each activity)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_PACKAGES = ("core", "rules", "models", "services", "workflows", "activities", "api", "ui", "bootstrap")
ROUTE_FILES = [*sorted((ROOT / "api" / "routes").glob("*.py")), *sorted((ROOT / "ui" / "routes").glob("*.py")),
               ROOT / "ui" / "views.py", ROOT / "ui" / "web.py"]
QUERY_CALLS = {"execute", "scalars", "scalar", "scalar_one", "scalar_one_or_none", "add", "delete", "flush"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """Every app module the file imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in known}
    return found


def import_graph(package: str) -> dict[str, set[str]]:
    files = {module_name(path): path for path in (ROOT / package).rglob("*.py")}
    return {name: imported_modules(path, set(files)) - {name} for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_services_have_no_import_cycle():
    assert find_cycle(import_graph("services")) is None


def test_ui_has_no_import_cycle():
    assert find_cycle(import_graph("ui")) is None


def query_calls(path: Path) -> list[str]:
    """Model queries written in the file itself: select(...), session.execute/get/add..."""
    problems = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sqlalchemy":
            problems.append(f"line {node.lineno}: imports sqlalchemy")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in {"select", "insert", "update", "delete", "text"}:
            problems.append(f"line {node.lineno}: {func.id}()")
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "session":
            if func.attr in QUERY_CALLS | {"get"}:
                problems.append(f"line {node.lineno}: session.{func.attr}()")
    return problems


def test_the_query_check_sees_a_query(tmp_path):
    sample = tmp_path / "route.py"
    sample.write_text("async def f(session):\n    return await session.get(Person, 1), select(Person)\n")
    assert len(query_calls(sample)) == 2


def test_routes_do_not_query_models():
    found = {path.relative_to(ROOT).as_posix(): query_calls(path) for path in ROUTE_FILES}
    assert {name: problems for name, problems in found.items() if problems} == {}


def commits(path: Path) -> list[int]:
    return [node.lineno for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"]


def test_only_the_unit_of_work_commits():
    boundary = ROOT / "core" / "db.py"
    found = {path.relative_to(ROOT).as_posix(): lines
             for package in APP_PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
             if path != boundary and (lines := commits(path))}
    assert found == {}
    assert commits(boundary), "core/db.py is the unit of work and must commit"
