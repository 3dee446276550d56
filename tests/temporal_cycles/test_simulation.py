"""A scenario under two editions shows the expected differences (issue 5)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from spplus.rules.loader import default_rules_dir
from spplus.simulation import Scenario, differences, run_scenario

SCENARIO = Path(__file__).resolve().parents[2] / "examples" / "scenarios" / "bronze.yaml"


@pytest.fixture
def proposed_edition(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An edition where bronze asks 75/100 at the user survey (not 70) and the report is due in 15 days (not 21)."""
    folder = tmp_path / "editions" / "proposal"
    shutil.copytree(default_rules_dir(), folder)
    tiers = folder / "tiers.yaml"
    tiers.write_text(tiers.read_text(encoding="utf-8").replace("user_survey: 70", "user_survey: 75", 1), encoding="utf-8")
    deadlines = folder / "deadlines.yaml"
    deadlines.write_text(deadlines.read_text(encoding="utf-8").replace(
        "{amount: 21, unit: days, direction: after, anchor: visit_end", "{amount: 15, unit: days, direction: after, anchor: visit_end"), encoding="utf-8")
    edition = folder / "edition.yaml"
    edition.write_text(edition.read_text(encoding="utf-8").replace('"2025.12"', '"proposal-1"'), encoding="utf-8")
    monkeypatch.setenv("SPPLUS_EDITIONS", str(tmp_path / "editions"))
    return "proposal-1"


async def test_a_scenario_under_two_editions_shows_what_moves(proposed_edition: str) -> None:
    scenario = Scenario.model_validate(yaml.safe_load(SCENARIO.read_text(encoding="utf-8")))
    current, proposal = await run_scenario(scenario, [None, proposed_edition])
    assert current.edition == "2025.12" and proposal.edition == "proposal-1"
    assert not current.refused_steps and not proposal.refused_steps
    found = {(d.what, d.key): d for d in differences(current, proposal)}
    report = found[("date", "audit1.report")]
    assert (report.first, report.second) == ("D+91", "D+85")  # 21 vs 15 days after the visit on D+70
    assert found[("breach", "audit1.report")].first is None  # sent on D+88: on time under 21 days…
    assert found[("breach", "audit1.report")].second == "D+86"  # …late under 15
    proposal_tiers = found[("tier", "visit")]
    assert (proposal_tiers.first, proposal_tiers.second) == ("bronze", "None")  # user note 72: 70 ≤ 72 < 75
    assert ("date", "audit1.dossier") not in found  # what did not change is not listed
