"""An event sent while its cycle is still opening is applied once the cycle is open, not refused.

A new cycle pins its rules in its first workflow task, and its validator refuses events until then
(`CycleNotReady`): the certification body has nothing to correct, so the client sends the event
again a moment later. In the same process as a worker (`worker.py --api`) the start is eager and the
race does not arise; from an API replica or the CLI it does, and here it is made certain: the event
is sent before any worker has taken the cycle's first task.
"""

from __future__ import annotations

import asyncio
import uuid

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from spplus import client as engine
from spplus.lifecycle import Phase
from worker import build_worker

from .conftest import new_candidate, local_today


async def test_an_event_sent_before_the_cycle_opens_is_applied_when_it_has(env):
    other = await Client.connect(env.client.service_client.config.target_host, namespace=env.client.namespace,
                                 data_converter=pydantic_data_converter)  # no worker behind this client
    queue = f"opening-{uuid.uuid4().hex[:8]}"
    today = local_today()
    candidate = new_candidate(today)
    await engine.start_candidacy(other, candidate, queue)
    sending = asyncio.create_task(
        engine.send_event(other, candidate.id, {"type": "self_assessment", "done_on": today.isoformat()}, "sa-1"))
    await asyncio.sleep(1)  # the event now waits in the server for the cycle's first task
    assert not sending.done()
    async with build_worker(env.client, queue):
        receipt = await asyncio.wait_for(sending, 30)
        timeline = await engine.get_timeline(other, candidate.id)
    assert receipt.phase == Phase.preparation and receipt.duplicate is False
    assert [e.event_id for e in timeline if e.event_id] == ["sa-1"]  # applied once, after the opening
