"""Calendar arithmetic of the label: calendar days, calendar months, working days of a territory.

* "N months" after or before D: the same day number N months away, clamped to the month's last
  day (31 March − 1 month = 28 or 29 February), as ``dateutil.relativedelta`` does.
* "N working days before X": step back from X over N working days, X itself not counted.
  Working days are the days outside the weekend that are not public holidays of the territory.

The working calendar carries its holidays as data (:class:`WorkingCalendar`), so workflows use
the dates recorded in their history and never the holiday library itself: a library upgrade
cannot change a running cycle's past. Building one from the library is :mod:`spplus.holiday_source`.

It carries the territory's legal time the same way: the time zone's name and its UTC offsets over
the calendar's years, read from the tz database once, when the cycle opens. A cycle's « today »
is :meth:`WorkingCalendar.local_date` of the workflow's clock and its day begins at
:meth:`WorkingCalendar.day_start`: the same on replay whatever tz database the worker has.

Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict

from .rules.models import NonWorkingDayPolicy, Unit

ONE_DAY = timedelta(days=1)


class CalendarNotCovered(LookupError):
    """A working-day count reached a year whose holidays the calendar does not hold."""


class WorkingCalendar(BaseModel):
    """The working days of one territory over a span of years."""

    model_config = ConfigDict(frozen=True)

    territory: str
    weekend: frozenset[int]  # 0 = Monday … 6 = Sunday
    first_year: int
    last_year: int
    holidays: dict[date, str]
    # The territory's legal time: None for a calendar pinned before time zones were (its days are UTC days).
    time_zone: str | None = None
    # UTC instant → offset from UTC in seconds, in force from that instant (the zone's changes over the
    # calendar's years, the first entry just before 1 January of first_year).
    utc_offsets: dict[datetime, int] = {}

    # ---------------------------------------------------------------- local time
    def utc_offset(self, instant: datetime) -> timedelta:
        """The territory's offset from UTC at ``instant`` (zero without a time zone).

        Outside the pinned years, the offset at the same moment of the nearest pinned year: exact for
        a zone without summer time, within a few days of the change for one with it.
        """
        if not self.utc_offsets:
            return timedelta(0)
        instant = instant.astimezone(timezone.utc)
        if instant.year > self.last_year or instant.year < self.first_year:
            year = self.last_year if instant.year > self.last_year else self.first_year
            try:
                instant = instant.replace(year=year)
            except ValueError:  # 29 February to a year that has none
                instant = instant.replace(year=year, day=28)
        changes = sorted(self.utc_offsets.items())  # a few entries a year
        seconds = changes[0][1]
        for since, offset in changes:
            if since > instant:
                break
            seconds = offset
        return timedelta(seconds=seconds)

    def local_date(self, instant: datetime) -> date:
        """The date in the territory at ``instant`` (an aware datetime): a cycle's « today »."""
        utc = instant.astimezone(timezone.utc)
        return (utc + self.utc_offset(utc)).date()

    def day_start(self, day: date) -> datetime:
        """The UTC instant at which ``day`` begins in the territory: its local midnight."""
        naive = datetime.combine(day, time.min, tzinfo=timezone.utc)
        # Local midnight is UTC midnight less the offset then in force; around a change either offset
        # may be the one, so try each offset in force within a day and keep the earliest that fits.
        candidates = {naive - self.utc_offset(naive + delta) for delta in (-ONE_DAY, timedelta(0), ONE_DAY)}
        fits = [c for c in candidates if self.local_date(c) == day and self.local_date(c - timedelta(seconds=1)) < day]
        if fits:
            return min(fits)
        # Midnight fell in a gap (the clocks jumped over it): the day begins at the change.
        changes = [since for since in self.utc_offsets if naive - 2 * ONE_DAY < since < naive + 2 * ONE_DAY]
        return min((c for c in changes if self.local_date(c) == day), default=naive)

    def _check(self, day: date) -> None:
        if not self.first_year <= day.year <= self.last_year:
            raise CalendarNotCovered(
                f"the {self.territory} calendar holds {self.first_year}–{self.last_year}, not {day.isoformat()}"
            )

    def is_working_day(self, day: date) -> bool:
        self._check(day)
        return day.weekday() not in self.weekend and day not in self.holidays

    def working_days_before(self, day: date, count: int) -> date:
        """The date N working days before ``day``, ``day`` itself not counted."""
        current = day
        while count > 0:
            current -= ONE_DAY
            if self.is_working_day(current):
                count -= 1
        return current

    def working_days_after(self, day: date, count: int) -> date:
        current = day
        while count > 0:
            current += ONE_DAY
            if self.is_working_day(current):
                count -= 1
        return current

    def next_working_day(self, day: date) -> date:
        """``day`` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += ONE_DAY
        return day


def shift(day: date, amount: int, unit: Unit, backwards: bool, calendar: WorkingCalendar | None = None) -> date:
    """``day`` moved by ``amount`` units, forwards or backwards."""
    sign = -1 if backwards else 1
    if unit == Unit.days:
        return day + timedelta(days=sign * amount)
    if unit == Unit.months:
        return day + relativedelta(months=sign * amount)
    if unit == Unit.years:
        # 29 February + 1 year = 28 February, as for months: clamp to the month's last day.
        return day + relativedelta(years=sign * amount)
    if unit == Unit.working_days:
        if calendar is None:
            raise ValueError("a working-day delay needs the territory's working calendar")
        return calendar.working_days_before(day, amount) if backwards else calendar.working_days_after(day, amount)
    raise ValueError(f"unknown unit {unit!r}")


def apply_non_working_day_policy(day: date, policy: NonWorkingDayPolicy, calendar: WorkingCalendar | None) -> date:
    """Where a deadline falling on a weekend or holiday lands: kept, or moved to the next working day."""
    if policy == NonWorkingDayPolicy.keep:
        return day
    if calendar is None:
        raise ValueError("moving deadlines off non-working days needs the territory's working calendar")
    return calendar.next_working_day(day)
