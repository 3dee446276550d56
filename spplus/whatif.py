"""What a proposed rules edition would change in recorded decisions, from the pure core alone.

A recorded decision is what the audit measured (scores, survey notes, the visit's date) and the
tier it gave. Re-proposing the tier under another edition is a pure computation — thousands of
cycles a second — so the DITP sees which labels a change would move before it applies.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from .lifecycle.state import CycleState
from .rules.models import RuleSet
from .tiers import AuditScores, propose_tier


class RecordedDecision(BaseModel):
    """One decided audit, as ``spplus whatif --records`` reads it (a JSON list of these; see
    ``examples/whatif-records.json``) and as the running engine's cycles give it (their ``decisions`` query).

    ``scores`` are the audit's engagement scores /100 (and ``gold_criteria``), or its control points'
    points (``control_points``, ``gold_control_points``); the survey notes are /100 (null: none); ``tier``
    is what the body decided (null: a refusal). Each edition applies its rules in force on ``visit_start``.
    """

    candidate: str
    audit: int
    visit_start: date
    scores: AuditScores
    agent_survey: Decimal | None
    user_survey: Decimal | None
    tier: str | None  # what the body decided


class Change(BaseModel):
    candidate: str
    audit: int
    decided: str | None
    proposed_now: str | None  # under the edition the cycle ran on
    proposed_then: str | None  # under the proposed edition
    failed: list[str]  # the criteria the proposed edition fails, for the tier decided


def decisions_of(state: CycleState) -> list[RecordedDecision]:
    """The decided audits of a cycle, as a what-if needs them."""
    out = []
    for audit in state.audits:
        if audit.decided_on is None or audit.scores is None or audit.proposal is None:
            continue
        out.append(RecordedDecision(
            candidate=state.candidate.id, audit=audit.number, visit_start=audit.visit_start, scores=audit.scores,
            agent_survey=state.survey_note("agent"), user_survey=state.survey_note("user"), tier=audit.decided_tier,
        ))
    return out


def reevaluate(records: list[RecordedDecision], current: RuleSet, proposed: RuleSet) -> list[Change]:
    """Every recorded decision whose proposed tier differs between the two editions."""
    changes = []
    for record in records:
        now = propose_tier(current, record.scores, record.agent_survey, record.user_survey, record.visit_start)
        then = propose_tier(proposed, record.scores, record.agent_survey, record.user_survey, record.visit_start)
        if now.tier != then.tier:
            failed = [f"{c.criterion} {c.value} < {c.threshold}" for c in then.criteria
                      if not c.passed and c.tier == (now.tier or "")]
            changes.append(Change(candidate=record.candidate, audit=record.audit, decided=record.tier,
                                  proposed_now=now.tier, proposed_then=then.tier, failed=failed))
    return changes
