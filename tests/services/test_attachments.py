"""Scanned documents: listed without their contents, carried over to a corrected revision in the database."""
import pytest
from sqlalchemy import select
from sqlalchemy.exc import InvalidRequestError

from models import ProfileRevision
from services import documents, people
from tests.helpers import CV_VALID, make_revisions, viewer
from tests.workflows.test_profile_update import PNG


async def test_a_returned_revisions_scans_go_with_its_correction_and_only_a_download_reads_them(db, org):
    [(person, returned)] = await make_revisions(db, org.units["SYT"], 1, status="returned")
    hr = await viewer(db, "hr.syt")
    async with db.session() as session:
        scan = await documents.attach(hr, returned.id, "quyet-dinh.png", PNG, max_bytes=1024 * 1024, session=session)
    async with db.session() as session:
        corrected = await people.save_draft(hr, person.id, {**CV_VALID, "phone": "0905111222"}, session=session)
    assert corrected.id != returned.id
    async with db.session() as session:
        [kept] = await documents.of_revision(corrected.id, session=session)
        assert (kept.filename, kept.sha256, kept.size) == (scan.filename, scan.sha256, len(PNG)) and kept.id != scan.id
        with pytest.raises(InvalidRequestError):  # a listing leaves the bytes in the database
            kept.content
        downloaded = await documents.of_revision_by_id(corrected.id, kept.id, session=session)
        assert downloaded.content == PNG
        assert [a.id for a in (await documents.of_revision(returned.id, session=session))] == [scan.id]
        statuses = (await session.execute(select(ProfileRevision.status).where(
            ProfileRevision.person_id == person.id).order_by(ProfileRevision.number))).scalars().all()
    assert statuses == ["returned", "draft"]
