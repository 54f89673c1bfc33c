from temporalio import activity

from activities.base import ActivityGroup
from models import Person
from rules.profiles import get_profile
from services import audit
from workflows.contracts import OnboardingInput, PersonStatusInput


class PeopleActivities(ActivityGroup):
    @activity.defn(name="profiles.onboarding_envelope")
    async def onboarding_envelope(self, inp: OnboardingInput) -> str:
        """The rule bounding onboarding steps that have no deadline of their own ("" if none)."""
        return get_profile(inp.profile, inp.profile_version).onboarding_envelope or ""

    @activity.defn(name="people.set_status")
    async def set_status(self, inp: PersonStatusInput) -> None:
        async with self.db.session() as session:
            person = await session.get(Person, inp.person_id)
            if person.status != inp.status:
                await audit.record(actor="system", action="person.status", subject=f"person:{person.id}",
                                   old=person.status, new=inp.status, session=session)
                person.status = inp.status
