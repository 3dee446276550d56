"""The yearly self-assessment of a labelled local service: reminded each year, checked at the follow-up (§3.9.1).

What the guide says (seed 002):

* §3.9.1: « les services publics locaux labellisés réalisent chaque année un autodiagnostic, indépendamment de la
  date de l'audit initial. En vue de l'audit de suivi, le service public devra attester, par la production du ou des
  rapports de résultats d'autodiagnostics, de la réalisation des autodiagnostics intervenus depuis sa première
  demande de labellisation … (rapports émis dans les 12 et/ou 24 mois suivant celui fourni à l'appui de la demande
  d'audit initial) ».
* §3.9.2 notes: the local services labelled through their central service do « l'autodiagnostic local (et ce chaque
  année, indépendamment de la date de leur audit initial) » too (tests/network/test_local_in_network.py).

The rules (rules/deadlines.yaml annual_self_assessment: 12 months after the self-assessment the initial audit used,
the last day included; rules/procedures.yaml missing_annual_self_assessment): year k of the label runs from the day
after S + (k − 1) × 12 months to S + k × 12 months, S being the self-assessment the initial audit used (the latest
on or before its visit, §3.1). The reminder falls on each year's last day (the guide gives no reminder date: an Open
choice of the rule's note). What a follow-up does when a year has none is an Open choice of the rules too: the
default, tested here first, records a breach and takes the visit; ``refuse`` and ``flag`` are tested with the
setting changed.

Dates of the plain path (test_cycle_basics): self-assessment S = 12 January 2026, visit 10–11 March 2026, decided
1 April 2026, expiry 1 April 2029 (§2.3); follow-up window 1 August – 1 December 2027 (18 ± 2 months, §3.9.1).
  year 1: 13 January 2026 – 12 January 2027 (S + 12 months)
  year 2: 13 January 2027 – 12 January 2028 (S + 24 months)
  year 3: 13 January 2028 – 12 January 2029 (S + 36 months, before the expiry; a year 4 would end on 12 January
          2030, after it: none)
A follow-up visit on 1 October 2027 comes after year 1 has ended and before year 2 has: year 1 is checked.
"""

from __future__ import annotations

from datetime import date

import pytest

from spplus.lifecycle.state import LATE_FACTS, DeadlineStatus

from .driver import with_rule
from .test_cycle_basics import (
    DAY, PREP_DAY, REPORT_DAY, VISIT_END, VISIT_START, DECIDED, agent_survey, audit_dates, decision, dossier, labelled,
    new_driver, plan, prepared_audit, report, self_assessment, timeline_kinds, user_survey, visit,
)

YEAR_ENDS = [date(2027, 1, 12), date(2028, 1, 12), date(2029, 1, 12)]  # S + 12, 24, 36 months (docstring)
FOLLOWUP = date(2027, 10, 1)  # the target date of the follow-up: 1 April 2026 + 18 months (§3.9.1)
SURVEYS_AGAIN = date(2027, 7, 1)  # the surveys the follow-up needs, run since the initial audit (§3.9.1)


def keys(d) -> list[str]:
    return sorted(k for k in d.state.deadlines if k.startswith("self_assessment.year"))


def notes_for(d, key: str) -> list[str]:
    return [n.key for n in d.notes if n.key.endswith(f":{key}")]


def followup_visited(d, *self_assessments: date, score: int = 60) -> None:
    """The self-assessments given, then surveys again on 1 July 2027, a follow-up visit on 1 October 2027 scored."""
    for done in self_assessments:
        d.pass_to(done)
        d.send(self_assessment(done))
    d.pass_to(SURVEYS_AGAIN)
    d.send(self_assessment(SURVEYS_AGAIN))  # the follow-up's own prerequisite: one within 12 months (§3.1)
    d.send(user_survey(SURVEYS_AGAIN))
    d.send(agent_survey(SURVEYS_AGAIN))
    prepared_audit(d, FOLLOWUP, kind="followup")
    d.send(visit(score))


# ---------------------------------------------------------------------------------------------- the reminders
def test_the_label_reminds_each_year_of_self_assessment_on_its_last_day(rules, calendar_for):
    d = labelled(rules, calendar_for)
    assert d.state.self_assessment_anchor == PREP_DAY  # the one the initial audit of 10 March 2026 used
    assert keys(d) == ["self_assessment.year1", "self_assessment.year2", "self_assessment.year3"]
    for number, due in enumerate(YEAR_ENDS, start=1):
        deadline = d.deadline(f"self_assessment.year{number}")
        assert deadline.due == due and deadline.kind.value == "reminder"
        assert deadline.computed.rule == "deadlines.annual_self_assessment" and "§3.9.1" in deadline.computed.reference
        assert f"{12 * number} months after the self-assessment of 2026-01-12" in deadline.computed.explanation
    # Nothing recorded in year 1: the reminder goes out on its last day, 12 January 2027, not the day before.
    d.pass_to(YEAR_ENDS[0] - DAY)
    assert notes_for(d, "self_assessment.year1") == []
    d.pass_to(YEAR_ENDS[0])
    assert notes_for(d, "self_assessment.year1") == ["reminder:self_assessment.year1"]
    [note] = [n for n in d.notes if n.key == "reminder:self_assessment.year1"]
    assert "2027-01-12" in note.subject and "§3.9.1" in note.subject
    assert d.deadline("self_assessment.year1").status == DeadlineStatus.done
    assert d.state.breaches == 0  # a reminder, never a breach by itself


def test_a_self_assessment_in_its_year_closes_that_reminder_only(rules, calendar_for):
    """Done on 11 January 2027, in year 1: year 1's reminder is met and never sent; year 2's stays open and goes out
    on 12 January 2028."""
    d = labelled(rules, calendar_for)
    d.pass_to(YEAR_ENDS[0] - DAY)
    d.send(self_assessment(YEAR_ENDS[0] - DAY))
    assert d.deadline("self_assessment.year1").status == DeadlineStatus.met
    assert d.deadline("self_assessment.year2").status == DeadlineStatus.open
    d.pass_to(YEAR_ENDS[1])
    assert notes_for(d, "self_assessment.year1") == [] and notes_for(d, "self_assessment.year2") == ["reminder:self_assessment.year2"]


def test_a_self_assessment_on_the_last_day_of_year_1_counts_for_it(rules, calendar_for):
    """12 January 2027 is year 1's last day, included (« dans les 12 mois »): the reminder went out that morning, and
    the self-assessment done that day still makes the follow-up's year 1 complete (no breach)."""
    d = labelled(rules, calendar_for)
    followup_visited(d, YEAR_ENDS[0])
    assert notes_for(d, "self_assessment.year1") == ["reminder:self_assessment.year1"]
    assert d.state.breaches == 0


def test_the_years_end_with_the_label(rules, calendar_for):
    """A withdrawal ends the label (§5.3.2): the yearly reminders still ahead are cancelled with it."""
    d = labelled(rules, calendar_for)
    d.pass_to(date(2027, 6, 1))
    d.send({"type": "withdrawal", "reason": "mark-rules-broken", "effective": "2027-06-01"})
    assert [d.deadline(k).status for k in keys(d)] == [DeadlineStatus.done, DeadlineStatus.cancelled, DeadlineStatus.cancelled]


# ---------------------------------------------------------------------------------------------- at the follow-up
def test_a_follow_up_with_a_report_in_year_1_records_no_breach(rules, calendar_for):
    d = labelled(rules, calendar_for)
    followup_visited(d, date(2027, 1, 4))
    assert d.state.current_audit.scores is not None
    assert d.state.breaches == 0


def test_a_follow_up_without_a_report_in_year_1_records_a_breach_and_goes_on(rules, calendar_for):
    """Open default (procedures.missing_annual_self_assessment: breach): the visit of 1 October 2027 is taken; year 1
    (13 January 2026 – 12 January 2027) has no self-assessment: one breach, dated on the visit, the service and the
    body told. The self-assessment of 1 July 2027 is year 2's, which ends on 12 January 2028, after the visit."""
    assert rules.procedures.missing_annual_self_assessment.at(FOLLOWUP).value == "breach"
    d = labelled(rules, calendar_for)
    followup_visited(d)
    assert d.state.current_audit.scores is not None
    assert d.state.breaches == 1
    [entry] = timeline_kinds(d, "breach")
    assert entry.on == FOLLOWUP and entry.data["rule"] == "procedures.missing_annual_self_assessment"
    assert "year 1" in entry.summary and "2026-01-13 to 2027-01-12" in entry.summary
    [note] = [n for n in d.notes if n.kind == "breach"]
    assert "§3.9.1" in note.subject and "year 1" in note.subject and "body:oc-alpha" in note.recipients


def test_a_report_the_day_after_year_1_ended_does_not_count_for_it(rules, calendar_for):
    """13 January 2027 is year 2's first day (« dans les 12 … mois suivant » the one of 12 January 2026)."""
    d = labelled(rules, calendar_for)
    followup_visited(d, date(2027, 1, 13))
    assert d.state.breaches == 1


def test_reports_are_checked_in_each_year_ended_by_the_visit_12_and_24_months(rules, calendar_for):
    """« rapports émis dans les 12 et/ou 24 mois suivant celui fourni »: an initial audit that used an older
    self-assessment, S = 2 April 2025 (within 12 months of the visit of 10 March 2026, §3.1). Year 1 ends 2 April 2026,
    year 2 on 2 April 2027 — both before the follow-up of 1 October 2027, so both are checked. Year 1 has one on
    25 March 2026 (after the visit, so not the one the audit used); year 2 has none: one breach, naming year 2."""
    d = new_driver(rules, calendar_for)
    d.send(self_assessment(date(2025, 4, 2)))
    d.pass_to(PREP_DAY)
    d.send(user_survey(PREP_DAY))
    d.send(agent_survey(PREP_DAY))
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.pass_to(date(2026, 2, 2))
    d.send(dossier(d.today))
    d.pass_to(date(2026, 2, 20))
    d.send(plan(d.today))
    d.pass_to(VISIT_END)
    d.send(visit(60))
    d.pass_to(REPORT_DAY)
    d.send(report(REPORT_DAY))
    d.pass_to(date(2026, 3, 25))
    d.send(self_assessment(date(2026, 3, 25)))
    d.pass_to(DECIDED)
    d.send(decision(DECIDED, "bronze"))
    assert d.state.self_assessment_anchor == date(2025, 4, 2)
    assert [d.deadline(k).due for k in keys(d)] == [date(2026, 4, 2), date(2027, 4, 2), date(2028, 4, 2)]
    assert d.deadline("self_assessment.year1").status == DeadlineStatus.met  # 25 March 2026 is in year 1
    followup_visited(d)  # its self-assessment of 1 July 2027 is year 3's (3 April 2027 – 2 April 2028)
    [entry] = timeline_kinds(d, "breach")
    assert "year 2" in entry.summary and "2026-04-03 to 2027-04-02" in entry.summary and d.state.breaches == 1


def test_with_the_refuse_setting_the_visit_waits_for_the_report(rules, calendar_for):
    """procedures.missing_annual_self_assessment: refuse (a DITP choice, not the default): the scores of the visit are
    refused, naming year 1; once the self-assessment of 8 January 2027 is recorded (late, dated when it was done),
    they are taken, with no breach."""
    d = labelled(with_rule(rules, "procedures", "missing_annual_self_assessment", "refuse"), calendar_for)
    d.pass_to(SURVEYS_AGAIN)
    d.send(self_assessment(SURVEYS_AGAIN))
    d.send(user_survey(SURVEYS_AGAIN))
    d.send(agent_survey(SURVEYS_AGAIN))
    prepared_audit(d, FOLLOWUP, kind="followup")
    message = d.refused(visit(60))
    assert "year 1" in message and "2026-01-13 to 2027-01-12" in message
    assert "missing_annual_self_assessment: refuse" in message
    d.send(self_assessment(date(2027, 1, 8)))
    d.send(visit(60))
    assert d.state.current_audit.scores is not None and d.state.breaches == 0


def test_with_the_flag_setting_the_visit_is_taken_with_a_warning(rules, calendar_for):
    d = labelled(with_rule(rules, "procedures", "missing_annual_self_assessment", "flag"), calendar_for)
    followup_visited(d)
    assert d.state.breaches == 0
    [warning] = timeline_kinds(d, "annual_self_assessment_warning")
    assert warning.on == FOLLOWUP and "year 1" in warning.summary


def test_the_years_follow_the_rule_file(rules, calendar_for):
    """annual_self_assessment set to 6 months (a DITP choice): S = 12 January 2026 → half-years ending 12 July 2026,
    12 January 2027, … 12 January 2029 (the one of 12 April 2029 comes after the expiry of 1 April 2029: none)."""
    changed = with_rule(rules, "deadlines", "annual_self_assessment",
                        {"amount": 6, "unit": "months", "direction": "after", "anchor": "initial_self_assessment", "movable": True})
    d = labelled(changed, calendar_for)
    assert [d.deadline(k).due for k in sorted(keys(d), key=lambda k: int(k.removeprefix("self_assessment.year")))] == [
        date(2026, 7, 12), date(2027, 1, 12), date(2027, 7, 12), date(2028, 1, 12), date(2028, 7, 12), date(2029, 1, 12)]


# ---------------------------------------------------------------------------------------------- running cycles
@pytest.mark.parametrize("why", ["opened before the patch", "rules pinned before the setting"])
def test_cycles_opened_before_or_on_older_rules_neither_remind_nor_check(rules, calendar_for, why):
    """A cycle opened before NOTICES_AND_YEARLY_CHECKS (its state's behaviour, set by workflows/cycle.py), or on rules
    recorded before deadlines.annual_self_assessment existed, runs as it did: no yearly reminder, no check."""
    if why == "rules pinned before the setting":
        d = new_driver(with_rule(with_rule(rules, "deadlines", "annual_self_assessment", None), "procedures",
                                 "missing_annual_self_assessment", None), calendar_for)
    else:
        d = new_driver(rules, calendar_for)
        d.state.behaviour = LATE_FACTS
    labelled_path(d)
    assert keys(d) == []
    followup_visited(d)
    assert d.state.breaches == 0 and timeline_kinds(d, "breach") == []


def labelled_path(d) -> None:
    """The plain path of test_cycle_basics.labelled on a driver already made."""
    d.pass_to(PREP_DAY)
    d.send(self_assessment(PREP_DAY))
    d.send(user_survey(PREP_DAY))
    d.send(agent_survey(PREP_DAY))
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.pass_to(date(2026, 2, 2))
    d.send(dossier(d.today))
    d.pass_to(date(2026, 2, 20))
    d.send(plan(d.today))
    d.pass_to(VISIT_END)
    d.send(visit(60))
    d.pass_to(REPORT_DAY)
    d.send(report(REPORT_DAY))
    d.pass_to(DECIDED)
    d.send(decision(DECIDED, "bronze"))


def test_a_decision_entered_after_a_year_ended_reminds_it_at_once(rules, calendar_for):
    """S = 12 January 2026, but the decision of 1 April 2026 is entered on 15 January 2027, after year 1 ended with
    no self-assessment in it: its reminder is sent at once (a fact recorded late is judged at once, issue 12)."""
    d = new_driver(rules, calendar_for)
    d.pass_to(PREP_DAY)
    d.send(self_assessment(PREP_DAY))
    d.send(user_survey(PREP_DAY))
    d.send(agent_survey(PREP_DAY))
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.pass_to(date(2026, 2, 2))
    d.send(dossier(d.today))
    d.pass_to(date(2026, 2, 20))
    d.send(plan(d.today))
    d.pass_to(VISIT_END)
    d.send(visit(60))
    d.pass_to(REPORT_DAY)
    d.send(report(REPORT_DAY))
    d.pass_to(date(2027, 1, 15))
    d.send(decision(DECIDED, "bronze"))
    assert notes_for(d, "self_assessment.year1") == ["reminder:self_assessment.year1"]
    assert d.deadline("self_assessment.year2").status == DeadlineStatus.open

