"""Build a territory's :class:`WorkingCalendar` from the maintained `holidays` library and the tz database.

Not for workflow code: workflows receive the calendar from an activity, recorded in their
history, so that a newer library (or a newer tz database) cannot rewrite a running cycle's
deadlines or its « today » on replay.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays

from .calendar import WorkingCalendar
from .rules.models import RuleSet

# How finely the zone is scanned for changes of offset: no legal time changes twice within a day.
_SCAN_STEP = timedelta(days=1)


def utc_offsets(zone_name: str, first_year: int, last_year: int) -> dict[datetime, int]:
    """The offsets from UTC (seconds) of ``zone_name`` over the years asked, each from the UTC instant it starts.

    The first entry starts two days before 1 January of ``first_year`` (UTC), so that every local
    day of those years is covered; each change of offset is found to the second.
    """
    zone = ZoneInfo(zone_name)

    def offset(at: int) -> int:
        local = datetime.fromtimestamp(at, timezone.utc).astimezone(zone)
        return int(local.utcoffset().total_seconds())  # type: ignore[union-attr]

    start = int((datetime(first_year, 1, 1, tzinfo=timezone.utc) - 2 * _SCAN_STEP).timestamp())
    end = int((datetime(last_year + 1, 1, 1, tzinfo=timezone.utc) + 2 * _SCAN_STEP).timestamp())
    step = int(_SCAN_STEP.total_seconds())
    current = offset(start)
    changes = {start: current}
    at = start
    while at < end:
        following = min(at + step, end)
        if offset(following) != current:
            low, high = at, following  # offset(low) is the current one, offset(high) is not
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == current else (low, middle)
            current = offset(high)
            changes[high] = current
        at = following
    return {datetime.fromtimestamp(at, timezone.utc): seconds for at, seconds in changes.items()}


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
    zone = rules.time_zone(territory.id, at)
    return WorkingCalendar(
        territory=territory.id,
        weekend=weekend,
        first_year=first_year,
        last_year=last_year,
        holidays={day: str(name) for day, name in sorted(days.items())},
        time_zone=zone,
        utc_offsets=utc_offsets(zone, first_year, last_year) if zone is not None else {},
    )
