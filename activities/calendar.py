"""Resolve a territory's public holidays from the `holidays` library, once, into the history.

The workflow then counts working days on these recorded dates: upgrading the library changes
new cycles, never the past of a running one.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from temporalio import activity

from spplus.calendar import WorkingCalendar
from spplus.holiday_source import working_calendar
from spplus.rules.models import RuleSet


class CalendarRequest(BaseModel):
    rules: RuleSet
    territory: str
    first_year: int
    last_year: int
    at: date


@activity.defn
async def resolve_calendar(request: CalendarRequest) -> WorkingCalendar:
    return working_calendar(request.rules, request.territory, request.first_year, request.last_year, request.at)
