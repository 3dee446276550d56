"""Follow-up audit of an independent local service (§3.9.1), suspension and withdrawal (§5.3).

* §3.9.1: prepared 12 months after labelling; the follow-up audit at 18 months from the initial
  notification, « au plus tôt, deux mois avant et au plus tard, deux mois après » (ends included);
  surveys run « durant la période courant entre l'audit initial et l'audit de suivi »; outcomes:
  confirmed, a higher tier (attestation updated), or below the minimum → an action plan « dans un
  délai d'un mois », « à défaut, le label pourra être suspendu jusqu'à production du plan d'action »
  (procedures.yaml automatic_actions: the engine suspends on the day after it was due).
* §5.3.1: five suspension reasons; at most 12 months; lifting « n'entraîne pas de prolongation de
  la durée de validité ».
* §5.3.2: withdrawal (e.g. suspension not lifted); the service stops using the mark « dans les
  deux mois suivant la date effective du retrait ».

The label of these tests was decided on 1 April 2026: follow-up target 1 October 2027, window
1 August – 1 December 2027, expiry 1 April 2029.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from spplus.lifecycle import LabelStatus, Phase
from spplus.lifecycle.state import DeadlineStatus

from .driver import with_rule
from .test_cycle_basics import (
    DAY, DECIDED, agent_survey, audit_dates, decision, dossier, full_audit, labelled, plan, prerequisites, report,
    self_assessment, timeline_kinds, user_survey, visit,
)

TARGET = date(2027, 10, 1)
OPENS = date(2027, 8, 1)
CLOSES = date(2027, 12, 1)
EXPIRY = date(2029, 4, 1)
SURVEYS_AGAIN = date(2027, 7, 1)


# §3.9.1, « réalisent chaque année un autodiagnostic … (rapports émis dans les 12 et/ou 24 mois suivant celui fourni à
# l'appui de la demande d'audit initial) »: the initial audit used the self-assessment of 12 January 2026, so year 1 of
# the label runs to 12 January 2027 (rules/deadlines.yaml annual_self_assessment: 12 months); a follow-up in the
# window 1 August – 1 December 2027 checks it. The follow-ups of this module have one there, on 4 January 2027 (the one
# of 1 July 2027 falls in year 2, 13 January 2027 – 12 January 2028).
YEAR_1_SELF_ASSESSMENT = date(2027, 1, 4)


def followup_ready(rules, calendar_for, held: str = "bronze", **kw):
    d = labelled(rules, calendar_for, tier=held, **kw)
    d.pass_to(YEAR_1_SELF_ASSESSMENT)
    d.send(self_assessment(YEAR_1_SELF_ASSESSMENT))
    prerequisites(d, SURVEYS_AGAIN, user=kw.get("user", 75), agent=kw.get("agent", 55))
    return d


def below_minimum(rules, calendar_for):
    """A bronze label whose follow-up (1 October 2027) scores 45: decided 21 October 2027, action plan due 21 November."""
    d = followup_ready(rules, calendar_for)
    decided = full_audit(d, TARGET, 45, None, kind="followup")
    assert decided == date(2027, 10, 21)
    return d, decided


# ---------------------------------------------------------------------------------------- window
def test_followup_dates_are_set_from_the_decision(rules, calendar_for):
    d = labelled(rules, calendar_for)
    assert DECIDED + relativedelta(months=18) == TARGET
    assert d.deadline("label.followup_window_opens").due == TARGET - relativedelta(months=2) == OPENS
    assert d.deadline("label.followup_window_closes").due == TARGET + relativedelta(months=2) == CLOSES


def test_followup_preparation_reminder_twelve_months_after_labelling(rules, calendar_for):
    """§3.9.1: « douze mois après la labellisation initiale, le service public local prépare … l'audit de suivi »."""
    d = labelled(rules, calendar_for)
    d.pass_to(date(2027, 3, 31))
    assert not any(n.key == "reminder:label.followup_preparation" for n in d.notes)
    d.pass_to(date(2027, 4, 1))
    assert any(n.key == "reminder:label.followup_preparation" for n in d.notes)


@pytest.mark.parametrize("start, end", [(OPENS, OPENS), (CLOSES, CLOSES), (OPENS, CLOSES), (TARGET, TARGET)])
def test_followup_dates_inside_the_window_both_ends_included_are_accepted(rules, calendar_for, start, end):
    d = followup_ready(rules, calendar_for)
    d.send(audit_dates(start, end, kind="followup"))
    assert d.state.phase == Phase.followup


@pytest.mark.parametrize("start, end", [(OPENS - DAY, OPENS - DAY), (OPENS - DAY, OPENS), (CLOSES, CLOSES + DAY),
                                        (CLOSES + DAY, CLOSES + DAY)])
def test_followup_dates_outside_the_window_are_refused(rules, calendar_for, start, end):
    d = followup_ready(rules, calendar_for)
    message = d.refused(audit_dates(start, end, kind="followup"))
    assert "2027-08-01" in message and "2027-12-01" in message


def test_an_initial_audit_while_labelled_is_refused_with_a_hint(rules, calendar_for):
    d = followup_ready(rules, calendar_for)
    assert "followup" in d.refused(audit_dates(TARGET, kind="initial"))


def test_followup_needs_surveys_run_since_the_initial_audit(rules, calendar_for):
    """§3.9.1: the surveys of the initial audit (closed 12 January 2026) do not count for the follow-up."""
    d = labelled(rules, calendar_for)
    d.pass_to(SURVEYS_AGAIN)
    d.send(self_assessment(SURVEYS_AGAIN))
    d.send(audit_dates(TARGET, kind="followup"))
    d.pass_to(TARGET - timedelta(days=35))
    d.send(dossier(d.today))
    d.pass_to(TARGET)
    message = d.refused(visit(60))
    assert "§3.9.1" in message and "user survey" in message and "agent survey" in message
    d.send(user_survey(TARGET - DAY))
    d.send(agent_survey(TARGET - DAY))
    d.send(visit(60))
    assert d.state.current_audit.scores is not None


def test_followup_needs_a_recent_self_assessment(rules, calendar_for):
    """§3.9.1: « les services publics locaux labellisés réalisent chaque année un autodiagnostic »."""
    d = labelled(rules, calendar_for)
    d.pass_to(SURVEYS_AGAIN)
    d.send(user_survey(SURVEYS_AGAIN))
    d.send(agent_survey(SURVEYS_AGAIN))
    d.send(audit_dates(TARGET, kind="followup"))
    d.pass_to(TARGET - timedelta(days=35))
    d.send(dossier(d.today))
    d.pass_to(TARGET)
    assert "self-assessment" in d.refused(visit(60))  # the last one is of 12 January 2026


def test_window_closing_without_a_followup_visit_is_a_breach(rules, calendar_for):
    """§3.9.1 and §5.3.2 (« non-réalisation de l'audit de suivi »): the body is told; the label still holds."""
    d = labelled(rules, calendar_for)
    d.pass_to(CLOSES)
    assert d.state.breaches == 0
    d.pass_to(CLOSES + DAY)
    assert d.deadline("label.followup_window_closes").status == DeadlineStatus.missed
    assert d.state.breaches == 1
    assert any(n.key == "breach:label.followup_window_closes" for n in d.notes)
    assert d.state.label_status == LabelStatus.valid


def test_followup_visit_on_the_last_day_of_the_window_scored_the_next_day_is_no_breach(rules, calendar_for):
    """§3.9.1: a visit on 1 December 2027 is « au plus tard, deux mois après » the target."""
    d = followup_ready(rules, calendar_for)
    d.send(audit_dates(CLOSES, kind="followup"))
    d.pass_to(CLOSES - timedelta(days=35))
    d.send(dossier(d.today))
    d.pass_to(CLOSES - timedelta(days=20))
    d.send(plan(d.today))
    d.pass_to(CLOSES + DAY)  # the auditor records the scores the morning after
    d.send(visit(60))
    assert d.state.breaches == 0
    assert d.deadline("label.followup_window_closes").status == DeadlineStatus.met


# -------------------------------------------------------------------------------------- outcomes
def test_followup_confirms_the_tier(rules, calendar_for):
    d = followup_ready(rules, calendar_for)
    full_audit(d, TARGET, 60, "bronze", kind="followup")
    s = d.state
    assert s.phase == Phase.labelled and s.attestation.tier == "bronze"
    assert s.audits[-1].outcome == "confirmed"
    assert d.deadline("label.followup_window_closes").status == DeadlineStatus.met


def test_followup_gives_a_higher_tier_and_keeps_the_expiry(rules, calendar_for):
    """§3.9.1: « le passage à un palier supérieur fait l'objet d'une actualisation de l'attestation »; §2.3 validity unchanged."""
    d = labelled(rules, calendar_for)
    prerequisites(d, SURVEYS_AGAIN, user=85, agent=70)
    full_audit(d, TARGET, 70, "argent", kind="followup")
    a = d.state.attestation
    assert a.tier == "argent"
    assert (a.valid_from, a.expires, a.last_valid_day) == (DECIDED, EXPIRY, EXPIRY - DAY)
    assert d.state.audits[-1].outcome == "higher_tier"
    assert d.deadline("label.expiry").due == EXPIRY and d.deadline("label.expiry").status == DeadlineStatus.open


def test_followup_scores_between_minimum_and_held_tier_confirm_the_held_tier(rules, calendar_for):
    """§3.9.1 knows three outcomes (confirmed, higher, below minimum): argent held, bronze-level scores → argent confirmed."""
    d = labelled(rules, calendar_for, tier="argent", score=70, user=85, agent=70)
    prerequisites(d, SURVEYS_AGAIN, user=75, agent=55)
    full_audit(d, TARGET, 60, "argent", kind="followup")  # no reason needed
    assert d.state.attestation.tier == "argent"
    assert d.state.audits[-1].outcome == "confirmed"


def test_followup_below_minimum_asks_an_action_plan_within_one_month(rules, calendar_for):
    """§3.9.1: « un plan d'action, à proposer dans un délai d'un mois »."""
    d, decided = below_minimum(rules, calendar_for)
    s = d.state
    assert s.phase == Phase.action_plan
    assert s.label_status == LabelStatus.valid  # still labelled meanwhile
    assert d.deadline("label.action_plan").due == decided + relativedelta(months=1) == date(2027, 11, 21)
    assert s.audits[-1].outcome == "below_minimum"
    assert any(n.kind == "decision" and "2027-11-21" in n.subject for n in d.notes)


def test_action_plan_on_time_returns_to_labelled(rules, calendar_for):
    d, _ = below_minimum(rules, calendar_for)
    d.pass_to(date(2027, 11, 21))
    d.send({"type": "action_plan", "received_on": "2027-11-21"})
    s = d.state
    assert s.phase == Phase.labelled and s.label_status == LabelStatus.valid
    assert d.deadline("label.action_plan").status == DeadlineStatus.met
    d.pass_to(date(2027, 11, 25))
    assert s.phase == Phase.labelled and s.breaches == 0


def test_action_plan_only_when_one_is_due(rules, calendar_for):
    d = labelled(rules, calendar_for)
    assert "no action plan" in d.refused({"type": "action_plan", "received_on": DECIDED.isoformat()})


def test_action_plan_missed_suspends_the_day_after_it_was_due(rules, calendar_for):
    """§3.9.1 « à défaut, le label pourra être suspendu jusqu'à production du plan d'action », procedures.yaml
    automatic_actions.suspend_when_action_plan_missing: due 21 November 2027 → suspended from 22 November."""
    d, _ = below_minimum(rules, calendar_for)
    d.pass_to(date(2027, 11, 21))
    assert d.state.phase == Phase.action_plan
    d.pass_to(date(2027, 11, 22))
    s = d.state
    assert s.phase == Phase.suspended and s.label_status == LabelStatus.suspended
    assert s.suspended_on == date(2027, 11, 22) and s.suspension_reason == "no-action-plan"
    assert s.breaches == 1
    assert any(n.kind == "decision" and "ditp" in n.recipients for n in d.notes)  # §5.3.1: published by the DITP
    assert d.deadline("suspension.max").due == date(2028, 11, 22)


def test_action_plan_while_suspended_lifts_the_suspension_and_keeps_validity(rules, calendar_for):
    """§3.9.1 « suspendu jusqu'à production du plan d'action »; §5.3.1 no extension of validity."""
    d, _ = below_minimum(rules, calendar_for)
    d.pass_to(date(2028, 1, 10))
    d.send({"type": "action_plan", "received_on": "2028-01-10"})
    s = d.state
    assert s.phase == Phase.labelled and s.label_status == LabelStatus.valid
    assert s.suspended_on is None
    a = s.attestation
    assert (a.valid_from, a.expires, a.last_valid_day) == (DECIDED, EXPIRY, EXPIRY - DAY)
    assert d.deadline("suspension.max").status == DeadlineStatus.cancelled
    d.pass_to(date(2028, 12, 1))  # 12 months after the suspension: nothing happens
    assert s.phase == Phase.labelled and s.label_status == LabelStatus.valid


def test_suspension_not_lifted_after_twelve_months_is_a_withdrawal(rules, calendar_for):
    """§5.3.1 « délai maximum de suspension … 12 mois »; §5.3.2 withdrawal, mark dropped within 2 months."""
    d, _ = below_minimum(rules, calendar_for)
    d.pass_to(date(2028, 11, 21))
    assert d.state.phase == Phase.suspended
    d.pass_to(date(2028, 11, 22))
    s = d.state
    assert s.phase == Phase.withdrawn and s.label_status == LabelStatus.withdrawn
    assert s.withdrawal["reason"] == "suspension-not-lifted"
    assert s.withdrawal["effective"] == "2028-11-22"
    assert s.withdrawal["mark_removed_by"] == "2029-01-22"
    assert d.deadline("label.expiry").status == DeadlineStatus.cancelled
    assert not s.finished
    d.pass_to(date(2029, 1, 21))
    assert not s.finished
    d.pass_to(date(2029, 1, 22))
    assert s.finished and s.phase == Phase.withdrawn


def test_action_plan_does_not_lift_a_suspension_decided_for_another_reason(rules, calendar_for):
    """§5.3.1: a suspension is lifted when the service complies with what the body asked; an action plan after a
    follow-up does not answer a suspension for misuse of the mark."""
    d, _ = below_minimum(rules, calendar_for)
    d.pass_to(date(2027, 11, 5))
    d.send({"type": "suspension", "reason": "mark-misuse", "effective": "2027-11-05"})
    d.send({"type": "action_plan", "received_on": "2027-11-05"})
    s = d.state
    assert (s.phase, s.label_status) == (Phase.suspended, LabelStatus.suspended)


# ------------------------------------------------------------------------- suspension by the body
SUSPENSION_REASONS = ["no-action-plan", "repeated-postponements", "audit-refused", "mark-misuse", "own-request"]


@pytest.mark.parametrize("reason", SUSPENSION_REASONS)
def test_body_suspends_for_each_reason_of_the_guide(rules, calendar_for, reason):
    """§5.3.1: the five cases; DITP told; at most 12 months."""
    d = labelled(rules, calendar_for)
    d.pass_to(date(2026, 9, 15))
    d.send({"type": "suspension", "reason": reason, "effective": "2026-09-15", "note": "decided by the body"})
    s = d.state
    assert (s.phase, s.label_status, s.suspension_reason) == (Phase.suspended, LabelStatus.suspended, reason)
    assert d.deadline("suspension.max").due == date(2027, 9, 15)
    assert any(n.kind == "decision" and "ditp" in n.recipients and "2026-09-15" in n.subject for n in d.notes)


def test_suspension_reasons_are_those_of_the_rule_file(rules):
    assert [r.id for r in rules.procedures.suspension_reasons.at(date(2026, 1, 1))] == SUSPENSION_REASONS


def test_unknown_suspension_reason_is_refused(rules, calendar_for):
    d = labelled(rules, calendar_for)
    message = d.refused({"type": "suspension", "reason": "bad-weather", "effective": DECIDED.isoformat()})
    assert "bad-weather" in message and "own-request" in message and "§5.3.1" in message


def test_only_a_valid_label_is_suspended(rules, calendar_for):
    from .test_cycle_basics import new_driver

    d = new_driver(rules, calendar_for)
    assert "valid label" in d.refused({"type": "suspension", "reason": "own-request", "effective": "2026-01-05"})
    d = labelled(rules, calendar_for)
    d.send({"type": "suspension", "reason": "own-request", "effective": DECIDED.isoformat()})
    assert "valid label" in d.refused({"type": "suspension", "reason": "mark-misuse", "effective": DECIDED.isoformat()})


def test_suspension_dates_in_the_future_or_before_the_label_are_refused(rules, calendar_for):
    d = labelled(rules, calendar_for)
    assert "future" in d.refused({"type": "suspension", "reason": "own-request", "effective": "2026-04-02"})
    assert "effective" in d.refused({"type": "suspension", "reason": "own-request", "effective": "2026-03-31"})


def test_body_lifts_a_suspension_validity_unchanged(rules, calendar_for):
    """§5.3.1: « la levée de la suspension n'entraîne pas de prolongation de la durée de validité »."""
    d = labelled(rules, calendar_for)
    d.pass_to(date(2026, 9, 15))
    d.send({"type": "suspension", "reason": "own-request", "effective": "2026-09-15"})
    d.pass_to(date(2027, 2, 1))
    assert "effective" in d.refused({"type": "suspension_lifted", "effective": "2026-09-14"})
    d.send({"type": "suspension_lifted", "effective": "2027-02-01"})
    s = d.state
    assert (s.phase, s.label_status) == (Phase.labelled, LabelStatus.valid)
    assert (s.attestation.valid_from, s.attestation.expires) == (DECIDED, EXPIRY)
    assert d.deadline("label.expiry").due == EXPIRY
    assert any("validity unchanged" in e.summary for e in timeline_kinds(d, "suspension_lifted"))
    d.pass_to(date(2027, 9, 16))
    assert s.label_status == LabelStatus.valid


def test_lifting_needs_a_suspension(rules, calendar_for):
    d = labelled(rules, calendar_for)
    assert "no suspension" in d.refused({"type": "suspension_lifted", "effective": DECIDED.isoformat()})


def test_body_suspension_not_lifted_is_withdrawn_after_twelve_months(rules, calendar_for):
    """§5.3.1–§5.3.2; 31 January + 12 months = 31 January; mark dropped by 31 March."""
    d = labelled(rules, calendar_for)
    d.pass_to(date(2027, 1, 31))
    d.send({"type": "suspension", "reason": "audit-refused", "effective": "2027-01-31"})
    d.pass_to(date(2028, 1, 30))
    assert d.state.phase == Phase.suspended
    d.pass_to(date(2028, 1, 31))
    assert d.state.phase == Phase.withdrawn
    assert d.state.withdrawal == {"reason": "suspension-not-lifted", "effective": "2028-01-31", "mark_removed_by": "2028-03-31"}


# -------------------------------------------------------------------------------------- withdrawal
def test_withdrawal_of_a_suspended_label(rules, calendar_for):
    """§5.3.2: withdrawal notified to the service and the DITP with its effective date; mark dropped within 2 months."""
    d = labelled(rules, calendar_for)
    d.pass_to(date(2026, 9, 15))
    d.send({"type": "suspension", "reason": "mark-misuse", "effective": "2026-09-15"})
    d.pass_to(date(2026, 12, 31))
    d.send({"type": "withdrawal", "reason": "mark-rules-broken", "effective": "2026-12-31"})
    s = d.state
    assert (s.phase, s.label_status) == (Phase.withdrawn, LabelStatus.withdrawn)
    assert s.withdrawal == {"reason": "mark-rules-broken", "effective": "2026-12-31", "mark_removed_by": "2027-02-28"}
    assert any(n.kind == "decision" and "ditp" in n.recipients and "2027-02-28" in n.subject for n in d.notes)
    # Every deadline of the label ended with it; the one left is the mark's removal, 31 December + 2 months.
    assert [(x.key, x.due) for x in s.open_deadlines()] == [("withdrawal.mark_removal", date(2027, 2, 28))]
    d.pass_to(date(2027, 2, 27))
    assert not s.finished
    d.pass_to(date(2027, 2, 28))
    assert s.finished


def test_withdrawal_of_a_valid_label_for_followup_not_done(rules, calendar_for):
    """§5.3.2: « non-réalisation de l'audit de suivi, du fait du service public labellisé »."""
    d = labelled(rules, calendar_for)
    d.pass_to(date(2027, 12, 10))
    assert d.state.breaches == 1  # the window closed on 1 December 2027
    d.send({"type": "withdrawal", "reason": "followup-not-done", "effective": "2027-12-10"})
    assert d.state.phase == Phase.withdrawn
    assert d.state.withdrawal["mark_removed_by"] == "2028-02-10"


def test_unknown_withdrawal_reason_is_refused(rules, calendar_for):
    d = labelled(rules, calendar_for)
    message = d.refused({"type": "withdrawal", "reason": "whim", "effective": DECIDED.isoformat()})
    assert "whim" in message and "no-renewal" in message and "§5.3.2" in message


def test_only_a_label_that_holds_is_withdrawn(rules, calendar_for):
    from .test_cycle_basics import new_driver

    d = new_driver(rules, calendar_for)
    assert "holds" in d.refused({"type": "withdrawal", "reason": "mark-rules-broken", "effective": "2026-01-05"})


@pytest.mark.parametrize("event", [
    {"type": "suspension_lifted", "effective": "2027-01-10"},
    {"type": "suspension", "reason": "own-request", "effective": "2027-01-10"},
    {"type": "self_assessment", "done_on": "2027-01-10"},
    {"type": "renewal", "requested_on": "2027-01-10", "contract_signed": "2027-01-10"},
    {"type": "audit_dates", "audit": "followup", "visit_start": "2027-09-01", "visit_end": "2027-09-01", "sites": ["hdv"]},
])
def test_events_after_a_withdrawal_are_refused(rules, calendar_for, event):
    d = labelled(rules, calendar_for)
    d.pass_to(date(2026, 12, 31))
    d.send({"type": "withdrawal", "reason": "mark-rules-broken", "effective": "2026-12-31"})
    d.pass_to(date(2027, 1, 10))
    assert "ended" in d.refused(event)


def test_followup_decision_while_suspended_keeps_the_suspension(rules, calendar_for):
    """§5.3.1: a suspension lasts until lifted, at most 12 months (then §5.3.2 withdrawal); a follow-up decision
    (§3.9.1) does not lift a suspension for misuse of the mark."""
    d = followup_ready(rules, calendar_for)
    d.send(audit_dates(TARGET, kind="followup"))
    d.send({"type": "suspension", "reason": "mark-misuse", "effective": "2027-07-01"})
    full_audit_steps = [(TARGET - timedelta(days=35), dossier), (TARGET - timedelta(days=20), plan)]
    for day, make in full_audit_steps:
        d.pass_to(day)
        d.send(make(day))
    d.pass_to(TARGET)
    d.send(visit(60))
    d.pass_to(date(2027, 10, 10))
    d.send(report(date(2027, 10, 10)))
    d.pass_to(date(2027, 10, 21))
    d.send(decision(date(2027, 10, 21), "bronze"))
    s = d.state
    assert (s.phase, s.label_status) == (Phase.suspended, LabelStatus.suspended)


def postponed(d, times: int) -> list:
    """The follow-up audit set for 7 September 2027, then moved ``times`` times by a week; the warnings sent."""
    d.send(audit_dates(date(2027, 9, 7), kind="followup"))
    for week in range(1, times + 1):
        d.send(audit_dates(date(2027, 9, 7) + timedelta(weeks=week), kind="followup"))
    assert d.state.current_audit.postponements == times
    return [n for n in d.notes if n.key.startswith("postponements:")]


def test_repeated_postponements_of_a_followup_warn_the_body(rules, calendar_for):
    """§5.3.1: a « succession de reports d'audits » may justify a suspension. The guide gives no number: the
    Open default of rules/procedures.yaml repeated_postponements is 2, so the body is told at the 2nd postponement
    of the same audit, not at the 1st; the engine only warns (« une décision de suspension … peut être prise … par
    l'organisme de certification »)."""
    assert rules.procedures.repeated_postponements.at(date(2027, 9, 1)) == 2
    d = followup_ready(rules, calendar_for)
    assert postponed(d, 1) == []
    d = followup_ready(rules, calendar_for)
    [warning] = postponed(d, 2)
    assert warning.key == "postponements:2"  # audit 2: the follow-up
    assert "postponed 2 times" in warning.subject and "from 2 postponements" in warning.subject and "§5.3.1" in warning.subject
    assert d.state.label_status == LabelStatus.valid  # the body decides, not the engine


def test_the_number_of_postponements_that_warns_is_the_rule_files(rules, calendar_for):
    """repeated_postponements set to 3 (a DITP choice, the guide gives no number): no warning at the 2nd, one at the 3rd."""
    three = with_rule(rules, "procedures", "repeated_postponements", 3)
    assert postponed(followup_ready(three, calendar_for), 2) == []
    [warning] = postponed(followup_ready(three, calendar_for), 3)
    assert "postponed 3 times" in warning.subject and "from 3 postponements" in warning.subject


def test_rules_pinned_before_the_setting_warn_at_the_second_postponement(rules, calendar_for):
    """Rules pinned by a history recorded before repeated_postponements existed: the 2 those cycles had."""
    old = with_rule(rules, "procedures", "repeated_postponements", None)
    assert postponed(followup_ready(old, calendar_for), 1) == []
    assert [n.key for n in postponed(followup_ready(old, calendar_for), 2)] == ["postponements:2"]
