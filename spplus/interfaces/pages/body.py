"""A certification body's day: its dashboard, its candidacies (filtered, searched, paginated), a candidacy's page.

Every list is one visibility query on the cycles' search attributes (``spplus/search_attributes.py``), scoped by
``kit.gate.list_scope`` (a body sees its own cycles; the DITP and operators all): no cycle is ever read one by one.
Each list page answers with a ``Server-Timing`` header (``app;dur=<ms>``), the server time ``bench/pages.py`` reads.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.convertors import Convertor, register_url_convertor

from ... import client as engine
from ...api.tokens import Role
from ...calendar import shift
from ...rules.models import Anchor, RuleNotInForce, RuleSet, Unit
from ..auth import Problem
from . import forms
from .kit import PAGE_SIZE, PHASES, STATUSES, Kit, date_fr, whole_number

DASHBOARD_ROWS = 10  # rows shown in each dashboard section (its count and its link give the rest)
MAX_DAYS = 3650
SEARCH_MAX_CHARS = 100
# Only when the rules in force have no renewal notice to read (deadlines.renewal_invitation, counted back from the
# expiry): the labels-expiring horizon then comes from ?horizon=<days>, this by default, and the page says so.
FALLBACK_HORIZON_DAYS = 180


# ---------------------------------------------------------------------------------------------- the rules' lists
def rules_in_force(kit: Kit) -> RuleSet | None:
    """The rules in force (the current rules folder), or None when they cannot be read (the pages still answer)."""
    from activities.rules import find_edition

    from ...rules.loader import RuleSetInvalid

    try:
        return find_edition(kit.settings, None)
    except (LookupError, RuleSetInvalid):
        return None


def territories_of(rules: RuleSet | None, today: date) -> dict[str, str]:
    """The rules' territories (calendars.yaml), id → label, in the rules' order."""
    try:
        return {t.id: t.label for t in rules.calendars.territories.at(today)} if rules else {}
    except RuleNotInForce:
        return {}


def tiers_of(rules: RuleSet | None, today: date) -> dict[str, str]:
    """The rules' tiers (tiers.yaml), id → label, lowest first."""
    try:
        return {t.id: t.label for t in rules.tiers.tiers.at(today)} if rules else {}
    except RuleNotInForce:
        return {}


def renewal_horizon(rules: RuleSet | None, today: date) -> date | None:
    """The last expiry date whose renewal invitation has come by ``today``: ``today`` moved forward by the rules'
    renewal notice (deadlines.renewal_invitation: 9 months before the expiry, §3.10). None when the rules have no
    such notice counted back from the expiry in calendar units."""
    if rules is None:
        return None
    try:
        delay = rules.deadlines.renewal_invitation.at(today)
    except RuleNotInForce:
        return None
    if delay.direction != "before" or delay.anchor != Anchor.expiry or delay.unit == Unit.working_days:
        return None
    return shift(today, delay.amount, delay.unit, backwards=False)


@dataclass
class Horizon:
    """Up to which expiry a label is « expiring »: the rules' renewal notice, or ?horizon= when they have none."""

    until: date
    from_rules: bool
    days: int
    error: str | None = None


def horizon_of(rules: RuleSet | None, today: date, asked: str | None) -> Horizon:
    until = renewal_horizon(rules, today)
    if until is not None:
        return Horizon(until, True, (until - today).days)
    days, error = FALLBACK_HORIZON_DAYS, None
    if asked:
        chosen = whole_number(asked, MAX_DAYS)
        if chosen is not None:
            days = chosen
        else:
            error = f"Écrivez un nombre de jours, de 0 à {MAX_DAYS}."
    return Horizon(today + timedelta(days=days), False, days, error)


# ---------------------------------------------------------------------------------------------- the list's filters
@dataclass
class Filters:
    """A list's filters as asked (``values``: what the form shows and the links carry, the valid ones only), the
    French message beside each field whose value was refused, and the criteria of :func:`spplus.client.list_query`."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    criteria: dict[str, Any] = field(default_factory=dict)


def days_field(raw: str | None) -> tuple[int | None, str | None]:
    if not raw or not raw.strip():
        return None, None
    days = whole_number(raw, MAX_DAYS)
    if days is not None:
        return days, None
    return None, f"Écrivez un nombre de jours, de 0 à {MAX_DAYS}."


def search_field(raw: str | None) -> tuple[str | None, str | None]:
    text = (raw or "").strip()
    if not text:
        return None, None
    if len(text) > SEARCH_MAX_CHARS:
        return None, f"Écrivez au plus {SEARCH_MAX_CHARS} caractères."
    try:
        engine.search_clause(text)
    except engine.SearchRefused:
        return None, "Écrivez au moins un mot du nom du service ou d'un de ses sites, ou le début de son identifiant."
    return text, None


def read_filters(q: Any, today: date, territories: dict[str, str], tiers: dict[str, str], horizon: Horizon) -> Filters:
    """The candidacies list's filters from the query string; a value refused is dropped and told beside its field."""
    f = Filters()

    def choice(name: str, allowed: dict[str, str], criterion: str, message: str) -> None:
        value = q.get(name) or None
        if value is None:
            return
        if value not in allowed:
            f.errors[name] = message
            return
        f.values[name], f.criteria[criterion] = value, value

    choice("etape", PHASES, "phase", "Choisissez une étape de la liste.")
    choice("statut", STATUSES, "status", "Choisissez un statut de la liste.")
    choice("niveau", tiers, "tier", "Choisissez un niveau de la liste.")
    choice("territoire", territories, "territory", "Choisissez un territoire de la liste.")
    due, error = days_field(q.get("echeance_sous"))
    if error:
        f.errors["echeance_sous"] = error
    elif due is not None:
        f.values["echeance_sous"], f.criteria["due_before"] = str(due), today + timedelta(days=due)
    expiring, error = days_field(q.get("expire_sous"))
    if error:
        f.errors["expire_sous"] = error
    elif expiring is not None:
        f.values["expire_sous"], f.criteria["expiring_before"] = str(expiring), today + timedelta(days=expiring)
    for name, criterion in (("en_retard", "overdue"), ("manquements", "with_breaches"), ("audit_prevu", "audit_planned")):
        if q.get(name) == "1":
            f.values[name], f.criteria[criterion] = "1", True
    if q.get("a_inviter") == "1":
        f.values["a_inviter"] = "1"
        f.criteria["not_renewing"] = True
        f.criteria["expiring_before"] = min(f.criteria.get("expiring_before", horizon.until), horizon.until)
        if not horizon.from_rules:
            f.values["horizon"] = str(horizon.days)
    text, error = search_field(q.get("q"))
    if error:
        f.errors["q"] = error
    elif text:
        f.values["q"], f.criteria["search"] = text, text
    return f


# ---------------------------------------------------------------------------------------------- helpers
def timed(response: Response, started: float) -> Response:
    """The server's time for this page, as a Server-Timing header (read by bench/pages.py and browsers' devtools)."""
    response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


def whole_page_for_history(request: Request) -> Request:
    """htmx restoring a page missing from its history cache asks for it with HX-Request too, and puts the answer in
    place of the whole body: it gets the whole page, not the fragment."""
    if request.headers.get("HX-History-Restore-Request") != "true":
        return request
    scope = dict(request.scope)
    scope["headers"] = [(k, v) for k, v in request.scope["headers"] if k.lower() != b"hx-request"]
    return Request(scope, request.receive)


class CandidacyId(Convertor[str]):
    """A candidacy's id in a page's address, but for ``nouvelle``: /candidatures/nouvelle is the form that opens one
    (pages/events.py), whose router comes after this one."""

    regex = "(?!nouvelle$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("candidacy", CandidacyId())


def expiring_hint(horizon: Horizon) -> str:
    where = ("le délai d'invitation au renouvellement des règles" if horizon.from_rules else
             f"{horizon.days} jours : les règles n'ont pas de délai d'invitation au renouvellement ; réglable par ?horizon=")
    return f"Label valide ou suspendu expirant au plus tard le {date_fr(horizon.until)} ({where})."


def routes(kit: Kit) -> APIRouter:
    router = kit.router()

    # ------------------------------------------------------------------ a body's day
    @router.get("/tableau-de-bord")
    async def dashboard(request: Request) -> Response:
        started = time.perf_counter()
        who, session = kit.session_of(request)
        try:
            body = kit.gate.list_scope(who, None)
        except Problem as problem:
            return kit.refused(request, who, session, problem)
        today = engine.paris_today()
        rules = rules_in_force(kit)
        horizon = horizon_of(rules, today, request.query_params.get("horizon"))
        week = today + timedelta(days=7)
        # The expiring labels' link asks the list for the same days; ?horizon= is carried only when it set them.
        kept = {} if horizon.from_rules else {"horizon": str(horizon.days)}
        sections = [
            ("semaine", "Échéances des 7 prochains jours",
             f"La prochaine échéance tombe au plus tard le {date_fr(week)} (7 jours après aujourd'hui, date de Paris).",
             {"due_before": week}, {"echeance_sous": "7"}),
            ("retard", "En retard", "Une échéance manquée et toujours pas faite.", {"overdue": True}, {"en_retard": "1"}),
            ("manquements", "Manquements enregistrés", "Au moins un manquement enregistré dans le cycle.",
             {"with_breaches": True}, {"manquements": "1"}),
            ("audits", "Audits prévus",
             ("Dates d'audit fixées et audit pas encore décidé : en préparation avec une échéance en cours (dossier, "
              "plan d'audit), ou audit de suivi en cours."), {"audit_planned": True}, {"audit_prevu": "1"}),
            ("expirations", "Labels qui expirent", expiring_hint(horizon),
             {"expiring_before": horizon.until}, {"expire_sous": str(horizon.days), **kept}),
            ("renouvellements", "Renouvellements à inviter",
             "Label dans son délai d'invitation au renouvellement, sans renouvellement demandé.",
             {"expiring_before": horizon.until, "not_renewing": True}, {"a_inviter": "1", **kept}),
        ]
        client = await kit.temporal()

        async def section(key: str, title: str, hint: str, criteria: dict[str, Any], link: dict[str, str]) -> dict[str, Any]:
            query = engine.list_query(body=body, **criteria)
            (rows, _), count = await asyncio.gather(engine.list_cycles_page(client, query, DASHBOARD_ROWS, None),
                                                    engine.count_cycles(client, query))
            return {"key": key, "title": title, "hint": hint, "rows": rows, "count": count,
                    "link": "/candidatures?" + urlencode(link)}

        shown = await asyncio.gather(*(section(*s) for s in sections))
        return timed(kit.render(request, "dashboard.html", who, session, sections=shown, body=body, today=today,
                                tier_labels=tiers_of(rules, today), horizon_error=horizon.error), started)

    @router.get("/candidatures")
    async def candidacies(request: Request) -> Response:
        started = time.perf_counter()
        request = whole_page_for_history(request)
        who, session = kit.session_of(request)
        try:
            body = kit.gate.list_scope(who, None)
        except Problem as problem:
            return kit.refused(request, who, session, problem)
        q = request.query_params
        today = engine.paris_today()
        rules = rules_in_force(kit)
        territories, tiers = territories_of(rules, today), tiers_of(rules, today)
        horizon = horizon_of(rules, today, q.get("horizon"))
        filters = read_filters(q, today, territories, tiers, horizon)
        errors = filters.errors
        if horizon.error and q.get("a_inviter") == "1":
            errors["a_inviter"] = "L'horizon demandé (?horizon=) n'est pas un nombre de jours : " + horizon.error
        query = engine.list_query(body=body, **filters.criteria)
        client = await kit.temporal()
        listed = await kit.page(request, query, lambda at: engine.list_cycles_page(client, query, PAGE_SIZE, at), "/candidatures",
                                filters.values, count=lambda: engine.count_cycles(client, query))
        if listed.error:
            errors["page"] = listed.error
        if listed.unsearchable:
            # A filter the visibility store cannot search (a server not yet given this engine's search attributes).
            errors["liste"] = "Ces filtres ne peuvent pas être cherchés pour l'instant : retirez le territoire ou la recherche."
        items, total, next_link = listed.rows, listed.total, listed.next_link
        first_link = listed.first_link if q.get("page") else None
        return timed(kit.render(request, "candidacies.html", who, session, items=items, filters=filters.values, errors=errors,
                                total=total, next_link=next_link, first_link=first_link, territories=territories,
                                tiers=tiers, tier_labels=tiers, horizon=horizon, may_open=who.role == Role.body), started)

    @router.get("/candidatures/{candidate_id:candidacy}")
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
