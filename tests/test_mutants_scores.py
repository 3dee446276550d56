"""Rule values the mutation check (bench/mutate.py) found unpinned: the gold tier's 80 on each engagement and on
the agent survey, the return rate of the agent survey's first band, the agreed domain of local authorities.

Each expected value follows from the guide section named beside it; none is read from the engine's output.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from spplus.perimeter import AuthorityPerimeter, perimeter_problems
from spplus.surveys import SurveyKind, summary_result
from spplus.tiers import AuditScores, propose_tier

AT = date(2026, 5, 15)
D = Decimal


# ------------------------------------------------------------------ the gold tier (§2.2.1)
# « Le palier « Or » est attribué si le candidat atteint le score minimal de : 80/100 lors de l'audit sur chacun des
# 8 engagements, 80/100 … sur les critères supplémentaires du label « Or », 80/100 à l'enquête agents, et 90/100 à
# l'enquête usagers (critères cumulatifs) »; « Argent »: 65 on each engagement, 65 agents, 80 users.

def test_one_engagement_between_79_and_80_keeps_the_gold_tier_away(rules) -> None:
    # Engagement 5 audited on 12 control points: eight met (1), two mostly met (0.75), two not met (0):
    # (8 + 2 × 0.75) / 12 = 9.5 / 12 = 79.1666…/100 — below gold's 80, above argent's 65. Everything else at 100.
    control = {n: [D(1)] for n in range(1, 9)}
    control[5] = [D(1)] * 8 + [D("0.75")] * 2 + [D(0)] * 2
    proposal = propose_tier(rules, AuditScores(control_points=control, gold_control_points=[D(1)]), D(100), D(100), AT)
    assert D("79.16") < proposal.engagement_scores[5] < D("79.17")
    assert proposal.tier == "argent"
    assert [c.criterion for c in proposal.failed("or")] == ["audit engagement 5"]


def test_an_agent_survey_between_79_and_80_keeps_the_gold_tier_away(rules) -> None:
    # Agent survey 79.5/100 < 80 (gold) but ≥ 65 (argent); audit, gold criteria and users at 100.
    scores = AuditScores(engagements={n: D(100) for n in range(1, 9)}, gold_criteria=D(100))
    proposal = propose_tier(rules, scores, D("79.5"), D(100), AT)
    assert proposal.tier == "argent"
    assert [c.criterion for c in proposal.failed("or")] == ["agent survey"]


# ------------------------------------------------------------------ the agent survey's return rate (§3.4.2)
# « un taux de retour minimum est attendu. Il est calculé sur la base du nombre de questionnaires « recevables » au
# regard du nombre d'agents sollicités par email … Taux de 50 % pour les candidats comptant moins de 50 agents
# concernés ». The band follows the agents concerned (in contact with users); the rate, the agents solicited.
# With at most 49 solicited no rate falls between 49 % and 50 % (24/49 ≈ 48.98 %); a candidate with 40 agents in
# contact that sent the survey to its 100 agents can: 49/100 = 49 %.

@pytest.mark.parametrize(("admissible", "valid"), [(49, False), (50, True)])
def test_under_50_agents_the_return_rate_needed_is_50_percent(rules, admissible, valid) -> None:
    result = summary_result(rules, SurveyKind.agent, D(70), admissible, 100, AT, headcount=40)
    assert result.valid is valid
    if not valid:
        assert len(result.reasons) == 1 and "return rate 49 % (49/100) is below 50 %" in result.reasons[0]


# ------------------------------------------------------------------ local authorities' perimeter (§1.4.2)
# « Pour les EPCI, départements et régions : au moins un domaine d'action publique spécifique parmi ceux relevant
# de leurs compétences » (the guide's table per kind); only « les collectivités territoriales à statut particulier »
# define their perimeter « en concertation avec l'organisme de certification ». An EPCI, a département or a région
# presenting general reception alone misses one thing only: a domain of its own list — not an agreed domain.

@pytest.mark.parametrize(("kind", "its_list"), [
    ("epci", ["social-action", "early-childhood", "urban-planning", "urban-services"]),
    ("departement", ["solidarity", "territorial-planning"]),
    ("region", ["mobility-transport", "economic-development", "territorial-planning", "vocational-training-employment",
                "environment"]),
])
def test_general_reception_alone_misses_only_the_kinds_own_domain(rules, kind, its_list) -> None:
    domains = ["general-reception"]
    problems = perimeter_problems(rules, AuthorityPerimeter(type=kind, domains=domains), {"hdv": domains}, date(2026, 5, 1))
    assert len(problems) == 1, problems
    assert "at least one of" in problems[0] and all(domain in problems[0] for domain in its_list)
