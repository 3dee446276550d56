"""The operator's timeline is rebuilt from recorded histories of every engine version alike.

0.1.0 pinned the rules with two activities and sent one activity per notification; 0.2.0 pins them
with a local activity (a marker) and batches notifications. The same scenario, recorded by each,
must tell the same story.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory

from spplus.analysis.history import rebuild_state

FOLDER = Path(__file__).parent / "fixtures" / "histories"
SCENARIOS = sorted({p.name.split(".run")[0] for p in FOLDER.glob("0.1.0/*.json") if not p.name.startswith("central_")}
                   & {p.name.split(".run")[0] for p in FOLDER.glob("0.2.0/*.json")})


def runs(version: str, scenario: str) -> list[WorkflowHistory]:
    paths = sorted((FOLDER / version).glob(f"{scenario}.run*.json"))
    return [WorkflowHistory.from_json(p.stem, json.loads(p.read_text(encoding="utf-8"))) for p in paths]


def test_both_versions_recorded_the_same_scenarios() -> None:
    assert len(SCENARIOS) >= 8


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_same_scenario_rebuilds_to_the_same_story(scenario: str) -> None:
    old, new = rebuild_state(runs("0.1.0", scenario)), rebuild_state(runs("0.2.0", scenario))
    assert old is not None and new is not None
    assert [(e.kind, e.event_id is not None) for e in old.timeline] == [(e.kind, e.event_id is not None) for e in new.timeline]
    assert (old.phase, old.label_status, old.cycle_number, old.breaches) == (new.phase, new.label_status, new.cycle_number, new.breaches)
