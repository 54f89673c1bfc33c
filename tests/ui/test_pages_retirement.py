"""The retirement tasks from the pages and the API (dev server): the facts of the retirement shown with the form,
a missing number refused on the page with nothing done, the decision's number declared and taken by the API."""
import re
from datetime import datetime, timedelta

from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from rules.clock import VN_TZ
from rules.retirement import retirement
from tests.helpers import open_task, task_by_id, until
from tests.workflows.test_retirement import born_retiring, retiree, transfer_of
from workflows.contracts import RetirementInput
from workflows.retirement import workflow_id

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def test_hr_gives_the_notice_on_the_page_and_the_decision_through_the_api(api, dev_env, db, org, task_queue):
    today = datetime.now(VN_TZ).date()
    sex, born = born_retiring(today - timedelta(days=200))  # overdue: both tasks open at once
    person_id = await retiree(db, org.units["SYT"], sex, born, 51)
    wid = workflow_id(person_id)
    handle = await dev_env.client.start_workflow("Retirement", RetirementInput(person_id), id=wid,
                                                 task_queue=task_queue)
    try:
        hr = await api("hr.syt")
        notice = await open_task(db, wid, "retirement_notice")
        page = await hr.get(f"/tasks/{notice.id}")
        assert page.status_code == 200
        expected = retirement(sex, born)
        assert "Thông báo thời điểm nghỉ hưu" in page.text and expected.age.label in page.text
        assert f"hết ngày {expected.date:%d/%m/%Y}" in page.text and "Phụ lục I Nghị định 135/2020/NĐ-CP" in page.text
        assert 'name="notice_no"' in page.text
        token = CSRF.search(page.text).group(1)
        refused = await hr.post(f"/tasks/{notice.id}/complete", data={"csrf": token, "outcome": "done",
                                                                      "notice_no": "", "comment": "Đã gửi"})
        assert refused.status_code == 422 and "Ghi số văn bản thông báo thời điểm nghỉ hưu." in refused.text
        assert (await task_by_id(db, notice.id)).status == "open"
        done = await hr.post(f"/tasks/{notice.id}/complete", data={"csrf": token, "outcome": "done",
                                                                   "notice_no": "125/TB-SYT"})
        assert done.status_code == 303
        assert (await task_by_id(db, notice.id)).result == {"notice_no": "125/TB-SYT"}

        decision = await open_task(db, wid, "retirement_decision")
        declared = (await hr.get(f"/api/tasks/{decision.id}")).json()
        assert declared["data"] == {"done": {"decision_no": "Số quyết định nghỉ hưu"}}
        answer = await hr.post(f"/api/tasks/{decision.id}/complete",
                               json={"outcome": "done", "data": {"decision_no": "45/QĐ-SYT"}})
        assert answer.status_code == 200, answer.text
        leaving = await until(lambda: transfer_of(db, person_id))
        assert (leaving.reason, leaving.decision_no) == ("retirement", "45/QĐ-SYT")
    finally:  # the dev server is shared by the session: end what this test started
        leaving = await transfer_of(db, person_id)
        for started in [handle] + ([dev_env.client.get_workflow_handle(leaving.workflow_id)] if leaving else []):
            try:
                running = (await started.describe()).status == WorkflowExecutionStatus.RUNNING
            except RPCError as err:  # the leaving's row is written before its workflow starts
                if err.status != RPCStatusCode.NOT_FOUND:
                    raise
                running = False
            if running:
                await started.terminate("end of test")
