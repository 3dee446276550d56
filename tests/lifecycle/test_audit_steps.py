"""The steps of an audit: their order, their dates and their deadlines (§3.5, §3.6, §3.7.1).

* §3.5.1: the dossier arrives « au plus tard un mois avant les dates d'audit ».
* §3.5.2: complements asked by the body arrive « avant la visite sur site ».
* §3.7.1: the audit plan is sent « au plus tard 10 jours ouvrés avant l'évaluation sur site »;
  the report reaches the candidate « dans un délai de 21 jours après la visite »; the candidate
  has « 10 jours » from receipt of the report for observations; then the body decides.
* shared/domain.md « Counting dates »: N working days before X steps back over N working days
  (X not counted) of the candidate's territory; months are clamped to the month's last day.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from spplus.lifecycle import Phase
from spplus.lifecycle.state import DeadlineStatus

from .test_cycle_basics import (
    CONTRACT, DAY, DOSSIER, PREP_DAY, VISIT_END, VISIT_START, agent_survey, audit_dates, decision, dossier, new_driver, plan,
    prepared_audit, prerequisites, report, self_assessment, timeline_kinds, user_survey, visit,
)


def prepared(rules, calendar_for, territory: str = "metropole"):
    d = new_driver(rules, calendar_for, territory=territory)
    prerequisites(d, PREP_DAY)
    return d


def visited(rules, calendar_for, start: date = VISIT_START, end: date = VISIT_END):
    d = prepared(rules, calendar_for)
    prepared_audit(d, start, end)
    d.send(visit(60))
    return d


# ------------------------------------------------------------------------------------------ order
def test_visit_before_audit_dates_is_refused(rules, calendar_for):
    """§3.6: the audit's dates are agreed before the visit."""
    d = prepared(rules, calendar_for)
    assert "audit dates" in d.refused(visit(60))


@pytest.mark.parametrize("event", [dossier(PREP_DAY), plan(PREP_DAY), report(PREP_DAY),
                                   {"type": "observations", "received_on": PREP_DAY.isoformat(), "text": "x"},
                                   decision(PREP_DAY, "bronze")])
def test_audit_steps_need_an_audit_under_way(rules, calendar_for, event):
    """§3.5–§3.8: dossier, plan, report, observations and decision all belong to a scheduled audit."""
    d = prepared(rules, calendar_for)
    assert "audit dates" in d.refused(event)


def test_report_before_the_visit_is_refused(rules, calendar_for):
    """§3.7.1: « après la visite, l'auditeur complète le rapport »."""
    d = prepared(rules, calendar_for)
    prepared_audit(d, VISIT_START, VISIT_END)
    message = d.refused(report(VISIT_END))
    assert "visit" in message


def test_report_sent_before_the_visit_ended_is_refused(rules, calendar_for):
    """§3.7.1: the report follows the visit; a 2-day visit ends on its second day."""
    d = visited(rules, calendar_for)
    assert "sent_on" in d.refused(report(VISIT_START, VISIT_END))


def test_report_received_before_it_was_sent_is_refused(rules, calendar_for):
    d = visited(rules, calendar_for)
    d.pass_to(date(2026, 3, 20))
    assert "received_on" in d.refused(report(date(2026, 3, 20), date(2026, 3, 19)))


def test_scores_recorded_before_the_visit_last_day_are_refused(rules, calendar_for):
    """§3.7.1: the visit is scored once it took place; a 10–11 March visit is not over on 10 March."""
    d = prepared(rules, calendar_for)
    prepared_audit(d, VISIT_START, VISIT_END)  # leaves today on the last day; go back to the first day
    d2 = prepared(rules, calendar_for)
    d2.send(audit_dates(VISIT_START, VISIT_END))
    d2.pass_to(date(2026, 2, 2))
    d2.send(dossier(d2.today))
    d2.pass_to(VISIT_START)
    message = d2.refused(visit(60))
    assert "2026-03-11" in message
    d.send(visit(60))  # on the last day: accepted
    assert d.state.phase == Phase.audit


def test_scores_are_given_once(rules, calendar_for):
    d = visited(rules, calendar_for)
    assert "already recorded" in d.refused(visit(70))


def test_plan_sent_after_the_visit_start_is_refused(rules, calendar_for):
    """§3.7.1: the plan is sent before the on-site evaluation."""
    d = prepared(rules, calendar_for)
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.pass_to(VISIT_END)
    assert "sent_on" in d.refused(plan(VISIT_END))


def test_plan_sent_on_the_visit_day_is_taken_but_late(rules, calendar_for):
    """§3.7.1: 10 working days before is the latest; on the visit day it is a breach."""
    d = prepared(rules, calendar_for)
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.send(dossier(PREP_DAY))
    d.pass_to(VISIT_START)
    breaches = d.state.breaches
    d.send(plan(VISIT_START))
    assert d.deadline("audit1.audit_plan").status == DeadlineStatus.missed
    assert d.state.breaches == breaches  # already counted when the due date passed, not twice


@pytest.mark.parametrize("event", [
    self_assessment(PREP_DAY + DAY),
    user_survey(PREP_DAY + DAY),
    agent_survey(PREP_DAY + DAY),
])
def test_things_that_happened_cannot_be_dated_in_the_future(rules, calendar_for, event):
    d = prepared(rules, calendar_for)
    assert "future" in d.refused(event)


def test_future_dossier_plan_report_observations_decision_are_refused(rules, calendar_for):
    d = prepared(rules, calendar_for)
    d.send(audit_dates(VISIT_START, VISIT_END))
    assert "future" in d.refused(dossier(PREP_DAY + DAY))
    assert "future" in d.refused(plan(PREP_DAY + DAY))
    d.send(dossier(PREP_DAY))
    d.pass_to(date(2026, 2, 20))
    d.send(plan(d.today))
    d.pass_to(VISIT_END)
    d.send(visit(60))
    d.pass_to(date(2026, 3, 20))
    assert "future" in d.refused(report(date(2026, 3, 20), date(2026, 3, 21)))
    d.send(report(date(2026, 3, 20)))
    assert "future" in d.refused({"type": "observations", "received_on": "2026-03-21", "text": "x"})
    d.pass_to(date(2026, 3, 31))
    assert "future" in d.refused(decision(date(2026, 4, 1), "bronze"))


def test_audit_dates_before_the_contract_or_ending_before_they_start_are_refused(rules, calendar_for):
    """§3.3, §3.6: the audit is set once the contract is signed (5 January 2026), and ends after it starts.

    Until issue 12 any date before today was refused (« audit dates are set ahead of the visit »); dates
    entered after the fact are now taken when they follow the contract (tests/lifecycle/test_late_facts.py).
    """
    d = prepared(rules, calendar_for)
    assert "contract" in d.refused(audit_dates(CONTRACT - DAY))
    assert "visit_end" in d.refused(audit_dates(VISIT_END, VISIT_START))


def test_unknown_site_is_refused_and_the_message_lists_the_sites(rules, calendar_for):
    """§1.4.2, §3.3: the sites visited are drawn from the candidate's sites."""
    d = prepared(rules, calendar_for)
    message = d.refused(audit_dates(VISIT_START, VISIT_END, sites=["hdv", "annexe-sud"]))
    assert "annexe-sud" in message
    assert "hdv" in message and "annexe-nord" in message


def test_unknown_dossier_item_is_refused(rules, calendar_for):
    """§3.5.1: the dossier holds the items the guide lists."""
    d = prepared(rules, calendar_for)
    d.send(audit_dates(VISIT_START, VISIT_END))
    message = d.refused(dossier(PREP_DAY, DOSSIER + ["horoscope"]))
    assert "horoscope" in message and "improvement-plan" in message


def test_dossier_before_the_contract_is_refused(rules, calendar_for):
    """§3.5.2: the body first checks a contract was signed (5 January 2026)."""
    d = prepared(rules, calendar_for)
    d.send(audit_dates(VISIT_START, VISIT_END))
    assert "contract" in d.refused(dossier(date(2026, 1, 4)))


def test_complements_before_the_dossier_are_refused(rules, calendar_for):
    d = prepared(rules, calendar_for)
    d.send(audit_dates(VISIT_START, VISIT_END))
    assert "dossier" in d.refused({"type": "complements_requested", "requested_on": PREP_DAY.isoformat(),
                                   "items": ["training-plan"]})


# -------------------------------------------------------------------------------------- deadlines
def test_dossier_due_one_month_before_the_audit(rules, calendar_for):
    """§3.5.1: « au plus tard un mois avant les dates d'audit »."""
    d = prepared(rules, calendar_for)
    d.send(audit_dates(VISIT_START, VISIT_END))
    assert d.deadline("audit1.dossier").due == date(2026, 2, 10)


def test_dossier_due_date_is_clamped_to_the_end_of_february(rules, calendar_for):
    """domain.md: 31 March − 1 month = 28 February (2026 is not a leap year)."""
    d = prepared(rules, calendar_for)
    d.send(audit_dates(date(2026, 3, 31)))
    assert d.deadline("audit1.dossier").due == date(2026, 2, 28)


def test_dossier_on_the_due_date_is_met_one_day_later_is_a_breach(rules, calendar_for):
    d = prepared(rules, calendar_for)
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.pass_to(date(2026, 2, 10))
    d.send(dossier(date(2026, 2, 10)))
    assert d.deadline("audit1.dossier").status == DeadlineStatus.met

    late = prepared(rules, calendar_for)
    late.send(audit_dates(VISIT_START, VISIT_END))
    late.pass_to(date(2026, 2, 11))
    late.send(dossier(date(2026, 2, 11)))
    assert late.deadline("audit1.dossier").status == DeadlineStatus.missed
    assert late.state.breaches == 1


def test_missing_dossier_items_then_complements_due_the_day_before_the_visit(rules, calendar_for):
    """§3.5.2: complements « devront … être transmises … avant la visite sur site »: due 9 March for a 10 March visit."""
    d = prepared(rules, calendar_for)
    d.send(audit_dates(VISIT_START, VISIT_END))
    partial = [c for c in DOSSIER if c not in ("training-plan", "quality-indicators")]
    d.pass_to(date(2026, 2, 2))
    d.send(dossier(d.today, partial))
    assert sorted(d.state.current_audit.dossier_missing) == ["quality-indicators", "training-plan"]
    d.send({"type": "complements_requested", "requested_on": "2026-02-02", "items": ["training-plan", "quality-indicators"]})
    assert d.deadline("audit1.complements").due == date(2026, 3, 9)
    d.pass_to(date(2026, 2, 20))
    d.send(plan(d.today))
    d.pass_to(date(2026, 3, 9))
    d.send(dossier(date(2026, 3, 9), ["training-plan", "quality-indicators"]))
    assert d.deadline("audit1.complements").status == DeadlineStatus.met
    assert d.state.current_audit.dossier_missing == []
    assert d.state.breaches == 0


def test_complements_received_late_are_a_breach(rules, calendar_for):
    """§3.5.2: complements on the visit day are not « avant la visite »."""
    d = prepared(rules, calendar_for)
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.pass_to(date(2026, 2, 2))
    d.send(dossier(d.today, DOSSIER[:-1]))
    d.send({"type": "complements_requested", "requested_on": "2026-02-02", "items": ["quality-indicators"]})
    d.pass_to(date(2026, 2, 20))
    d.send(plan(d.today))
    d.pass_to(VISIT_START)
    d.send(dossier(VISIT_START, ["quality-indicators"]))
    assert d.deadline("audit1.complements").status == DeadlineStatus.missed
    assert d.state.breaches == 1
    assert any(n.key == "breach:audit1.complements" for n in d.notes)


def test_plan_due_ten_working_days_before_a_visit_crossing_may_holidays(rules, calendar_for):
    """§3.7.1, domain.md: a visit on Friday 15 May 2026 (1, 8 and 14 May are holidays) → plan due Tuesday 28 April."""
    d = prepared(rules, calendar_for)
    d.send(audit_dates(date(2026, 5, 15)))
    assert d.deadline("audit1.audit_plan").due == date(2026, 4, 28)


def test_plan_due_date_follows_the_territory_holidays(rules, calendar_for):
    """domain.md: Alsace-Moselle has Good Friday (3 April 2026). Visit Friday 17 April 2026:
    metropole steps back over 16,15,14,13,10,9,8,7 (Easter Monday 6 April off),3,2 → 2 April;
    Moselle also skips 3 April → 1 April."""
    metropole = prepared(rules, calendar_for)
    metropole.send(audit_dates(date(2026, 4, 17)))
    assert metropole.deadline("audit1.audit_plan").due == date(2026, 4, 2)
    moselle = prepared(rules, calendar_for, territory="moselle")
    moselle.send(audit_dates(date(2026, 4, 17)))
    assert moselle.deadline("audit1.audit_plan").due == date(2026, 4, 1)


def test_plan_on_its_due_date_is_met_and_one_day_late_is_a_breach(rules, calendar_for):
    """§3.7.1: visit Tuesday 10 March 2026 → 10 working days before is Tuesday 24 February."""
    d = prepared(rules, calendar_for)
    d.send(audit_dates(VISIT_START, VISIT_END))
    assert d.deadline("audit1.audit_plan").due == date(2026, 2, 24)
    d.pass_to(date(2026, 2, 24))
    assert any(n.key == "due:audit1.audit_plan" for n in d.notes)  # told on the day
    d.send(plan(date(2026, 2, 24)))
    assert d.deadline("audit1.audit_plan").status == DeadlineStatus.met

    late = prepared(rules, calendar_for)
    late.send(audit_dates(VISIT_START, VISIT_END))
    late.send(dossier(PREP_DAY))
    late.pass_to(date(2026, 2, 24))
    assert late.state.breaches == 0
    late.pass_to(date(2026, 2, 25))
    assert late.deadline("audit1.audit_plan").status == DeadlineStatus.missed
    assert late.state.breaches == 1
    assert any(n.key == "breach:audit1.audit_plan" for n in late.notes)
    late.send(plan(date(2026, 2, 25)))
    assert late.state.breaches == 1


def test_report_due_21_days_after_the_last_day_of_the_visit(rules, calendar_for):
    """§3.7.1: « 21 jours après la visite »: a 10–11 March visit → 1 April 2026."""
    d = visited(rules, calendar_for)
    assert d.deadline("audit1.report").due == VISIT_END + timedelta(days=21) == date(2026, 4, 1)


def test_report_on_day_21_is_met_day_22_is_a_breach(rules, calendar_for):
    d = visited(rules, calendar_for)
    d.pass_to(date(2026, 4, 1))
    d.send(report(date(2026, 4, 1)))
    assert d.deadline("audit1.report").status == DeadlineStatus.met
    late = visited(rules, calendar_for)
    late.pass_to(date(2026, 4, 2))
    assert late.deadline("audit1.report").status == DeadlineStatus.missed
    assert late.state.breaches == 1


def test_report_sent_on_time_but_recorded_later_is_not_a_breach(rules, calendar_for):
    """§3.7.1: a report sent on day 21 was sent « dans un délai de 21 jours », even if the body records it on day 24."""
    d = visited(rules, calendar_for)
    d.pass_to(date(2026, 4, 4))  # the engine has passed the due date without the report
    d.send(report(date(2026, 4, 1), date(2026, 4, 1)))
    assert d.deadline("audit1.report").status == DeadlineStatus.met
    assert d.state.breaches == 0
    assert not timeline_kinds(d, "deadline_late")


def test_observations_window_is_ten_days_from_receipt(rules, calendar_for):
    """§3.7.1: « à compter de la date de réception du rapport, le candidat bénéficie de 10 jours »."""
    d = visited(rules, calendar_for)
    d.pass_to(date(2026, 3, 20))
    d.send(report(date(2026, 3, 19), date(2026, 3, 20)))
    assert d.state.phase == Phase.decision
    assert d.deadline("audit1.observations").due == date(2026, 3, 30)
    d.pass_to(date(2026, 3, 31))
    assert d.state.breaches == 0  # an unused window is no breach
    assert "received_on" in d.refused({"type": "observations", "received_on": "2026-03-31", "text": "late"})
    d.send({"type": "observations", "received_on": "2026-03-30", "text": "day 10"})
    assert d.state.current_audit.observations == ["day 10"]


def test_decision_before_the_window_closed_is_refused(rules, calendar_for):
    """§3.7.1: the complete report goes to the body after the observations window."""
    d = visited(rules, calendar_for)
    d.pass_to(date(2026, 3, 20))
    d.send(report(date(2026, 3, 20)))
    d.pass_to(date(2026, 3, 30))
    message = d.refused(decision(date(2026, 3, 30), "bronze"))
    assert "2026-03-30" in message and "observations" in message
    d.pass_to(date(2026, 3, 31))
    d.send(decision(date(2026, 3, 31), "bronze"))
    assert d.state.phase == Phase.labelled


def test_decision_inside_the_window_once_observations_are_received(rules, calendar_for):
    d = visited(rules, calendar_for)
    d.pass_to(date(2026, 3, 23))
    d.send(report(date(2026, 3, 20)))
    d.send({"type": "observations", "received_on": "2026-03-23", "text": "our remarks"})
    d.send(decision(date(2026, 3, 23), "bronze"))
    assert d.state.phase == Phase.labelled
    window = d.deadline("audit1.observations")  # a window, not a deadline: done (not met or missed) on the decision
    assert (window.status, window.closed_on) == (DeadlineStatus.done, date(2026, 3, 23))


def test_decision_before_the_report_was_received_is_refused(rules, calendar_for):
    d = visited(rules, calendar_for)
    assert "report" in d.refused(decision(VISIT_END, "bronze"))


def test_postponement_moves_open_deadlines_counts_and_keeps_met_ones(rules, calendar_for):
    """§3.6 and §5.3.1 (« succession de reports d'audits »): new audit dates are a postponement."""
    d = prepared(rules, calendar_for)
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.pass_to(date(2026, 2, 2))
    d.send(dossier(d.today))  # met for 10 February
    new_start = date(2026, 5, 15)
    d.send(audit_dates(new_start, new_start))
    audit = d.state.current_audit
    assert audit.postponements == 1
    assert (audit.visit_start, audit.visit_end) == (new_start, new_start)
    assert d.deadline("audit1.audit_plan").due == date(2026, 4, 28)
    dossier_deadline = d.deadline("audit1.dossier")
    assert dossier_deadline.status == DeadlineStatus.met and dossier_deadline.due == date(2026, 2, 10)
    d.send(audit_dates(date(2026, 5, 19), date(2026, 5, 20)))
    assert d.state.current_audit.postponements == 2
    assert len(d.state.audits) == 1
    # the old plan date (24 February) passes without a breach: the plan is now due 10 working days before 19 May
    d.pass_to(date(2026, 3, 1))
    assert d.state.breaches == 0
    # 18, 15, 13, 12, 11, 7, 6, 5, 4 May, 30 April (14 Ascension, 8 and 1 May are holidays)
    assert d.deadline("audit1.audit_plan").due == date(2026, 4, 30)


def test_postponement_moves_the_complements_deadline(rules, calendar_for):
    """§3.5.2: complements stay due before the (new) visit."""
    d = prepared(rules, calendar_for)
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.send(dossier(PREP_DAY, DOSSIER[:-1]))
    d.send({"type": "complements_requested", "requested_on": PREP_DAY.isoformat(), "items": ["quality-indicators"]})
    d.send(audit_dates(date(2026, 4, 14), date(2026, 4, 14)))
    assert d.deadline("audit1.complements").due == date(2026, 4, 13)


def test_audit_dates_cannot_change_once_the_visit_is_recorded(rules, calendar_for):
    d = visited(rules, calendar_for)
    assert d.refused(audit_dates(date(2026, 4, 14))) == "an initial audit is scheduled during preparation; this cycle is audit"
    assert d.state.current_audit.visit_start == VISIT_START


def test_visit_moves_the_cycle_to_audit_and_report_to_decision(rules, calendar_for):
    d = prepared(rules, calendar_for)
    assert d.state.phase == Phase.preparation
    prepared_audit(d, VISIT_START, VISIT_END)
    assert d.state.phase == Phase.preparation
    d.send(visit(60))
    assert d.state.phase == Phase.audit
    d.pass_to(date(2026, 3, 20))
    d.send(report(date(2026, 3, 20)))
    assert d.state.phase == Phase.decision


def test_survey_launch_reminder_two_months_before_the_audit(rules, calendar_for):
    """§3.4: « il est recommandé de procéder au lancement de ces enquêtes au moins 2 mois avant les dates d'audit »."""
    d = new_driver(rules, calendar_for)
    d.send(audit_dates(date(2026, 5, 15)))
    reminder = d.deadline("audit1.survey_launch_recommended")
    assert reminder.due == date(2026, 5, 15) - relativedelta(months=2) == date(2026, 3, 15)
