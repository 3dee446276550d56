"""Operators' pages: what is late across every cycle, the workflows whose task keeps failing, and a cycle's
timeline rebuilt from Temporal's history.

Operators read everything and act on nothing; the DITP reads these pages too (the API lets both read every
cycle). A body is refused them: the gate's :meth:`~spplus.interfaces.auth.Gate.require`, as the API's
operators-only doors ask it. Lists are visibility queries (``SpOverdue > 0``, ``SpBreaches > 0``,
``TemporalReportedProblems``), paginated with the API's signed page tokens.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ... import client as engine
from ...analysis.operations import FAILING_QUERY, failing_page, history_timeline, web_ui_link
from ...api.tokens import Role
from ...ids import cycle_id
from ..auth import Principal, Problem
from .kit import PAGE_SIZE, Kit

ListPage = Callable[[bytes | None], Awaitable[tuple[list[Any], bytes | None]]]


@dataclass
class Listing:
    """One paginated list of a page: its rows, and the links to its next and first pages."""

    key: str
    title: str  # the table's caption
    heading: str = ""  # the section's heading
    rows: list[Any] = field(default_factory=list)
    next_link: str | None = None
    first_link: str | None = None
    error: str | None = None
    unsupported: bool = False


def require_operations(kit: Kit, who: Principal) -> None:
    """Operators and the DITP: the roles the API lets read every cycle's operations (a body is refused)."""
    kit.gate.require(who, Role.operator, Role.ditp)


async def paginated(kit: Kit, request: Request, listing: Listing, query: str, read: ListPage,
                    path: str) -> Listing:
    """Fill ``listing`` with the page its ``page_<key>`` parameter names (a stale or forged one: from the start).

    The other parameters of the request are kept in the links, so each list of a page keeps its own place.
    """
    param = f"page_{listing.key}"
    others = {k: v for k, v in request.query_params.items() if k != param and k.startswith("page_")}
    page = await kit.page(request, query, read, path, others, param=param)
    listing.rows, listing.next_link, listing.first_link, listing.error = page.rows, page.next_link, page.first_link, page.error
    listing.unsupported = page.unsearchable  # e.g. a server before 1.30: no TemporalReportedProblems
    return listing


def routes(kit: Kit) -> APIRouter:
    router = kit.router()

    @router.get("/exploitation")
    async def late(request: Request) -> Response:
        """Overdue deadlines and breaches across every cycle (every body's)."""
        who, session = kit.session_of(request)
        try:
            require_operations(kit, who)
            scope = kit.gate.list_scope(who, None)
            client = await kit.temporal()
            lists = []
            for key, heading, title, query in (
                ("retard", "En retard", "Cycles avec une échéance manquée", engine.list_query(body=scope, overdue=True)),
                ("manquements", "Manquements", "Cycles avec des manquements enregistrés",
                 engine.list_query(body=scope, with_breaches=True)),
            ):
                async def read(token: bytes | None, query: str = query) -> tuple[list[Any], bytes | None]:
                    return await engine.list_cycles_page(client, query, PAGE_SIZE, token)

                lists.append(await paginated(kit, request, Listing(key, title, heading), query, read, "/exploitation"))
        except Problem as problem:
            return kit.refused(request, who, session, problem)
        return kit.render(request, "operator_late.html", who, session, lists=lists)

    @router.get("/exploitation/taches-en-echec")
    async def failing(request: Request) -> Response:
        """Running workflows whose workflow task keeps failing, each linked to its page in the Temporal Web UI."""
        who, session = kit.session_of(request)
        listing = Listing("echecs", "Workflows dont la tâche échoue")
        try:
            require_operations(kit, who)
            client = await kit.temporal()

            async def read(token: bytes | None) -> tuple[list[Any], bytes | None]:
                return await failing_page(client, PAGE_SIZE, token)

            await paginated(kit, request, listing, FAILING_QUERY, read, "/exploitation/taches-en-echec")
        except Problem as problem:
            return kit.refused(request, who, session, problem)
        links = {row.workflow_id: web_ui_link(kit.settings, row.workflow_id, row.run_id) for row in listing.rows}
        return kit.render(request, "operator_failing.html", who, session, listing=listing, ui_links=links,
                          ui_list=web_ui_link(kit.settings, query=FAILING_QUERY))

    @router.get("/exploitation/cycles/{candidate_id}")
    async def rebuilt(candidate_id: str, request: Request) -> Response:
        """A local cycle's timeline rebuilt from Temporal's event history (every run; closed cycles too)."""
        who, session = kit.session_of(request)
        try:
            require_operations(kit, who)
            await kit.gate.may_see(who, candidate_id, act=False)  # missing: 404, as on every cycle's page
            entries = await history_timeline(await kit.temporal(), candidate_id)
            if entries is None:
                raise kit.gate.unseen(candidate_id)
        except Problem as problem:
            return kit.refused(request, who, session, problem)
        return kit.render(request, "operator_timeline.html", who, session, candidate_id=candidate_id,
                          timeline=entries,
                          ui_link=web_ui_link(kit.settings, cycle_id(candidate_id)))

    return router
