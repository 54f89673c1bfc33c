"""Who acts for a unit role, on the demo tree: the unit's own holders, else the nearest ancestor's; the higher
authority's HR for superior_hr, else Sở Nội vụ."""
from services.actors import actor_user_ids


async def test_a_unit_role_goes_to_the_nearest_unit_that_holds_it(db, org):
    async with db.session() as session:
        own = await actor_user_ids("unit_hr", org.units["SYT"], None, session=session)
        phong = await actor_user_ids("unit_hr", org.units["SYT-VP"], None, session=session)  # no HR of its own
        head = await actor_user_ids("unit_head", org.units["SYT-VP"], None, session=session)
    assert own == {org.users["hr.syt"]: "Được giao tại đơn vị"}
    assert phong == {org.users["hr.syt"]: "Được giao tại đơn vị cấp trên"}
    assert head == {org.users["head.syt"]: "Được giao tại đơn vị cấp trên"}


async def test_superior_hr_is_the_hr_above_the_unit_else_so_noi_vu(db, org):
    async with db.session() as session:
        above = await actor_user_ids("superior_hr", org.units["SYT-BV"], None, session=session)
        root = await actor_user_ids("superior_hr", org.units["QNG"], None, session=session)
    assert above == {org.users["hr.syt"]: "Cán bộ tổ chức của cơ quan cấp trên quản lý"}
    assert root == {org.users["sonoivu"]: "Sở Nội vụ (đơn vị không có cơ quan cấp trên quản lý)"}
