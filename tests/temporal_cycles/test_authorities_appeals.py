"""Local authorities' perimeters (§1.4.2) and appeals (§5.1), on a real Temporal server."""

from __future__ import annotations

from datetime import timedelta

import pytest

from spplus import client as engine
from spplus.lifecycle import Phase

from .conftest import TASK_QUEUE, new_candidate, local_today
from .steps import audit, prerequisites


async def test_a_commune_without_its_socle_is_refused_before_and_inside_the_engine(env, worker):
    candidate = new_candidate(local_today(),
                              authority={"type": "commune", "domains": ["general-reception"]},
                              sites=[{"id": "hdv", "name": "Hôtel de ville", "domains": ["general-reception"]}])
    with pytest.raises(engine.EngineError, match="everyday-procedures") as refused:
        await engine.start_candidacy(env.client, candidate, TASK_QUEUE)
    assert refused.value.field == "authority"
    # Started around the client's check, the cycle itself refuses the perimeter and closes.
    from workflows.cycle import CycleOutcome, CycleStart, LabelCycleWorkflow

    outcome = await env.client.execute_workflow(LabelCycleWorkflow.run, CycleStart(candidate=candidate),
                                                id=engine.cycle_id(candidate.id), task_queue=TASK_QUEUE,
                                                result_type=CycleOutcome)
    assert outcome.phase == Phase.closed and outcome.attestation is None


async def test_an_appeal_upheld_turns_a_refusal_into_a_label(cycle):
    t0 = await cycle.today()
    await prerequisites(cycle, t0, user_note=75, agent_note=55)
    refused_on = await audit(cycle, t0 + timedelta(days=60), score=45, tier=None)
    await cycle.go_to(refused_on + timedelta(days=15))
    await cycle.send({"type": "appeal", "lodged_on": (refused_on + timedelta(days=15)).isoformat(), "grounds": "scores disputed"})
    decided = refused_on + timedelta(days=45)
    await cycle.go_to(decided)
    await cycle.send({"type": "appeal_decision", "decided_on": decided.isoformat(), "outcome": "upheld", "tier": "bronze"})
    state = await cycle.state()
    assert state.phase == Phase.labelled and state.attestation.valid_from == decided
    assert state.new_application_from is None
    kinds = [e.kind for e in await cycle.timeline()]
    assert "appeal" in kinds and "appeal_decision" in kinds
