"""bootstrap/sandbox.py's runner gives the payload codec the same serialization contexts as the SDK's own sandbox,
and still runs workflows in the sandbox."""
import dataclasses
import uuid
from collections.abc import Sequence

import temporalio.converter
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox._runner import _Instance

from bootstrap import sandbox
from bootstrap.worker import workflow_classes
from tests.workflows.context_workflow import ContextWorkflow, echo


class RecordingCodec(temporalio.converter.PayloadCodec, temporalio.converter.WithSerializationContext):
    """Passes payloads through and records, for each, the context it was encoded or decoded under."""

    def __init__(self, seen: list, context=None):
        self.seen, self.context = seen, context

    def with_context(self, context) -> "RecordingCodec":
        return RecordingCodec(self.seen, context)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.seen += [("encode", _described(self.context))] * len(payloads)
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.seen += [("decode", _described(self.context))] * len(payloads)
        return list(payloads)


def _described(context) -> tuple | None:
    """The context without the run's own names (workflow id, task queue), which differ between two runs."""
    if context is None:
        return None
    fields = dataclasses.asdict(context)
    fields.pop("workflow_id", None)
    fields.pop("activity_task_queue", None)
    fields.pop("activity_id", None)
    return type(context).__name__, tuple(sorted(fields.items()))


async def _contexts_seen(env, runner) -> list:
    seen: list = []
    client = Client(**{**env.client.config(), "data_converter": dataclasses.replace(
        temporalio.converter.DataConverter.default, payload_codec=RecordingCodec(seen))})
    queue = f"test-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[ContextWorkflow], activities=[echo],
                      workflow_runner=runner):
        result = await client.execute_workflow(ContextWorkflow.run, "xin chào", id=f"ctx-{queue}", task_queue=queue)
    assert result == "xin chào"
    return seen


async def test_payloads_get_the_contexts_the_sdk_gives_them(dev_env):
    ours = await _contexts_seen(dev_env, sandbox.CompiledOnceSandboxRunner())
    sdk = await _contexts_seen(dev_env, SandboxedWorkflowRunner())
    assert ours == sdk
    kinds = {context[0] for _, context in ours if context is not None}
    assert kinds == {"WorkflowSerializationContext", "ActivitySerializationContext"}


class CapturingRunner(sandbox.CompiledOnceSandboxRunner):
    def create_instance(self, det):
        instance = super().create_instance(det)
        self.instances.append(instance)
        return instance


async def test_the_sdk_still_has_what_the_runner_overrides():
    for name in ("_run_code", "get_serialization_context", "get_external_store_context"):
        assert callable(getattr(_Instance, name))
    runner = CapturingRunner()
    object.__setattr__(runner, "instances", [])
    for cls in workflow_classes():  # validation creates an instance, with the SDK's placeholder info
        runner.prepare_workflow(workflow._Definition.must_from_class(cls))
    assert len(runner.instances) == len(workflow_classes())
    for instance in runner.instances:
        assert sandbox.IN_SANDBOX in instance.globals_and_locals
        assert instance.get_serialization_context(None) == temporalio.converter.WorkflowSerializationContext(
            namespace="sandbox-validate-namespace", workflow_id="sandbox-validate-workflow_id")
        assert instance.get_external_store_context(None).target.id == "sandbox-validate-workflow_id"
