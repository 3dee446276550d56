"""National figures of the label for the DITP: each one a Temporal visibility **count** query on the cycles'
search attributes (:mod:`spplus.search_attributes`), never a read of the cycles themselves.

Temporal counts by group for ``ExecutionStatus`` only, so each figure is a count of its own (a few dozen
in all, sent together): candidacies by phase, labels by tier (valid and suspended), cycles by certification
body, cycles with a breach (``SpBreaches > 0``) or a deadline overdue (``SpOverdue > 0``), and by territory
when the cycles carry it (``SpTerritory``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from pydantic import BaseModel
from temporalio.client import Client
from temporalio.common import SearchAttributeKey

from .. import client as engine
from .. import search_attributes as sa


class Figure(BaseModel):
    key: str
    label: str
    count: int


class TierFigure(BaseModel):
    key: str
    label: str
    valid: int
    suspended: int


class Figures(BaseModel):
    """Running cycles, counted (local and central cycles alike, as the lists show them)."""

    total: int
    by_phase: list[Figure]
    labels_by_tier: list[TierFigure]
    by_body: list[Figure]
    other_bodies: int  # running cycles of a body in none of the rows of by_body
    breaches: int
    overdue: int
    by_territory: list[Figure] | None  # None: the cycles do not carry their territory (no SpTerritory)


def territory_key() -> SearchAttributeKey[str] | None:
    """The territory's search attribute, when this version of the engine has one."""
    return getattr(sa, "TERRITORY", None)


def _equals(key: SearchAttributeKey[str], value: str) -> str:
    return f"{key.name} = {engine._quote(value)}"  # the lists' own quoting


async def _count(client: Client, *clauses: str) -> int:
    """Running cycles matching the clauses (one visibility count query)."""
    query = " AND ".join([engine.list_query(), *clauses])
    return (await client.count_workflows(query)).count


async def national_figures(client: Client, phases: Sequence[tuple[str, str]], tiers: Sequence[tuple[str, str]],
                           bodies: Sequence[tuple[str, str]], territories: Sequence[tuple[str, str]]) -> Figures:
    """The figures, each row a (key, label) the caller names: phases, tiers (from the rules in force), bodies
    (the register's and the tokens'), territories (``calendars.yaml``; counted only when ``SpTerritory`` exists)."""
    territory = territory_key()
    counts = await asyncio.gather(
        _count(client),
        *(_count(client, _equals(sa.PHASE, key)) for key, _ in phases),
        *(_count(client, _equals(sa.TIER, key), _equals(sa.LABEL_STATUS, status)) for key, _ in tiers
          for status in ("valid", "suspended")),
        *(_count(client, _equals(sa.CERTIFICATION_BODY, key)) for key, _ in bodies),
        _count(client, f"{sa.BREACHES.name} > 0"),
        _count(client, f"{sa.OVERDUE.name} > 0"),
        *((_count(client, _equals(territory, key)) for key, _ in territories) if territory is not None else ()),
    )
    total, rest = counts[0], iter(counts[1:])
    by_phase = [Figure(key=key, label=label, count=next(rest)) for key, label in phases]
    by_tier = [TierFigure(key=key, label=label, valid=next(rest), suspended=next(rest)) for key, label in tiers]
    by_body = [Figure(key=key, label=label, count=next(rest)) for key, label in bodies]
    breaches, overdue = next(rest), next(rest)
    by_territory = [Figure(key=key, label=label, count=next(rest)) for key, label in territories] if territory else None
    return Figures(total=total, by_phase=by_phase, labels_by_tier=by_tier, by_body=by_body,
                   other_bodies=max(0, total - sum(f.count for f in by_body)), breaches=breaches, overdue=overdue,
                   by_territory=by_territory)
