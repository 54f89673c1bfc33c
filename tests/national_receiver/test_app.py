"""The national receiver stand-in (national_receiver.app) on its own: key required, store survives a restart."""
import httpx

from national_receiver.app import create_app

PAYLOAD = {"citizen_id": "051095001234", "full_name": "Nguyễn Văn An", "revision": 1,
           "approved_at": "2026-03-05T09:30:00+00:00", "data": {"ethnicity": "Kinh"}}


async def test_a_receiver_without_a_key_refuses():
    app = create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r") as http:
        response = await http.post("/api/v1/records", json=PAYLOAD)
    assert response.status_code == 400


async def test_the_store_file_survives_a_restart(tmp_path):
    store = tmp_path / "national.sqlite"
    key_ids = {}
    for _ in range(2):  # the second app is the "restarted" receiver on the same file
        app = create_app(store)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r") as http:
            response = await http.post("/api/v1/records", json=PAYLOAD, headers={"Idempotency-Key": "k"})
            key_ids.setdefault("k", response.json()["id"])
            assert response.json()["id"] == key_ids["k"]
            stats = (await http.get("/control/stats")).json()
        app.state.store.close()
    assert response.status_code == 200 and stats == {"received": 1, "duplicates": 1, "failed_injected": 0}
