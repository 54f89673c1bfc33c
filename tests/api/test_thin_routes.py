"""API routes ask services: no route module queries models, commits, or imports inside a function."""
import ast

from core.config import ROOT

QUERIES = ("select(", "session.execute(", "session.get(", ".scalars(", "commit(")


def route_modules():
    modules = sorted((ROOT / "api" / "routes").glob("*.py"))
    assert modules, "no module found under api/routes/"
    return modules


def test_routes_do_not_query_models():
    found = [f"{path.name}: {query}" for path in route_modules() for query in QUERIES if query in path.read_text()]
    assert found == []


def test_routes_import_at_module_level():
    nested = []
    for path in route_modules():
        for function in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                nested += [f"{path.name}:{node.lineno}" for node in ast.walk(function)
                           if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert nested == []
