"""Deadlines the mutation check (bench/mutate.py) found unpinned: the `movable` flag of each delay, the
complements' unit, the audit plan's anchor.

The guide moves no deadline (« Counting dates » in the domain digest): calendars.yaml keeps a deadline where it
falls, and its `deadline_on_non_working_day: next_working_day` switch (Open) moves only the delays flagged
`movable` — a deadline someone must act by (Delay.movable in spplus/rules/models.py) — never a date that is not a
deadline (an expiry, a target, a maximum duration, a date from which something is allowed or recommended).
Each row below says which of the two the guide makes the date, and why.

Every expected date is counted by hand (calendar months, same day number; metropolitan public holidays of 2026–2028:
1 and 8 May, Ascension 14 May 2026, 14 July, 15 August, 1 and 11 November, 25 December), its weekday beside it.
"""

from __future__ import annotations

import re
import shutil
from datetime import date

import pytest

from spplus.deadlines import CycleFacts, cycle_deadlines, delay_date, window_dates
from spplus.holiday_source import working_calendar
from spplus.rules.loader import default_rules_dir, load_rules
from spplus.rules.models import NonWorkingDayPolicy


def _policy(text: str, policy: str) -> str:
    """calendars.yaml with every dated value of deadline_on_non_working_day set to ``policy``."""
    block = re.search(r"^deadline_on_non_working_day:\n(?:(?:[ \t].*)?\n)*", text, re.MULTILINE)
    assert block is not None, "calendars.yaml has no deadline_on_non_working_day rule"
    changed = re.sub(r"\bvalue: keep\b", f"value: {policy}", block.group(0))
    assert changed != block.group(0), "deadline_on_non_working_day has no `value: keep` to switch"
    return text[:block.start()] + changed + text[block.end():]


@pytest.fixture(scope="module")
def moving_rules(tmp_path_factory):
    """A copy of this checkout's rules/ with the Open switch set: deadlines move to the next working day."""
    folder = tmp_path_factory.mktemp("next-working-day") / "rules"
    shutil.copytree(default_rules_dir(), folder)
    calendars = folder / "calendars.yaml"
    calendars.write_text(_policy(calendars.read_text(encoding="utf-8"), "next_working_day"), encoding="utf-8")
    rules = load_rules(folder)
    for day in (date(2026, 1, 1), date(2029, 12, 31)):
        assert rules.calendars.deadline_on_non_working_day.at(day) == NonWorkingDayPolicy.next_working_day
    return rules


@pytest.fixture(scope="module")
def moving_calendar(moving_rules):
    return working_calendar(moving_rules, "metropole", 2023, 2032, date(2026, 1, 1))


MOVED = [
    # (rule, anchor date, date it falls on, next working day) — deadlines to act by: the switch moves them.
    pytest.param("dossier", date(2026, 6, 16), date(2026, 5, 16), date(2026, 5, 18),
                 id="dossier"),  # §3.5.1 « au plus tard un mois avant les dates d'audit »: audit Tue 16 Jun → Sat 16 May → Mon 18 May
    pytest.param("central_corrective_actions", date(2026, 5, 4), date(2026, 5, 14), date(2026, 5, 15),
                 id="central_corrective_actions"),  # §3.7.2 « 10 jours pour transmettre … ses propositions d'actions
                 # correctives »: received Mon 4 May → Thu 14 May (Ascension) → Fri 15 May
    pytest.param("action_plan", date(2027, 10, 1), date(2027, 11, 1), date(2027, 11, 2),
                 id="action_plan"),  # §3.9.1 « plan d'action, à proposer dans un délai d'un mois »: decided Fri 1 Oct 2027
                 # → Mon 1 Nov 2027 (Toussaint) → Tue 2 Nov
    pytest.param("mark_removal", date(2026, 9, 11), date(2026, 11, 11), date(2026, 11, 12),
                 id="mark_removal"),  # §5.3.2 « cesser toute communication … dans les deux mois suivant la date effective
                 # du retrait »: effective Fri 11 Sep → Wed 11 Nov (Armistice) → Thu 12 Nov
    pytest.param("network_local_surveys", date(2026, 6, 25), date(2027, 12, 25), date(2027, 12, 27),
                 id="network_local_surveys"),  # §3.9.2 notes « réalisent dans un délai de 18 mois après l'audit initial
                 # l'enquête usagers et l'enquête agents »: audit Thu 25 Jun 2026 → Sat 25 Dec 2027 → Mon 27 Dec
]

KEPT = [
    # (rule, anchor date, date it falls on) — not deadlines: the switch leaves them where they fall.
    pytest.param("survey_launch_recommended", date(2026, 10, 15), date(2026, 8, 15),
                 id="survey_launch_recommended"),  # §3.4 « il est recommandé de procéder au lancement … au moins 2 mois
                 # avant les dates d'audit »: a recommendation of at least 2 months, moving it later would shorten them;
                 # audit Thu 15 Oct → Sat 15 Aug (Assomption), not Mon 17 Aug
    pytest.param("new_survey_campaign", date(2026, 1, 14), date(2026, 7, 14),
                 id="new_survey_campaign"),  # §3.4 note « 6 mois après la clôture … Ce délai minimal »: the earliest date of
                 # a new request, not a deadline; closed Wed 14 Jan → Tue 14 Jul (fête nationale), not Wed 15 Jul
    pytest.param("renewal_invitation", date(2029, 9, 25), date(2028, 12, 25),
                 id="renewal_invitation"),  # §3.10 « Neuf mois avant l'échéance de validité du label »: expiry Tue 25 Sep 2029
                 # (decided Fri 25 Sep 2026) → Mon 25 Dec 2028 (Noël), not Tue 26 Dec
    pytest.param("followup_preparation", date(2026, 9, 11), date(2027, 9, 11),
                 id="followup_preparation"),  # §3.9.1 « Douze mois après la labellisation initiale, le service … prépare »:
                 # when preparation starts, not a deadline; decided Fri 11 Sep 2026 → Sat 11 Sep 2027, not Mon 13 Sep
    pytest.param("followup_target", date(2026, 9, 11), date(2028, 3, 11),
                 id="followup_target"),  # §3.9.1 « audit de suivi à 18 mois … la date théorique »: a target, not a
                 # deadline; decided Fri 11 Sep 2026 → Sat 11 Mar 2028, not Mon 13 Mar
    pytest.param("suspension_max", date(2026, 9, 4), date(2027, 9, 4),
                 id="suspension_max"),  # §5.3.1 « Le délai maximum de suspension … est de 12 mois »: moving it would make a
                 # suspension longer than 12 months; from Fri 4 Sep 2026 → Sat 4 Sep 2027, not Mon 6 Sep
    pytest.param("late_followup_target", date(2026, 9, 11), date(2026, 11, 11),
                 id="late_followup_target"),  # §5.3.2 note, Open (deadlines.late_followup_target): a target 2 months after
                 # the withdrawal; withdrawal Fri 11 Sep → Wed 11 Nov (Armistice), not Thu 12 Nov
]


@pytest.mark.parametrize(("key", "anchor", "falls_on", "moved_to"), MOVED)
def test_a_deadline_to_act_by_moves_to_the_next_working_day_under_the_switch(
    rules, calendar_for, moving_rules, moving_calendar, key, anchor, falls_on, moved_to
) -> None:
    assert not moving_calendar.is_working_day(falls_on) and moving_calendar.is_working_day(moved_to)
    assert delay_date(rules, key, anchor, calendar_for()).date == falls_on  # the default (keep): where it falls
    moved = delay_date(moving_rules, key, anchor, moving_calendar)
    assert moved.date == moved_to
    assert f"{falls_on.isoformat()} is not a working day, moved to {moved_to.isoformat()}" in moved.explanation


@pytest.mark.parametrize(("key", "anchor", "falls_on"), KEPT)
def test_a_date_that_is_not_a_deadline_stays_where_it_falls_under_the_switch(
    rules, calendar_for, moving_rules, moving_calendar, key, anchor, falls_on
) -> None:
    assert not moving_calendar.is_working_day(falls_on)
    assert delay_date(rules, key, anchor, calendar_for()).date == falls_on
    kept = delay_date(moving_rules, key, anchor, moving_calendar)
    assert kept.date == falls_on
    assert "moved" not in kept.explanation


def test_the_follow_up_window_stays_around_its_unmoved_target(moving_rules, moving_calendar) -> None:
    """§3.9.1: follow-up audit « à 18 mois (à partir de la date de notification initiale), dans un délai de 2 mois
    entourant la date théorique … au plus tôt, deux mois avant et au plus tard, deux mois après ».

    Decided Fri 11 Sep 2026: target Sat 11 Mar 2028; window Tue 11 Jan 2028 – Thu 11 May 2028, ends included.
    Moving the target to Mon 13 Mar would shift the window to 13 Jan – 13 May."""
    got = {d.key: d.date for d in cycle_deadlines(moving_rules, CycleFacts(decision=date(2026, 9, 11)), moving_calendar)}
    assert got["followup_preparation"] == date(2027, 9, 11)
    assert got["followup_target"] == date(2028, 3, 11)
    assert got["followup_target_window_opens"] == date(2028, 1, 11)
    assert got["followup_target_window_closes"] == date(2028, 5, 11)


def test_one_withdrawal_moves_the_mark_removal_but_not_the_late_follow_up(moving_rules, moving_calendar) -> None:
    """§5.3.2: the mark is dropped « dans les deux mois suivant la date effective du retrait » (a deadline: moved off
    the Armistice), while the late follow-up's target (Open: 2 months after the withdrawal, so that with ± 2 months
    its window opens on the withdrawal date) is a target: not moved, and its window opens on Fri 11 Sep 2026."""
    withdrawal = date(2026, 9, 11)
    assert delay_date(moving_rules, "mark_removal", withdrawal, moving_calendar).date == date(2026, 11, 12)
    target = delay_date(moving_rules, "late_followup_target", withdrawal, moving_calendar)
    assert target.date == date(2026, 11, 11)
    opens, closes = window_dates(moving_rules, "followup_window", target)
    assert (opens.date, closes.date) == (withdrawal, date(2027, 1, 11))


def test_the_complements_are_due_the_calendar_day_before_the_visit(rules, calendar_for) -> None:
    """§3.5.2: complements « devront en tout état de cause lui être transmises … avant la visite sur site »: the last
    day before the visit, a calendar day (« N days » are calendar days), whatever weekday it is.

    Visit Mon 18 May 2026 → Sun 17 May 2026 (one working day before would be Fri 15 May: too early)."""
    due = delay_date(rules, "complements", date(2026, 5, 18), calendar_for())
    assert due.date == date(2026, 5, 17)


def test_the_switch_never_moves_the_complements_onto_the_visit(moving_rules, moving_calendar) -> None:
    """§3.5.2: « avant la visite sur site » holds whatever the Open switch says. Visit Mon 18 May 2026: the complements
    are due Sun 17 May; the next working day is the visit day itself, so the date cannot move."""
    visit = date(2026, 5, 18)
    due = delay_date(moving_rules, "complements", visit, moving_calendar)
    assert due.date < visit
    assert due.date == date(2026, 5, 17)


def test_the_audit_plan_counts_from_the_first_day_of_a_multi_day_visit(rules, calendar_for) -> None:
    """§3.7.1 « au plus tard 10 jours ouvrés avant l'évaluation sur site »: before the on-site evaluation begins.

    Visit Wed 13 – Fri 15 May 2026. Stepping back from Wed 13 May over working days (1 and 8 May are holidays):
    Tue 12, Mon 11, Thu 7, Wed 6, Tue 5, Mon 4, Thu 30 Apr, Wed 29, Tue 28, Mon 27 Apr 2026 — the tenth.
    (Counted from the last day, Fri 15 May, it would be Tue 28 April.)"""
    got = {d.key: d.date for d in cycle_deadlines(
        rules, CycleFacts(visit_start=date(2026, 5, 13), visit_end=date(2026, 5, 15)), calendar_for())}
    assert got["audit_plan"] == date(2026, 4, 27)
    assert got["report"] == date(2026, 6, 5)  # 21 days after the visit's last day, Fri 15 May
