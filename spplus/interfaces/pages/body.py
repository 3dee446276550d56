"""A certification body's day: its dashboard, its candidacies (filtered, paginated), a candidacy's page."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from temporalio.service import RPCError

from ... import client as engine
from ...api.pagetokens import PageTokenRefused
from ...api.tokens import Role
from ...lifecycle.state import LabelStatus, Phase
from ..auth import Problem
from . import forms
from .kit import PAGE_SIZE, Kit


def routes(kit: Kit) -> APIRouter:
    router = kit.router()

    # ------------------------------------------------------------------ a body's day
    @router.get("/tableau-de-bord")
    async def dashboard(request: Request) -> Response:
        who, session = kit.session_of(request)
        try:
            body = kit.gate.list_scope(who, None)
            client = await kit.temporal()
            week = engine.paris_today() + timedelta(days=7)
            sections = []
            for key, title, query, link in (
                ("semaine", "Échéances des 7 prochains jours", engine.list_query(body=body, due_before=week),
                 "/candidatures?echeance_sous=7"),
                ("retard", "En retard", engine.list_query(body=body, overdue=True), "/candidatures?en_retard=1"),
                ("manquements", "Manquements enregistrés", engine.list_query(body=body, with_breaches=True),
                 "/candidatures?manquements=1"),
            ):
                items, more = await engine.list_cycles_page(client, query, PAGE_SIZE, None)
                sections.append({"key": key, "title": title, "rows": items, "more": more is not None, "link": link})
        except Problem as problem:
            return kit.refused(request, who, session, problem)
        return kit.render(request, "dashboard.html", who, session, sections=sections, body=body)

    @router.get("/candidatures")
    async def candidacies(request: Request) -> Response:
        who, session = kit.session_of(request)
        q = request.query_params
        errors: dict[str, str] = {}
        phase = q.get("etape") or None
        if phase and phase not in Phase.__members__:
            errors["etape"], phase = "Choisissez une étape de la liste.", None
        status = q.get("statut") or None
        if status and status not in LabelStatus.__members__:
            errors["statut"], status = "Choisissez un statut de la liste.", None
        due_within: int | None = None
        if q.get("echeance_sous"):
            raw = q["echeance_sous"].strip()
            if raw.isdigit() and int(raw) <= 3650:
                due_within = int(raw)
            else:
                errors["echeance_sous"] = "Écrivez un nombre de jours, de 0 à 3650."
        overdue, breaches = q.get("en_retard") == "1", q.get("manquements") == "1"
        filters = {k: v for k, v in (("etape", phase), ("statut", status),
                                     ("echeance_sous", None if due_within is None else str(due_within)),
                                     ("en_retard", "1" if overdue else None), ("manquements", "1" if breaches else None)) if v}
        try:
            body = kit.gate.list_scope(who, None)
            due = engine.paris_today() + timedelta(days=due_within) if due_within is not None else None
            query = engine.list_query(phase, body, status, due, overdue=overdue, with_breaches=breaches)
            token = None
            if q.get("page"):
                try:
                    token = kit.page_tokens.read(q["page"], query)
                except PageTokenRefused:
                    errors["page"] = "Cette page de la liste a expiré ou ne correspond pas aux filtres : la liste reprend au début."
            try:
                items, next_raw = await engine.list_cycles_page(await kit.temporal(), query, PAGE_SIZE, token)
            except RPCError:
                if token is None:
                    raise
                errors["page"] = "Cette page de la liste n'est plus lisible : la liste reprend au début."
                items, next_raw = await engine.list_cycles_page(await kit.temporal(), query, PAGE_SIZE, None)
        except Problem as problem:
            return kit.refused(request, who, session, problem)
        next_link = ("/candidatures?" + urlencode({**filters, "page": kit.page_tokens.issue(next_raw, query)})) if next_raw else None
        return kit.render(request, "candidacies.html", who, session, items=items, filters=filters, errors=errors,
                      next_link=next_link, first_link="/candidatures?" + urlencode(filters) if q.get("page") else None)

    @router.get("/candidatures/{candidate_id}")
    async def candidacy(candidate_id: str, request: Request) -> Response:
        who, session = kit.session_of(request)
        try:
            view = await kit.gate.own_cycle(who, candidate_id, act=False)
            timeline = await engine.get_timeline(await kit.temporal(), candidate_id)
        except Problem as problem:
            return kit.refused(request, who, session, problem)
        except engine.EngineError as exc:
            return kit.refused(request, who, session, Problem(404, "Not Found", exc.message))
        saved = request.query_params.get("enregistre")
        return kit.render(request, "candidacy.html", who, session, view=view, timeline=timeline,
                      saved=forms.TITLES.get(saved or ""), form_types=[(t, forms.TITLES[t]) for t in forms.FORM_TYPES],
                      may_act=who.role == Role.body)

    return router
