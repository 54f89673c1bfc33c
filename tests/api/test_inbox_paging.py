"""GET /api/tasks pages the inbox: `limit` (50 unless asked, at most 200) tasks from `offset`, by due date, with
the total of every page in X-Total-Count; the inbox page links its pages."""
from datetime import UTC, datetime, timedelta

from services.tasks import MAX_PAGE_SIZE, PAGE_SIZE
from tests.services.test_inbox import add_task

NOW = datetime.now(UTC)


async def test_pages_with_limit_offset_and_the_total(api, db, org):
    hr = org.users["hr.syt"]
    made = [await add_task(db, org.units["SYT-BV"], due=NOW + timedelta(hours=hours), candidates=[hr])
            for hours in range(PAGE_SIZE + 5)]
    await add_task(db, org.units["SGD"], due=NOW, candidates=[org.users["hr.sgd"]])  # not theirs
    client = await api("hr.syt")

    first = await client.get("/api/tasks", params={"scope": "unit"})
    assert first.status_code == 200 and first.headers["x-total-count"] == str(len(made))
    assert [t["id"] for t in first.json()] == made[:PAGE_SIZE]
    assert first.json()[0]["assignees"] == ["hr.syt"] and first.json()[0]["assignee"] == "hr.syt"
    rest = await client.get("/api/tasks", params={"scope": "unit", "offset": PAGE_SIZE})
    assert [t["id"] for t in rest.json()] == made[PAGE_SIZE:]
    middle = await client.get("/api/tasks", params={"scope": "mine", "limit": 3, "offset": 10})
    assert [t["id"] for t in middle.json()] == made[10:13] and middle.headers["x-total-count"] == str(len(made))
    past_the_end = await client.get("/api/tasks", params={"limit": 10, "offset": 1000})
    assert past_the_end.json() == [] and past_the_end.headers["x-total-count"] == str(len(made))
    everything = await client.get("/api/tasks", params={"limit": MAX_PAGE_SIZE})
    assert [t["id"] for t in everything.json()] == made


async def test_bad_paging_is_refused_with_its_reason(api, org):
    client = await api("hr.syt")
    size, start = f"số nhiệm vụ mỗi trang (từ 1 đến {MAX_PAGE_SIZE})", "vị trí bắt đầu của trang"
    for params, reason in (({"limit": 0}, size), ({"limit": MAX_PAGE_SIZE + 1}, size), ({"limit": "mười"}, size),
                           ({"offset": -1}, start), ({"offset": 2**31}, start)):
        refused = await client.get("/api/tasks", params=params)
        assert refused.status_code == 422, (params, refused.text)
        assert refused.json()["code"] == "invalid_request" and reason in refused.json()["detail"], refused.text


async def test_the_inbox_page_links_its_pages(api, db, org):
    hr = org.users["hr.syt"]
    for hours in range(PAGE_SIZE + 2):
        await add_task(db, org.units["SYT"], due=NOW + timedelta(hours=hours), candidates=[hr])
    client = await api("hr.syt")
    first = (await client.get("/", params={"scope": "unit"})).text
    assert f"Nhiệm vụ 1–{PAGE_SIZE} trên tổng số {PAGE_SIZE + 2}" in first
    assert 'href="/?scope=unit&filter=open&page=2" rel="next">Trang sau »' in first and "Trang trước" not in first
    second = (await client.get("/", params={"scope": "unit", "page": "2"})).text
    assert f"Nhiệm vụ {PAGE_SIZE + 1}–{PAGE_SIZE + 2} trên tổng số {PAGE_SIZE + 2}" in second
    assert 'page=1" rel="prev">« Trang trước' in second and "Trang sau" not in second
    for far in ("9", "2147483647"):
        beyond = await client.get("/", params={"scope": "unit", "page": far})
        assert beyond.status_code == 200, beyond.text
        assert 'page=2" rel="prev">« Trang trước' in beyond.text and "Không có nhiệm vụ nào đang mở" in beyond.text
    assert f"Nhiệm vụ 1–{PAGE_SIZE} trên" in (await client.get("/", params={"scope": "unit", "page": "abc"})).text
