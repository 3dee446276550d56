"""What every page shares: who is calling, the forms' CSRF tokens, rendering, and refusing in French.

A :class:`Kit` is made once by :func:`~spplus.interfaces.pages.mount_pages`; each area of the pages
(``account``, ``body``, ``events``, ``public``, ``ditp``, ``operators``, ``central``) is a function
``routes(kit) -> APIRouter`` that uses it. Authorisation is never decided here: a page asks
:class:`~spplus.interfaces.auth.Gate` what the API's routes ask, and shows its :class:`Problem` in French.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from ...api.pagetokens import PageTokenRefused, PageTokens
from ...settings import Settings
from ..auth import ANONYMOUS, Gate, Principal, Problem
from .session import SESSION_COOKIE, SIGN_IN_COOKIE, SIGN_IN_LIFETIME, Sessions

log = structlog.get_logger("spplus.pages")

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 50
MAX_FORM_BYTES = 100_000

# Self only: the DSFR's style and script from /static, no inline script or style, no framing, forms post here only.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")

PHASES = {
    "opening": "Ouverture", "preparation": "Préparation", "audit": "Audit", "decision": "Décision",
    "labelled": "Labellisé", "followup": "Audit de suivi", "action_plan": "Plan d'actions", "suspended": "Suspendu",
    "refused": "Refusé", "withdrawn": "Retiré", "expired": "Expiré", "renewing": "Renouvellement", "closed": "Clos",
}
STATUSES = {"none": "Aucun label", "valid": "Valide", "suspended": "Suspendu", "withdrawn": "Retiré", "expired": "Expiré"}
TIERS = {"bronze": "Bronze", "silver": "Argent", "gold": "Or"}
DEADLINE_KINDS = {"deadline": "Échéance", "reminder": "Rappel", "window_closes": "Fin de fenêtre",
                  "window": "Fenêtre du candidat", "transition": "Changement d'étape"}
DEADLINE_STATUSES = {"open": "Ouverte", "met": "Tenue", "missed": "Manquée", "done": "Faite", "cancelled": "Annulée"}
ROLES = {"body": "Organisme certificateur", "ditp": "DITP", "operator": "Exploitation"}
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]
TITLES = {401: "Connexion nécessaire", 403: "Accès refusé", 404: "Page introuvable", 409: "Conflit",
          413: "Envoi trop volumineux", 422: "Demande refusée", 503: "Le moteur ne répond pas"}


def date_fr(value: Any) -> str:
    """``2026-11-01`` → ``1er novembre 2026``; ``None`` → ``—``."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.day}{'er' if value.day == 1 else ''} {MONTHS[value.month - 1]} {value.year}"


def whole_number(raw: str | None, most: int) -> int | None:
    """A whole number from 0 to ``most`` typed in an address or a form, or None. ASCII digits only: ``str.isdigit``
    says yes to « ² », which ``int`` refuses, and ``int`` refuses more than 4,300 digits."""
    text = (raw or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    text = text.lstrip("0") or "0"
    return int(text) if len(text) <= len(str(most)) and int(text) <= most else None


def actor_fr(actor: str) -> str:
    """Who entered a fact, in French: ``body:oc-1`` → ``organisme oc-1``."""
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


def environment(settings: Settings) -> Environment:
    """The templates beside this module, autoescaped, with the French filters."""
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(date_fr=date_fr, actor_fr=actor_fr, phase_fr=lambda v: PHASES.get(v or "", v or "—"),
                       status_fr=lambda v: STATUSES.get(v or "", v or "—"), tier_fr=lambda v: TIERS.get(v or "", v or "—"),
                       kind_fr=lambda v: DEADLINE_KINDS.get(v, v), deadline_status_fr=lambda v: DEADLINE_STATUSES.get(v, v))
    env.globals.update(theme=settings.theme, roles=ROLES, phases=PHASES, statuses=STATUSES, tiers=TIERS)
    return env


ReadPage = Callable[[bytes | None], Awaitable[tuple[list[Any], bytes | None]]]


@dataclass
class Page:
    """One page of a list: its rows, the total when counted, the links to the next and the first page.

    ``error`` says why the list starts again from its beginning (a page token expired, forged or no longer
    readable); ``unsearchable`` that the visibility store cannot search these filters (the rows are then empty).
    """

    rows: list[Any] = field(default_factory=list)
    total: int | None = None
    next_link: str | None = None
    first_link: str | None = None
    error: str | None = None
    unsearchable: bool = False


@dataclass
class Kit:
    """The pages' shared machinery (one per app)."""

    gate: Gate
    temporal: Callable[[], Awaitable[Client]]
    settings: Settings
    page_tokens: PageTokens
    sessions: Sessions
    templates: Environment = field(init=False)

    def __post_init__(self) -> None:
        self.templates = environment(self.settings)

    def router(self) -> APIRouter:
        """An area's router: its pages answer a French page, never the API's JSON, when Temporal does not answer."""
        kit = self

        class PageRoute(APIRoute):
            def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
                handler = super().get_route_handler()

                async def handled(request: Request) -> Response:
                    try:
                        return await handler(request)
                    except Problem as problem:  # one a page did not catch: still a French page
                        who, session = kit.session_of(request)
                        return kit.refused(request, who, session, problem)
                    except (RPCError, OSError) as exc:
                        return kit.outage(request, exc)
                    except RuntimeError as exc:  # the client's "Failed client connect"
                        if "connect" not in str(exc).lower():
                            raise
                        return kit.outage(request, exc)

                return handled

        return APIRouter(include_in_schema=False, route_class=PageRoute)

    def outage(self, request: Request, exc: Exception) -> Response:
        """503, in French: the engine's Temporal server did not answer (nothing of its internals shown)."""
        log.error("page: temporal did not answer", path=request.url.path, error=type(exc).__name__, message=str(exc)[:300])
        who, session = self.session_of(request)
        return self.render(request, "error.html", who, session, 503, title=TITLES[503],
                           message="Le moteur ne répond pas pour l'instant. Réessayez dans une minute ; "
                                   "si cela dure, prévenez l'équipe d'exploitation.")

    async def page(self, request: Request, query: str, read: ReadPage, path: str, values: dict[str, str],
                   param: str = "page", count: Callable[[], Awaitable[int]] | None = None) -> Page:
        """The page of ``query`` that the request's ``param`` names (signed, bound to the query), read by ``read``.

        ``values`` are the other parameters its links keep. A token that is stale, forged or no longer readable
        starts the list again, told in ``Page.error``; a visibility store that cannot search the query gives
        ``Page.unsearchable``. ``count`` (a visibility count) runs beside the read.
        """
        out, token = Page(), None
        if request.query_params.get(param):
            try:
                token = self.page_tokens.read(request.query_params[param], query)
            except PageTokenRefused:
                out.error = "Cette page de la liste a expiré ou ne correspond plus à la recherche : la liste reprend au début."

        async def fetch(at: bytes | None) -> tuple[tuple[list[Any], bytes | None], int | None]:
            if count is None:
                return await read(at), None
            return await asyncio.gather(read(at), count())  # type: ignore[return-value]

        try:
            try:
                (out.rows, next_raw), out.total = await fetch(token)
            except RPCError as exc:
                if token is None or exc.status == RPCStatusCode.UNAVAILABLE:
                    raise
                out.error = "Cette page de la liste n'est plus lisible : la liste reprend au début."
                (out.rows, next_raw), out.total = await fetch(None)
        except RPCError as exc:
            if exc.status != RPCStatusCode.INVALID_ARGUMENT:
                raise
            out.unsearchable = True
            return out
        if next_raw:
            out.next_link = f"{path}?" + urlencode({**values, param: self.page_tokens.issue(next_raw, query)})
        if token is not None:
            out.first_link = f"{path}?" + urlencode(values) if values else path
        return out

    # ------------------------------------------------------------------ who, and the forms' tokens
    def session_of(self, request: Request) -> tuple[Principal, str | None]:
        """The signed-in caller and their session cookie, or (anonymous, None)."""
        value = request.cookies.get(SESSION_COOKIE)
        token_id = self.sessions.read(value)
        who = self.gate.by_token_id(token_id) if token_id else None
        return (who, value) if who is not None else (ANONYMOUS, None)

    def _binding(self, request: Request, session: str | None) -> tuple[str, str | None]:
        """What the forms' CSRF token is bound to, and a new sign-in cookie to set when there is none yet."""
        if session:
            return session, None
        nonce = request.cookies.get(SIGN_IN_COOKIE)
        if nonce and 16 <= len(nonce) <= 64:
            return nonce, None
        nonce = self.sessions.sign_in_nonce()
        return nonce, nonce

    @staticmethod
    def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")

    def render(self, request: Request, template: str, who: Principal, session: str | None, status: int = 200,
               **context: Any) -> HTMLResponse:
        """A template as a page, with the CSRF token, the CSP and no caching.

        An htmx request (``HX-Request``) for a template that has a ``fragment`` block gets that block only.
        """
        bound, new_nonce = self._binding(request, session)
        values = dict(request=request, who=who, csrf=self.sessions.csrf(bound), path=request.url.path, **context)
        compiled = self.templates.get_template(template)
        if request.headers.get("HX-Request") == "true" and "fragment" in compiled.blocks:
            html = "".join(compiled.blocks["fragment"](compiled.new_context(values)))
        else:
            html = compiled.render(values)
        response = HTMLResponse(html, status_code=status)
        response.headers["Content-Security-Policy"] = PAGE_CSP
        response.headers["Cache-Control"] = "no-store"
        if new_nonce:
            self.set_cookie(request, response, SIGN_IN_COOKIE, new_nonce, SIGN_IN_LIFETIME)
        return response

    def refused(self, request: Request, who: Principal, session: str | None, problem: Problem) -> Response:
        """A refusal as a French page (401 goes to the sign-in page); another body's cycle reads as missing."""
        if problem.status == 401:
            return RedirectResponse("/connexion", status_code=303)
        if problem.status == 503:
            return self.outage(request, problem)
        message = problem.detail
        if problem.status == 404:
            message = "Rien de ce nom que votre compte peut lire."
        elif problem.status == 403:
            message = f"Votre compte ({ROLES.get(who.role.value, who.role.value)}) ne peut pas faire cela. ({problem.detail})"
        log.warning("page refused", status=problem.status, role=who.role.value, token=who.token_id, body=who.body,
                    path=request.url.path, why=problem.detail[:300])
        return self.render(request, "error.html", who, session, problem.status,
                           title=TITLES.get(problem.status, "Erreur"), message=message)

    async def form_of(self, request: Request) -> dict[str, list[str]]:
        """A url-encoded form (at most 100 kB, 500 fields); anything else reads as empty."""
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return {}
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return {}
        try:
            return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=500)
        except ValueError:  # more than 500 fields
            return {}

    def csrf_refused(self, request: Request, who: Principal, session: str | None) -> Response:
        log.warning("page refused: csrf", role=who.role.value, token=who.token_id, path=request.url.path)
        return self.render(request, "error.html", who, session, 403, title="Formulaire refusé",
                           message="Ce formulaire a expiré ou ne vient pas de ces pages : rechargez la page et recommencez.")

    def unposted(self, request: Request, who: Principal, session: str | None,
                 form: dict[str, list[str]]) -> Response | None:
        """Why a posted form may not go on, as the answer to give (signed out: to the sign-in page; no valid CSRF
        token: the French refusal), or None when it may. Roles are the gate's, asked after this."""
        if who.role == ANONYMOUS.role:
            return RedirectResponse("/connexion", status_code=303)
        if not self.csrf_ok(request, session, form):
            return self.csrf_refused(request, who, session)
        return None

    def csrf_ok(self, request: Request, session: str | None, form: dict[str, list[str]]) -> bool:
        bound = session or request.cookies.get(SIGN_IN_COOKIE)
        return self.sessions.csrf_ok(bound, (form.get("csrf") or [""])[0])
