"""A local cycle's story rebuilt from its Temporal event history, not from a query of live state.

The history holds everything that happened: the start input, the rules and calendar the
activities returned (a local activity's marker since the patch), each accepted update (who sent what), each signal and each timer that
fired, each with its time. Folding them, in order, through the same pure cycle the workflow
runs gives the timeline again — for a closed cycle, and across continue-as-new (every run's
history, in order).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter

from ..calendar import WorkingCalendar
from ..lifecycle import CycleState, Envelope, advance, apply, change_edition, network_notice
from ..lifecycle.events import RulesEditionChange
from ..lifecycle.state import TimelineEntry
from ..rules.models import RuleSet

_CONVERTER = pydantic_data_converter.payload_converter


def _decode(payloads: Any, kind: type) -> Any:
    return _CONVERTER.from_payloads(list(payloads), [kind])[0]


def _instant(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime(tzinfo=timezone.utc)


def _patch(event: HistoryEvent) -> str | None:
    """The id of the patch a `core_patch` marker records, else None."""
    marker = event.marker_recorded_event_attributes
    if marker.marker_name != "core_patch" or "patch-data" not in marker.details:
        return None
    return json.loads(marker.details["patch-data"].payloads[0].data).get("id")


async def fetch_runs(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    """Every run of a workflow id, oldest first (a renewal or a long cycle continues as new)."""
    runs = [w async for w in client.list_workflows(f"WorkflowId = '{workflow_id}'")]
    runs.sort(key=lambda r: r.start_time)
    return [await client.get_workflow_handle(r.id, run_id=r.run_id).fetch_history() for r in runs]


def rebuild_state(histories: list[WorkflowHistory]) -> CycleState | None:
    """The cycle's state after folding every run's history through the pure cycle."""
    from workflows.cycle import LATE_FACTS, NOTICES_AND_YEARLY_CHECKS
    from workflows.search import LOCAL_DAYS

    from ..lifecycle import state as behaviour

    from ..lifecycle.messages import CycleStart

    state: CycleState | None = None
    for history in histories:
        started = history.events[0].workflow_execution_started_event_attributes
        start: CycleStart = _decode(started.input.payloads, CycleStart)
        if start.state is not None and start.renewal is None:
            state = start.state  # a continue-as-new carries the whole state, timeline included
        scheduled: dict[int, str] = {}
        opening: list[Any] = []
        pending_edition: Envelope | None = None
        # The workflow's clock in its latest task, and whether this run counts its territory's days
        # (the patch's marker, recorded in the run's first task): « today » as the workflow had it.
        now, local = _instant(history.events[0]), False
        # The patches' markers asked in the workflow's init (before the cycle opens): the behaviour it opened with.
        late_facts = notices = False

        def day_at(instant: datetime, calendar: WorkingCalendar | None) -> date:
            return calendar.local_date(instant) if local and calendar is not None else instant.date()

        today = now.date()
        touched = False
        for event in history.events:
            kind = event.event_type
            if kind == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                now = _instant(event)
                today = day_at(now, state.calendar if state is not None else None)
            elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                scheduled[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
            elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                attributes = event.activity_task_completed_event_attributes
                name = scheduled.get(attributes.scheduled_event_id)
                if name == "load_rules_edition" and pending_edition is not None and state is not None:
                    change_edition(state, _decode(attributes.result.payloads, RuleSet), pending_edition,
                                   day_at(_instant(event), state.calendar))
                    pending_edition = None
                elif name == "load_rules_edition":
                    opening = [_decode(attributes.result.payloads, RuleSet)]
                elif name == "resolve_calendar" and opening:
                    opening.append(_decode(attributes.result.payloads, WorkingCalendar))
            elif kind == EventType.EVENT_TYPE_MARKER_RECORDED:
                if _patch(event) == LOCAL_DAYS:
                    local = True
                    today = day_at(now, state.calendar if state is not None else None)
                if _patch(event) == LATE_FACTS:
                    late_facts = True
                if _patch(event) == NOTICES_AND_YEARLY_CHECKS:
                    notices = True
                # A marker is a command of the task just completed: the cycle opened in that task.
                pinned = _pinned(event)
                if pinned is not None and (state is None or start.renewal is not None):
                    opened_on = day_at(now, pinned.calendar)
                    state, start = start.open(pinned.rules, pinned.calendar, opened_on), start.model_copy(update={"renewal": None})
                    # As the workflow decided in its init (workflows/cycle.py, _pin_rules_and_begin).
                    state.behaviour = ((behaviour.LATE_FACTS if late_facts else 0)
                                       | (behaviour.NOTICES_AND_YEARLY_CHECKS if notices else 0))
                    today = opened_on
            elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED and state is not None:
                request = event.workflow_execution_update_accepted_event_attributes.accepted_request
                envelope: Envelope = _decode(request.input.args.payloads, Envelope)
                if isinstance(envelope.event, RulesEditionChange):
                    pending_edition = envelope
                else:
                    apply(state, envelope, today)
                touched = True
            elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED and state is not None:
                signal = event.workflow_execution_signaled_event_attributes
                if signal.signal_name == "network_notice":
                    from ..network.machine import NetworkNotice

                    notice: NetworkNotice = _decode(signal.input.payloads, NetworkNotice)
                    network_notice(state, notice.kind, notice.on, notice.central, today)
                    touched = True
            elif kind == EventType.EVENT_TYPE_TIMER_FIRED:
                touched = True
            elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                if len(opening) == 2 and (state is None or start.renewal is not None):
                    state, start = start.open(*opening, today), start.model_copy(update={"renewal": None})
                    state.behaviour = 0  # opened before LATE_FACTS existed
                    opening = []
                elif touched and state is not None:
                    advance(state, today)  # what the workflow's loop does after each wake
                touched = False
        if state is not None and state.continue_as_new:
            state.continue_as_new, state.renewal_request = False, None
    return state


def _pinned(event: HistoryEvent) -> Any:
    """The rules and calendar a cycle pinned by its local activity (cycles opened since the patch)."""
    from activities.rules import PinnedRules

    marker = event.marker_recorded_event_attributes
    if marker.marker_name != "core_local_activity" or "data" not in marker.details or "result" not in marker.details:
        return None
    data = json.loads(marker.details["data"].payloads[0].data)
    if data.get("activity_type") != "pin_rules_and_calendar":
        return None
    return _decode(marker.details["result"].payloads, PinnedRules)


def rebuild_timeline(histories: list[WorkflowHistory]) -> list[TimelineEntry]:
    state = rebuild_state(histories)
    return list(state.timeline) if state is not None else []
