"""A body's forms: a new candidacy, every event of a cycle, a survey's CSV export, the decision.

Each form is generated from the engine's model (:mod:`.forms`) and sent through the engine's own path —
:func:`spplus.client.start_candidacy` and :func:`spplus.client.send_event`, as the API's ``POST /cycles`` and
``POST /cycles/{id}/events`` do, behind the same :class:`~spplus.interfaces.auth.Gate` — and the engine's
refusal is shown beside the field it names. The page decides nothing: the choices it offers are read from
the cycle's pinned rules, the survey's preview is the engine's edge scoring, the decision's proposal is the
one the engine computed when the visit's scores were recorded.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from ... import client as engine
from ...lifecycle.events import SurveyResults
from ...lifecycle.views import CycleView
from ...limits import SURVEY_CSV_BYTES
from ...rules.models import RuleSet
from ...settings import Settings
from ..auth import Principal, Problem
from . import forms
from .kit import Kit, whole_number
from .session import Sessions
from .uploads import multipart_of

log = structlog.get_logger("spplus.pages")

Choices = dict[str, list[tuple[str, str]]]
CSV_MEGABYTES = f"{SURVEY_CSV_BYTES / 1_000_000:.1f}".replace(".", ",")  # 1,9
ROWS_ASKED_MAX = 50  # ?lignes=N: rows a list of objects shows, at most


# ---------------------------------------------------------------------------------------------- the rules' lists
def pinned_rules(settings: Settings, edition: str | None, content_hash: str | None = None) -> RuleSet | None:
    """The rules edition a cycle pinned (``None``: the rules in force), as the engine's edge finds it; None when
    this machine does not hold it as pinned (the forms then offer free text, and the engine still judges)."""
    from activities.rules import find_edition

    from ...rules.loader import RuleSetInvalid

    try:
        rules = find_edition(settings, edition)
    except (LookupError, RuleSetInvalid):
        return None
    return rules if content_hash is None or rules.content_hash == content_hash else None


def rule_choices(rules: RuleSet | None, on: date) -> Choices:
    """The lists a form offers, read from the rules in force on ``on``: dossier items, reasons, tiers, engagements…"""
    if rules is None:
        return {}
    p = rules.procedures
    lists: dict[str, Any] = {
        "dossier_items": lambda: p.dossier_contents.at(on), "suspension_reasons": lambda: p.suspension_reasons.at(on),
        "withdrawal_reasons": lambda: p.withdrawal_reasons.at(on), "appeal_outcomes": lambda: p.appeal_outcomes.at(on),
        "territories": lambda: rules.calendars.territories.at(on),
        "domains": lambda: rules.perimeters.domains.at(on) if rules.perimeters else [],
        "authority_types": lambda: rules.perimeters.authority_types.at(on) if rules.perimeters else [],
    }
    out: Choices = {}
    for name, read in lists.items():
        try:
            out[name] = [(item.id, item.label) for item in read()]
        except LookupError:  # rules that do not reach ``on``: the field is free text
            continue
    try:
        out["tiers"] = [(t.id, t.label) for t in rules.tiers.tiers.at(on)]
        out["engagements"] = [(str(e.number), f"Engagement {e.number} : {e.title}") for e in rules.engagements.engagements.at(on)]
    except LookupError:
        pass
    return out


def cycle_choices(settings: Settings, view: CycleView) -> Choices:
    """A cycle's forms' lists: its sites, and its pinned edition's lists."""
    out = rule_choices(pinned_rules(settings, view.edition, view.content_hash), engine.paris_today())
    out["sites"] = [(site.id, f"{site.name} ({site.id})") for site in view.candidate.sites]
    return out


def rows_asked(request: Request, form: dict[str, list[str]] | None = None) -> dict[str, int]:
    """Rows each list of objects shows: those sent (and one spare), or ``?lignes=N`` for every list."""
    rows: dict[str, int] = {}
    asked = whole_number(request.query_params.get("lignes"), 10**9)
    if asked is not None:
        rows["*"] = min(asked, ROWS_ASKED_MAX)
    for key in form or {}:
        found = re.match(r"^([a-z_]+(?:\.[a-z_]+)*)\.(\d{1,3})\.", key)
        if found:
            rows[found.group(1)] = max(rows.get(found.group(1), 0), int(found.group(2)) + 2)
    return rows


# ---------------------------------------------------------------------------------------------- the decision's proposal
CRITERIA_FR = {"audit gold criteria": "Audit : critères Or", "agent survey": "Enquête agents", "user survey": "Enquête usagers"}


@dataclass
class _Held:
    """What :func:`spplus.lifecycle.checks.proposed_outcome_tier` reads of a cycle: the label held and the rules."""

    attestation: Any
    rules: RuleSet


def note_fr(value: Decimal | None) -> str:
    """A note /100 as people read it: two decimals, a comma (``76,28``); ``—`` when there is none."""
    return "—" if value is None else f"{value:.2f}".replace(".", ",")


def criterion_fr(name: str) -> str:
    found = re.fullmatch(r"audit engagement (\d+)", name)
    return f"Audit : engagement {found.group(1)}" if found else CRITERIA_FR.get(name, name)


def decision_proposal(view: CycleView, rules: RuleSet | None) -> dict[str, Any] | None:
    """What the rules propose for the audit under way — the engine's own computation, recorded with the visit's
    scores (``AuditRecord.proposal``), and at a follow-up the engine's :func:`proposed_outcome_tier` — with the
    criterion that decides it: what the next tier misses, or why no tier holds."""
    from ...lifecycle.checks import proposed_outcome_tier

    audit = view.current_audit
    if audit is None or audit.proposal is None:
        return None
    proposal = audit.proposal
    tier = proposal.tier if rules is None else proposed_outcome_tier(cast(Any, _Held(view.attestation, rules)), audit)
    order = list(dict.fromkeys(c.tier for c in proposal.criteria))
    labels = tier_labels(rules, proposal.at) or {t: t for t in order}
    above = order[order.index(tier) + 1] if tier in order and order.index(tier) + 1 < len(order) else None
    looked_at = order[0] if tier is None and order else above
    return {
        "tier": tier, "label": labels.get(tier or "", tier), "computed": proposal.tier, "held": tier != proposal.tier,
        "next": looked_at, "next_label": labels.get(looked_at or "", looked_at),
        "deciding": [_criterion(c) for c in proposal.failed(looked_at)] if looked_at else [],
        "criteria": [_criterion(c) | {"tier_label": labels.get(c.tier, c.tier)} for c in proposal.criteria],
        "reference": proposal.reference, "edition": proposal.edition, "at": proposal.at,
    }


def tier_labels(rules: RuleSet | None, on: date) -> dict[str, str]:
    try:
        return {t.id: t.label for t in rules.tiers.tiers.at(on)} if rules is not None else {}
    except LookupError:
        return {}


def _criterion(c: Any) -> dict[str, Any]:
    return {"name": criterion_fr(c.criterion), "value": note_fr(c.value), "threshold": note_fr(c.threshold),
            "passed": c.passed, "tier": c.tier}


# ---------------------------------------------------------------------------------------------- a survey between its two steps
class PendingSurveys:
    """A survey's CSV export between its preview and its confirmation: kept under the data folder with a random
    id, bound to the session that sent it (an HMAC of it) and to the candidacy, for an hour at most."""

    LIFETIME = 3600
    MAX_FILES = 200

    def __init__(self, folder: Path, sessions: Sessions) -> None:
        self.folder, self.sessions = folder, sessions

    def put(self, session: str, candidate: str, event: dict[str, Any]) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._prune()
        pending_id = secrets.token_urlsafe(18)
        record = {"binding": self.sessions.csrf(session), "candidate": candidate, "created": time.time(), "event": event}
        target = self.folder / f"{pending_id}.json"
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(record, out)
        return pending_id

    def take(self, pending_id: str, session: str, candidate: str) -> dict[str, Any] | None:
        """The survey kept under ``pending_id`` for this session and candidacy (then forgotten); else None."""
        if not re.fullmatch(r"[A-Za-z0-9_-]{20,40}", pending_id or ""):
            return None
        path = self.folder / f"{pending_id}.json"
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if time.time() - float(record.get("created", 0)) >= self.LIFETIME:
            path.unlink(missing_ok=True)
            return None
        ours = hmac.compare_digest(str(record.get("binding", "")), self.sessions.csrf(session))
        if not ours or record.get("candidate") != candidate:
            return None  # left for its owner
        path.unlink(missing_ok=True)
        return dict(record["event"])

    def _prune(self) -> None:
        files = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        old = time.time() - self.LIFETIME
        for number, path in enumerate(files):
            if path.stat().st_mtime < old or len(files) - number >= self.MAX_FILES:
                path.unlink(missing_ok=True)


def csv_text(data: bytes | None) -> tuple[str | None, str | None]:
    """The CSV export's text, or why it cannot be read (in French)."""
    if not data:
        return None, "Choisissez le fichier CSV exporté du questionnaire."
    if len(data) > SURVEY_CSV_BYTES:
        return None, f"Le fichier dépasse {CSV_MEGABYTES} Mo, la taille la plus grande que le moteur lit."
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, "Le fichier n'est pas en UTF-8 : enregistrez-le au format « CSV UTF-8 » et déposez-le à nouveau."


async def survey_preview(client: Any, settings: Settings, view: CycleView, event: SurveyResults) -> dict[str, Any]:
    """The survey as the engine will record it: scored at the edge on the cycle's pinned edition
    (:func:`spplus.client._scored_at_the_edge`, the very step ``send_event`` runs), its validity judged by
    :func:`spplus.surveys.summary_result` as the cycle judges a summary. Raises :class:`engine.EngineError`."""
    from ...surveys import SurveyKind, summary_result

    scored = await engine._scored_at_the_edge(client, view.candidate.id, event)
    summary = scored.summary
    rules = pinned_rules(settings, view.edition, view.content_hash)
    if summary is None or rules is None:
        return {"scored": False, "admissible_none": summary is None and rules is not None}
    kind = SurveyKind(event.kind)
    headcount = view.candidate.agents_in_contact if kind == SurveyKind.agent else None
    result = summary_result(rules, kind, summary.note, summary.admissible, event.solicited, event.closed_on, headcount,
                            summary.respondents, summary.completed, summary.engagement_notes, summary.overall_note)
    return {
        "scored": True, "kind": forms.CHOICES.get(kind.value, kind.value), "note": note_fr(result.note),
        "respondents": result.respondents, "completed": result.completed, "admissible": result.admissible,
        "solicited": result.solicited, "return_rate": note_fr(result.return_rate * 100), "valid": result.valid,
        "reasons": result.reasons, "overall": note_fr(result.overall_note), "edition": result.edition,
        "engagements": [(n, note_fr(v)) for n, v in sorted(result.engagement_notes.items())],
    }


# ---------------------------------------------------------------------------------------------- the routes
def routes(kit: Kit) -> APIRouter:
    router = kit.router()
    pending = PendingSurveys(kit.settings.data_dir / "pages" / "enquetes", kit.sessions)

    async def acting_on(request: Request, who: Principal, session: Any, candidate_id: str) -> CycleView | Response:
        """The cycle a form acts on, or the page that refuses it (another body's reads as missing)."""
        try:
            return await kit.gate.own_cycle(who, candidate_id, act=True)
        except Problem as problem:
            return kit.refused(request, who, session, problem)
        except engine.EngineError as exc:
            return kit.refused(request, who, session, Problem(404, "Not Found", exc.message))

    def refuse_unknown(request: Request, who: Principal, session: Any) -> Response:
        return kit.refused(request, who, session, Problem(404, "Not Found", "no such form"))

    # ------------------------------------------------------------------ a new candidacy
    def candidacy_page(request: Request, who: Principal, session: Any, fields: list[forms.FormField],
                       general: str | None = None, status: int = 200) -> Response:
        return kit.render(request, "new_candidacy.html", who, session, status, fields=fields, general=general,
                          first_error=forms.first_error_id(fields), body=who.body)

    def candidacy_fields(request: Request, form: dict[str, list[str]] | None = None) -> list[forms.FormField]:
        rules = pinned_rules(kit.settings, None)
        return forms.form_fields("candidate", rule_choices(rules, engine.paris_today()), rows_asked(request, form))

    @router.get("/candidatures/nouvelle")
    async def new_candidacy_form(request: Request) -> Response:
        who, session = kit.session_of(request)
        try:
            kit.gate.may_open(who, who.body or "")
        except Problem as problem:
            return kit.refused(request, who, session, problem)
        return candidacy_page(request, who, session, candidacy_fields(request))

    @router.post("/candidatures/nouvelle")
    async def new_candidacy(request: Request) -> Response:
        who, session = kit.session_of(request)
        form = await kit.form_of(request)
        if (refusal := kit.unposted(request, who, session, form)) is not None:
            return refusal
        try:
            kit.gate.may_open(who, who.body or "")  # a body opens its own candidacies: the API's rule, from the gate
        except Problem as problem:
            return kit.refused(request, who, session, problem)
        fields = candidacy_fields(request, form)
        data = forms.read_form("candidate", fields, form) | {"certification_body": who.body}
        general = await open_candidacy(who, fields, data)
        if general is None and not forms.first_error_id(fields):
            return RedirectResponse(f"/candidatures/{data['id']}?enregistre=candidacy", status_code=303)
        return candidacy_page(request, who, session, fields, general, 422)

    async def open_candidacy(who: Principal, fields: list[forms.FormField], data: dict[str, Any]) -> str | None:
        """Start the candidacy as ``POST /cycles`` does and wait for it to open; a refusal placed beside its field
        (the message that no field holds, returned). A Problem of the gate propagates (a French page)."""
        client = await kit.temporal()
        try:
            candidate = forms.validate_candidate(data)
            await kit.gate.open_candidacy(who, candidate, kit.settings.task_queue)
        except ValidationError as exc:
            return forms.place_model_errors("candidate", fields, exc)
        except (engine.EngineError, Problem) as exc:
            if isinstance(exc, Problem) and exc.status != 409:
                raise
            message, where = (exc.message, exc.field) if isinstance(exc, engine.EngineError) else (
                f"L'identifiant {data.get('id')} est déjà pris : choisissez-en un autre.", "id")
            log.info("page candidacy refused", field=where, token=who.token_id)
            return None if forms.place_error("candidate", fields, where, message) else message
        await engine.opened_state(client, candidate.id)  # the client's wait: the page then shows it open
        return None

    # ------------------------------------------------------------------ event forms (the decision with its proposal)
    def event_page(request: Request, who: Principal, session: Any, view: CycleView, event_type: str,
                   fields: list[forms.FormField], general: str | None = None, status: int = 200) -> Response:
        """An event's form; the decision's shows what the rules propose first, and offers it (a form shown
        afresh has the proposed tier chosen; one shown again keeps what the body chose)."""
        context: dict[str, Any] = {}
        template = "event_form.html"
        if event_type == "decision":
            template = "decision_form.html"
            proposal = decision_proposal(view, pinned_rules(kit.settings, view.edition, view.content_hash))
            context["proposal"] = proposal
            if status == 200 and proposal is not None:
                preset(fields, "tier", proposal["tier"])
        return kit.render(request, template, who, session, status, view=view, event_type=event_type,
                          title=forms.TITLES[event_type], fields=fields, error=general,
                          first_error=forms.first_error_id(fields), key=uuid.uuid4().hex, **context)

    @router.get("/candidatures/{candidate_id}/evenements/{event_type}")
    async def event_form(candidate_id: str, event_type: str, request: Request) -> Response:
        who, session = kit.session_of(request)
        if event_type not in forms.FORM_TYPES:
            return refuse_unknown(request, who, session)
        view = await acting_on(request, who, session, candidate_id)
        if isinstance(view, Response):
            return view
        fields = forms.form_fields(event_type, cycle_choices(kit.settings, view), rows_asked(request))
        return event_page(request, who, session, view, event_type, fields)

    @router.post("/candidatures/{candidate_id}/evenements/{event_type}")
    async def send_event(candidate_id: str, event_type: str, request: Request) -> Response:
        who, session = kit.session_of(request)
        form = await kit.form_of(request)
        if (refusal := kit.unposted(request, who, session, form)) is not None:
            return refusal
        if event_type not in forms.FORM_TYPES:
            return refuse_unknown(request, who, session)
        view = await acting_on(request, who, session, candidate_id)
        if isinstance(view, Response):
            return view
        fields = forms.form_fields(event_type, cycle_choices(kit.settings, view), rows_asked(request, form))
        event = forms.read_form(event_type, fields, form)
        key = (form.get("cle") or [""])[0][:64] or uuid.uuid4().hex
        general = await record(who, candidate_id, event_type, fields, event, f"page-{key}")
        if general is None and not forms.first_error_id(fields):
            return RedirectResponse(f"/candidatures/{candidate_id}?enregistre={event_type}", status_code=303)
        return event_page(request, who, session, view, event_type, fields, general, 422)

    async def record(who: Principal, candidate_id: str, form_type: str, fields: list[forms.FormField],
                     event: dict[str, Any], event_id: str) -> str | None:
        """Send one event through the engine's path; its refusal placed beside the field it names (the message
        no field holds, returned)."""
        try:
            forms.validate(event)
        except ValidationError as exc:
            return forms.place_model_errors(form_type, fields, exc)
        try:
            await engine.send_event(await kit.temporal(), candidate_id, event, event_id, actor=kit.gate.actor(who))
        except ValidationError as exc:  # the event was valid: what the engine built from it was not
            raise engine_fault(exc) from None
        except engine.EngineError as exc:
            # The engine's own refusal (the cycle's update validator), beside the field it names.
            log.info("page event refused", candidate=candidate_id, type=event.get("type"), field=exc.field, token=who.token_id)
            return None if forms.place_error(form_type, fields, exc.field, exc.message) else exc.message
        return None

    # ------------------------------------------------------------------ a survey's CSV export: preview, then confirm
    def survey_fields(view: CycleView) -> list[forms.FormField]:
        """The survey's own fields (kind, closing date, people solicited) and its CSV export's file."""
        generated = forms.form_fields("survey", cycle_choices(kit.settings, view))
        fields = [f for f in generated if f.leaf in ("kind", "closed_on", "solicited")]
        return fields + [forms.FormField(
            path=("csv",), label="Export CSV du questionnaire", widget="file", required=True,
            hint=f"Le fichier tel que l'outil d'enquête l'exporte (séparateur « ; » ou « , », UTF-8), "
                 f"au plus {CSV_MEGABYTES} Mo.")]

    def survey_page(request: Request, who: Principal, session: Any, view: CycleView, fields: list[forms.FormField],
                    general: str | None = None, status: int = 200, **context: Any) -> Response:
        if request.headers.get("HX-Request") == "true" and status >= 400:
            status = 200  # htmx swaps 2xx answers only: the refusal is shown in place, as without JavaScript
        return kit.render(request, "survey_preview.html", who, session, status, view=view, fields=fields, error=general,
                          first_error=forms.first_error_id(fields), title=forms.TITLES["survey_csv"], **context)

    @router.get("/candidatures/{candidate_id}/enquete")
    async def survey_form(candidate_id: str, request: Request) -> Response:
        who, session = kit.session_of(request)
        view = await acting_on(request, who, session, candidate_id)
        if isinstance(view, Response):
            return view
        return survey_page(request, who, session, view, survey_fields(view))

    @router.post("/candidatures/{candidate_id}/enquete")
    async def survey_upload(candidate_id: str, request: Request) -> Response:
        who, session = kit.session_of(request)
        upload = await multipart_of(request)  # a form that cannot be read has no CSRF token: refused below
        form = upload.fields
        if (refusal := kit.unposted(request, who, session, form)) is not None:
            return refusal
        view = await acting_on(request, who, session, candidate_id)
        if isinstance(view, Response):
            return view
        fields = survey_fields(view)
        event = forms.read_form("survey", fields[:3], form)
        event["csv"], unreadable = csv_text(next((f.data for f in upload.files if f.field == "csv"), None))
        general: str | None = None
        try:
            parsed = forms.validate(event)
        except ValidationError as exc:
            general = forms.place_model_errors("survey_csv", fields, exc)
        if unreadable:
            forms.place_error("survey_csv", fields, "csv", unreadable)
        if general or forms.first_error_id(fields):
            return survey_page(request, who, session, view, fields, general, 422)
        return await preview(request, who, session, view, fields, parsed)

    async def preview(request: Request, who: Principal, session: Any, view: CycleView, fields: list[forms.FormField],
                      parsed: SurveyResults) -> Response:
        """The scored result before anything is recorded, and the confirmation form that records it."""
        try:
            result = await survey_preview(await kit.temporal(), kit.settings, view, parsed)
        except ValidationError as exc:  # the engine's edge built a summary its own model refuses
            raise engine_fault(exc) from None
        except engine.EngineError as exc:
            general = None if forms.place_error("survey_csv", fields, exc.field, exc.message) else exc.message
            return survey_page(request, who, session, view, fields, general, 422)
        event = parsed.model_dump(mode="json", exclude_none=True)
        pending_id = await asyncio.to_thread(pending.put, str(session), view.candidate.id, event)
        return survey_page(request, who, session, view, fields, result=result, pending_id=pending_id)

    @router.post("/candidatures/{candidate_id}/enquete/confirmer")
    async def survey_confirm(candidate_id: str, request: Request) -> Response:
        who, session = kit.session_of(request)
        form = await kit.form_of(request)
        if (refusal := kit.unposted(request, who, session, form)) is not None:
            return refusal
        view = await acting_on(request, who, session, candidate_id)
        if isinstance(view, Response):
            return view
        pending_id = (form.get("depot") or [""])[0]
        event = await asyncio.to_thread(pending.take, pending_id, str(session), candidate_id)
        fields = survey_fields(view)
        if event is None:
            return survey_page(request, who, session, view, fields, "Ce dépôt a expiré ou n'est pas le vôtre : "
                               "déposez le fichier à nouveau.", 422)
        forms.read_form("survey", fields[:3], {k: [str(v)] for k, v in event.items()})
        general = await record(who, candidate_id, "survey_csv", fields, event, f"page-enquete-{pending_id}")
        if general is None and not forms.first_error_id(fields):
            return RedirectResponse(f"/candidatures/{candidate_id}?enregistre=survey_csv", status_code=303)
        forms.place_error("survey_csv", fields, "csv", "Corrigez ce qui est signalé, puis déposez le fichier à nouveau.")
        return survey_page(request, who, session, view, fields, general, 422)

    return router


def engine_fault(exc: ValidationError) -> Problem:
    """A refusal of what the engine itself built (never of what was typed): a French 500 page, logged."""
    log.error("page: the engine built an invalid value", errors=str(exc)[:500])
    return Problem(500, "Internal Server Error", "Le moteur n'a pas pu traiter cet envoi : le défaut vient du moteur, "
                   "pas de votre saisie. Rien n'a été enregistré ; prévenez l'équipe d'exploitation.")


def preset(fields: list[forms.FormField], name: str, value: Any) -> None:
    """Give a top-level field its first value (the decision's tier: the one the rules propose)."""
    for f in fields:
        if f.leaf == name and f.value is None:
            f.value = value
