"""The tier a local service's results give (guide §2.2.1; control points §3.7.1).

Thresholds, from the guide: bronze 50 on each of the 8 engagements, agents 50, users 70; argent
65/65/80; or 80/80/90 plus 80 on the gold criteria. Cumulative; the highest tier whose every
criterion holds; none → refusal. Notes are compared exactly (rules/tiers.yaml: 49.99 is not 50).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spplus.tiers import AuditScores, engagement_scores, propose_tier

AT = date(2026, 5, 15)
ENGAGEMENTS = range(1, 9)
D = Decimal


def audit(score: str | int = 100, gold: str | int | None = None, **override: str | int) -> AuditScores:
    """Every engagement at ``score``, except ``e3="49.99"``-style overrides."""
    scores = {n: D(str(override.get(f"e{n}", score))) for n in ENGAGEMENTS}
    return AuditScores(engagements=scores, gold_criteria=None if gold is None else D(str(gold)))


def tier(rules, audit_scores: AuditScores, agent: str | int, user: str | int) -> str | None:
    return propose_tier(rules, audit_scores, D(str(agent)), D(str(user)), AT).tier


# ------------------------------------------------------------------ boundaries (§2.2.1)
def test_exactly_the_bronze_minimums_give_bronze(rules) -> None:
    assert tier(rules, audit(50), 50, 70) == "bronze"


def test_one_engagement_just_under_50_is_a_refusal(rules) -> None:
    proposal = propose_tier(rules, audit(100, gold=100, e3="49.99"), D(100), D(100), AT)
    assert proposal.tier is None and proposal.tier_label is None
    assert [c.criterion for c in proposal.failed("bronze")] == ["audit engagement 3"]


@pytest.mark.parametrize(("agent", "user", "expected"), [(49.99, 100, None), (100, 69.99, None), (50, 70, "bronze")])
def test_each_survey_minimum_for_bronze(rules, agent, user, expected) -> None:
    assert tier(rules, audit(100, gold=100), agent, user) == expected


def test_agent_survey_just_under_65_stays_bronze(rules) -> None:
    assert tier(rules, audit(100, gold=100), "64.99", 100) == "bronze"
    assert tier(rules, audit(100, gold=100), 65, 80) == "argent"


def test_engagement_just_under_65_stays_bronze(rules) -> None:
    assert tier(rules, audit(100, gold=100, e8="64.99"), 100, 100) == "bronze"


@pytest.mark.parametrize(("gold", "expected"), [("79.99", "argent"), (80, "or"), (None, "argent")])
def test_gold_needs_the_gold_criteria(rules, gold, expected) -> None:
    """« 80/100 lors de l'audit, sur les critères supplémentaires du label « Or » »."""
    assert tier(rules, audit(80, gold=gold), 80, 90) == expected


@pytest.mark.parametrize(("user", "expected"), [(90, "or"), ("89.99", "argent"), (80, "argent"), ("79.99", "bronze")])
def test_user_survey_boundaries(rules, user, expected) -> None:
    assert tier(rules, audit(80, gold=80), 80, user) == expected


def test_missing_survey_note_fails_every_tier(rules) -> None:
    proposal = propose_tier(rules, audit(100, gold=100), None, D(100), AT)
    assert proposal.tier is None
    assert {c.tier for c in proposal.criteria if c.criterion == "agent survey" and not c.passed} == {"bronze", "argent", "or"}


def test_every_criterion_of_every_tier_is_reported(rules) -> None:
    proposal = propose_tier(rules, audit(70, gold=90, e2=60), D(85), D(95), AT)
    assert proposal.tier == "bronze"
    expected = {
        **{("bronze", f"audit engagement {n}"): True for n in ENGAGEMENTS},
        ("bronze", "agent survey"): True, ("bronze", "user survey"): True,
        **{("argent", f"audit engagement {n}"): n != 2 for n in ENGAGEMENTS},
        ("argent", "agent survey"): True, ("argent", "user survey"): True,
        **{("or", f"audit engagement {n}"): False for n in ENGAGEMENTS},
        ("or", "audit gold criteria"): True, ("or", "agent survey"): True, ("or", "user survey"): True,
    }
    assert {(c.tier, c.criterion): c.passed for c in proposal.criteria} == expected
    assert len(proposal.criteria) == len(expected)
    thresholds = {(c.tier, c.criterion): c.threshold for c in proposal.criteria}
    assert thresholds[("argent", "user survey")] == 80 and thresholds[("or", "audit gold criteria")] == 80
    assert proposal.edition == rules.edition_id and "§2.2.1" in proposal.reference


# ------------------------------------------------------------------ scores from control points (§3.7.1)
def points(*values: str) -> list[Decimal]:
    return [D(v) for v in values]


def test_engagement_score_is_the_mean_of_its_points_times_100(rules) -> None:
    control = {n: points("1", "0.75", "0.25", "0") for n in ENGAGEMENTS}  # (1 + .75 + .25 + 0) / 4 = 50 %
    control[5] = points("1", "0.75", "0.25")  # 2 / 3 → 66.66…
    scores, gold = engagement_scores(rules, AuditScores(control_points=control, gold_control_points=points("1", "0.75")), AT)
    assert scores[1] == 50
    assert abs(Fraction(scores[5]) - Fraction(200, 3)) < Fraction(1, 10**20)
    assert gold == D("87.5")


def test_control_points_at_exactly_50_give_bronze(rules) -> None:
    control = {n: points("1", "0", "0.75", "0.25") for n in ENGAGEMENTS}
    assert propose_tier(rules, AuditScores(control_points=control), D(50), D(70), AT).tier == "bronze"
    control[4] = points("1", "0", "0.75", "0.25", "0.25", "0.75", "0")  # 3/7 → 42.9
    assert propose_tier(rules, AuditScores(control_points=control), D(50), D(70), AT).tier is None


def test_a_point_off_the_scale_is_refused(rules) -> None:
    control = {n: points("1") for n in ENGAGEMENTS}
    control[6] = points("1", "0.5")
    with pytest.raises(ValueError) as caught:
        engagement_scores(rules, AuditScores(control_points=control), AT)
    message = str(caught.value)
    assert "engagement 6" in message and "0.5" in message and "0.25" in message


@pytest.mark.parametrize("value", ["1.5", "-0.25"])
def test_a_point_outside_0_1_is_refused(value: str) -> None:
    with pytest.raises(ValueError):
        AuditScores(control_points={1: [D(value)]})


def test_a_missing_engagement_is_refused(rules) -> None:
    """« sur chacun des 8 engagements »: all are audited (§2.2.1, §3.7.1 note 10)."""
    scores = {n: D(90) for n in ENGAGEMENTS if n != 7}
    with pytest.raises(ValueError) as caught:
        propose_tier(rules, AuditScores(engagements=scores), D(90), D(95), AT)
    assert "[7]" in str(caught.value)


def test_an_unknown_engagement_is_refused(rules) -> None:
    scores = {n: D(90) for n in range(1, 10)}
    with pytest.raises(ValueError) as caught:
        propose_tier(rules, AuditScores(engagements=scores), D(90), D(95), AT)
    assert "[9]" in str(caught.value)


def test_a_score_above_100_is_refused() -> None:
    with pytest.raises(ValueError):
        AuditScores(engagements={1: D("100.01")})


# ------------------------------------------------------------------ properties
THRESHOLDS = [D(x) for x in ("0", "49.99", "50", "64.99", "65", "69.99", "70", "79.99", "80", "89.99", "90", "100")]
scores_st = st.one_of(st.sampled_from(THRESHOLDS), st.decimals(min_value=0, max_value=100, places=2))
GUIDE = [  # §2.2.1, written here from the guide: (id, engagement, gold, agents, users)
    ("bronze", 50, None, 50, 70),
    ("argent", 65, None, 65, 80),
    ("or", 80, 80, 80, 90),
]


def guide_tier(engagements: list[Decimal], gold: Decimal | None, agent: Decimal, user: Decimal) -> str | None:
    awarded = None
    for name, minimum, gold_minimum, agents, users in GUIDE:
        if (
            all(score >= minimum for score in engagements)
            and (gold_minimum is None or (gold is not None and gold >= gold_minimum))
            and agent >= agents
            and user >= users
        ):
            awarded = name
    return awarded


RANK = {None: 0, "bronze": 1, "argent": 2, "or": 3}
results_st = st.tuples(st.lists(scores_st, min_size=8, max_size=8), st.one_of(st.none(), scores_st), scores_st, scores_st)


def _propose(rules, engagements, gold, agent, user) -> str | None:
    scores = AuditScores(engagements=dict(zip(ENGAGEMENTS, engagements)), gold_criteria=gold)
    return propose_tier(rules, scores, agent, user, AT).tier


@settings(deadline=None)
@given(results=results_st)
def test_tier_is_the_guides(rules, results) -> None:
    engagements, gold, agent, user = results
    assert _propose(rules, engagements, gold, agent, user) == guide_tier(engagements, gold, agent, user)


@settings(deadline=None)
@given(results=results_st, which=st.integers(min_value=0, max_value=10), raised=scores_st)
def test_raising_a_score_never_lowers_the_tier(rules, results, which, raised) -> None:
    engagements, gold, agent, user = results
    before = _propose(rules, engagements, gold, agent, user)
    engagements = list(engagements)
    if which < 8:
        engagements[which] = max(engagements[which], raised)
    elif which == 8:
        gold = raised if gold is None else max(gold, raised)
    elif which == 9:
        agent = max(agent, raised)
    else:
        user = max(user, raised)
    assert RANK[_propose(rules, engagements, gold, agent, user)] >= RANK[before]


@settings(deadline=None)
@given(results=results_st)
def test_no_tier_iff_a_bronze_criterion_fails(rules, results) -> None:
    engagements, gold, agent, user = results
    proposal = propose_tier(rules, AuditScores(engagements=dict(zip(ENGAGEMENTS, engagements)), gold_criteria=gold), agent, user, AT)
    bronze_fails = any(s < 50 for s in engagements) or agent < 50 or user < 70
    assert (proposal.tier is None) == bronze_fails == bool(proposal.failed("bronze"))


@settings(deadline=None)
@given(st.lists(st.sampled_from(["0", "0.25", "0.75", "1"]), min_size=1, max_size=30))
def test_score_from_control_points_is_the_exact_mean(rules, values) -> None:
    control = {n: points(*values) for n in ENGAGEMENTS}
    scores, _ = engagement_scores(rules, AuditScores(control_points=control), AT)
    exact = sum(Fraction(v) for v in values) / len(values) * 100
    for score in scores.values():
        assert 0 <= score <= 100
        assert abs(Fraction(score) - exact) < Fraction(1, 10**20)
