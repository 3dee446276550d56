"""Scoring the user and agent surveys from their CSV export (guide §3.4, §3.4.1, §3.4.2).

The CSVs are built here: columns Q1…Q15 (users) or Q1…Q11 (agents) and `termine`, the
completed flag (rules/surveys.yaml). Every expected note is computed by hand in a comment.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spplus.surveys import SurveyDataError, SurveyKind, read_survey_csv, score_survey, summary_result

AT = date(2026, 3, 31)
USER = [f"Q{i}" for i in range(1, 16)]
AGENT = [f"Q{i}" for i in range(1, 12)]
NEUTRAL = "Non concerné / ne se prononce pas"
D = Decimal


def make_csv(rows: list[list[str]], columns: list[str], completed: list[str] | None = None, sep: str = ",",
             with_completed_column: bool = True) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    writer.writerow([*columns, "termine"] if with_completed_column else columns)
    for index, row in enumerate(rows):
        writer.writerow([*row, completed[index] if completed else "oui"] if with_completed_column else row)
    return out.getvalue()


def score(rules, kind: SurveyKind, text: str, solicited: int, headcount: int | None = None):
    return score_survey(rules, kind, read_survey_csv(text), solicited, AT, headcount)


def answered(n: int, total: int, value: str = "1") -> list[str]:
    """A questionnaire with ``n`` scored answers and the rest neutral."""
    return [value] * n + [NEUTRAL] * (total - n)


def full(n: int, total: int, value: str = "1") -> list[list[str]]:
    return [[value] * total for _ in range(n)]


# ------------------------------------------------------------------ admissibility (§3.4.1, §3.4.2)
@pytest.mark.parametrize(
    ("kind", "columns", "n", "admissible"),
    [(SurveyKind.user, USER, 8, 1), (SurveyKind.user, USER, 7, 0), (SurveyKind.agent, AGENT, 6, 1), (SurveyKind.agent, AGENT, 5, 0)],
)
def test_more_than_half_answered_is_admissible(rules, kind, columns, n, admissible) -> None:
    """« plus de 50 % des questions ont reçu une réponse autre que « non concerné » »: 8/15, 6/11 yes; 7/15, 5/11 no."""
    result = score(rules, kind, make_csv([answered(n, len(columns))], columns), 10)
    assert (result.completed, result.admissible) == (1, admissible)


def even_questionnaire(rules, **admissibility):
    """The rules with an agent questionnaire of 10 questions (Q1…Q10, the first 10 of the 11), where exactly half of
    the questions can be answered — with 15 and 11 questions it cannot; ``admissibility`` overrides that rule."""
    from tests.lifecycle.driver import with_rule

    agent = rules.surveys.agent.at(AT).model_dump()
    changed = with_rule(rules, "surveys", "agent", {**agent, "questions": agent["questions"][:10]})
    if admissibility:
        changed = with_rule(changed, "surveys", "admissibility", {**rules.surveys.admissibility.at(AT).model_dump(), **admissibility})
    return changed


@pytest.mark.parametrize(("n", "admissible"), [(4, 0), (5, 0), (6, 1)])
def test_exactly_half_answered_is_not_more_than_half(rules, n, admissible) -> None:
    """« plus de 50 % des questions ont reçu une réponse autre que « non concerné » » (§3.4.1, §3.4.2): of 10
    questions, 5 answered is exactly 50 %, not more than 50 % → not admissible; 6 (60 %) is."""
    ten = even_questionnaire(rules)
    result = score(ten, SurveyKind.agent, make_csv([answered(n, 10)], AGENT[:10]), 10)
    assert (result.completed, result.admissible) == (1, admissible)


def test_the_strictness_is_the_rule_files(rules) -> None:
    """rules/surveys.yaml admissibility.strictly_more: true is the guide's « plus de »; set to false (« at least »,
    not the guide's reading), the same 5 of 10 become admissible — the switch is read, not a `>` in the code."""
    assert rules.surveys.admissibility.at(AT).strictly_more is True
    at_least = even_questionnaire(rules, strictly_more=False)
    assert score(at_least, SurveyKind.agent, make_csv([answered(5, 10)], AGENT[:10]), 10).admissible == 1
    assert score(at_least, SurveyKind.agent, make_csv([answered(4, 10)], AGENT[:10]), 10).admissible == 0


def test_empty_cells_are_not_answers(rules) -> None:
    row = ["1"] * 7 + [""] * 8  # 7 of 15 answered
    assert score(rules, SurveyKind.user, make_csv([row], USER), 10).admissible == 0


@pytest.mark.parametrize("flag", ["non", "", "0"])
def test_an_uncompleted_questionnaire_is_never_admissible(rules, flag: str) -> None:
    """« le questionnaire terminé pour lequel… »: every question answered, but not finished."""
    result = score(rules, SurveyKind.user, make_csv(full(1, 15), USER, completed=[flag]), 10)
    assert (result.respondents, result.completed, result.admissible) == (1, 0, 0)
    assert result.note is None and not result.valid


def test_neutral_answers_neutralise_the_question(rules) -> None:
    """Note of §3.4.1: a neutral answer takes the question out of the computation (not a 0)."""
    rows = [["1"] * 11, ["0.25"] * 10 + [NEUTRAL]]
    result = score(rules, SurveyKind.agent, make_csv(rows, AGENT), 2)
    notes = {q.column: q for q in result.questions}
    assert notes["Q11"].note == 100 and notes["Q11"].answers == 1  # only the first agent's 1
    assert notes["Q1"].note == D("62.5")  # (1 + 0.25) / 2
    # global: (10 × 62.5 + 100) / 11 = 725 / 11
    assert abs(Fraction(result.note) - Fraction(725, 11)) < Fraction(1, 10**20)


# ------------------------------------------------------------------ the user note (§3.4.1)
def test_user_note_is_the_mean_of_nine_notes(rules) -> None:
    """Engagements 1, 2, 3, 4, 5 and 7 average their two questions; the global note is the mean of
    8 engagement notes and the overall-satisfaction question (9 notes), « afin d'affecter le même poids ».

    Questions (Q1…Q15): 1a 1b 2a 2b 3a 3b 4a 4b 5a 5b 6 7a 7b 8 overall.
    A: 1   .75 1   1   .25 NC  0   1   .75 .75 1   1   .25 .75 .75
    B: .75 .75 .25 1   .75 1   1   1   .75 .25 NC  1   .75 .75 .75
    C: completed, only 7 answered (0s) → not admissible; D: all 0 but not completed.
    Question notes: 87.5 75 | 62.5 100 | 50 100 | 50 100 | 75 50 | 100 | 100 50 | 75 | 75
    Engagements: 81.25, 81.25, 75, 75, 62.5, 100, 75, 75; overall 75 → (700) / 9 = 77.78.
    (The plain mean of the 15 questions would be 1150 / 15 = 76.67.)
    """
    a = ["1", "0.75", "1", "1", "0.25", NEUTRAL, "0", "1", "0.75", "0.75", "1", "1", "0.25", "0.75", "0.75"]
    b = ["0.75", "0.75", "0.25", "1", "0.75", "1", "1", "1", "0.75", "0.25", NEUTRAL, "1", "0.75", "0.75", "0.75"]
    c = ["0"] * 7 + [NEUTRAL] * 8
    d = ["0"] * 15
    result = score(rules, SurveyKind.user, make_csv([a, b, c, d], USER, completed=["oui", "Oui", "oui", "non"]), 40)
    assert (result.respondents, result.completed, result.admissible) == (4, 3, 2)
    assert result.engagement_notes == {1: D("81.25"), 2: D("81.25"), 3: 75, 4: 75, 5: D("62.5"), 6: 100, 7: 75, 8: 75}
    assert result.overall_note == 75
    assert abs(Fraction(result.note) - Fraction(700, 9)) < Fraction(1, 10**20)


def test_sphinx_labels_and_comma_decimals_score_like_numbers(rules) -> None:
    """The 4-step scale 0 / 0.25 / 0.75 / 1 (§3.4.1), as the export spells it."""
    labels = ["Pas du tout d'accord", "Plutôt pas d'accord", "Plutôt d'accord", "Tout à fait d'accord"]
    rows = [labels * 2 + labels[:3], ["0", "0,25", "0,75", "1"] * 2 + ["0", "0,25", "0,75"]]
    result = score(rules, SurveyKind.agent, make_csv(rows, AGENT), 2)
    assert [q.note for q in result.questions] == [0, 25, 75, 100] * 2 + [0, 25, 75]


# ------------------------------------------------------------------ validity of the user survey (§3.4.1)
@pytest.mark.parametrize(("admissible", "solicited", "valid"), [(50, 100, True), (49, 100, False), (50, 1000, True), (50, 1001, False)])
def test_user_validity(rules, admissible: int, solicited: int, valid: bool) -> None:
    """At least 50 admissible questionnaires and a return rate of at least 5 % (50/1000 = 5 %; 50/1001 < 5 %)."""
    result = score(rules, SurveyKind.user, make_csv(full(admissible, 15), USER), solicited)
    assert result.admissible == admissible
    assert result.valid is valid


def test_inadmissible_questionnaires_do_not_count_towards_validity(rules) -> None:
    rows = full(49, 15) + [answered(7, 15)]
    assert not score(rules, SurveyKind.user, make_csv(rows, USER), 100).valid


# ------------------------------------------------------------------ validity of the agent survey (§3.4.2)
@pytest.mark.parametrize(
    ("agents", "admissible", "valid"),
    [
        (49, 25, True), (49, 24, False),     # < 50 agents: 50 % (25/49 = 51 %, 24/49 = 49 %)
        (48, 24, True),                      # exactly 50 %
        (50, 30, True), (50, 29, False),     # 50 agents: 50–300 band, 30 % and at least 30 (29/50 = 58 % is not enough)
        (300, 90, True), (300, 89, False),   # 300 agents: still 30 % (a > 300 band would accept 50)
        (301, 50, True), (301, 49, False),   # > 300 agents: 10 % and at least 50 (49/301 = 16 % is not enough)
        (1000, 100, True), (1000, 99, False),  # > 300 agents: 10 %
    ],
)
def test_agent_bands(rules, agents: int, admissible: int, valid: bool) -> None:
    result = score(rules, SurveyKind.agent, make_csv(full(admissible, 11), AGENT), agents, agents)
    assert result.admissible == admissible
    assert result.valid is valid, result.reasons


# ------------------------------------------------------------------ refused input
def test_unknown_answer_text_is_refused_with_line_and_column(rules) -> None:
    rows = [["1"] * 11, ["1"] * 4 + ["bof"] + ["1"] * 6]  # header line 1, this row on line 3, column Q5
    with pytest.raises(SurveyDataError) as caught:
        score(rules, SurveyKind.agent, make_csv(rows, AGENT), 2)
    message = str(caught.value)
    assert "line 3" in message and "Q5" in message and "'bof'" in message


def test_unknown_answer_line_counts_blank_lines(rules) -> None:
    text = make_csv([["1"] * 11], AGENT) + "\n" + make_csv([["1"] * 4 + ["bof"] + ["1"] * 6], AGENT).split("\n", 1)[1]
    with pytest.raises(SurveyDataError) as caught:
        score(rules, SurveyKind.agent, text, 2)
    assert "line 4" in str(caught.value)


def test_a_row_longer_than_the_header_is_refused_plainly(rules) -> None:
    text = make_csv([["1"] * 11], AGENT).rstrip("\n") + ",extra\n"
    with pytest.raises(SurveyDataError):
        score(rules, SurveyKind.agent, text, 2)


def test_missing_question_column_is_refused(rules) -> None:
    columns = [c for c in AGENT if c != "Q7"]
    with pytest.raises(SurveyDataError) as caught:
        score(rules, SurveyKind.agent, make_csv(full(1, 10), columns), 2)
    assert "Q7" in str(caught.value)


def test_missing_completed_column_is_refused(rules) -> None:
    with pytest.raises(SurveyDataError) as caught:
        score(rules, SurveyKind.agent, make_csv(full(1, 11), AGENT, with_completed_column=False), 2)
    assert "termine" in str(caught.value)


def test_semicolon_csv_with_bom(rules) -> None:
    """French spreadsheets export `;` and a byte-order mark; `0,75` then needs no quotes."""
    text = "\ufeff" + make_csv([["0,75"] * 11, ["0,25"] * 11], AGENT, sep=";")
    assert text.startswith("\ufeffQ1;Q2;")
    result = score(rules, SurveyKind.agent, text, 2)
    assert result.admissible == 2 and result.note == 50  # (0.75 + 0.25) / 2


def test_solicited_must_be_positive(rules) -> None:
    with pytest.raises(SurveyDataError):
        score(rules, SurveyKind.user, make_csv(full(1, 15), USER), 0)


def test_a_survey_known_by_its_figures_with_nobody_solicited_is_a_data_error(rules) -> None:
    # The same refusal as a scored CSV's: a return rate over nobody (§3.4.1) is no figure, not a crash.
    with pytest.raises(SurveyDataError, match="solicited must be positive"):
        summary_result(rules, SurveyKind.user, Decimal(70), 0, 0, date(2026, 1, 5))


# ------------------------------------------------------------------ properties
ANSWERS = ["0", "0.25", "0.75", "1", NEUTRAL, ""]
user_rows = st.lists(
    st.tuples(st.lists(st.sampled_from(ANSWERS), min_size=15, max_size=15), st.sampled_from(["oui", "non"])),
    min_size=1, max_size=25,
)


def _csv(rows) -> str:
    return make_csv([r for r, _ in rows], USER, completed=[c for _, c in rows])


@settings(max_examples=60, deadline=None)
@given(rows=user_rows)
def test_global_note_is_within_0_and_100(rules, rows) -> None:
    result = score(rules, SurveyKind.user, _csv(rows), 100)
    assert result.note is None or 0 <= result.note <= 100
    assert all(q.note is None or 0 <= q.note <= 100 for q in result.questions)


@settings(max_examples=60, deadline=None)
@given(rows=user_rows, data=st.data())
def test_row_order_does_not_matter(rules, rows, data) -> None:
    shuffled = data.draw(st.permutations(rows))
    first, second = score(rules, SurveyKind.user, _csv(rows), 100), score(rules, SurveyKind.user, _csv(shuffled), 100)
    assert first.model_dump() == second.model_dump()


@settings(max_examples=60, deadline=None)
@given(rows=user_rows, question=st.integers(min_value=0, max_value=14),
       others=st.lists(st.sampled_from(["0", "0.25", "0.75", "1"]), min_size=15, max_size=15))
def test_a_neutral_answer_leaves_the_question_note_unchanged(rules, rows, question, others) -> None:
    """An admissible newcomer who answers « non concerné » to a question does not move its note."""
    newcomer = list(others)
    newcomer[question] = NEUTRAL
    before = score(rules, SurveyKind.user, _csv(rows), 100)
    after = score(rules, SurveyKind.user, _csv([*rows, (newcomer, "oui")]), 100)
    assert after.admissible == before.admissible + 1
    assert after.questions[question].note == before.questions[question].note
    assert after.questions[question].answers == before.questions[question].answers
