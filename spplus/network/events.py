"""What happens in a central public service's label cycle (« service public central », §1.4.1, §2.2.2).

Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator

from ..fields import BodyId, Count, LongText, ShortText
from ..limits import MAX_ITEMS, MAX_NETWORK
from ..lifecycle.events import AuditPlan, Event, RenewalRequested, Report, Site, Suspension, SuspensionLifted, Withdrawal

Id = Annotated[ShortText, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]


class LocalService(BaseModel):
    """A local service attached to the central one (e.g. a CAF of the CNAF)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Id
    name: ShortText
    territory: ShortText = "metropole"
    agents_in_contact: Annotated[Count, Field(ge=1, le=10_000_000)] = 20
    sites: list[Site] = Field(default_factory=lambda: [Site(id="main", name="Site principal")], min_length=1, max_length=MAX_ITEMS)


class CentralCandidate(BaseModel):
    """A central public service applying for the label with its whole network (§1.4.1, §3.1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Id
    name: ShortText
    territory: ShortText = "metropole"
    certification_body: BodyId
    contract_signed: date
    local_services: list[LocalService] = Field(min_length=1, max_length=MAX_NETWORK)

    @model_validator(mode="after")
    def _distinct_services(self) -> CentralCandidate:
        ids = [local.id for local in self.local_services]
        twice = sorted(i for i, n in Counter(ids).items() if n > 1)
        if twice:
            raise ValueError(f"local_services: each local service has its own id; {', '.join(twice[:10])} written twice")
        return self


class NetworkReports(Event):
    """Which local services produced their annual reports: self-assessment and improvement plan
    (« déploiement du programme », §3.1) or both surveys (at follow-ups, §2.2.2)."""

    type: Literal["network_reports"] = "network_reports"
    year: Annotated[Count, Field(ge=2000, le=2200)]
    kind: Literal["self_assessment", "surveys"]
    produced_by: list[ShortText] = Field(max_length=MAX_NETWORK)


class SampleExtended(Event):
    """The body adds local services to the year's sample: named, or drawn at random (``count``)."""

    type: Literal["sample_extended"] = "sample_extended"
    services: list[ShortText] = Field(default_factory=list, max_length=MAX_NETWORK)
    count: Annotated[Count, Field(ge=0, le=MAX_NETWORK)] = 0
    reason: LongText


class CentralAuditDates(Event):
    """The dates of the central audit, after the year's sampled local services were audited (§3.7.2)."""

    type: Literal["central_audit_dates"] = "central_audit_dates"
    visit_start: date
    visit_end: date


class CentralVisit(Event):
    """The central audit's yes/no control points (§3.7.2)."""

    type: Literal["central_visit"] = "central_visit"
    control_points: list[Annotated[bool, Strict()]] = Field(min_length=1, max_length=MAX_ITEMS)


class CorrectiveActions(Event):
    """Corrective actions proposed within 10 days of the report's receipt (§3.7.2)."""

    type: Literal["corrective_actions"] = "corrective_actions"
    received_on: date
    text: LongText


class CorrectiveActionsJudged(Event):
    """The auditor's judgement of the corrective actions proposed (§3.7.2: « L'auditeur juge de la pertinence des
    actions correctives proposées puis transmet le rapport complet … à l'organisme de certification pour décision »):
    one verdict per proposal, in the order they were received. The ones judged relevant are the action plan the
    body attaches to its decision (§3.8.2: « le plan d'actions proposé par le service public et validé »)."""

    type: Literal["corrective_actions_judged"] = "corrective_actions_judged"
    judged_on: date
    relevant: list[Annotated[bool, Strict()]] = Field(min_length=1, max_length=MAX_ITEMS)
    note: LongText | None = None


class CentralDecision(Event):
    """The body's decision on the central service; ``tier`` null refuses. Differing from the rules needs a reason."""

    type: Literal["central_decision"] = "central_decision"
    decided_on: date
    tier: ShortText | None
    reason: LongText | None = None


class CentralActionPlan(Event):
    type: Literal["central_action_plan"] = "central_action_plan"
    received_on: date


CentralEvent = Annotated[
    NetworkReports | SampleExtended | CentralAuditDates | AuditPlan | CentralVisit | Report | CorrectiveActions
    | CorrectiveActionsJudged | CentralDecision | CentralActionPlan | Suspension | SuspensionLifted | Withdrawal
    | RenewalRequested,
    Field(discriminator="type"),
]


class CentralEnvelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    event_id: ShortText
    actor: ShortText = "certification-body"
    event: CentralEvent


class LocalOutcome(BaseModel):
    """A sampled local service's decision, reported by its own cycle (a child workflow)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    local_id: str
    tier: str | None
    decided_on: date
    visit_start: date
