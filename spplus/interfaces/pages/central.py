"""A central service's page (§2.2.2, §3.1, §3.7.2, §3.8.2): its network's table, each year's sample with its seed
and the command that draws it again, the central audits' control points, open deadlines and the timeline.

For the body that runs the central cycle, the DITP and operators: the gate's
:meth:`~spplus.interfaces.auth.Gate.own_central`, as ``GET /central/{id}`` asks it; another body's central
service answers exactly as a missing one (404).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from ... import client as engine
from ...analysis.central_record import CentralRecord, Draw, central_record, draws, reproduce_command
from ...lifecycle.state import TimelineEntry
from ...network.messages import CentralView, label_table
from ..auth import Principal, Problem
from .kit import Kit, whole_number

NETWORK_PAGE = 200  # local services per page of the network's table


def network_rows(view: CentralView, record: CentralRecord | None) -> list[dict[str, Any]]:
    """Every local service of the network: the drawn ones first (in draw order, with the year and the result
    of ``GET /central/{id}/table``), then those not drawn yet."""
    table = label_table(view)
    names = {s.id: s.name for s in record.local_services} if record else {}
    rows = [{"id": r["local_service"], "name": names.get(str(r["local_service"])), "sampled": r["sampled"],
             "result": r["result"]} for r in table]
    drawn = {r["id"] for r in rows}
    rest = sorted((s for s in (record.local_services if record else []) if s.id not in drawn), key=lambda s: s.id)
    return rows + [{"id": s.id, "name": s.name, "sampled": None, "result": None} for s in rest]


def page_of(count: int, raw: str | None) -> tuple[int, int]:
    """The network table's page asked for (1 when it is not one of them) and the number of pages."""
    pages = max(1, -(-count // NETWORK_PAGE))
    number = whole_number(raw, 999_999) or 1
    return (number if 1 <= number <= pages else 1), pages


def population_file(central_id: str, number: int) -> str:
    """The population file's name, in the page's command and in the download."""
    return f"population-{central_id}-{number}.txt"


def draw_rows(central_id: str, view: CentralView, record: CentralRecord | None) -> list[dict[str, Any]]:
    """Each draw, numbered from 1, with the command that draws it again when its population is known."""
    network = [s.id for s in record.local_services] if record else []
    out = []
    for number, draw in enumerate(draws(network, view.samples) if record else [], start=1):
        command = reproduce_command(draw.seed, draw.size, population_file(central_id, number)) if draw.population else None
        out.append({"number": number, "draw": draw, "command": command})
    return out


async def read_central(kit: Kit, who: Principal, central_id: str) -> tuple[CentralView, CentralRecord | None]:
    """The central cycle's view (through the gate: 404 for another body's) and its recorded network and audits."""
    view = await kit.gate.own_central(who, central_id, act=False)
    return view, await central_record(await kit.temporal(), central_id)


def routes(kit: Kit) -> APIRouter:
    router = kit.router()

    @router.get("/services-centraux/{central_id}")
    async def central_page(central_id: str, request: Request) -> Response:
        who, session = kit.session_of(request)
        try:
            view, record = await read_central(kit, who, central_id)
            timeline: list[TimelineEntry] = engine.in_date_order(
                await engine.get_central_timeline(await kit.temporal(), central_id))
        except Problem as problem:
            return kit.refused(request, who, session, problem)
        except engine.EngineError as exc:
            return kit.refused(request, who, session, Problem(404, "Not Found", exc.message))
        rows = network_rows(view, record)
        number, pages = page_of(len(rows), request.query_params.get("page"))
        visits: list[TimelineEntry | None] = [e for e in timeline if e.kind == "central_visit"]
        points = record.control_points if record else []
        return kit.render(request, "central_service.html", who, session, view=view, record=record, total=len(rows),
                          rows=rows[(number - 1) * NETWORK_PAGE:number * NETWORK_PAGE], page=number, pages=pages,
                          draws=draw_rows(central_id, view, record), timeline=timeline,
                          audits=list(zip(points, visits + [None] * len(points))))

    @router.get("/services-centraux/{central_id}/tirages/{number}/population.txt")
    async def population(central_id: str, number: str, request: Request) -> Response:
        """A draw's population, one id a line, sorted: what the page's command reads on its standard input."""
        who, session = kit.session_of(request)
        try:
            view, record = await read_central(kit, who, central_id)
        except Problem as problem:
            return kit.refused(request, who, session, problem)
        listed = draw_rows(central_id, view, record)
        index = whole_number(number, 999_999) or 0
        draw: Draw | None = listed[index - 1]["draw"] if 0 < index <= len(listed) else None
        if draw is None or draw.population is None:
            return kit.refused(request, who, session, Problem(404, "Not Found", f"no population for draw {number}"))
        return PlainTextResponse("\n".join(draw.population) + "\n", headers={
            "Content-Disposition": f'attachment; filename="{population_file(central_id, index)}"',
            "Cache-Control": "no-store"})

    return router
