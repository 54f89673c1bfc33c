"""Record updates, attachments, diffs, approvals, delegations, signed exports and the outbox,
through the HTTP API on the real dev server, worker and PostgreSQL."""
import asyncio
import subprocess
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from models import Attachment, ProfileRevision
from services.signing import pdfsig_report, validate_pdf
from rules.clock import local_date
from tests.helpers import batch_to_sign, complete_as, onboard_to_ready, open_task

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def approved_person(db, client, task_queue, org) -> int:
    """A person whose first CV is approved: Nghệ An has no monthly cutoff, so its approval
    opens at once whatever today's date is."""
    today = local_date(datetime.now(UTC))
    person_id, _ = await onboard_to_ready(db, client, task_queue, unit_id=org.units["SYT"], hr="hr.syt",
                                          citizen_id="051095001234", name="Nguyễn Văn An", login="an.nguyenvan",
                                          hired_on=today, profile="nghe-an")
    task = await open_task(db, f"approval/{org.units['SYT']}/{today:%Y-%m}", "sign_approval")
    async with db.session() as session:
        revision = (await session.execute(select(ProfileRevision.id).where(
            ProfileRevision.person_id == person_id))).scalar_one()
    await complete_as(db, client, "head.syt", task.id, "sign", {"decisions": {str(revision): "approve"}})
    return person_id


async def poll(fetch, ready, tries: int = 100):
    for _ in range(tries):
        value = await fetch()
        if ready(value):
            return value
        await asyncio.sleep(0.1)
    raise AssertionError("not ready in time")


async def test_update_with_document_review_correction_diff_and_approval(api, dev_env, db, org, task_queue):
    person_id = await approved_person(db, dev_env.client, task_queue, org)
    person = await api("an.nguyenvan", "mat-khau-moi-123")
    before = (await person.get(f"/api/people/{person_id}")).json()
    old_residence = before["cv"]["data"]["residence"]

    started = await person.post(f"/api/people/{person_id}/updates", json={
        "kind": "update_personal", "change_date": str(local_date(datetime.now(UTC))), "reason": "Chuyển nơi ở",
        "data": {"residence": "Số 5 Hùng Vương, tỉnh Nghệ An"}})
    assert started.status_code == 201, started.text
    revision_id = started.json()["revision_id"]
    twice = await person.post(f"/api/people/{person_id}/updates", json={
        "kind": "update_personal", "change_date": str(local_date(datetime.now(UTC))), "reason": "Lần nữa", "data": {}})
    assert twice.status_code == 409 and twice.json()["code"] == "update_in_progress"

    # Wrong type (by content, whatever the name) and oversize: refused, nothing kept.
    fake = await person.post(f"/api/revisions/{revision_id}/attachments",
                             files={"file": ("giay-xac-nhan.pdf", b"not really a pdf", "application/pdf")})
    assert fake.status_code == 422 and fake.json()["code"] == "bad_file_type" and "PDF, JPEG hoặc PNG" in fake.json()["detail"]
    huge = await person.post(f"/api/revisions/{revision_id}/attachments",
                             files={"file": ("scan.png", PNG + b"\x00" * (10 * 1024 * 1024), "image/png")})
    assert huge.status_code == 422 and huge.json()["code"] == "file_too_large"
    async with db.session() as session:
        assert (await session.execute(select(func.count(Attachment.id)))).scalar_one() == 0
    entry = await open_task(db, started.json()["workflow_id"], "update_entry")
    missing = await person.post(f"/api/tasks/{entry.id}/complete", json={"outcome": "submit"})
    assert missing.status_code == 422 and missing.json()["code"] == "missing_attachment"
    uploaded = await person.post(f"/api/revisions/{revision_id}/attachments",
                                 files={"file": ("xac-nhan.png", PNG, "application/octet-stream")})
    assert uploaded.status_code == 201 and uploaded.json()["content_type"] == "image/png"
    assert len(uploaded.json()["sha256"]) == 64
    assert (await person.post(f"/api/tasks/{entry.id}/complete", json={"outcome": "submit"})).status_code == 200

    # Until approved, everyone else still sees the approved version.
    head = await api("head.syt")
    assert (await head.get(f"/api/people/{person_id}")).json()["cv"]["data"]["residence"] == old_residence

    hr = await api("hr.syt")
    corrected = await hr.put(f"/api/revisions/{revision_id}", json={"residence": "Số 5 Hùng Vương, phường Vinh, tỉnh Nghệ An"})
    assert corrected.status_code == 200, corrected.text
    diff = (await hr.get(f"/api/revisions/{revision_id}/diff")).json()
    [residence] = [d for d in diff if d["field"] == "residence"]
    assert residence["old"] == old_residence and residence["new"].endswith("phường Vinh, tỉnh Nghệ An")
    assert [c["username"] for c in residence["changed_by"]] == ["an.nguyenvan", "hr.syt"]

    review = await open_task(db, started.json()["workflow_id"], "review_update")
    assert (await hr.post(f"/api/tasks/{review.id}/complete", json={"outcome": "accept"})).status_code == 200
    # This month's approval was signed with the first CV: one signature closes a unit's month,
    # so the update joins the next month's (Nghệ An sets no window: it opens at once).
    this_month = local_date(datetime.now(UTC))
    month = f"{this_month.year + this_month.month // 12}-{this_month.month % 12 + 1:02d}"
    approval = await poll(lambda: _json(head.get("/api/approvals", params={"unit_id": org.units["SYT"], "month": month})),
                          # the approval and its items are read by two statements (two snapshots): wait for both
                          lambda body: body["status"] == "open" and any(
                              r["revision_id"] == revision_id and r["decision"] == "pending" for r in body["revisions"]))
    assert approval["status"] == "open"
    sign = await open_task(db, approval["workflow_id"], "sign_approval")
    signed = await head.post(f"/api/tasks/{sign.id}/complete",
                             json={"outcome": "sign", "data": {"decisions": {str(revision_id): "approve"}}})
    assert signed.status_code == 200, signed.text
    record = (await head.get(f"/api/people/{person_id}")).json()
    assert record["cv"]["data"]["residence"].endswith("phường Vinh, tỉnh Nghệ An")
    approval = (await head.get("/api/approvals", params={"unit_id": org.units["SYT"], "month": month})).json()
    pdf = (await head.get(approval["signed_pdf_url"])).content
    assert pdf.startswith(b"%PDF") and all(r.intact and r.valid for r in validate_pdf(pdf))

    outbox = (await (await api("sonoivu")).get("/api/sync/outbox")).json()
    assert {r["revision_id"] for r in outbox["rows"]} >= {revision_id}
    assert sum(outbox["summary"].values()) == len(outbox["rows"])
    assert (await hr.get("/api/sync/outbox")).status_code == 403


async def test_signed_export_has_two_valid_signatures_and_detects_tampering(api, dev_env, db, org, task_queue):
    person_id = await approved_person(db, dev_env.client, task_queue, org)
    hr = await api("hr.syt")
    # signed with the head's key just after the head signed the approval, then only served
    response = await poll(lambda: hr.get(f"/api/people/{person_id}/export.pdf"), lambda r: r.status_code == 200)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    pdf = response.content
    reports = validate_pdf(pdf)
    assert [r.field_name for r in reports] == ["NguoiCoThamQuyen", "CoQuan"]
    assert all(r.intact and r.valid for r in reports)
    report = pdfsig_report(pdf)
    assert report.count("Signature is Valid") == 2 and "Total document signed" in report
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "Nguyễn Văn An" in text and "SƠ YẾU LÝ LỊCH" in text

    position = pdf.index(b"Nguy") if b"Nguy" in pdf else len(pdf) // 4
    tampered = pdf[:position] + bytes([pdf[position] ^ 0x01]) + pdf[position + 1:]
    assert not all(r.intact for r in validate_pdf(tampered))
    assert "Digest Mismatch" in pdfsig_report(tampered)

    other = await api("hr.sgd")
    assert (await other.get(f"/api/people/{person_id}/export.pdf")).status_code == 404


async def test_delegations_api(api, org):
    head = await api("head.syt")
    today = date.today()
    created = await head.post("/api/delegations", json={
        "unit_id": org.units["SYT"], "delegate": "hr.syt", "document_no": "15/UQ-SYT",
        "valid_from": str(today), "valid_to": str(today.replace(year=today.year + 1))})
    assert created.status_code == 201
    listed = (await head.get("/api/delegations", params={"unit_id": org.units["SYT"]})).json()
    assert listed[0]["document_no"] == "15/UQ-SYT" and listed[0]["revoked_at"] is None
    hr = await api("hr.syt")
    refused = await hr.post(f"/api/delegations/{created.json()['id']}/revoke")
    assert refused.status_code == 403
    revoked = await head.post(f"/api/delegations/{created.json()['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    backwards = await head.post("/api/delegations", json={
        "unit_id": org.units["SYT"], "delegate": "hr.syt", "document_no": "16/UQ-SYT",
        "valid_from": str(today), "valid_to": "2020-01-01"})
    assert backwards.status_code == 422 and backwards.json()["code"] == "bad_validity"


async def test_the_signer_previews_the_batch_pdf(api, db, org):
    task_id, waiting = await batch_to_sign(db, org, 2)
    choices = {"outcome": "sign", "data": {"decisions": {str(waiting[0]): "approve", str(waiting[1]): "return"},
                                           "reasons": {str(waiting[1]): "Thiếu quyết định"}}}
    head = await api("head.syt")
    shown = await head.post(f"/api/tasks/{task_id}/preview", json=choices)
    assert shown.status_code == 200 and shown.headers["content-type"] == "application/pdf"
    assert shown.content.startswith(b"%PDF") and shown.content == (await head.post(
        f"/api/tasks/{task_id}/preview", json=choices)).content  # kept: the same bytes again
    not_signer = await (await api("hr.syt")).post(f"/api/tasks/{task_id}/preview", json=choices)
    assert not_signer.status_code == 403 and not_signer.json()["code"] == "not_authorised_to_sign"
    undecided = await head.post(f"/api/tasks/{task_id}/preview", json={"outcome": "sign", "data": {}})
    assert undecided.status_code == 422 and undecided.json()["code"] == "missing_decision"


async def _json(request):
    return (await request).json()
