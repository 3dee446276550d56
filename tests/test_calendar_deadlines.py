"""Counting dates: calendar months, working days by territory, and every delay of the cycle.

Expected dates are counted by hand from the guide (§3.4, §3.5.1, §3.7.1, §3.8.1, §3.9.1, §3.10,
§5.3) and the digest's « Counting dates » defaults; the weekday of each date is noted beside it.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from spplus.calendar import CalendarNotCovered, shift
from spplus.deadlines import CycleFacts, cycle_deadlines, delay_date, age_check
from spplus.holiday_source import working_calendar
from spplus.rules.loader import load_rules
from spplus.rules.models import Unit

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"


def dates(rules, calendar, **facts) -> dict[str, date]:
    return {d.key: d.date for d in cycle_deadlines(rules, CycleFacts(**facts), calendar)}


# ------------------------------------------------------------------ calendar months
@pytest.mark.parametrize(
    ("start", "months", "backwards", "expected"),
    [
        (date(2026, 3, 31), 1, True, date(2026, 2, 28)),  # clamped to February's last day
        (date(2028, 3, 31), 1, True, date(2028, 2, 29)),  # 2028 is a leap year
        (date(2025, 8, 31), 18, False, date(2027, 2, 28)),
        (date(2026, 8, 31), 18, False, date(2028, 2, 29)),
        (date(2026, 1, 31), 1, False, date(2026, 2, 28)),
        (date(2026, 7, 1), 9, True, date(2025, 10, 1)),
    ],
)
def test_month_arithmetic(start: date, months: int, backwards: bool, expected: date) -> None:
    """Digest « Counting dates »: same day number, clamped to the month's last day."""
    assert shift(start, months, Unit.months, backwards) == expected


def test_calendar_days_and_years() -> None:
    assert shift(date(2026, 5, 15), 21, Unit.days, False) == date(2026, 6, 5)
    assert shift(date(2028, 2, 29), 3, Unit.years, False) == date(2031, 2, 28)


# ------------------------------------------------------------------ working days by territory
def test_may_2026_holidays_in_metropole(calendar_for) -> None:
    cal = calendar_for("metropole")
    for holiday in (date(2026, 5, 1), date(2026, 5, 8), date(2026, 5, 14)):  # Fête du travail, 8 mai, Ascension
        assert not cal.is_working_day(holiday)
    assert not cal.is_working_day(date(2026, 5, 16))  # a Saturday
    assert cal.is_working_day(date(2026, 5, 13))


def test_audit_plan_ten_working_days_before_the_visit(rules, calendar_for) -> None:
    """§3.7.1 « au plus tard 10 jours ouvrés avant l'évaluation sur site ».

    Visit Friday 15 May 2026: back over 13, 12, 11 May, 7, 6, 5, 4 May, 30, 29, 28 April
    (14, 8 and 1 May are holidays, 9–10 and 2–3 May weekends) → Tuesday 28 April 2026.
    """
    plan = delay_date(rules, "audit_plan", date(2026, 5, 15), calendar_for("metropole"))
    assert plan.date == date(2026, 4, 28)
    assert dates(rules, calendar_for("metropole"), visit_start=date(2026, 5, 15))["audit_plan"] == date(2026, 4, 28)


@pytest.mark.parametrize("territory", ["moselle", "bas-rhin", "haut-rhin"])
def test_alsace_moselle_holidays(calendar_for, territory: str) -> None:
    """Alsace-Moselle adds Good Friday and 26 December (Code du travail L3134-13)."""
    local, metropole = calendar_for(territory), calendar_for("metropole")
    for day in (date(2026, 4, 3), date(2028, 12, 26)):  # Good Friday 2026; Tuesday 26 December 2028
        assert not local.is_working_day(day)
        assert metropole.is_working_day(day)


@pytest.mark.parametrize(
    ("visit", "in_metropole", "in_moselle"),
    [
        # Fri 17 Apr 2026: back over 16…13, 10…7 Apr (8 days), Easter Monday 6 Apr off everywhere;
        # Fri 3 Apr is the 9th in metropole (2 Apr the 10th), a holiday in Moselle (1 Apr the 10th).
        (date(2026, 4, 17), date(2026, 4, 2), date(2026, 4, 1)),
        # Fri 5 Jan 2029: 4, 3, 2 Jan, 29, 28, 27 Dec; Tue 26 Dec counts only in metropole → 20 vs 19 Dec 2028.
        (date(2029, 1, 5), date(2028, 12, 20), date(2028, 12, 19)),
    ],
)
def test_audit_plan_differs_in_moselle(rules, calendar_for, visit: date, in_metropole: date, in_moselle: date) -> None:
    assert delay_date(rules, "audit_plan", visit, calendar_for("metropole")).date == in_metropole
    assert delay_date(rules, "audit_plan", visit, calendar_for("moselle")).date == in_moselle


@pytest.mark.parametrize(
    ("territory", "holiday", "visit", "in_metropole", "overseas"),
    [
        # 27 May: abolition of slavery in Guadeloupe. Fri 5 Jun 2026: 4, 3, 2, 1 Jun, 29, 28 May,
        # 27 May (metropole only), 26 May, Whit Monday 25 May off everywhere, 22, 21 → 21 vs 20 May.
        ("guadeloupe", date(2026, 5, 27), date(2026, 6, 5), date(2026, 5, 21), date(2026, 5, 20)),
        # 20 December in La Réunion. Tue 2 Jan 2029: 29, 28, 27, 26, 22, 21 Dec, 20 Dec (metropole
        # only), 19, 18, 15 → 15 Dec in metropole; La Réunion goes one day further, to 14 Dec 2028.
        ("la-reunion", date(2028, 12, 20), date(2029, 1, 2), date(2028, 12, 15), date(2028, 12, 14)),
    ],
)
def test_overseas_holidays(rules, calendar_for, territory, holiday, visit, in_metropole, overseas) -> None:
    assert not calendar_for(territory).is_working_day(holiday)
    assert calendar_for("metropole").is_working_day(holiday)
    assert delay_date(rules, "audit_plan", visit, calendar_for("metropole")).date == in_metropole
    assert delay_date(rules, "audit_plan", visit, calendar_for(territory)).date == overseas


def test_a_calendar_refuses_years_it_does_not_hold(calendar_for) -> None:
    with pytest.raises(CalendarNotCovered):
        calendar_for("metropole").is_working_day(date(2040, 1, 2))


# ------------------------------------------------------------------ the delays of a cycle
def test_report_21_days_after_the_visit_end(rules, calendar_for) -> None:
    """§3.7.1 « dans un délai de 21 jours après la visite »: counted from the visit's last day."""
    got = dates(rules, calendar_for(), visit_start=date(2026, 5, 13), visit_end=date(2026, 5, 15))
    assert got["report"] == date(2026, 6, 5)  # 15 May + 21 days (not 13 May + 21 = 3 June)


def test_observations_10_days_after_receipt(rules, calendar_for) -> None:
    """§3.7.1 « à compter de la date de réception du rapport … 10 jours »; calendar days, not moved."""
    assert dates(rules, calendar_for(), report_received=date(2026, 6, 5))["observations"] == date(2026, 6, 15)
    assert dates(rules, calendar_for(), report_received=date(2026, 6, 4))["observations"] == date(2026, 6, 14)  # a Sunday, kept


def test_dossier_one_month_before_the_audit(rules, calendar_for) -> None:
    """§3.5.1 « au plus tard un mois avant les dates d'audit »; §3.4 surveys launched 2 months before."""
    got = dates(rules, calendar_for(), audit_start=date(2026, 6, 15))
    assert got["dossier"] == date(2026, 5, 15)
    assert got["survey_launch_recommended"] == date(2026, 4, 15)


def test_validity_and_renewal_invitation(rules, calendar_for) -> None:
    """§2.3/§3.8.1 valid 3 years; §3.10 invitation 9 months before expiry."""
    got = dates(rules, calendar_for(), decision=date(2026, 7, 1))
    assert got["expiry"] == date(2029, 7, 1)  # the first day it no longer holds; last valid day 30 June 2029
    assert got["renewal_invitation"] == date(2028, 10, 1)


def test_followup_of_an_independent_local_service(rules, calendar_for) -> None:
    """§3.9.1: prepared at 12 months, audit at 18 months ± 2 months, both ends included."""
    got = dates(rules, calendar_for(), decision=date(2026, 7, 1))
    assert got["followup_preparation"] == date(2027, 7, 1)
    assert got["followup_target"] == date(2028, 1, 1)
    assert got["followup_target_window_opens"] == date(2027, 11, 1)
    assert got["followup_target_window_closes"] == date(2028, 3, 1)


def test_followup_target_clamped_in_february(rules, calendar_for) -> None:
    got = dates(rules, calendar_for(), decision=date(2026, 8, 31))
    assert got["followup_target"] == date(2028, 2, 29)
    assert got["followup_target_window_opens"] == date(2027, 12, 29)
    assert got["followup_target_window_closes"] == date(2028, 4, 29)


def test_new_application_six_months_after_refusal(rules, calendar_for) -> None:
    """§3.8.1 « à l'issue d'une période de 6 mois échus, à partir de la date d'émission du courrier »."""
    assert dates(rules, calendar_for(), refusal_notified=date(2026, 1, 15))["new_application"] == date(2026, 7, 15)
    assert dates(rules, calendar_for(), refusal_notified=date(2026, 8, 31))["new_application"] == date(2027, 2, 28)


def test_other_delays(rules, calendar_for) -> None:
    """§3.4 note, §3.9.1, §3.9.2 notes, §5.3.1, §5.3.2."""
    got = dates(
        rules, calendar_for(),
        campaign_closed=date(2026, 3, 31), followup_decision=date(2027, 1, 31), suspension_start=date(2027, 3, 1),
        withdrawal_effective=date(2027, 9, 15), initial_audit=date(2026, 5, 15),
    )
    assert got["new_survey_campaign"] == date(2026, 9, 30)  # 6 months after closing
    assert got["action_plan"] == date(2027, 2, 28)  # 1 month, clamped
    assert got["suspension_max"] == date(2028, 3, 1)  # 12 months at most
    assert got["mark_removal"] == date(2027, 11, 15)  # stop using the mark within 2 months
    assert got["network_local_surveys"] == date(2027, 11, 15)  # 18 months after the initial audit


def test_only_known_facts_give_dates(rules, calendar_for) -> None:
    got = dates(rules, calendar_for(), report_received=date(2026, 6, 5))
    assert set(got) == {"observations"}


# ------------------------------------------------------------------ how old a document may be
@pytest.mark.parametrize(
    ("survey", "ok"),
    [(date(2025, 11, 15), False), (date(2025, 11, 16), True), (date(2026, 5, 15), True), (date(2026, 5, 16), False)],
)
def test_survey_results_less_than_six_months_old(rules, survey: date, ok: bool) -> None:
    """§3.4 « devront dater de moins de 6 mois »: exactly 6 months old is too old."""
    check = age_check(rules, "survey_max_age", survey, date(2026, 5, 15), "the user survey")
    assert check.ok is ok
    assert check.limit.date == date(2025, 11, 16)


@pytest.mark.parametrize(("done", "ok"), [(date(2025, 5, 15), True), (date(2025, 5, 14), False)])
def test_self_assessment_within_twelve_months(rules, done: date, ok: bool) -> None:
    """§3.5.1 « réalisé dans les 12 mois précédant la date d'audit »: exactly 12 months counts."""
    check = age_check(rules, "self_assessment_max_age", done, date(2026, 5, 15), "the self-assessment")
    assert check.ok is ok
    assert check.limit.date == date(2025, 5, 15)
    assert ("too old" in check.message) is not ok


def test_quality_indicators_in_place_for_at_least_six_months(rules) -> None:
    audit = date(2026, 5, 15)
    assert age_check(rules, "quality_indicators_min_age", date(2024, 5, 15), audit, "indicators").ok
    assert not age_check(rules, "quality_indicators_min_age", date(2026, 5, 8), audit, "indicators").ok


# ------------------------------------------------------------------ every date says where it comes from
def test_every_computed_date_names_its_rule_edition_and_reference(rules, calendar_for) -> None:
    written = yaml.safe_load((RULES_DIR / "deadlines.yaml").read_text(encoding="utf-8"))
    edition = yaml.safe_load((RULES_DIR / "edition.yaml").read_text(encoding="utf-8"))["edition"]
    computed = cycle_deadlines(
        rules,
        CycleFacts(visit_start=date(2026, 5, 15), report_received=date(2026, 6, 5), decision=date(2026, 7, 1),
                   refusal_notified=date(2026, 7, 1)),
        calendar_for(),
    )
    assert len(computed) >= 10
    for item in computed:
        assert item.rule.startswith("deadlines.")
        rule = written[item.rule.removeprefix("deadlines.")]
        assert item.edition == edition
        assert item.rule_from == date(2023, 8, 31)
        assert item.reference == rule["values"][date(2023, 8, 31)]["reference"]
        assert "§" in item.reference and item.explanation
    assert [c.date for c in computed] == sorted(c.date for c in computed)


def test_the_value_in_force_on_the_anchor_applies(tmp_path: Path, calendar_for) -> None:
    """README: add a dated value, the old one still applies before its date (report: 15 days from 2027)."""
    folder = tmp_path / "rules"
    shutil.copytree(RULES_DIR, folder)
    path = folder / "deadlines.yaml"
    old = "      value: {amount: 21, unit: days, direction: after, anchor: visit_end, movable: true}\n"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, old + (
        "    2027-01-01:\n"
        "      reference: Guide (édition 2027) §3.7.1\n"
        "      value: {amount: 15, unit: days, direction: after, anchor: visit_end, movable: true}\n")), encoding="utf-8")
    changed = load_rules(folder)
    before = delay_date(changed, "report", date(2026, 12, 31))
    after = delay_date(changed, "report", date(2027, 1, 1))
    assert (before.date, before.rule_from) == (date(2027, 1, 21), date(2023, 8, 31))
    assert (after.date, after.rule_from, after.reference) == (date(2027, 1, 16), date(2027, 1, 1), "Guide (édition 2027) §3.7.1")


# ------------------------------------------------------------------ the `next_working_day` switch (Open)
@pytest.fixture(scope="module")
def moving_rules(tmp_path_factory):
    folder = tmp_path_factory.mktemp("moving") / "rules"
    shutil.copytree(RULES_DIR, folder)
    path = folder / "calendars.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("      value: keep\n") == 1
    path.write_text(text.replace("      value: keep\n", "      value: next_working_day\n"), encoding="utf-8")
    return load_rules(folder)


@pytest.fixture(scope="module")
def moving_calendar(moving_rules):
    return working_calendar(moving_rules, "metropole", 2023, 2032, date(2026, 1, 1))


@pytest.mark.parametrize(
    ("facts", "key", "kept", "moved"),
    [
        ({"report_received": date(2026, 6, 4)}, "observations", date(2026, 6, 14), date(2026, 6, 15)),  # Sun → Mon
        ({"visit_start": date(2026, 4, 23)}, "report", date(2026, 5, 14), date(2026, 5, 15)),  # Ascension → Fri
        ({"visit_start": date(2026, 12, 4)}, "report", date(2026, 12, 25), date(2026, 12, 28)),  # Christmas Fri → Mon
        ({"refusal_notified": date(2026, 6, 25)}, "new_application", date(2026, 12, 25), date(2026, 12, 25)),  # not a deadline: unmoved
        ({"report_received": date(2026, 6, 5)}, "observations", date(2026, 6, 15), date(2026, 6, 15)),  # a Monday: unmoved
    ],
)
def test_next_working_day_policy(rules, calendar_for, moving_rules, moving_calendar, facts, key, kept, moved) -> None:
    assert dates(rules, calendar_for(), **facts)[key] == kept
    assert dates(moving_rules, moving_calendar, **facts)[key] == moved


def test_next_working_day_says_it_moved(moving_rules, moving_calendar) -> None:
    moved = delay_date(moving_rules, "observations", date(2026, 6, 4), moving_calendar)
    assert "2026-06-14" in moved.explanation and "2026-06-15" in moved.explanation


def test_next_working_day_does_not_lengthen_validity(moving_rules, moving_calendar) -> None:
    got = dates(moving_rules, moving_calendar, decision=date(2026, 7, 1))
    assert got["expiry"] == date(2029, 7, 1)  # a Sunday


# ------------------------------------------------------------------ the territory's legal time (issue 10, kind 5)
# Offsets are those of the tz database (décret n° 2017-292 for the legal times): Paris UTC+1, UTC+2
# from the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC; Nouméa UTC+11 and
# Tahiti UTC−10 all year; Miquelon UTC−3, UTC−2 from the second Sunday of March to the first Sunday
# of November (at 02:00 local).
def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


def test_every_territory_has_its_time_zone_pinned_with_its_calendar(rules, calendar_for) -> None:
    expected = {"metropole": "Europe/Paris", "moselle": "Europe/Paris", "guadeloupe": "America/Guadeloupe",
                "martinique": "America/Martinique", "guyane": "America/Cayenne", "la-reunion": "Indian/Reunion",
                "mayotte": "Indian/Mayotte", "saint-pierre-et-miquelon": "America/Miquelon",
                "nouvelle-caledonie": "Pacific/Noumea", "polynesie-francaise": "Pacific/Tahiti",
                "wallis-et-futuna": "Pacific/Wallis"}
    for territory, zone in expected.items():
        assert calendar_for(territory).time_zone == zone
    # One per territory the file knows, whatever the list holds.
    assert all(rules.time_zone(t.id, date(2026, 1, 1)) for t in rules.calendars.territories.at(date(2026, 1, 1)))


@pytest.mark.parametrize(
    ("territory", "instant", "expected"),
    [
        # Nouméa, UTC+11: 22:00 UTC on 4 May is 09:00 on 5 May there.
        ("nouvelle-caledonie", utc(2026, 5, 4, 22, 0), date(2026, 5, 5)),
        ("nouvelle-caledonie", utc(2026, 5, 4, 12, 59), date(2026, 5, 4)),  # 23:59 local
        ("nouvelle-caledonie", utc(2026, 5, 4, 13, 0), date(2026, 5, 5)),  # 00:00 local
        # Papeete, UTC−10: 00:00 UTC on 6 May is 14:00 on 5 May there; 10:00 UTC is its midnight.
        ("polynesie-francaise", utc(2026, 5, 6, 0, 0), date(2026, 5, 5)),
        ("polynesie-francaise", utc(2026, 5, 6, 9, 59), date(2026, 5, 5)),
        ("polynesie-francaise", utc(2026, 5, 6, 10, 0), date(2026, 5, 6)),
        # Paris in winter (UTC+1): 23:30 UTC on 5 January is 00:30 on the 6th.
        ("metropole", utc(2026, 1, 5, 23, 30), date(2026, 1, 6)),
        ("metropole", utc(2026, 1, 5, 22, 59), date(2026, 1, 5)),
        # Paris in summer (UTC+2): 22:00 UTC on 1 July is midnight on the 2nd; 21:59 is still the 1st.
        ("metropole", utc(2026, 7, 1, 22, 0), date(2026, 7, 2)),
        ("metropole", utc(2026, 7, 1, 21, 59), date(2026, 7, 1)),
        # Wallis, UTC+12: noon UTC is already the next day's midnight.
        ("wallis-et-futuna", utc(2026, 5, 4, 12, 0), date(2026, 5, 5)),
    ],
)
def test_today_is_the_territory_date(calendar_for, territory: str, instant, expected: date) -> None:
    assert calendar_for(territory).local_date(instant) == expected


@pytest.mark.parametrize(
    ("territory", "day", "expected"),
    [
        ("nouvelle-caledonie", date(2026, 5, 5), utc(2026, 5, 4, 13)),  # 00:00 − 11 h
        ("polynesie-francaise", date(2026, 5, 6), utc(2026, 5, 6, 10)),  # 00:00 + 10 h
        ("metropole", date(2026, 1, 6), utc(2026, 1, 5, 23)),  # winter: − 1 h
        ("metropole", date(2026, 7, 2), utc(2026, 7, 1, 22)),  # summer: − 2 h
        # Sunday 29 March 2026: clocks go forward at 01:00 UTC, after midnight (still UTC+1); Monday 30 is UTC+2.
        ("metropole", date(2026, 3, 29), utc(2026, 3, 28, 23)),
        ("metropole", date(2026, 3, 30), utc(2026, 3, 29, 22)),
        # Sunday 25 October 2026: back to UTC+1 at 01:00 UTC; its midnight was still UTC+2, Monday 26's is UTC+1.
        ("metropole", date(2026, 10, 25), utc(2026, 10, 24, 22)),
        ("metropole", date(2026, 10, 26), utc(2026, 10, 25, 23)),
        # Miquelon: Sunday 8 March 2026 changes at 02:00 local (05:00 UTC): its midnight is UTC−3, Monday 9's UTC−2.
        ("saint-pierre-et-miquelon", date(2026, 3, 8), utc(2026, 3, 8, 3)),
        ("saint-pierre-et-miquelon", date(2026, 3, 9), utc(2026, 3, 9, 2)),
    ],
)
def test_a_day_begins_at_the_territory_midnight(calendar_for, territory: str, day: date, expected) -> None:
    calendar = calendar_for(territory)
    assert calendar.day_start(day) == expected
    assert calendar.local_date(expected) == day and calendar.local_date(expected - timedelta(seconds=1)) == day - timedelta(days=1)


def test_a_midnight_the_clocks_skip_begins_the_day_at_the_change() -> None:
    """A zone whose summer time starts at 24:00 (Santiago, first Sunday of September 2026: 6 September):
    00:00 never shows on the clocks; the day begins at 00:00 UTC−4 = 04:00 UTC, shown as 01:00 UTC−3."""
    from spplus.calendar import WorkingCalendar
    from spplus.holiday_source import utc_offsets

    calendar = WorkingCalendar(territory="x", weekend=frozenset({5, 6}), first_year=2026, last_year=2026, holidays={},
                               time_zone="America/Santiago", utc_offsets=utc_offsets("America/Santiago", 2026, 2026))
    assert calendar.day_start(date(2026, 9, 6)) == utc(2026, 9, 6, 4)
    assert calendar.local_date(utc(2026, 9, 6, 3, 59)) == date(2026, 9, 5)  # 23:59 UTC−4


def test_the_offsets_are_pinned_small_and_read_no_tz_database(calendar_for) -> None:
    """Paris over 2023–2032 (the fixture's years): one entry, then two changes a year = 21 entries."""
    calendar = calendar_for("metropole")
    assert len(calendar.utc_offsets) == 1 + 2 * 10
    assert len(calendar_for("nouvelle-caledonie").utc_offsets) == 1  # no summer time
    # Rebuilt from its JSON (as from a history), the calendar gives the same days.
    from spplus.calendar import WorkingCalendar

    again = WorkingCalendar.model_validate_json(calendar.model_dump_json())
    assert again.day_start(date(2026, 7, 2)) == utc(2026, 7, 1, 22)
    assert again.local_date(utc(2026, 1, 5, 23, 30)) == date(2026, 1, 6)


def test_beyond_the_pinned_years_the_nearest_year_offsets_apply(rules, calendar_for) -> None:
    calendar = calendar_for("metropole")  # pinned 2023–2032
    assert calendar.day_start(date(2035, 7, 6)) == utc(2035, 7, 5, 22)  # summer as in July 2032: UTC+2
    assert calendar.day_start(date(2035, 1, 6)) == utc(2035, 1, 5, 23)  # winter: UTC+1
    assert calendar.day_start(date(2020, 7, 6)) == utc(2020, 7, 5, 22)  # before: as in July 2023
    # Pinned 2025–2031 (2031 has no 29 February): 29 February 2032 takes 28 February 2031's offset,
    # UTC+1, so 23:30 UTC is 00:30 on 1 March.
    short = working_calendar(rules, "metropole", 2025, 2031, date(2026, 1, 1))
    assert short.local_date(utc(2032, 2, 29, 23, 30)) == date(2032, 3, 1)


def test_a_calendar_pinned_before_time_zones_counts_utc_days(calendar_for) -> None:
    """Cycles recorded before time zones keep their behaviour: their calendar has no zone, their days are UTC days."""
    legacy = calendar_for("nouvelle-caledonie").model_copy(update={"time_zone": None, "utc_offsets": {}})
    assert legacy.local_date(utc(2026, 5, 4, 22)) == date(2026, 5, 4)
    assert legacy.day_start(date(2026, 5, 5)) == utc(2026, 5, 5)
