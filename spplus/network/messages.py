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
