"""A central public service labelled through its network (guide §2.2.2, §3.1, §3.8.2, §3.9.2).

Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from fractions import Fraction

from pydantic import BaseModel

from .exact import at_least_share, ceil_share, percent, smallest_root_ceiling, to_decimal
from .rules.models import RuleSet, TieBreak


def sample_size(rules: RuleSet, local_services: int, at: date) -> int:
    """How many local services are audited in a year: at least ⌈√n⌉ (§3.1), never more than n."""
    sampling = rules.central.sampling.at(at)
    if local_services <= 0:
        return 0
    size = max(sampling.minimum, smallest_root_ceiling(local_services, sampling.root))
    return min(size, local_services)


def required_labelled(rules: RuleSet, audited: int, at: date) -> int:
    """How many of the audited local services must be labelled: ⌈75 % × audited⌉."""
    return ceil_share(rules.central.criteria.at(at).local_labelled_min_share, audited)


class CentralCriterion(BaseModel):
    criterion: str
    passed: bool
    detail: str


class CentralDecision(BaseModel):
    labelled: bool
    tier: str | None
    tier_counts: dict[str, int]
    control_points_share: Decimal
    labelled_locals: int
    audited_locals: int
    required_locals: int
    criteria: list[CentralCriterion]
    edition: str
    reference: str


def majority_tier(rules: RuleSet, local_tiers: list[str], at: date) -> str | None:
    """The tier most of the labelled local services obtained; a tie goes by the rules' tie-break."""
    if not local_tiers:
        return None
    order = [t.id for t in rules.tiers.tiers.at(at)]
    counts = Counter(local_tiers)
    best = max(counts.values())
    tied = sorted((t for t, c in counts.items() if c == best), key=order.index)
    tie_break = rules.central.criteria.at(at).tier_tie_break
    return tied[0] if tie_break == TieBreak.lower else tied[-1]


def central_decision(
    rules: RuleSet,
    control_points: list[bool],
    local_tiers: list[str | None],
    self_assessments_produced: bool,
    at: date,
    network_surveys_produced: bool | None = None,
) -> CentralDecision:
    """Whether the central service is labelled, and its tier, from its audit and its network's results.

    ``local_tiers`` holds one entry per local service audited in the year: its tier, or None if refused.
    ``network_surveys_produced`` is checked at follow-ups only (None at the initial labelling).
    """
    start, entry = rules.central.criteria.entry_at(at)
    criteria = entry.value
    if not control_points:
        raise ValueError("the central audit scored no control point")
    validated = sum(1 for point in control_points if point)
    audited = len(local_tiers)
    labelled = [t for t in local_tiers if t is not None]
    required = ceil_share(criteria.local_labelled_min_share, audited)
    share = to_decimal(Fraction(validated, len(control_points)))
    results = [
        CentralCriterion(
            criterion="central audit control points",
            passed=at_least_share(validated, len(control_points), criteria.control_points_min_share),
            detail=f"{validated}/{len(control_points)} validated; at least {percent(criteria.control_points_min_share)} required",
        ),
        CentralCriterion(
            criterion="local services labelled",
            passed=audited > 0 and len(labelled) >= required,
            detail=f"{len(labelled)} of {audited} audited local services labelled; {required} required (⌈{criteria.local_labelled_min_share} × {audited}⌉)",
        ),
        CentralCriterion(
            criterion="annual self-assessment in every local service",
            passed=self_assessments_produced,
            detail="reports produced" if self_assessments_produced else "reports missing",
        ),
    ]
    if network_surveys_produced is not None:
        results.append(
            CentralCriterion(
                criterion="annual surveys of labelled local services",
                passed=network_surveys_produced,
                detail="reports produced" if network_surveys_produced else "reports missing",
            )
        )
    ok = all(r.passed for r in results)
    return CentralDecision(
        labelled=ok,
        tier=majority_tier(rules, labelled, at) if ok else None,
        tier_counts=dict(Counter(labelled)),
        control_points_share=share,
        labelled_locals=len(labelled),
        audited_locals=audited,
        required_locals=required,
        criteria=results,
        edition=rules.edition_id,
        reference=entry.reference,
    )


class SampleDraw(BaseModel):
    """A random draw of local services, reproducible by anyone from its seed and population.

    ``random.Random(seed).sample(sorted(population), size)`` — the population is sorted by id so
    the order it was listed in does not matter; the seed is recorded on the cycle's timeline.
    """

    year: int
    seed: int
    population: list[str]
    size: int
    drawn: list[str]


def draw_sample(population: list[str], size: int, seed: int, year: int) -> SampleDraw:
    import random  # a seeded instance only: the workflow gives the seed, so the draw is deterministic

    ordered = sorted(set(population))
    if size > len(ordered):
        raise ValueError(f"cannot draw {size} of {len(ordered)} local services")
    drawn = random.Random(seed).sample(ordered, size)
    return SampleDraw(year=year, seed=seed, population=ordered, size=size, drawn=drawn)


def services_to_add(rules: RuleSet, audited: int, labelled: int, at: date) -> int:
    """How many more local services must be presented, if all of them are labelled, to reach
    ⌈75 % × audited⌉ (§3.9.2: « présenter … un ou plusieurs services supplémentaires »)."""
    added = 0
    while labelled + added < required_labelled(rules, audited + added, at):
        added += 1
    return added


def year_outcome(rules: RuleSet, held: str, year_tiers: list[str], at: date) -> str:
    """At a central follow-up (§3.9.2): 'confirmed' when most local services labelled this year hold
    the central tier, 'higher' when most hold a higher one, 'lower' otherwise."""
    majority = majority_tier(rules, year_tiers, at)
    if majority is None:
        return "lower"
    order = [t.id for t in rules.tiers.tiers.at(at)]
    if order.index(majority) > order.index(held):
        return "higher"
    return "confirmed" if majority == held else "lower"
