"""The registry of step kinds: one module of this package per kind of human task.

Each module defines `KIND = StepKind(...)`: its title, its outcomes with their labels and the
data each needs, who may act, the web-side preparation of a completion, the effect its activity
applies, and its page partial. The inbox, `task_actions`, the task page and the API read the
registry and never name a kind; adding a kind is adding a module here (plus its workflow and
its template).
"""
import importlib
import pkgutil

from services.errors import Invalid
from services.steps.base import Outcome, Prepared, StepKind

__all__ = ["Outcome", "Prepared", "StepKind", "get", "kinds"]

_registry: dict[str, StepKind] = {}


def kinds() -> dict[str, StepKind]:
    """Every step kind by name, the package's modules loaded on first use."""
    if not _registry:
        for module in pkgutil.iter_modules(__path__):
            if module.name != "base":
                kind = importlib.import_module(f"{__name__}.{module.name}").KIND
                _registry[kind.name] = kind
    return _registry


def get(name: str) -> StepKind:
    try:
        return kinds()[name]
    except KeyError:
        raise Invalid(f"Loại nhiệm vụ không xác định: {name}.", "unknown_step_kind") from None
