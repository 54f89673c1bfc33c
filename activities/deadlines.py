from temporalio import activity

from activities.base import ActivityGroup
from services import deadlines
from workflows.contracts import Schedule, ScheduleInput


class DeadlineActivities(ActivityGroup):
    @activity.defn(name="deadlines.schedule")
    async def schedule(self, inp: ScheduleInput) -> Schedule:
        async with self.db.session() as session:
            calendar = await deadlines.working_calendar(session=session)
        return deadlines.schedule(inp, calendar)
