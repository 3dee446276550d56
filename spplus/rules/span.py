"""The dates a rules edition can speak about: from the day every rule has a value in force.

Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from .models import Dated, RuleSet


def _firsts(model: BaseModel) -> list[date]:
    found: list[date] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, Dated):
            found.append(min(value.values))
        elif isinstance(value, BaseModel):
            found += _firsts(value)
    return found


_KNOWN: dict[str, date] = {}  # by content hash: an edition's span never changes


def rules_apply_from(rules: RuleSet) -> date:
    """The first day on which every rule of ``rules`` has a value (e.g. 2023-08-31 for the guide's first edition)."""
    found = _KNOWN.get(rules.content_hash)
    if found is None:
        found = _KNOWN[rules.content_hash] = max(_firsts(rules))
    return found
