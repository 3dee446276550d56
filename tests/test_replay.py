"""Histories of real cycles replay against today's workflow code.

A change that would make a running cycle non-deterministic — a new timer, a reordered activity,
a rule read differently — fails here, before it reaches cycles that started years ago. The
fixtures are recorded by ``SPPLUS_RECORD_HISTORIES=1 make test`` and kept: never re-record them to
make this test pass; put the change behind ``workflow.patched()`` instead.
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

HISTORIES = sorted((Path(__file__).parent / "fixtures" / "histories").glob("*.json"))


def test_fixtures_are_present() -> None:
    assert len(HISTORIES) >= 7, "replay fixtures are missing: record them with SPPLUS_RECORD_HISTORIES=1"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, json.loads(path.read_text(encoding="utf-8")))
    replayer = Replayer(workflows=workflows.ALL, workflow_runner=workflow_runner(), data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name} no longer replays: {result.replay_failure}"
