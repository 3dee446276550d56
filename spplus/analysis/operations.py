"""What operators look at: workflows whose task keeps failing, a cycle's timeline rebuilt from its history,
and the Temporal Web UI's page of a workflow.

Failing tasks come from one visibility query, never by describing every workflow: since Temporal 1.30 the
server flags a running workflow whose workflow task failed (or timed out) several times in a row with the
system search attribute ``TemporalReportedProblems`` (``category=WorkflowTaskFailed``, ``cause=…``), and
clears it at the first task that succeeds. The count is the namespace's dynamic config
``system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute`` (5 by default on the 1.32 dev
server; 0 turns the flag off).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from urllib.parse import quote, urlencode

from pydantic import BaseModel
from temporalio.client import Client, WorkflowExecution
from temporalio.common import SearchAttributeKey

from .. import search_attributes as sa
from ..ids import cycle_id
from ..lifecycle.state import TimelineEntry
from ..settings import Settings
from .history import fetch_runs, rebuild_timeline

REPORTED_PROBLEMS = SearchAttributeKey.for_keyword_list("TemporalReportedProblems")
FAILING_QUERY = f"ExecutionStatus = 'Running' AND {REPORTED_PROBLEMS.name} IS NOT NULL"
CYCLE_TYPES = {"LabelCycle": "local", "CentralLabelCycle": "central"}


class FailingWorkflow(BaseModel):
    """A running workflow the server flags for its failing workflow task, with what its search attributes say."""

    workflow_id: str
    run_id: str
    workflow_type: str
    kind: str | None  # "local" or "central" for a cycle, None for another workflow
    candidate: str | None
    certification_body: str | None
    problems: dict[str, str]  # {"category": "WorkflowTaskFailed", "cause": "WorkflowTaskFailedCause…"}
    started: datetime | None


def _problems(values: list[str] | None) -> dict[str, str]:
    """``["category=WorkflowTaskFailed", "cause=…"]`` → ``{"category": …, "cause": …}``."""
    pairs = (value.partition("=") for value in values or [])
    return {key: value for key, sep, value in pairs if sep}


def _failing(execution: WorkflowExecution) -> FailingWorkflow:
    """A listed execution as the page shows it."""
    attrs = execution.typed_search_attributes
    return FailingWorkflow(
        workflow_id=execution.id, run_id=execution.run_id, workflow_type=execution.workflow_type,
        kind=CYCLE_TYPES.get(execution.workflow_type), candidate=attrs.get(sa.CANDIDATE),
        certification_body=attrs.get(sa.CERTIFICATION_BODY), problems=_problems(attrs.get(REPORTED_PROBLEMS)),
        started=execution.start_time,
    )


async def failing_page(client: Client, page_size: int, page_token: bytes | None) -> tuple[list[FailingWorkflow], bytes | None]:
    """One page of the running workflows whose workflow task keeps failing, and the next page's token.

    Raises :class:`temporalio.service.RPCError` (INVALID_ARGUMENT) on a server that does not know the attribute.
    """
    pages = client.list_workflows(FAILING_QUERY, page_size=page_size, next_page_token=page_token)
    await pages.fetch_next_page(page_size=page_size)
    return [_failing(e) for e in pages.current_page or []], pages.next_page_token or None


def web_ui_base(settings: Settings) -> str:
    """Where operators reach the Temporal Web UI: ``SPPLUS_UI_URL``, else the embedded server's on the loopback
    (``SPPLUS_UI_PORT``)."""
    return settings.ui_url or f"http://127.0.0.1:{settings.ui_port}"


def web_ui_link(settings: Settings, workflow_id: str | None = None, run_id: str | None = None,
                query: str | None = None) -> str:
    """The Web UI's page of a workflow (of its run, on its history, when given), or its list of workflows
    (filtered by a visibility ``query`` when given)."""
    path = f"/namespaces/{quote(settings.namespace, safe='')}/workflows"
    if workflow_id:
        path += f"/{quote(workflow_id, safe='')}"
        if run_id:
            path += f"/{quote(run_id, safe='')}/history"
    elif query:
        path += "?" + urlencode({"query": query})
    return web_ui_base(settings) + path


async def history_timeline(client: Client, candidate_id: str) -> list[TimelineEntry] | None:
    """A local cycle's timeline rebuilt from Temporal's event history of every run (closed cycles too), in the
    order the cycle wrote it; None when the engine holds no history under the cycle's workflow id.

    The folding runs off the event loop: ``worker.py --api`` shares it with the worker.
    """
    histories = await fetch_runs(client, cycle_id(candidate_id))
    if not histories:
        return None
    return await asyncio.to_thread(rebuild_timeline, histories)


__all__ = ["FAILING_QUERY", "FailingWorkflow", "failing_page", "history_timeline", "web_ui_link"]
