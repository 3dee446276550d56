"""Faults, for real (issue 6): an outbox that is down, and a poison event.

* notifications fail while the outbox cannot be written (its folder replaced by a regular file): they are
  retried with backoff, and the cycle's deadlines go on meanwhile (a breach is recorded on its date);
* an event that makes the workflow code fail leaves the cycle retrying its workflow task, visible
  as such; once the code is mended the same event is applied, once, and nothing is corrupted.
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import importlib

apply_module = importlib.import_module("spplus.lifecycle.apply")  # the module: the package exports a function of that name
from spplus.lifecycle.events import SelfAssessment

from .steps import DOSSIER, prerequisites, scores


def outbox() -> Path:
    return Path(os.environ["SPPLUS_DATA"]) / "outbox" / "notifications.jsonl"


async def pending_failures(cycle) -> list[str]:
    """The last failure of each notification activity of the cycle still being retried (attempt ≥ 2)."""
    description = await cycle.handle.describe()
    return [p.last_failure.message for p in description.raw_description.pending_activities
            if p.activity_type.name == "send_notifications" and p.attempt >= 2]


async def test_a_down_outbox_is_retried_and_never_blocks_a_deadline(cycle):
    """The outbox's folder is replaced by a regular file: nothing can be written under it, by root either
    (ENOTDIR, where a read-only mode would not stop root); then the folder is put back."""
    t0 = await cycle.today()
    await prerequisites(cycle, t0, user_note=75, agent_note=55)
    visit = t0 + timedelta(days=60)
    await cycle.send({"type": "audit_dates", "visit_start": visit.isoformat(), "visit_end": visit.isoformat(), "sites": ["hdv"]})
    await cycle.go_to(visit - timedelta(days=35))
    await cycle.send({"type": "dossier", "received_on": (visit - timedelta(days=35)).isoformat(), "contents": DOSSIER})
    await cycle.go_to(visit - timedelta(days=20))
    await cycle.send({"type": "audit_plan", "sent_on": (visit - timedelta(days=20)).isoformat(), "auditors": ["C. Durand"]})
    await cycle.go_to(visit)
    await cycle.send({"type": "visit", "scores": scores(60)})
    due = visit + timedelta(days=21)  # §3.7.1: the report within 21 days
    await cycle.go_to(due)
    await asyncio.sleep(1)  # the "due today" reminder is delivered while the outbox is up
    key = f"{cycle.handle.id}/breach:audit1.report"

    def delivered(path: Path) -> bool:
        return path.exists() and any(json.loads(l)["id"] == key for l in path.read_text().splitlines() if l)

    folder = outbox().parent
    assert outbox().is_file() and not delivered(outbox())
    kept = folder.with_name("outbox.kept")
    folder.rename(kept)
    folder.write_text("a file where the outbox's folder should be\n", encoding="utf-8")
    try:
        with pytest.raises(NotADirectoryError):  # the outage is real for this process, root or not
            outbox().open("a")
        # One second past the midnight after the due date, in Paris (a metropolitan cycle's days are Paris days):
        # the deadline's timer fires while the outbox is down.
        # (The test clock then stops skipping: a workflow with an activity retrying is never idle.)
        missed = datetime.combine(due + timedelta(days=1), time(0, 0, 1), tzinfo=ZoneInfo("Europe/Paris"))
        await cycle.env.fast_forward(cycle.handle, missed - await cycle.now())
        state = await cycle.state()
        assert state.breaches == 1  # the deadline was not blocked by the failing notification
        failures: list[str] = []
        for _ in range(120):  # the first retry comes 2 s after the first failure
            failures = await pending_failures(cycle)
            if failures:
                break
            await asyncio.sleep(0.25)
        assert failures and all("Not a directory" in message for message in failures), failures
        assert not delivered(kept / "notifications.jsonl")  # tried, failed, retrying
    finally:
        folder.unlink()
        kept.rename(folder)
    for _ in range(240):  # the retry policy backs off from 2 s: a next attempt goes through
        if delivered(outbox()):
            break
        await asyncio.sleep(0.25)
    assert delivered(outbox())
    lines = [json.loads(l)["id"] for l in outbox().read_text().splitlines() if l]
    assert lines.count(key) == 1  # written once, by the attempt that went through


async def test_a_poison_event_leaves_the_cycle_retrying_then_applied_once(cycle, monkeypatch: pytest.MonkeyPatch):
    t0 = await cycle.today()
    original = apply_module._APPLY[SelfAssessment]

    def poisoned(state, event, today, env, notes):
        raise RuntimeError("a bug in the engine")

    monkeypatch.setitem(apply_module._APPLY, SelfAssessment, poisoned)
    sending = asyncio.create_task(cycle.send({"type": "self_assessment", "done_on": t0.isoformat()}, event_id="poison-1"))
    failed = False
    for _ in range(80):
        history = await cycle.handle.fetch_history()
        if any(e.HasField("workflow_task_failed_event_attributes") for e in history.events):
            failed = True
            break
        await asyncio.sleep(0.25)
    assert failed, "the workflow task should fail and be retried"
    description = await cycle.handle.describe()
    assert description.status.name == "RUNNING"  # never failed nor corrupted: retrying
    monkeypatch.setitem(apply_module._APPLY, SelfAssessment, original)  # the fix is deployed
    receipt = await asyncio.wait_for(sending, timeout=60)
    assert receipt.event_id == "poison-1"
    entries = [e for e in await cycle.timeline() if e.kind == "self_assessment"]
    assert len(entries) == 1
