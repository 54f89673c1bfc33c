"""Test support for arrivals from another province: that province's record in the national database (posted as
its own system would, with the outgoing protocol), and the receiving unit's request (POST /api/transfers' service)."""
import hashlib
import json
from datetime import UTC, date, datetime

from models import Transfer
from services import transfers
from services.national_sync import NationalClient
from tests.helpers import CV_VALID, viewer

# Born 15/03/1995: 031 (Hải Phòng), century-and-sex digit 0 (a man born in the 1900s) or 1 (a woman), year 95.
MAN, WOMAN = "031095004321", "031195004322"
BORN = date(1995, 3, 15)
# What the other province holds beyond the identity: the draft must show it after the pull.
FROM_ELSEWHERE = {
    **CV_VALID,
    "birthplace": "Phường Lê Chân, thành phố Hải Phòng",
    "hometown": "Xã An Lư, huyện Thủy Nguyên, thành phố Hải Phòng",
    "qualification": "Thạc sĩ Quản lý công",
    "residence": "Phường Nghĩa Chánh, tỉnh Quảng Ngãi",
    "work_history": [{"from": "09/2018", "to": "11/2026", "description": "Chuyên viên, Sở Nội vụ thành phố Hải Phòng"}],
}


def other_province_record(citizen_id: str, /, *, name: str = "Trần Thị Hoa", sex: str = "nu", born: date = BORN,
                          revision: int = 4, **changes) -> dict:
    """The payload the other province's system posts once its head has signed (docs/national-sync.md)."""
    data = {**FROM_ELSEWHERE, "full_name": name, "sex": sex, "date_of_birth": born.isoformat(),
            "citizen_id": citizen_id, **changes}
    return {"citizen_id": citizen_id, "full_name": name, "revision": revision,
            "approved_at": datetime(2026, 10, 28, 9, 30, tzinfo=UTC).isoformat(), "data": data}


async def publish(url: str, payload: dict, their_revision_id: int = 9001) -> str:
    """Post the record to the national database as the other province does; its national id."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    key = f"hoso-rev-{their_revision_id}-{hashlib.sha256(canonical.encode()).hexdigest()[:16]}"
    return await NationalClient(url).send(key, payload)


async def request_arrival(db, client, task_queue: str, *, hr: str, unit_id: int, profile: str, citizen_id: str,
                          effective_on: date, today: date, name: str = "Trần Thị Hoa", sex: str = "nu",
                          paper_file_on: date | None = None) -> Transfer:
    """The receiving unit's request: the person registered in the unit, the Arrival workflow started."""
    me = await viewer(db, hr)
    req = transfers.TransferRequest(
        kind="arrival", person_id=None, to_unit_id=unit_id, reason="Tiếp nhận công chức từ thành phố Hải Phòng",
        decision_no="1234/QĐ-UBND", effective_on=effective_on, paper_file_on=paper_file_on,
        person=transfers.ArrivingPerson(full_name=name, sex=sex, date_of_birth=BORN, citizen_id=citizen_id,
                                        kind="cong_chuc", email="hoa@example.vn"))
    async with db.session() as session:
        return await transfers.start(client, task_queue, session, me, req, profile_name=profile, today=today)
