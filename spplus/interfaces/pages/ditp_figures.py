"""The national figures (``/ditp/chiffres``): candidacies by phase, labels by tier, cycles by certification body
and by territory, breaches and overdue deadlines — each a Temporal visibility count
(:mod:`spplus.analysis.figures`).

Who may read them is the API's list rule (``GET /cycles`` for every body: the DITP and operators).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ... import client as engine
from ...analysis.figures import national_figures, territory_key
from ...api.tokens import Role
from ...records import BodyRegister
from ...rules.loader import RuleSetInvalid, load_rules_cached
from ...rules.models import RuleSet
from .kit import PHASES, Kit


def known_bodies(kit: Kit) -> list[tuple[str, str]]:
    """The certification bodies the engine knows: its register's, then those its tokens act for, by id."""
    names = {body.id: body.name for body in BodyRegister(kit.gate.tokens.engine).list()}
    for token in kit.gate.tokens.list():
        if token.body and token.body not in names:
            names[token.body] = token.name
    return sorted(names.items())


def tiers_and_territories(rules: RuleSet | None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The tiers and territories of the rules in force today (none when the rules cannot be read)."""
    if rules is None:
        return [], []
    today = engine.paris_today()
    try:
        tiers = [(tier.id, tier.label) for tier in rules.tiers.tiers.at(today)]
        territories = [(t.id, t.label) for t in rules.calendars.territories.at(today)]
    except LookupError:
        return [], []
    return tiers, territories


def add_routes(kit: Kit, router: APIRouter) -> None:
    @router.get("/ditp/chiffres")
    async def figures(request: Request) -> Response:
        who, session = kit.session_of(request)
        kit.gate.require(who, Role.ditp, Role.operator)
        try:
            rules: RuleSet | None = await asyncio.to_thread(load_rules_cached, kit.settings.rules_dir)
        except RuleSetInvalid:
            rules = None
        tiers, territories = tiers_and_territories(rules)
        bodies = await asyncio.to_thread(known_bodies, kit)
        counted = await national_figures(await kit.temporal(), list(PHASES.items()), tiers, bodies, territories)
        return kit.render(request, "ditp_figures.html", who, session, figures=counted,
                          territory_attribute=territory_key() is not None)
