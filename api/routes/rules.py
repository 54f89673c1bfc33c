from datetime import date

from fastapi import APIRouter, Query

from api.deps import SessionDep
from api.schemas import DeadlineView, errors
from rules.deadlines import compute_deadline
from rules.profiles import UnknownProfile, UnknownRule, get_profile
from services import deadlines
from services.errors import Invalid

router = APIRouter(prefix="/api", tags=["rules"], responses=errors(422))
EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)


@router.get("/deadline")
async def deadline(session: SessionDep, profile: str = Query(...), rule: str = Query(...),
                   start: str = Query(..., description="YYYY-MM-DD")) -> DeadlineView:
    """The due date of a rule under a province's profile (the version in force on START)."""
    try:
        start_day = date.fromisoformat(start)
    except ValueError as err:
        raise Invalid("Ngày bắt đầu phải có dạng YYYY-MM-DD.", "bad_date") from err
    if not EARLIEST <= start_day <= LATEST:  # counting days from 9999-12-31 would leave the calendar
        raise Invalid(f"Ngày bắt đầu phải từ {EARLIEST:%d/%m/%Y} đến {LATEST:%d/%m/%Y}.", "bad_date")
    try:
        chosen = get_profile(profile, on=start_day)
        chosen.rule(rule)
    except UnknownProfile as err:
        raise Invalid(str(err), "unknown_profile", valid=list(err.valid)) from err
    except UnknownRule as err:
        raise Invalid(str(err), "unknown_rule", valid=list(err.valid)) from err
    result = compute_deadline(chosen, rule, start_day, await deadlines.working_calendar(session=session))
    rule_obj = chosen.rule(rule)
    return DeadlineView(
        due=result.due if result else None, opens=result.opens if result else None,
        legal_basis=result.legal_basis if result else rule_obj.legal_basis,
        rule=rule, profile=chosen.name, profile_version=chosen.version, kind=rule_obj.kind, actor=rule_obj.actor,
        counts_from=rule_obj.counts_from, counts_from_label=rule_obj.counts_from_label,
    )
