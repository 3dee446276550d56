"""The engine's web pages (issue 13): server-rendered, in French, over the same engine and the same roles.

* :mod:`.kit` — what every page shares: the caller from the session cookie, CSRF tokens, rendering
  (htmx requests get a template's ``fragment`` block), refusals in French;
* one module per area, each ``routes(kit) -> APIRouter``: :mod:`.account` (sign-in), :mod:`.body` (a
  body's dashboard, candidacies, a candidacy), :mod:`.events` (event forms), :mod:`.public` (the public list);
* :mod:`.session` — the signed session cookie and the forms' CSRF tokens;
* :mod:`.forms` — event forms generated from the event models;
* ``templates/`` — Jinja2 templates in the DSFR's markup; ``static/`` — the neutral theme's stylesheet.

Every page asks :class:`spplus.interfaces.auth.Gate` what the API asks: one authorisation layer.
The DSFR (``@gouvfr/dsfr``) and htmx (``htmx.org``) are installed by ``npm ci`` (``make install``) and
served from ``node_modules`` at ``/static/dsfr`` and ``/static/htmx``; ``SPPLUS_THEME=neutral`` serves
neither the DSFR nor Marianne.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles
from temporalio.client import Client

from ...api.pagetokens import PageTokens
from ...settings import PROJECT_ROOT, Settings
from ..auth import Gate
from . import account, agenda, body, central, ditp, events, operators, public
from .kit import HERE, Kit
from .session import Sessions

log = structlog.get_logger("spplus.pages")

DSFR_DIST = PROJECT_ROOT / "node_modules" / "@gouvfr" / "dsfr" / "dist"
HTMX_DIST = PROJECT_ROOT / "node_modules" / "htmx.org" / "dist"
AREAS = (account, body, events, agenda, central, ditp, operators, public)


def mount_pages(app: FastAPI, gate: Gate, temporal: Callable[[], Awaitable[Client]], settings: Settings,
                page_tokens: PageTokens, key: bytes) -> None:
    """Add the pages and their static files to the API's app (the API's gate: one authorisation layer)."""
    if settings.theme == "dsfr":
        if not DSFR_DIST.is_dir():
            log.warning("the DSFR is not installed: run make install (npm ci); pages are served unstyled", path=str(DSFR_DIST))
        app.mount("/static/dsfr", StaticFiles(directory=DSFR_DIST, check_dir=False), name="dsfr")
    app.mount("/static/htmx", StaticFiles(directory=HTMX_DIST, check_dir=False), name="htmx")
    app.mount("/static/pages", StaticFiles(directory=HERE / "static"), name="pages-static")
    kit = Kit(gate, temporal, settings, page_tokens, Sessions(key))
    for area in AREAS:
        app.include_router(area.routes(kit))

    @app.exception_handler(HTTPException)
    async def _not_found(request: Request, exc: HTTPException) -> Response:
        """A browser asking for an address that does not exist gets a French page; API callers keep JSON."""
        if exc.status_code in (404, 405) and "text/html" in request.headers.get("accept", ""):
            who, session = kit.session_of(request)
            return kit.render(request, "error.html", who, session, 404, title="Page introuvable",
                              message="Cette adresse ne correspond à aucune page. Vérifiez-la, ou repartez de l'accueil.")
        return await http_exception_handler(request, exc)


__all__ = ["mount_pages"]
