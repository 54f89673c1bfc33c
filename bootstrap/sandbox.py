"""The workflow sandbox, without two per-call costs of temporalio's glue around it.

temporalio's sandboxed instance runs every call into the sandbox as `exec` of a short source string, which Python
compiles again at every call. Besides each activation, that includes two lookups the SDK makes for every payload it
encodes or decodes (about 7 per payload, 140 per onboarding): the payload's serialization context and its external
store context. Each such call also applies the sandbox's import overrides around it. Under the onboarding bench these
costs were about 8 % of the worker process's Python time (bench/README.md).

This runner keeps the sandbox and what runs in it as they are: the workflow's own code, each activation and the
workflow's creation still run in the sandbox, through the same `exec`, now of code objects compiled once. Only the
two lookups are called on the sandboxed instance directly: they are the SDK's own reads of the instance's pending
commands and info, they run no workflow code, and they import nothing. `tests/workflows/test_sandbox_runner.py`
checks that they answer as the SDK's own path does, and that the private parts used here are still there.
"""
import functools
from dataclasses import dataclass
from types import CodeType
from typing import Any

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox._runner import _Instance

IN_SANDBOX = "__temporal_in_sandbox"  # where the SDK keeps the sandboxed instance in the sandbox's globals


@functools.lru_cache(maxsize=256)  # a handful of distinct strings per workflow class
def compiled(code: str) -> CodeType:
    return compile(code, "<string>", "exec")


class CompiledOnceInstance(_Instance):
    def _run_code(self, code: str, **extra_globals: Any) -> None:
        super()._run_code(compiled(code), **extra_globals)  # type: ignore[arg-type]  # exec takes a code object

    def get_serialization_context(self, command_info):
        return self.globals_and_locals[IN_SANDBOX].get_serialization_context(command_info)

    def get_external_store_context(self, command_info):
        return self.globals_and_locals[IN_SANDBOX].get_external_store_context(command_info)


@dataclass(frozen=True)
class CompiledOnceSandboxRunner(SandboxedWorkflowRunner):
    def create_instance(self, det) -> _Instance:
        return CompiledOnceInstance(det, self.runner_class, self.restrictions)
