"""Administration by Sở Nội vụ (issue 8, item 2): units and officials' accounts over the API, per role, on the
real app, worker and PostgreSQL."""
import asyncio
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from models import AuditEvent, RoleGrant, Unit, User
from services import admin
from services.errors import Conflict
from tests.conftest import PASSWORD

NEW_PASSWORD = "mat-khau-moi-rat-dai"
UNITS_CSV = ("code,name,parent_code,kind\n"
             "SYT-KN,Trung tâm Kiểm nghiệm,SYT-CC,dvsn\n"  # its parent comes later in the file
             "SYT-CC,Chi cục An toàn thực phẩm,SYT,chi_cuc\n"
             "SYT,Sở Y tế,QNG,so\n")


async def create(client, **body):
    return await client.post("/api/admin/users", json={"full_name": "Trần Thị Hoa", "roles": ["unit_hr"], **body})


async def activate(api, username: str, code: str, password: str = NEW_PASSWORD):
    person = await api()
    response = await person.post("/api/auth/activate", json={"username": username, "code": code,
                                                              "password": password})
    assert response.status_code == 200, response.text
    return person


async def audit_actions(db, actor: str = "sonoivu") -> list[str]:
    async with db.session() as session:
        return list((await session.execute(select(AuditEvent.action).where(AuditEvent.actor == actor)
                                           .order_by(AuditEvent.id))).scalars())


async def test_an_official_gets_a_one_time_code_activates_and_sees_their_unit(api, org, db):
    boss = await api("sonoivu")
    created = await create(boss, username="hoa.tranthi", unit_id=org.units["SYT"], email="hoa@example.vn")
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"id", "username", "activation_code"} and body["username"] == "hoa.tranthi"
    async with db.session() as session:
        user = await session.get(User, body["id"])
        assert user.password_hash is None and user.activation_hash and body["activation_code"] not in user.activation_hash
        grants = (await session.execute(select(RoleGrant).where(RoleGrant.user_id == user.id))).scalars().all()
        assert [(g.role, g.unit_id) for g in grants] == [("unit_hr", org.units["SYT"])]

    again = await create(boss, username="hoa.tranthi", unit_id=org.units["SGD"])
    assert again.status_code == 409 and again.json()["code"] == "username_taken"
    assert "hoa.tranthi" in again.json()["detail"]

    official = await activate(api, "hoa.tranthi", body["activation_code"])
    me = (await official.get("/api/me")).json()
    assert me["roles"] == ["unit_hr"] and me["unit_id"] == org.units["SYT"]
    assert {u["code"] for u in (await official.get("/api/units")).json()} == {"SYT", "SYT-DS", "SYT-BV", "SYT-VP", "SYT-NVY"}
    reused = await (await api()).post("/api/auth/activate", json={"username": "hoa.tranthi",
                                                                   "code": body["activation_code"],
                                                                   "password": "lan-thu-hai-khac"})
    assert reused.status_code == 422 and reused.json()["code"] == "bad_activation"

    listed = {a["username"]: a for a in (await boss.get("/api/admin/accounts")).json()}
    assert listed["hoa.tranthi"] == {"id": body["id"], "username": "hoa.tranthi", "full_name": "Trần Thị Hoa",
                                     "email": "hoa@example.vn", "unit_id": org.units["SYT"], "is_active": True,
                                     "activated": True, "grants": [{"role": "unit_hr", "unit_id": org.units["SYT"]}]}
    assert "account.created" in await audit_actions(db)


async def test_roles_are_granted_per_unit(api, org):
    boss = await api("sonoivu")
    cases = [
        ({"username": "khong.donvi", "roles": ["unit_hr"]}, "unit_required"),
        ({"username": "sai.vaitro", "roles": ["superuser"], "unit_id": org.units["SYT"]}, "unknown_role"),
        ({"username": "khong.vaitro", "roles": [], "unit_id": org.units["SYT"]}, "missing_roles"),
        ({"username": "X", "unit_id": org.units["SYT"]}, "bad_username"),
        ({"username": "don.vi.ma", "unit_id": 999999}, "unknown_unit"),
    ]
    for body, code in cases:
        refused = await create(boss, **body)
        assert refused.status_code == 422 and refused.json()["code"] == code, (body, refused.text)

    director = await create(boss, username="pho.giamdoc", roles=["sonoivu_director"], unit_id=org.units["SNV"])
    user_id = director.json()["id"]
    account = (await boss.get(f"/api/admin/users/{user_id}")).json()
    assert account["grants"] == [{"role": "sonoivu_director", "unit_id": None}]  # a province role has no unit
    assert account["unit_id"] == org.units["SNV"] and account["activated"] is False

    granted = await boss.post(f"/api/admin/users/{user_id}/roles", json={"role": "unit_head", "unit_id": org.units["SGD"]})
    assert granted.status_code == 201, granted.text
    assert {"role": "unit_head", "unit_id": org.units["SGD"]} in granted.json()["grants"]
    twice = await boss.post(f"/api/admin/users/{user_id}/roles", json={"role": "unit_head", "unit_id": org.units["SGD"]})
    assert twice.status_code == 409 and twice.json()["code"] == "role_held"
    no_unit = await boss.post(f"/api/admin/users/{user_id}/roles", json={"role": "unit_hr"})
    assert no_unit.status_code == 422 and no_unit.json()["code"] == "unit_required"

    revoked = await boss.delete(f"/api/admin/users/{user_id}/roles",
                                params={"role": "unit_head", "unit_id": org.units["SGD"]})
    assert revoked.status_code == 200 and revoked.json()["grants"] == [{"role": "sonoivu_director", "unit_id": None}]
    missing = await boss.delete(f"/api/admin/users/{user_id}/roles",
                                params={"role": "unit_head", "unit_id": org.units["SGD"]})
    assert missing.status_code == 404 and missing.json()["code"] == "role_not_held"


@pytest.mark.parametrize("login", ["hr.syt", "head.syt", "thanhtra"])
async def test_only_the_sonoivu_admin_administers(api, org, login):
    client = await api(login)
    unit, user = org.units["SYT"], org.users["hr.syt"]
    writes = [
        client.post("/api/admin/users", json={"username": "ai.do", "full_name": "Ai Đó", "roles": ["unit_hr"],
                                              "unit_id": unit}),
        client.post(f"/api/admin/users/{user}/deactivate"),
        client.post(f"/api/admin/users/{user}/activate"),
        client.post(f"/api/admin/users/{user}/reset"),
        client.post(f"/api/admin/users/{user}/roles", json={"role": "unit_head", "unit_id": unit}),
        client.delete(f"/api/admin/users/{user}/roles", params={"role": "unit_hr", "unit_id": unit}),
        client.post("/api/admin/units", json={"code": "MOI", "name": "Đơn vị mới", "kind": "so"}),
        client.patch(f"/api/admin/units/{unit}", json={"name": "Tên khác"}),
        client.post("/api/admin/units/import", files={"file": ("don-vi.csv", UNITS_CSV.encode(), "text/csv")}),
    ]
    for response in await asyncio.gather(*writes):
        assert response.status_code == 403, (response.request.method, response.request.url, response.text)
        assert response.json()["code"] in ({"read_only"} if login == "thanhtra" else {"forbidden"})
    reads = await asyncio.gather(client.get("/api/admin/units"), client.get("/api/admin/accounts"),
                                 client.get(f"/api/admin/users/{user}"))
    assert [r.status_code for r in reads] == ([200] * 3 if login == "thanhtra" else [403] * 3)


async def test_deactivation_stops_login_and_open_sessions(api, org, db):
    boss = await api("sonoivu")
    hr = await api("hr.syt")
    user_id = org.users["hr.syt"]
    done = await boss.post(f"/api/admin/users/{user_id}/deactivate")
    assert done.status_code == 200 and done.json()["is_active"] is False
    assert (await hr.get("/api/me")).status_code == 401
    refused = await (await api()).post("/api/auth/login", json={"username": "hr.syt", "password": PASSWORD})
    assert refused.status_code == 401 and refused.json()["code"] == "bad_credentials"

    back = await boss.post(f"/api/admin/users/{user_id}/activate")
    assert back.status_code == 200 and back.json()["is_active"] is True
    await api("hr.syt")  # logs in again

    myself = await boss.post(f"/api/admin/users/{org.users['sonoivu']}/deactivate")
    assert myself.status_code == 409 and myself.json()["code"] == "own_account"
    other = await create(boss, username="quantri.hai", roles=["sonoivu_admin"])
    second = await activate(api, "quantri.hai", other.json()["activation_code"])
    assert (await second.post(f"/api/admin/users/{org.users['sonoivu']}/deactivate")).status_code == 200
    last = await second.delete(f"/api/admin/users/{other.json()['id']}/roles", params={"role": "sonoivu_admin"})
    assert last.status_code == 409 and last.json()["code"] == "last_admin"
    actions = await audit_actions(db)
    assert "account.deactivated" in actions and "account.activated_by_admin" in actions


async def test_reset_invalidates_the_old_password(api, org, db):
    boss = await api("sonoivu")
    reset = await boss.post(f"/api/admin/users/{org.users['head.syt']}/reset")
    assert reset.status_code == 200, reset.text
    code = reset.json()["activation_code"]
    assert reset.json()["username"] == "head.syt"
    old = await (await api()).post("/api/auth/login", json={"username": "head.syt", "password": PASSWORD})
    assert old.status_code == 401
    await activate(api, "head.syt", code)
    await api("head.syt", NEW_PASSWORD)
    async with db.session() as session:
        event = (await session.execute(select(AuditEvent).where(AuditEvent.action == "account.reset"))).scalar_one()
        assert event.actor == "sonoivu" and event.subject == f"user:{org.users['head.syt']}"
        assert code not in str(event.detail)


async def test_units_create_rename_validity_successor(api, org, db):
    boss = await api("sonoivu")
    created = await boss.post("/api/admin/units", json={"code": "SXD", "name": "Sở  Xây dựng", "kind": "so",
                                                        "parent_id": org.units["QNG"], "valid_from": "2025-07-01"})
    assert created.status_code == 201, created.text
    unit = created.json()
    assert unit["name"] == "Sở Xây dựng" and unit["valid_to"] is None and unit["parent_id"] == org.units["QNG"]
    duplicate = await boss.post("/api/admin/units", json={"code": "SXD", "name": "Khác", "kind": "so"})
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "unit_code_taken"
    bad_kind = await boss.post("/api/admin/units", json={"code": "HUYEN", "name": "Huyện", "kind": "huyen"})
    assert bad_kind.status_code == 422 and bad_kind.json()["code"] == "unknown_kind"

    url = f"/api/admin/units/{unit['id']}"
    renamed = await boss.patch(url, json={"name": "Sở Xây dựng tỉnh Quảng Ngãi"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Sở Xây dựng tỉnh Quảng Ngãi"
    assert renamed.json()["valid_from"] == "2025-07-01"  # fields not sent stay
    backwards = await boss.patch(url, json={"valid_to": "2025-06-30"})
    assert backwards.status_code == 422 and backwards.json()["code"] == "bad_validity"
    merged = await boss.patch(url, json={"valid_to": "2026-12-31", "successor_id": org.units["STC"]})
    assert merged.status_code == 200 and merged.json()["successor_id"] == org.units["STC"]
    assert merged.json()["valid_to"] == "2026-12-31"
    itself = await boss.patch(url, json={"successor_id": unit["id"]})
    assert itself.status_code == 422 and itself.json()["code"] == "bad_successor"
    loop = await boss.patch(f"/api/admin/units/{org.units['STC']}", json={"successor_id": unit["id"]})
    assert loop.status_code == 422 and loop.json()["code"] == "successor_cycle"
    cleared = await boss.patch(url, json={"successor_id": None, "valid_to": None})
    assert cleared.json()["successor_id"] is None and cleared.json()["valid_to"] is None
    # NUL, an unpaired surrogate, a control character: a 422 (from the service or a check before it), never a 500
    refusals = {"bad_characters", "invalid_request", "unstorable_text"}
    for raw in ('{"name": "S\\u1edf\\u0000"}', '{"name": "\\ud800"}'):
        odd = await boss.patch(url, content=raw, headers={"Content-Type": "application/json"})
        assert odd.status_code == 422 and odd.json()["code"] in refusals, odd.text
    odd = await boss.post("/api/admin/users", content='{"username": "la.ky", "full_name": "A\\u0007", '
                          '"roles": ["auditor"]}', headers={"Content-Type": "application/json"})
    assert odd.status_code == 422 and odd.json()["code"] in refusals, odd.text
    not_patchable = await boss.patch(url, json={"code": "KHAC"})
    assert not_patchable.status_code == 422
    assert (await boss.patch("/api/admin/units/999999", json={"name": "X"})).status_code == 404
    assert (await boss.patch("/api/admin/units/99999999999", json={"name": "X"})).status_code == 422
    assert (await boss.post("/api/admin/users/99999999999/reset")).status_code == 422

    listed = {u["code"]: u for u in (await boss.get("/api/admin/units")).json()}
    assert listed["SXD"]["name"] == "Sở Xây dựng tỉnh Quảng Ngãi" and len(listed) == len(org.units) + 1
    actions = await audit_actions(db)
    assert {"unit.created", "unit.renamed", "unit.validity", "unit.successor"} <= set(actions)


def xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def unit_names(db) -> dict[str, str]:
    async with db.session() as session:
        return dict((await session.execute(select(Unit.code, Unit.name))).all())


async def test_the_unit_import_is_idempotent_and_all_or_nothing(api, org, db):
    boss = await api("sonoivu")

    async def send(name: str, content: bytes):
        return await boss.post("/api/admin/units/import", files={"file": (name, content, "application/octet-stream")})

    first = await send("don-vi.csv", UNITS_CSV.encode())
    assert first.status_code == 200, first.text
    assert first.json()["summary"] == {"created": 2, "renamed": 0, "updated": 0, "unchanged": 1}
    assert first.json()["rows"][0] == {"row": 2, "code": "SYT-KN", "status": "created"}
    names = await unit_names(db)
    async with db.session() as session:
        kn = (await session.execute(select(Unit).where(Unit.code == "SYT-KN"))).scalar_one()
        cc = (await session.execute(select(Unit).where(Unit.code == "SYT-CC"))).scalar_one()
        assert kn.parent_id == cc.id and cc.parent_id == org.units["SYT"]
        events = (await session.execute(select(func.count(AuditEvent.id)))).scalar_one()

    again = await send("don-vi.csv", UNITS_CSV.encode())
    assert again.json()["summary"] == {"created": 0, "renamed": 0, "updated": 0, "unchanged": 3}
    assert await unit_names(db) == names
    async with db.session() as session:
        assert (await session.execute(select(func.count(AuditEvent.id)))).scalar_one() == events

    renamed = await send("don-vi.xlsx", xlsx([["code", "name", "parent_code", "kind"],
                                              ["SYT-KN", "Trung tâm Kiểm nghiệm thuốc, mỹ phẩm", "SYT-CC", "dvsn"],
                                              ["SYT-CC", "Chi cục An toàn thực phẩm", "SYT", "chi_cuc"]]))
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["summary"] == {"created": 0, "renamed": 1, "updated": 0, "unchanged": 1}
    assert (await unit_names(db))["SYT-KN"] == "Trung tâm Kiểm nghiệm thuốc, mỹ phẩm"

    before = await unit_names(db)
    bad = await send("loi.xlsx", xlsx([["code", "name", "parent_code", "kind"],
                                       ["MOI", "Đơn vị mới", "QNG", "so"],
                                       ["A", "Đơn vị A", "KHONG-CO", "so"],
                                       [None, "Không có mã", "QNG", "so"],
                                       ["MOI", "Trùng mã", "QNG", "so"],
                                       ["V1", "Vòng 1", "V2", "phong"],
                                       ["V2", "Vòng 2", "V1", "phong"]]))
    assert bad.status_code == 422 and bad.json()["code"] == "bad_unit_file"
    problems = [(p["row"], p["problem"]) for p in bad.json()["problems"]]
    assert problems == [(3, "unknown_parent"), (4, "missing_code"), (5, "duplicate_code"), (6, "cycle"), (7, "cycle")]
    assert "dòng 2" in bad.json()["problems"][2]["reason"] and "V1 → V2 → V1" in bad.json()["problems"][3]["reason"]
    assert await unit_names(db) == before  # nothing stored, not even the good row
    unreadable = await send("sai.csv", "code;name\nA;B\n".encode())
    assert unreadable.status_code == 422 and unreadable.json()["problems"][0]["problem"] == "missing_column"
    assert "units.imported" in await audit_actions(db)


async def test_a_username_race_is_a_conflict_not_a_server_error(db, org):
    """Both requests pass the existence check; the unique index decides, and the loser gets a 409."""
    new = admin.NewAccount(username="tranh.nhau", full_name="Tranh Nhau", roles=["unit_hr"], unit_id=org.units["SYT"])
    async with db.sessions() as first, db.sessions() as second:
        await admin.create_account(session=first, actor="sonoivu", new=new, valid_days=14)  # flushed, not committed
        racing = asyncio.create_task(admin.create_account(session=second, actor="sonoivu", new=new, valid_days=14))
        await asyncio.sleep(0.5)  # the second insert waits on the first transaction's index entry
        assert not racing.done()
        await first.commit()
        with pytest.raises(Conflict) as refused:
            await racing
        assert refused.value.code == "username_taken" and refused.value.status == 409
        await second.rollback()
