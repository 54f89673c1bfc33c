"""What every page shares: templates and their filters, rendering, CSRF, flashes, the error page."""
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from api.deps import SESSION_KEY
from models.accounts import ROLES
from services import notify
from services.errors import DomainError, Forbidden
from services.scope import Viewer
from ui.formats import file_size, iso_date, vn_date, vn_datetime
from ui.views import cv_rows, cv_value, may_delegate, may_see_approvals, may_see_sync

HERE = Path(__file__).resolve().parent
CSRF_FIELD = "csrf"
CSRF_EXPIRED = "Phiên làm việc đã hết hạn, vui lòng tải lại trang."
STATUS_TITLES = {400: "Yêu cầu không hợp lệ", 401: "Chưa đăng nhập", 403: "Không có quyền truy cập",
                 404: "Không tìm thấy", 409: "Xung đột dữ liệu", 422: "Dữ liệu không hợp lệ",
                 413: "Dữ liệu quá lớn", 429: "Vui lòng thử lại sau"}


templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters["vn_date"] = vn_date
templates.env.filters["vn_datetime"] = vn_datetime
templates.env.filters["iso_date"] = iso_date
templates.env.globals["ROLES"] = ROLES
templates.env.globals["cv_rows"] = cv_rows
templates.env.globals["cv_value"] = cv_value
templates.env.filters["filesize"] = file_size
templates.env.globals["may_see_approvals"] = may_see_approvals
templates.env.globals["may_delegate"] = may_delegate
templates.env.globals["may_see_sync"] = may_see_sync


def static_files() -> StaticFiles:
    return StaticFiles(directory=str(HERE / "static"))


# ---- CSRF and flashes -------------------------------------------------------------------------

def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_FIELD)
    if not token:
        token = request.session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token


async def check_csrf(request: Request) -> None:
    """Dependency of every UI POST route: the form's token must be this session's."""
    form = await request.form()
    sent = str(form.get(CSRF_FIELD) or "")
    expected = request.session.get(CSRF_FIELD)
    if not expected or not secrets.compare_digest(sent, expected):
        raise Forbidden(CSRF_EXPIRED, "csrf_failed")


def flash(request: Request, message: str, kind: str = "ok") -> None:
    request.session.setdefault("flash", []).append([kind, message])
    request.session["flash"] = request.session["flash"]  # mark the session modified


def pop_flashes(request: Request) -> list[list[str]]:
    return request.session.pop("flash", None) or []


def safe_next(target: str | None) -> str:
    """Only same-site paths: never an open redirect."""
    target = (target or "").strip()
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc or "\\" in target:
        return "/"
    return target


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# ---- rendering --------------------------------------------------------------------------------

async def _unread_count(request: Request, viewer: Viewer) -> int:
    async with request.app.state.hoso.db.session() as session:
        return sum(1 for note in await notify.unread(viewer.user_id, session=session) if note.read_at is None)


async def render(request: Request, name: str, *, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    """A page with what the layout needs: viewer, CSRF token, flashes, notification count."""
    viewer: Viewer | None = ctx.get("viewer")
    ctx.setdefault("viewer", None)
    ctx["csrf"] = csrf_token(request)
    ctx["flashes"] = pop_flashes(request)
    ctx["notification_count"] = await _unread_count(request, viewer) if viewer else 0
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


def _back(request: Request) -> str | None:
    """The same-site page the request came from (the error page's «Quay lại» without JavaScript)."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc:
        return None
    target = safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))
    return target if referer.path else None


def error_page(request: Request, err: DomainError) -> HTMLResponse:
    """The page for a refusal (called synchronously by the app's exception handler)."""
    ctx = {"viewer": None, "logged_in": bool(request.session.get(SESSION_KEY)), "csrf": csrf_token(request),
           "flashes": [], "notification_count": 0, "message": err.message,
           "title": STATUS_TITLES.get(err.status, "Không thực hiện được"), "status": err.status,
           "back": _back(request)}
    return templates.TemplateResponse(request, "errors/error.html", ctx, status_code=err.status)
