"""Every activity a workflow calls (workflows/calls.py) has one implementation the worker
registers, under the same name and with the same argument and result types."""
import inspect
import typing

from activities import all_activities
from core.config import Settings
from core.db import Database
from workflows import calls


def definition_name(fn) -> str:
    return getattr(fn, "__temporal_activity_definition").name


def types_of(fn) -> tuple:
    hints = typing.get_type_hints(fn)
    params = [name for name in inspect.signature(fn).parameters if name != "self"]
    return tuple(hints.get(name) for name in params), hints.get("return")


def stubs() -> dict:
    return {definition_name(fn): fn for _, fn in inspect.getmembers(calls, inspect.iscoroutinefunction)
            if hasattr(fn, "__temporal_activity_definition")}


def test_every_called_activity_is_implemented_with_the_same_types():
    implemented = {definition_name(fn): fn
                   for fn in all_activities(Database("postgresql://unused@127.0.0.1/unused"), Settings())}
    called = stubs()
    assert len(called) >= 19
    assert set(called) - set(implemented) == set()
    for name, stub in called.items():
        assert types_of(implemented[name]) == types_of(stub), name


def test_workflows_name_no_activity_by_string():
    from pathlib import Path
    source = "\n".join(p.read_text(encoding="utf-8") for p in Path(calls.__file__).parent.glob("*.py")
                       if p.name != "calls.py")
    for name in stubs():
        assert f'"{name}"' not in source, f"{name} is called by its string name"
