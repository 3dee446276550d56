"""A central public service labelled through its network, on a real Temporal server (§2.2.2, §3.1, §3.3,
§3.7.2, §3.8.2, §3.9.2, §5.3.2). Each sampled local service runs its own cycle (a child workflow),
driven here as its certification body would; every workflow keeps its own clock, moved forward
explicitly.
"""

from __future__ import annotations

import asyncio
import math
import os
import uuid
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from spplus import client as engine
from spplus.network.events import CentralCandidate

from .conftest import HISTORIES, TASK_QUEUE, CycleDriver, local_today
from .steps import audit, prerequisites


class CentralDriver:
    def __init__(self, env, n: int) -> None:
        self.env, self.client = env, env.client
        prefix = f"caf-{uuid.uuid4().hex[:6]}"
        self.candidate = CentralCandidate(
            id=f"cnaf-{uuid.uuid4().hex[:8]}", name="Caisse nationale (test)", certification_body="oc-alpha",
            contract_signed=local_today(),
            local_services=[{"id": f"{prefix}-{i:04d}", "name": f"CAF {i}", "sites": [{"id": "hdv", "name": "Accueil"}]}
                            for i in range(n)],
        )

    @property
    def handle(self):
        return self.client.get_workflow_handle(f"central-{self.candidate.id}")

    async def start(self) -> None:
        await engine.start_central(self.client, self.candidate, TASK_QUEUE)
        for _ in range(200):
            if await self.state() is not None:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the central cycle did not open")

    async def state(self):
        return await engine.get_central_state(self.client, self.candidate.id)

    async def timeline(self):
        return await engine.get_central_timeline(self.client, self.candidate.id)

    async def send(self, event: dict[str, Any], event_id: str | None = None):
        return await engine.send_central_event(self.client, self.candidate.id, event, event_id)

    async def today(self) -> date:
        return (await self.env.get_current_time(self.handle)).date()

    async def go_to(self, day: date) -> None:
        target = datetime.combine(day, time(12, 0), tzinfo=timezone.utc)
        now = await self.env.get_current_time(self.handle)
        if target > now:
            await self.env.fast_forward(self.handle, target - now)

    async def local(self, local_id: str) -> CycleDriver:
        candidate = next(s for s in self.candidate.local_services if s.id == local_id)
        driver = CycleDriver(self.env, candidate)  # only .id is used to find the cycle
        await driver.wait_ready()
        return driver

    async def sample(self, year: int) -> list[str]:
        state = await self.state()
        return [local for s in state.samples if s["year"] == state.samples[0]["year"] + year for local in s["drawn"]]

    async def run_local_audits(self, locals_: list[str], start: date, scores: dict[str, float | None]) -> date:
        """Each local service's initial audit (visit 60 days after ``start``); returns the last decision date."""
        last = start
        for local_id in locals_:
            driver = await self.local(local_id)
            await prerequisites(driver, start, user_note=92, agent_note=85)
            score = scores.get(local_id, 85)
            tier = None if score is not None and score < 50 else ("or" if score >= 80 else "argent" if score >= 65 else "bronze")
            last = max(last, await audit(driver, start + timedelta(days=60), score=score, tier=tier, gold=85))
        return last

    async def central_audit(self, visit: date, validated: int, total: int, tier: str | None, reason: str | None = None) -> date:
        await self.go_to(visit - timedelta(days=30))
        # The year's self-assessment reports of every local service (§2.2.2), sent in the audit's year.
        await self.send({"type": "network_reports", "year": visit.year, "kind": "self_assessment",
                         "produced_by": [s.id for s in self.candidate.local_services]})
        await self.send({"type": "central_audit_dates", "visit_start": visit.isoformat(), "visit_end": visit.isoformat()})
        await self.go_to(visit - timedelta(days=20))
        await self.send({"type": "audit_plan", "sent_on": (visit - timedelta(days=20)).isoformat(), "auditors": ["E. Roux"]})
        await self.go_to(visit)
        await self.send({"type": "central_visit", "control_points": [True] * validated + [False] * (total - validated)})
        report = visit + timedelta(days=7)
        await self.go_to(report)
        await self.send({"type": "report", "sent_on": report.isoformat(), "received_on": report.isoformat()})
        decided = report + timedelta(days=11)
        await self.go_to(decided)
        decision: dict[str, Any] = {"type": "central_decision", "decided_on": decided.isoformat(), "tier": tier}
        if reason:
            decision["reason"] = reason
        await self.send(decision)
        return decided


@pytest.fixture
async def central_factory(env, worker, request):
    made: list[CentralDriver] = []

    async def make(n: int) -> CentralDriver:
        driver = CentralDriver(env, n)
        await driver.start()
        made.append(driver)
        return driver

    yield make
    # SPPLUS_RECORD_HISTORIES=1: keep the central cycle's history as a replay fixture (small networks only).
    if os.environ.get("SPPLUS_RECORD_HISTORIES") and request.node.rep_call.passed:
        for driver in made:
            if len(driver.candidate.local_services) <= 101:
                proxy = CycleDriver(env, driver.candidate)
                proxy.__class__ = type("CentralHistory", (CycleDriver,), {"handle": property(lambda self: driver.handle)})
                await proxy.save_histories(HISTORIES, "central_" + request.node.name.removeprefix("test_").replace("[", "_").replace("]", ""))


@pytest.mark.parametrize(("n", "size"), [(1, 1), (100, 10), (101, 11), (2000, 45)])
async def test_sample_is_ceil_sqrt_n_drawn_with_a_recorded_seed(central_factory, n, size):
    """§3.1: at least √n local services, « en arrondissant si nécessaire à l'entier supérieur »."""
    central = await central_factory(n)
    state = await central.state()
    assert size == math.ceil(math.sqrt(n))
    draw = state.samples[0]
    assert draw["size"] == size and len(set(draw["drawn"])) == size and draw["population_size"] == n
    # Reproducible by an auditor from the seed and the sorted population (the timeline says how).
    import random

    population = sorted(s.id for s in central.candidate.local_services)
    assert random.Random(draw["seed"]).sample(population, size) == draw["drawn"]
    entry = next(e for e in await central.timeline() if e.kind == "sample_drawn")
    assert str(draw["seed"]) in entry.summary
    for local_id in draw["drawn"][:3]:  # each sampled service runs its own cycle, pinned to the network
        local = await central.local(local_id)
        assert (await local.state()).candidate.network == f"central-{central.candidate.id}"


async def test_exactly_75_percent_labelled_labels_the_central_service_with_the_majority_tier(central_factory):
    central = await central_factory(16)  # ⌈√16⌉ = 4 sampled; ⌈0.75 × 4⌉ = 3 must be labelled
    sample = await central.sample(0)
    t0 = await central.today()
    scores = {sample[0]: 70, sample[1]: 70, sample[2]: 85, sample[3]: 40}  # argent, argent, or, refused
    await central.run_local_audits(sample, t0, scores)
    early = await central.state()
    assert early.phase.value == "central_audit"
    decided = await central.central_audit(t0 + timedelta(days=120), validated=15, total=20, tier="argent")  # 75 % exactly
    state = await central.state()
    assert state.label_status.value == "valid" and state.attestation["tier"] == "argent"  # the majority (§2.2.2)
    assert {l["id"] for l in state.attestation["locals"]} == set(sample[:3])
    assert all(l["year"] == decided.year or l["year"] == (t0 + timedelta(days=91)).year for l in state.attestation["locals"])
    assert state.attestation["expires"] == (decided + relativedelta(years=3)).isoformat()
    due = {d["key"]: d["due"] for d in state.open_deadlines}
    assert due["central.followup1.preparation"] == (decided + relativedelta(months=9)).isoformat()  # §3.9.2
    assert due["central.followup1.window_closes"] == (decided + relativedelta(months=14)).isoformat()
    assert due["central.followup2.preparation"] == (decided + relativedelta(months=21)).isoformat()


async def test_just_under_75_percent_refuses_and_the_local_labels_owe_their_18_month_follow_up(central_factory):
    central = await central_factory(4)  # 2 sampled; ⌈0.75 × 2⌉ = 2 must be labelled
    sample = await central.sample(0)
    t0 = await central.today()
    await central.run_local_audits(sample, t0, {sample[0]: 70, sample[1]: 40})  # 1 of 2: 50 %
    with pytest.raises(engine.EngineError, match="the rules give no label"):
        await central.central_audit(t0 + timedelta(days=120), validated=20, total=20, tier="argent")
    state = await central.state()
    decided = datetime.fromisoformat(state.open_deadlines[0]["due"]).date() if False else None
    refused_on = await central.today()
    await central.send({"type": "central_decision", "decided_on": refused_on.isoformat(), "tier": None})
    state = await central.state()
    assert state.phase.value == "refused" and state.new_application_from == refused_on + relativedelta(months=6)
    # §3.8.2 note: the labelled local service keeps its label and owes a follow-up at 18 months.
    local = await central.local(sample[0])
    for _ in range(100):
        view = await local.state()
        if any(d.key == "label.followup_target" for d in view.open_deadlines):
            break
        await asyncio.sleep(0.05)
    target = next(d for d in view.open_deadlines if d.key == "label.followup_target")
    assert target.due == view.attestation.valid_from + relativedelta(months=18)
    assert view.label_status.value == "valid"


async def test_a_follow_up_year_with_too_few_labels_asks_for_more_services_never_reaudited(central_factory):
    central = await central_factory(9)  # 3 sampled a year
    year0 = await central.sample(0)
    t0 = await central.today()
    await central.run_local_audits(year0, t0, {})
    decided = await central.central_audit(t0 + timedelta(days=120), validated=18, total=20, tier="or")
    await central.go_to(decided + relativedelta(months=9))  # preparation of N+1: a new draw
    year1 = await central.sample(1)
    assert len(year1) == 3 and not set(year1) & set(year0)  # never an already-audited service (§3.9.2)
    start1 = decided + relativedelta(months=9)
    await central.run_local_audits(year1, start1, {year1[0]: 85, year1[1]: 85, year1[2]: 40})  # 2 of 3 < ⌈2.25⌉
    state = await central.state()
    assert state.phase.value == "shortfall"
    shortfall = next(e for e in await central.timeline() if e.kind == "network_shortfall")
    assert "present at least 1 more" in shortfall.summary
    with pytest.raises(engine.EngineError, match="present more services"):
        await central.send({"type": "central_audit_dates", "visit_start": (start1 + timedelta(days=100)).isoformat(),
                            "visit_end": (start1 + timedelta(days=100)).isoformat()})
    await central.send({"type": "sample_extended", "count": 1, "reason": "shortfall of year N+1"})
    extra = [s for s in await central.sample(1) if s not in year1]
    assert len(extra) == 1 and extra[0] not in year0
    await central.run_local_audits(extra, await central.today(), {extra[0]: 85})
    assert (await central.state()).phase.value == "central_audit"  # 3 of 4 = ⌈3⌉


async def test_withdrawal_sends_young_local_labels_to_their_own_follow_up(central_factory):
    central = await central_factory(4)
    sample = await central.sample(0)
    t0 = await central.today()
    await central.run_local_audits(sample, t0, {})
    decided = await central.central_audit(t0 + timedelta(days=120), validated=20, total=20, tier="or")
    withdrawn = decided + relativedelta(months=3)
    await central.go_to(withdrawn)
    await central.send({"type": "withdrawal", "reason": "mark-rules-broken", "effective": withdrawn.isoformat()})
    state = await central.state()
    assert state.phase.value == "withdrawn"
    assert state.withdrawal["mark_removed_by"] == (withdrawn + relativedelta(months=2)).isoformat()
    local = await central.local(sample[0])
    for _ in range(100):
        view = await local.state()
        if any(d.key == "label.followup_target" for d in view.open_deadlines):
            break
        await asyncio.sleep(0.05)
    target = next(d for d in view.open_deadlines if d.key == "label.followup_target")  # labelled < 2 years ago
    assert target.due == view.attestation.valid_from + relativedelta(months=18)
