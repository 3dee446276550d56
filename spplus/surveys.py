"""Scoring the user and agent surveys from their raw answers (guide §3.4.1, §3.4.2).

Input: the questionnaire's CSV export, one row per respondent, one column per question. The rule
file maps CSV columns to question ids and engagements, and the answer texts to points.

* A questionnaire is admissible (« recevable ») when completed and more than 50 % of its
  questions got an answer other than « non concerné / ne se prononce pas »; only those count.
* A neutral answer removes the question from that respondent's computation.
* A question's note is the mean of its points over the admissible answers that scored it.
* User survey: an engagement with two questions has the mean of the two; the global note is the
  mean of the 9 notes (8 engagements and overall satisfaction) × 100.
* Agent survey: the global note is the mean of its 11 questions × 100.
* Validity: admissible count and return rate (admissible / solicited), by the survey's rules.

Pure: importable inside the Temporal workflow sandbox (the CSV arrives as text).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from pydantic import BaseModel

from .exact import at_least_share, percent, to_decimal
from .rules.models import AnswerScale, RuleSet, SurveyQuestion


class SurveyKind(StrEnum):
    user = "user"
    agent = "agent"


class SurveyDataError(ValueError):
    """The CSV cannot be scored: a missing column or an answer the scale does not know."""


class QuestionNote(BaseModel):
    id: str
    column: str
    engagement: int | None
    answers: int
    note: Decimal | None  # /100, None when no admissible questionnaire scored it


class SurveyResult(BaseModel):
    kind: SurveyKind
    respondents: int
    completed: int
    admissible: int
    solicited: int
    headcount: int | None
    return_rate: Decimal
    note: Decimal | None
    engagement_notes: dict[int, Decimal]
    overall_note: Decimal | None
    questions: list[QuestionNote]
    valid: bool
    reasons: list[str]
    edition: str
    at: date


class SurveyRow(dict[str, str]):
    """One respondent's answers, with the line of the file it was read from (for error messages)."""

    line: int = 0


def read_survey_csv(text: str) -> list[SurveyRow]:
    """Rows of a CSV export, with `,` or `;` as separator (French spreadsheets write `;`).

    A header-only file gives one empty row naming the columns, so the column check still runs.
    """
    text = text.lstrip("\ufeff")
    first_line = text.splitlines()[0] if text else ""
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    rows: list[SurveyRow] = []
    for raw in reader:
        if None in raw:  # DictReader files surplus cells under the key None
            raise SurveyDataError(f"line {reader.line_num}: more cells than the header has columns")
        row = SurveyRow({(k or "").strip(): (v or "").strip() for k, v in raw.items()})
        row.line = reader.line_num
        rows.append(row)
    if not rows and reader.fieldnames:
        header = SurveyRow({name.strip(): "" for name in reader.fieldnames})
        header.line = -1  # not a respondent: only its columns are read
        rows.append(header)
    return rows


def score_survey(
    rules: RuleSet,
    kind: SurveyKind,
    rows: Iterable[Mapping[str, str]],
    solicited: int,
    at: date,
    headcount: int | None = None,
) -> SurveyResult:
    """Score a survey on the rules in force at ``at`` (the date its campaign closed)."""
    if solicited <= 0:
        raise SurveyDataError("the number of people solicited must be positive")
    scale = rules.surveys.scale.at(at)
    admissibility = rules.surveys.admissibility.at(at)
    spec = rules.surveys.user.at(at) if kind == SurveyKind.user else rules.surveys.agent.at(at)
    questions = spec.questions
    rows = list(rows)
    _check_columns(rows, questions, admissibility.completed_column)
    rows = [row for row in rows if getattr(row, "line", 0) != -1]

    sums = {q.id: Fraction(0) for q in questions}
    counts = {q.id: 0 for q in questions}
    completed = admissible = 0
    for index, row in enumerate(rows, start=2):  # line 1 is the header
        line = getattr(row, "line", 0) or index
        if admissibility.completed_column and row.get(admissibility.completed_column, "") not in admissibility.completed_values:
            continue
        completed += 1
        points = {q.id: _points(scale, row.get(q.column, ""), line, q) for q in questions}
        answered = sum(1 for p in points.values() if p is not None)
        share_needed = Fraction(admissibility.min_answered_share)
        share = Fraction(answered, len(questions))
        if not (share > share_needed if admissibility.strictly_more else share >= share_needed):
            continue
        admissible += 1
        for qid, value in points.items():
            if value is not None:
                sums[qid] += value
                counts[qid] += 1

    notes = {q.id: (sums[q.id] / counts[q.id] * 100 if counts[q.id] else None) for q in questions}
    question_notes = [
        QuestionNote(id=q.id, column=q.column, engagement=q.engagement, answers=counts[q.id],
                     note=to_decimal(notes[q.id]) if notes[q.id] is not None else None)
        for q in questions
    ]
    reasons: list[str] = []
    engagement_notes: dict[int, Decimal] = {}
    overall: Decimal | None = None
    if kind == SurveyKind.user:
        parts: list[Fraction] = []
        by_engagement: dict[int, list[Fraction]] = {}
        for q in questions:
            if q.engagement is not None and notes[q.id] is not None:
                by_engagement.setdefault(q.engagement, []).append(notes[q.id])
        for number in sorted({q.engagement for q in questions if q.engagement is not None}):
            values = by_engagement.get(number)
            if not values:
                reasons.append(f"no admissible answer scores engagement {number}")
                continue
            mean = sum(values, Fraction(0)) / len(values)
            engagement_notes[number] = to_decimal(mean)
            parts.append(mean)
        overall_q = [q for q in questions if q.engagement is None]
        if overall_q and notes[overall_q[0].id] is not None:
            overall = to_decimal(notes[overall_q[0].id])
            parts.append(notes[overall_q[0].id])
        elif overall_q:
            reasons.append("no admissible answer to the overall-satisfaction question")
        global_note = sum(parts, Fraction(0)) / len(parts) if parts else None
    else:
        present = [n for n in notes.values() if n is not None]
        global_note = sum(present, Fraction(0)) / len(present) if present else None

    if admissible > solicited:
        raise SurveyDataError(f"{admissible} admissible questionnaires but only {solicited} people solicited: "
                              "check the number solicited or the file")
    reasons += validity_reasons(rules, kind, admissible, solicited, at, headcount)
    if global_note is None:
        reasons.append("no admissible questionnaire: no note can be computed")
    return SurveyResult(
        kind=kind,
        respondents=len(rows),
        completed=completed,
        admissible=admissible,
        solicited=solicited,
        headcount=headcount,
        return_rate=to_decimal(Fraction(admissible, solicited)),
        note=to_decimal(global_note) if global_note is not None else None,
        engagement_notes=engagement_notes,
        overall_note=overall,
        questions=question_notes,
        valid=not reasons,
        reasons=reasons,
        edition=rules.edition_id,
        at=at,
    )


def validity_reasons(
    rules: RuleSet, kind: SurveyKind, admissible: int, solicited: int, at: date, headcount: int | None = None
) -> list[str]:
    """Why a survey's results are not valid (empty when valid): admissible count and return rate."""
    if kind == SurveyKind.user:
        spec = rules.surveys.user.at(at)
        min_admissible, min_rate = spec.min_admissible, spec.min_return_rate
        rule_text = f"at least {min_admissible} admissible questionnaires and a return rate of at least {percent(min_rate)}"
    else:
        band_headcount = headcount if headcount is not None else solicited
        band = next(
            (b for b in rules.surveys.agent.at(at).bands
             if b.min_agents <= band_headcount and (b.max_agents is None or band_headcount <= b.max_agents)),
            None,
        )
        if band is None:
            raise SurveyDataError(f"no return-rate band covers {band_headcount} agents in the rules of {at.isoformat()}")
        min_admissible, min_rate = band.min_admissible, band.min_return_rate
        upper = f"{band.max_agents}" if band.max_agents is not None else "more"
        rule_text = f"for {band.min_agents} to {upper} agents: a return rate of at least {percent(min_rate)}" + (
            f" and at least {min_admissible} admissible questionnaires" if min_admissible else ""
        )
    reasons = []
    if admissible < min_admissible:
        reasons.append(f"{admissible} admissible questionnaires, fewer than {min_admissible} ({rule_text})")
    if not at_least_share(admissible, solicited, min_rate):
        rate = percent(to_decimal(Fraction(admissible, solicited)))
        reasons.append(f"return rate {rate} ({admissible}/{solicited}) is below {percent(min_rate)} ({rule_text})")
    return reasons


def summary_result(
    rules: RuleSet, kind: SurveyKind, note: Decimal, admissible: int, solicited: int, at: date, headcount: int | None = None,
    respondents: int | None = None, completed: int | None = None, engagement_notes: Mapping[int, Decimal] | None = None,
    overall_note: Decimal | None = None,
) -> SurveyResult:
    """A survey known from its figures rather than its raw answers: the DITP report's note and admissible
    count, or what the engine's edge scored from the CSV export (then also respondents, completed
    questionnaires and the engagements' notes). Validity is judged here, on ``rules`` at ``at``.

    Raises :class:`SurveyDataError` when the counts contradict each other (more admissible than solicited, …).
    """
    respondents = admissible if respondents is None else respondents
    completed = admissible if completed is None else completed
    if solicited <= 0:  # as score_survey: a rate over nobody is a data error, never a ZeroDivisionError
        raise SurveyDataError("the number of people solicited must be positive")
    if admissible > solicited:
        raise SurveyDataError(f"{admissible} admissible questionnaires but only {solicited} people solicited")
    if not admissible <= completed <= respondents:
        raise SurveyDataError(f"admissible ({admissible}) ≤ completed ({completed}) ≤ respondents ({respondents}) does not hold")
    reasons = validity_reasons(rules, kind, admissible, solicited, at, headcount)
    return SurveyResult(
        kind=kind, respondents=respondents, completed=completed, admissible=admissible, solicited=solicited,
        headcount=headcount, return_rate=to_decimal(Fraction(admissible, solicited)), note=note,
        engagement_notes=dict(engagement_notes or {}), overall_note=overall_note, questions=[], valid=not reasons,
        reasons=reasons, edition=rules.edition_id, at=at,
    )


def _check_columns(rows: list[Mapping[str, str]], questions: list[SurveyQuestion], completed_column: str | None) -> None:
    if not rows:
        return
    header = set(rows[0])
    needed = [q.column for q in questions] + ([completed_column] if completed_column else [])
    missing = [c for c in needed if c not in header]
    if missing:
        raise SurveyDataError(f"the CSV lacks column(s) {', '.join(missing)}; the rules map these columns to questions")


def _points(scale: AnswerScale, text: str, line: int, question: SurveyQuestion) -> Fraction | None:
    """The points of one answer; None when neutral or unanswered (neither counts)."""
    if text in scale.unanswered or text in scale.neutral:
        return None
    if text in scale.points:
        return Fraction(scale.points[text])
    known = ", ".join(repr(t) for t in [*scale.points, *scale.neutral])
    raise SurveyDataError(f"line {line}, column {question.column} ({question.id}): unknown answer {text!r}; the scale knows {known}")
