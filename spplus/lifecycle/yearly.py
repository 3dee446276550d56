"""The yearly self-assessment of a labelled local service (§3.9.1, §3.9.2 notes).

« Afin de garantir le maintien de la démarche d'amélioration continue, les services publics locaux labellisés
réalisent chaque année un autodiagnostic, indépendamment de la date de l'audit initial. En vue de l'audit de suivi,
le service public devra attester, par la production du ou des rapports de résultats d'autodiagnostics, de la
réalisation des autodiagnostics intervenus depuis sa première demande de labellisation … (rapports émis dans les 12
et/ou 24 mois suivant celui fourni à l'appui de la demande d'audit initial) » (§3.9.1); the local services labelled
through their central service do it « chaque année » too (§3.9.2 notes).

The years are counted from the self-assessment the label's initial audit used (its anchor): year k runs from the day
after anchor + (k − 1) × the rule's span to anchor + k × the span, that last day included
(rules/deadlines.yaml annual_self_assessment). The cycle reminds each year's last day while the label holds, and the
follow-up audit checks a self-assessment in every year ended by its visit; what a missing one does is
rules/procedures.yaml missing_annual_self_assessment.

Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from ..calendar import apply_non_working_day_policy, shift
from ..deadlines import ComputedDate
from ..rules.models import MissingAnnualReport
from .common import ONE_DAY
from .events import AuditKind
from .state import AuditRecord, CycleState

KEY = "self_assessment.year"
MAX_YEARS = 50  # a bound on the loop below, far beyond a 3-year label whatever the rule's span


class SelfAssessmentYear(BaseModel):
    """One year of self-assessment: its number, its first day, and its last day (the date reminded)."""

    number: int
    first_day: date
    last_day: ComputedDate

    @property
    def key(self) -> str:
        return f"{KEY}{self.number}"

    def holds(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day.date


def used_self_assessment(state: CycleState, audit: AuditRecord) -> date | None:
    """The self-assessment an audit used: the latest recorded on or before its visit (§3.1)."""
    before = [d for d in state.self_assessments if d <= audit.visit_start]
    return max(before) if before else None


def years(state: CycleState, anchor: date, until: date) -> list[SelfAssessmentYear]:
    """The years counted from ``anchor`` whose last day comes before ``until`` (the label's expiry)."""
    dated = state.rules.deadlines.annual_self_assessment
    if dated is None:
        return []
    rule_from, entry = dated.entry_at(anchor)
    delay = entry.value
    policy = state.rules.calendars.deadline_on_non_working_day.at(anchor)
    out: list[SelfAssessmentYear] = []
    first = anchor + ONE_DAY
    for number in range(1, MAX_YEARS + 1):
        raw = shift(anchor, number * delay.amount, delay.unit, backwards=False, calendar=state.calendar)
        last = apply_non_working_day_policy(raw, policy, state.calendar) if delay.movable else raw
        if last >= until:
            break
        span = f"{number * delay.amount} {delay.unit.value.replace('_', ' ')}"
        explanation = (f"year {number}: {span} after the self-assessment of {anchor.isoformat()} that the initial audit used, "
                       f"that day included")
        if last != raw:
            explanation += f"; {raw.isoformat()} is not a working day, moved to {last.isoformat()}"
        out.append(SelfAssessmentYear(number=number, first_day=first, last_day=ComputedDate(
            key=f"{KEY}{number}", date=last, rule="deadlines.annual_self_assessment", edition=state.edition,
            rule_from=rule_from, reference=entry.reference, explanation=explanation)))
        first = last + ONE_DAY
    return out


def label_years(state: CycleState) -> list[SelfAssessmentYear]:
    """The years of the label that holds, counted from its anchor (none before the yearly checks existed)."""
    if not state.yearly_self_assessments or state.self_assessment_anchor is None or state.attestation is None:
        return []
    return years(state, state.self_assessment_anchor, state.attestation.expires)


def missing_years(state: CycleState, audit: AuditRecord) -> tuple[MissingAnnualReport | None, list[str]]:
    """At a follow-up audit: each year ended by its visit's start with no self-assessment recorded in it (§3.9.1),
    and what procedures.missing_annual_self_assessment says to do. Nothing for an initial audit, nor for a cycle
    opened before the yearly checks existed, nor on rules pinned before they did."""
    setting = state.rules.procedures.missing_annual_self_assessment
    if audit.kind != AuditKind.followup or setting is None:
        return None, []
    found: list[str] = []
    for year in label_years(state):
        if year.last_day.date > audit.visit_start:
            break
        if not any(year.holds(d) for d in state.self_assessments):
            found.append(f"no self-assessment recorded in year {year.number} of the label, {year.first_day.isoformat()} to "
                         f"{year.last_day.date.isoformat()} ({year.last_day.explanation}; {year.last_day.rule}, "
                         f"{year.last_day.reference.split(' (')[0]})")
    return setting.at(audit.visit_start), found
