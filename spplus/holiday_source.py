"""Build a territory's :class:`WorkingCalendar` from the maintained `holidays` library.

Not for workflow code: workflows receive the calendar from an activity, recorded in their
history, so that a newer library cannot rewrite a running cycle's deadlines on replay.
"""

from __future__ import annotations

from datetime import date

import holidays

from .calendar import WorkingCalendar
from .rules.models import RuleSet


def working_calendar(rules: RuleSet, territory_id: str, first_year: int, last_year: int, at: date) -> WorkingCalendar:
    """The working calendar of ``territory_id`` for the years asked, by the rules in force at ``at``."""
    territory = rules.territory(territory_id, at)
    source = territory.holidays
    days = holidays.country_holidays(
        source.country,
        subdiv=source.subdivision,
        years=range(first_year, last_year + 1),
        language="fr",
    )
    weekend = frozenset(day.index for day in rules.calendars.weekend.at(at))
    return WorkingCalendar(
        territory=territory.id,
        weekend=weekend,
        first_year=first_year,
        last_year=last_year,
        holidays={day: str(name) for day, name in sorted(days.items())},
    )
