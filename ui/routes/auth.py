"""Login, logout and first activation of an account."""
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request

from api.deps import SESSION_KEY, SessionDep, StateDep, session_token
from services import auth
from services.errors import DomainError
from ui.web import check_csrf, csrf_token, flash, redirect, render, safe_next

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)


async def _start_session(request: Request, session, state, user_id: int) -> None:
    """A new server-side session; the cookie holds only its token (and a fresh CSRF token)."""
    token = await auth.start_session(state.settings, user_id, session=session)
    request.session.clear()
    request.session[SESSION_KEY] = token
    csrf_token(request)


@router.get("/login")
async def login_form(request: Request, next: str = "/"):
    return await render(request, "auth/login.html", next=safe_next(next), username="")


@router.post("/login", dependencies=[Csrf])
async def login(request: Request, session: SessionDep, state: StateDep, username: Annotated[str, Form()] = "",
                password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"):
    try:
        user = await auth.login(state.settings, username, password,
                                address=request.client.host if request.client else None, session=session)
    except DomainError as err:  # a failed attempt's count is kept: no rollback
        page = await render(request, "auth/login.html", status_code=err.status, error=err.message,
                            next=safe_next(next), username=username)
        if isinstance(err, auth.LoginDelayed):
            page.headers["Retry-After"] = str(err.retry_after)
        return page
    await _start_session(request, session, state, user.id)
    return redirect(safe_next(next))


@router.post("/logout", dependencies=[Csrf])
async def logout(request: Request, session: SessionDep):
    await auth.end_session(session_token(request), session=session)
    request.session.clear()
    flash(request, "Bạn đã đăng xuất.")
    return redirect("/login")


@router.get("/activate")
async def activate_form(request: Request, username: str = ""):
    return await render(request, "auth/activate.html", username=username)


@router.post("/activate", dependencies=[Csrf])
async def activate(request: Request, session: SessionDep, state: StateDep, username: Annotated[str, Form()] = "",
                   code: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
                   password2: Annotated[str, Form()] = ""):
    async def again(message: str, status: int):
        return await render(request, "auth/activate.html", status_code=status, error=message, username=username)

    if password != password2:
        return await again("Hai lần nhập mật khẩu mới không khớp nhau.", 422)
    try:
        user = await auth.activate(username, code, password, session=session)
    except DomainError as err:
        await session.rollback()
        return await again(err.message, err.status)
    await _start_session(request, session, state, user.id)
    flash(request, "Tài khoản đã được kích hoạt. Chào mừng bạn đến với Hồ sơ.")
    return redirect("/")
