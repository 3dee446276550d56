"""The cycle's own record of its decisions: each decided audit, what it measured and the tier it gave.

Pure, like the rest of the cycle: the workflow answers its ``decisions`` query with :func:`decisions_of`, and
the DITP's what-if (:mod:`spplus.analysis.whatif`) re-proposes the tiers of these records under another edition.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from ..tiers import AuditScores
from .state import CycleState


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
