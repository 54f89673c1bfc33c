"""HR creates the person's login and hands over a one-time activation code."""
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from unidecode import unidecode

from core.config import Settings
from models import Person, Task, User
from services import auth
from services.errors import Conflict, Invalid
from services.scope import Viewer
from services.steps.base import Outcome, Prepared, StepKind
from workflows.contracts import CompleteTaskInput

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


def suggest_username(full_name: str) -> str:
    """«Nguyễn Văn An» → «an.nguyenvan»: given name, dot, the rest, without diacritics."""
    words = ["".join(ch for ch in unidecode(word).lower() if ch.isalnum()) for word in full_name.split()]
    words = [w for w in words if w]
    if len(words) <= 1:
        return words[0] if words else ""
    return f"{words[-1]}.{''.join(words[:-1])}"


async def prepare(session: AsyncSession, task: Task, outcome: str, data: dict) -> Prepared:
    """The code is made here and only its keyed hash travels: it never enters workflow history."""
    username = str(data.get("username") or "").strip().lower()
    if not username:
        raise Invalid("Nhập tên đăng nhập cho cá nhân.", "missing_username")
    code = auth.new_activation_code()
    return Prepared({"username": username, "activation_hash": auth.hash_activation_code(code)}, shown_once=code)


async def effect(session: AsyncSession, settings: Settings, task: Task, inp: CompleteTaskInput,
                 now: datetime) -> dict[str, Any]:
    """Create the person's login with the one-time code's hash."""
    username = str(inp.data.get("username", "")).strip().lower()
    if not USERNAME.match(username):
        raise Invalid("Tên đăng nhập gồm 3-64 ký tự chữ thường không dấu, số, dấu chấm, gạch.", "bad_username")
    code_hash = inp.data.get("activation_hash")
    if not code_hash:
        raise Invalid("Thiếu mã kích hoạt.", "missing_activation")
    person = await session.get(Person, task.subject_person_id)
    # the login of that name and the person's own login, in one round trip
    logins = (await session.execute(select(User.username, User.person_id).where(
        or_(User.username == username, User.person_id == person.id)))).all()
    if any(name == username and owner != person.id for name, owner in logins):
        raise Conflict(f"Tên đăng nhập «{username}» đã được dùng.", "username_taken")
    held = next((name for name, owner in logins if owner == person.id), None)
    if held is not None and held != username:
        raise Conflict(f"Người này đã có tài khoản «{held}».", "account_exists")
    if held is None:
        session.add(User(
            username=username, full_name=person.full_name, email=person.email, unit_id=person.unit_id,
            person_id=person.id, activation_hash=code_hash,
            activation_expires=now + timedelta(days=settings.activation_valid_days),
        ))
        await session.flush()
    return {"username": username}


async def page_context(session: AsyncSession, viewer: Viewer, task: Task, person: Person | None) -> dict:
    return {"form_defaults": {"username": suggest_username(person.full_name)}} if person else {}


KIND = StepKind(
    name="create_account",
    title="Tạo lập tài khoản cá nhân",
    outcomes={"done": Outcome("Đã tạo và bàn giao tài khoản", {"username": "Tên đăng nhập cho cá nhân"})},
    effect=effect,
    prepare=prepare,
    page_context=page_context,
    partial="tasks/_create_account.html",
)
