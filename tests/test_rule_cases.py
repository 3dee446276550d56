"""Rule tests as data: run every case of every file in tests/cases/ (format: top of cases/tiers.yaml).

The DITP adds a case to a YAML file, with the guide section it comes from, without writing Python;
each case is a test of its own, named "<file>:<case name>".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from spplus.central import central_decision, required_labelled, sample_size
from spplus.deadlines import CycleFacts, cycle_deadlines, age_check
from spplus.surveys import SurveyKind, read_survey_csv, score_survey
from spplus.tiers import AuditScores, propose_tier

CASES_DIR = Path(__file__).resolve().parent / "cases"
CASE_KEYS = {"name", "reference", "kind", "input", "expected", "note"}
ENGAGEMENTS = range(1, 9)


def number(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def per_engagement(given: dict[Any, Any], convert: Callable[[Any], Any]) -> dict[int, Any]:
    """{all: x, 3: y} → a value for each of the 8 engagements; without `all`, only those listed."""
    values = {int(k): convert(v) for k, v in given.items() if k != "all"}
    if "all" in given:
        values = {n: values.get(n, convert(given["all"])) for n in ENGAGEMENTS}
    return values


# ------------------------------------------------------------------ one runner per kind
def run_tier(rules, calendar_for, given: dict[str, Any]) -> dict[str, Any]:
    audit: dict[str, Any] = {}
    if "engagements" in given:
        audit["engagements"] = per_engagement(given["engagements"], number)
    if "control_points" in given:
        audit["control_points"] = per_engagement(given["control_points"], lambda pts: [number(p) for p in pts])
    if given.get("gold_criteria") is not None:
        audit["gold_criteria"] = number(given["gold_criteria"])
    if "gold_control_points" in given:
        audit["gold_control_points"] = [number(p) for p in given["gold_control_points"]]
    proposal = propose_tier(
        rules, AuditScores(**audit), number(given.get("agent_survey")), number(given.get("user_survey")),
        given.get("date", date(2026, 5, 15)),
    )
    failed: dict[str, list[str]] = {}
    for result in proposal.criteria:
        failed.setdefault(result.tier, [])
        if not result.passed:
            failed[result.tier].append(result.criterion)
    return {"tier": proposal.tier, "failed": failed}


def run_deadlines(rules, calendar_for, given: dict[str, Any]) -> dict[str, Any]:
    facts = CycleFacts(**given)
    return {d.key: d.date for d in cycle_deadlines(rules, facts, calendar_for(facts.territory))}


def run_age(rules, calendar_for, given: dict[str, Any]) -> dict[str, Any]:
    check = age_check(rules, given["rule"], given["document"], given["anchor"], "the document")
    return {"ok": check.ok, "limit": check.limit.date}


def run_survey_validity(rules, calendar_for, given: dict[str, Any]) -> dict[str, Any]:
    kind = SurveyKind(given["survey"])
    spec = rules.surveys.user if kind == SurveyKind.user else rules.surveys.agent
    at = given.get("date", date(2026, 3, 31))
    columns = [q.column for q in spec.at(at).questions]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*columns, "termine"])
    for count, answer, done in (("admissible", "1", "oui"), ("inadmissible", "NC", "oui"), ("uncompleted", "1", "non")):
        writer.writerows([[answer] * len(columns) + [done]] * given.get(count, 0))
    result = score_survey(rules, kind, read_survey_csv(out.getvalue()), given["solicited"], at, given.get("headcount"))
    return {"valid": result.valid, "admissible": result.admissible}


def run_central(rules, calendar_for, given: dict[str, Any]) -> dict[str, Any]:
    at = given.get("date", date(2026, 6, 30))
    got: dict[str, Any] = {}
    if "local_services" in given:
        got["sample_size"] = sample_size(rules, given["local_services"], at)
    if "audited" in given or "local_tiers" in given:
        got["required_labelled"] = required_labelled(rules, given.get("audited", len(given.get("local_tiers", []))), at)
    if "control_points" in given:
        counts = given["control_points"]
        assert set(counts) <= {"validated", "not_validated"}, "control_points: write {validated: n, not_validated: m}"
        points = [True] * counts.get("validated", 0) + [False] * counts.get("not_validated", 0)
        decision = central_decision(
            rules, points, given["local_tiers"], given["self_assessments"], at, given.get("network_surveys")
        )
        got.update(labelled=decision.labelled, tier=decision.tier)
    return got


RUNNERS = {
    "tier": run_tier,
    "deadlines": run_deadlines,
    "age": run_age,
    "survey_validity": run_survey_validity,
    "central": run_central,
}


# ------------------------------------------------------------------ collection
def load_cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            params.append(pytest.param(path.name, case, id=f"{path.stem}:{case.get('name', '?')}"))
    return params


CASES = load_cases()


def test_there_are_cases_in_every_file() -> None:
    per_file: dict[str, int] = {}
    for param in CASES:
        per_file[param.values[0]] = per_file.get(param.values[0], 0) + 1
    assert {"tiers.yaml", "deadlines.yaml", "central.yaml"} <= set(per_file)
    assert sum(per_file[f] for f in ("tiers.yaml", "deadlines.yaml", "central.yaml")) >= 20


def test_case_names_are_unique_in_their_file() -> None:
    ids = [param.id for param in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize(("file_name", "case"), CASES)
def test_rule_case(rules, calendar_for, file_name: str, case: dict[str, Any]) -> None:
    where = f"{file_name}: {case.get('name')!r}"
    assert isinstance(case, dict) and not set(case) - CASE_KEYS, f"{where}: the keys of a case are {sorted(CASE_KEYS)}"
    assert {"name", "reference", "kind", "input", "expected"} <= set(case), f"{where}: a key is missing"
    assert "§" in case["reference"], f"{where}: cite the guide section (§…)"
    assert case["kind"] in RUNNERS, f"{where}: kind must be one of {sorted(RUNNERS)}"
    expected = dict(case["expected"])
    run = RUNNERS[case["kind"]]

    if "error" in expected:
        with pytest.raises(ValueError) as caught:
            run(rules, calendar_for, case["input"])
        assert str(expected.pop("error")) in str(caught.value), f"{where} ({case['reference']})"
        assert not expected, f"{where}: `error` goes alone"
        return

    got = run(rules, calendar_for, case["input"])
    for key, value in expected.items():
        assert key in got, f"{where}: the engine gives no {key!r} for this input; it gives {sorted(got)}"
        actual = got[key]
        if key == "failed":
            actual = {tier: actual.get(tier) for tier in value}
            value = {tier: list(criteria or []) for tier, criteria in value.items()}
        assert actual == value, f"{where} ({case['reference']}): {key} is {actual!r}, the guide says {value!r}"
