"""What goes in and out of a local cycle's workflow: its start input, its outcome, an event's receipt.

Kept out of the workflow module on purpose: the workflow sandbox re-imports workflow modules for
every cycle it runs, and building these pydantic classes each time costs time and memory; this
module is imported once per worker (it is passed through, like the rest of the pure core).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from .events import Candidate, RenewalRequested
from .state import Attestation, CycleState, LabelStatus, Phase
from .views import DeadlineView


class CycleStart(BaseModel):
    """Start a cycle from a candidacy, or go on from a carried state (continue-as-new)."""

    candidate: Candidate | None = None
    edition: str | None = None
    state: CycleState | None = None
    renewal: RenewalRequested | None = None
    actor: str = "certification-body"


class CycleOutcome(BaseModel):
    candidate: str
    cycle_number: int
    phase: Phase
    label_status: LabelStatus
    attestation: Attestation | None
    new_application_from: date | None
    withdrawal: dict[str, str] | None
    breaches: int
    edition: str


class Receipt(BaseModel):
    """The answer to an event: applied (or already applied), and where the cycle stands now."""

    event_id: str
    duplicate: bool
    phase: Phase
    label_status: LabelStatus
    summary: str
    open_deadlines: list[DeadlineView]
