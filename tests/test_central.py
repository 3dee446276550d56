"""A central public service labelled through its network (guide §2.2.2, §3.1, §3.3, §3.8.2, §3.9.2).

* ⌈√n⌉ local services audited at least (« en arrondissant si nécessaire à l'entier supérieur »);
* at least 75 % of the local services audited in the year labelled, the count rounded up;
* at least 75 % of the central audit's yes/no control points validated;
* the annual self-assessment produced in every local service;
* tier: the one most of the labelled local services obtained (tie: rules/central.yaml's tie_break).
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spplus.central import central_decision, majority_tier, required_labelled, sample_size
from spplus.rules.models import TieBreak

AT = date(2026, 6, 30)


def yes_no(yes: int, no: int) -> list[bool]:
    return [True] * yes + [False] * no


@pytest.mark.parametrize(("n", "k"), [(1, 1), (2, 2), (4, 2), (5, 3), (100, 10), (101, 11), (2000, 45), (2025, 45), (2026, 46)])
def test_sample_size(rules, n: int, k: int) -> None:
    """√100 = 10; √101 → 11; √2000 ≈ 44.7 → 45 (44² = 1936, 45² = 2025)."""
    assert sample_size(rules, n, AT) == k


@settings(deadline=None)
@given(st.integers(min_value=1, max_value=10**12))
def test_sample_size_is_the_ceiling_of_the_square_root(rules, n: int) -> None:
    k = sample_size(rules, n, AT)
    assert (k - 1) ** 2 < n <= k**2


@pytest.mark.parametrize(("audited", "required"), [(1, 1), (2, 2), (3, 3), (4, 3), (5, 4), (8, 6), (10, 8), (45, 34)])
def test_required_labelled_rounds_up(rules, audited: int, required: int) -> None:
    """⌈0.75 × audited⌉: 0.75 × 5 = 3.75 → 4; 0.75 × 10 = 7.5 → 8; 0.75 × 45 = 33.75 → 34."""
    assert required_labelled(rules, audited, AT) == required


def decide(rules, points=yes_no(3, 1), tiers=("bronze", "bronze", "bronze", None), self_assessments=True, **kw):
    return central_decision(rules, points, list(tiers), self_assessments, AT, **kw)


def criterion(decision, name: str) -> bool:
    [result] = [c for c in decision.criteria if c.criterion == name]
    return result.passed


def test_exactly_75_percent_of_local_services_labelled(rules) -> None:
    decision = decide(rules, tiers=("bronze", "argent", "argent", None))  # 3 of 4
    assert decision.labelled and decision.required_locals == 3 and decision.labelled_locals == 3


@pytest.mark.parametrize("tiers", [("bronze", "bronze", None), ("or",) * 7 + (None,) * 3, ("or",) * 3 + (None,) * 2])
def test_just_under_75_percent_of_local_services_fails(rules, tiers) -> None:
    """2/3 = 67 %; 7/10 (8 needed); 3/5 (4 needed, ⌈3.75⌉)."""
    decision = decide(rules, tiers=tiers)
    assert not decision.labelled and decision.tier is None
    assert not criterion(decision, "local services labelled")


@pytest.mark.parametrize(("yes", "no", "passed"), [(3, 1, True), (150, 50, True), (149, 51, False), (74, 26, False), (100, 0, True)])
def test_control_points_at_least_75_percent(rules, yes: int, no: int, passed: bool) -> None:
    decision = decide(rules, points=yes_no(yes, no))
    assert criterion(decision, "central audit control points") is passed
    assert decision.labelled is passed


def test_missing_self_assessments_fail(rules) -> None:
    decision = decide(rules, self_assessments=False)
    assert not decision.labelled and not criterion(decision, "annual self-assessment in every local service")


def test_network_surveys_checked_at_follow_ups(rules) -> None:
    """§2.2.2, 4th condition: « dans le cadre de ses audits annuels de suivi »."""
    assert decide(rules, network_surveys_produced=None).labelled
    assert decide(rules, network_surveys_produced=True).labelled
    assert not decide(rules, network_surveys_produced=False).labelled


def test_no_local_service_audited_is_no_label(rules) -> None:
    assert not decide(rules, tiers=()).labelled


def test_no_control_point_is_refused(rules) -> None:
    with pytest.raises(ValueError):
        decide(rules, points=[])


def test_majority_tier(rules) -> None:
    """§2.2.2 « le palier obtenu par la majorité des services publics locaux labellisés »."""
    decision = decide(rules, tiers=("argent", "or", "argent", "bronze", "argent", None))
    assert decision.labelled and decision.tier == "argent"
    assert decision.tier_counts == {"argent": 3, "or": 1, "bronze": 1}


def test_refused_local_services_do_not_vote(rules) -> None:
    assert majority_tier(rules, ["or", "bronze", "bronze"], AT) == "bronze"
    assert decide(rules, tiers=("or", "or", "bronze", None)).tier == "or"


@pytest.mark.parametrize(("tiers", "lower"), [(["or", "bronze"], "bronze"), (["or", "argent", "argent", "or", "bronze"], "argent")])
def test_tie_goes_to_the_lower_tier(rules, tiers, lower) -> None:
    """The guide is silent; rules/central.yaml says tier_tie_break: lower (Open, default of the digest)."""
    assert rules.central.criteria.at(AT).tier_tie_break == TieBreak.lower
    assert majority_tier(rules, tiers, AT) == lower


def test_tie_break_is_read_from_the_rule_file(rules) -> None:
    criteria = rules.central.criteria
    start, entry = criteria.entry_at(AT)
    higher_entry = entry.model_copy(update={"value": entry.value.model_copy(update={"tier_tie_break": TieBreak.higher})})
    higher = rules.model_copy(update={"central": rules.central.model_copy(
        update={"criteria": criteria.model_copy(update={"values": {**criteria.values, start: higher_entry}})})})
    assert majority_tier(higher, ["or", "bronze"], AT) == "or"
    assert majority_tier(rules, ["or", "bronze"], AT) == "bronze"
