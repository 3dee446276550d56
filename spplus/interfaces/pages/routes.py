"""The pages: sign-in, a body's dashboard and candidacies, a candidacy, its event forms, the public list.

Each page finds its caller from the session cookie and asks :class:`~spplus.interfaces.auth.Gate` what
the API's routes ask: the same roles, the same wall around a cycle. An event is sent through
:func:`spplus.client.send_event`, the API's own path, and a refusal is the engine's message shown beside
the field it names. Every form carries a CSRF token; every page a strict content security policy.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError
from starlette.staticfiles import StaticFiles
from temporalio.client import Client
from temporalio.service import RPCError

from ... import client as engine
from ...api.pagetokens import PageTokenRefused, PageTokens
from ...api.tokens import Role
from ...lifecycle.state import LabelStatus, Phase
from ...settings import PROJECT_ROOT, Settings
from ..auth import ANONYMOUS, Gate, Principal, Problem
from . import forms
from .session import SESSION_COOKIE, SIGN_IN_COOKIE, SIGN_IN_LIFETIME, Sessions

log = structlog.get_logger("spplus.pages")

HERE = Path(__file__).resolve().parent
DSFR_DIST = PROJECT_ROOT / "node_modules" / "@gouvfr" / "dsfr" / "dist"
PAGE_SIZE = 50
MAX_FORM_BYTES = 100_000

# Self only: the DSFR's style and script from /static, no inline script or style, no framing, forms post here only.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")

PHASES = {
    "preparation": "Préparation", "audit": "Audit", "decision": "Décision", "labelled": "Labellisé",
    "followup": "Audit de suivi", "action_plan": "Plan d'actions", "suspended": "Suspendu", "refused": "Refusé",
    "withdrawn": "Retiré", "expired": "Expiré", "renewing": "Renouvellement", "closed": "Clos",
}
STATUSES = {"none": "Aucun label", "valid": "Valide", "suspended": "Suspendu", "withdrawn": "Retiré", "expired": "Expiré"}
DEADLINE_KINDS = {"deadline": "Échéance", "reminder": "Rappel", "window_closes": "Fin de fenêtre",
                  "window": "Fenêtre du candidat", "transition": "Changement d'étape"}
DEADLINE_STATUSES = {"open": "Ouverte", "met": "Tenue", "missed": "Manquée", "done": "Faite", "cancelled": "Annulée"}
ROLES = {"body": "Organisme certificateur", "ditp": "DITP", "operator": "Exploitation"}
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]
TITLES = {401: "Connexion nécessaire", 403: "Accès refusé", 404: "Page introuvable", 409: "Conflit",
          422: "Demande refusée", 503: "Le moteur ne répond pas"}


def date_fr(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.day}{'er' if value.day == 1 else ''} {MONTHS[value.month - 1]} {value.year}"


def actor_fr(actor: str) -> str:
    kind, _, rest = actor.partition(":")
    if kind == "body":
        return f"organisme {rest}"
    if kind == "import":
        return f"import ({actor_fr(rest)})"
    if kind == "ditp":
        return "DITP"
    if kind == "operator":
        return "exploitation"
    return actor


def _environment(settings: Settings) -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(date_fr=date_fr, actor_fr=actor_fr, phase_fr=lambda v: PHASES.get(v or "", v or "—"),
                       status_fr=lambda v: STATUSES.get(v or "", v or "—"),
                       kind_fr=lambda v: DEADLINE_KINDS.get(v, v), deadline_status_fr=lambda v: DEADLINE_STATUSES.get(v, v))
    env.globals.update(theme=settings.theme, roles=ROLES, phases=PHASES, statuses=STATUSES)
    return env


def mount_pages(app: FastAPI, gate: Gate, temporal: Callable[[], Awaitable[Client]], settings: Settings,
                page_tokens: PageTokens, key: bytes) -> None:
    """Add the pages and their static files to the API's app."""
    if settings.theme == "dsfr":
        if not DSFR_DIST.is_dir():
            log.warning("the DSFR is not installed: run make install (npm ci); pages are served unstyled", path=str(DSFR_DIST))
        app.mount("/static/dsfr", StaticFiles(directory=DSFR_DIST, check_dir=False), name="dsfr")
    app.mount("/static/pages", StaticFiles(directory=HERE / "static"), name="pages-static")
    app.include_router(_router(gate, temporal, settings, page_tokens, Sessions(key)))


def _router(gate: Gate, temporal: Callable[[], Awaitable[Client]], settings: Settings, page_tokens: PageTokens,
            sessions: Sessions) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    templates = _environment(settings)

    # ------------------------------------------------------------------ who, and the forms' tokens
    def session_of(request: Request) -> tuple[Principal, str | None]:
        value = request.cookies.get(SESSION_COOKIE)
        token_id = sessions.read(value)
        who = gate.by_token_id(token_id) if token_id else None
        return (who, value) if who is not None else (ANONYMOUS, None)

    def binding(request: Request, session: str | None) -> tuple[str, str | None]:
        """What the forms' CSRF token is bound to, and a new sign-in cookie to set when there is none yet."""
        if session:
            return session, None
        nonce = request.cookies.get(SIGN_IN_COOKIE)
        if nonce and 16 <= len(nonce) <= 64:
            return nonce, None
        nonce = sessions.sign_in_nonce()
        return nonce, nonce

    def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")

    def render(request: Request, template: str, who: Principal, session: str | None, status: int = 200,
               **context: Any) -> HTMLResponse:
        bound, new_nonce = binding(request, session)
        html = templates.get_template(template).render(
            request=request, who=who, csrf=sessions.csrf(bound), path=request.url.path, **context)
        response = HTMLResponse(html, status_code=status)
        response.headers["Content-Security-Policy"] = PAGE_CSP
        response.headers["Cache-Control"] = "no-store"
        if new_nonce:
            set_cookie(request, response, SIGN_IN_COOKIE, new_nonce, SIGN_IN_LIFETIME)
        return response

    def refused(request: Request, who: Principal, session: str | None, problem: Problem) -> Response:
        if problem.status == 401:
            return RedirectResponse("/connexion", status_code=303)
        message = problem.detail
        if problem.status == 404:
            message = "Aucune candidature de ce nom que votre compte peut lire."
        elif problem.status == 403:
            message = f"Votre compte ({ROLES.get(who.role.value, who.role.value)}) ne peut pas faire cela. ({problem.detail})"
        log.warning("page refused", status=problem.status, role=who.role.value, token=who.token_id, body=who.body,
                    path=request.url.path, why=problem.detail[:300])
        return render(request, "error.html", who, session, problem.status,
                      title=TITLES.get(problem.status, "Erreur"), message=message)

    async def form_of(request: Request) -> dict[str, list[str]]:
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return {}
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return {}
        return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=500)

    def csrf_refused(request: Request, who: Principal, session: str | None) -> Response:
        log.warning("page refused: csrf", role=who.role.value, token=who.token_id, path=request.url.path)
        return render(request, "error.html", who, session, 403, title="Formulaire refusé",
                      message="Ce formulaire a expiré ou ne vient pas de ces pages : rechargez la page et recommencez.")

    def csrf_ok(request: Request, session: str | None, form: dict[str, list[str]]) -> bool:
        bound = session or request.cookies.get(SIGN_IN_COOKIE)
        return sessions.csrf_ok(bound, (form.get("csrf") or [""])[0])

    # ------------------------------------------------------------------ home, sign-in, sign-out
    @router.get("/")
    async def home(request: Request) -> Response:
        who, _ = session_of(request)
        return RedirectResponse("/tableau-de-bord" if who.role != Role.anonymous else "/connexion", status_code=303)

    @router.get("/connexion")
    async def sign_in_form(request: Request) -> Response:
        who, session = session_of(request)
        return render(request, "sign_in.html", who, session, error=None)

    @router.post("/connexion")
    async def sign_in(request: Request) -> Response:
        who, session = session_of(request)
        form = await form_of(request)
        if not csrf_ok(request, session, form):
            return csrf_refused(request, who, session)
        secret = (form.get("jeton") or [""])[0].strip()
        try:
            if not secret:
                raise Problem(401, "Unauthorized", "empty")
            signed_in = gate.by_secret(secret)
        except Problem:
            log.warning("page sign-in refused", path=request.url.path)
            return render(request, "sign_in.html", who, session, 401,
                          error="Ce jeton n'est pas reconnu, ou il a été révoqué. Collez le jeton reçu de l'administrateur.")
        response = RedirectResponse("/tableau-de-bord", status_code=303)
        set_cookie(request, response, SESSION_COOKIE, sessions.issue(str(signed_in.token_id)), sessions.lifetime)
        response.delete_cookie(SIGN_IN_COOKIE, path="/")
        log.info("page sign-in", role=signed_in.role.value, token=signed_in.token_id, body=signed_in.body)
        return response

    @router.post("/deconnexion")
    async def sign_out(request: Request) -> Response:
        who, session = session_of(request)
        form = await form_of(request)
        if session and not csrf_ok(request, session, form):
            return csrf_refused(request, who, session)
        response = RedirectResponse("/connexion", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                               secure=request.url.scheme == "https")
        return response

    # ------------------------------------------------------------------ a body's day
    @router.get("/tableau-de-bord")
    async def dashboard(request: Request) -> Response:
        who, session = session_of(request)
        try:
            body = gate.list_scope(who, None)
            client = await temporal()
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
            return refused(request, who, session, problem)
        return render(request, "dashboard.html", who, session, sections=sections, body=body)

    @router.get("/candidatures")
    async def candidacies(request: Request) -> Response:
        who, session = session_of(request)
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
            body = gate.list_scope(who, None)
            due = engine.paris_today() + timedelta(days=due_within) if due_within is not None else None
            query = engine.list_query(phase, body, status, due, overdue=overdue, with_breaches=breaches)
            token = None
            if q.get("page"):
                try:
                    token = page_tokens.read(q["page"], query)
                except PageTokenRefused:
                    errors["page"] = "Cette page de la liste a expiré ou ne correspond pas aux filtres : la liste reprend au début."
            try:
                items, next_raw = await engine.list_cycles_page(await temporal(), query, PAGE_SIZE, token)
            except RPCError:
                if token is None:
                    raise
                errors["page"] = "Cette page de la liste n'est plus lisible : la liste reprend au début."
                items, next_raw = await engine.list_cycles_page(await temporal(), query, PAGE_SIZE, None)
        except Problem as problem:
            return refused(request, who, session, problem)
        next_link = ("/candidatures?" + urlencode({**filters, "page": page_tokens.issue(next_raw, query)})) if next_raw else None
        return render(request, "candidacies.html", who, session, items=items, filters=filters, errors=errors,
                      next_link=next_link, first_link="/candidatures?" + urlencode(filters) if q.get("page") else None)

    @router.get("/candidatures/{candidate_id}")
    async def candidacy(candidate_id: str, request: Request) -> Response:
        who, session = session_of(request)
        try:
            view = await gate.own_cycle(who, candidate_id, act=False)
            timeline = await engine.get_timeline(await temporal(), candidate_id)
        except Problem as problem:
            return refused(request, who, session, problem)
        except engine.EngineError as exc:
            return refused(request, who, session, Problem(404, "Not Found", exc.message))
        saved = request.query_params.get("enregistre")
        return render(request, "candidacy.html", who, session, view=view, timeline=timeline,
                      saved=forms.TITLES.get(saved or ""), form_types=[(t, forms.TITLES[t]) for t in forms.FORM_TYPES],
                      may_act=who.role == Role.body)

    # ------------------------------------------------------------------ event forms
    def sites_of(view: Any) -> list[tuple[str, str]]:
        return [(site.id, site.name) for site in view.candidate.sites]

    async def form_cycle(request: Request, who: Principal, session: Any, candidate_id: str, event_type: str) -> Any:
        """The cycle a form acts on, or the page that refuses it (an unknown form, a cycle one may not act on)."""
        if event_type not in forms.FORM_TYPES:
            return refused(request, who, session, Problem(404, "Not Found", "no such form"))
        try:
            return await gate.own_cycle(who, candidate_id, act=True)
        except Problem as problem:
            return refused(request, who, session, problem)

    @router.get("/candidatures/{candidate_id}/evenements/{event_type}")
    async def event_form(candidate_id: str, event_type: str, request: Request) -> Response:
        who, session = session_of(request)
        view = await form_cycle(request, who, session, candidate_id, event_type)
        if isinstance(view, Response):
            return view
        return render(request, "event_form.html", who, session, view=view, event_type=event_type,
                      title=forms.TITLES[event_type], fields=forms.form_fields(event_type, sites_of(view)),
                      error=None, key=uuid.uuid4().hex)

    @router.post("/candidatures/{candidate_id}/evenements/{event_type}")
    async def send_event(candidate_id: str, event_type: str, request: Request) -> Response:
        who, session = session_of(request)
        form = await form_of(request)
        if who.role == Role.anonymous:
            return RedirectResponse("/connexion", status_code=303)
        if not csrf_ok(request, session, form):
            return csrf_refused(request, who, session)
        view = await form_cycle(request, who, session, candidate_id, event_type)
        if isinstance(view, Response):
            return view
        fields = forms.form_fields(event_type, sites_of(view))
        event = forms.read_form(event_type, fields, form)
        key = (form.get("cle") or [""])[0][:64] or uuid.uuid4().hex
        error: str | None = None
        try:
            forms.validate(event)
            await engine.send_event(await temporal(), candidate_id, event, f"page-{key}", actor=gate.actor(who))
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
        return render(request, "event_form.html", who, session, 422, view=view, event_type=event_type,
                      title=forms.TITLES[event_type], fields=fields, error=error, key=uuid.uuid4().hex)

    # ------------------------------------------------------------------ public
    @router.get("/liste-publique")
    async def public_list(request: Request) -> Response:
        who, session = session_of(request)
        rows = await engine.public_list(await temporal())
        search = (request.query_params.get("q") or "").strip()[:200]
        if search:
            rows = [r for r in rows if search.lower() in (r.get("candidate") or "").lower()]
        return render(request, "public_list.html", who, session, rows=rows, search=search)

    return router
