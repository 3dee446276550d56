"""The rule settings of issue 14's last items, as the loader reads them (each refused at file:line:column when wrong).

* rules/deadlines.yaml annual_self_assessment (§3.9.1, §3.9.2 notes): a year of self-assessment, counted from the one
  the initial audit used (anchor initial_self_assessment), 12 months.
* rules/procedures.yaml missing_annual_self_assessment (§3.9.1; the guide is silent on what follows: Open, default
  breach): refuse, breach or flag.

Both are keys a rule file must write, which rules pinned in histories recorded before them lack (their cycles neither
remind nor check: tests/lifecycle/test_yearly_self_assessment.py).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from spplus.rules.models import RuleSet
import tests.test_yaml_loader as loader_tests
from tests.test_yaml_loader import at, edit, refusal, the_error, where, without_key

folder = loader_tests.folder  # the fixture: a private copy of the project's rule folder, to break

SETTINGS = [("deadlines.yaml", "deadlines", "annual_self_assessment"),
            ("procedures.yaml", "procedures", "missing_annual_self_assessment")]
YEARLY = "{amount: 12, unit: months, direction: after, anchor: initial_self_assessment, movable: true}"


def test_the_settings_and_their_dated_values(rules) -> None:
    """§3.9.1 « chaque année … dans les 12 et/ou 24 mois suivant celui fourni à l'appui de la demande d'audit initial »:
    12 months from the initial audit's self-assessment, from the arrêté of 31 August 2023; the missing report's Open
    default is a breach (its note says why, and says Open)."""
    start, entry = rules.deadlines.annual_self_assessment.entry_at(date(2026, 1, 1))
    assert start == date(2023, 8, 31) and "§3.9.1" in entry.reference and "(Open)" in entry.note
    delay = entry.value
    assert (delay.amount, delay.unit, delay.direction, delay.anchor, delay.movable) == (
        12, "months", "after", "initial_self_assessment", True)
    start, entry = rules.procedures.missing_annual_self_assessment.entry_at(date(2026, 1, 1))
    assert start == date(2023, 8, 31) and entry.value == "breach" and "§3.9.1" in entry.reference
    assert "Open" in entry.note


@pytest.mark.parametrize(("name", "section", "key"), SETTINGS)
def test_a_setting_must_be_written(folder: Path, name: str, section: str, key: str) -> None:
    path = folder / name
    path.write_text(without_key(path.read_text(encoding="utf-8"), key), encoding="utf-8")
    the_error(refusal(folder), folder, name, f"missing key(s) '{key}'")


@pytest.mark.parametrize(("name", "section", "key"), SETTINGS)
def test_a_setting_written_null_is_refused_where_it_stands(folder: Path, name: str, section: str, key: str) -> None:
    path = folder / name
    text = without_key(path.read_text(encoding="utf-8"), key, f"{key}: null\n")
    path.write_text(text, encoding="utf-8")
    error = the_error(refusal(folder), folder, name, f"{key}: a rule file gives it dated values")
    line, column = where(text, f"{key}: null")
    assert at(error) == (line, column + len(f"{key}: "))


@pytest.mark.parametrize(("name", "section", "key"), SETTINGS)
def test_rules_from_before_a_setting_still_read(rules, name: str, section: str, key: str) -> None:
    data = rules.model_dump(mode="json")
    del data[section][key]
    assert getattr(getattr(RuleSet.model_validate(data), section), key) is None


def test_the_years_count_from_the_initial_self_assessment(folder: Path) -> None:
    text = edit(folder, "deadlines.yaml", YEARLY, "{amount: 12, unit: months, direction: before, anchor: decision, movable: true}")
    errors = refusal(folder)
    assert "anchor: initial_self_assessment" in the_error(errors, folder, "deadlines.yaml", "counts annual_self_assessment from").message
    the_error(errors, folder, "deadlines.yaml", "direction: after")
    line = where(text, "direction: before, anchor: decision")[0]
    assert all(e.line == line for e in errors) and len(errors) == 2


def test_an_unknown_choice_names_the_allowed_ones(folder: Path) -> None:
    text = edit(folder, "procedures.yaml", "      value: breach\n", "      value: suspend\n")
    error = the_error(refusal(folder), folder, "procedures.yaml", "'refuse', 'breach', 'flag'")
    assert at(error)[0] == where(text, "value: suspend")[0]
