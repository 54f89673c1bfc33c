"""Layering: `core/` is the foundation and imports no upper layer, not even lazily in a function."""
import ast
from pathlib import Path

from core.config import ROOT

FORBIDDEN = {"services", "activities", "api", "ui", "bootstrap"}


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every import anywhere in the tree, nested ones and import_module("x") included."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif _is_dynamic_import(node):
            found.append((node.lineno, node.args[0].value))
    return sorted(found)


def _is_dynamic_import(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call) or not node.args:
        return False
    name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
    first = node.args[0]
    return name in ("import_module", "__import__") and isinstance(first, ast.Constant) and isinstance(first.value, str)


def forbidden_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [f"{path.relative_to(ROOT)}:{line}: imports {module}"
            for line, module in imported_modules(tree) if module.split(".")[0] in FORBIDDEN]


def test_detector_sees_nested_imports():
    source = ("def f():\n    from services.demo import seed_org\n"
              "import api.main\n"
              "def g():\n    importlib.import_module('ui.pages')\n"
              "from . import config\n")
    assert [m for _, m in imported_modules(ast.parse(source))] == ["services.demo", "api.main", "ui.pages"]


def test_core_imports_no_upper_layer():
    modules = sorted((ROOT / "core").rglob("*.py"))
    assert modules, "no module found under core/"
    violations = [v for path in modules for v in forbidden_imports(path)]
    assert not violations, "core/ must not import " + ", ".join(sorted(FORBIDDEN)) + ":\n" + "\n".join(violations)
