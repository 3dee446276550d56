"""Edges the mutation check (bench/mutate.py) found untested: each value follows from the guide or the docstring."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from spplus.central import sample_size, year_outcome
from spplus.exact import at_least_share, smallest_root_ceiling
from spplus.surveys import SurveyDataError, SurveyKind, read_survey_csv, score_survey, summary_result

AT = date(2026, 3, 31)


def test_no_return_rate_when_nobody_was_asked():
    # A rate of 0/0 is no rate: a survey that solicited nobody cannot reach any minimum (§3.4.1).
    assert at_least_share(0, 0, Decimal("0.05")) is False
    assert at_least_share(5, 100, Decimal("0.05")) is True  # exactly 5 % reaches « au moins 5 % »


def test_every_person_solicited_answering_is_a_full_return_not_an_error(rules):
    # 40 admissible of 40 agents solicited: a 100 % return rate (§3.4.2), valid, not « more than solicited ».
    result = summary_result(rules, SurveyKind.agent, Decimal(70), 40, 40, AT, headcount=40)
    assert result.return_rate == Decimal(1) and result.valid
    with pytest.raises(SurveyDataError, match="41 admissible questionnaires but only 40 people solicited"):
        summary_result(rules, SurveyKind.agent, Decimal(70), 41, 40, AT, headcount=40)


def test_a_survey_that_solicited_nobody_is_refused_with_its_reason(rules):
    with pytest.raises(SurveyDataError, match="the number of people solicited must be positive"):
        score_survey(rules, SurveyKind.user, read_survey_csv("termine;Q1\n"), 0, AT)


def test_a_header_with_as_many_commas_as_semicolons_is_read_with_commas():
    # read_survey_csv: « ; » only when the header has more of them (a French spreadsheet's export).
    rows = read_survey_csv("termine,Q1;x\noui,1;y\n")
    assert list(rows[0]) == ["termine", "Q1;x"] and rows[0]["Q1;x"] == "1;y"
    assert list(read_survey_csv("termine;Q1;Q2,x\noui;1;1,y\n")[0]) == ["termine", "Q1", "Q2,x"]


def test_a_central_follow_up_whose_majority_holds_the_central_tier_confirms_it(rules):
    # §3.9.2: « confirmé » when most local services labelled this year hold the central tier, « supérieur » above it.
    assert year_outcome(rules, "argent", ["argent", "argent", "bronze"], AT) == "confirmed"
    assert year_outcome(rules, "argent", ["or", "or", "argent"], AT) == "higher"


def test_the_sample_of_a_perfect_square_is_its_root_even_beyond_float_precision(rules):
    # §3.1 « au moins √n … en arrondissant si nécessaire à l'entier supérieur »: for n = m², no rounding is
    # necessary, the sample is m. smallest_root_ceiling promises an exact integer answer (the float root is only its
    # starting guess). m = 36 028 797 018 963 974 (≈ 2^55, far beyond any network): the float √(m²) comes out as m + 2,
    # so the guess (one less) starts above the answer and only the exact step-down (while (k − 1)² ≥ n) reaches m.
    m = 36_028_797_018_963_974
    assert smallest_root_ceiling(m * m, 2) == m
    assert sample_size(rules, m * m, AT) == m
    assert smallest_root_ceiling(m * m + 1, 2) == m + 1  # just above a square: rounded up
