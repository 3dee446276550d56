"""What a certification body records during a cycle: one model per event, checked at the boundary.

Each event is sent as a Temporal update; its ``event_id`` is the update id, so a retried send is
applied once. Dates are the dates things happened (or are planned), never the time of sending.

Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..perimeter import AuthorityPerimeter, in_perimeter
from ..surveys import SurveyKind
from ..tiers import AuditScores


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AuditKind(StrEnum):
    initial = "initial"
    followup = "followup"


class Site(BaseModel):
    """A site in contact with users (« site de proximité »): every one is in the perimeter."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    name: Annotated[str, Field(min_length=1)]
    domains: list[str] = Field(default_factory=list, description="A local authority's domains served at this site (perimeters.yaml).")


class Candidate(BaseModel):
    """A local public service applying for the label (« candidat », §1.4.2)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="Stable id: the cycle's workflow id is cycle-<id>.")]
    name: Annotated[str, Field(min_length=1)]
    territory: str = "metropole"
    sites: list[Site] = Field(min_length=1)
    agents_in_contact: Annotated[int, Field(ge=1, description="Agents in direct or indirect contact with users.")]
    certification_body: Annotated[str, Field(min_length=1)]
    contract_signed: date
    network: str | None = Field(default=None, description="The central service this local service is audited through, if any (§3.9.2).")
    authority: AuthorityPerimeter | None = Field(default=None, description="A local authority's declared perimeter (§1.4.2).")

    def sites_in_perimeter(self) -> list[str]:
        return [site.id for site in self.sites if in_perimeter(self.authority, site.domains)]


class SelfAssessment(Event):
    """The self-assessment (« autodiagnostic », §3.1) and its global result."""

    type: Literal["self_assessment"] = "self_assessment"
    done_on: date
    global_result: Annotated[Decimal, Field(ge=0, le=100)] | None = None


class SurveySummary(BaseModel):
    """A survey's results as the DITP's report gives them (when the raw CSV is not sent)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    note: Annotated[Decimal, Field(ge=0, le=100)]
    admissible: Annotated[int, Field(ge=0)]


class SurveyResults(Event):
    """A closed survey campaign: the raw CSV export (scored by the engine) or the report's summary."""

    type: Literal["survey"] = "survey"
    kind: SurveyKind
    closed_on: date
    solicited: Annotated[int, Field(ge=1)]
    csv: str | None = None
    summary: SurveySummary | None = None


class AuditDates(Event):
    """The dates of an audit agreed with the candidate (§3.6); sending new dates is a postponement."""

    type: Literal["audit_dates"] = "audit_dates"
    audit: AuditKind = AuditKind.initial
    visit_start: date
    visit_end: date
    sites: list[str] = Field(min_length=1, description="Ids of the sites drawn for the visit.")


class Dossier(Event):
    """The candidacy dossier received through demarche.numerique.gouv.fr (§3.5.1)."""

    type: Literal["dossier"] = "dossier"
    received_on: date
    contents: list[str] = Field(description="Ids of the items received, from procedures.yaml dossier_contents.")


class ComplementsRequested(Event):
    """The body asks for missing items, due before the visit (§3.5.2)."""

    type: Literal["complements_requested"] = "complements_requested"
    requested_on: date
    items: list[str] = Field(min_length=1)


class AuditPlan(Event):
    """The audit plan sent to the candidate (§3.7.1)."""

    type: Literal["audit_plan"] = "audit_plan"
    sent_on: date
    auditors: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)


class Visit(Event):
    """The on-site visit and its scores (§3.7.1)."""

    type: Literal["visit"] = "visit"
    scores: AuditScores


class Report(Event):
    """The audit report sent to and received by the candidate (§3.7.1)."""

    type: Literal["report"] = "report"
    sent_on: date
    received_on: date


class Observations(Event):
    """The candidate's observations on the report; they never change the scores (§3.7.1)."""

    type: Literal["observations"] = "observations"
    received_on: date
    text: Annotated[str, Field(min_length=1)]


class Decision(Event):
    """The body's decision; ``tier`` null means refusal. Differing from the proposal needs a reason."""

    type: Literal["decision"] = "decision"
    decided_on: date
    tier: str | None
    reason: str | None = None


class ActionPlan(Event):
    """The action plan asked after a follow-up below the minimum (§3.9.1)."""

    type: Literal["action_plan"] = "action_plan"
    received_on: date


class Suspension(Event):
    """A suspension decided by the body (§5.3.1), for one of the guide's reasons."""

    type: Literal["suspension"] = "suspension"
    reason: str
    effective: date
    note: str | None = None


class SuspensionLifted(Event):
    type: Literal["suspension_lifted"] = "suspension_lifted"
    effective: date


class Withdrawal(Event):
    """A withdrawal decided by the body (§5.3.2), for one of the guide's reasons."""

    type: Literal["withdrawal"] = "withdrawal"
    reason: str
    effective: date
    note: str | None = None


class RenewalRequested(Event):
    """The labelled service asks to renew (§3.10), possibly with another certification body (§3.2)."""

    type: Literal["renewal"] = "renewal"
    requested_on: date
    certification_body: str | None = None
    contract_signed: date


class PerimeterExtension(Event):
    """Sites or domains added to the labelled perimeter, audited at the next follow-up or renewal audit (§5.2).

    ``new_cycle``: an extension larger in headcount than the contract may open a new 3-year cycle that
    carries the sites already labelled, with both parties' agreement.
    """

    type: Literal["perimeter_extension"] = "perimeter_extension"
    requested_on: date
    sites: list[Site] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)
    agents_added: Annotated[int, Field(ge=0)]
    new_cycle: bool = False


class Appeal(Event):
    """An appeal against the body's latest decision, to its impartial commission (§5.1)."""

    type: Literal["appeal"] = "appeal"
    lodged_on: date
    grounds: Annotated[str, Field(min_length=1)]


class AppealDecision(Event):
    """The commission's decision: upheld (the decision changes to ``tier``, null for a refusal) or dismissed."""

    type: Literal["appeal_decision"] = "appeal_decision"
    decided_on: date
    outcome: str
    tier: str | None = None


class RulesEditionChange(Event):
    """Move this cycle to another rules edition: an explicit act, with its reason, kept on the timeline."""

    type: Literal["rules_edition_change"] = "rules_edition_change"
    edition: str
    reason: Annotated[str, Field(min_length=1)]


CycleEvent = Annotated[
    SelfAssessment | SurveyResults | AuditDates | Dossier | ComplementsRequested | AuditPlan | Visit | Report
    | Observations | Decision | ActionPlan | Suspension | SuspensionLifted | Withdrawal | RenewalRequested
    | PerimeterExtension | Appeal | AppealDecision | RulesEditionChange,
    Field(discriminator="type"),
]


class Envelope(BaseModel):
    """One event as sent: who sent it, its idempotency id, and the event."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    event_id: Annotated[str, Field(min_length=1, max_length=200)]
    actor: Annotated[str, Field(min_length=1)] = "certification-body"
    event: CycleEvent
