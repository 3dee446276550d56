"""A central public service's cycle as a pure state machine (§2.2.2, §3.1, §3.3, §3.7.2, §3.8.2, §3.9.2).

Year N: ⌈√n⌉ local services are drawn at random; each runs its own audit (its own cycle); once they
are decided the central audit (yes/no control points) takes place; the decision labels the central
service when ⌈75 %⌉ of the audited local services are labelled, its control points reach 75 % and
every local service produced its self-assessment, with the tier most of them obtained.
Years N+1 and N+2: a new sample among the services not yet audited, a follow-up central audit,
more services to present when fewer than 75 % pass.

The workflow gives the randomness (``seed_for``) and carries out the effects: local cycles to
start, local cycles to tell about the central label's fate (the labelled ones of the year, one signal each;
the whole network when the central service is labelled, with one activity — §3.8.2 note).
Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..calendar import WorkingCalendar
from ..central import central_decision, draw_sample, required_labelled, sample_size, services_to_add, year_outcome
from ..deadlines import delay_date, window_dates
from ..idempotency import REUSED_KEY, is_repeat, reused_for_another, stamp
from ..lifecycle.common import (
    ONE_DAY, EventRefused, Notification, cancel, check_reason, check_report_dates, close_deadline, log,
    not_before, not_future, refuse, set_deadline, tier_label,
)
from ..lifecycle.boundary import check_boundary
from ..lifecycle.days import advance
from ..lifecycle.events import AuditPlan, Report, Suspension, SuspensionLifted, Withdrawal
from ..lifecycle.checks import check_withdrawal_dates
from ..lifecycle.state import CURRENT_CENTRAL_BEHAVIOUR, Deadline, DeadlineKind, DeadlineStatus, LabelStatus
from ..exact import percent
from ..rules.models import LowerMajority, RuleSet
from ..tiers import tier_rank
from .events import (
    CentralActionPlan, CentralAuditDates, CentralCandidate, CentralDecision, CentralEnvelope, CentralVisit,
    CorrectiveActions, CorrectiveActionsJudged, LocalOutcome, LocalService, NetworkReports, SampleExtended,
)
from .state import CentralAttestation, CentralAudit, CentralPhase, CentralState, LabelledLocal

SeedFor = Callable[[str], int]
ENDED = {CentralPhase.refused, CentralPhase.withdrawn, CentralPhase.expired, CentralPhase.closed}


class NetworkNotice(BaseModel):
    """What a local cycle is told of its central service's label (§3.8.2 note, §5.3.2 note)."""

    kind: Literal["central_refused", "central_withdrawn", "central_labelled"]
    on: date
    central: str


class Effects(BaseModel):
    notes: list[Notification] = Field(default_factory=list)
    start_locals: list[LocalService] = Field(default_factory=list)
    tell_locals: dict[str, NetworkNotice] = Field(default_factory=dict)
    # A notice for every local service of the network whose cycle runs (sent by an activity, not one signal each):
    # the central label obtained, which ends the §3.8.2 follow-ups owed since an earlier refusal.
    tell_network: NetworkNotice | None = None

    def extend(self, other: Effects) -> None:
        self.notes += other.notes
        self.start_locals += other.start_locals
        self.tell_locals.update(other.tell_locals)
        self.tell_network = other.tell_network or self.tell_network


# ------------------------------------------------------------------------------------- opening, draws
def open_central(candidate: CentralCandidate, rules: RuleSet, calendar: WorkingCalendar, today: date,
                 seed_for: SeedFor) -> tuple[CentralState, Effects]:
    # The workflow sets the behaviour back to 0 for a cycle whose run began before its patch (workflows/central.py).
    state = CentralState(candidate=candidate, rules=rules, calendar=calendar, started_year=today.year,
                         behaviour=CURRENT_CENTRAL_BEHAVIOUR)
    log(state, today, candidate.contract_signed, "candidacy_opened",
        f"central candidacy of {candidate.name} with {candidate.certification_body}: {len(candidate.local_services)} local services")
    log(state, today, today, "rules_pinned", f"rules edition {rules.edition_id} pinned ({rules.content_hash})",
        edition=rules.edition_id, content_hash=rules.content_hash)
    effects = Effects()
    size = sample_size(rules, len(candidate.local_services), today)
    _draw(state, today, size, seed_for, effects, why=f"⌈√{len(candidate.local_services)}⌉ = {size} (§3.1)")
    return state, effects


def _draw(state: CentralState, today: date, size: int, seed_for: SeedFor, effects: Effects, why: str) -> None:
    """Draw ``size`` services among those not audited yet in this cycle (§3.9.2), with a recorded seed."""
    remaining = [s for s in state.network_ids if s not in state.audited]
    size = min(size, len(remaining))
    if size == 0:
        log(state, today, today, "sample_drawn", "no local service left to draw: every one was audited in this cycle")
        return
    seed = seed_for(f"sampling:{state.cycle_number}:{state.year}:{len(state.samples)}")
    drawn = draw_sample(remaining, size, seed, state.started_year + state.year)
    state.samples.append(drawn)
    by_id = {s.id: s for s in state.candidate.local_services}
    for local in drawn.drawn:
        state.audited.append(local)
        state.sample_year[local] = state.year
        effects.start_locals.append(by_id[local])
    log(state, today, today, "sample_drawn",
        f"year N+{state.year}: {size} of {len(remaining)} local services drawn ({why}): {', '.join(drawn.drawn)}; "
        f"seed {seed} — reproduce with random.Random({seed}).sample(sorted(population), {size})",
        seed=seed, size=size, drawn=drawn.drawn, population=len(remaining))


def _set_stage(state: CentralState, stage: CentralPhase) -> None:
    """Move the year's work on; the phase follows unless a suspension or an action plan holds it."""
    state.stage = stage
    if state.phase not in (CentralPhase.suspended, CentralPhase.action_plan):
        state.phase = stage


# ------------------------------------------------------------------------------------- checks
def check(state: CentralState, envelope: CentralEnvelope, today: date) -> None:
    if is_repeat(state.applied_events, envelope):
        return
    if reused_for_another(state.applied_events, envelope):
        refuse(REUSED_KEY, "event_id")
    if state.finished or state.phase in ENDED:
        refuse(f"this central cycle has ended ({state.phase.value}); no event can be recorded on it")
    check_boundary(state, envelope)
    event = envelope.event
    handler = _CHECKS.get(type(event))
    if handler is None:
        refuse(f"the event {event.type!r} is not handled by a central cycle")
    handler(state, event, today)


def _check_reports(state: CentralState, event: NetworkReports, today: date) -> None:
    unknown = [s for s in event.produced_by if s not in state.network_ids]
    if unknown:
        refuse(f"produced_by: unknown local service(s) {', '.join(unknown)}", "produced_by")
    if event.year > today.year:
        refuse(f"year: {event.year} has not begun", "year")


def _check_extension(state: CentralState, event: SampleExtended, today: date) -> None:
    if state.stage not in (CentralPhase.network_audits, CentralPhase.shortfall):
        refuse(f"services are added to the year's sample before its central audit; this year is at {state.stage.value}")
    if len(set(event.services)) != len(event.services):
        refuse("services: a service is named twice", "services")
    unknown = [s for s in event.services if s not in state.network_ids]
    if unknown:
        refuse(f"services: unknown local service(s) {', '.join(unknown)}", "services")
    again = [s for s in event.services if s in state.audited]
    if again:
        refuse(f"services: {', '.join(again)} already audited in this cycle; present services not yet audited (§3.9.2)", "services")
    remaining = len([s for s in state.network_ids if s not in state.audited]) - len(event.services)
    if not event.services and not event.count:
        refuse("name services or give a count to draw", "count")
    if event.count > remaining:
        refuse(f"count: only {remaining} local services are left to draw", "count")


def _check_audit_dates(state: CentralState, event: CentralAuditDates, today: date) -> None:
    if state.stage == CentralPhase.shortfall:
        share = percent(state.rules.central.criteria.at(today).local_labelled_min_share)
        refuse(f"fewer than {share} of the audited local services are labelled: present more services before the central audit (§3.9.2)")
    if state.stage != CentralPhase.central_audit:
        pending = [s for s in state.year_sample() if s not in state.results]
        refuse(f"the central audit comes after its sampled local services are audited (§3.7.2); still to decide: {', '.join(pending) or '—'}"
               if state.stage == CentralPhase.network_audits else f"no central audit is due; this year is at {state.stage.value}")
    if event.visit_start < today:
        refuse(f"visit_start: {event.visit_start.isoformat()} is past; audit dates are set ahead of the visit", "visit_start")
    if event.visit_end < event.visit_start:
        refuse("visit_end: before visit_start", "visit_end")
    if state.year > 0:
        opens = state.deadlines.get(f"central.followup{state.year}.window_opens")
        closes = state.deadlines.get(f"central.followup{state.year}.window_closes")
        if opens and closes and not (opens.due <= event.visit_start and event.visit_end <= closes.due):
            refuse(f"the follow-up audit takes place between {opens.due.isoformat()} and {closes.due.isoformat()} (§3.9.2)", "visit_start")


def _audit(state: CentralState, step: str) -> CentralAudit:
    audit = state.current_audit
    if audit is None:
        refuse(f"{step} needs the central audit's dates first")
    assert audit is not None
    return audit


def _check_plan(state: CentralState, event: AuditPlan, today: date) -> None:
    audit = _audit(state, "an audit plan")
    not_future(event.sent_on, today, "sent_on", "a plan sent")
    if event.sent_on > audit.visit_start:
        refuse(f"sent_on: the plan is sent before the visit ({audit.visit_start.isoformat()})", "sent_on")


def _check_visit(state: CentralState, event: CentralVisit, today: date) -> None:
    audit = _audit(state, "a visit")
    if audit.control_points is not None:
        refuse("the central visit is already recorded", "control_points")
    if today < audit.visit_end:
        refuse(f"the visit ends on {audit.visit_end.isoformat()}; record its control points from that day on", "control_points")


def _check_report(state: CentralState, event: Report, today: date) -> None:
    audit = _audit(state, "a report")
    if audit.control_points is None:
        refuse("the report follows the visit: record the control points first")
    if audit.report_received is not None:
        refuse("the report of this audit is already recorded")
    check_report_dates(event.sent_on, event.received_on, audit.visit_end, today)


def _check_corrective(state: CentralState, event: CorrectiveActions, today: date) -> None:
    audit = _audit(state, "corrective actions")
    if audit.report_received is None:
        refuse("corrective actions answer the report: record the report first")
    not_future(event.received_on, today, "received_on", "corrective actions received")
    not_before(event.received_on, audit.report_received, "received_on", "the report's receipt")
    window = state.deadlines.get(f"central.audit{len(state.audits)}.corrective_actions")
    if window is not None and event.received_on > window.due:
        refuse(f"received_on: corrective actions are proposed by {window.due.isoformat()} ({window.computed.explanation})", "received_on")


def _check_judgement(state: CentralState, event: CorrectiveActionsJudged, today: date) -> None:
    if not state.notices_and_yearly_checks:
        refuse("this central cycle opened before the auditor's judgement was recorded: the body decides on the corrective "
               "actions as proposed")
    audit = _audit(state, "judging corrective actions")
    proposed = audit.corrective_actions
    if not proposed:
        refuse("no corrective actions were proposed: the auditor judges the ones the candidate proposes (§3.7.2)")
    if audit.corrective_judgement is not None and len(audit.corrective_judgement) == len(proposed):
        refuse(f"the {len(proposed)} corrective action(s) proposed were judged on {audit.judged_on.isoformat() if audit.judged_on else '—'}; "
               "a new judgement follows new proposals")
    if len(event.relevant) != len(proposed):
        refuse(f"relevant: one verdict per corrective action proposed, in the order received: {len(proposed)} proposed, "
               f"{len(event.relevant)} verdict(s) given", "relevant")
    proposed_on = [e.on for e in state.timeline if e.kind == "corrective_actions" and e.data.get("audit") == len(state.audits)]
    last = max(proposed_on, default=audit.report_received)
    assert last is not None
    not_before(event.judged_on, last, "judged_on", "the last corrective action proposed (§3.7.2)")
    not_future(event.judged_on, today, "judged_on", "a judgement")


def proposal(state: CentralState, audit: CentralAudit) -> tuple[bool, str | None, str]:
    """(labelled, tier, why) the rules give for this year's central audit."""
    assert audit.control_points is not None
    at = audit.visit_start
    # Annual reports of the year N the audits are held in (« réalisation annuelle », §2.2.2), not the contract's year.
    years = (at.year,)
    self_assessed = {s for y in years for s in state.reports.get(f"{y}:self_assessment", [])}
    all_self_assessed = set(state.network_ids) <= self_assessed
    year_tiers = [r.tier for r in state.year_results(audit.year)]
    if audit.year == 0:
        decision = central_decision(state.rules, audit.control_points, year_tiers, all_self_assessed, at)
        failed = "; ".join(c.detail for c in decision.criteria if not c.passed)
        return decision.labelled, decision.tier, failed or "every criterion holds"
    surveyed = {s for y in years for s in state.reports.get(f"{y}:surveys", [])}
    labelled_locals = {l.id for l in state.attestation.locals} if state.attestation else set()
    decision = central_decision(state.rules, audit.control_points, year_tiers, all_self_assessed, at,
                                network_surveys_produced=labelled_locals <= surveyed)
    assert state.attestation is not None
    if not decision.labelled:
        failed = "; ".join(c.detail for c in decision.criteria if not c.passed)
        return False, None, failed
    outcome = year_outcome(state.rules, state.attestation.tier, [t for t in year_tiers if t], at)
    if outcome == "higher":
        return True, decision.tier, f"year N+{audit.year}: higher"
    if outcome == "lower" and lower_majority(state.rules, at) == LowerMajority.majority_tier:
        return True, decision.tier, f"year N+{audit.year}: lower, the majority's tier (central.followup_lower_majority)"
    if outcome == "lower":
        return True, state.attestation.tier, f"year N+{audit.year}: lower, the held tier kept (central.followup_lower_majority)"
    return True, state.attestation.tier, f"year N+{audit.year}: {outcome}"


def lower_majority(rules: RuleSet, at: date) -> LowerMajority:
    """What a central follow-up gives when most of the year's local labels are below the held tier (§3.9.2 names
    only « confirmé » and « palier supérieur »: an Open choice of the rules, central.followup_lower_majority);
    the held tier for rules pinned before that setting existed, as those cycles had it."""
    dated = rules.central.followup_lower_majority
    return LowerMajority.keep_held_tier if dated is None else dated.at(at)


def _check_decision(state: CentralState, event: CentralDecision, today: date) -> None:
    audit = _audit(state, "a decision")
    if audit.report_received is None:
        refuse("the decision follows the report: record the report first")
    window = state.deadlines.get(f"central.audit{len(state.audits)}.corrective_actions")
    if not audit.corrective_actions and window is not None and event.decided_on <= window.due:
        refuse(f"decided_on: corrective actions may be proposed until {window.due.isoformat()}; decide after that day", "decided_on")
    if state.notices_and_yearly_checks and audit.corrective_actions:
        judged = audit.corrective_judgement
        if judged is None or len(judged) != len(audit.corrective_actions):
            refuse(f"the auditor judges the {len(audit.corrective_actions)} corrective action(s) proposed before the complete "
                   "report goes to the body for decision (§3.7.2): record corrective_actions_judged first")
        assert audit.judged_on is not None
        not_before(event.decided_on, audit.judged_on, "decided_on", "the auditor's judgement of the corrective actions (§3.7.2)")
    not_before(event.decided_on, audit.report_received, "decided_on", "the report's receipt")
    not_future(event.decided_on, today, "decided_on", "a decision")
    tiers = [t.id for t in state.rules.tiers.tiers.at(audit.visit_start)]
    if event.tier is not None and event.tier not in tiers:
        refuse(f"tier: unknown tier {event.tier!r}; the tiers are {', '.join(tiers)}", "tier")
    labelled, tier, why = proposal(state, audit)
    if event.tier != tier and not (event.reason and event.reason.strip()):
        refuse(f"tier: the rules give {tier or 'no label'} ({why}); a different decision needs a written reason", "reason")


def _check_action_plan(state: CentralState, event: CentralActionPlan, today: date) -> None:
    if "central.action_plan" not in state.deadlines or state.phase not in (CentralPhase.action_plan, CentralPhase.suspended):
        refuse(f"no action plan is due; this cycle is {state.phase.value}")
    not_future(event.received_on, today, "received_on", "an action plan")


def _check_suspension(state: CentralState, event: Suspension, today: date) -> None:
    if state.label_status != LabelStatus.valid:
        refuse(f"only a valid label can be suspended; this label is {state.label_status.value}")
    check_reason(state.rules.procedures.suspension_reasons.at(event.effective), event.reason, "suspension", "§5.3.1")
    not_future(event.effective, today, "effective", "a suspension")


def _check_lift(state: CentralState, event: SuspensionLifted, today: date) -> None:
    if state.phase != CentralPhase.suspended:
        refuse(f"no suspension to lift; this cycle is {state.phase.value}")
    not_future(event.effective, today, "effective", "a lifting")


def _check_withdrawal(state: CentralState, event: Withdrawal, today: date) -> None:
    if state.label_status not in (LabelStatus.valid, LabelStatus.suspended):
        refuse(f"only a label that holds can be withdrawn; this label is {state.label_status.value}")
    check_reason(state.rules.procedures.withdrawal_reasons.at(event.effective), event.reason, "withdrawal", "§5.3.2")
    if not state.notices_and_yearly_checks:
        not_future(event.effective, today, "effective", "a withdrawal")  # as cycles opened before the patch had it
        return
    assert state.attestation is not None
    check_withdrawal_dates(event, state.attestation.valid_from, state.attestation.expires, today, ahead_allowed=True)


_CHECKS: dict[type, Any] = {
    NetworkReports: _check_reports, SampleExtended: _check_extension, CentralAuditDates: _check_audit_dates,
    AuditPlan: _check_plan, CentralVisit: _check_visit, Report: _check_report, CorrectiveActions: _check_corrective,
    CorrectiveActionsJudged: _check_judgement, CentralDecision: _check_decision, CentralActionPlan: _check_action_plan, Suspension: _check_suspension,
    SuspensionLifted: _check_lift, Withdrawal: _check_withdrawal,
}


# ------------------------------------------------------------------------------------- apply
def apply(state: CentralState, envelope: CentralEnvelope, today: date, seed_for: SeedFor) -> Effects:
    effects = Effects()
    if envelope.event_id in state.applied_events:
        return effects
    event = envelope.event
    _APPLY[type(event)](state, event, today, envelope, effects, seed_for)
    state.applied_events[envelope.event_id] = stamp(envelope)
    return effects


def _entry(state: CentralState, today: date, env: CentralEnvelope, on: date, summary: str, **data: Any) -> None:
    log(state, today, on, env.event.type, summary, actor=env.actor, event_id=env.event_id, **data)


def _reports(state, event: NetworkReports, today, env, effects, seed_for) -> None:
    key = f"{event.year}:{event.kind}"
    state.reports[key] = sorted(set(state.reports.get(key, [])) | set(event.produced_by))
    missing = [s for s in state.network_ids if s not in state.reports[key]]
    _entry(state, today, env, today, f"{event.year} {event.kind.replace('_', ' ')} reports from {len(state.reports[key])} of "
           f"{len(state.network_ids)} local services" + (f"; missing: {', '.join(missing[:10])}{'…' if len(missing) > 10 else ''}" if missing else ""))


def _extension(state, event: SampleExtended, today, env, effects: Effects, seed_for) -> None:
    by_id = {s.id: s for s in state.candidate.local_services}
    for local in event.services:
        state.audited.append(local)
        state.sample_year[local] = state.year
        effects.start_locals.append(by_id[local])
    _entry(state, today, env, today, f"sample extended ({event.reason})" + (f": {', '.join(event.services)}" if event.services else ""))
    if event.count:
        _draw(state, today, event.count, seed_for, effects, why=f"{event.count} more drawn at the body's request")
    if state.stage == CentralPhase.shortfall:
        _set_stage(state, CentralPhase.network_audits)


def _audit_dates(state, event: CentralAuditDates, today, env, effects, seed_for) -> None:
    audit = CentralAudit(year=state.year, visit_start=event.visit_start, visit_end=event.visit_end)
    state.audits.append(audit)
    n = len(state.audits)
    _entry(state, today, env, today, f"central audit {n} (year N+{state.year}) set: {event.visit_start.isoformat()}–{event.visit_end.isoformat()}")
    set_deadline(state, today, f"central.audit{n}.audit_plan", DeadlineKind.deadline,
                 delay_date(state.rules, "audit_plan", event.visit_start, state.calendar), "the central audit plan is sent")


def _plan(state, event: AuditPlan, today, env, effects: Effects, seed_for) -> None:
    audit = state.current_audit
    audit.plan_sent = event.sent_on
    close_deadline(state, today, f"central.audit{len(state.audits)}.audit_plan", event.sent_on, effects.notes)
    _entry(state, today, env, event.sent_on, f"central audit plan sent on {event.sent_on.isoformat()}")


def _visit(state, event: CentralVisit, today, env, effects, seed_for) -> None:
    audit = state.current_audit
    audit.control_points = list(event.control_points)
    audit.proposal_labelled, audit.proposal_tier, why = proposal(state, audit)
    _set_stage(state, CentralPhase.decision)
    if audit.year > 0:
        close_deadline(state, today, f"central.followup{audit.year}.window_closes", audit.visit_start, effects.notes)
    validated = sum(event.control_points)
    _entry(state, today, env, audit.visit_end,
           f"central visit: {validated}/{len(event.control_points)} control points validated; the rules give "
           f"{audit.proposal_tier or 'no label'} ({why})")
    set_deadline(state, today, f"central.audit{len(state.audits)}.report", DeadlineKind.deadline,
                 delay_date(state.rules, "report", audit.visit_end, state.calendar), "the central audit report is sent")


def _report(state, event: Report, today, env, effects: Effects, seed_for) -> None:
    audit = state.current_audit
    audit.report_received = event.received_on
    n = len(state.audits)
    close_deadline(state, today, f"central.audit{n}.report", event.sent_on, effects.notes)
    _entry(state, today, env, event.received_on, f"central report sent {event.sent_on.isoformat()}, received {event.received_on.isoformat()}")
    set_deadline(state, today, f"central.audit{n}.corrective_actions", DeadlineKind.window,
                 delay_date(state.rules, "central_corrective_actions", event.received_on, state.calendar),
                 "corrective actions may be proposed")


def _corrective(state, event: CorrectiveActions, today, env, effects, seed_for) -> None:
    audit = state.current_audit
    audit.corrective_actions.append(event.text)
    _entry(state, today, env, event.received_on, f"corrective actions proposed on {event.received_on.isoformat()}"
           + (f" (proposal {len(audit.corrective_actions)})" if state.notices_and_yearly_checks else ""),
           **({"audit": len(state.audits), "proposal": len(audit.corrective_actions)} if state.notices_and_yearly_checks else {}))


def _judgement(state, event: CorrectiveActionsJudged, today, env, effects, seed_for) -> None:
    """§3.7.2: the auditor judges the relevance of the proposals, then sends the complete report for decision."""
    audit = state.current_audit
    audit.corrective_judgement, audit.judged_on = list(event.relevant), event.judged_on
    kept = [n for n, relevant in enumerate(event.relevant, start=1) if relevant]
    dropped = [n for n, relevant in enumerate(event.relevant, start=1) if not relevant]
    words = (f"{len(kept)} of {len(event.relevant)} judged relevant" + (f" (proposal(s) {', '.join(map(str, kept))})" if kept else "")
             + (f"; not relevant: proposal(s) {', '.join(map(str, dropped))}" if dropped else ""))
    _entry(state, today, env, event.judged_on, f"corrective actions judged by the auditor on {event.judged_on.isoformat()}: "
           f"{words}; the complete report goes to the body for decision (§3.7.2)", relevant=list(event.relevant),
           audit=len(state.audits))


def _decision(state: CentralState, event: CentralDecision, today: date, env: CentralEnvelope, effects: Effects, seed_for: SeedFor) -> None:
    """The decision, with the corrective actions the candidate proposed attached to it (§3.7.2, §3.8.2: the auditor
    « transmet le rapport complet (ie. grille d'évaluation et actions correctives) » on which the body decides)."""
    audit = state.current_audit
    assert audit is not None
    actions, judged, judged_on = list(audit.corrective_actions), audit.corrective_judgement, audit.judged_on
    _decide(state, event, today, env, effects, seed_for)
    if actions:
        entry = next((e for e in reversed(state.timeline) if e.event_id == env.event_id), None)
        if entry is not None:
            entry.data["corrective_actions"] = actions
            if judged is not None and judged_on is not None:
                # §3.8.2: « Il adjoint à sa décision le plan d'actions proposé par le service public et validé ».
                plan = [text for text, relevant in zip(actions, judged) if relevant]
                entry.data["corrective_judgement"] = {"judged_on": judged_on.isoformat(), "relevant": judged}
                entry.data["action_plan"] = plan
                entry.summary += (f"; decided with the {len(actions)} corrective action(s) proposed, judged by the auditor on "
                                  f"{judged_on.isoformat()}: the action plan attached holds the {len(plan)} judged relevant"
                                  + (": " + " | ".join(plan) if plan else ""))
                dropped = [text for text, relevant in zip(actions, judged) if not relevant]
                if dropped:
                    entry.summary += "; judged not relevant: " + " | ".join(dropped)
            else:
                entry.summary += f"; decided with the {len(actions)} corrective action(s) proposed: " + " | ".join(actions)


def _decide(state: CentralState, event: CentralDecision, today: date, env: CentralEnvelope, effects: Effects, seed_for: SeedFor) -> None:
    audit = state.current_audit
    assert audit is not None
    _, tier, why = proposal(state, audit)
    audit.decided_on, audit.decided_tier = event.decided_on, event.tier
    window = state.deadlines.get(f"central.audit{len(state.audits)}.corrective_actions")
    if window is not None and window.status == DeadlineStatus.open:
        window.status, window.closed_on = DeadlineStatus.done, event.decided_on
    override = f" (overriding the rules' {tier or 'refusal'}: {event.reason})" if event.tier != tier else ""
    year_locals = [LabelledLocal(id=r.local_id, tier=r.tier, year=r.decided_on.year, decided_on=r.decided_on)
                   for r in state.year_results(audit.year) if r.tier]
    if audit.year == 0 and event.tier is None:
        audit.outcome = "refused"
        state.phase = CentralPhase.refused
        reopen = delay_date(state.rules, "new_application", event.decided_on, state.calendar)
        state.new_application_from = reopen.date
        followup = state.rules.deadlines.followup_target.at(event.decided_on)
        _entry(state, today, env, event.decided_on, f"central label refused{override}; its labelled local services keep "
               f"their labels and owe their own follow-up audit, {followup.amount} {followup.unit.value.replace('_', ' ')} "
               f"after their decision (§3.8.2); new application from {reopen.date.isoformat()}")
        set_deadline(state, today, "refusal.new_application", DeadlineKind.transition, reopen, "a new application becomes possible")
        for local in year_locals:
            effects.tell_locals[local.id] = NetworkNotice(kind="central_refused", on=event.decided_on, central=state.candidate.id)
        effects.notes.append(Notification(key="decision:central:0", kind="decision", recipients=state.recipients(),
                                          subject=f"Central label refused; new application from {reopen.date.isoformat()}"))
        return
    if audit.year == 0:
        assert event.tier is not None
        expiry = delay_date(state.rules, "validity", event.decided_on, state.calendar, label="expiry")
        state.attestation = CentralAttestation(
            tier=event.tier, tier_label=tier_label(state, event.tier, event.decided_on), valid_from=event.decided_on,
            expires=expiry.date, last_valid_day=expiry.date - ONE_DAY, locals=year_locals, edition=state.edition)
        state.label_status, audit.outcome = LabelStatus.valid, "labelled"
        _set_stage(state, CentralPhase.labelled)
        _entry(state, today, env, event.decided_on, f"central service labelled {state.attestation.tier_label}{override}, valid to "
               f"{state.attestation.last_valid_day.isoformat()}; attestation lists {len(year_locals)} labelled local services")
        _label_dates(state, today, event.decided_on, expiry)
        effects.notes.append(Notification(key="decision:central:0", kind="decision", recipients=state.recipients() + ["ditp"],
                                          subject=f"Central service labelled {state.attestation.tier_label}"))
        if state.notices_and_yearly_checks:
            # §3.8.2 note: the local services labelled through an earlier application refused owe their follow-up only
            # « si la labellisation de leur service public central n'est pas intervenue entretemps »: told, each decides.
            effects.tell_network = NetworkNotice(kind="central_labelled", on=event.decided_on, central=state.candidate.id)
        return
    assert state.attestation is not None
    if event.tier is None:  # below the required share of control points at a follow-up
        audit.outcome = "below_minimum"
        _set_stage(state, CentralPhase.labelled)
        if state.phase != CentralPhase.suspended:
            state.phase = CentralPhase.action_plan
        due = delay_date(state.rules, "action_plan", event.decided_on, state.calendar)
        _entry(state, today, env, event.decided_on, f"follow-up N+{audit.year} below the minimum{override}: action plan due {due.date.isoformat()}")
        set_deadline(state, today, "central.action_plan", DeadlineKind.deadline, due, "the central action plan reaches the body")
        return
    held = state.attestation.tier
    rank_new, rank_held = tier_rank(state.rules, event.tier, audit.visit_start), tier_rank(state.rules, held, audit.visit_start)
    audit.outcome = "higher_tier" if rank_new > rank_held else ("confirmed" if rank_new == rank_held else "lower_tier")
    state.attestation = state.attestation.model_copy(update={
        "tier": event.tier, "tier_label": tier_label(state, event.tier, event.decided_on),
        "locals": state.attestation.locals + year_locals})
    _set_stage(state, CentralPhase.labelled)
    _entry(state, today, env, event.decided_on, f"follow-up N+{audit.year}: {audit.outcome.replace('_', ' ')} "
           f"({state.attestation.tier_label}){override}; {len(year_locals)} local labels added to the attestation")


def _label_dates(state: CentralState, today: date, decided_on: date, expiry: Any) -> None:
    """Follow-ups at 12 and 24 months (± 2), prepared at 9 and 21, renewal and expiry (§3.9.2, §3.10)."""
    from dateutil.relativedelta import relativedelta

    from ..deadlines import ComputedDate

    followups = state.rules.deadlines.central_followups
    start, entry = followups.entry_at(decided_on)
    for number, followup in enumerate(entry.value, start=1):
        def dated(months: int, what: str, key: str) -> ComputedDate:
            return ComputedDate(key=key, date=decided_on + relativedelta(months=months), rule="deadlines.central_followups",
                                edition=state.edition, rule_from=start, reference=entry.reference,
                                explanation=f"{months} months after the decision on {decided_on.isoformat()} ({what})")
        target = dated(followup.target_months, "follow-up target", f"central.followup{number}")
        opens, closes = window_dates(state.rules, "central_followup_window", target)
        set_deadline(state, today, f"central.followup{number}.preparation", DeadlineKind.transition,
                     dated(followup.preparation_months, "preparation", f"central.followup{number}.preparation"),
                     f"prepare follow-up N+{number}: draw its local services")
        set_deadline(state, today, f"central.followup{number}.window_opens", DeadlineKind.reminder, opens, f"follow-up N+{number} window opens")
        set_deadline(state, today, f"central.followup{number}.window_closes", DeadlineKind.window_closes, closes,
                     f"the follow-up N+{number} central audit takes place")
    set_deadline(state, today, "label.renewal_invitation", DeadlineKind.reminder,
                 delay_date(state.rules, "renewal_invitation", expiry.date, state.calendar), "invitation to renew the label")
    set_deadline(state, today, "label.expiry", DeadlineKind.transition, expiry, "the label expires")


def _action_plan(state, event: CentralActionPlan, today, env, effects: Effects, seed_for) -> None:
    close_deadline(state, today, "central.action_plan", event.received_on, effects.notes)
    _entry(state, today, env, event.received_on, f"central action plan received on {event.received_on.isoformat()}")
    if state.phase == CentralPhase.suspended and state.suspension_reason == "no-action-plan":
        _lift(state, today, event.received_on, "the action plan was produced")
    elif state.phase == CentralPhase.action_plan:
        state.phase = state.stage


def _suspend(state: CentralState, today: date, reason: str, effective: date, actor: str, effects: Effects, event_id: str | None = None) -> None:
    state.phase, state.label_status, state.suspended_on, state.suspension_reason = CentralPhase.suspended, LabelStatus.suspended, effective, reason
    log(state, today, effective, "suspension", f"central label suspended from {effective.isoformat()} ({reason}); local labels stand (§3.9.2)",
        actor=actor, event_id=event_id, reason=reason)
    set_deadline(state, today, "suspension.max", DeadlineKind.transition,
                 delay_date(state.rules, "suspension_max", effective, state.calendar), "the suspension reaches its longest duration")


def _lift(state: CentralState, today: date, effective: date, why: str, actor: str = "engine", event_id: str | None = None) -> None:
    state.label_status, state.suspended_on, state.suspension_reason = LabelStatus.valid, None, None
    state.phase = CentralPhase.action_plan if state.deadlines.get("central.action_plan") and \
        state.deadlines["central.action_plan"].status == DeadlineStatus.open else state.stage
    cancel(state, today, "suspension.max")
    log(state, today, effective, "suspension_lifted", f"central suspension lifted on {effective.isoformat()} ({why}); validity unchanged",
        actor=actor, event_id=event_id)


def _withdraw(state: CentralState, today: date, reason: str, effective: date, actor: str, effects: Effects,
              event_id: str | None = None, expired: bool = False) -> None:
    state.phase = CentralPhase.expired if expired else CentralPhase.withdrawn
    state.label_status = LabelStatus.expired if expired else LabelStatus.withdrawn
    state.pending_withdrawal = None
    for deadline in state.open_deadlines():
        cancel(state, today, deadline.key)
    removal = delay_date(state.rules, "mark_removal", effective, state.calendar)
    state.withdrawal = {"reason": reason, "effective": effective.isoformat(), "mark_removed_by": removal.date.isoformat()}
    young: list[str] = []
    if state.attestation is not None:  # §5.3.2: the end of the cycle without renewal is a withdrawal too
        from ..deadlines import age_check

        for local in state.attestation.locals:
            if age_check(state.rules, "young_local_label_age", local.decided_on, effective, local.id).ok:
                young.append(local.id)
                effects.tell_locals[local.id] = NetworkNotice(kind="central_withdrawn", on=effective, central=state.candidate.id)
    log(state, today, effective, "expiry" if expired else "withdrawal",
        f"central label {'expired' if expired else 'withdrawn'} on {effective.isoformat()} ({reason}); mark dropped by {removal.date.isoformat()}"
        + (f"; local services labelled {_young_age(state.rules, effective)} ago keep the mark only through their own follow-up audit: "
           f"{', '.join(young)}" if young else ""),
        actor=actor, event_id=event_id, reason=reason, young_locals=young)
    set_deadline(state, today, "withdrawal.mark_removal", DeadlineKind.transition, removal, "the mark is no longer used")


def _young_age(rules: RuleSet, on: date) -> str:
    rule = rules.deadlines.young_local_label_age.at(on)
    return f"{'at most' if rule.inclusive else 'less than'} {rule.amount} {rule.unit.value.replace('_', ' ')}"


def _suspension(state, event: Suspension, today, env, effects, seed_for) -> None:
    _suspend(state, today, event.reason, event.effective, env.actor, effects, env.event_id)


def _lifted(state, event: SuspensionLifted, today, env, effects, seed_for) -> None:
    _lift(state, today, event.effective, "lifted by the certification body", env.actor, env.event_id)


def _withdrawal(state, event: Withdrawal, today, env, effects, seed_for) -> None:
    if event.effective > today:  # accepted by the check only for a cycle opened under NOTICES_AND_YEARLY_CHECKS
        _notify_withdrawal(state, today, event, env, effects)
        return
    _withdraw(state, today, event.reason, event.effective, env.actor, effects, env.event_id)


def _notify_withdrawal(state: CentralState, today: date, event: Withdrawal, env: CentralEnvelope, effects: Effects) -> None:
    """§5.3.2: notified « précisant la date de mise en application », the withdrawal takes effect on that date — the
    label holds, and stays on the public list, until then; its young local labels are told then (§5.3.2 note)."""
    from ..deadlines import ComputedDate
    from ..lifecycle.apply import NOTIFIED_WITHDRAWAL

    notified_on = event.notified_on or today
    if state.pending_withdrawal is not None:
        cancel(state, today, "withdrawal.effective", on=notified_on, why=f"replaced by the withdrawal notified on {notified_on.isoformat()}")
    state.pending_withdrawal = {"reason": event.reason, "notified_on": notified_on.isoformat(), "effective": event.effective.isoformat(),
                                "actor": env.actor, "event_id": env.event_id}
    removal = delay_date(state.rules, "mark_removal", event.effective, state.calendar)
    log(state, today, notified_on, "withdrawal_notified",
        f"central label withdrawal notified on {notified_on.isoformat()}, effective on {event.effective.isoformat()} ({event.reason}); "
        f"the label holds, and stays on the public list, until {(event.effective - ONE_DAY).isoformat()}; the mark must no "
        f"longer be used from {removal.date.isoformat()}", actor=env.actor, event_id=env.event_id, reason=event.reason,
        effective=event.effective.isoformat())
    set_deadline(state, today, "withdrawal.effective", DeadlineKind.transition, ComputedDate(
        key="withdrawal.effective", date=event.effective, rule=NOTIFIED_WITHDRAWAL, edition=state.edition, rule_from=notified_on,
        reference="Guide §5.3.2 (« précisant la date de mise en application »)",
        explanation=f"the effective date of the withdrawal notified on {notified_on.isoformat()}"),
        "the notified withdrawal takes effect")
    effects.notes.append(Notification(key=f"withdrawal_notified:{event.effective.isoformat()}", kind="decision",
                                      recipients=state.recipients() + ["ditp"], due=event.effective,
                                      subject=f"Central label withdrawal notified: effective on {event.effective.isoformat()}"))


_APPLY: dict[type, Any] = {
    NetworkReports: _reports, SampleExtended: _extension, CentralAuditDates: _audit_dates, AuditPlan: _plan,
    CentralVisit: _visit, Report: _report, CorrectiveActions: _corrective, CorrectiveActionsJudged: _judgement,
    CentralDecision: _decision,
    CentralActionPlan: _action_plan, Suspension: _suspension, SuspensionLifted: _lifted, Withdrawal: _withdrawal,
}


# ------------------------------------------------------------------------------------- local results
def local_decided(state: CentralState, outcome: LocalOutcome, today: date) -> Effects:
    """A sampled local service was decided; once the year's sample is, the central audit can follow."""
    effects = Effects()
    if outcome.local_id not in state.sample_year or outcome.local_id in state.results:
        return effects  # not ours, or already known (a signal delivered twice)
    state.results[outcome.local_id] = outcome
    log(state, today, outcome.decided_on, "local_decided",
        f"local service {outcome.local_id}: {outcome.tier or 'refused'} (visit {outcome.visit_start.isoformat()})",
        actor=f"cycle-{outcome.local_id}", local=outcome.local_id, tier=outcome.tier)
    pending = [s for s in state.year_sample() if s not in state.results]
    if pending or state.stage not in (CentralPhase.network_audits, CentralPhase.shortfall):
        return effects
    audited = len(state.year_sample())
    labelled = len([r for r in state.year_results() if r.tier])
    required = required_labelled(state.rules, audited, today)
    if state.year > 0 and labelled < required:
        more = services_to_add(state.rules, audited, labelled, today)
        _set_stage(state, CentralPhase.shortfall)
        log(state, today, today, "network_shortfall",
            f"{labelled} of {audited} audited local services labelled, {required} required "
            f"(⌈{percent(state.rules.central.criteria.at(today).local_labelled_min_share)} × {audited}⌉): "
            f"present at least {more} more (§3.9.2); the central label may be suspended meanwhile")
        effects.notes.append(Notification(key=f"shortfall:{state.year}:{audited}", kind="info", recipients=state.recipients(),
                                          subject=f"Present at least {more} more local services: {labelled}/{audited} labelled, {required} required"))
        return effects
    _set_stage(state, CentralPhase.central_audit)
    log(state, today, today, "network_audited", f"year N+{state.year}: {labelled} of {audited} sampled local services labelled; "
        "the central audit can be scheduled (§3.7.2)")
    return effects


# ------------------------------------------------------------------------------------- days
def advance_central(state: CentralState, today: date, seed_for: SeedFor) -> Effects:
    effects = Effects()

    def transition(st: Any, deadline: Deadline, on: date, today_: date, notes: list[Notification]) -> None:
        key = deadline.key
        if key.startswith("central.followup") and key.endswith(".preparation"):
            number = int(key.removeprefix("central.followup").split(".")[0])
            if state.label_status in (LabelStatus.valid, LabelStatus.suspended):
                state.year = number
                _set_stage(state, CentralPhase.network_audits)
                size = sample_size(state.rules, len(state.network_ids), on)
                _draw(state, today_, size, seed_for, effects, why=f"follow-up N+{number}, among services not yet audited")
                if not state.year_sample():  # every local service was audited already: the central audit follows
                    _set_stage(state, CentralPhase.central_audit)
        elif key == "label.expiry" and state.label_status in (LabelStatus.valid, LabelStatus.suspended):
            _withdraw(state, today_, "no-renewal", on, "engine", effects, expired=True)
        elif key == "withdrawal.effective" and state.pending_withdrawal is not None:
            pending = state.pending_withdrawal
            _withdraw(state, today_, str(pending["reason"]), on, str(pending["actor"]), effects, pending["event_id"])
        elif key == "suspension.max" and state.phase == CentralPhase.suspended:
            if state.rules.procedures.automatic_actions.at(on).withdraw_when_suspension_not_lifted:
                _withdraw(state, today_, "suspension-not-lifted", on, "engine", effects)
        elif key in ("refusal.new_application", "withdrawal.mark_removal"):
            state.finished = True
            if state.phase == CentralPhase.refused:
                state.phase = CentralPhase.closed
            log(state, today_, on, "cycle_closed", f"central cycle closed on {on.isoformat()}: {deadline.what}")

    def missed(st: Any, deadline: Deadline, on: date, today_: date, notes: list[Notification]) -> None:
        if deadline.key == "central.action_plan" and state.phase == CentralPhase.action_plan:
            if state.rules.procedures.automatic_actions.at(on).suspend_when_action_plan_missing:
                _suspend(state, today_, "no-action-plan", on, "engine", effects)

    effects.notes += advance(state, today, transition, missed)
    return effects


__all__ = ["EventRefused", "Effects", "NetworkNotice", "advance_central", "apply", "check", "local_decided", "open_central"]
