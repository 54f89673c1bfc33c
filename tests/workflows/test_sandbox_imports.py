"""Each workflow run executes only its own module again in the sandbox; what it imports from workflows/ and
rules/ is passed through. `from workflows import calls` would not be: the sandbox sees only the import of the
package, and Python then loads the submodule itself, so calls.py (its ~40 activity definitions) ran again for
every workflow started or replayed. Hence `import workflows.calls as calls` in the workflow modules."""
import importlib.abc
import sys

import pytest
from temporalio import workflow
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from bootstrap.worker import workflow_classes

OWN_PACKAGES = ("workflows", "rules")


class LoadRecorder(importlib.abc.MetaPathFinder):
    """Names of the modules loaded from source: a passed-through module is taken from sys.modules instead."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(self, name, path, target=None):
        self.names.append(name)
        return None


@pytest.mark.parametrize("cls", workflow_classes(), ids=lambda cls: cls.__name__)
async def test_a_workflow_run_loads_only_its_own_module(cls):
    recorder = LoadRecorder()
    sys.meta_path.insert(0, recorder)
    try:
        SandboxedWorkflowRunner().prepare_workflow(workflow._Definition.must_from_class(cls))
    finally:
        sys.meta_path.remove(recorder)
    loaded = {name for name in recorder.names if name.split(".")[0] in OWN_PACKAGES}
    assert loaded == {"workflows", cls.__module__}
