"""What a central cycle's view does not carry, read from its recorded history: the whole network, each central
audit's yes/no control points (§3.7.2), and the population of each draw, so anyone can redo it (§3.3).

The view (``CentralCycleWorkflow.state``) gives the network's size, the draws (year, seed, size, drawn) and the
local results; the history of the current run gives the rest: its start input (the candidacy and its network, or
the state carried over a continue-as-new, with the audits before it) and each event the cycle applied
(a completed ``record`` update). Nothing is recomputed but the draws themselves, by the engine's own
:func:`spplus.central.draw_sample`, to check a population before the page offers it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError

from ..central import draw_sample
from ..ids import central_workflow_id
from ..network.events import CentralEnvelope, CentralVisit, LocalService
from ..network.messages import CentralStart

_CONVERTER = pydantic_data_converter.payload_converter


class CentralRecord(BaseModel):
    """The network as the candidacy declared it, and each central audit's control points, in order."""

    local_services: list[LocalService]
    control_points: list[list[bool]]


class Draw(BaseModel):
    """One draw of local services, and the population it was drawn from when the page can vouch for it."""

    year: int
    seed: int
    size: int
    population_size: int
    drawn: list[str]
    population: list[str] | None  # sorted; None when the draws alone do not give it back (services added by name)


def _decode(payloads: Any, kind: type) -> Any:
    return _CONVERTER.from_payloads(list(payloads), [kind])[0]


def _applied(events: list[HistoryEvent], seen: set[str]) -> list[CentralEnvelope]:
    """The events the cycle applied in this run, in order: each completed ``record`` update, once per event id."""
    accepted: dict[str, CentralEnvelope] = {}
    applied = []
    for event in events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            request = event.workflow_execution_update_accepted_event_attributes.accepted_request
            if request.input.name == "record":
                accepted[request.meta.update_id] = _decode(request.input.args.payloads, CentralEnvelope)
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            completed = event.workflow_execution_update_completed_event_attributes
            envelope = accepted.pop(completed.meta.update_id, None)
            if envelope is not None and completed.outcome.HasField("success") and envelope.event_id not in seen:
                seen.add(envelope.event_id)  # a repeated event id is answered, never applied twice
                applied.append(envelope)
    return applied


async def central_record(client: Client, central_id: str) -> CentralRecord | None:
    """The network and the control points of a central cycle's current run; None when there is no such cycle."""
    try:
        history = await client.get_workflow_handle(central_workflow_id(central_id)).fetch_history()
    except RPCError:
        return None
    if not history.events:
        return None
    started = history.events[0].workflow_execution_started_event_attributes
    start: CentralStart = _decode(started.input.payloads, CentralStart)
    carried = start.state
    candidate = carried.candidate if carried is not None else start.candidate
    if candidate is None:
        return None
    points = [list(a.control_points) for a in carried.audits if a.control_points is not None] if carried else []
    seen = set(carried.applied_events) if carried else set()
    for envelope in _applied(list(history.events), seen):
        if isinstance(envelope.event, CentralVisit):
            points.append(list(envelope.event.control_points))
    return CentralRecord(local_services=list(candidate.local_services), control_points=points)


def draws(network: list[str], samples: list[dict[str, Any]]) -> list[Draw]:
    """Each draw with its population: the network less the services drawn before it, kept only when drawing again
    from it with the recorded seed gives the very same services (a service added by name in between would not)."""
    before: set[str] = set()
    out = []
    for sample in samples:
        drawn = [str(s) for s in sample["drawn"]]
        seed, size, year = int(sample["seed"]), int(sample["size"]), int(sample["year"])
        population: list[str] | None = sorted(set(network) - before)
        if len(population) != sample["population_size"] or draw_sample(population, size, seed, year).drawn != drawn:
            population = None
        out.append(Draw(year=year, seed=seed, size=size, population_size=int(sample["population_size"]), drawn=drawn,
                        population=population))
        before.update(drawn)
    return out


def reproduce_command(seed: int, size: int, population_file: str) -> str:
    """The shell command that draws again from a population file (one id a line), as the engine drew: Python's
    ``random.Random(seed).sample(sorted(population), size)``, nothing else installed."""
    program = f"import random, sys; print(random.Random({seed}).sample(sorted(sys.stdin.read().split()), {size}))"
    return f"python3 -c '{program}' < {population_file}"


__all__ = ["CentralRecord", "Draw", "central_record", "draws", "reproduce_command"]
