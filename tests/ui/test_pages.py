"""The pages without a browser: CSRF, login refusals, error pages, filters, a duplicate hire."""
import re
from datetime import UTC, date, datetime

from tests.conftest import PASSWORD
from tests.helpers import CITIZEN_ID
from services.steps.create_account import suggest_username
from ui.web import safe_next, vn_date, vn_datetime

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def csrf_of(client, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return CSRF.search(response.text).group(1)


def test_filters_show_vietnam_dates_and_times():
    assert vn_date(date(2026, 3, 5)) == "05/03/2026"
    assert vn_date(datetime(2026, 11, 23, 20, 30, tzinfo=UTC)) == "24/11/2026"  # already the 24th in Việt Nam
    assert vn_datetime(datetime(2026, 11, 23, 20, 30, tzinfo=UTC)) == "03:30 24/11/2026"
    assert vn_date(None) == "" and vn_datetime(None) == ""
    assert vn_date("2026-01-01") == "01/01/2026"


def test_username_suggestion_and_safe_next():
    assert suggest_username("Nguyễn Văn An") == "an.nguyenvan"
    assert suggest_username("Đặng Thị Thu") == "thu.dangthi"
    assert safe_next("/tasks/3") == "/tasks/3"
    assert safe_next("//evil.example") == "/" and safe_next("https://evil.example") == "/"


async def test_pages_refuse_clearly(api, org):
    anonymous = await api()
    response = await anonymous.get("/")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/"

    token = await csrf_of(anonymous, "/login")
    response = await anonymous.post("/login", data={"csrf": token, "username": "hr.syt", "password": "sai"})
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.text
    response = await anonymous.post("/login", data={"csrf": "khac", "username": "hr.syt", "password": PASSWORD})
    assert response.status_code == 403
    assert "Phiên làm việc đã hết hạn, vui lòng tải lại trang." in response.text

    hr = await api("hr.syt")
    response = await hr.post("/hires/new", data={"full_name": "Không Token"})
    assert response.status_code == 403 and "Phiên làm việc đã hết hạn" in response.text
    response = await hr.get("/people/999999")
    assert response.status_code == 404 and "Không tìm thấy hồ sơ" in response.text
    response = await hr.get("/search", params={"q": "nguyen"})
    assert response.status_code == 200 and "Tra cứu hồ sơ" in response.text

    head = await api("head.syt")
    response = await head.get("/hires/new")
    assert response.status_code == 403 and "Bạn không có quyền" in response.text


async def test_duplicate_hire_names_the_existing_record(api, org):
    hr = await api("hr.syt")
    token = await csrf_of(hr, "/hires/new")
    form = {"csrf": token, "full_name": "Nguyễn Văn An", "sex": "nam", "date_of_birth": "1995-03-15",
            "citizen_id": CITIZEN_ID, "unit_id": str(org.units["SYT"]), "hired_on": "2026-11-02",
            "kind": "cong_chuc", "email": ""}
    first = await hr.post("/hires/new", data=form)
    assert first.status_code == 303 and first.headers["location"].startswith("/people/")
    person_id = int(first.headers["location"].rsplit("/", 1)[1])
    again = await hr.post("/hires/new", data=form)
    assert again.status_code == 409
    assert f"hồ sơ số {person_id}" in again.text and 'value="Nguyễn Văn An"' in again.text
    under_age = await hr.post("/hires/new", data={**form, "citizen_id": "051205001234", "date_of_birth": "2010-01-01"})
    assert under_age.status_code == 422 and "phải từ đủ 18 tuổi" in under_age.text
