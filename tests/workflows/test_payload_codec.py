"""Workflow history is encrypted: an onboarding run by a worker whose client has the app's data converter
(core/temporal.py) leaves only encrypted payloads in history, the return comment, the login and a refusal's
message included, while the app, with the codec, reads everything back."""
from datetime import date

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client

from bootstrap.worker import build_worker
from core.temporal import ENCODING, data_converter
from services import auth
from services.errors import Invalid
from tests.helpers import CV_VALID, complete_as, hire, open_task, save_cv

COMMENT = "Thiếu bản sao quyết định tuyển dụng số 12/QĐ-SYT"
MISMATCH = "Số CCCD khác với số đã đăng ký khi tuyển dụng; đề nghị cán bộ tổ chức kiểm tra."


def payloads_in(message) -> list[Payload]:
    """Every Payload anywhere inside a protobuf message (maps and lists included)."""
    found = []
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            items = list(value.values())
        elif field.is_repeated:
            items = list(value)
        else:
            items = [value]
        for item in items:
            if isinstance(item, Payload):
                found.append(item)
            elif hasattr(item, "ListFields"):
                found += payloads_in(item)
    return found


async def test_history_payloads_are_not_readable(ts_env, db, settings, org, task_queue):
    codec_client = Client(**{**ts_env.client.config(), "data_converter": data_converter()})
    async with build_worker(codec_client, db, settings, task_queue=task_queue):
        person = await hire(db, codec_client, task_queue, "hr.syt", org.units["SYT"], date(2026, 2, 10))
        wid = f"onboarding/{person.id}"
        done = await complete_as(db, codec_client, "hr.syt", (await open_task(db, wid, "create_account")).id,
                                 "done", {"username": "an.nguyenvan"})
        async with db.session() as session:
            await auth.activate("an.nguyenvan", done.activation_code, "mat-khau-moi-123", session=session)
        cv_data = {**CV_VALID, "full_name": person.full_name, "sex": "nam", "date_of_birth": "1995-03-15"}
        entry = await open_task(db, wid, "self_entry")
        await save_cv(db, "an.nguyenvan", person.id, {**cv_data, "citizen_id": "051095009999"})
        with pytest.raises(Invalid) as refused:  # refused by the activity: the failure crosses the codec
            await complete_as(db, codec_client, "an.nguyenvan", entry.id, "submit")
        assert refused.value.code == "citizen_id_mismatch" and refused.value.message == MISMATCH
        await save_cv(db, "an.nguyenvan", person.id, {**cv_data, "citizen_id": person.citizen_id})
        await complete_as(db, codec_client, "an.nguyenvan", entry.id, "submit")
        review = await open_task(db, wid, "review_entry")
        returned = await complete_as(db, codec_client, "hr.syt", review.id, "return", {"comment": COMMENT})
        assert returned.result.outcome == "return"  # the app reads its results through the codec
        await open_task(db, wid, "self_entry")  # the person's new entry task after the return

        history = await ts_env.client.get_workflow_handle(wid).fetch_history()  # a client without the codec
    payloads = [p for event in history.events for p in payloads_in(event)]
    assert len(payloads) > 10
    for payload in payloads:
        assert payload.metadata["encoding"] == ENCODING, payload.metadata
        assert b"json/plain" not in payload.data
        try:
            payload.data.decode("utf-8")
            readable = True
        except UnicodeDecodeError:
            readable = False
        assert not readable or not payload.data.strip().startswith((b"{", b"[", b'"'))
    raw = b"".join(event.SerializeToString() for event in history.events)
    for secret in (COMMENT, "an.nguyenvan", MISMATCH):  # (a failure's type, e.g. citizen_id_mismatch, stays plain)
        assert secret.encode() not in raw, secret
    decoded = await codec_client.data_converter.payload_codec.decode(payloads[:1])
    assert decoded[0].metadata["encoding"] == b"json/plain"
