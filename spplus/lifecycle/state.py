"""The state of one label cycle: everything recorded, every open deadline, the timeline.

One model carried whole through continue-as-new (deadlines are absolute dates, never timers),
so a renewal's next cycle starts where the last one stood.

Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, field_validator

from ..calendar import WorkingCalendar
from ..deadlines import ComputedDate
from ..rules.models import RuleSet
from ..rules.shared import shared
from ..surveys import SurveyResult
from ..tiers import AuditScores, TierProposal
from .events import AuditKind, Candidate, RenewalRequested


class Phase(StrEnum):
    """Where a cycle stands (« étape »)."""

    preparation = "preparation"  # prerequisites and dossier, audit not yet visited
    audit = "audit"  # visit done, report and observations under way
    decision = "decision"  # report and observations closed, waiting for the body's decision
    labelled = "labelled"
    followup = "followup"  # follow-up audit under way
    action_plan = "action_plan"  # follow-up below minimum, action plan due
    suspended = "suspended"
    refused = "refused"
    withdrawn = "withdrawn"
    expired = "expired"
    renewing = "renewing"  # renewal audit under way while the previous label still holds
    closed = "closed"


class LabelStatus(StrEnum):
    none = "none"
    valid = "valid"
    suspended = "suspended"
    withdrawn = "withdrawn"
    expired = "expired"


class DeadlineKind(StrEnum):
    deadline = "deadline"  # something must happen by then: missing it is a breach
    reminder = "reminder"  # a date to be told about (preparation, invitation)
    window_closes = "window_closes"  # last day of a window something must happen in (follow-up audit)
    window = "window"  # last day of a window the candidate may use (observations): no breach
    transition = "transition"  # the cycle changes course on that date (expiry, suspension limit)


class DeadlineStatus(StrEnum):
    open = "open"
    met = "met"
    missed = "missed"
    done = "done"  # a reminder sent or a transition applied
    cancelled = "cancelled"


class Deadline(BaseModel):
    """A dated obligation or reminder, with the rule that set it."""

    key: str
    kind: DeadlineKind
    due: date
    what: str
    computed: ComputedDate
    status: DeadlineStatus = DeadlineStatus.open
    reminded: bool = False
    closed_on: date | None = None


class TimelineEntry(BaseModel):
    """One line of a cycle's story: what happened, on which date, who said so, under which rules."""

    on: date
    recorded: date
    kind: str
    actor: str
    summary: str
    edition: str
    event_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class Attestation(BaseModel):
    """The label's attestation (§3.8.1): valid 3 years, naming every covered site."""

    tier: str
    tier_label: str
    valid_from: date
    expires: date  # first day it no longer holds
    last_valid_day: date
    sites: list[str]
    certification_body: str
    edition: str


class AuditRecord(BaseModel):
    """One audit (initial or follow-up) from its dates to its decision."""

    number: int
    kind: AuditKind
    visit_start: date
    visit_end: date
    sites: list[str]
    postponements: int = 0
    dossier_received: date | None = None
    dossier_missing: list[str] = Field(default_factory=list)
    complements_requested: list[str] = Field(default_factory=list)
    plan_sent: date | None = None
    auditors: list[str] = Field(default_factory=list)
    scores: AuditScores | None = None
    proposal: TierProposal | None = None
    report_sent: date | None = None
    report_received: date | None = None
    observations: list[str] = Field(default_factory=list)
    observations_closed: bool = False
    decided_on: date | None = None
    decided_tier: str | None = None
    outcome: str | None = None


# What the engine does with the facts a cycle records, fixed when the cycle opens (the workflow sets it
# under a patch, ``workflows/cycle.py`` and ``workflows/central.py``), so that the histories of cycles
# opened before replay as they ran. One bit per patch (a state holds the bits of the patches its cycle
# opened under; 0, or absent, for cycles opened before the first):
#   1  LATE_FACTS: a deadline whose due date is already past when a fact sets it is judged at once (no
#      « due today » for a day gone), a breach withdrawn for a fact done on time is told, and every
#      reminder closes when what it reminds of happens or stops being possible (issue 12). Local cycles.
#   2  NOTICES_AND_YEARLY_CHECKS (issue 14): the yearly self-assessment reminders and their check at the
#      follow-up audit (§3.9.1, §3.9.2 notes; only with rules that have deadlines.annual_self_assessment);
#      the §3.8.2 follow-up that lapses when the central service is labelled meanwhile; a withdrawal
#      notified ahead of its effective date (§5.3.2); in a central cycle, the auditor's judgement of the
#      corrective actions before the decision (§3.7.2) and the notice of its label to its network.
LATE_FACTS = 1
NOTICES_AND_YEARLY_CHECKS = 2
CURRENT_BEHAVIOUR = LATE_FACTS | NOTICES_AND_YEARLY_CHECKS
CURRENT_CENTRAL_BEHAVIOUR = NOTICES_AND_YEARLY_CHECKS  # a central cycle never took LATE_FACTS


class CycleRecord(BaseModel):
    """What every cycle keeps, local or central: pinned rules, deadlines, the timeline."""

    rules: RuleSet
    calendar: WorkingCalendar
    deadlines: dict[str, Deadline] = Field(default_factory=dict)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    applied_events: dict[str, str] = Field(default_factory=dict)  # event id → event type
    breaches: int = 0
    finished: bool = False
    behaviour: int = 0  # see LATE_FACTS above; absent from the states of cycles opened before it

    @property
    def closes_reminders(self) -> bool:
        """Whether this cycle runs the late-facts behaviour (judged at once, reminders that close)."""
        return bool(self.behaviour & LATE_FACTS)

    @property
    def notices_and_yearly_checks(self) -> bool:
        """Whether this cycle opened under the issue-14 patch (see NOTICES_AND_YEARLY_CHECKS above)."""
        return bool(self.behaviour & NOTICES_AND_YEARLY_CHECKS)

    @field_validator("rules")
    @classmethod
    def _one_copy_per_edition(cls, rules: RuleSet) -> RuleSet:
        # However the state is built (opened, or decoded from a history or a continue-as-new input),
        # it holds the process's one copy of an equal edition: thousands of cycles, one rule set.
        return shared(rules)

    @property
    def edition(self) -> str:
        return self.rules.edition_id

    def open_deadlines(self) -> list[Deadline]:
        return sorted((d for d in self.deadlines.values() if d.status == DeadlineStatus.open), key=lambda d: (d.due, d.key))

    def recipients(self) -> list[str]:
        raise NotImplementedError


class CycleState(CycleRecord):
    """Everything a local cycle knows. Rules and calendar are pinned: a cycle runs on its edition."""

    cycle_number: int = 1
    candidate: Candidate
    phase: Phase = Phase.preparation
    label_status: LabelStatus = LabelStatus.none
    attestation: Attestation | None = None
    previous_attestation: Attestation | None = None
    self_assessments: list[date] = Field(default_factory=list)
    surveys: dict[str, SurveyResult] = Field(default_factory=dict)
    audits: list[AuditRecord] = Field(default_factory=list)
    refusal_notified: date | None = None
    new_application_from: date | None = None
    suspension_reason: str | None = None
    suspended_on: date | None = None
    withdrawal: dict[str, Any] | None = None
    continue_as_new: bool = False
    renewal_request: RenewalRequested | None = None
    independent: bool = True  # False while labelled through a central service: no follow-up audit of its own
    pending_extension: dict[str, Any] | None = None  # sites/domains added, awaiting the audit that covers them (§5.2)
    appeal: dict[str, Any] | None = None  # an appeal lodged and not yet decided (§5.1)
    # The self-assessment the label's initial audit used: the yearly ones are counted from it (§3.9.1).
    self_assessment_anchor: date | None = None
    # Why a local service labelled through its central service owes its own follow-up audit: "central_refused"
    # (§3.8.2 note: it lapses if the central service is labelled meanwhile) or "central_withdrawn" (§5.3.2 note).
    owed_followup: str | None = None
    # A withdrawal notified ahead of its effective date (§5.3.2): reason, notified_on, effective, actor, event_id.
    pending_withdrawal: dict[str, Any] | None = None

    def model_post_init(self, context: Any) -> None:
        if self.candidate.network and not self.audits and not self.timeline:
            self.independent = False

    def recipients(self) -> list[str]:
        return [f"candidate:{self.candidate.id}", f"body:{self.candidate.certification_body}"]

    @property
    def current_audit(self) -> AuditRecord | None:
        # An audit that lapsed (a §3.8.2 follow-up no longer owed) is never decided and is not under way.
        last = self.audits[-1] if self.audits else None
        return last if last is not None and last.decided_on is None and last.outcome is None else None

    @property
    def yearly_self_assessments(self) -> bool:
        """Whether this cycle reminds and checks the yearly self-assessments (§3.9.1): opened under the patch, on
        rules that have deadlines.annual_self_assessment (the rules a cycle pinned before it do not)."""
        return self.notices_and_yearly_checks and self.rules.deadlines.annual_self_assessment is not None

    @property
    def renewal_in_progress(self) -> bool:
        """A renewal cycle whose audit is not decided yet (the previous label may still hold)."""
        return self.cycle_number > 1 and not any(a.kind == AuditKind.initial and a.decided_on for a in self.audits)

    def settled_phase(self) -> Phase:
        """Where a cycle holding a label stands once a step is over: a suspension or a renewal under
        way outlives any other step (§5.3.1, §3.10)."""
        if self.label_status == LabelStatus.suspended:
            return Phase.suspended
        if self.renewal_in_progress:
            return Phase.renewing
        return Phase.labelled

    def survey_note(self, kind: str) -> Decimal | None:
        result = self.surveys.get(kind)
        return result.note if result is not None else None
