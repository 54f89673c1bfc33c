"""The administration pages without a browser: units (create, rename, validity, successor, file import with its
per-row report) and accounts (create with the code shown once, roles per unit, deactivate, reset)."""
import re

from sqlalchemy import select

from models import Unit, User
from tests.ui.test_pages import csrf_of

CODE = re.compile(r'id="activation-code" class="code">([^<]+)<')


async def test_only_the_sonoivu_admin_sees_the_link_and_the_forms(api, org):
    boss = await api("sonoivu")
    assert 'href="/admin/units"' in (await boss.get("/")).text
    for login in ("hr.syt", "head.syt", "giamdoc.snv"):
        client = await api(login)
        assert 'href="/admin/units"' not in (await client.get("/")).text
        refused = await client.get("/admin/units")
        assert refused.status_code == 403 and "Bạn không có quyền" in refused.text
        assert (await client.get("/admin/users")).status_code == 403
    auditor = await api("thanhtra")
    page = await auditor.get("/admin/units")
    assert page.status_code == 200 and "Bạn chỉ được xem" in page.text and "Nhập tệp" not in page.text
    users = await auditor.get(f"/admin/users/{org.users['hr.syt']}")
    assert users.status_code == 200 and "Vô hiệu hóa tài khoản" not in users.text
    token = await csrf_of(auditor, "/admin/units")
    write = await auditor.post("/admin/units", data={"csrf": token, "code": "X", "name": "X", "kind": "so"})
    assert write.status_code == 403 and "Thanh tra chỉ được xem" in write.text


async def test_units_page_creates_edits_and_imports(api, org, db):
    boss = await api("sonoivu")
    token = await csrf_of(boss, "/admin/units")
    page = await boss.get("/admin/units")
    assert "Ủy ban nhân dân tỉnh Quảng Ngãi" in page.text and "└ " in page.text

    created = await boss.post("/admin/units", data={"csrf": token, "code": "SXD", "name": "Sở Xây dựng", "kind": "so",
                                                    "parent_id": str(org.units["QNG"]), "valid_from": "01/07/2025",
                                                    "valid_to": ""})
    assert created.status_code == 303, created.text
    listed = await boss.get("/admin/units")
    assert "Đã tạo đơn vị Sở Xây dựng (SXD)." in listed.text and "01/07/2025 – …" in listed.text
    again = await boss.post("/admin/units", data={"csrf": token, "code": "SXD", "name": "Khác", "kind": "so"})
    assert again.status_code == 409 and "Mã đơn vị «SXD» đã được dùng." in again.text and 'value="Khác"' in again.text

    async with db.session() as session:
        sxd = (await session.execute(select(Unit).where(Unit.code == "SXD"))).scalar_one()
    renamed = await boss.post(f"/admin/units/{sxd.id}/rename", data={"csrf": token, "name": "Sở Xây dựng tỉnh"})
    assert renamed.status_code == 303 and renamed.headers["location"] == f"/admin/units/{sxd.id}"
    validity = await boss.post(f"/admin/units/{sxd.id}/validity", data={"csrf": token, "valid_from": "2025-07-01",
                                                                         "valid_to": "2025-06-01"})
    assert validity.status_code == 422 and "Ngày hết hiệu lực phải từ ngày bắt đầu" in validity.text
    await boss.post(f"/admin/units/{sxd.id}/validity", data={"csrf": token, "valid_from": "2025-07-01",
                                                              "valid_to": "31/12/2026"})
    await boss.post(f"/admin/units/{sxd.id}/successor", data={"csrf": token, "successor_id": str(org.units["STC"])})
    detail = await boss.get(f"/admin/units/{sxd.id}")
    assert "Sở Xây dựng tỉnh" in detail.text and "01/07/2025 – 31/12/2026" in detail.text
    assert "Đã ghi nhận đơn vị kế thừa." in detail.text and "<dd>Sở Tài chính</dd>" in detail.text

    csv = "code,name,parent_code,kind\nSXD-VP,Văn phòng Sở,SXD,phong\nSXD,Sở Xây dựng tỉnh,QNG,so\n"
    imported = await boss.post("/admin/units/import", data={"csrf": token},
                               files={"file": ("don-vi.csv", csv.encode(), "text/csv")})
    assert imported.status_code == 200, imported.text
    assert "tạo mới 1, đổi tên 0, đổi cấp trên hoặc loại 0, không đổi 1" in imported.text
    bad = await boss.post("/admin/units/import", data={"csrf": token},
                          files={"file": ("loi.csv", b"code,name,parent_code,kind\n,Thieu ma,QNG,so\nA,B,KHONG,so\n",
                                          "text/csv")})
    assert bad.status_code == 422 and "Tệp có 2 dòng lỗi; chưa lưu đơn vị nào." in bad.text
    assert "thiếu mã đơn vị" in bad.text and "đơn vị cấp trên «KHONG» không có" in bad.text
    none = await boss.post("/admin/units/import", data={"csrf": token})
    assert none.status_code == 422 and "Chọn tệp CSV hoặc Excel" in none.text


async def test_users_page_shows_the_code_once_and_manages_the_account(api, org, db):
    boss = await api("sonoivu")
    token = await csrf_of(boss, "/admin/users")
    form = {"csrf": token, "username": "hoa.tranthi", "full_name": "Trần Thị Hoa", "email": "",
            "unit_id": str(org.units["SYT"]), "roles": ["unit_hr"]}
    created = await boss.post("/admin/users", data=form)
    assert created.status_code == 200, created.text
    assert created.headers["cache-control"] == "no-store"
    assert "Mã kích hoạt chỉ hiển thị một lần." in created.text and 'href="/activate?username=hoa.tranthi"' in created.text
    code = CODE.search(created.text).group(1)
    listed = await boss.get("/admin/users")
    assert code not in listed.text and "Chờ kích hoạt" in listed.text and "Cán bộ tổ chức — Sở Y tế" in listed.text
    duplicate = await boss.post("/admin/users", data=form)
    assert duplicate.status_code == 409 and "Tên đăng nhập «hoa.tranthi» đã được dùng." in duplicate.text
    no_unit = await boss.post("/admin/users", data={**form, "username": "khong.donvi", "unit_id": ""})
    assert no_unit.status_code == 422 and "chọn đơn vị" in no_unit.text

    official = await api()
    activate_token = await csrf_of(official, "/activate")
    activated = await official.post("/activate", data={"csrf": activate_token, "username": "hoa.tranthi", "code": code,
                                                       "password": "mat-khau-rieng", "password2": "mat-khau-rieng"})
    assert activated.status_code == 303

    async with db.session() as session:
        user_id = (await session.execute(select(User.id).where(User.username == "hoa.tranthi"))).scalar_one()
    url = f"/admin/users/{user_id}"
    granted = await boss.post(f"{url}/roles", data={"csrf": token, "role": "unit_head", "unit_id": str(org.units["SYT-DS"])})
    assert granted.status_code == 303
    page = await boss.get(url)
    assert "Đã giao vai trò «Thủ trưởng đơn vị»." in page.text and "Chi cục Dân số" in page.text
    revoked = await boss.post(f"{url}/roles/revoke", data={"csrf": token, "role": "unit_head",
                                                            "unit_id": str(org.units["SYT-DS"])})
    assert revoked.status_code == 303
    assert "Đã thu hồi vai trò «Thủ trưởng đơn vị»." in (await boss.get(url)).text

    assert (await boss.post(f"{url}/deactivate", data={"csrf": token})).status_code == 303
    assert "Đã vô hiệu hóa tài khoản hoa.tranthi" in (await boss.get(url)).text
    assert (await official.get("/")).status_code == 303  # back to the login page
    assert (await boss.post(f"{url}/activate", data={"csrf": token})).status_code == 303

    reset = await boss.post(f"{url}/reset", data={"csrf": token})
    assert reset.status_code == 200 and reset.headers["cache-control"] == "no-store"
    assert "Đã đặt lại mật khẩu" in reset.text and CODE.search(reset.text).group(1) != code
    login_token = await csrf_of(official, "/login")
    old = await official.post("/login", data={"csrf": login_token, "username": "hoa.tranthi",
                                              "password": "mat-khau-rieng"})
    assert old.status_code == 401
