"""Start a sampled local service's own cycle, as an independent workflow.

Not a child workflow: a local label outlives its central service's cycle (§3.8.2), and a parent
with children running for years is never idle, which the per-workflow clock of the tests (and a
continue-as-new) would wait on. The link is kept by signals both ways. Idempotent: a cycle that
already runs for that local service is reused, so a retried activity never starts two.
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from spplus.lifecycle import Candidate
from spplus.network.machine import NetworkNotice


class LocalCycleRequest(BaseModel):
    candidate: Candidate


class NetworkActivities:
    def __init__(self, client: Client) -> None:
        self.client = client

    @activity.defn
    async def start_local_cycle(self, request: LocalCycleRequest) -> str:
        from spplus.ids import cycle_id
        from spplus.lifecycle.messages import CycleStart
        from spplus.search_attributes import initial_search_attributes

        # The workflow is named by its type, not imported: activities sit below the workflows.
        handle = await self.client.start_workflow(
            "LabelCycle", CycleStart(candidate=request.candidate, actor="engine"),
            id=cycle_id(request.candidate.id), task_queue=activity.info().task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE, search_attributes=initial_search_attributes(request.candidate),
        )
        return handle.result_run_id or ""


class NetworkNoticeRequest(BaseModel):
    """A notice for the cycles of a network's local services (``cycle-<id>``), e.g. the central label obtained."""

    notice: NetworkNotice
    local_ids: list[str]


# An engine operating parameter, not a label rule: how many signals are in flight at once.
SIGNALS_IN_FLIGHT = 20


@activity.defn
async def tell_network(request: NetworkNoticeRequest) -> int:
    """Signal ``network_notice`` to every local service's cycle that runs; returns how many were told.

    One activity for the whole network, so a central cycle's history does not grow with its size; a local service
    with no cycle, or whose cycle has ended, is skipped. Each local cycle decides what the notice means for it (most
    ignore it), and takes it once however often it comes, so a retried activity is harmless.
    """
    from spplus.ids import cycle_id

    client = activity.client()
    gate = asyncio.Semaphore(SIGNALS_IN_FLIGHT)

    async def tell(local_id: str) -> bool:
        async with gate:
            try:
                # The signal is named, not imported: activities sit below the workflows.
                await client.get_workflow_handle(cycle_id(local_id)).signal("network_notice", request.notice)
            except RPCError as exc:
                if exc.status == RPCStatusCode.NOT_FOUND:
                    return False  # no cycle, or one that has ended
                raise
            activity.heartbeat(local_id)
            return True

    return sum(await asyncio.gather(*(tell(local_id) for local_id in request.local_ids)))
