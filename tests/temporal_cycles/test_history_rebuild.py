"""Issue 5: the timeline an operator reads is rebuilt from the Temporal event history, and equals,
entry for entry, what the cycle recorded — for a closed cycle and across continue-as-new."""

from __future__ import annotations

from datetime import timedelta

from dateutil.relativedelta import relativedelta

from spplus.analysis.history import fetch_runs, rebuild_timeline

from .steps import audit, prerequisites


async def test_rebuilt_timeline_of_a_renewed_cycle_equals_the_recorded_one(cycle):
    t0 = await cycle.today()
    await prerequisites(cycle, t0, user_note=75, agent_note=55)
    decided = await audit(cycle, t0 + timedelta(days=60), score=60, tier="bronze", report_after=23)  # with a breach
    invitation = decided + relativedelta(years=3) - relativedelta(months=9)
    await cycle.go_to(invitation)
    await cycle.send({"type": "renewal", "requested_on": invitation.isoformat(), "contract_signed": invitation.isoformat()})
    await cycle.wait_ready()
    recorded = await cycle.timeline()
    rebuilt = rebuild_timeline(await fetch_runs(cycle.client, cycle.handle.id))
    assert [e.model_dump() for e in rebuilt] == [e.model_dump() for e in recorded]
    assert len(await fetch_runs(cycle.client, cycle.handle.id)) == 2


async def test_rebuilt_timeline_of_a_closed_refused_cycle(cycle):
    t0 = await cycle.today()
    await prerequisites(cycle, t0, user_note=75, agent_note=55)
    decided = await audit(cycle, t0 + timedelta(days=60), score=40, tier=None)
    recorded = await cycle.timeline()
    await cycle.go_to(decided + relativedelta(months=6))
    await cycle.outcome()
    rebuilt = rebuild_timeline(await fetch_runs(cycle.client, cycle.handle.id))
    assert [e.model_dump() for e in rebuilt][: len(recorded)] == [e.model_dump() for e in recorded]
    assert rebuilt[-1].kind == "cycle_closed"
