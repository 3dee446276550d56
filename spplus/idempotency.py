"""An idempotency key bound to the request it was first used with (IETF Idempotency-Key draft, §2.7).

A cycle keeps, for each event id it applied, the event's type and a fingerprint of the event: the
same id sent again with the same event is answered as a repeat (``duplicate: true``); the same id
with another event is refused, and nothing is applied — never answered with the first receipt.

States recorded before fingerprints existed hold the bare type: their ids match on the type alone.

Pure: importable inside the Temporal workflow sandbox (hashlib is deterministic).
"""

from __future__ import annotations

import hashlib
import json
from typing import Protocol

from pydantic import BaseModel

REUSED_KEY = ("this key was already used for another request; send a new Idempotency-Key (CLI: --id) for a new event, "
              "or the same event to read its receipt again")


class _Sent(Protocol):
    event_id: str

    @property
    def event(self) -> BaseModel: ...


def fingerprint(event: BaseModel) -> str:
    """32 hex characters (128 bits of SHA-256) of the event's canonical JSON: same event, same print."""
    canonical = json.dumps(event.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def stamp(envelope: _Sent) -> str:
    """What ``applied_events`` keeps for an event id: ``<type>#<fingerprint>``."""
    return f"{envelope.event.type}#{fingerprint(envelope.event)}"  # type: ignore[attr-defined]


def is_repeat(applied: dict[str, str], envelope: _Sent) -> bool:
    """The id was applied, with this same event."""
    kept = applied.get(envelope.event_id)
    return kept is not None and _same(kept, envelope)


def reused_for_another(applied: dict[str, str], envelope: _Sent) -> bool:
    """The id was applied, with another event: the request must be refused."""
    kept = applied.get(envelope.event_id)
    return kept is not None and not _same(kept, envelope)


def _same(kept: str, envelope: _Sent) -> bool:
    kind, _, print_ = kept.partition("#")
    if kind != envelope.event.type:  # type: ignore[attr-defined]
        return False
    return not print_ or print_ == fingerprint(envelope.event)
