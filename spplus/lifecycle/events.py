"""What a certification body records during a cycle: one model per event, checked at the boundary.

Each event is sent as a Temporal update; its ``event_id`` is the update id, so a retried send is
applied once. Dates are the dates things happened (or are planned), never the time of sending.

Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..fields import BodyId, Count, CsvText, LongText, Score100, ShortText
from ..limits import MAX_ITEMS, SURVEY_CSV_BYTES
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
    id: Annotated[ShortText, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    name: ShortText
    domains: list[ShortText] = Field(default_factory=list, max_length=MAX_ITEMS,
                                     description="A local authority's domains served at this site (perimeters.yaml).")


class Candidate(BaseModel):
    """A local public service applying for the label (« candidat », §1.4.2)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Annotated[ShortText, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="Stable id: the cycle's workflow id is cycle-<id>.")]
    name: ShortText
    territory: ShortText = "metropole"
    sites: list[Site] = Field(min_length=1, max_length=MAX_ITEMS)
    agents_in_contact: Annotated[Count, Field(ge=1, le=10_000_000, description="Agents in direct or indirect contact with users.")]
    certification_body: BodyId
    contract_signed: date
    network: ShortText | None = Field(default=None, description="The central service this local service is audited through, if any (§3.9.2).")
    authority: AuthorityPerimeter | None = Field(default=None, description="A local authority's declared perimeter (§1.4.2).")

    @model_validator(mode="after")
    def _distinct_sites(self) -> Candidate:
        ids = [site.id for site in self.sites]
        twice = sorted(i for i, n in Counter(ids).items() if n > 1)
        if twice:
            raise ValueError(f"sites: each site has its own id; {', '.join(twice)} is written twice")
        return self

    def sites_in_perimeter(self) -> list[str]:
        return [site.id for site in self.sites if in_perimeter(self.authority, site.domains)]


class SelfAssessment(Event):
    """The self-assessment (« autodiagnostic », §3.1) and its global result."""

    type: Literal["self_assessment"] = "self_assessment"
    done_on: date
    global_result: Score100 | None = None


class SurveySummary(BaseModel):
    """A survey's results as the DITP's report gives them (when the raw CSV is not sent)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    note: Score100
    admissible: Annotated[Count, Field(ge=0)]
    respondents: Annotated[Count, Field(ge=0)] | None = Field(default=None, description="Rows of the CSV export it was scored from.")
    completed: Annotated[Count, Field(ge=0)] | None = Field(default=None, description="Completed questionnaires of that export.")
    engagement_notes: dict[int, Score100] | None = Field(default=None, max_length=MAX_ITEMS)
    overall_note: Score100 | None = None
    csv_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        default=None, description="SHA-256 of the CSV export this summary was scored from (the file is kept beside the engine's data).")


class SurveyResults(Event):
    """A closed survey campaign: the raw CSV export (scored by the engine) or the report's summary."""

    type: Literal["survey"] = "survey"
    kind: SurveyKind
    closed_on: date
    solicited: Annotated[Count, Field(ge=1, le=100_000_000)]
    csv: Annotated[CsvText, Field(max_length=SURVEY_CSV_BYTES)] | None = Field(
        default=None, description="The raw CSV export: the API and the CLI score it and send its summary, never the file.")
    summary: SurveySummary | None = None


class AuditDates(Event):
    """The dates of an audit agreed with the candidate (§3.6); sending new dates is a postponement."""

    type: Literal["audit_dates"] = "audit_dates"
    audit: AuditKind = AuditKind.initial
    visit_start: date
    visit_end: date
    sites: list[ShortText] = Field(min_length=1, max_length=MAX_ITEMS, description="Ids of the sites drawn for the visit.")


class QualityIndicator(BaseModel):
    """A quality-of-service indicator listed in the dossier and the date it was put in place (§3.5.1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: ShortText
    in_place_since: date


class Dossier(Event):
    """The candidacy dossier received through demarche.numerique.gouv.fr (§3.5.1)."""

    type: Literal["dossier"] = "dossier"
    received_on: date
    contents: list[ShortText] = Field(max_length=MAX_ITEMS, description="Ids of the items received, from procedures.yaml dossier_contents.")
    quality_indicators: list[QualityIndicator] | None = Field(
        default=None, max_length=MAX_ITEMS,
        description="The quality indicators in place and since when (the quality-indicators item, §3.5.1); checked "
        "against procedures.quality_indicators_too_recent when the visit's scores are recorded.")

    @model_validator(mode="after")
    def _distinct_indicators(self) -> Dossier:
        twice = sorted(i for i, n in Counter(q.id for q in self.quality_indicators or []).items() if n > 1)
        if twice:
            raise ValueError(f"quality_indicators: each indicator is listed once; {', '.join(twice)} is written twice")
        return self


class ComplementsRequested(Event):
    """The body asks for missing items, due before the visit (§3.5.2)."""

    type: Literal["complements_requested"] = "complements_requested"
    requested_on: date
    items: list[ShortText] = Field(min_length=1, max_length=MAX_ITEMS)


class AuditPlan(Event):
    """The audit plan sent to the candidate (§3.7.1)."""

    type: Literal["audit_plan"] = "audit_plan"
    sent_on: date
    auditors: list[ShortText] = Field(min_length=1, max_length=MAX_ITEMS)


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
    text: LongText


class Decision(Event):
    """The body's decision; ``tier`` null means refusal. Differing from the proposal needs a reason."""

    type: Literal["decision"] = "decision"
    decided_on: date
    tier: ShortText | None
    reason: LongText | None = None


class ActionPlan(Event):
    """The action plan asked after a follow-up below the minimum (§3.9.1)."""

    type: Literal["action_plan"] = "action_plan"
    received_on: date


class Suspension(Event):
    """A suspension decided by the body (§5.3.1), for one of the guide's reasons."""

    type: Literal["suspension"] = "suspension"
    reason: ShortText
    effective: date
    note: LongText | None = None


class SuspensionLifted(Event):
    type: Literal["suspension_lifted"] = "suspension_lifted"
    effective: date


class Withdrawal(Event):
    """A withdrawal decided by the body (§5.3.2), for one of the guide's reasons.

    « matérialisé par une notification de retrait … précisant la date de mise en application »: notified on
    ``notified_on`` (not in the future), it takes effect on ``effective``, which may be ahead — the label holds, and
    stays on the public list, until then. Without ``notified_on`` it is notified on the day it takes effect."""

    type: Literal["withdrawal"] = "withdrawal"
    reason: ShortText
    effective: date
    notified_on: date | None = Field(default=None, description="The day the withdrawal was notified (§5.3.2); needed "
                                     "when it takes effect later than today.")
    note: LongText | None = None


class RenewalRequested(Event):
    """The labelled service asks to renew (§3.10), possibly with another certification body (§3.2)."""

    type: Literal["renewal"] = "renewal"
    requested_on: date
    certification_body: BodyId | None = None
    contract_signed: date


class PerimeterExtension(Event):
    """Sites or domains added to the labelled perimeter, audited at the next follow-up or renewal audit (§5.2).

    ``new_cycle``: an extension larger in headcount than the contract may open a new 3-year cycle that
    carries the sites already labelled, with both parties' agreement.
    """

    type: Literal["perimeter_extension"] = "perimeter_extension"
    requested_on: date
    sites: list[Site] = Field(default_factory=list, max_length=MAX_ITEMS)
    domains: list[ShortText] = Field(default_factory=list, max_length=MAX_ITEMS)
    agents_added: Annotated[Count, Field(ge=0, le=10_000_000)]
    new_cycle: bool = False


class Appeal(Event):
    """An appeal against the body's latest decision, to its impartial commission (§5.1)."""

    type: Literal["appeal"] = "appeal"
    lodged_on: date
    grounds: LongText


class AppealDecision(Event):
    """The commission's decision: upheld (the decision changes to ``tier``, null for a refusal) or dismissed."""

    type: Literal["appeal_decision"] = "appeal_decision"
    decided_on: date
    outcome: ShortText
    tier: ShortText | None = None


class RulesEditionChange(Event):
    """Move this cycle to another rules edition: an explicit act, with its reason, kept on the timeline."""

    type: Literal["rules_edition_change"] = "rules_edition_change"
    edition: ShortText
    reason: LongText


CycleEvent = Annotated[
    SelfAssessment | SurveyResults | AuditDates | Dossier | ComplementsRequested | AuditPlan | Visit | Report
    | Observations | Decision | ActionPlan | Suspension | SuspensionLifted | Withdrawal | RenewalRequested
    | PerimeterExtension | Appeal | AppealDecision | RulesEditionChange,
    Field(discriminator="type"),
]


class Envelope(BaseModel):
    """One event as sent: who sent it, its idempotency id, and the event."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    event_id: ShortText
    actor: ShortText = "certification-body"
    event: CycleEvent
