"""The state of a central service's cycle: its network, the yearly samples, the local results.

Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from ..central import SampleDraw
from ..lifecycle.state import CycleRecord, LabelStatus
from .events import CentralCandidate, LocalOutcome


class CentralPhase(StrEnum):
    network_audits = "network_audits"  # the year's sampled local services are being audited
    shortfall = "shortfall"  # fewer than 75 % labelled: more services must be presented (§3.9.2)
    central_audit = "central_audit"  # the central audit is due (after the local ones, §3.7.2)
    decision = "decision"
    labelled = "labelled"
    action_plan = "action_plan"
    suspended = "suspended"
    refused = "refused"
    withdrawn = "withdrawn"
    expired = "expired"
    closed = "closed"


class LabelledLocal(BaseModel):
    """A line of the central attestation's annex: a local service, its tier, its year (§3.8.2)."""

    id: str
    tier: str
    year: int
    decided_on: date


class CentralAttestation(BaseModel):
    tier: str
    tier_label: str
    valid_from: date
    expires: date
    last_valid_day: date
    locals: list[LabelledLocal]
    edition: str


class CentralAudit(BaseModel):
    year: int  # 0 for N (the initial audit), 1 and 2 for the follow-ups
    visit_start: date
    visit_end: date
    plan_sent: date | None = None
    control_points: list[bool] | None = None
    report_received: date | None = None
    corrective_actions: list[str] = Field(default_factory=list)
    # The auditor's judgement of the corrective actions (§3.7.2), one verdict per proposal, and its day.
    corrective_judgement: list[bool] | None = None
    judged_on: date | None = None
    proposal_tier: str | None = None
    proposal_labelled: bool | None = None
    decided_on: date | None = None
    decided_tier: str | None = None
    outcome: str | None = None


class CentralState(CycleRecord):
    cycle_number: int = 1
    candidate: CentralCandidate
    phase: CentralPhase = CentralPhase.network_audits
    # Where the year's work stands (network audits, shortfall, central audit, decision, done), kept apart
    # from the phase, which a suspension or an action plan overrides while the year's work goes on.
    stage: CentralPhase = CentralPhase.network_audits
    label_status: LabelStatus = LabelStatus.none
    year: int = 0
    samples: list[SampleDraw] = Field(default_factory=list)
    audited: list[str] = Field(default_factory=list)  # every local service sampled so far, in order
    results: dict[str, LocalOutcome] = Field(default_factory=dict)  # local id → its decision
    sample_year: dict[str, int] = Field(default_factory=dict)  # local id → year it was sampled in
    reports: dict[str, list[str]] = Field(default_factory=dict)  # "<year>:<kind>" → local ids that produced them
    audits: list[CentralAudit] = Field(default_factory=list)
    attestation: CentralAttestation | None = None
    suspended_on: date | None = None
    suspension_reason: str | None = None
    new_application_from: date | None = None
    withdrawal: dict[str, str] | None = None
    # A withdrawal notified ahead of its effective date (§5.3.2): reason, notified_on, effective, actor, event_id.
    pending_withdrawal: dict[str, str | None] | None = None
    started_year: int = 0  # calendar year N

    def recipients(self) -> list[str]:
        return [f"central:{self.candidate.id}", f"body:{self.candidate.certification_body}"]

    @property
    def network_ids(self) -> list[str]:
        return [s.id for s in self.candidate.local_services]

    def year_sample(self, year: int | None = None) -> list[str]:
        year = self.year if year is None else year
        return [local for local, y in self.sample_year.items() if y == year]

    def year_results(self, year: int | None = None) -> list[LocalOutcome]:
        return [self.results[local] for local in self.year_sample(year) if local in self.results]

    @property
    def current_audit(self) -> CentralAudit | None:
        return self.audits[-1] if self.audits and self.audits[-1].decided_on is None else None
