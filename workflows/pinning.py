"""Pin a cycle's rules edition and its territory's working calendar, once, into its history.

The calendar holds the territory's holidays and its legal time (the time zone's UTC offsets over
the pinned years): the cycle's « today » and the hour its days begin come from it, never from the
worker's tz database (see `workflows/search.py`).

Since the first release a cycle opens with one local activity, `pin_rules_and_calendar`: the
worker reads the edition (parsed once per process) and the holidays in the same workflow task, and
the result is recorded as a marker. Cycles opened earlier ran two activities; the patch keeps
their histories replaying exactly as they ran (Temporal's `patched`, see `tests/test_replay.py`).
"""

from __future__ import annotations

from datetime import date, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.calendar import CalendarRequest, resolve_calendar
    from activities.rules import PinRequest, RulesRequest, load_rules_edition, pin_rules_and_calendar
    from spplus.calendar import WorkingCalendar
    from spplus.rules.models import RuleSet

PIN_IN_ONE_STEP = "pin-rules-and-calendar-in-one-local-activity"

# An engine operating parameter, not a label rule: how long reading the rules may take.
RULES_TIMEOUT = timedelta(seconds=60)


async def pin_rules(edition: str | None, territory: str, first_year: int, last_year: int,
                    at: date) -> tuple[RuleSet, WorkingCalendar]:
    """The edition and the territory's calendar, recorded in the history."""
    if workflow.patched(PIN_IN_ONE_STEP):
        pinned = await workflow.execute_local_activity(
            pin_rules_and_calendar,
            PinRequest(edition=edition, territory=territory, first_year=first_year, last_year=last_year, at=at),
            start_to_close_timeout=RULES_TIMEOUT,
        )
        return pinned.rules, pinned.calendar
    # A cycle opened before the patch: its history holds these two activities, in this order.
    rules = await workflow.execute_activity(load_rules_edition, RulesRequest(edition=edition),
                                            start_to_close_timeout=RULES_TIMEOUT)
    calendar = await workflow.execute_activity(
        resolve_calendar, CalendarRequest(rules=rules, territory=territory, first_year=first_year, last_year=last_year, at=at),
        start_to_close_timeout=RULES_TIMEOUT)
    return rules, calendar
