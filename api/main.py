"""The web app: JSON API and HTML pages over the same services."""
import asyncio
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import psycopg
import sqlalchemy.exc
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError

from api import security
from api.routes import admin, auth, org, records, rules, work
from api.routes import codec, histories, scorecards
from api.routes import mergers  # unit mergers (issue 6, case 7)
from api.routes import transfers  # transfers, arrivals, leavings (issue 6, cases 1-5)
from api.routes import audit as audit_routes  # the audit log's hash chain and exports (issue 7)
from api.routes import backups as backup_routes  # the database backups (issue 7, item 5)
from api.routes import reports as report_routes  # periodic reports (issue 7, item 4)
from api.params import refuse_unstorable_text
from api.state import AppState
from core.config import ProductionRefused, Settings, get_settings
from core.db import Database
from core.logging import configure_logging, log
from services.errors import Conflict, DomainError, Invalid
from services.tasks import MAX_PAGE_SIZE

FIELD_LABELS = {
    "full_name": "họ và tên", "sex": "giới tính", "date_of_birth": "ngày sinh", "citizen_id": "số CCCD",
    "unit_id": "đơn vị", "hired_on": "ngày tuyển dụng", "kind": "loại", "username": "tên đăng nhập",
    "password": "mật khẩu", "outcome": "kết quả", "day": "ngày", "working": "loại ngày",
    "status": "trạng thái", "scope": "phạm vi", "month": "tháng", "q": "từ khóa tìm kiếm", "data": "dữ liệu",
    "person_id": "mã hồ sơ", "task_id": "mã nhiệm vụ", "revision_id": "mã bản cập nhật",
    "approval_id": "mã đợt phê duyệt", "delegation_id": "mã văn bản ủy quyền", "user_id": "mã tài khoản",
    "decisions": "quyết định phê duyệt", "reasons": "lý do trả lại", "comment": "ý kiến",
    "change_date": "ngày thay đổi", "reason": "nội dung thay đổi", "decision_no": "số quyết định",
    "delegate": "người được ủy quyền", "document_no": "số văn bản", "valid_from": "ngày bắt đầu hiệu lực",
    "valid_to": "ngày hết hiệu lực", "source": "văn bản căn cứ", "note": "ghi chú", "email": "thư điện tử",
    "file": "tệp đính kèm", "work_history": "quá trình công tác", "salary_step": "bậc lương",
    "to_unit_id": "đơn vị đến", "effective_on": "ngày văn bản có hiệu lực", "person": "người chuyển đến",
    "paper_file_on": "ngày có hồ sơ giấy hợp lệ", "transfer_id": "mã điều chuyển",
    "limit": f"số nhiệm vụ mỗi trang (từ 1 đến {MAX_PAGE_SIZE})", "offset": "vị trí bắt đầu của trang (từ 0)",
}
# PostgreSQL integrity errors (SQLSTATE class 23) that reach a request: a unique index won a race the service's own
# check lost (409, as the sequential duplicate), a reference to a missing record (422) or one still in use (409).
UNIQUE_VIOLATION, FOREIGN_KEY_VIOLATION = "23505", "23503"


def create_app(settings: Settings | None = None, *, db: Database | None = None, temporal: Client | None = None,
               task_queue: str | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(json=settings.is_prod)
    _refuse_unsafe_production(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        state: AppState = app.state.hoso
        if state.db is None:
            from core.devstack import database_url, temporal_address
            state.db = Database(database_url(settings))
            state.temporal_address = temporal_address(settings)
        yield
        if db is None:
            await state.db.dispose()

    app = FastAPI(title="Hồ sơ CBCCVC", version="0.1.0", lifespan=lifespan,
                  description="Cơ sở dữ liệu cán bộ, công chức, viên chức của tỉnh — API",
                  dependencies=[Depends(refuse_unstorable_text)])  # api/params.py: no NUL or lone surrogate
    app.state.hoso = AppState(settings=settings, db=db, temporal=temporal,
                              task_queue=task_queue or settings.task_queue)
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key, session_cookie="hoso_session",
                       max_age=8 * 3600, same_site="lax", https_only=settings.is_prod)
    _add_error_handlers(app)
    security.install(app, settings)  # headers, body limit (api/security.py)
    for module in (auth, org, work, records, rules, admin, histories, scorecards):
        app.include_router(module.router)
    app.include_router(mergers.router)
    app.include_router(transfers.router)
    app.include_router(audit_routes.router)
    app.include_router(backup_routes.router)
    app.include_router(report_routes.router)
    codec.install(app, settings)  # the data key ring; /codec for the Temporal Web UI (docs/data-protection.md)
    from ui.routes import router as ui_router
    app.include_router(ui_router)
    from ui.web import static_files
    app.mount("/static", static_files(), name="static")

    @app.get("/healthz", include_in_schema=False)
    async def healthz(request: Request):
        """200 when the database answers, Temporal answers and a worker polls the task queue; else 503,
        with "lỗi: ..." for each failing part."""
        state: AppState = request.app.state.hoso
        checks = {"database": await _check(_database_answers(state)), "temporal": await _check(_temporal_answers(state))}
        if checks["temporal"] == "ok":
            checks["worker"] = await _check(_worker_polls(state))
        else:
            checks["worker"] = "lỗi: không kiểm tra được vì Temporal không phản hồi"
        healthy = all(v == "ok" for v in checks.values())
        return JSONResponse(checks, status_code=200 if healthy else 503)

    return app


# The database cannot be reached (stopped, restarting, network) or gave up on the query: the request answers 503
# and its unit of work was rolled back.
DATABASE_UNAVAILABLE = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError, sqlalchemy.exc.TimeoutError,
                        psycopg.OperationalError, psycopg.InterfaceError)
HEALTH_TIMEOUT = 5.0  # seconds per check: a load balancer's probe must not hang on a blackholed server
# DescribeTaskQueue lists pollers for minutes after they are gone; one seen within this window counts. An idle
# worker's long poll is renewed about every 60 s (the server's long-poll expiry) and its time is recorded when the
# poll begins (measured: up to 60 s old on an idle worker), so the window leaves a margin over that.
POLLER_WINDOW = timedelta(seconds=90)


class Unhealthy(Exception):
    """A check failed for a reason worth saying in Vietnamese."""


async def _check(probe) -> str:
    try:
        await asyncio.wait_for(probe, HEALTH_TIMEOUT)
        return "ok"
    except Unhealthy as err:
        return f"lỗi: {err}"
    except TimeoutError:
        return f"lỗi: không phản hồi sau {HEALTH_TIMEOUT:g} giây"
    except Exception as err:  # noqa: BLE001 - reported, not raised
        return f"lỗi: {type(err).__name__}"


async def _database_answers(state: AppState) -> None:
    async with state.db.session() as session:
        await session.execute(text("SELECT 1"))


async def _temporal_answers(state: AppState) -> None:
    client = await state.client()
    await client.service_client.check_health()


async def _worker_polls(state: AppState) -> None:
    """A worker has polled the task queue for workflow tasks within POLLER_WINDOW (Temporal's DescribeTaskQueue)."""
    client = await state.client()
    response = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
        namespace=client.namespace, task_queue=TaskQueue(name=state.task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW))
    since = datetime.now(UTC) - POLLER_WINDOW
    if not any(p.last_access_time.ToDatetime(tzinfo=UTC) >= since for p in response.pollers):
        raise Unhealthy(f"không có worker nào nhận việc trên hàng đợi {state.task_queue!r} "
                        f"trong {POLLER_WINDOW.seconds} giây qua")


def _refuse_unsafe_production(settings: Settings) -> None:
    """HOSO_ENV=prod with a development secret key or an implicit development CA: no app (uvicorn exits 1)."""
    try:
        settings.refuse_unsafe_production()
    except ProductionRefused as refused:
        log.error("startup.refused", reason=str(refused))
        raise
    if settings.is_prod and settings.signing_dev_ca:
        log.warning("signing.dev_ca_in_production", detail="HOSO_SIGNING_DEV_CA=true: chữ ký bằng CA phát triển")


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api")


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, err: DomainError):
        if _wants_html(request):
            if err.status == 401:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
            from ui.web import error_page
            return error_page(request, err)
        log.info("request.refused", path=request.url.path, code=err.code)
        return JSONResponse({"detail": err.message, "code": err.code, **err.extra}, status_code=err.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException):
        messages = {404: "Không tìm thấy địa chỉ này.", 405: "Phương thức không được hỗ trợ."}
        message = messages.get(err.status_code, "Yêu cầu không hợp lệ.")
        code = {404: "not_found", 405: "method_not_allowed"}.get(err.status_code, "http_error")
        return await domain_error(request, DomainError(message, code, status=err.status_code))

    @app.exception_handler(RPCError)
    async def temporal_unavailable(request: Request, err: RPCError):
        log.warning("temporal.unavailable", path=request.url.path, error=str(err))
        return await domain_error(request, DomainError(
            "Hệ thống quy trình tạm thời không phản hồi; vui lòng thử lại.", "workflow_unavailable", status=503))

    async def database_unavailable(request: Request, err: Exception):
        log.warning("database.unavailable", path=request.url.path, error=type(err).__name__, detail=str(err)[:300])
        return await domain_error(request, DomainError(
            "Cơ sở dữ liệu tạm thời không phản hồi; dữ liệu chưa được lưu, vui lòng thử lại sau ít phút.",
            "database_unavailable", status=503))

    for unreachable in DATABASE_UNAVAILABLE:
        app.add_exception_handler(unreachable, database_unavailable)

    @app.exception_handler(sqlalchemy.exc.IntegrityError)
    async def integrity_error(request: Request, err: sqlalchemy.exc.IntegrityError):
        state = getattr(err.orig, "sqlstate", None)
        diag = getattr(err.orig, "diag", None)
        log.warning("database.integrity", path=request.url.path, sqlstate=state,
                    constraint=getattr(diag, "constraint_name", None))
        if state == UNIQUE_VIOLATION:
            refusal = Conflict("Dữ liệu này vừa được ghi nhận (trùng với một bản ghi đã có); vui lòng tải lại "
                               "trang và kiểm tra trước khi thử lại.", "conflict")
        elif state == FOREIGN_KEY_VIOLATION and "still referenced" in (getattr(diag, "message_detail", "") or ""):
            refusal = Conflict("Bản ghi này đang được dữ liệu khác sử dụng nên không thay đổi được.", "in_use")
        elif state == FOREIGN_KEY_VIOLATION:
            refusal = Invalid("Dữ liệu tham chiếu đến một bản ghi không tồn tại.", "unknown_reference")
        else:
            refusal = Invalid("Dữ liệu không hợp lệ: thiếu hoặc sai một mục bắt buộc.", "invalid_data")
        return await domain_error(request, refusal)

    @app.exception_handler(sqlalchemy.exc.DataError)
    async def data_error(request: Request, err: sqlalchemy.exc.DataError):
        """PostgreSQL refused a value (out of range, too long, not storable): bad input that got past the checks."""
        log.warning("database.data_refused", path=request.url.path, sqlstate=getattr(err.orig, "sqlstate", None),
                    detail=str(err.orig)[:300])
        return await domain_error(request, Invalid("Dữ liệu không hợp lệ: có giá trị vượt quá giới hạn cho phép.",
                                                   "invalid_data"))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, err: RequestValidationError):
        problems = []
        for item in err.errors():
            field = next((str(p) for p in reversed(item["loc"]) if isinstance(p, str) and p != "body"), "dữ liệu")
            problems.append(f"{FIELD_LABELS.get(field, field)} {'bị thiếu' if item['type'] == 'missing' else 'không hợp lệ'}")
        message = "Dữ liệu không hợp lệ: " + "; ".join(problems) + "."
        return await domain_error(request, Invalid(message, "invalid_request"))  # pages get the error page
