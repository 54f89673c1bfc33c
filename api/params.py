"""What every route's input shares: ids within PostgreSQL's `integer` range, and text PostgreSQL can store.

A request whose path, query, JSON body or form holds a NUL character or an unpaired surrogate is refused with
422 before anything reaches the database (`refuse_unstorable_text`, a dependency of every route): PostgreSQL
stores neither in `text` nor in `jsonb`, and would otherwise answer with an error the app turns into a 500."""
import json
from typing import Annotated, Any

from fastapi import Path, Query, Request
from pydantic import Field
from starlette.datastructures import UploadFile

from services.errors import Invalid

MAX_ID = 2**31 - 1  # ids are PostgreSQL `integer` columns
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int, Query(ge=1, le=MAX_ID)]
IdField = Annotated[int, Field(ge=1, le=MAX_ID)]

JSON_TYPES = ("application/json",)
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
UNSTORABLE = "Dữ liệu chứa ký tự không hợp lệ (ký tự NUL hoặc mã Unicode không hoàn chỉnh); vui lòng nhập lại."


def storable(text: str) -> bool:
    """PostgreSQL can store the text: no NUL and no unpaired surrogate (paired ones are one character in Python)."""
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _strings(value: Any):
    """Every string in a parsed JSON value, keys included (iteratively: a deep document does not recurse)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


async def _request_strings(request: Request) -> list[Any]:
    values: list[Any] = [*request.path_params.values(), *request.query_params.keys(), *request.query_params.values()]
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in JSON_TYPES or content_type.endswith("+json"):
        try:
            values.append(json.loads(await request.body()))
        except (ValueError, RecursionError):
            pass  # not JSON: the route's own validation answers 422
    elif content_type in FORM_TYPES:
        form = await request.form()
        for key, value in form.multi_items():
            values += [key, (value.filename or "") if isinstance(value, UploadFile) else value]
    return values


async def refuse_unstorable_text(request: Request) -> None:
    """Dependency of every route (api/main.py): refuse what PostgreSQL cannot store, with a Vietnamese 422."""
    for value in await _request_strings(request):
        if not all(storable(text) for text in _strings(value)):
            raise Invalid(UNSTORABLE, "unstorable_text")


def id_of(text: str) -> int | None:
    """An id typed in a form or a page's query string: ASCII digits within range, else None («²» is no digit)."""
    text = text.strip()
    if not (0 < len(text) <= 10 and text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None
