"""One in-memory copy of each rules edition, shared by every cycle a worker holds.

Each cycle decodes its pinned rules from its own history (about 27 KB of JSON, some hundred
kilobytes as Python objects). Thousands of cycles on one edition would hold thousands of equal
copies; :func:`shared` hands back the first copy instead. The copy is frozen, and an edition is
shared only when it is *equal* to the one held, not merely of the same name or hash, so a cycle
always runs on exactly what its history recorded. Pure and deterministic: safe in workflow code.
"""

from __future__ import annotations

from .models import RuleSet

_HELD: dict[tuple[str, str], RuleSet] = {}
_HELD_MAX = 64  # distinct editions held at once; older ones are simply not shared any more


def shared(rules: RuleSet) -> RuleSet:
    """The process's copy of an edition equal to ``rules`` (``rules`` itself if none is held yet)."""
    key = (rules.edition_id, rules.content_hash)
    held = _HELD.get(key)
    if held is not None and held == rules:
        return held
    if held is None and len(_HELD) < _HELD_MAX:
        _HELD[key] = rules
    return rules
