from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.state import AppState
from services import auth
from services.errors import DomainError, Forbidden
from services.scope import Viewer


class NotLoggedIn(DomainError):
    status = 401


def app_state(request: Request) -> AppState:
    return request.app.state.hoso


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed when the route returns, before the response is sent
    (scope "function"), so a redirect's next page sees what the route wrote."""
    async with app_state(request).db.session() as session:
        yield session


async def state_of(request: Request) -> AppState:
    """app_state as a dependency: async, so FastAPI calls it in the event loop, not in a worker thread."""
    return app_state(request)


READ_METHODS = {"GET", "HEAD", "OPTIONS"}
SessionDep = Annotated[AsyncSession, Depends(db_session, scope="function")]
StateDep = Annotated[AppState, Depends(state_of)]


SESSION_KEY = "sid"  # the signed cookie holds the session's token (and CSRF, flashes); the identity is the row


def session_token(request: Request) -> str | None:
    return request.session.get(SESSION_KEY)


async def current_viewer(request: Request, session: SessionDep, state: StateDep) -> Viewer:
    """The viewer of a live server-side session (services/auth.session_viewer); else 401."""
    viewer = await auth.session_viewer(state.settings, session_token(request), session=session)
    if viewer is None:
        raise NotLoggedIn("Vui lòng đăng nhập.", "not_authenticated")
    if viewer.read_only and request.method not in READ_METHODS:
        raise Forbidden("Thanh tra chỉ được xem, không được thay đổi dữ liệu.", "read_only")
    return viewer


CurrentUser = Annotated[Viewer, Depends(current_viewer)]


async def temporal_client(request: Request) -> Client:
    return await app_state(request).client()


TemporalDep = Annotated[Client, Depends(temporal_client)]

