from temporalio import activity

from activities.base import ActivityGroup
from services import exports
from workflows.contracts import ExportInput


class ExportActivities(ActivityGroup):
    @activity.defn(name="exports.produce")
    async def produce(self, inp: ExportInput) -> None:
        """Sign an approved revision's CV with the approval signer's key and the agency's seal,
        outside any transaction, then store it; a retry after success does nothing."""
        async with self.db.session() as session:
            to_sign = await exports.export_to_sign(self.settings, inp.revision_id, inp.signer_id,
                                                   inp.signed_as, session=session)
        if to_sign is None:
            return
        pdf = await to_sign.sign()
        async with self.db.session() as session:
            await exports.store(to_sign, pdf, session=session)
