"""A cycle's « today » is its territory's date, and its days begin at its midnight (issue 10, kind 5).

Two territories far apart, on a real Temporal server with time skipping: Nouvelle-Calédonie
(Pacific/Noumea, UTC+11 all year) and Polynésie française (Pacific/Tahiti, UTC−10 all year), so
their dates differ from the UTC date for 11 and 10 hours of every day. Every instant below is
written in UTC and its local time derived beside it; the offsets are those of the tz database for
these zones (no summer time in either). Before the fix, each case fails: the event is refused as
« in the future », the reminder and the breach come 10 hours early.
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from dateutil.relativedelta import relativedelta
import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from spplus import client as engine

from .conftest import CycleDriver, new_candidate


def at_utc(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=timezone.utc)


async def move_to(cycle: CycleDriver, instant: datetime) -> None:
    """Move the cycle's clock to ``instant`` exactly (every timer due by then fires)."""
    now = await cycle.now()
    assert instant > now, f"{instant} is already past ({now})"
    await cycle.env.fast_forward(cycle.handle, instant - now)


async def open_cycle(env, territory: str) -> CycleDriver:
    # The contract is signed the day before (UTC), so it is past in every territory whatever the hour.
    today_utc = datetime.now(timezone.utc).date()
    cycle = CycleDriver(env, new_candidate(today_utc - timedelta(days=1), territory=territory))
    await cycle.start()
    return cycle


def outbox() -> Path:
    return Path(os.environ["SPPLUS_DATA"]) / "outbox" / "notifications.jsonl"


def sent(cycle: CycleDriver, key: str) -> bool:
    ident = f"{cycle.handle.id}/{key}"
    return outbox().exists() and any(json.loads(line)["id"] == ident for line in outbox().read_text().splitlines() if line)


async def eventually_sent(cycle: CycleDriver, key: str) -> bool:
    for _ in range(120):  # notifications go out by an activity, just after the workflow task
        if sent(cycle, key):
            return True
        await asyncio.sleep(0.25)
    return False


async def replays(cycle: CycleDriver) -> None:
    """The history these days wrote (with the patch's marker) replays on today's code."""
    import workflows
    from worker import workflow_runner

    history = await cycle.handle.fetch_history()
    replayer = Replayer(workflows=workflows.ALL, workflow_runner=workflow_runner(), data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


async def test_noumea_at_nine_in_the_morning_accepts_an_event_of_its_day(env, worker) -> None:
    cycle = await open_cycle(env, "nouvelle-caledonie")
    day = (await cycle.now()).date() + timedelta(days=3)  # a local day D ahead of the cycle's clock
    # 22:00 UTC on D − 1 is 22 + 11 = 33:00, i.e. 09:00 on D in Nouméa (UTC+11): the UTC date is still D − 1.
    await move_to(cycle, at_utc(day - timedelta(days=1), 22, 0))
    receipt = await cycle.send({"type": "self_assessment", "done_on": day.isoformat()})
    assert not receipt.duplicate
    entry = next(e for e in await cycle.timeline() if e.kind == "self_assessment")
    assert entry.on == day and entry.recorded == day  # recorded on Nouméa's today, D
    # D + 1 is still tomorrow in Nouméa: refused, and the message names Nouméa's today, D.
    with pytest.raises(engine.EngineError) as refused:
        await cycle.send({"type": "survey", "kind": "user", "closed_on": (day + timedelta(days=1)).isoformat(),
                          "solicited": 1000, "summary": {"note": 75, "admissible": 150}})
    assert refused.value.field == "closed_on"
    assert f"today is {day.isoformat()}" in refused.value.message
    # 12:59 UTC on D is 23:59 on D in Nouméa; 13:00 UTC is midnight, D + 1: the survey is accepted then.
    await move_to(cycle, at_utc(day, 12, 59))
    with pytest.raises(engine.EngineError):
        await cycle.send({"type": "survey", "kind": "user", "closed_on": (day + timedelta(days=1)).isoformat(),
                          "solicited": 1000, "summary": {"note": 75, "admissible": 150}})
    await move_to(cycle, at_utc(day, 13, 0))
    await cycle.send({"type": "survey", "kind": "user", "closed_on": (day + timedelta(days=1)).isoformat(),
                      "solicited": 1000, "summary": {"note": 75, "admissible": 150}})
    await replays(cycle)


async def test_tahiti_misses_a_deadline_after_its_own_midnight(env, worker) -> None:
    cycle = await open_cycle(env, "polynesie-francaise")
    start = (await cycle.now()).date()
    visit = start + timedelta(days=60)
    await cycle.send({"type": "audit_dates", "visit_start": visit.isoformat(), "visit_end": visit.isoformat(), "sites": ["hdv"]})
    due = visit - relativedelta(months=1)  # §3.5.1: the dossier at the latest one month before the audit dates
    deadline = next(d for d in (await cycle.state()).open_deadlines if d.key == "audit1.dossier")
    assert deadline.due == due

    # 09:59 UTC on D is 23:59 on D − 1 in Papeete (UTC−10): not yet the due day, no "due today" reminder.
    await move_to(cycle, at_utc(due, 9, 59))
    await asyncio.sleep(1)
    assert not sent(cycle, "due:audit1.dossier")
    # 10:00 UTC on D is Papeete's midnight: the due day begins and its reminder goes out.
    await move_to(cycle, at_utc(due, 10, 0, 1))
    assert await eventually_sent(cycle, "due:audit1.dossier")

    # 00:00:01 UTC on D + 1 is 14:00:01 on D in Papeete: the afternoon of the due day, nothing is missed yet.
    await move_to(cycle, at_utc(due + timedelta(days=1), 0, 0, 1))
    await asyncio.sleep(1)
    state = await cycle.state()
    assert state.breaches == 0 and any(d.key == "audit1.dossier" for d in state.open_deadlines)
    assert not [e for e in await cycle.timeline() if e.kind == "breach"]
    assert not sent(cycle, "breach:audit1.dossier")

    # 10:00:01 UTC on D + 1 is 00:00:01 on D + 1 in Papeete: the deadline is missed, recorded and notified.
    await move_to(cycle, at_utc(due + timedelta(days=1), 10, 0, 1))
    state = await cycle.state()
    assert state.breaches == 1
    breaches = [e for e in await cycle.timeline() if e.kind == "breach"]
    assert len(breaches) == 1 and breaches[0].data["key"] == "audit1.dossier"
    assert breaches[0].data["due"] == due.isoformat() and breaches[0].on == due + timedelta(days=1)
    assert await eventually_sent(cycle, "breach:audit1.dossier")
    await replays(cycle)


async def test_metropole_dates_an_event_by_the_paris_day(env, worker) -> None:
    cycle = await open_cycle(env, "metropole")
    day = (await cycle.now()).date() + timedelta(days=3)
    # 21:59 UTC on D − 1 is 22:59 (winter, UTC+1) or 23:59 (summer, UTC+2) in Paris: still D − 1.
    await move_to(cycle, at_utc(day - timedelta(days=1), 21, 59))
    with pytest.raises(engine.EngineError) as refused:
        await cycle.send({"type": "self_assessment", "done_on": day.isoformat()})
    assert f"today is {(day - timedelta(days=1)).isoformat()}" in refused.value.message
    # 23:30 UTC on D − 1 is 00:30 (winter) or 01:30 (summer) on D in Paris: an event of D is accepted.
    await move_to(cycle, at_utc(day - timedelta(days=1), 23, 30))
    await cycle.send({"type": "self_assessment", "done_on": day.isoformat()})
    entry = next(e for e in await cycle.timeline() if e.kind == "self_assessment")
    assert entry.recorded == day
