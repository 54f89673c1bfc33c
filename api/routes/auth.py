from fastapi import APIRouter, Request
from pydantic import BaseModel

from api.deps import SESSION_KEY, CurrentUser, SessionDep, StateDep, session_token
from api.schemas import Activated, LoggedIn, LoggedOut, Me, errors
from api.views import me_view
from services import auth

router = APIRouter(prefix="/api", tags=["auth"], responses=errors(401, 422, 429))


class LoginBody(BaseModel):
    username: str
    password: str


class ActivateBody(BaseModel):
    username: str
    code: str
    password: str


async def _sign_in(request: Request, session, state, user_id: int) -> None:
    """A new server-side session; the cookie holds only its token."""
    token = await auth.start_session(state.settings, user_id, session=session)
    request.session.clear()
    request.session[SESSION_KEY] = token


@router.post("/auth/login")
async def login(body: LoginBody, request: Request, session: SessionDep, state: StateDep) -> LoggedIn:
    """Wrong credentials: 401, the same for an unknown user. Repeated failures on the account or from the
    client's address: 429 with `Retry-After` (and `retry_after`, in seconds) until the delay has passed."""
    user = await auth.login(state.settings, body.username, body.password,
                            address=request.client.host if request.client else None, session=session)
    await _sign_in(request, session, state, user.id)
    return LoggedIn(username=user.username, full_name=user.full_name)


@router.post("/auth/logout")
async def logout(request: Request, session: SessionDep) -> LoggedOut:
    """Ends the session: its cookie no longer works, even if kept."""
    await auth.end_session(session_token(request), session=session)
    request.session.clear()
    return LoggedOut(ok=True)


@router.post("/auth/activate")
async def activate(body: ActivateBody, request: Request, session: SessionDep, state: StateDep) -> Activated:
    """Sets the password with the one-time code; every earlier session of the account ends."""
    user = await auth.activate(body.username, body.code, body.password, session=session)
    await _sign_in(request, session, state, user.id)
    return Activated(username=user.username)


@router.get("/me")
async def me(viewer: CurrentUser) -> Me:
    return me_view(viewer)
