"""What a certification body's agenda is made of: the views of its running local cycles.

One source for every form of the agenda — the API's ``/agenda.ics``, the agenda page and its subscription
feed: one visibility query for the body's running cycles, then each local cycle's view (its open deadlines,
its current audit). Central cycles are left out: their deadlines are their own view's (``/central/{id}``).
"""

from __future__ import annotations

from temporalio.client import Client

from .. import client as engine
from ..lifecycle.views import CycleView

AGENDA_LIMIT = 2000  # cycles read for one agenda


async def agenda_views(client: Client, body: str | None, limit: int = AGENDA_LIMIT) -> list[CycleView]:
    """The views of ``body``'s running local cycles (every body's for ``None``), at most ``limit`` of them."""
    listed = await engine.list_cycles(client, engine.list_query(body=body), limit=limit)
    views = []
    for item in listed:
        if not item.candidate or item.workflow_id != engine.cycle_id(item.candidate):
            continue  # a central cycle
        try:
            view = await engine.get_state(client, item.candidate)
        except engine.EngineError:
            continue  # closed between the list and the read
        if view is not None:
            views.append(view)
    return views


__all__ = ["AGENDA_LIMIT", "agenda_views"]
