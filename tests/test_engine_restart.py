"""The README's run command: an embedded Temporal server on a SQLite file, stopped and started again.

Runs ``worker.py`` as a real process (no test harness in between), drives a candidacy through the
client, stops the engine, starts it again on the same data folder, and finds the cycle where it was.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.temporal_cycles.conftest import local_today
from spplus import client as engine
from spplus.lifecycle import Candidate
from spplus.settings import PROJECT_ROOT, Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Engine:
    def __init__(self, data: Path) -> None:
        self.env = {**os.environ, "SPPLUS_DATA": str(data), "SPPLUS_TEMPORAL_PORT": str(free_port()),
                    "SPPLUS_UI_PORT": str(free_port()), "SPPLUS_TASK_QUEUE": "restart-test",
                    "SPPLUS_METRICS": f"127.0.0.1:{free_port()}"}
        self.env.pop("TEMPORAL_ADDRESS", None)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def settings(self) -> Settings:
        return Settings(address=None, namespace="default", task_queue="restart-test", data_dir=Path(self.env["SPPLUS_DATA"]),
                        rules_dir=PROJECT_ROOT / "rules", editions_dir=PROJECT_ROOT / "editions",
                        port=int(self.env["SPPLUS_TEMPORAL_PORT"]), ui_port=int(self.env["SPPLUS_UI_PORT"]))

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, str(PROJECT_ROOT / "worker.py")], env=self.env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline().decode() if self.process.stdout else ""
            if '"worker running"' in line:
                return
            if self.process.poll() is not None:
                raise AssertionError(f"the engine stopped: {line}")
        raise AssertionError("the engine did not start within 60 s")

    def stop(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        assert self.process.returncode == 0  # an orderly stop (tests/test_processes.py tries every kind)


@pytest.fixture
def engine_process(tmp_path: Path):
    running = Engine(tmp_path / "data")
    yield running
    if running.process and running.process.poll() is None:
        running.process.kill()


async def test_stopping_and_restarting_the_engine_loses_nothing(engine_process: Engine) -> None:
    engine_process.start()
    today = local_today()  # the Paris date: metropolitan cycles count days there
    candidate = Candidate(id="mairie-restart", name="Mairie", sites=[{"id": "hdv", "name": "Hôtel de ville"}],
                          agents_in_contact=12, certification_body="oc-test", contract_signed=today)
    client = await engine.connect(engine_process.settings)
    await engine.start_candidacy(client, candidate, "restart-test")
    for _ in range(100):
        if await engine.get_state(client, candidate.id) is not None:
            break
        await asyncio.sleep(0.1)
    visit = today + timedelta(days=90)
    await engine.send_event(client, candidate.id, {"type": "audit_dates", "visit_start": visit.isoformat(),
                                                   "visit_end": visit.isoformat(), "sites": ["hdv"]}, "restart-dates")
    import urllib.request

    metrics = urllib.request.urlopen(f"http://{engine_process.env['SPPLUS_METRICS']}/metrics", timeout=5).read().decode()
    # The worker's Prometheus endpoint (SPPLUS_METRICS): this worker started once, and ran the cycle's workflow tasks.
    import re

    labels = 'namespace="default",service_name="temporal-core-sdk",task_queue="restart-test"'
    assert f"temporal_worker_start{{{labels}}} 1\n" in metrics
    tasks = re.search(rf'^temporal_workflow_task_execution_latency_count\{{{labels},workflow_type="LabelCycle"\}} (\d+)$',
                      metrics, re.MULTILINE)
    assert tasks is not None and int(tasks.group(1)) >= 1, metrics
    engine_process.stop()
    assert (Path(engine_process.env["SPPLUS_DATA"]) / "temporal.db").exists()

    engine_process.start()
    client = await engine.connect(engine_process.settings)
    state = await engine.get_state(client, candidate.id)
    assert state is not None and state.current_audit.visit_start == visit
    assert {d.key for d in state.open_deadlines} >= {"audit1.dossier", "audit1.audit_plan"}
    listed = await engine.list_cycles(client, engine.list_query(body="oc-test"))
    assert [item.candidate for item in listed] == ["mairie-restart"]
    again = await engine.send_event(client, candidate.id, {"type": "audit_dates", "visit_start": visit.isoformat(),
                                                           "visit_end": visit.isoformat(), "sites": ["hdv"]}, "restart-dates")
    # The same event id sent again after the restart is applied once (Temporal answers with the first receipt).
    assert again.event_id == "restart-dates"
    after = await engine.get_state(client, candidate.id)
    assert after.current_audit.postponements == 0
    assert [e.kind for e in await engine.get_timeline(client, candidate.id)].count("audit_dates") == 1
    engine_process.stop()
