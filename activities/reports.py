"""Periodic reports: the round's plan (one report row per reporting unit, with its due date)."""
from temporalio import activity

from activities.base import ActivityGroup, refuse
from services import deadlines, reports
from services.errors import DomainError
from workflows.contracts import ReportRoundPlan, ReportRoundPlanInput


class ReportActivities(ActivityGroup):
    @activity.defn(name="reports.plan_round")
    async def plan_round(self, inp: ReportRoundPlanInput) -> ReportRoundPlan:
        try:
            async with self.db.session() as session:
                calendar = await deadlines.working_calendar(session=session)
                return await reports.plan_round(inp, calendar, session=session)
        except DomainError as err:  # an unknown duty or period: never retried
            raise refuse(err) from err
