"""Issue 14's last items through real cycles on a Temporal dev server, with per-workflow time skipping.

* §3.9.1: « les services publics locaux labellisés réalisent chaque année un autodiagnostic … En vue de l'audit de
  suivi, le service public devra attester … de la réalisation des autodiagnostics … (rapports émis dans les 12 et/ou
  24 mois suivant celui fourni à l'appui de la demande d'audit initial) ». rules/deadlines.yaml annual_self_assessment:
  year 1 ends 12 months after the self-assessment S the initial audit used (that day included), and is reminded then;
  rules/procedures.yaml missing_annual_self_assessment (Open, default breach): a follow-up whose visit finds no
  self-assessment in a year ended by then records a breach and goes on.
* §5.3.2: the withdrawal is notified « précisant la date de mise en application », and the service leaves the public
  list « à partir de la date effective du retrait ». Read from the server's visibility store (spplus.client.public_list).
* A cycle that began before the patch (workflows/cycle.py NOTICES_AND_YEARLY_CHECKS) keeps its behaviour: the test
  runs one whose opening did not take the patch (as a worker of the previous release would have opened it) and
  checks it still refuses a withdrawal dated ahead, then that its history replays against today's code.

Each cycle starts today (t0, the contract's day), prerequisites on t0 (so S = t0), its initial visit 60 days later,
report 10 days after it, decision D 11 days after the report (steps.audit): D = t0 + 81 days; every other date is
counted from t0 and D below, by hand.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from temporalio import workflow as temporal_workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

import workflows
from spplus import client as engine
from worker import workflow_runner
from workflows.cycle import NOTICES_AND_YEARLY_CHECKS

from .conftest import CycleDriver, local_today, new_candidate
from .steps import audit, prerequisites
from .test_public_list import absent, listed, shown

DAY = timedelta(days=1)


async def labelled_bronze(cycle) -> tuple[date, date]:
    """(t0, D): prerequisites on t0, bronze-level surveys and scores (§2.2.1), decided on D = t0 + 81 days."""
    t0 = await cycle.today()
    await prerequisites(cycle, t0, user_note=75, agent_note=55)
    decided = await audit(cycle, t0 + timedelta(days=60), score=60, tier="bronze")
    assert decided == t0 + timedelta(days=81)
    return t0, decided


async def entries(cycle, kind: str) -> list:
    return [e for e in await cycle.timeline() if e.kind == kind]


# ---------------------------------------------------------------------------------------------- §3.9.1
async def test_year_1_of_self_assessment_is_reminded_then_checked_at_the_follow_up(cycle):
    t0, decided = await labelled_bronze(cycle)
    year_1_ends = t0 + relativedelta(months=12)  # S + 12 months, S = t0 (annual_self_assessment)
    state = await cycle.state()
    deadlines = {d.key: d for d in state.open_deadlines}
    assert deadlines["self_assessment.year1"].due == year_1_ends
    assert deadlines["self_assessment.year1"].rule == "deadlines.annual_self_assessment"
    assert deadlines["self_assessment.year2"].due == t0 + relativedelta(months=24)

    # The reminder goes out on year 1's last day, not before (no self-assessment recorded in year 1).
    await cycle.go_to(year_1_ends - DAY)
    assert [e for e in await entries(cycle, "reminder") if e.data.get("key") == "self_assessment.year1"] == []
    await cycle.go_to(year_1_ends)
    [reminder] = [e for e in await entries(cycle, "reminder") if e.data.get("key") == "self_assessment.year1"]
    assert reminder.on == year_1_ends

    # The follow-up (§3.9.1: D + 18 months, within ± 2 months): visit on its target, the window's middle. Before it, a
    # self-assessment and both surveys on D + 15 months — in year 2 (it ends t0 + 24 months, after D + 15 months).
    target = decided + relativedelta(months=18)
    again = decided + relativedelta(months=15)
    assert year_1_ends < again < t0 + relativedelta(months=24)
    await prerequisites(cycle, again, user_note=75, agent_note=55)
    await cycle.go_to(target - timedelta(days=40))
    await audit(cycle, target, score=60, tier="bronze", kind="followup")
    # Year 1 ended (t0 + 12 months) before the visit with no self-assessment in it: one breach, on the visit's day
    # (Open default: breach), and the follow-up went on to its decision (the label confirmed bronze).
    state = await cycle.state()
    assert state.breaches == 1
    [breach] = await entries(cycle, "breach")
    assert breach.on == target and breach.data["rule"] == "procedures.missing_annual_self_assessment"
    assert f"{(t0 + DAY).isoformat()} to {year_1_ends.isoformat()}" in breach.summary
    assert state.attestation.tier == "bronze" and state.phase.value == "labelled"


# ---------------------------------------------------------------------------------------------- §5.3.2
async def test_a_withdrawal_notified_ahead_leaves_the_public_list_on_its_effective_date(cycle):
    _, decided = await labelled_bronze(cycle)
    expiry = decided + relativedelta(years=3)  # §2.3
    notified, effective = decided + timedelta(days=30), decided + timedelta(days=60)
    await cycle.go_to(notified)
    await cycle.send({"type": "withdrawal", "reason": "mark-rules-broken", "notified_on": notified.isoformat(),
                      "effective": effective.isoformat()})
    # Notified: the label holds and is listed as it was, up to the day before the effective date.
    state = await cycle.state()
    assert state.label_status.value == "valid" and state.pending_withdrawal["effective"] == effective.isoformat()
    await listed(cycle, shown("bronze", "valid", expiry), "notified, not yet effective (§5.3.2)")
    await cycle.go_to(effective - DAY)
    await listed(cycle, shown("bronze", "valid", expiry), "the day before the effective date")
    # On the effective date the cycle withdraws it by itself, and it leaves the list (« à partir de la date effective »).
    await cycle.go_to(effective)
    await listed(cycle, absent, "withdrawn on its effective date (§5.3.2)")
    state = await cycle.state()
    assert state.withdrawal == {"reason": "mark-rules-broken", "effective": effective.isoformat(),
                                "mark_removed_by": (effective + relativedelta(months=2)).isoformat()}
    assert state.pending_withdrawal is None


# ---------------------------------------------------------------------------------------------- a cycle from before
@pytest.fixture
async def cycle_before_the_patch(env, worker, monkeypatch):
    """A cycle whose opening did not take NOTICES_AND_YEARLY_CHECKS, as one opened by the previous release: while it
    opens, ``patched`` answers no for that patch id (the other patches as usual); afterwards the real one answers."""
    real = temporal_workflow.patched

    def before(patch_id: str) -> bool:
        return False if patch_id == NOTICES_AND_YEARLY_CHECKS else real(patch_id)

    monkeypatch.setattr(temporal_workflow, "patched", before)
    driver = CycleDriver(env, new_candidate(local_today()))
    await driver.start()
    monkeypatch.setattr(temporal_workflow, "patched", real)
    yield driver


async def test_a_cycle_opened_before_the_patch_still_refuses_a_withdrawal_ahead_and_replays(cycle_before_the_patch):
    cycle = cycle_before_the_patch
    history = await cycle.handle.fetch_history()
    markers = [json.loads(e.marker_recorded_event_attributes.details["patch-data"].payloads[0].data)["id"]
               for e in history.events if e.marker_recorded_event_attributes.marker_name == "core_patch"]
    assert NOTICES_AND_YEARLY_CHECKS not in markers and markers  # the other patches were taken
    t0, decided = await labelled_bronze(cycle)
    state = await cycle.state()
    # No yearly reminder either: the cycle runs as it ran before the patch.
    assert not [d for d in state.open_deadlines if d.key.startswith("self_assessment.year")]
    notified, effective = decided + timedelta(days=30), decided + timedelta(days=60)
    await cycle.go_to(notified)
    with pytest.raises(engine.EngineError) as refused:
        await cycle.send({"type": "withdrawal", "reason": "mark-rules-broken", "notified_on": notified.isoformat(),
                          "effective": effective.isoformat()})
    assert refused.value.message == (f"effective: a withdrawal on {effective.isoformat()} is in the future (today is "
                                     f"{notified.isoformat()}); record it once it has happened")
    # Withdrawn on the day, as before; the history, recorded by today's worker for a cycle without the patch, replays.
    await cycle.send({"type": "withdrawal", "reason": "mark-rules-broken", "effective": notified.isoformat()})
    assert (await cycle.state()).label_status.value == "withdrawn"
    await asyncio.sleep(0.2)
    history = await cycle.handle.fetch_history()
    replayer = Replayer(workflows=workflows.ALL, workflow_runner=workflow_runner(), data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(WorkflowHistory.from_json(cycle.handle.id, json.loads(history.to_json())),
                                            raise_on_replay_failure=False)
    assert result.replay_failure is None
