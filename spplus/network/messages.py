"""What goes in and out of a central cycle's workflow: start input, outcome, receipt and view.

Outside the workflow module so that the sandbox does not rebuild these pydantic classes for every
central cycle it runs (see `spplus.lifecycle.messages`).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from ..lifecycle.state import LabelStatus
from .events import CentralCandidate
from .state import CentralPhase, CentralState


class CentralStart(BaseModel):
    candidate: CentralCandidate | None = None
    edition: str | None = None
    state: CentralState | None = None


class CentralOutcome(BaseModel):
    central: str
    phase: CentralPhase
    label_status: LabelStatus
    tier: str | None
    new_application_from: date | None
    withdrawal: dict[str, str] | None


class CentralReceipt(BaseModel):
    event_id: str
    duplicate: bool
    phase: CentralPhase
    summary: str


class CentralView(BaseModel):
    central: str
    name: str
    phase: CentralPhase
    label_status: LabelStatus
    year: int
    network_size: int
    samples: list[dict[str, object]]
    results: dict[str, str | None]
    attestation: dict[str, object] | None
    open_deadlines: list[dict[str, object]]
    edition: str
    new_application_from: date | None
    withdrawal: dict[str, str] | None
    breaches: int
    # A withdrawal notified ahead of its effective date (§5.3.2): the label holds until then.
    pending_withdrawal: dict[str, str | None] | None = None


def label_table(view: CentralView) -> list[dict[str, object]]:
    """The network's label table (§3.8.2 annex): each local service drawn, the year it was drawn, its result
    (a tier, ``refused``, or ``pending`` until its cycle is decided)."""
    rows: list[dict[str, object]] = []
    for draw in view.samples:
        for local in draw["drawn"]:  # type: ignore[union-attr]
            result = view.results.get(str(local), "pending") if local in view.results else "pending"
            rows.append({"local_service": local, "sampled": draw["year"], "result": result or "refused"})
    return rows
