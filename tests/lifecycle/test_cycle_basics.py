"""Shared steps for the lifecycle tests, and the plain path of an initial labelling.

The helpers below send events as a certification body would, on dates a test chooses; they never
read a date back from the engine. Every date asserted in these tests is counted by hand from the
guide (seeds/002, « guide du label Services Publics + ») and the digest shared/domain.md.

Other test modules of this folder import the helpers from here (only files named test_*.py may be
added to the suite).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from spplus.lifecycle import LabelStatus, Phase
from spplus.lifecycle.state import DeadlineStatus

from .driver import Driver

DAY = timedelta(days=1)
CONTRACT = date(2026, 1, 5)
DOSSIER = ["identification", "organisation-chart", "training-plan", "self-assessment", "user-sampling-method",
           "survey-results", "improvement-plan", "quality-indicators"]

# The plain path used by most tests (a Tuesday–Wednesday visit in metropolitan France).
PREP_DAY = date(2026, 1, 12)
VISIT_START = date(2026, 3, 10)
VISIT_END = date(2026, 3, 11)
REPORT_DAY = date(2026, 3, 20)
DECIDED = date(2026, 4, 1)  # the observations window (10 days from 20 March) closed on 30 March


def scores(value: Any, gold: Any = None, **per_engagement: Any) -> dict[str, Any]:
    """Audit scores /100: ``value`` for every engagement, ``e3=49`` to set one of them."""
    engagements = {str(n): str(value) for n in range(1, 9)}
    for key, score in per_engagement.items():
        engagements[key.lstrip("e")] = str(score)
    audit: dict[str, Any] = {"engagements": engagements}
    if gold is not None:
        audit["gold_criteria"] = str(gold)
    return audit


def user_survey(closed_on: date, note: Any = 75, admissible: int = 150, solicited: int = 1000) -> dict[str, Any]:
    return {"type": "survey", "kind": "user", "closed_on": closed_on.isoformat(), "solicited": solicited,
            "summary": {"note": str(note), "admissible": admissible}}


def agent_survey(closed_on: date, note: Any = 55, admissible: int = 30, solicited: int = 40) -> dict[str, Any]:
    # 40 agents in contact (the driver's candidate): the < 50 band asks a 50 % return rate (§3.4.2).
    return {"type": "survey", "kind": "agent", "closed_on": closed_on.isoformat(), "solicited": solicited,
            "summary": {"note": str(note), "admissible": admissible}}


def self_assessment(done_on: date) -> dict[str, Any]:
    return {"type": "self_assessment", "done_on": done_on.isoformat()}


def audit_dates(start: date, end: date | None = None, kind: str = "initial", sites: list[str] | None = None) -> dict[str, Any]:
    return {"type": "audit_dates", "audit": kind, "visit_start": start.isoformat(),
            "visit_end": (end or start).isoformat(), "sites": sites or ["hdv"]}


def dossier(received_on: date, contents: list[str] | None = None) -> dict[str, Any]:
    return {"type": "dossier", "received_on": received_on.isoformat(), "contents": DOSSIER if contents is None else contents}


def plan(sent_on: date) -> dict[str, Any]:
    return {"type": "audit_plan", "sent_on": sent_on.isoformat(), "auditors": ["C. Durand"]}


def visit(value: Any = 60, gold: Any = None, **per_engagement: Any) -> dict[str, Any]:
    return {"type": "visit", "scores": scores(value, gold, **per_engagement)}


def report(sent_on: date, received_on: date | None = None) -> dict[str, Any]:
    return {"type": "report", "sent_on": sent_on.isoformat(), "received_on": (received_on or sent_on).isoformat()}


def decision(decided_on: date, tier: str | None, reason: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "decision", "decided_on": decided_on.isoformat(), "tier": tier}
    if reason is not None:
        event["reason"] = reason
    return event


def new_driver(rules, calendar_for, territory: str = "metropole", today: date = CONTRACT, **overrides: Any) -> Driver:
    return Driver(rules, calendar_for(territory), today, territory=territory, **overrides)


def prerequisites(d: Driver, on: date, user: Any = 75, agent: Any = 55) -> None:
    """Self-assessment and both (valid) surveys, all dated ``on``."""
    d.pass_to(on)
    d.send(self_assessment(on))
    d.send(user_survey(on, user))
    d.send(agent_survey(on, agent))


def prepared_audit(d: Driver, start: date, end: date | None = None, kind: str = "initial") -> None:
    """Audit dates sent today, dossier 35 days and plan 20 days before the visit; then the visit's last day."""
    d.send(audit_dates(start, end, kind))
    d.pass_to(start - timedelta(days=35))
    d.send(dossier(d.today))
    d.pass_to(start - timedelta(days=20))
    d.send(plan(d.today))
    d.pass_to(end or start)


def full_audit(d: Driver, start: date, score: Any, tier: str | None, *, end: date | None = None, kind: str = "initial",
               gold: Any = None, reason: str | None = None, report_after: int = 9) -> date:
    """Dates, dossier, plan, visit, report, then a decision the day after the observations window; returns it."""
    prepared_audit(d, start, end, kind)
    d.send(visit(score, gold))
    received = (end or start) + timedelta(days=report_after)
    d.pass_to(received)
    d.send(report(received))
    decided = received + timedelta(days=11)  # « 10 jours » from receipt: the window's last day is received + 10
    d.pass_to(decided)
    d.send(decision(decided, tier, reason))
    return decided


def labelled(rules, calendar_for, tier: str = "bronze", user: Any = 75, agent: Any = 55, score: Any = 60,
             gold: Any = None, **overrides: Any) -> Driver:
    """A candidate labelled on DECIDED (1 April 2026) after the plain path."""
    d = new_driver(rules, calendar_for, **overrides)
    prerequisites(d, PREP_DAY, user, agent)
    d.send(audit_dates(VISIT_START, VISIT_END))
    d.pass_to(date(2026, 2, 2))
    d.send(dossier(d.today))
    d.pass_to(date(2026, 2, 20))
    d.send(plan(d.today))
    d.pass_to(VISIT_END)
    d.send(visit(score, gold))
    d.pass_to(REPORT_DAY)
    d.send(report(REPORT_DAY))
    d.pass_to(DECIDED)
    d.send(decision(DECIDED, tier))
    return d


def timeline_kinds(d: Driver, kind: str) -> list:
    return [e for e in d.state.timeline if e.kind == kind]


# ----------------------------------------------------------------------------------------- tests
def test_plain_path_labels_the_candidate_for_three_years(rules, calendar_for):
    """§3.8.1, §2.3: a labelled candidate gets an attestation valid 3 years from the decision."""
    d = labelled(rules, calendar_for)
    s = d.state
    assert s.phase == Phase.labelled and s.label_status == LabelStatus.valid
    assert s.attestation.tier == "bronze"
    assert s.attestation.valid_from == DECIDED
    assert s.attestation.expires == date(2029, 4, 1)
    assert s.breaches == 0
    # every deadline of the plain path was met
    for key in ("audit1.dossier", "audit1.audit_plan", "audit1.report"):
        assert d.deadline(key).status == DeadlineStatus.met, key


def test_plain_path_sets_the_label_dates(rules, calendar_for):
    """§3.9.1 (follow-up at 18 months ± 2, prepared at 12) and §3.10 (invitation 9 months before expiry)."""
    d = labelled(rules, calendar_for)
    assert d.deadline("label.followup_preparation").due == DECIDED + relativedelta(months=12) == date(2027, 4, 1)
    assert d.deadline("label.followup_target").due == date(2027, 10, 1)
    assert d.deadline("label.followup_window_opens").due == date(2027, 8, 1)
    assert d.deadline("label.followup_window_closes").due == date(2027, 12, 1)
    assert d.deadline("label.renewal_invitation").due == date(2028, 7, 1)
    assert d.deadline("label.expiry").due == date(2029, 4, 1)
