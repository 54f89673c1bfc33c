"""A workflow that schedules one activity: each of its payloads is encoded under its own serialization context
(the workflow's input and result under the workflow's, the activity's input and result under the activity's).
Kept apart from its test, because the workflow sandbox re-imports this module."""
from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="context_test.echo")
async def echo(text: str) -> str:
    return text


@workflow.defn(name="ContextTest")
class ContextWorkflow:
    @workflow.run
    async def run(self, text: str) -> str:
        return await workflow.execute_activity(echo, text, start_to_close_timeout=timedelta(seconds=10))
