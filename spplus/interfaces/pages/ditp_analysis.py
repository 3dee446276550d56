"""The DITP's what-if page (``/ditp/simulation``): a scenario run under two editions side by side (as ``spplus
simulate --compare`` runs it), and recorded decisions re-evaluated under a proposed edition (as ``spplus whatif``).

A simulation runs a real cycle on a Temporal of its own, in a child process, one at a time per engine
(:func:`spplus.analysis.scenarios.simulate_apart`); a re-evaluation is pure computation. Inputs are bounded
(:mod:`spplus.analysis.scenarios`), and every refusal is told beside its field, in French.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...analysis.scenarios import (
    MAX_ENGINE_CYCLES,
    MAX_RECORDS,
    MAX_SCENARIO_BYTES,
    MAX_SCENARIO_DAYS,
    AnalysisRefused,
    Simulation,
    day_date,
    read_records,
    read_scenario,
    recorded_decisions,
    simulate_apart,
)
from ...analysis.simulation import ScenarioRefused
from ...analysis.whatif import Change, reevaluate
from ...api.tokens import Role
from ...rules.editions import UnknownEdition, edition_folder, edition_ids
from ...settings import PROJECT_ROOT
from ..auth import Principal
from .kit import Kit
from .uploads import MultipartForm, multipart_of

log = structlog.get_logger("spplus.pages")

EXAMPLES = PROJECT_ROOT / "examples" / "scenarios"  # a checkout's examples (an image may have none)

WHAT = {"date": "Date", "breach": "Manquement", "tier": "Niveau", "refused": "Étapes refusées"}


@dataclass
class SimulationView:
    """What the page shows of a simulation: each run, and each difference with its dates."""

    simulation: Simulation
    rows: list[dict[str, Any]]


def examples() -> dict[str, Path]:
    """The example scenarios of this checkout, by name (``bronze``, ``holiday``, …)."""
    return {p.stem: p for p in sorted(EXAMPLES.glob("*.yaml"))} if EXAMPLES.is_dir() else {}


def simulation_view(simulation: Simulation) -> SimulationView:
    """The differences with the real date of each ``D+n`` under each edition."""
    first, second = simulation.results[0], simulation.results[-1]
    rows = [{"what": WHAT.get(d.what, d.what), "key": d.key, "first": d.first, "second": d.second,
             "first_on": day_date(d.first, first.started), "second_on": day_date(d.second, second.started)}
            for d in simulation.differences]
    return SimulationView(simulation, rows)


def text_of(form: MultipartForm, text_field: str, file_field: str) -> tuple[str, str | None]:
    """A text typed or a file chosen (the file wins); why not, when the file is not UTF-8."""
    chosen = next((f for f in form.files if f.field == file_field), None)
    if chosen is not None:
        try:
            return chosen.data.decode("utf-8-sig"), None
        except UnicodeDecodeError as exc:
            return "", f"Le fichier {chosen.name} n'est pas du texte UTF-8 (octet {exc.start})."
    return (form.fields.get(text_field) or [""])[0].replace("\r\n", "\n"), None


LIMITS = {"bytes": MAX_SCENARIO_BYTES, "days": MAX_SCENARIO_DAYS, "records": MAX_RECORDS, "cycles": MAX_ENGINE_CYCLES}


def form_defaults(known: list[str]) -> dict[str, str]:
    """What both forms start with: the edition in force first, the latest edition second."""
    first, last = (known[0], known[-1]) if known else ("", "")
    return {"edition_a": first, "edition_b": last, "scenario": "", "debut": "", "actuelle": first, "proposee": last,
            "source": "fichier", "decisions": ""}


def one(form: MultipartForm, name: str) -> str:
    return (form.fields.get(name) or [""])[0].strip()


def add_routes(kit: Kit, router: APIRouter) -> None:
    running = asyncio.Lock()  # one simulation at a time: each starts a Temporal server of its own

    def page(request: Request, who: Principal, session: str | None, status: int = 200, **context: Any) -> Response:
        known = edition_ids(kit.settings)
        values = {**form_defaults(known), **context.pop("values", {})}
        defaults = {"known": known, "examples": list(examples()), "errors": {}, "error": None, "view": None,
                    "whatif": None, "limits": LIMITS}
        return kit.render(request, "ditp_simulation.html", who, session, status, **{**defaults, **context}, values=values)

    @router.get("/ditp/simulation")
    async def simulation_form(request: Request) -> Response:
        """The two forms; ``?exemple=<name>`` fills the scenario with one of the checkout's examples."""
        who, session = kit.session_of(request)
        kit.gate.require(who, Role.ditp)
        chosen = examples().get(request.query_params.get("exemple") or "")
        values = {"scenario": chosen.read_text(encoding="utf-8"), "exemple": chosen.stem} if chosen else {}
        return page(request, who, session, values=values)

    @router.post("/ditp/simulation")
    async def simulate(request: Request) -> Response:
        """Run the scenario under edition A and edition B, side by side, and say what differs."""
        who, session = kit.session_of(request)
        form, refusal = await _form(kit, request, who, session)
        if refusal is not None:
            return refusal
        values = {name: one(form, name) for name in ("edition_a", "edition_b", "debut")}
        values["scenario"], unreadable = text_of(form, "scenario", "fichier-scenario")
        errors, folders, start = _simulation_inputs(kit, values, unreadable)
        if errors:
            return page(request, who, session, 422, values=values, errors=errors)
        if running.locked():
            return page(request, who, session, 429, values=values,
                        error="Une simulation est déjà en cours sur ce moteur : réessayez dans une minute.")
        async with running:
            try:
                simulation = await simulate_apart(values["scenario"], folders, start)
            except AnalysisRefused as exc:  # out of time, or the run failed: nothing to correct beside a field
                return page(request, who, session, 422, values=values, error=f"La simulation n'a pas abouti : {exc}")
            except ScenarioRefused as exc:
                return page(request, who, session, 422, values=values,
                            errors={"scenario": f"Le scénario ne peut pas être joué : {exc}"})
        log.info("page simulation", editions=[values["edition_a"], values["edition_b"]], token=who.token_id)
        return page(request, who, session, values=values, view=simulation_view(simulation))

    @router.post("/ditp/simulation/decisions")
    async def decisions(request: Request) -> Response:
        """Re-evaluate recorded decisions (a file, or the engine's cycles) under a proposed edition."""
        who, session = kit.session_of(request)
        form, refusal = await _form(kit, request, who, session)
        if refusal is not None:
            return refusal
        values = {name: one(form, name) for name in ("actuelle", "proposee", "source")}
        values["decisions"], unreadable = text_of(form, "decisions", "fichier-decisions")
        errors, outcome = await _reevaluated(kit, values, unreadable)
        if errors:
            return page(request, who, session, 422, values=values, errors=errors)
        log.info("page whatif", proposed=values["proposee"], source=values["source"], token=who.token_id)
        return page(request, who, session, values=values, whatif=outcome)


async def _form(kit: Kit, request: Request, who: Principal, session: str | None) -> tuple[MultipartForm, Response | None]:
    """The posted form once the caller may send it: signed in, its CSRF token, the DITP's role."""
    form = await multipart_of(request)
    if (refusal := kit.unposted(request, who, session, form.fields)) is not None:
        return form, refusal
    kit.gate.require(who, Role.ditp)
    return form, None


def _simulation_inputs(kit: Kit, values: dict[str, str], unreadable: str | None) -> tuple[dict[str, str], list[Path], date | None]:
    """The editions' folders and the start date, or what is wrong beside each field."""
    errors: dict[str, str] = {}
    if unreadable:
        errors["scenario"] = unreadable
    elif not values["scenario"].strip():
        errors["scenario"] = "Écrivez un scénario, choisissez un fichier ou partez d'un exemple."
    else:
        try:
            read_scenario(values["scenario"])  # a few milliseconds within its bounds
        except AnalysisRefused as exc:
            errors["scenario"] = f"Scénario refusé : {exc}"
    folders = []
    for name in ("edition_a", "edition_b"):
        try:
            folders.append(edition_folder(kit.settings, values[name])[0])
        except UnknownEdition:
            errors[name] = "Choisissez une édition de la liste."
    if not errors and values["edition_a"] == values["edition_b"]:
        errors["edition_b"] = "Choisissez une autre édition que l'édition A : la simulation les compare."
    start = None
    if values["debut"]:
        try:
            start = date.fromisoformat(values["debut"])
        except ValueError:
            errors["debut"] = "Écrivez une date au format AAAA-MM-JJ, par exemple 2026-01-05."
    return errors, folders, start


@dataclass
class WhatIf:
    """A re-evaluation: how many decisions, which would change, and whether the engine's list was cut."""

    decisions: int
    changes: list[Change]
    current: str
    proposed: str
    source: str
    truncated: bool


async def _reevaluated(kit: Kit, values: dict[str, str], unreadable: str | None) -> tuple[dict[str, str], WhatIf | None]:
    """The re-evaluation (``spplus whatif``), or what is wrong beside each field."""
    errors: dict[str, str] = {}
    rules = {}
    for name in ("actuelle", "proposee"):
        try:
            rules[name] = edition_folder(kit.settings, values[name])[1]
        except UnknownEdition:
            errors[name] = "Choisissez une édition de la liste."
    if values["source"] not in ("fichier", "moteur"):
        errors["source"] = "Choisissez d'où viennent les décisions."
    records, truncated = [], False
    if not errors and values["source"] == "fichier":
        try:
            if unreadable:
                raise AnalysisRefused(unreadable)
            if not values["decisions"].strip():
                raise AnalysisRefused("écrivez les décisions ou choisissez un fichier (par exemple examples/whatif-records.json)")
            records = await asyncio.to_thread(read_records, values["decisions"])
        except AnalysisRefused as exc:
            errors["decisions"] = f"Décisions refusées : {exc}"
    elif not errors:
        records, truncated = await recorded_decisions(await kit.temporal(), MAX_ENGINE_CYCLES)
    if errors:
        return errors, None
    try:
        changes = await asyncio.to_thread(reevaluate, records, rules["actuelle"], rules["proposee"])
    except (LookupError, ValueError) as exc:  # a visit before an edition's rules, a score off its scale
        return {"decisions": f"Une décision ne peut pas être réévaluée : {exc}"}, None
    return {}, WhatIf(len(records), changes, values["actuelle"], values["proposee"], values["source"], truncated)
