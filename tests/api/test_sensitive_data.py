"""Sensitive personal data over HTTP (Nghị định 13/2023): ethnicity and religion in clear for the person,
their unit's HR and Sở Nội vụ's administrator; masked for heads, the director and the auditor, in the API
and on the pages; stored sealed. The Temporal Web UI's codec endpoint: who may call it, CORS."""
import base64

import pytest
from sqlalchemy import text

from services import cv
from tests.api.test_records import approved_person

UI_ORIGIN = "https://temporal.tinh.gov.vn"
SEE = ("an.nguyenvan", "hr.syt", "sonoivu")
MASKED_FOR = ("head.syt", "giamdoc.snv", "thanhtra")


async def login(api, username):
    return await api(username, "mat-khau-moi-123") if username == "an.nguyenvan" else await api(username)


@pytest.fixture
async def person_id(api, dev_env, db, task_queue, org):
    return await approved_person(db, dev_env.client, task_queue, org)


async def test_who_sees_ethnicity_and_religion(api, db, person_id):
    async with db.session() as session:  # stored sealed, wherever CV data is kept
        stored = [row[0] for row in (await session.execute(text(
            "SELECT data::text FROM profile_revisions WHERE person_id = :p UNION ALL "
            "SELECT payload::text FROM sync_outbox WHERE person_id = :p"), {"p": person_id})).all()]
    assert len(stored) == 2
    for raw in stored:
        assert "Kinh" not in raw and "Không" not in raw and '"enc": "A256GCM"' in raw

    for username in SEE + MASKED_FOR:
        client = await login(api, username)
        record = (await client.get(f"/api/people/{person_id}")).json()
        [revision] = (await client.get(f"/api/people/{person_id}/revisions")).json()
        one = (await client.get(f"/api/revisions/{revision['id']}")).json()
        diff = {d["field"]: d for d in (await client.get(f"/api/revisions/{revision['id']}/diff")).json()}
        page = (await client.get(f"/people/{person_id}")).text
        shown = ("Kinh", "Không") if username in SEE else (cv.MASKED, cv.MASKED)
        for data in (record["cv"]["data"], revision["data"], one["data"]):
            assert (data["ethnicity"], data["religion"]) == shown, username
            assert data["residence"], username  # the rest is never masked
        assert (diff["ethnicity"]["new"], diff["religion"]["new"]) == shown, username
        if username in SEE:
            assert "Kinh" in page and cv.MASKED not in page, username
        else:
            assert "Kinh" not in page and cv.MASKED in page, username


async def test_the_codec_endpoint_for_the_temporal_web_ui(api, settings):
    settings.temporal_ui_origin = UI_ORIGIN
    plain = {"metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
             "data": base64.b64encode('{"comment": "Thiếu ảnh"}'.encode()).decode()}
    admin = await api("sonoivu")
    encoded = await admin.post("/codec/encode", json={"payloads": [plain]}, headers={"Origin": UI_ORIGIN})
    assert encoded.status_code == 200, encoded.text
    assert encoded.headers["access-control-allow-origin"] == UI_ORIGIN
    assert encoded.headers["access-control-allow-credentials"] == "true"
    [sealed] = encoded.json()["payloads"]
    assert base64.b64decode(sealed["metadata"]["encoding"]) == b"binary/encrypted"
    assert "Thiếu ảnh".encode() not in base64.b64decode(sealed["data"])

    auditor = await api("thanhtra")  # read-only, and decoding changes nothing
    decoded = await auditor.post("/codec/decode", json={"payloads": [sealed, plain]})
    assert decoded.status_code == 200, decoded.text
    assert decoded.json()["payloads"] == [plain, plain]

    for username, status in ((None, 401), ("head.syt", 403), ("hr.syt", 403), ("giamdoc.snv", 403)):
        refused = await (await api(username)).post("/codec/decode", json={"payloads": [sealed]},
                                                   headers={"Origin": UI_ORIGIN})
        assert refused.status_code == status, (username, refused.text)
        assert refused.headers["access-control-allow-origin"] == UI_ORIGIN  # the UI can read the refusal
        assert "Thiếu ảnh" not in refused.text
    bad = await admin.post("/codec/decode", json={"payloads": "x"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_payloads"

    preflight = await admin.options("/codec/decode", headers={
        "Origin": UI_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == UI_ORIGIN
    assert "X-Namespace" in preflight.headers["access-control-allow-headers"]
    elsewhere = await admin.options("/codec/decode", headers={"Origin": "https://evil.example",
                                                              "Access-Control-Request-Method": "POST"})
    assert elsewhere.status_code == 403 and "access-control-allow-origin" not in elsewhere.headers
    other = await admin.post("/codec/decode", json={"payloads": [sealed]}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
