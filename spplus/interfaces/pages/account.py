"""Home, sign-in and sign-out: a body, the DITP or an operator signs in with the token they were given."""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ...api.tokens import Role
from ..auth import Problem
from .kit import Kit
from .session import SESSION_COOKIE, SIGN_IN_COOKIE

log = structlog.get_logger("spplus.pages")

# Where each role lands after signing in: a body and the DITP on the dashboard, operators on what is late.
HOMES = {Role.body: "/tableau-de-bord", Role.ditp: "/tableau-de-bord", Role.operator: "/exploitation"}


def routes(kit: Kit) -> APIRouter:
    router = kit.router()

    # ------------------------------------------------------------------ home, sign-in, sign-out
    @router.get("/")
    async def home(request: Request) -> Response:
        who, _ = kit.session_of(request)
        return RedirectResponse(HOMES.get(who.role, "/connexion"), status_code=303)

    @router.get("/connexion")
    async def sign_in_form(request: Request) -> Response:
        who, session = kit.session_of(request)
        return kit.render(request, "sign_in.html", who, session, error=None)

    @router.post("/connexion")
    async def sign_in(request: Request) -> Response:
        who, session = kit.session_of(request)
        form = await kit.form_of(request)
        if not kit.csrf_ok(request, session, form):
            return kit.csrf_refused(request, who, session)
        secret = (form.get("jeton") or [""])[0].strip()
        try:
            if not secret:
                raise Problem(401, "Unauthorized", "empty")
            signed_in = kit.gate.by_secret(secret)
        except Problem:
            log.warning("page sign-in refused", path=request.url.path)
            return kit.render(request, "sign_in.html", who, session, 401,
                          error="Ce jeton n'est pas reconnu, ou il a été révoqué. Collez le jeton reçu de l'administrateur.")
        response = RedirectResponse(HOMES[signed_in.role], status_code=303)
        kit.set_cookie(request, response, SESSION_COOKIE, kit.sessions.issue(str(signed_in.token_id)), kit.sessions.lifetime)
        response.delete_cookie(SIGN_IN_COOKIE, path="/")
        log.info("page sign-in", role=signed_in.role.value, token=signed_in.token_id, body=signed_in.body)
        return response

    @router.post("/deconnexion")
    async def sign_out(request: Request) -> Response:
        who, session = kit.session_of(request)
        form = await kit.form_of(request)
        if session and not kit.csrf_ok(request, session, form):
            return kit.csrf_refused(request, who, session)
        response = RedirectResponse("/connexion", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                               secure=request.url.scheme == "https")
        return response

    return router
