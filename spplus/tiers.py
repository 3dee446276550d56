"""The tier a local public service's results give (« palier », guide §2.2.1).

Criteria are cumulative; the tier is the highest whose every criterion holds; none → refusal.
Every criterion of every tier is reported, passed or failed, so the body sees why.

Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .exact import to_decimal
from .limits import MAX_ITEMS
from .rules.models import RuleSet, Share


class AuditScores(BaseModel):
    """An audit's results: a score /100 per engagement, and the gold criteria's score when audited.

    Give either the scores (``engagements``, ``gold_criteria``) or the control points' points
    (``control_points``, ``gold_control_points``) from which they are computed.
    """

    model_config = ConfigDict(extra="forbid")

    engagements: dict[int, Annotated[Decimal, Field(max_digits=24)]] = Field(default_factory=dict, max_length=MAX_ITEMS)
    gold_criteria: Annotated[Decimal, Field(max_digits=24)] | None = None
    control_points: dict[int, Annotated[list[Share], Field(max_length=MAX_ITEMS)]] | None = Field(default=None, max_length=MAX_ITEMS)
    gold_control_points: list[Share] | None = Field(default=None, max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _one_source(self) -> AuditScores:
        if self.control_points is not None and self.engagements:
            raise ValueError("give either engagement scores or control points, not both")
        if self.gold_control_points is not None and self.gold_criteria is not None:
            raise ValueError("give either the gold criteria score or its control points, not both")
        for number, score in self.engagements.items():
            if not Decimal(0) <= score <= Decimal(100):
                raise ValueError(f"engagement {number}: a score is out of 100, got {score}")
        if self.gold_criteria is not None and not Decimal(0) <= self.gold_criteria <= Decimal(100):
            raise ValueError(f"gold criteria: a score is out of 100, got {self.gold_criteria}")
        return self


class CriterionResult(BaseModel):
    tier: str
    criterion: str
    value: Decimal | None
    threshold: Decimal
    passed: bool


class TierProposal(BaseModel):
    """The tier the rules give, with every criterion checked."""

    tier: str | None
    tier_label: str | None
    engagement_scores: dict[int, Decimal]
    gold_criteria: Decimal | None
    criteria: list[CriterionResult]
    edition: str
    reference: str
    at: date

    def failed(self, tier: str) -> list[CriterionResult]:
        return [c for c in self.criteria if c.tier == tier and not c.passed]


def engagement_scores(rules: RuleSet, audit: AuditScores, at: date) -> tuple[dict[int, Decimal], Decimal | None]:
    """Scores /100 per engagement (the mean of its control points × 100) and of the gold criteria."""
    engagements = [e.number for e in rules.engagements.engagements.at(at)]
    scale = set(rules.tiers.audit_scale.at(at))
    if audit.control_points is not None:
        scores = {}
        for number, points in audit.control_points.items():
            scores[number] = _points_score(points, scale, f"engagement {number}")
    else:
        scores = dict(audit.engagements)
    unknown = sorted(set(scores) - set(engagements))
    if unknown:
        raise ValueError(f"engagement(s) {unknown} do not exist on {at.isoformat()}; the engagements are {engagements}")
    missing = sorted(set(engagements) - set(scores))
    if missing:
        raise ValueError(f"no audit score for engagement(s) {missing}: every engagement is audited (§3.7.1)")
    gold = audit.gold_criteria
    if audit.gold_control_points is not None:
        gold = _points_score(audit.gold_control_points, scale, "gold criteria")
    return {n: scores[n] for n in sorted(scores)}, gold


def _points_score(points: list[Decimal], scale: set[Decimal], what: str) -> Decimal:
    if not points:
        raise ValueError(f"{what}: no control point scored")
    wrong = [p for p in points if p not in scale]
    if wrong:
        allowed = ", ".join(str(s) for s in sorted(scale))
        raise ValueError(f"{what}: control points are scored {allowed}; got {', '.join(map(str, wrong))}")
    return to_decimal(sum((Fraction(p) for p in points), Fraction(0)) * 100 / len(points))


def propose_tier(
    rules: RuleSet, audit: AuditScores, agent_survey: Decimal | None, user_survey: Decimal | None, at: date
) -> TierProposal:
    """The highest tier whose every criterion holds on the rules in force at ``at`` (the visit date)."""
    scores, gold = engagement_scores(rules, audit, at)
    start, entry = rules.tiers.tiers.entry_at(at)
    decimals = rules.tiers.comparison.at(at).decimals

    def compared(value: Decimal | None) -> Decimal | None:
        if value is None or decimals is None:
            return value
        return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)

    results: list[CriterionResult] = []
    awarded = None
    for tier in entry.value:
        checks: list[tuple[str, Decimal | None, Decimal]] = [
            (f"audit engagement {n}", scores[n], tier.audit_per_engagement) for n in scores
        ]
        if tier.gold_criteria is not None:
            checks.append(("audit gold criteria", gold, tier.gold_criteria))
        checks.append(("agent survey", agent_survey, tier.agent_survey))
        checks.append(("user survey", user_survey, tier.user_survey))
        tier_results = [
            CriterionResult(
                tier=tier.id,
                criterion=name,
                value=value,
                threshold=threshold,
                passed=(v := compared(value)) is not None and v >= threshold,
            )
            for name, value, threshold in checks
        ]
        results.extend(tier_results)
        if all(r.passed for r in tier_results):
            awarded = tier
    return TierProposal(
        tier=awarded.id if awarded else None,
        tier_label=awarded.label if awarded else None,
        engagement_scores=scores,
        gold_criteria=gold,
        criteria=results,
        edition=rules.edition_id,
        reference=entry.reference,
        at=at,
    )


def tier_rank(rules: RuleSet, tier: str | None, at: date) -> int:
    """0 for no tier, then 1, 2, 3… from the lowest tier up."""
    if tier is None:
        return 0
    ids = [t.id for t in rules.tiers.tiers.at(at)]
    if tier not in ids:
        raise ValueError(f"unknown tier {tier!r}; the tiers are {ids}")
    return ids.index(tier) + 1
