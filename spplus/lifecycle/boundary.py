"""What every event must satisfy before any step's own checks: its size, the cycle's budget, its dates.

A cycle carries its whole state through continue-as-new, so the state must stay under Temporal's
2 MB payload limit whatever is sent, and every date an event carries must lie where the cycle's
pinned rules and calendar can compute with it — a date they cannot handle would fail the workflow
task after the validator let it through. Limits: :mod:`spplus.limits`.

Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from ..limits import MAX_CANDIDACY_BYTES, MAX_EVENT_BYTES, MAX_EVENTS_PER_CYCLE, MAX_STATE_BYTES
from ..rules.models import RuleSet
from ..rules.span import rules_apply_from
from .common import refuse
from .state import CycleRecord


def check_boundary(state: CycleRecord, envelope: BaseModel) -> None:
    """Refuse an event too large, one past the cycle's budget, or one dated where the rules cannot reach.

    Raises :class:`~spplus.lifecycle.common.EventRefused` naming the limit and, for a date, the field.
    """
    size = len(envelope.model_dump_json().encode())
    if size > MAX_EVENT_BYTES:
        refuse(f"the event is {size:,} bytes; an event is at most {MAX_EVENT_BYTES:,} bytes (texts and lists have their own limits)")
    recorded = sum(1 for entry in state.timeline if entry.event_id)
    if recorded >= MAX_EVENTS_PER_CYCLE:
        refuse(f"this cycle has recorded {recorded} events, the most one cycle records ({MAX_EVENTS_PER_CYCLE}); "
               "ask the engine's operators")
    held = len(state.model_dump_json(exclude={"rules", "calendar"}).encode())
    if held + 2 * size > MAX_STATE_BYTES:
        refuse(f"this cycle's record holds {held:,} bytes and may not pass {MAX_STATE_BYTES:,}: the event is refused; "
               "ask the engine's operators")
    check_dates(state, getattr(envelope, "event"), "")


def check_dates(state: CycleRecord, model: BaseModel, prefix: str) -> None:
    """Every date of ``model`` (nested models included) between the day the rules apply from and the
    last day of the working calendar the cycle pinned."""
    floor = max(rules_apply_from(state.rules), date(state.calendar.first_year, 1, 1))
    ceiling = date(state.calendar.last_year, 12, 31)
    for name in type(model).model_fields:
        value = getattr(model, name)
        field = f"{prefix}{name}"
        if isinstance(value, date):
            if value < floor:
                refuse(f"{field}: {value.isoformat()} is before {floor.isoformat()}, the first day this cycle's rules "
                       f"(edition {state.rules.edition_id}) and calendar speak about", field)
            if value > ceiling:
                refuse(f"{field}: {value.isoformat()} is after {ceiling.isoformat()}, the last day of the working calendar "
                       f"this cycle holds ({state.calendar.first_year}–{state.calendar.last_year}); "
                       "a later date is taken once the cycle renews", field)
        elif isinstance(value, BaseModel):
            check_dates(state, value, f"{field}.")


def candidacy_problems(candidacy: BaseModel, rules: RuleSet, today: date) -> list[str]:
    """Why a candidacy (local or central) cannot open a cycle on ``rules``; empty when it can.

    Checked before any workflow starts, so a cycle never fails while it opens: its size, its
    territory (and each local service's) among the rules' territories, its contract signed on a day
    the rules speak about and not after ``today``.
    """
    problems: list[str] = []
    size = len(candidacy.model_dump_json().encode())
    if size > MAX_CANDIDACY_BYTES:
        problems.append(f"the candidacy is {size:,} bytes; a candidacy is at most {MAX_CANDIDACY_BYTES:,} bytes")
    signed: date = getattr(candidacy, "contract_signed")
    floor = rules_apply_from(rules)
    if signed < floor:
        problems.append(f"contract_signed: {signed.isoformat()} is before {floor.isoformat()}, the day the rules "
                        f"(edition {rules.edition_id}) apply from")
    elif signed > today:
        problems.append(f"contract_signed: {signed.isoformat()} is in the future (today is {today.isoformat()}); "
                        "start the candidacy once the contract is signed")
    at = min(max(signed, floor), today)
    known = [t.id for t in rules.calendars.territories.at(max(at, floor))]
    places = [("territory", getattr(candidacy, "territory"))] + [
        (f"local_services.{i}.territory", local.territory) for i, local in enumerate(getattr(candidacy, "local_services", []))]
    for field, territory in places:
        if territory not in known:
            problems.append(f"{field}: unknown territory {territory!r}; the territories are {', '.join(known)}")
            break
    return problems
