"""The public list of labelled services (§2.3, §5.3.1): no sign-in.

Each labelled service with its name, tier, validity, sites and body, suspended ones shown as such while the
suspension lasts (§5.3.1); searched by name (or a site's name, where the commune often is), territory and tier with
GET filters (linkable addresses); paginated. One visibility query per page (the cycles' search attributes and
listing memo, ``spplus/search_attributes.py``), never a cycle read one by one. The CSV and JSON exports beside it are
the API's ``/public/labels.csv`` and ``/public/labels``.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ... import client as engine
from .body import (
    rules_in_force,
    search_field,
    territories_of,
    tiers_of,
    timed,
    whole_page_for_history,
)
from .kit import PAGE_SIZE, Kit


def routes(kit: Kit) -> APIRouter:
    router = kit.router()

    # ------------------------------------------------------------------ public
    @router.get("/liste-publique")
    async def public_list(request: Request) -> Response:
        started = time.perf_counter()
        request = whole_page_for_history(request)
        who, session = kit.session_of(request)
        q = request.query_params
        today = engine.paris_today()
        rules = rules_in_force(kit)
        territories, tiers = territories_of(rules, today), tiers_of(rules, today)
        filters: dict[str, str] = {}
        errors: dict[str, str] = {}
        search, error = search_field(q.get("q"))
        if error:
            errors["q"] = error
        elif search:
            filters["q"] = search
        for name, allowed, message in (("territoire", territories, "Choisissez un territoire de la liste."),
                                       ("niveau", tiers, "Choisissez un niveau de la liste.")):
            value = q.get(name) or None
            if value is not None and value not in allowed:
                errors[name] = message
            elif value:
                filters[name] = value
        query = engine.public_list_query(filters.get("q"), filters.get("territoire"), filters.get("niveau"))
        client = await kit.temporal()
        listed = await kit.page(request, query, lambda at: engine.public_list_page(client, query, PAGE_SIZE, at),
                                "/liste-publique", filters, count=lambda: engine.count_cycles(client, query))
        if listed.error:
            errors["page"] = listed.error
        if listed.unsearchable:
            errors["liste"] = "Cette recherche ne peut pas être faite pour l'instant : retirez le territoire ou les mots cherchés."
        rows, total, next_link = listed.rows, listed.total, listed.next_link
        first_link = listed.first_link if q.get("page") else None
        return timed(kit.render(request, "public_list.html", who, session, rows=rows, filters=filters, errors=errors,
                                search=filters.get("q", ""), total=total, territories=territories, tiers=tiers,
                                next_link=next_link, first_link=first_link), started)

    return router
