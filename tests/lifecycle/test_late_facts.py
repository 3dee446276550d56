"""Facts recorded after they happened (issue 12, « Late recording »).

* shared/domain.md, « Counting dates »: « A fact is dated when it happened, which may be days before it
  is entered; both dates are kept, and deadlines and breaches count from the fact's own date. »
* §3.3, §3.6: the audit is set once the contract is signed; §3.9.1: a follow-up follows the label.
* §3.5.1 (dossier one month before the audit dates), §3.7.1 (plan 10 working days before the visit,
  report within 21 days after it): a deadline whose due date is already past when the fact setting it is
  entered is judged at once — a breach, withdrawn when the answering fact turns out to be on time.
* §3.1: a self-assessment before any audit, « dans les 12 mois précédant la date d'audit »: the audit
  uses the latest on or before its visit; a second one with the same date is refused.

Dates: contract 5 January 2026; visit 10–11 March 2026 (dossier due 10 February, plan due 24 February,
report due 1 April).
"""

from __future__ import annotations

from datetime import date

from spplus.lifecycle.state import DeadlineStatus

from .test_cycle_basics import (
    CONTRACT, DAY, PREP_DAY, REPORT_DAY, VISIT_END, VISIT_START, agent_survey, audit_dates, decision, dossier, full_audit,
    labelled, new_driver, plan, prepared_audit, prerequisites, report, self_assessment, timeline_kinds, user_survey, visit,
)

ENTERED = date(2026, 4, 20)  # the day a body enters the whole audit, after the fact


def entered_late(rules, calendar_for):
    """Prerequisites on time; on 20 April 2026 the body enters the 10–11 March audit it already held."""
    d = new_driver(rules, calendar_for)
    prerequisites(d, PREP_DAY)
    d.pass_to(ENTERED)
    return d


def notes_for(d, key: str) -> list[str]:
    return [n.key for n in d.notes if n.key.endswith(f":{key}")]


# ------------------------------------------------------------------------------------- audit dates
def test_audit_dates_already_past_are_taken_and_dated_when_they_were_agreed_at_the_latest(rules, calendar_for):
    d = entered_late(rules, calendar_for)
    d.send(audit_dates(VISIT_START, VISIT_END))
    entry = timeline_kinds(d, "audit_dates")[-1]
    assert (entry.on, entry.recorded) == (VISIT_START, ENTERED)
    assert d.state.current_audit.visit_start == VISIT_START


def test_audit_dates_before_the_contract_are_refused(rules, calendar_for):
    """§3.3: « après signature du contrat … l'organisme de certification sélectionne les sites à auditer »."""
    d = entered_late(rules, calendar_for)
    message = d.refused(audit_dates(CONTRACT - DAY))
    assert "contract" in message and CONTRACT.isoformat() in message


def test_a_postponement_to_a_past_date_is_refused_one_ahead_is_taken(rules, calendar_for):
    """New dates for a scheduled audit are a postponement, agreed today: a past date makes no sense."""
    d = new_driver(rules, calendar_for)
    prerequisites(d, PREP_DAY)
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.pass_to(date(2026, 2, 2))
    message = d.refused(audit_dates(date(2026, 2, 1)))
    assert "postpone" in message and "2026-02-02" in message
    d.send(audit_dates(date(2026, 4, 14)))
    assert d.state.current_audit.postponements == 1


def test_a_followup_before_the_label_is_refused(rules, calendar_for):
    d = labelled(rules, calendar_for)
    assert "visit_start" in d.refused(audit_dates(date(2026, 3, 31), kind="followup"))


# --------------------------------------------------------------------------------- judged at once
def test_deadlines_already_past_are_judged_at_once_and_facts_on_time_withdraw_the_breach(rules, calendar_for):
    """The dossier (due 10 February) and the plan (due 24 February) were on time, entered on 20 April."""
    d = entered_late(rules, calendar_for)
    d.send(audit_dates(VISIT_START, VISIT_END))
    for key in ("audit1.dossier", "audit1.audit_plan"):
        assert d.deadline(key).status == DeadlineStatus.missed  # judged at once, not left open
        assert notes_for(d, key) == [f"breach:{key}"]  # no « due today » for a day gone
    assert d.state.breaches == 2
    assert [e.on for e in timeline_kinds(d, "breach")] == [date(2026, 2, 11), date(2026, 2, 25)]
    d.send(dossier(date(2026, 2, 5)))
    d.send(plan(date(2026, 2, 20)))
    assert d.state.breaches == 0
    assert d.deadline("audit1.dossier").status == d.deadline("audit1.audit_plan").status == DeadlineStatus.met
    assert {"breach_withdrawn:audit1.dossier", "breach_withdrawn:audit1.audit_plan"} <= {n.key for n in d.notes}
    withdrawn = timeline_kinds(d, "breach_withdrawn")[0]
    assert (withdrawn.on, withdrawn.recorded, withdrawn.data["due"]) == (date(2026, 2, 5), ENTERED, "2026-02-10")


def test_a_report_entered_late_but_sent_on_time_is_no_breach(rules, calendar_for):
    """§3.7.1: the report is due 21 days after the visit (1 April), counted from the visit, not from its entry."""
    d = entered_late(rules, calendar_for)
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.send(dossier(date(2026, 2, 5)))
    d.send(plan(date(2026, 2, 20)))
    d.send(visit(60))
    assert d.deadline("audit1.report").due == date(2026, 4, 1)
    set_ = [e for e in timeline_kinds(d, "deadline_set") if e.data["key"] == "audit1.report"][0]
    assert (set_.on, set_.recorded, set_.data["due"]) == (VISIT_END, ENTERED, "2026-04-01")
    d.send(report(REPORT_DAY))
    assert d.deadline("audit1.report").status == DeadlineStatus.met and d.state.breaches == 0
    d.send(decision(date(2026, 4, 1), "bronze"))
    assert d.state.attestation.valid_from == date(2026, 4, 1) and d.state.breaches == 0


def test_a_report_entered_late_and_sent_late_is_one_breach(rules, calendar_for):
    d = entered_late(rules, calendar_for)
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.send(dossier(date(2026, 2, 5)))
    d.send(plan(date(2026, 2, 20)))
    d.send(visit(60))
    d.send(report(date(2026, 4, 3)))
    assert d.deadline("audit1.report").status == DeadlineStatus.missed and d.state.breaches == 1
    breach = [e for e in timeline_kinds(d, "breach") if e.data["key"] == "audit1.report"]
    assert len(breach) == 1 and breach[0].on == date(2026, 4, 2) and breach[0].data["due"] == "2026-04-01"
    late = timeline_kinds(d, "deadline_late")[0]
    assert (late.on, late.data["done_on"]) == (date(2026, 4, 3), "2026-04-03")


def test_a_report_received_late_in_real_time_is_still_a_breach(rules, calendar_for):
    """The same late report, entered on its day: the cycle told of the breach on 2 April."""
    d = new_driver(rules, calendar_for)
    prerequisites(d, PREP_DAY)
    prepared_audit(d, VISIT_START, VISIT_END)
    d.send(visit(60))
    d.pass_to(date(2026, 4, 3))
    assert notes_for(d, "audit1.report") == ["due:audit1.report", "breach:audit1.report"]
    d.send(report(date(2026, 4, 3)))
    assert d.state.breaches == 1


def test_the_observations_window_already_closed_is_closed_at_once(rules, calendar_for):
    """§3.7.1: 10 days from the report's receipt (20 March → 30 March): entered on 20 April, it is already over."""
    d = entered_late(rules, calendar_for)
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.send(dossier(date(2026, 2, 5)))
    d.send(plan(date(2026, 2, 20)))
    d.send(visit(60))
    d.send(report(REPORT_DAY))
    assert d.deadline("audit1.observations").status == DeadlineStatus.done
    d.send({"type": "observations", "received_on": "2026-03-27", "text": "engagement 3"})  # within it: taken
    assert "window closed" in d.refused({"type": "observations", "received_on": "2026-03-31", "text": "late"})


def test_a_lifting_entered_late_sends_the_invitation_whose_date_it_preceded(rules, calendar_for):
    """§3.10: suspended 1 March 2028, lifted 1 June (entered 10 July): the 1 July invitation was still ahead
    on the lifting's own date, so it is set again and, its date gone, sent at once."""
    d = labelled(rules, calendar_for)
    d.pass_to(date(2028, 3, 1))
    d.send({"type": "suspension", "reason": "own-request", "effective": "2028-03-01"})
    d.pass_to(date(2028, 7, 10))
    assert not notes_for(d, "label.renewal_invitation")
    d.send({"type": "suspension_lifted", "effective": "2028-06-01"})
    assert d.deadline("label.renewal_invitation").status == DeadlineStatus.done
    assert notes_for(d, "label.renewal_invitation") == ["reminder:label.renewal_invitation"]


def test_network_surveys_already_run_meet_their_deadline_when_the_decision_is_entered(rules, calendar_for):
    """§3.9.2, notes: both surveys closed 15 March 2026, after the visit, before the decision: met at once."""
    d = new_driver(rules, calendar_for, network="central-cnaf")
    prerequisites(d, PREP_DAY)
    prepared_audit(d, VISIT_START, VISIT_END)
    d.send(visit(60))
    d.pass_to(REPORT_DAY)
    d.send(report(REPORT_DAY))
    d.send(user_survey(date(2026, 3, 15)))
    d.send(agent_survey(date(2026, 3, 15)))
    d.pass_to(date(2026, 4, 1))
    d.send(decision(date(2026, 4, 1), "bronze"))
    deadline = d.deadline("network.local_surveys")
    assert deadline.status == DeadlineStatus.met and deadline.closed_on == date(2026, 3, 15)


# ------------------------------------------------------------------------------- what facts follow
def test_facts_dated_before_the_step_they_follow_are_refused(rules, calendar_for):
    d = entered_late(rules, calendar_for)
    d.send(audit_dates(VISIT_START, VISIT_END))
    assert "contract" in d.refused(plan(CONTRACT - DAY))
    d.send(dossier(date(2026, 2, 5), ["identification"]))
    assert "dossier" in d.refused({"type": "complements_requested", "requested_on": "2026-02-04", "items": ["training-plan"]})


def test_an_action_plan_dated_before_the_decision_asking_for_it_is_refused(rules, calendar_for):
    d = labelled(rules, calendar_for)
    prerequisites(d, date(2027, 7, 1))
    decided = full_audit(d, date(2027, 10, 1), 45, None, kind="followup")
    message = d.refused({"type": "action_plan", "received_on": (decided - DAY).isoformat()})
    assert "follow-up decision" in message


# -------------------------------------------------------------------------------- self-assessments
def test_the_same_self_assessment_date_twice_is_refused(rules, calendar_for):
    d = new_driver(rules, calendar_for)
    d.pass_to(PREP_DAY + DAY)
    d.send(self_assessment(PREP_DAY))
    message = d.refused(self_assessment(PREP_DAY))
    assert f"already recorded on {(PREP_DAY + DAY).isoformat()}" in message and "done_on" in message


def test_newer_self_assessments_are_taken_and_the_timeline_says_which_the_audit_uses(rules, calendar_for):
    """§3.1: the audit of 10 March 2026 uses the latest on or before it, within 12 months."""
    d = new_driver(rules, calendar_for)
    d.pass_to(PREP_DAY)
    d.send(self_assessment(date(2025, 2, 1)))
    first = timeline_kinds(d, "self_assessment")[-1]
    assert first.data["used_by_next_audit"] and first.data["covers_visits_until"] == "2026-02-01"
    d.send(self_assessment(date(2025, 11, 3)))
    d.send(self_assessment(date(2025, 6, 2)))  # older than the latest: recorded, not the one in use
    older = timeline_kinds(d, "self_assessment")[-1]
    assert not older.data["used_by_next_audit"] and older.data["in_use"] == "2025-11-03"
    assert "later one of 2025-11-03" in older.summary
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.pass_to(date(2026, 2, 2))
    d.send(self_assessment(date(2026, 2, 2)))
    third = timeline_kinds(d, "self_assessment")[-1]
    assert third.data == {"next_audit": "2026-03-10", "in_use": "2026-02-02", "used_by_next_audit": True, "within_limit": True}
    assert "the one the audit of 2026-03-10 uses" in third.summary
    assert len(d.state.self_assessments) == 4


def test_a_self_assessment_too_old_for_the_audit_says_so(rules, calendar_for):
    """« dans les 12 mois précédant la date d'audit »: 9 March 2025 is one day too old for a 10 March 2026 visit."""
    d = new_driver(rules, calendar_for)
    d.pass_to(PREP_DAY)
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.send(self_assessment(date(2025, 3, 9)))
    entry = timeline_kinds(d, "self_assessment")[-1]
    assert entry.data["within_limit"] is False and "too old" in entry.summary


# --------------------------------------------------------------------------- cycles opened before
def test_a_cycle_opened_before_keeps_its_behaviour(rules, calendar_for):
    """Cycles whose history was recorded before issue 12 (behaviour 0) replay as they ran: the survey
    reminder stays open, and a deadline already past gets its « due today » before its breach."""
    d = new_driver(rules, calendar_for)
    d.state.behaviour = 0
    d.pass_to(PREP_DAY)
    d.send(self_assessment(PREP_DAY))
    d.send(user_survey(PREP_DAY))
    d.send(agent_survey(PREP_DAY))
    d.send(audit_dates(date(2026, 6, 10)))
    assert d.deadline("audit1.survey_launch_recommended").status == DeadlineStatus.open
    d.pass_to(date(2026, 5, 20))
    d.send(audit_dates(date(2026, 6, 1)))  # a postponement: its plan was due on 18 May
    assert d.deadline("audit1.audit_plan").status == DeadlineStatus.open  # not judged until the next wake
    d.pass_to(d.today)
    assert notes_for(d, "audit1.audit_plan") == ["due:audit1.audit_plan", "breach:audit1.audit_plan"]


def test_a_followup_decision_entered_late_suspends_at_once_and_an_on_time_plan_undoes_it(rules, calendar_for):
    """§3.9.1: below the minimum on 21 October 2027, the action plan is due 21 November; the decision is
    entered on 1 December. Judged at once: missed, so suspended from 22 November (procedures.yaml
    automatic_actions). The plan, received on 15 November, is then entered: no breach, and the suspension
    ends on the day it began, the plan having come on time."""
    d = labelled(rules, calendar_for)
    # §3.9.1: a self-assessment in year 1 of the label (13 January 2026 – 12 January 2027, 12 months after the one of
    # 12 January 2026 the initial audit used), or the follow-up's visit records a breach of its own.
    d.pass_to(date(2027, 1, 4))
    d.send(self_assessment(date(2027, 1, 4)))
    prerequisites(d, date(2027, 7, 1))
    prepared_audit(d, date(2027, 10, 1), kind="followup")
    d.send(visit(45))
    d.pass_to(date(2027, 10, 10))
    d.send(report(d.today))
    d.pass_to(date(2027, 12, 1))
    d.send(decision(date(2027, 10, 21), None))
    assert d.deadline("label.action_plan").due == date(2027, 11, 21)
    assert d.state.phase.value == "suspended" and d.state.suspended_on == date(2027, 11, 22)
    assert d.state.breaches == 1
    d.send({"type": "action_plan", "received_on": "2027-11-15"})
    assert d.state.breaches == 0 and d.state.phase.value == "labelled"
    lifted = timeline_kinds(d, "suspension_lifted")[-1]
    assert lifted.on == date(2027, 11, 22) and "2027-11-15" in lifted.summary
