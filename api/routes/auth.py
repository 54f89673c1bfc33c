from fastapi import APIRouter, Request
from pydantic import BaseModel

from api.deps import CurrentUser, SessionDep, StateDep
from api.schemas import Activated, LoggedIn, LoggedOut, Me, errors
from api.views import me_view
from services import auth

router = APIRouter(prefix="/api", tags=["auth"], responses=errors(401, 422, 423))


class LoginBody(BaseModel):
    username: str
    password: str


class ActivateBody(BaseModel):
    username: str
    code: str
    password: str


@router.post("/auth/login")
async def login(body: LoginBody, request: Request, session: SessionDep, state: StateDep) -> LoggedIn:
    user = await auth.login(session, state.settings, body.username, body.password)
    request.session.clear()
    request.session["uid"] = user.id
    return LoggedIn(username=user.username, full_name=user.full_name)


@router.post("/auth/logout")
async def logout(request: Request) -> LoggedOut:
    request.session.clear()
    return LoggedOut(ok=True)


@router.post("/auth/activate")
async def activate(body: ActivateBody, request: Request, session: SessionDep) -> Activated:
    user = await auth.activate(session, body.username, body.code, body.password)
    request.session.clear()
    request.session["uid"] = user.id
    return Activated(username=user.username)


@router.get("/me")
async def me(viewer: CurrentUser) -> Me:
    return me_view(viewer)
