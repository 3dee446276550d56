"""Checking an event before it enters the history (run in the Temporal update validator).

:func:`check` refuses an event that cannot be applied now — wrong order, wrong scale, impossible
dates, unknown sites — with a message that says what is expected; it never changes the state.

Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..deadlines import age_check
from ..idempotency import REUSED_KEY, is_repeat, reused_for_another
from ..rules.models import MissingAnnualReport, RecentIndicators
from ..surveys import SurveyDataError, SurveyKind, SurveyResult, read_survey_csv, score_survey, summary_result
from ..tiers import propose_tier, tier_rank
from .boundary import check_boundary
from .common import ENDED, ONE_DAY, EventRefused, audit_key, check_reason, check_report_dates, known_ids, not_before, not_future, refuse
from .events import (
    ActionPlan, Appeal, AppealDecision, AuditDates, AuditKind, AuditPlan, ComplementsRequested, Decision, Dossier,
    Envelope, Observations, PerimeterExtension, RenewalRequested, Report, RulesEditionChange, SelfAssessment, Suspension, SuspensionLifted, SurveyResults, Visit,
    Withdrawal,
)
from .state import AuditRecord, CycleState, LabelStatus, Phase
from .yearly import missing_years


def check(state: CycleState, envelope: Envelope, today: date) -> None:
    """Refuse the event if it cannot be applied now; never changes ``state``."""
    if is_repeat(state.applied_events, envelope):
        return  # a repeat: applied once, answered again
    if reused_for_another(state.applied_events, envelope):
        refuse(REUSED_KEY, "event_id")
    if state.finished or state.phase in ENDED:
        refuse(f"this cycle has ended ({state.phase.value}); no event can be recorded on it")
    check_boundary(state, envelope)
    event = envelope.event
    handler = _CHECKS.get(type(event))
    if handler is None:
        refuse(f"the event {event.type!r} is not handled by this cycle")
    handler(state, event, today)


def _check_self_assessment(state: CycleState, event: SelfAssessment, today: date) -> None:
    not_future(event.done_on, today, "done_on", "a self-assessment")
    if event.done_on in state.self_assessments:
        entered = next((e.recorded for e in state.timeline if e.kind == "self_assessment" and e.on == event.done_on), None)
        when = f"already recorded on {entered.isoformat()}" if entered else "already recorded (in the previous cycle)"
        refuse(f"done_on: a self-assessment done on {event.done_on.isoformat()} is {when}; a new self-assessment "
               "has its own date (the audit uses the latest on or before its visit, §3.1)", "done_on")


def _check_survey(state: CycleState, event: SurveyResults, today: date) -> None:
    not_future(event.closed_on, today, "closed_on", "a survey closing")
    if (event.csv is None) == (event.summary is None):
        refuse("give either the raw csv export or the report's summary, not both and not neither", "csv")
    score_event(state, event)  # refuses a CSV the scale cannot read


def score_event(state: CycleState, event: SurveyResults) -> SurveyResult:
    kind = SurveyKind(event.kind)
    headcount = state.candidate.agents_in_contact if kind == SurveyKind.agent else None
    try:
        if event.csv is not None:
            return score_survey(state.rules, kind, read_survey_csv(event.csv), event.solicited, event.closed_on, headcount)
        summary = event.summary
        assert summary is not None
        return summary_result(state.rules, kind, summary.note, summary.admissible, event.solicited, event.closed_on,
                              headcount, summary.respondents, summary.completed, summary.engagement_notes, summary.overall_note)
    except SurveyDataError as exc:
        raise EventRefused(f"{'csv' if event.csv is not None else 'summary'}: {exc}", "csv" if event.csv else "summary") from None


def _audit_phase_ok(state: CycleState, kind: AuditKind) -> None:
    if kind == AuditKind.initial and state.phase not in (Phase.preparation, Phase.renewing):
        refuse(f"an initial audit is scheduled during preparation; this cycle is {state.phase.value}"
                + ("; for the follow-up audit send audit: followup" if state.phase == Phase.labelled else ""), "audit")
    if kind == AuditKind.followup and state.phase not in (Phase.labelled, Phase.followup):
        refuse(f"a follow-up audit is scheduled once labelled; this cycle is {state.phase.value}", "audit")


def _check_audit_dates(state: CycleState, event: AuditDates, today: date) -> None:
    _audit_phase_ok(state, event.audit)
    current = state.current_audit
    if current is not None and current.scores is not None:
        refuse("the visit of the current audit is already recorded; its dates can no longer change", "visit_start")
    if current is not None and current.kind != event.audit:
        refuse(f"a {current.kind.value} audit is under way; finish it before scheduling a {event.audit.value} audit", "audit")
    if current is not None and event.visit_start < today:
        # New dates for an audit already scheduled are a postponement, agreed now: judged as today.
        refuse(f"visit_start: new dates for audit {current.number} ({current.visit_start.isoformat()}) postpone it, and a "
               f"postponement to {event.visit_start.isoformat()}, before today ({today.isoformat()}), makes no sense; "
               "give dates ahead", "visit_start")
    if current is None:
        # Dates entered after the fact are taken (a visit already held), if they follow what they follow.
        not_before(event.visit_start, state.candidate.contract_signed, "visit_start",
                   "the contract, after which the audit is set (§3.3)")
        decided = [a for a in state.audits if a.decided_on is not None]
        if decided:
            not_before(event.visit_start, decided[-1].decided_on, "visit_start", f"the decision on audit {decided[-1].number}")
        if event.audit == AuditKind.followup and state.attestation is not None:
            not_before(event.visit_start, state.attestation.valid_from, "visit_start", "the label's start, which the follow-up follows (§3.9.1)")
    if event.visit_end < event.visit_start:
        refuse(f"visit_end: {event.visit_end.isoformat()} is before visit_start {event.visit_start.isoformat()}", "visit_end")
    known = known_ids(state.candidate.sites)
    unknown = [s for s in event.sites if s not in known]
    if unknown:
        refuse(f"sites: unknown site(s) {', '.join(unknown)}; the candidate's sites are {', '.join(known)}", "sites")
    inside = state.candidate.sites_in_perimeter()
    outside = [s for s in event.sites if s not in inside]
    if outside:
        refuse(f"sites: {', '.join(outside)} serve(s) no domain of the declared perimeter and is never sampled (§3.3); "
               f"the sites in the perimeter are {', '.join(inside)}", "sites")
    added = (state.pending_extension or {}).get("sites", [])
    if added and not set(added) & set(event.sites):
        refuse(f"sites: the extension of the perimeter is audited with this audit (§5.2): visit at least one of {', '.join(added)}", "sites")
    if event.audit == AuditKind.followup and not state.independent:
        refuse("a local service labelled through its central service has no follow-up audit of its own (§3.9.2)", "audit")
    if event.audit == AuditKind.followup:
        opens = state.deadlines.get("label.followup_window_opens")
        closes = state.deadlines.get("label.followup_window_closes")
        if opens and closes and not (opens.due <= event.visit_start and event.visit_end <= closes.due):
            refuse(f"the follow-up visit takes place between {opens.due.isoformat()} and {closes.due.isoformat()} "
                    f"({closes.computed.reference}); got {event.visit_start.isoformat()}–{event.visit_end.isoformat()}", "visit_start")


def _require_audit(state: CycleState, step: str) -> AuditRecord:
    audit = state.current_audit
    if audit is None:
        refuse(f"{step} needs an audit under way: send the audit dates first")
    assert audit is not None
    return audit


def _check_dossier(state: CycleState, event: Dossier, today: date) -> None:
    audit = _require_audit(state, "a dossier")
    if audit.scores is not None:
        refuse("the visit is already recorded; the dossier comes before it", "received_on")
    not_future(event.received_on, today, "received_on", "a dossier received")
    not_before(event.received_on, state.candidate.contract_signed, "received_on", "the contract")
    known = known_ids(state.rules.procedures.dossier_contents.at(event.received_on))
    unknown = [c for c in event.contents if c not in known]
    if unknown:
        refuse(f"contents: unknown item(s) {', '.join(unknown)}; the dossier items are {', '.join(known)}", "contents")


def _check_complements(state: CycleState, event: ComplementsRequested, today: date) -> None:
    audit = _require_audit(state, "asking for complements")
    if audit.dossier_received is None:
        refuse("complements are asked once the dossier is received: record the dossier first")
    not_future(event.requested_on, today, "requested_on", "a request")
    not_before(event.requested_on, audit.dossier_received, "requested_on", "the dossier's receipt (§3.5.2)")
    known = known_ids(state.rules.procedures.dossier_contents.at(event.requested_on))
    unknown = [c for c in event.items if c not in known]
    if unknown:
        refuse(f"items: unknown item(s) {', '.join(unknown)}; the dossier items are {', '.join(known)}", "items")


def _check_plan(state: CycleState, event: AuditPlan, today: date) -> None:
    audit = _require_audit(state, "an audit plan")
    not_future(event.sent_on, today, "sent_on", "a plan sent")
    not_before(event.sent_on, state.candidate.contract_signed, "sent_on", "the contract")
    if event.sent_on > audit.visit_start:
        refuse(f"sent_on: the plan is sent before the visit ({audit.visit_start.isoformat()}), got {event.sent_on.isoformat()}", "sent_on")


def _check_visit(state: CycleState, event: Visit, today: date) -> None:
    audit = _require_audit(state, "a visit")
    if audit.scores is not None:
        refuse("this audit's visit is already recorded; scores are given once", "scores")
    if today < audit.visit_end:
        refuse(f"the visit ends on {audit.visit_end.isoformat()}; record its scores from that day on", "scores")
    problems = prerequisites(state, audit)
    if problems:
        refuse("the audit's prerequisites are not met: " + "; ".join(problems))
    try:
        propose_tier(state.rules, event.scores, state.survey_note("agent"), state.survey_note("user"), audit.visit_start)
    except ValueError as exc:
        raise EventRefused(f"scores: {exc}", "scores") from None


def prerequisites(state: CycleState, audit: AuditRecord) -> list[str]:
    """What the guide requires before an audit, checked against its date (§3.1, §3.4, §3.5.1, §3.9.1)."""
    problems: list[str] = []
    if not state.self_assessments:
        problems.append("no self-assessment recorded (§3.1)")
    else:
        latest = max(d for d in state.self_assessments if d <= audit.visit_start) if any(d <= audit.visit_start for d in state.self_assessments) else None
        if latest is None:
            problems.append("no self-assessment dated before the audit (§3.1)")
        else:
            check_ = age_check(state.rules, "self_assessment_max_age", latest, audit.visit_start, "the self-assessment")
            if not check_.ok:
                problems.append(check_.message)
    for kind in ("user", "agent"):
        result = state.surveys.get(kind)
        if result is None:
            problems.append(f"no {kind} survey recorded (§3.4)")
            continue
        if audit.kind == AuditKind.initial:
            age = age_check(state.rules, "survey_max_age", result.at, audit.visit_start, f"the {kind} survey")
            if not age.ok:
                problems.append(age.message)
        else:
            initial = next((a for a in state.audits if a.kind == AuditKind.initial and a.decided_on), None)
            if initial is not None and result.at <= initial.visit_end:
                problems.append(f"the {kind} survey closed on {result.at.isoformat()}, before the initial audit; the follow-up needs surveys run since (§3.9.1)")
        if not result.valid:
            problems.append(f"the {kind} survey is not valid: {'; '.join(result.reasons)}")
    if audit.dossier_received is None:
        problems.append("no dossier received (§3.5.1)")
    setting, recent = recent_quality_indicators(state, audit)
    if setting == RecentIndicators.refuse:
        problems.extend(recent)
    yearly, missing = missing_years(state, audit)
    if yearly == MissingAnnualReport.refuse:
        problems.extend(f"{problem} — the follow-up needs every yearly report (§3.9.1; procedures.missing_annual_self_assessment: "
                        "refuse)" for problem in missing)
    return problems


def recent_quality_indicators(state: CycleState, audit: AuditRecord) -> tuple[RecentIndicators | None, list[str]]:
    """The dossier's quality indicators in place for less than deadlines.quality_indicators_min_age at the audit's
    start (§3.5.1), and what procedures.quality_indicators_too_recent says to do with them (refuse or flag).

    The indicators are read from this audit's dossier entries on the timeline (a later entry — complements — gives
    an indicator's date again). A dossier that lists none is not checked, as before: the quality-indicators item may
    be received without the body entering each indicator. Rules pinned before the setting existed: no check."""
    dated = state.rules.procedures.quality_indicators_too_recent
    if dated is None:
        return None, []
    # Only the indicators the dossier lists: a dossier with the quality-indicators item and no indicator entered
    # is taken as before (no check) — the body may not have entered them yet.
    indicators: dict[str, date] = {}
    for entry in state.timeline:
        if entry.kind == "dossier" and entry.data.get("audit") == audit.number:
            for item in entry.data.get("quality_indicators", []):
                indicators[item["id"]] = date.fromisoformat(item["in_place_since"])
    found: list[str] = []
    for id_, since in indicators.items():
        age = age_check(state.rules, "quality_indicators_min_age", since, audit.visit_start, f"the quality indicator {id_!r}")
        if not age.ok:
            found.append(f"the quality indicator {id_!r} in place since {since.isoformat()} is too recent: indicators are in "
                         f"place {age.limit.explanation}, i.e. since {age.limit.date.isoformat()} or earlier ({age.limit.reference})")
    return dated.at(audit.visit_start), found


def _check_report(state: CycleState, event: Report, today: date) -> None:
    audit = _require_audit(state, "a report")
    if audit.scores is None:
        refuse("the report follows the visit: record the visit and its scores first")
    if audit.report_received is not None:
        refuse("the report of this audit is already recorded")
    check_report_dates(event.sent_on, event.received_on, audit.visit_end, today)


def _check_observations(state: CycleState, event: Observations, today: date) -> None:
    audit = _require_audit(state, "observations")
    if audit.report_received is None:
        refuse("observations answer the report: record the report first")
    not_before(event.received_on, audit.report_received, "received_on", "the report's receipt")
    not_future(event.received_on, today, "received_on", "observations received")
    window = state.deadlines.get(audit_key(audit, "observations"))
    if window is not None and event.received_on > window.due:
        refuse(f"received_on: the observations window closed on {window.due.isoformat()} ({window.computed.explanation}); observations after it are not taken", "received_on")


def _check_decision(state: CycleState, event: Decision, today: date) -> None:
    audit = _require_audit(state, "a decision")
    if audit.report_received is None:
        refuse("the decision follows the report and the observations window: record the report first")
    window = state.deadlines.get(audit_key(audit, "observations"))
    if not audit.observations and window is not None and event.decided_on <= window.due:
        refuse(f"decided_on: the candidate may send observations until {window.due.isoformat()}; decide after that day, or once observations are recorded", "decided_on")
    not_before(event.decided_on, audit.report_received, "decided_on", "the report's receipt")
    not_future(event.decided_on, today, "decided_on", "a decision")
    tiers = [t.id for t in state.rules.tiers.tiers.at(audit.visit_start)]
    if event.tier is not None and event.tier not in tiers:
        refuse(f"tier: unknown tier {event.tier!r}; the tiers are {', '.join(tiers)} (null for a refusal)", "tier")
    proposal = audit.proposal
    assert proposal is not None
    expected = proposed_outcome_tier(state, audit)
    if event.tier != expected and not (event.reason and event.reason.strip()):
        refuse(f"tier: the rules give {expected or 'no tier'} ({proposal.reference}); a different decision needs a written reason", "reason")


def proposed_outcome_tier(state: CycleState, audit: AuditRecord) -> str | None:
    """The tier the rules give for this audit: at a follow-up, never below the tier held unless below the minimum."""
    proposal = audit.proposal
    assert proposal is not None
    if audit.kind == AuditKind.followup and state.attestation is not None and proposal.tier is not None:
        held = state.attestation.tier
        if tier_rank(state.rules, proposal.tier, audit.visit_start) < tier_rank(state.rules, held, audit.visit_start):
            return held  # §3.9.1: confirmed in its tier, or a higher one; below the minimum → action plan
    return proposal.tier


def _check_action_plan(state: CycleState, event: ActionPlan, today: date) -> None:
    if state.phase not in (Phase.action_plan, Phase.suspended) or "label.action_plan" not in state.deadlines:
        refuse(f"no action plan is due: one is asked after a follow-up below the minimum; this cycle is {state.phase.value}")
    not_future(event.received_on, today, "received_on", "an action plan received")
    asked = next((a for a in reversed(state.audits) if a.outcome == "below_minimum" and a.decided_on is not None), None)
    if asked is not None:
        not_before(event.received_on, asked.decided_on, "received_on", "the follow-up decision that asked for it (§3.9.1)")


def _check_suspension(state: CycleState, event: Suspension, today: date) -> None:
    if state.label_status != LabelStatus.valid:
        refuse(f"only a valid label can be suspended; this label is {state.label_status.value}")
    check_reason(state.rules.procedures.suspension_reasons.at(event.effective), event.reason, "suspension", "§5.3.1")
    not_future(event.effective, today, "effective", "a suspension")
    assert state.attestation is not None
    not_before(event.effective, state.attestation.valid_from, "effective", "the label's start")


def _check_lift(state: CycleState, event: SuspensionLifted, today: date) -> None:
    if state.phase != Phase.suspended:
        refuse(f"no suspension to lift; this cycle is {state.phase.value}")
    assert state.suspended_on is not None
    not_before(event.effective, state.suspended_on, "effective", "the suspension")
    not_future(event.effective, today, "effective", "a lifting")


def _check_withdrawal(state: CycleState, event: Withdrawal, today: date) -> None:
    if state.label_status not in (LabelStatus.valid, LabelStatus.suspended):
        refuse(f"only a label that holds can be withdrawn; this label is {state.label_status.value}")
    check_reason(state.rules.procedures.withdrawal_reasons.at(event.effective), event.reason, "withdrawal", "§5.3.2")
    assert state.attestation is not None
    check_withdrawal_dates(event, state.attestation.valid_from, state.attestation.expires, today, state.notices_and_yearly_checks)


def check_withdrawal_dates(event: Withdrawal, valid_from: date, expires: date, today: date, ahead_allowed: bool) -> None:
    """§5.3.2: the withdrawal is notified « précisant la date de mise en application »; the label leaves the public list
    « à partir de la date effective du retrait ». Notified on a day gone or today, it may take effect later, while the
    label still holds: before its expiry, when it ends by itself (§2.3). Cycles opened before NOTICES_AND_YEARLY_CHECKS
    refuse an effective date ahead, as they did."""
    if event.effective > today and not (ahead_allowed and event.notified_on is not None):
        hint = ("; a withdrawal notified ahead of its effective date gives notified_on, the day it was notified (§5.3.2: "
                "« précisant la date de mise en application »)") if ahead_allowed else ""
        refuse(f"effective: a withdrawal on {event.effective.isoformat()} is in the future (today is {today.isoformat()}); "
               f"record it once it has happened{hint}", "notified_on" if ahead_allowed else "effective")
    not_before(event.effective, valid_from, "effective", "the label's start")
    if event.notified_on is not None:
        not_future(event.notified_on, today, "notified_on", "a withdrawal notified")
        not_before(event.notified_on, valid_from, "notified_on", "the label's start")
        if event.notified_on > event.effective:
            refuse(f"notified_on: {event.notified_on.isoformat()} is after the effective date {event.effective.isoformat()}; a "
                   "withdrawal is notified before it takes effect, or on that day (§5.3.2)", "notified_on")
    if event.effective > today and event.effective >= expires:
        refuse(f"effective: the label expires on {expires.isoformat()} by itself (§2.3, §5.3.2); a withdrawal notified ahead "
               f"takes effect before, on {(expires - ONE_DAY).isoformat()} at the latest", "effective")


def _check_renewal(state: CycleState, event: RenewalRequested, today: date) -> None:
    if state.phase != Phase.labelled or state.label_status != LabelStatus.valid:
        refuse(f"a renewal is asked by a service whose label holds; this cycle is {state.phase.value}")
    _no_pending_withdrawal(state, "renewed")
    not_future(event.requested_on, today, "requested_on", "a renewal request")
    not_future(event.contract_signed, today, "contract_signed", "a contract")
    assert state.attestation is not None
    not_before(event.requested_on, state.attestation.valid_from, "requested_on", "the label's start")


def _check_extension(state: CycleState, event: PerimeterExtension, today: date) -> None:
    if state.label_status != LabelStatus.valid or state.phase not in (Phase.labelled, Phase.followup, Phase.renewing):
        refuse(f"a perimeter is extended while the label holds, at a follow-up or renewal audit (§5.2); this cycle is {state.phase.value}")
    audit = state.current_audit
    if audit is not None and audit.scores is not None:
        refuse("the audit under way is already visited: ask for the extension at the next follow-up or renewal audit (§5.2)")
    not_future(event.requested_on, today, "requested_on", "a request")
    if state.attestation is not None:
        not_before(event.requested_on, state.attestation.valid_from, "requested_on", "the label's start")
    if not event.sites and not event.domains:
        refuse("name the sites or the domains added to the perimeter", "sites")
    clash = [s.id for s in event.sites if s.id in known_ids(state.candidate.sites)]
    if clash:
        refuse(f"sites: {', '.join(clash)} already in the perimeter", "sites")
    if state.candidate.authority is not None:
        from ..perimeter import AuthorityPerimeter, perimeter_problems

        wider = AuthorityPerimeter(type=state.candidate.authority.type,
                                   domains=sorted(set(state.candidate.authority.domains) | set(event.domains)))
        problems = perimeter_problems(state.rules, wider, {s.id: s.domains for s in [*state.candidate.sites, *event.sites]}, event.requested_on)
        if problems:
            refuse("; ".join(problems), "domains")
    elif event.domains:
        refuse("domains: only a local authority's perimeter is made of domains; add sites", "domains")
    if event.new_cycle:
        _no_pending_withdrawal(state, "carried into a new 3-year cycle")
    if event.new_cycle and event.agents_added <= state.candidate.agents_in_contact:
        refuse(f"new_cycle: a new 3-year cycle is opened for an extension larger in headcount than the contract "
               f"({event.agents_added} added, {state.candidate.agents_in_contact} in the contract) (§5.2)", "new_cycle")


def _no_pending_withdrawal(state: CycleState, what: str) -> None:
    pending = state.pending_withdrawal
    if pending is not None:
        refuse(f"a withdrawal notified on {pending['notified_on']} takes effect on {pending['effective']} (§5.3.2): the label "
               f"is not {what}")


def _check_appeal(state: CycleState, event: Appeal, today: date) -> None:
    decided = [a for a in state.audits if a.decided_on is not None]
    if not decided:
        refuse("an appeal is made against a decision of the body: none is recorded yet (§5.1)")
    if state.appeal is not None:
        refuse(f"an appeal lodged on {state.appeal['lodged_on']} awaits its decision")
    not_before(event.lodged_on, decided[-1].decided_on, "lodged_on", "the decision appealed")
    not_future(event.lodged_on, today, "lodged_on", "an appeal")


def _check_appeal_decision(state: CycleState, event: AppealDecision, today: date) -> None:
    if state.appeal is None:
        refuse("no appeal is pending: lodge one first (§5.1)")
    outcomes = known_ids(state.rules.procedures.appeal_outcomes.at(event.decided_on))
    if event.outcome not in outcomes:
        refuse(f"outcome: unknown outcome {event.outcome!r}; the outcomes are {', '.join(outcomes)}", "outcome")
    not_before(event.decided_on, date.fromisoformat(state.appeal["lodged_on"]), "decided_on", "the appeal")
    not_future(event.decided_on, today, "decided_on", "an appeal decision")
    if event.outcome == "upheld":
        tiers = [t.id for t in state.rules.tiers.tiers.at(event.decided_on)]
        if event.tier is None or event.tier not in tiers:
            refuse(f"tier: an upheld appeal states the tier the decision becomes, one of {', '.join(tiers)}", "tier")
        appealed = next(a for a in reversed(state.audits) if a.decided_on is not None)
        if event.tier == appealed.decided_tier:
            refuse(f"tier: the decision appealed already gave {event.tier}; an upheld appeal changes it", "tier")


def _check_edition_change(state: CycleState, event: RulesEditionChange, today: date) -> None:
    if event.edition == state.edition:
        refuse(f"edition: this cycle already runs on edition {state.edition}", "edition")


_CHECKS: dict[type, Any] = {
    SelfAssessment: _check_self_assessment, SurveyResults: _check_survey, AuditDates: _check_audit_dates,
    Dossier: _check_dossier, ComplementsRequested: _check_complements, AuditPlan: _check_plan, Visit: _check_visit,
    Report: _check_report, Observations: _check_observations, Decision: _check_decision,
    ActionPlan: _check_action_plan, Suspension: _check_suspension, SuspensionLifted: _check_lift,
    Withdrawal: _check_withdrawal, RenewalRequested: _check_renewal, RulesEditionChange: _check_edition_change,
    PerimeterExtension: _check_extension, Appeal: _check_appeal, AppealDecision: _check_appeal_decision,
}
