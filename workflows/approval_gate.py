"""A revision's wait for the monthly approval: queue it, then hear the head's decision."""
from dataclasses import dataclass, field

from temporalio import workflow

from workflows import calls
from workflows.contracts import ApprovalDecision, EnqueueInput
from workflows.human_task import HumanTaskWorkflow, activity


@dataclass
class ApprovalGate:
    decisions: dict[int, ApprovalDecision] = field(default_factory=dict)

    async def submit(self, revision_id: int) -> ApprovalDecision:
        await activity(calls.enqueue, EnqueueInput(revision_id, workflow.info().workflow_id))
        await workflow.wait_condition(lambda: revision_id in self.decisions)
        return self.decisions[revision_id]

    def decided(self, decision: ApprovalDecision) -> None:
        self.decisions[decision.revision_id] = decision


class AwaitsApproval(HumanTaskWorkflow):
    """A workflow whose revision waits for the month's approval; subclasses set self.gate."""

    gate: ApprovalGate

    @workflow.signal(name="approval_decided")
    def approval_decided(self, decision: ApprovalDecision) -> None:
        self.gate.decided(decision)
