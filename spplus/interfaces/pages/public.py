"""The public list of labelled services (§2.3, §5.3.1): no sign-in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ... import client as engine
from .kit import Kit


def routes(kit: Kit) -> APIRouter:
    router = kit.router()

    # ------------------------------------------------------------------ public
    @router.get("/liste-publique")
    async def public_list(request: Request) -> Response:
        who, session = kit.session_of(request)
        rows = await engine.public_list(await kit.temporal())
        search = (request.query_params.get("q") or "").strip()[:200]
        if search:
            rows = [r for r in rows if search.lower() in (r.get("candidate") or "").lower()]
        return kit.render(request, "public_list.html", who, session, rows=rows, search=search)

    return router
