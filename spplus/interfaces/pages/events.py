"""Event forms: generated from the event models, sent through the API's own path, refused beside the field."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from ... import client as engine
from ...api.tokens import Role
from ..auth import Principal, Problem
from . import forms
from .kit import Kit

log = structlog.get_logger("spplus.pages")


def routes(kit: Kit) -> APIRouter:
    router = kit.router()

    # ------------------------------------------------------------------ event forms
    def sites_of(view: Any) -> list[tuple[str, str]]:
        return [(site.id, site.name) for site in view.candidate.sites]

    async def form_cycle(request: Request, who: Principal, session: Any, candidate_id: str, event_type: str) -> Any:
        """The cycle a form acts on, or the page that refuses it (an unknown form, a cycle one may not act on)."""
        if event_type not in forms.FORM_TYPES:
            return kit.refused(request, who, session, Problem(404, "Not Found", "no such form"))
        try:
            return await kit.gate.own_cycle(who, candidate_id, act=True)
        except Problem as problem:
            return kit.refused(request, who, session, problem)

    @router.get("/candidatures/{candidate_id}/evenements/{event_type}")
    async def event_form(candidate_id: str, event_type: str, request: Request) -> Response:
        who, session = kit.session_of(request)
        view = await form_cycle(request, who, session, candidate_id, event_type)
        if isinstance(view, Response):
            return view
        return kit.render(request, "event_form.html", who, session, view=view, event_type=event_type,
                      title=forms.TITLES[event_type], fields=forms.form_fields(event_type, sites_of(view)),
                      error=None, key=uuid.uuid4().hex)

    @router.post("/candidatures/{candidate_id}/evenements/{event_type}")
    async def send_event(candidate_id: str, event_type: str, request: Request) -> Response:
        who, session = kit.session_of(request)
        form = await kit.form_of(request)
        if who.role == Role.anonymous:
            return RedirectResponse("/connexion", status_code=303)
        if not kit.csrf_ok(request, session, form):
            return kit.csrf_refused(request, who, session)
        view = await form_cycle(request, who, session, candidate_id, event_type)
        if isinstance(view, Response):
            return view
        fields = forms.form_fields(event_type, sites_of(view))
        event = forms.read_form(event_type, fields, form)
        key = (form.get("cle") or [""])[0][:64] or uuid.uuid4().hex
        error: str | None = None
        try:
            forms.validate(event)
            await engine.send_event(await kit.temporal(), candidate_id, event, f"page-{key}", actor=kit.gate.actor(who))
        except ValidationError as exc:
            for name, message in forms.model_errors(exc).items():
                target = next((f for f in fields if f.name == name), None)
                if target is not None:
                    target.error = message
                else:
                    error = message
        except engine.EngineError as exc:
            # The engine's own refusal (the cycle's update validator), beside the field it names.
            target = next((f for f in fields if exc.field and exc.field.split(".")[0] == f.name), None)
            if target is not None:
                target.error = exc.message
            else:
                error = exc.message
            log.info("page event refused", candidate=candidate_id, type=event_type, field=exc.field, token=who.token_id)
        else:
            return RedirectResponse(f"/candidatures/{candidate_id}?enregistre={event_type}", status_code=303)
        return kit.render(request, "event_form.html", who, session, 422, view=view, event_type=event_type,
                      title=forms.TITLES[event_type], fields=fields, error=error, key=uuid.uuid4().hex)

    return router
