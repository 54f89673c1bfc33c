"""The search, folded and matched in PostgreSQL (services/people.search): names with or without diacritics and in
part, citizen IDs, units and grades of the approved version, within the searcher's scope, by status."""
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from models import Person, ProfileRevision
from services import people
from tests.helpers import CV_VALID, viewer

# (name, citizen ID, unit code, status, grade code, grade name)
PEOPLE = [
    ("Nguyễn Văn An", "051095001234", "SYT", "active", "01.003", "Chuyên viên"),
    ("Đặng Thị Ánh", "051195004321", "SYT-BV", "active", "01.002", "Chuyên viên chính"),
    ("Lê Thị Hồng", "051190007777", "SGD", "active", "01.004", "Cán sự"),
    ("Trần Văn Cũ", "051060002222", "SYT", "archived", "01.003", "Chuyên viên"),
    ("Phạm Văn Bình", "051088003333", "SYT-DS", "onboarding", None, None),
    ("Bùi Văn Lâm", "051080005555", "SYT-VP", "active", "01.005", "Nhân viên"),  # Văn pHÒNG Sở Y tế
]


async def seed(db, org) -> dict[str, int]:
    """The people above, each with an approved first version holding their grade (none while onboarding)."""
    ids = {}
    async with db.session() as session:
        for name, citizen_id, unit, status, grade_code, grade_name in PEOPLE:
            person = Person(full_name=name, search_name="", sex="nam", date_of_birth=date(1990, 1, 1),
                            citizen_id=citizen_id, unit_id=org.units[unit], kind="cong_chuc", hired_on=date(2020, 1, 2),
                            status=status, profile="quang-ngai", profile_version="2025-1",
                            left_on=date(2026, 1, 31) if status == "archived" else None,
                            leave_reason="retirement" if status == "archived" else None)
            session.add(person)
            await session.flush()
            if grade_code:
                revision = ProfileRevision(person_id=person.id, number=1, status="approved",
                                           data={**CV_VALID, "full_name": name, "grade_code": grade_code,
                                                 "grade_name": grade_name},
                                           approved_at=datetime(2026, 1, 5, tzinfo=UTC))
                session.add(revision)
                await session.flush()
                person.current_revision_id = revision.id
            ids[name] = person.id
    return ids


async def found(db, username: str, q: str, status: str = "active") -> set[str]:
    me = await viewer(db, username)
    async with db.session() as session:
        return {p.full_name for p in await people.search(me, q, status, session=session)}


@pytest.mark.parametrize("q", ["nguyen van an", "Nguyễn Văn An", "NGUYEN VAN AN", "van an", "Văn An", "guyễn v",
                               "  nguyen   van  an "])
async def test_names_with_or_without_diacritics_and_in_part(db, org, q):
    await seed(db, org)
    assert await found(db, "sonoivu", q) == {"Nguyễn Văn An"}


async def test_đ_folds_to_d_both_ways(db, org):
    await seed(db, org)
    assert await found(db, "sonoivu", "dang thi anh") == {"Đặng Thị Ánh"}
    assert await found(db, "sonoivu", "Đặng") == {"Đặng Thị Ánh"}
    assert await found(db, "sonoivu", "le thi hong") == {"Lê Thị Hồng"}
    assert await found(db, "sonoivu", "van hong") == set()  # a part must be contiguous: no scatter of words


async def test_name_matches_come_first_closest_first(db, org):
    await seed(db, org)
    me = await viewer(db, "sonoivu")
    async with db.session() as session:
        # «Lê Thị Hồng» by name before «Bùi Văn Lâm» by his unit (Văn phòng Sở Y tế), though B sorts first
        assert [p.full_name for p in await people.search(me, "hong", "all", session=session)] == \
            ["Lê Thị Hồng", "Bùi Văn Lâm"]
        # the closest name first: «an» is all of the last word of «Nguyễn Văn An», part of «Ánh» and «Lâm»
        assert [p.full_name for p in await people.search(me, "an", "all", session=session)][0] == "Nguyễn Văn An"


async def test_citizen_id_exact_and_prefix(db, org):
    await seed(db, org)
    assert await found(db, "sonoivu", "051095001234") == {"Nguyễn Văn An"}
    assert await found(db, "sonoivu", "0511") == {"Đặng Thị Ánh", "Lê Thị Hồng"}
    assert await found(db, "sonoivu", "05109") == {"Nguyễn Văn An"}  # below «05110»: the carry of the range
    assert await found(db, "sonoivu", "999") == set()  # nines: no upper bound
    assert await found(db, "sonoivu", "095001") == set()  # a middle part is no prefix
    assert await found(db, "sonoivu", "051095001235") == set()


async def test_unit_by_name_or_code(db, org):
    await seed(db, org)
    assert await found(db, "sonoivu", "benh vien da khoa") == {"Đặng Thị Ánh"}
    assert await found(db, "sonoivu", "Bệnh viện") == {"Đặng Thị Ánh"}
    assert await found(db, "sonoivu", "syt-bv") == {"Đặng Thị Ánh"}
    assert await found(db, "sonoivu", "giao duc") == {"Lê Thị Hồng"}
    assert await found(db, "sonoivu", "chi cuc dan so") == {"Phạm Văn Bình"}


async def test_grade_of_the_approved_version_only(db, org):
    ids = await seed(db, org)
    assert await found(db, "sonoivu", "chuyen vien chinh") == {"Đặng Thị Ánh"}
    assert await found(db, "sonoivu", "01.002") == {"Đặng Thị Ánh"}
    assert await found(db, "sonoivu", "Cán sự") == {"Lê Thị Hồng"}
    assert await found(db, "sonoivu", "chuyen vien") == {"Nguyễn Văn An", "Đặng Thị Ánh"}  # «Cũ» is archived
    async with db.session() as session:  # a newer draft is not the record yet
        session.add(ProfileRevision(person_id=ids["Lê Thị Hồng"], number=2, status="draft",
                                    data={**CV_VALID, "grade_code": "01.001", "grade_name": "Chuyên viên cao cấp"}))
    assert await found(db, "sonoivu", "cao cap") == set()


async def test_scope_an_hr_finds_nothing_outside_their_units(db, org):
    await seed(db, org)
    assert await found(db, "hr.sgd", "nguyen van an") == set()
    assert await found(db, "hr.sgd", "051095") == set()
    assert await found(db, "hr.sgd", "so y te") == set()
    assert await found(db, "hr.sgd", "chuyen vien", "all") == set()
    assert await found(db, "hr.sgd", "", "all") == {"Lê Thị Hồng"}
    assert await found(db, "hr.syt-bv", "thi", "all") == {"Đặng Thị Ánh"}  # not Lê Thị Hồng of Sở GD&ĐT
    assert await found(db, "hr.syt", "", "all") == {"Nguyễn Văn An", "Đặng Thị Ánh", "Trần Văn Cũ", "Phạm Văn Bình",
                                                   "Bùi Văn Lâm"}
    assert await found(db, "thanhtra", "thi") == {"Đặng Thị Ánh", "Lê Thị Hồng"}


async def test_status_filter_finds_the_archive_for_those_entitled(db, org):
    await seed(db, org)
    assert await found(db, "hr.syt", "tran van cu") == set()
    assert await found(db, "hr.syt", "tran van cu", "archived") == {"Trần Văn Cũ"}
    assert await found(db, "hr.syt", "tran van cu", "all") == {"Trần Văn Cũ"}
    assert await found(db, "hr.syt", "", "archived") == {"Trần Văn Cũ"}
    assert await found(db, "hr.syt", "pham van binh") == {"Phạm Văn Bình"}  # onboarding counts as active
    assert await found(db, "hr.syt", "pham van binh", "archived") == set()
    assert await found(db, "hr.sgd", "tran van cu", "archived") == set()
    assert await found(db, "thanhtra", "051060002222", "archived") == {"Trần Văn Cũ"}


@pytest.mark.parametrize("q", ["%", "_", "\\", "%%%", "_n"])
async def test_like_wildcards_are_plain_characters(db, org, q):
    await seed(db, org)
    assert await found(db, "sonoivu", q, "all") == set()


async def test_the_trigram_indexes_serve_the_search(db, org):
    """On a few thousand rows the planner takes the GIN trigram indexes of migration 0006 for names and grades (the
    dozen units are read whole) and the citizen ID's btree for its first digits."""
    await seed(db, org)
    async with db.session() as session:
        await session.execute(text("""
            INSERT INTO people (full_name, search_name, sex, date_of_birth, citizen_id, unit_id, kind, hired_on,
                                status, profile, profile_version, created_at)
            SELECT 'Người Thử ' || n || ' ' || md5(n::text), '', 'nam', date '1990-01-01',
                   lpad((100000000000 + n)::text, 12, '0'), :unit, 'cong_chuc', date '2020-01-02', 'active',
                   'quang-ngai', '2025-1', now()
            FROM generate_series(1, 5000) AS n"""), {"unit": org.units["SGD-LK"]})
        await session.execute(text("""
            INSERT INTO profile_revisions (person_id, number, status, data, kind, created_at, updated_at)
            SELECT id, 1, 'approved', jsonb_build_object('grade_code', '01.00' || (id % 5),
                   'grade_name', 'Ngạch ' || md5(id::text)), 'onboarding', now(), now()
            FROM people WHERE full_name LIKE 'Người Thử %'"""))
        await session.execute(text("UPDATE people p SET current_revision_id = r.id FROM profile_revisions r "
                                   "WHERE r.person_id = p.id AND p.current_revision_id IS NULL"))
        for table in ("people", "profile_revisions", "units"):
            await session.execute(text(f"ANALYZE {table}"))
    me = await viewer(db, "sonoivu")
    async with db.session() as session:
        plans = {}
        for q in ("nguyen van an", "051095"):
            statement = people.search_statement(me, q, "all")
            compiled = str(statement.compile(dialect=session.bind.dialect, compile_kwargs={"literal_binds": True}))
            connection = await session.connection()  # the driver's text, its %% read as % (pyformat)
            rows = await connection.exec_driver_sql("EXPLAIN " + compiled)
            plans[q] = "\n".join(r[0] for r in rows)
        assert {p.full_name for p in await people.search(me, "nguyen van an", "all", session=session)} == \
            {"Nguyễn Văn An"}
    for index in ("ix_people_name_trgm", "ix_revisions_grade_trgm"):
        assert index in plans["nguyen van an"], plans["nguyen van an"]
    # a citizen ID's first digits: a range of the unique btree index (trigrams of repeating digits serve it worse)
    assert "Index Scan using ix_people_citizen_id on people" in plans["051095"], plans["051095"]
