"""The pages refuse bad input as the API does (issue 8, item 6): a Vietnamese error page with a 4xx, never a 500."""
from tests.api.test_contract import HIRE
from tests.ui.test_pages import csrf_of


async def test_bad_ids_in_page_addresses(api, org):
    hr = await api("hr.syt")
    for path in ("/people/99999999999", "/people/0", "/people/abc", "/tasks/abc", "/tasks/99999999999",
                 "/revisions/-1", "/revisions/1/attachments/99999999999", "/approvals/2147483648/signed.pdf",
                 "/people/1/cv", "/people/%00", "/search?q=%00", "/people/²"):
        response = await hr.get(path)
        assert response.status_code in (404, 422), (path, response.status_code)
        assert response.headers["content-type"].startswith("text/html") and '<html lang="vi">' in response.text
        assert "Dữ liệu không hợp lệ" in response.text or "Không tìm thấy" in response.text, path
    head = await api("head.syt")
    for path in ("/delegations?unit_id=²", "/delegations?unit_id=99999999999", "/approvals?month=٢٠٢٦-01"):
        response = await head.get(path)
        assert response.status_code < 500, (path, response.status_code)


async def test_bad_values_in_forms(api, org):
    hr = await api("hr.syt")
    token = await csrf_of(hr, "/hires/new")
    form = {**HIRE, "csrf": token, "unit_id": str(org.units["SYT"])}
    for changed in ({"unit_id": "²"}, {"unit_id": "99999999999"}, {"unit_id": "1" * 5000},
                    {"full_name": "Nguyễn\x00 Văn An"}, {"hired_on": "9999-99-99"}):
        response = await hr.post("/hires/new", data={**form, **changed})
        assert response.status_code == 422, (changed, response.status_code)
        assert '<html lang="vi">' in response.text
    registered = await hr.post("/hires/new", data=form)
    assert registered.status_code == 303
    person = registered.headers["location"]
    draft = await hr.post(f"{person}/cv", data={"csrf": token, "salary_step": "²", "wh_from_²": "01/2020",
                                                "wh_to_1": "nay", "action": "save"})
    assert draft.status_code == 303, draft.text  # a draft keeps what was typed
    page = await hr.get(f"{person}/cv")
    assert page.status_code == 200 and 'value="²"' in page.text


async def test_texts_longer_than_their_columns(api, org):
    head = await api("head.syt")
    token = await csrf_of(head, "/delegations")
    form = {"csrf": token, "unit_id": str(org.units["SYT"]), "delegate": "pho.syt", "document_no": "1" * 65,
            "valid_from": "2026-12-01", "valid_to": "2026-12-31"}
    response = await head.post("/delegations", data=form)
    assert response.status_code == 422 and "tối đa 64 ký tự" in response.text
    for unit_id in ("²", "99999999999", ""):
        refused = await head.post("/delegations", data={**form, "document_no": "15/UQ", "unit_id": unit_id})
        assert refused.status_code == 422, unit_id
