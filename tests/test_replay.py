"""Histories of real cycles replay against today's workflow code.

A change that would make a running cycle non-deterministic — a new timer, a reordered activity,
a rule read differently — fails here, before it reaches cycles that started years ago. The
fixtures are recorded by ``SPPLUS_RECORD_HISTORIES=1 make test`` and kept: never re-record them to
make this test pass; put the change behind ``workflow.patched()`` instead.

One folder per engine version that recorded them (``fixtures/histories/<version>/``): the cycles
of every version still running somewhere must replay, whichever branch of a patch they took.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

import workflows
from worker import workflow_runner

HISTORIES = sorted((Path(__file__).parent / "fixtures" / "histories").glob("*/*.json"))


def test_fixtures_are_present() -> None:
    versions = {p.parent.name for p in HISTORIES}
    assert {"0.1.0", "0.2.0", "0.3.0"} <= versions, "replay fixtures are missing: record them with SPPLUS_RECORD_HISTORIES=1"


@pytest.mark.parametrize("path", HISTORIES, ids=[f"{p.parent.name}/{p.stem}" for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, json.loads(path.read_text(encoding="utf-8")))
    replayer = Replayer(workflows=workflows.ALL, workflow_runner=workflow_runner(), data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name} no longer replays: {result.replay_failure}"


CENTRAL = [p for p in HISTORIES if p.name.startswith("central_")]


@pytest.mark.parametrize("path", CENTRAL, ids=[f"{p.parent.name}/{p.stem}" for p in CENTRAL])
def test_each_sample_draw_is_reproducible_from_the_history_alone(path: Path) -> None:
    """§3.3: local services « sélectionnés de manière aléatoire par l'organisme de certification »: the
    history holds the network, each draw's seed and result, and the local cycles started — enough to redo it."""
    import base64
    import random

    events = json.loads(path.read_text(encoding="utf-8"))["events"]

    def payload(p: dict) -> object:
        return json.loads(base64.b64decode(p["data"]))

    started = payload(events[0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0])
    network = [s["id"] for s in started["candidate"]["local_services"]]
    memos = [payload(e["workflowPropertiesModifiedEventAttributes"]["upsertedMemo"]["fields"]["sample_draws"])
             for e in events if "workflowPropertiesModifiedEventAttributes" in e]
    draws = memos[-1] if memos else []
    scheduled = [payload(e["activityTaskScheduledEventAttributes"]["input"]["payloads"][0])["candidate"]["id"]
                 for e in events if e.get("activityTaskScheduledEventAttributes", {}).get("activityType", {}).get("name") == "start_local_cycle"]
    assert draws, "no draw recorded"
    audited: list[str] = []
    for draw in draws:
        remaining = sorted(s for s in network if s not in audited)
        assert random.Random(draw["seed"]).sample(remaining, draw["size"]) == draw["drawn"]
        audited += draw["drawn"]
    # The cycles started are the ones drawn, in draw order (a history recorded mid-way holds the first ones).
    assert scheduled and scheduled == audited[: len(scheduled)]


async def test_replay_logs_nothing_again(caplog: pytest.LogCaptureFixture) -> None:
    """The workflow logger is silent on replay: a cycle replayed after a worker restart repeats no line."""
    import logging

    path = next(p for p in HISTORIES if p.name.startswith("bronze_then_higher"))
    history = WorkflowHistory.from_json(path.stem, json.loads(path.read_text(encoding="utf-8")))
    replayer = Replayer(workflows=workflows.ALL, workflow_runner=workflow_runner(), data_converter=pydantic_data_converter)
    with caplog.at_level(logging.INFO, logger="temporalio.workflow"):
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None
    assert [r for r in caplog.records if r.name == "temporalio.workflow"] == []
