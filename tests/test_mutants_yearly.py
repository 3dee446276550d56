"""The yearly self-assessment's last day under the Open switch `deadline_on_non_working_day` (rules/calendars.yaml).

§3.9.1 note: « le service réalise chaque année une autoévaluation … dans les 12 et/ou 24 mois suivant celui fourni à
l'appui de la demande d'audit initial ». The last day of a year is a day to have acted by, like the dossier's: with the
switch set to `next_working_day` it moves off a weekend or a holiday (`movable: true`); with the default (`keep`) it
stays where it falls. Killed mutant: `annual_self_assessment.movable: true → false`.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from spplus.lifecycle.yearly import years
from tests.test_mutants_deadlines import moving_calendar, moving_rules  # noqa: F401  (fixtures)


def test_a_years_last_day_on_christmas_moves_to_the_next_working_day_under_the_switch(
    rules, calendar_for, moving_rules, moving_calendar  # noqa: F811
) -> None:
    # The initial audit used a self-assessment of Fri 25 Dec 2026: year 1 ends 12 months later, Sat 25 Dec 2027
    # (Christmas, a Saturday), moved to Mon 27 Dec 2027 under the switch; year 2 ends Mon 25 Dec 2028 (Christmas),
    # moved to Tue 26 Dec. The label expires after both (until 1 Jan 2030).
    anchor, until = date(2026, 12, 25), date(2030, 1, 1)
    kept = years(SimpleNamespace(rules=rules, calendar=calendar_for(), edition="test"), anchor, until)
    assert [y.last_day.date for y in kept[:2]] == [date(2027, 12, 25), date(2028, 12, 25)]
    moved = years(SimpleNamespace(rules=moving_rules, calendar=moving_calendar, edition="test"), anchor, until)
    assert [y.last_day.date for y in moved[:2]] == [date(2027, 12, 27), date(2028, 12, 26)]
    assert moved[1].first_day == date(2027, 12, 28)  # year 2 starts the day after year 1's (moved) last day
    assert "2027-12-25 is not a working day, moved to 2027-12-27" in moved[0].last_day.explanation
