"""What a step kind declares, and the defaults most kinds share."""
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from models import Person, Task, Unit
from services.errors import Invalid
from services.scope import Viewer
from services.signing import ToSign
from workflows.contracts import CompleteTaskInput, OpenTaskInput, TaskResult


@dataclass(frozen=True)
class Outcome:
    label: str                                           # Vietnamese, shown on buttons and in results
    needs: Mapping[str, str] = field(default_factory=dict)  # data field → Vietnamese label


@dataclass
class Prepared:
    """What the web side sends in the Update, and what is shown once to the actor (never stored)."""
    data: dict[str, Any]
    shown_once: str | None = None


@dataclass(frozen=True)
class DynamicActors:
    """Actors that change while the task is open (written delegations): who they are on a day, and
    the check of one user's capacity on a day (raises Forbidden)."""
    extra: Callable[[AsyncSession, int, date], Awaitable[dict[int, str]]]
    check: Callable[[AsyncSession, int, int, date], Awaitable[Any]]


Effect = Callable[[AsyncSession, Settings, Task, CompleteTaskInput, datetime], Awaitable[dict[str, Any]]]
Prepare = Callable[[AsyncSession, Task, str, dict], Awaitable[Prepared]]
PageContext = Callable[[AsyncSession, Viewer, Task, Person | None], Awaitable[dict[str, Any]]]
Title = Callable[[AsyncSession, str, OpenTaskInput, Person | None], Awaitable[str]]
FormData = Callable[[Any], tuple[dict[str, Any], dict[str, Any]]]
Milestone = Callable[[AsyncSession, Task], Awaitable[None]]
Document = Callable[[AsyncSession, Settings, Task, CompleteTaskInput, datetime], Awaitable[ToSign]]
# the effect with the signature made inside it, while its writes run: the signed PDF and the result
EffectSigning = Callable[[AsyncSession, Settings, Task, CompleteTaskInput, ToSign, datetime],
                         Awaitable[tuple[bytes, dict[str, Any]]]]


async def comment_only(session: AsyncSession, task: Task, outcome: str, data: dict) -> Prepared:
    return Prepared({"comment": str(data.get("comment") or "").strip()})


async def person_title(session: AsyncSession, label: str, inp: OpenTaskInput, person: Person | None) -> str:
    return f"{label}: {person.full_name}" if person else label


async def month_title(session: AsyncSession, label: str, inp: OpenTaskInput, person: Person | None) -> str:
    """«… 05/2026: unit» for the steps of a month (workflow id …/{yyyy-mm})."""
    unit = await session.get(Unit, inp.unit_id)
    month = inp.workflow_id.rsplit("/", 1)[-1]
    return f"{label} {month[5:]}/{month[:4]}: {unit.name}"


def plain_form(form) -> tuple[dict[str, Any], dict[str, Any]]:
    """(data for the completion, values to show again after a refusal) of a plain task form."""
    username, comment = str(form.get("username") or ""), str(form.get("comment") or "")
    data: dict[str, Any] = {"username": username} if username else {}
    if comment:
        data["comment"] = comment
    return data, {"username": username, "comment": comment}


def numbered_document(field: str, check: Callable[[Any], str]) -> tuple[FormData, Prepare]:
    """The form reader and the web-side check of a step whose outcome records a document's number in `field`
    (checked by `check`, which raises Invalid), with an optional comment."""
    def form_data(form) -> tuple[dict[str, Any], dict[str, Any]]:
        number, comment = str(form.get(field) or ""), str(form.get("comment") or "")
        data: dict[str, Any] = {field: number}
        if comment:
            data["comment"] = comment
        return data, {field: number, "comment": comment}

    async def prepare(session: AsyncSession, task: Task, outcome: str, data: dict) -> Prepared:
        return Prepared({field: check(data.get(field)), "comment": str(data.get("comment") or "").strip()})
    return form_data, prepare


def done_label(kind: "StepKind", result: TaskResult) -> str:
    return kind.outcomes[result.outcome].label


def require_comment_on_return(message: str) -> Prepare:
    """A return must say why (the person gets it with the returned record)."""
    async def prepare(session: AsyncSession, task: Task, outcome: str, data: dict) -> Prepared:
        prepared = await comment_only(session, task, outcome, data)
        if outcome == "return" and not prepared.data["comment"]:
            raise Invalid(message, "missing_comment")
        return prepared
    return prepare


@dataclass(frozen=True)
class StepKind:
    name: str
    title: str                                  # Vietnamese label of the kind
    outcomes: Mapping[str, Outcome]             # the forward path first
    effect: Effect                              # applied by the completing activity, in its transaction
    partial: str                                # the form on the task page, for those who may act
    prepare: Prepare = comment_only             # web-side checks and payload, before the Update
    titled: Title = person_title
    dynamic_actors: DynamicActors | None = None
    page_context: PageContext | None = None     # extra context of the partials
    watch_partial: str | None = None            # shown to those who may only watch
    form_data: FormData = plain_form
    done_message: Callable[["StepKind", TaskResult], str] = done_label
    on_milestone: Mapping[str, Milestone] = field(default_factory=dict)  # e.g. escalate_sonoivu
    # what the signing activity signs before the completion (its own activity, timeout and retries)
    document: Document | None = None
    # the effect and the signature in one transaction, for a key held in the worker (services/tasks.sign_and_complete)
    effect_signing: EffectSigning | None = None

    def outcome_label(self, outcome: str | None) -> str | None:
        return self.outcomes[outcome].label if outcome in self.outcomes else outcome

    def needs(self) -> dict[str, dict[str, str]]:
        return {name: dict(outcome.needs) for name, outcome in self.outcomes.items()}
