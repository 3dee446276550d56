"""What goes in and out of a local cycle's workflow: its start input, its outcome, an event's receipt.

Kept out of the workflow module on purpose: the workflow sandbox re-imports workflow modules for
every cycle it runs, and building these pydantic classes each time costs time and memory; this
module is imported once per worker (it is passed through, like the rest of the pure core).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from ..calendar import WorkingCalendar
from ..rules.models import RuleSet
from .apply import open_cycle, renewed_candidate
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

    def opening_candidate(self) -> Candidate:
        """Whom a run that pins rules opens for: the candidacy sent, or the renewal's next cycle (§3.10)."""
        if self.state is not None and self.renewal is not None:
            return renewed_candidate(self.state, self.renewal)
        assert self.candidate is not None, "a cycle starts from a candidate or from a carried state"
        return self.candidate

    def open(self, rules: RuleSet, calendar: WorkingCalendar, today: date) -> CycleState:
        """The cycle opened on its pinned rules; the workflow does it, and the timeline rebuilder again."""
        previous = self.state if self.renewal is not None else None
        return open_cycle(self.opening_candidate(), rules, calendar, today, previous=previous, actor=self.actor)


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
