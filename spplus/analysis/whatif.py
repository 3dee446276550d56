"""What a proposed rules edition would change in recorded decisions, from the pure core alone.

A recorded decision (:class:`spplus.lifecycle.decisions.RecordedDecision`, the cycle's own record) is
what the audit measured (scores, survey notes, the visit's date) and the tier it gave. Re-proposing the
tier under another edition is a pure computation — thousands of cycles a second — so the DITP sees which
labels a change would move before it applies.
"""

from __future__ import annotations

from pydantic import BaseModel

from ..lifecycle.decisions import RecordedDecision
from ..rules.models import RuleSet
from ..tiers import propose_tier


class Change(BaseModel):
    candidate: str
    audit: int
    decided: str | None
    proposed_now: str | None  # under the edition the cycle ran on
    proposed_then: str | None  # under the proposed edition
    failed: list[str]  # the criteria the proposed edition fails, for the tier decided


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
