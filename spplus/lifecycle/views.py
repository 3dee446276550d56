"""What the outside world reads of a cycle (queries, CLI, API): plain views of the state.

Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from .events import Candidate
from .state import Attestation, AuditRecord, CycleState, Deadline, LabelStatus, Phase


class DeadlineView(BaseModel):
    key: str
    kind: str
    due: date
    what: str
    status: str
    rule: str
    edition: str
    reference: str
    explanation: str


class CycleView(BaseModel):
    """A cycle's state as people read it: phase, label, open deadlines with their rules."""

    candidate: Candidate
    cycle_number: int
    phase: Phase
    label_status: LabelStatus
    attestation: Attestation | None
    edition: str
    content_hash: str
    open_deadlines: list[DeadlineView]
    current_audit: AuditRecord | None
    audits: int
    breaches: int
    new_application_from: date | None
    withdrawal: dict[str, str] | None
    finished: bool
    # A withdrawal notified ahead of its effective date (§5.3.2): the label holds until then.
    pending_withdrawal: dict[str, str | None] | None = None


def deadline_view(deadline: Deadline) -> DeadlineView:
    computed = deadline.computed
    return DeadlineView(
        key=deadline.key, kind=deadline.kind.value, due=deadline.due, what=deadline.what, status=deadline.status.value,
        rule=computed.rule, edition=computed.edition, reference=computed.reference, explanation=computed.explanation,
    )


def cycle_view(state: CycleState) -> CycleView:
    return CycleView(
        candidate=state.candidate, cycle_number=state.cycle_number, phase=state.phase, label_status=state.label_status,
        attestation=state.attestation, edition=state.edition, content_hash=state.rules.content_hash,
        open_deadlines=[deadline_view(d) for d in state.open_deadlines()], current_audit=state.current_audit,
        audits=len(state.audits), breaches=state.breaches, new_application_from=state.new_application_from,
        withdrawal=state.withdrawal, finished=state.finished, pending_withdrawal=state.pending_withdrawal,
    )
