"""Start a sampled local service's own cycle, as an independent workflow.

Not a child workflow: a local label outlives its central service's cycle (§3.8.2), and a parent
with children running for years is never idle, which the per-workflow clock of the tests (and a
continue-as-new) would wait on. The link is kept by signals both ways. Idempotent: a cycle that
already runs for that local service is reused, so a retried activity never starts two.
"""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from spplus.lifecycle import Candidate


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
