"""Local authorities' perimeters (§1.4.2), perimeter extension (§5.2) and appeals (§5.1)."""

from __future__ import annotations

from datetime import date

import pytest
from dateutil.relativedelta import relativedelta

from spplus.lifecycle import Phase
from spplus.perimeter import AuthorityPerimeter, perimeter_problems

from .driver import Driver

DOSSIER = ["identification", "organisation-chart", "training-plan", "self-assessment", "user-sampling-method",
           "survey-results", "improvement-plan", "quality-indicators"]


def sites(**domains: list[str]) -> dict[str, list[str]]:
    return dict(domains)


@pytest.mark.parametrize(("kind", "domains", "refused"), [
    ("commune", ["general-reception", "everyday-procedures"], None),
    ("commune", ["general-reception"], "everyday"),  # the commune's socle misses its everyday procedures
    ("commune", ["everyday-procedures", "social-action"], "Accueil général"),
    ("commune", ["general-reception", "everyday-procedures", "municipal-police"], None),  # an optional domain
    ("epci", ["general-reception"], "at least one of"),  # an EPCI needs one domain of its list
    ("epci", ["general-reception", "urban-services"], None),
    ("departement", ["general-reception", "mobility-transport"], "at least one of"),  # a région's domain, not a département's
    ("region", ["general-reception", "vocational-training-employment"], None),
    ("special-status", ["general-reception"], "agreed"),
    ("special-status", ["general-reception", "environment"], None),
])
def test_socle_perimeter_by_kind_of_authority(rules, kind, domains, refused):
    """§1.4.2: general reception on every channel, plus everyday procedures (communes) or one domain of the list."""
    problems = perimeter_problems(rules, AuthorityPerimeter(type=kind, domains=domains), {"hdv": domains}, date(2026, 5, 1))
    if refused is None:
        assert problems == []
    else:
        assert any(refused in p for p in problems), problems


def commune(rules, calendar_for, today=date(2026, 1, 10), **over):
    return Driver(rules, calendar_for(), today, authority={"type": "commune", "domains": ["general-reception", "everyday-procedures"]},
                  sites=[{"id": "hdv", "name": "Hôtel de ville", "domains": ["general-reception", "everyday-procedures"]},
                         {"id": "piscine", "name": "Piscine", "domains": ["other"]}], **over)


def test_a_commune_whose_socle_is_missing_opens_no_cycle(rules, calendar_for):
    d = Driver(rules, calendar_for(), date(2026, 1, 10), authority={"type": "commune", "domains": ["general-reception"]},
               sites=[{"id": "hdv", "name": "Hôtel de ville", "domains": ["general-reception"]}])
    assert d.state.finished and d.state.phase == Phase.closed
    assert "perimeter is refused" in d.state.timeline[-1].summary


def test_a_site_outside_the_perimeter_is_never_sampled_nor_named(rules, calendar_for):
    """§3.3 note: a site whose missions fall outside the chosen perimeter is not in the sample."""
    d = commune(rules, calendar_for)
    message = d.refused({"type": "audit_dates", "visit_start": "2026-05-15", "visit_end": "2026-05-15", "sites": ["piscine"]})
    assert "never sampled" in message
    label(d)
    assert d.state.attestation.sites == ["hdv"]


def label(d: Driver, visit: date = date(2026, 5, 15), score: int = 60) -> date:
    d.send({"type": "self_assessment", "done_on": d.today.isoformat()})
    for kind, solicited, admissible, note in (("user", 1000, 150, 75), ("agent", 40, 30, 55)):
        d.send({"type": "survey", "kind": kind, "closed_on": d.today.isoformat(), "solicited": solicited,
                "summary": {"note": note, "admissible": admissible}})
    d.send({"type": "audit_dates", "visit_start": visit.isoformat(), "visit_end": visit.isoformat(), "sites": ["hdv"]})
    d.pass_to(visit - relativedelta(days=35))
    d.send({"type": "dossier", "received_on": d.today.isoformat(), "contents": DOSSIER})
    d.send({"type": "audit_plan", "sent_on": d.today.isoformat(), "auditors": ["A"]})
    d.pass_to(visit)
    d.send({"type": "visit", "scores": {"engagements": {str(n): score for n in range(1, 9)}}})
    report = visit + relativedelta(days=7)
    d.pass_to(report)
    d.send({"type": "report", "sent_on": report.isoformat(), "received_on": report.isoformat()})
    decided = report + relativedelta(days=11)
    d.pass_to(decided)
    d.send({"type": "decision", "decided_on": decided.isoformat(), "tier": "bronze" if score >= 50 else None})
    return decided


def test_an_extension_audited_at_the_follow_up_keeps_the_end_date(rules, calendar_for):
    """§5.2: « la date de fin de validité de l'attestation reste inchangée » for every site, added ones included."""
    d = commune(rules, calendar_for)
    decided = label(d)
    expires = d.state.attestation.expires
    d.send({"type": "perimeter_extension", "requested_on": d.today.isoformat(), "agents_added": 5,
            "sites": [{"id": "ccas", "name": "CCAS", "domains": ["social-action"]}], "domains": ["social-action"]})
    target = decided + relativedelta(months=18)
    d.pass_to(target - relativedelta(days=50))
    d.send({"type": "self_assessment", "done_on": d.today.isoformat()})
    for kind, solicited, admissible, note in (("user", 1000, 150, 75), ("agent", 40, 30, 55)):
        d.send({"type": "survey", "kind": kind, "closed_on": d.today.isoformat(), "solicited": solicited,
                "summary": {"note": note, "admissible": admissible}})
    assert "extension" in d.refused({"type": "audit_dates", "audit": "followup", "visit_start": target.isoformat(),
                                     "visit_end": target.isoformat(), "sites": ["hdv"]})
    d.send({"type": "audit_dates", "audit": "followup", "visit_start": target.isoformat(), "visit_end": target.isoformat(),
            "sites": ["hdv", "ccas"]})
    d.pass_to(target - relativedelta(days=35))
    d.send({"type": "dossier", "received_on": d.today.isoformat(), "contents": DOSSIER})
    d.send({"type": "audit_plan", "sent_on": d.today.isoformat(), "auditors": ["A"]})
    d.pass_to(target)
    d.send({"type": "visit", "scores": {"engagements": {str(n): 60 for n in range(1, 9)}}})
    d.pass_to(target + relativedelta(days=5))
    d.send({"type": "report", "sent_on": d.today.isoformat(), "received_on": d.today.isoformat()})
    d.pass_to(d.today + relativedelta(days=11))
    d.send({"type": "decision", "decided_on": d.today.isoformat(), "tier": "bronze"})
    assert d.state.attestation.sites == ["hdv", "ccas"]
    assert d.state.attestation.expires == expires == decided + relativedelta(years=3)


def test_a_new_cycle_needs_an_extension_larger_than_the_contract(rules, calendar_for):
    d = commune(rules, calendar_for)
    label(d)
    extension = {"type": "perimeter_extension", "requested_on": d.today.isoformat(), "new_cycle": True,
                 "sites": [{"id": "mds", "name": "Maison des services", "domains": ["social-action"]}], "domains": ["social-action"]}
    assert "larger in headcount" in d.refused({**extension, "agents_added": 40})  # the contract counts 40 agents
    d.send({**extension, "agents_added": 41})
    assert d.state.continue_as_new and d.state.renewal_request is not None


def test_an_appeal_upheld_turns_a_refusal_into_a_label(rules, calendar_for):
    """§5.1: the body's impartial commission hears appeals; upheld, the decision changes."""
    d = commune(rules, calendar_for)
    refused_on = label(d, score=45)
    assert d.state.phase == Phase.refused
    assert "awaits" not in d.refused({"type": "appeal_decision", "decided_on": refused_on.isoformat(), "outcome": "upheld", "tier": "bronze"})
    d.pass_to(refused_on + relativedelta(days=20))
    d.send({"type": "appeal", "lodged_on": d.today.isoformat(), "grounds": "engagement 3 was scored on the wrong site"})
    assert "awaits" in d.refused({"type": "appeal", "lodged_on": d.today.isoformat(), "grounds": "again"})
    d.pass_to(d.today + relativedelta(days=40))
    assert "tier" in d.refused({"type": "appeal_decision", "decided_on": d.today.isoformat(), "outcome": "upheld"})
    d.send({"type": "appeal_decision", "decided_on": d.today.isoformat(), "outcome": "upheld", "tier": "bronze"})
    assert d.state.phase == Phase.labelled and d.state.attestation.tier == "bronze"
    assert d.state.attestation.valid_from == d.today and d.state.new_application_from is None
    assert "refusal.new_application" not in {x.key for x in d.state.open_deadlines()}
    kinds = [e.kind for e in d.state.timeline]
    assert kinds.index("appeal") < kinds.index("appeal_decision")


def test_an_appeal_dismissed_leaves_the_decision(rules, calendar_for):
    d = commune(rules, calendar_for)
    label(d, score=45)
    d.send({"type": "appeal", "lodged_on": d.today.isoformat(), "grounds": "disagreement"})
    d.send({"type": "appeal_decision", "decided_on": d.today.isoformat(), "outcome": "dismissed"})
    assert d.state.phase == Phase.refused and d.state.appeal is None
