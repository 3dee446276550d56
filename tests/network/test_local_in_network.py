"""A local service audited through its central service (spplus/lifecycle with ``Candidate.network``).

* §3.9.2, notes: « Les services publics locaux labellisés dans le cadre d'une démarche de labellisation
  portée et pilotée par le service public central n'ont pas à réaliser « d'audit local de suivi »
  (externe) … Ils réalisent en revanche dans un délai de 18 mois après l'audit initial l'enquête usagers
  et l'enquête agents » (rules/deadlines.yaml network_local_surveys).
* §3.8.2, note: if the central service is not labelled, « les services publics locaux audités et
  labellisés conservent le bénéfice du résultat de leur audit … Ils devront se présenter à un audit de
  suivi à 18 mois » — the standard §3.9.1 follow-up: 18 months from the local decision, ± 2 months.
* §5.3.2, note: a central label withdrawn → local labels « depuis moins de deux ans » keep the mark only
  through a local follow-up audit; older ones are not concerned. The note does not say when that audit
  takes place once the label's own window has closed: rules/deadlines.yaml late_followup_target (Open).

The plain path (as in tests/lifecycle): prerequisites 12 January 2026, visit 10–11 March 2026, report
20 March, local decision 1 April 2026 → its own 18-month follow-up would be 1 October 2027, window
1 August – 1 December 2027; the surveys are due 18 months after the initial audit (10 March 2026):
10 September 2027.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from spplus.lifecycle import LabelStatus, Phase, network_notice
from spplus.lifecycle.state import DeadlineStatus
from tests.lifecycle.driver import Driver, with_rule

DAY = timedelta(days=1)
CENTRAL = "central-cnaf"
CONTRACT = date(2026, 1, 5)
PREP_DAY = date(2026, 1, 12)
VISIT_START, VISIT_END = date(2026, 3, 10), date(2026, 3, 11)
REPORT_DAY = date(2026, 3, 20)
DECIDED = date(2026, 4, 1)
SURVEYS_DUE = date(2027, 9, 10)  # 10 March 2026 + 18 months
OPENS, TARGET, CLOSES = date(2027, 8, 1), date(2027, 10, 1), date(2027, 12, 1)
FOLLOWUP_KEYS = ("label.followup_preparation", "label.followup_window_opens", "label.followup_target", "label.followup_window_closes")
DOSSIER = ["identification", "organisation-chart", "training-plan", "self-assessment", "user-sampling-method",
           "survey-results", "improvement-plan", "quality-indicators"]


def user_survey(closed_on: date, note: Any = 75) -> dict[str, Any]:
    return {"type": "survey", "kind": "user", "closed_on": closed_on.isoformat(), "solicited": 1000,
            "summary": {"note": str(note), "admissible": 150}}


def agent_survey(closed_on: date, note: Any = 55) -> dict[str, Any]:
    return {"type": "survey", "kind": "agent", "closed_on": closed_on.isoformat(), "solicited": 40,
            "summary": {"note": str(note), "admissible": 30}}


def audit_dates(start: date, end: date | None = None, kind: str = "initial") -> dict[str, Any]:
    return {"type": "audit_dates", "audit": kind, "visit_start": start.isoformat(), "visit_end": (end or start).isoformat(), "sites": ["hdv"]}


def labelled_local(rules, calendar_for, network: str | None = CENTRAL, tier: str = "bronze") -> Driver:
    """The plain path of tests/lifecycle, labelled on 1 April 2026 (score 60, user 75, agent 55: bronze)."""
    d = Driver(rules, calendar_for("metropole"), CONTRACT, network=network)
    d.pass_to(PREP_DAY)
    d.send({"type": "self_assessment", "done_on": PREP_DAY.isoformat()})
    d.send(user_survey(PREP_DAY))
    d.send(agent_survey(PREP_DAY))
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.pass_to(date(2026, 2, 2))
    d.send({"type": "dossier", "received_on": d.today.isoformat(), "contents": DOSSIER})
    d.pass_to(date(2026, 2, 20))
    d.send({"type": "audit_plan", "sent_on": d.today.isoformat(), "auditors": ["C. Durand"]})
    d.pass_to(VISIT_END)
    d.send({"type": "visit", "scores": {"engagements": {str(n): "60" for n in range(1, 9)}}})
    d.pass_to(REPORT_DAY)
    d.send({"type": "report", "sent_on": REPORT_DAY.isoformat(), "received_on": REPORT_DAY.isoformat()})
    d.pass_to(DECIDED)
    d.send({"type": "decision", "decided_on": DECIDED.isoformat(), "tier": tier})
    assert d.state.label_status == LabelStatus.valid and d.state.attestation.valid_from == DECIDED
    return d


def notice(d: Driver, kind: str, on: date):
    d.pass_to(on)
    return network_notice(d.state, kind, on, CENTRAL, d.today)


def open_keys(d: Driver) -> set[str]:
    return {k for k, dl in d.state.deadlines.items() if dl.status == DeadlineStatus.open}


# ---------------------------------------------------------------------------------------------- labelled through the network
def test_no_follow_up_of_its_own_but_surveys_within_18_months_of_the_initial_audit(rules, calendar_for):
    """§3.9.2 notes: no external local follow-up; both surveys « dans un délai de 18 mois après l'audit initial »
    (10 March 2026 → 10 September 2027)."""
    d = labelled_local(rules, calendar_for)
    assert d.state.independent is False and d.state.phase == Phase.labelled
    assert not set(FOLLOWUP_KEYS) & set(d.state.deadlines)
    assert d.deadline("network.local_surveys").due == SURVEYS_DUE
    # §3.9.2 notes: « l'autodiagnostic local (et ce chaque année …) »: years counted from the self-assessment of 12 January
    # 2026 the initial audit used, 12 months each (rules/deadlines.yaml annual_self_assessment), reminded on their last
    # day while the label holds: 12 January 2027, 2028 and 2029 (the expiry is 1 April 2029).
    assert open_keys(d) == {"network.local_surveys", "label.renewal_invitation", "label.expiry", "self_assessment.year1",
                            "self_assessment.year2", "self_assessment.year3"}
    assert [d.deadline(f"self_assessment.year{n}").due for n in (1, 2, 3)] == [date(2027, 1, 12), date(2028, 1, 12), date(2029, 1, 12)]
    assert d.state.attestation.expires == date(2029, 4, 1)


def test_an_independent_local_service_has_its_follow_up_and_no_network_surveys_deadline(rules, calendar_for):
    """§3.9.1, for comparison: the same path without a central service gets its 18-month follow-up window."""
    d = labelled_local(rules, calendar_for, network=None)
    assert d.state.independent is True
    assert "network.local_surveys" not in d.state.deadlines
    assert d.deadline("label.followup_window_opens").due == OPENS and d.deadline("label.followup_window_closes").due == CLOSES


def test_the_surveys_deadline_is_met_once_both_surveys_after_the_initial_audit_are_recorded(rules, calendar_for):
    """§3.9.2 notes: the user survey alone is not enough; once the agent survey closes too, met on its closing day."""
    d = labelled_local(rules, calendar_for)
    d.pass_to(date(2027, 5, 3))
    d.send(user_survey(date(2027, 5, 3)))
    assert d.deadline("network.local_surveys").status == DeadlineStatus.open
    d.pass_to(date(2027, 6, 14))
    d.send(agent_survey(date(2027, 6, 14)))
    deadline = d.deadline("network.local_surveys")
    assert deadline.status == DeadlineStatus.met and deadline.closed_on == date(2027, 6, 14)
    assert d.state.breaches == 0


def test_surveys_closed_by_the_end_of_the_initial_visit_do_not_count(rules, calendar_for):
    """§3.9.2 notes: « après l'audit initial » — surveys closing on the visit's last day (11 March 2026), recorded
    after the label, are not the ones asked for."""
    d = labelled_local(rules, calendar_for)
    d.send(user_survey(VISIT_END))
    d.send(agent_survey(VISIT_END))
    assert d.deadline("network.local_surveys").status == DeadlineStatus.open
    d.pass_to(VISIT_END + timedelta(days=400))
    d.send(user_survey(d.today))
    d.send(agent_survey(d.today))
    assert d.deadline("network.local_surveys").status == DeadlineStatus.met


def test_surveys_not_run_within_18_months_are_a_breach(rules, calendar_for):
    """§3.9.2 notes: due 10 September 2027; on 11 September the body is told; the label holds."""
    d = labelled_local(rules, calendar_for)
    d.pass_to(SURVEYS_DUE)
    assert d.state.breaches == 0
    d.pass_to(SURVEYS_DUE + DAY)
    assert d.deadline("network.local_surveys").status == DeadlineStatus.missed
    assert d.state.breaches == 1 and d.state.label_status == LabelStatus.valid


def test_a_follow_up_audit_is_refused(rules, calendar_for):
    """§3.9.2 notes: « n'ont pas à réaliser d'audit local de suivi (externe) »."""
    d = labelled_local(rules, calendar_for)
    d.pass_to(OPENS - timedelta(days=30))
    message = d.refused(audit_dates(TARGET, kind="followup"))
    assert "no follow-up audit of its own" in message and "§3.9.2" in message


# ---------------------------------------------------------------------------------------------- the central label refused
def test_a_central_refusal_gives_the_standard_18_month_follow_up(rules, calendar_for):
    """§3.8.2 note: the central service refused on 1 June 2026 → the local label stands and owes « un audit de suivi à
    18 mois »: from its own decision (1 April 2026), preparation 1 April 2027, target 1 October 2027, window
    1 August – 1 December 2027; the network surveys deadline gives way to it."""
    d = labelled_local(rules, calendar_for)
    notes = notice(d, "central_refused", date(2026, 6, 1))
    assert d.state.independent is True and d.state.label_status == LabelStatus.valid
    assert d.deadline("label.followup_preparation").due == date(2027, 4, 1)
    assert d.deadline("label.followup_target").due == TARGET
    assert d.deadline("label.followup_window_opens").due == OPENS
    assert d.deadline("label.followup_window_closes").due == CLOSES
    assert d.deadline("network.local_surveys").status == DeadlineStatus.cancelled
    assert len(notes) == 1 and "§3.8.2" in notes[0].subject
    d.pass_to(OPENS - timedelta(days=40))
    d.send(audit_dates(OPENS, kind="followup"))
    assert d.state.phase == Phase.followup


# ---------------------------------------------------------------------------------------------- the central label withdrawn
def test_a_central_withdrawal_gives_a_young_label_its_follow_up(rules, calendar_for):
    """§5.3.2 note: withdrawn 1 November 2027, the label of 1 April 2026 is 19 months old: its own follow-up, window
    1 August – 1 December 2027 (still open on 1 November)."""
    d = labelled_local(rules, calendar_for)
    notes = notice(d, "central_withdrawn", date(2027, 11, 1))
    assert d.state.independent is True and len(notes) == 1 and "§5.3.2" in notes[0].subject
    assert d.deadline("label.followup_window_opens").due == OPENS
    assert d.deadline("label.followup_window_closes").due == CLOSES
    d.send(audit_dates(date(2027, 11, 15), kind="followup"))
    assert d.state.phase == Phase.followup


@pytest.mark.parametrize(("withdrawn", "target", "closes"), [(date(2028, 3, 31), date(2028, 5, 31), date(2028, 7, 31)),
                                                              (date(2027, 12, 2), date(2028, 2, 2), date(2028, 4, 2))])
def test_when_its_own_window_has_closed_the_follow_up_window_opens_at_the_withdrawal(rules, calendar_for, withdrawn, target, closes):
    """§5.3.2 note: the label, still younger than 2 years, keeps the mark only « à condition de se présenter à un
    audit de suivi ». The guide does not say when, once its own window closed (1 December 2027). This tests the Open
    default of rules/deadlines.yaml late_followup_target: the target 2 months after the withdrawal, so that with
    followup_window's ± 2 months (§3.9.1) the window opens on the withdrawal date and closes 4 months later."""
    late = rules.deadlines.late_followup_target.at(withdrawn)
    assert (late.amount, late.unit, late.direction, late.anchor) == (2, "months", "after", "withdrawal_effective")
    d = labelled_local(rules, calendar_for)
    notice(d, "central_withdrawn", withdrawn)
    assert d.state.independent is True
    assert d.deadline("label.followup_window_opens").due == withdrawn
    assert d.deadline("label.followup_target").due == target
    assert d.deadline("label.followup_window_closes").due == closes
    assert d.deadline("label.followup_target").computed.rule == "deadlines.late_followup_target"
    d.send(audit_dates(withdrawn, kind="followup"))
    assert d.state.phase == Phase.followup


def test_the_late_follow_up_target_is_the_rule_files(rules, calendar_for):
    """late_followup_target set to 3 months (a DITP choice): withdrawn 2 December 2027 → target 2 March 2028,
    window 2 January – 2 May 2028 (± 2 months, §3.9.1); an audit on the withdrawal date is then too early."""
    changed = with_rule(rules, "deadlines", "late_followup_target",
                        {"amount": 3, "unit": "months", "direction": "after", "anchor": "withdrawal_effective", "movable": False})
    d = labelled_local(changed, calendar_for)
    notice(d, "central_withdrawn", date(2027, 12, 2))
    assert [d.deadline(k).due for k in FOLLOWUP_KEYS[1:]] == [date(2028, 1, 2), date(2028, 3, 2), date(2028, 5, 2)]
    assert "between 2028-01-02 and 2028-05-02" in d.refused(audit_dates(date(2027, 12, 20), kind="followup"))


def test_rules_pinned_before_the_setting_open_the_window_at_the_withdrawal(rules, calendar_for):
    """Rules pinned by a history recorded before late_followup_target existed: the window opens on the withdrawal
    date and lasts followup_window on each side of withdrawal + 2 months, as those cycles had it."""
    old = with_rule(rules, "deadlines", "late_followup_target", None)
    d = labelled_local(old, calendar_for)
    notice(d, "central_withdrawn", date(2027, 12, 2))
    assert [d.deadline(k).due for k in FOLLOWUP_KEYS[1:]] == [date(2027, 12, 2), date(2028, 2, 2), date(2028, 4, 2)]
    assert d.deadline("label.followup_target").computed.rule == "deadlines.followup_target"


@pytest.mark.parametrize("withdrawn", [date(2028, 4, 1), date(2028, 9, 1)])
def test_a_central_withdrawal_changes_nothing_for_a_label_two_years_old_or_more(rules, calendar_for, withdrawn):
    """§5.3.2 note: « depuis moins de deux ans » — on 1 April 2028 the label of 1 April 2026 is exactly 2 years old."""
    d = labelled_local(rules, calendar_for)
    d.pass_to(withdrawn)
    deadlines = d.state.model_dump()["deadlines"]
    notes = network_notice(d.state, "central_withdrawn", withdrawn, CENTRAL, d.today)
    assert notes == []
    assert d.state.independent is False and d.state.label_status == LabelStatus.valid
    assert d.state.model_dump()["deadlines"] == deadlines
    assert not set(FOLLOWUP_KEYS) & set(d.state.deadlines)
    assert "no follow-up audit of its own" in d.refused(audit_dates(withdrawn + timedelta(days=30), kind="followup"))


def test_a_central_withdrawal_one_day_before_two_years_still_counts(rules, calendar_for):
    """§5.3.2 note: on 31 March 2028 the label of 1 April 2026 is less than two years old."""
    d = labelled_local(rules, calendar_for)
    assert notice(d, "central_withdrawn", date(2028, 3, 31)) != []
    assert d.state.independent is True


def test_notices_do_not_concern_an_independent_local_service(rules, calendar_for):
    """§3.8.2, §5.3.2 notes concern local services labelled through their central service only."""
    d = labelled_local(rules, calendar_for, network=None)
    before = d.state.model_dump()
    assert network_notice(d.state, "central_refused", DECIDED, CENTRAL, d.today) == []
    assert network_notice(d.state, "central_withdrawn", DECIDED, CENTRAL, d.today) == []
    assert d.state.model_dump() == before


def test_a_refused_local_service_has_nothing_to_keep(rules, calendar_for):
    """§3.8.2 note: only « les services publics locaux audités et labellisés » keep their result."""
    d = Driver(rules, calendar_for("metropole"), CONTRACT, network=CENTRAL)
    before = d.state.model_dump()
    assert network_notice(d.state, "central_refused", DECIDED, CENTRAL, d.today) == []
    assert d.state.model_dump() == before
