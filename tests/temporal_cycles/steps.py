"""The usual steps of an audit, sent as a certification body would, on the dates a test chooses."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

DOSSIER = ["identification", "organisation-chart", "training-plan", "self-assessment", "user-sampling-method",
           "survey-results", "improvement-plan", "quality-indicators"]


def scores(value: float, gold: float | None = None) -> dict[str, Any]:
    audit: dict[str, Any] = {"engagements": {str(n): value for n in range(1, 9)}}
    if gold is not None:
        audit["gold_criteria"] = gold
    return audit


async def prerequisites(cycle, on: date, user_note: float, agent_note: float) -> None:
    """Self-assessment and both surveys (valid counts: 40 agents, 1,000 users solicited)."""
    await cycle.go_to(on)
    await cycle.send({"type": "self_assessment", "done_on": on.isoformat()})
    await cycle.send({"type": "survey", "kind": "user", "closed_on": on.isoformat(), "solicited": 1000,
                      "summary": {"note": user_note, "admissible": 150}})
    await cycle.send({"type": "survey", "kind": "agent", "closed_on": on.isoformat(), "solicited": 40,
                      "summary": {"note": agent_note, "admissible": 30}})


async def audit(cycle, visit: date, score: float, tier: str | None, *, kind: str = "initial",
                report_after: int = 10, gold: float | None = None, reason: str | None = None) -> date:
    """Dates, dossier, plan, visit, report and decision of one audit; returns the decision date."""
    await cycle.send({"type": "audit_dates", "audit": kind, "visit_start": visit.isoformat(),
                      "visit_end": visit.isoformat(), "sites": ["hdv"]})
    await cycle.go_to(visit - timedelta(days=35))
    await cycle.send({"type": "dossier", "received_on": (visit - timedelta(days=35)).isoformat(), "contents": DOSSIER})
    await cycle.go_to(visit - timedelta(days=20))
    await cycle.send({"type": "audit_plan", "sent_on": (visit - timedelta(days=20)).isoformat(), "auditors": ["C. Durand"]})
    await cycle.go_to(visit)
    await cycle.send({"type": "visit", "scores": scores(score, gold)})
    report = visit + timedelta(days=report_after)
    await cycle.go_to(report)
    await cycle.send({"type": "report", "sent_on": report.isoformat(), "received_on": report.isoformat()})
    decided = report + timedelta(days=11)  # the 10-day observations window has closed
    await cycle.go_to(decided)
    decision: dict[str, Any] = {"type": "decision", "decided_on": decided.isoformat(), "tier": tier}
    if reason:
        decision["reason"] = reason
    await cycle.send(decision)
    return decided


def one_day_cycle(today: str) -> list[dict[str, Any]]:
    """A whole initial labelling in one day (a visit may be dated today): prerequisites to decision."""
    return [
        {"type": "self_assessment", "done_on": today},
        {"type": "survey", "kind": "user", "closed_on": today, "solicited": 1000, "summary": {"note": 75, "admissible": 150}},
        {"type": "survey", "kind": "agent", "closed_on": today, "solicited": 40, "summary": {"note": 55, "admissible": 30}},
        {"type": "audit_dates", "visit_start": today, "visit_end": today, "sites": ["hdv"]},
        {"type": "dossier", "received_on": today, "contents": DOSSIER},
        {"type": "audit_plan", "sent_on": today, "auditors": ["C. Durand"]},
        {"type": "visit", "scores": scores(60)},
        {"type": "report", "sent_on": today, "received_on": today},
        {"type": "observations", "received_on": today, "text": "none"},
        {"type": "decision", "decided_on": today, "tier": "bronze"},
    ]
