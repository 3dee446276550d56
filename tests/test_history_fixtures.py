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


LOCAL_0_3_0 = sorted({p.name.split(".run")[0] for p in FOLDER.glob("0.3.0/*.json") if not p.name.startswith("central_")})


@pytest.mark.parametrize("scenario", LOCAL_0_3_0)
def test_a_cycle_recorded_by_0_3_0_rebuilds_with_the_behaviour_it_ran(scenario: str) -> None:
    # 0.3.0 asks the late-facts and the yearly-checks patches in the workflow's init: the rebuilt state carries both
    # bits, as the workflow set them when the cycle opened (a cycle opened between the two would carry one).
    from spplus.lifecycle.state import CURRENT_BEHAVIOUR

    state = rebuild_state(runs("0.3.0", scenario))
    assert state is not None and state.behaviour == CURRENT_BEHAVIOUR


def test_the_follow_up_without_action_plan_rebuilds_to_the_story_the_test_saw() -> None:
    # tests/temporal_cycles/test_local_cycle.py: a yearly self-assessment in year 1 (§3.9.1 note), a follow-up below
    # the minimum, no action plan: suspended, then withdrawn when the suspension was not lifted (§5.3.1), one breach.
    from spplus.lifecycle import LabelStatus, Phase

    state = rebuild_state(runs("0.3.0", "followup_below_minimum_without_action_plan_is_suspended_then_withdrawn"))
    assert state is not None
    assert (state.phase, state.label_status, state.breaches) == (Phase.withdrawn, LabelStatus.withdrawn, 1)
    assert state.withdrawal["reason"] == "suspension-not-lifted"
