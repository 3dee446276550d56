"""The body's decision after an initial audit (§2.2.1, §2.3, §3.8.1).

* §2.2.1: criteria are cumulative; the tier is the highest whose every criterion holds — bronze:
  each engagement ≥ 50, agents ≥ 50, users ≥ 70; argent: 65 / 65 / 80; or: 80 and gold criteria
  ≥ 80 / 80 / 90; none → refusal.
* §3.8.1: labelled → an attestation valid 3 years naming each covered site; refused → a new
  application « à l'issue d'une période de 6 mois échus » from the notification.
* domain.md « Counting dates »: decided on D → valid from D, expires D + 3 years (first day it no
  longer holds), last valid day the day before; e.g. 1 July 2026 → 1 July 2029, 30 June 2029,
  invitation 1 October 2028.
"""

from __future__ import annotations

from datetime import date

import pytest
from dateutil.relativedelta import relativedelta

from spplus.lifecycle import LabelStatus, Phase

from .test_cycle_basics import (
    DECIDED, PREP_DAY, REPORT_DAY, VISIT_END, VISIT_START, decision, full_audit, labelled, new_driver,
    prepared_audit, prerequisites, report, timeline_kinds, visit,
)


def at_decision(rules, calendar_for, score=60, gold=None, user=75, agent=55, **per_engagement):
    """Visit scored, report received on 20 March 2026, today 1 April (the observations window closed on 30 March)."""
    d = new_driver(rules, calendar_for)
    prerequisites(d, PREP_DAY, user, agent)
    prepared_audit(d, VISIT_START, VISIT_END)
    d.send(visit(score, gold, **per_engagement))
    d.pass_to(REPORT_DAY)
    d.send(report(REPORT_DAY))
    d.pass_to(DECIDED)
    return d


@pytest.mark.parametrize("score, gold, agent, user, per_engagement, expected", [
    (50, None, 50, 70, {}, "bronze"),                      # every bronze minimum exactly met
    (90, None, 90, 95, {"e3": "49.99"}, None),             # one engagement below 50: nothing
    (100, 100, 49, 100, {}, None),                         # agents below 50
    (100, 100, 100, "69.99", {}, None),                    # users below 70
    (65, None, 65, 80, {}, "argent"),
    (65, None, "64.99", 80, {}, "bronze"),                 # agents keep it at bronze
    (70, None, 70, "79.99", {}, "bronze"),                 # users keep it at bronze
    (80, 80, 80, 90, {}, "or"),
    (80, "79.99", 80, 90, {}, "argent"),                   # gold criteria below 80
    (95, None, 95, 95, {}, "argent"),                      # gold criteria not scored: no gold
    (85, 85, 85, 95, {"e8": 64}, "bronze"),                # one engagement at 64 caps it at bronze
])
def test_the_proposed_tier_follows_the_guide(rules, calendar_for, score, gold, agent, user, per_engagement, expected):
    """§2.2.1: the highest tier whose every criterion holds, from the visit's scores and both surveys."""
    d = at_decision(rules, calendar_for, score, gold, user, agent, **per_engagement)
    assert d.state.current_audit.proposal.tier == expected


def test_decision_as_proposed_needs_no_reason(rules, calendar_for):
    d = at_decision(rules, calendar_for, score=70, user=85, agent=70)
    d.send(decision(DECIDED, "argent"))
    assert d.state.attestation.tier == "argent"
    assert d.state.current_audit is None
    assert d.state.audits[0].outcome == "labelled"


def test_decision_differing_from_the_proposal_without_a_reason_is_refused(rules, calendar_for):
    """§3.8.1: the body decides « au vu des scores »; departing from what the rules give must be reasoned."""
    d = at_decision(rules, calendar_for, score=70, user=85, agent=70)
    message = d.refused(decision(DECIDED, "bronze"))
    assert "argent" in message and "reason" in message
    assert "reason" in d.refused(decision(DECIDED, "bronze", reason="   "))
    assert "reason" in d.refused(decision(DECIDED, None))


def test_decision_differing_with_a_reason_is_taken_and_the_override_is_on_the_timeline(rules, calendar_for):
    d = at_decision(rules, calendar_for, score=70, user=85, agent=70)
    d.send(decision(DECIDED, "bronze", reason="appeal commission: engagement 6 evidence not authentic"))
    assert d.state.attestation.tier == "bronze"
    entry = [e for e in timeline_kinds(d, "decision")][-1]
    assert "argent" in entry.summary and "appeal commission" in entry.summary


def test_refusal_against_a_proposed_tier_needs_and_keeps_its_reason(rules, calendar_for):
    d = at_decision(rules, calendar_for, score=60)
    d.send(decision(DECIDED, None, reason="the survey sample was not representative"))
    assert d.state.phase == Phase.refused
    assert "not representative" in timeline_kinds(d, "decision")[-1].summary


def test_unknown_tier_is_refused(rules, calendar_for):
    d = at_decision(rules, calendar_for)
    message = d.refused(decision(DECIDED, "platine", reason="x"))
    assert "platine" in message and "bronze" in message


def test_refusal_sets_the_new_application_date_and_closes_the_cycle_that_day(rules, calendar_for):
    """§3.8.1: « une nouvelle demande … à l'issue d'une période de 6 mois échus, à partir de la date d'émission »."""
    d = at_decision(rules, calendar_for, score=45)
    assert d.state.current_audit.proposal.tier is None
    d.send(decision(DECIDED, None))
    s = d.state
    assert s.phase == Phase.refused and s.label_status == LabelStatus.none and s.attestation is None
    reopens = DECIDED + relativedelta(months=6)
    assert reopens == date(2026, 10, 1)
    assert s.new_application_from == reopens
    assert any(n.kind == "decision" and "2026-10-01" in n.subject for n in d.notes)
    d.pass_to(date(2026, 9, 30))
    assert not s.finished and s.phase == Phase.refused
    d.pass_to(date(2026, 10, 1))
    assert s.finished and s.phase == Phase.closed


def test_a_refused_candidate_cannot_schedule_another_audit_in_this_cycle(rules, calendar_for):
    """§3.8.1: a new application is a new candidacy, not a new audit of the refused one."""
    d = at_decision(rules, calendar_for, score=45)
    d.send(decision(DECIDED, None))
    message = d.refused({"type": "audit_dates", "audit": "initial", "visit_start": "2026-05-05", "visit_end": "2026-05-05",
                         "sites": ["hdv"]})
    assert message == "an initial audit is scheduled during preparation; this cycle is refused"


def test_events_after_the_refused_cycle_closed_are_refused(rules, calendar_for):
    d = at_decision(rules, calendar_for, score=45)
    d.send(decision(DECIDED, None))
    d.pass_to(date(2026, 10, 2))
    message = d.refused({"type": "self_assessment", "done_on": "2026-10-02"})
    assert "ended" in message


def test_attestation_of_the_domain_example(rules, calendar_for):
    """domain.md: decided 1 July 2026 → expires 1 July 2029, last valid day 30 June 2029, invitation 1 October 2028."""
    d = new_driver(rules, calendar_for)
    prerequisites(d, PREP_DAY)
    decided = full_audit(d, date(2026, 6, 9), 60, "bronze", report_after=11)
    assert decided == date(2026, 7, 1)
    a = d.state.attestation
    assert (a.valid_from, a.expires, a.last_valid_day) == (date(2026, 7, 1), date(2029, 7, 1), date(2029, 6, 30))
    assert d.deadline("label.renewal_invitation").due == date(2028, 10, 1)


def test_attestation_names_every_site_of_the_candidate_not_only_those_visited(rules, calendar_for):
    """§3.8.1: « l'attestation doit notamment permettre d'identifier … chacun de ses sites couverts »; §1.4.2 all sites
    in contact with users are in the perimeter, even when only some are drawn for the visit."""
    sites = [{"id": "hdv", "name": "Hôtel de ville"}, {"id": "annexe-nord", "name": "Annexe nord"},
             {"id": "mairie-annexe.2", "name": "Mairie annexe 2"}]
    d = labelled(rules, calendar_for, sites=sites)  # the visit drew only "hdv"
    assert sorted(d.state.attestation.sites) == sorted(["hdv", "annexe-nord", "mairie-annexe.2"])
    assert d.state.audits[0].sites == ["hdv"]


def test_attestation_carries_tier_body_and_validity(rules, calendar_for):
    d = labelled(rules, calendar_for, tier="or", score=85, gold=85, user=92, agent=85)
    a = d.state.attestation
    assert a.tier == "or" and a.certification_body == "oc-alpha"
    assert a.valid_from == DECIDED
    assert a.expires == DECIDED + relativedelta(years=3) == date(2029, 4, 1)
    assert a.last_valid_day == date(2029, 3, 31)
    assert any(n.kind == "decision" and "2029-03-31" in n.subject for n in d.notes)
