from temporalio import activity

from activities.base import ActivityGroup
from rules.profiles import get_profile
from services import people
from workflows.contracts import OnboardingInput, PersonStatusInput


class PeopleActivities(ActivityGroup):
    @activity.defn(name="profiles.onboarding_envelope")
    async def onboarding_envelope(self, inp: OnboardingInput) -> str:
        """The rule bounding onboarding steps that have no deadline of their own ("" if none)."""
        return get_profile(inp.profile, inp.profile_version).onboarding_envelope or ""

    @activity.defn(name="people.set_status")
    async def set_status(self, inp: PersonStatusInput) -> None:
        async with self.db.session() as session:
            await people.set_status(inp.person_id, inp.status, session=session)
