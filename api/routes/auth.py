from fastapi import APIRouter, Request
from pydantic import BaseModel

from api.deps import CurrentUser, SessionDep, StateDep
from services import auth

router = APIRouter(prefix="/api", tags=["auth"])


class LoginBody(BaseModel):
    username: str
    password: str


class ActivateBody(BaseModel):
    username: str
    code: str
    password: str


def me_view(viewer) -> dict:
    return {"username": viewer.username, "full_name": viewer.full_name, "roles": sorted(viewer.roles),
            "unit_id": viewer.unit_id, "person_id": viewer.person_id}


@router.post("/auth/login")
async def login(body: LoginBody, request: Request, session: SessionDep, state: StateDep) -> dict:
    user = await auth.login(session, state.settings, body.username, body.password)
    request.session.clear()
    request.session["uid"] = user.id
    return {"username": user.username, "full_name": user.full_name}


@router.post("/auth/logout")
async def logout(request: Request) -> dict:
    request.session.clear()
    return {"ok": True}


@router.post("/auth/activate")
async def activate(body: ActivateBody, request: Request, session: SessionDep) -> dict:
    user = await auth.activate(session, body.username, body.code, body.password)
    request.session.clear()
    request.session["uid"] = user.id
    return {"username": user.username}


@router.get("/me")
async def me(viewer: CurrentUser) -> dict:
    return me_view(viewer)
