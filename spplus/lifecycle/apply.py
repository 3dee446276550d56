"""Applying an accepted event: record it, set the dates it starts, meet the ones it answers.

:func:`apply` assumes :func:`~spplus.lifecycle.checks.check` accepted the event. It returns the
notifications the event calls for; the workflow sends them through an activity.

Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..calendar import WorkingCalendar, shift
from ..deadlines import ComputedDate, age_check, delay_date, window_dates
from ..idempotency import stamp
from ..limits import MAX_EVENTS_PER_CYCLE
from ..rules.models import MissingAnnualReport, RecentIndicators, RuleSet
from ..rules.shared import shared
from ..surveys import SurveyKind
from ..perimeter import perimeter_problems
from ..tiers import propose_tier, tier_rank
from .checks import proposed_outcome_tier, recent_quality_indicators, score_event
from .common import (
    ONE_DAY, Notification, audit_key, cancel, close_deadline, fulfil, known_ids, log, recipients, set_deadline, tier_label,
)
from .events import (
    ActionPlan, Appeal, AppealDecision, AuditDates, AuditKind, AuditPlan, Candidate, ComplementsRequested, Decision,
    Dossier, Envelope, Observations, PerimeterExtension, RenewalRequested, Report, SelfAssessment, Suspension, SuspensionLifted, SurveyResults, Visit,
    Withdrawal,
)
from .state import CURRENT_BEHAVIOUR, Attestation, AuditRecord, CycleState, DeadlineKind, DeadlineStatus, LabelStatus, Phase
from .yearly import KEY as YEARLY_KEY, label_years, missing_years, used_self_assessment

LABEL_DEADLINES = (
    "label.followup_preparation", "label.followup_window_opens", "label.followup_target",
    "label.followup_window_closes", "label.renewal_invitation", "label.action_plan",
)
# The « rule » of a date the body's notification gives, not the rules (the withdrawal's effective date, §5.3.2).
NOTIFIED_WITHDRAWAL = "notification.withdrawal.effective"
FOLLOWUP_REMINDERS = ("label.followup_preparation", "label.followup_window_opens", "label.followup_target")


def open_cycle(candidate: Candidate, rules: RuleSet, calendar: WorkingCalendar, today: date,
               previous: CycleState | None = None, actor: str = "certification-body") -> CycleState:
    """A new cycle, or the next one after a renewal request (carrying the label that still holds)."""
    if previous is None:
        state = CycleState(candidate=candidate, rules=rules, calendar=calendar, behaviour=CURRENT_BEHAVIOUR)
        log(state, today, candidate.contract_signed, "candidacy_opened",
            f"candidacy of {candidate.name} with {candidate.certification_body}, contract signed {candidate.contract_signed.isoformat()}",
            actor=actor, territory=candidate.territory, sites=known_ids(candidate.sites))
        problems = perimeter_problems(rules, candidate.authority, {s.id: s.domains for s in candidate.sites}, today) if candidate.authority else []
        if problems:
            # A perimeter the rules refuse opens no cycle (the client refuses it before starting, too).
            state.phase, state.finished = Phase.closed, True
            log(state, today, today, "candidacy_refused", "the declared perimeter is refused: " + "; ".join(problems))
            return state
    else:
        # The label that still holds keeps its expiry, and its yearly self-assessment reminders (§3.9.1: « chaque
        # année », whatever the renewal), which only cycles opened under NOTICES_AND_YEARLY_CHECKS have.
        carried = {k: d for k, d in previous.deadlines.items()
                   if (k == "label.expiry" or k.startswith(YEARLY_KEY)) and d.status == DeadlineStatus.open}
        state = CycleState(
            cycle_number=previous.cycle_number + 1, candidate=candidate, rules=rules, calendar=calendar,
            phase=Phase.renewing, label_status=previous.label_status, attestation=previous.attestation,
            previous_attestation=previous.previous_attestation, self_assessments=previous.self_assessments[-MAX_EVENTS_PER_CYCLE:],
            surveys=previous.surveys, deadlines=carried, applied_events=_recent(previous.applied_events),
            pending_extension=previous.pending_extension, independent=previous.independent, behaviour=CURRENT_BEHAVIOUR,
            self_assessment_anchor=previous.self_assessment_anchor,
        )
        log(state, today, today, "renewal_started",
            f"renewal cycle {state.cycle_number} with {candidate.certification_body}; the current label holds until "
            f"{previous.attestation.expires.isoformat() if previous.attestation else '—'}", actor=actor)
    log(state, today, today, "rules_pinned", f"rules edition {rules.edition_id} pinned ({rules.content_hash})",
        edition=rules.edition_id, content_hash=rules.content_hash)
    return state


def _recent(applied: dict[str, str]) -> dict[str, str]:
    """The event ids a renewal's next cycle keeps answering as repeats: the last cycle's, not every
    cycle's since the first (the state stays bounded over decades of renewals)."""
    return dict(list(applied.items())[-MAX_EVENTS_PER_CYCLE:])


def apply(state: CycleState, envelope: Envelope, today: date) -> list[Notification]:
    """Record an accepted event; a repeated ``event_id`` changes nothing."""
    if envelope.event_id in state.applied_events:
        return []
    notes: list[Notification] = []
    event = envelope.event
    before = dict(state.deadlines)
    _APPLY[type(event)](state, event, today, envelope, notes)
    state.applied_events[envelope.event_id] = stamp(envelope)
    if state.closes_reminders:
        # A fact recorded late may set a deadline whose due date is already past: it is judged at once
        # (a breach, withdrawn if the answering fact turns out to be on time), a reminder sent at once.
        fresh = {key for key, deadline in state.deadlines.items() if before.get(key) is not deadline}
        if fresh:
            from .days import advance  # days imports this module

            notes += advance(state, today, keys=fresh)
    return notes


def _entry(state: CycleState, today: date, envelope: Envelope, on: date, summary: str, **data: Any) -> None:
    log(state, today, on, envelope.event.type, summary, actor=envelope.actor, event_id=envelope.event_id, **data)


def _self_assessment(state: CycleState, event: SelfAssessment, today: date, env: Envelope, notes: list[Notification]) -> None:
    state.self_assessments.append(event.done_on)
    result = f", global result {event.global_result}/100" if event.global_result is not None else ""
    use, data = self_assessment_in_use(state, event.done_on)
    _entry(state, today, env, event.done_on, f"self-assessment done on {event.done_on.isoformat()}{result}; {use}", **data)
    for year in label_years(state):
        if year.holds(event.done_on):
            fulfil(state, today, year.key, event.done_on, f"the self-assessment of year {year.number} was done")


def self_assessment_in_use(state: CycleState, done_on: date) -> tuple[str, dict[str, Any]]:
    """Which self-assessment the next audit uses once one dated ``done_on`` is recorded: the latest on or
    before its visit, if within the rules' limit (§3.1, §3.5.1 « réalisé dans les 12 mois précédant la date
    d'audit »; deadlines.self_assessment_max_age)."""
    audit = state.current_audit
    if audit is not None and audit.scores is None:
        visit = audit.visit_start
        before = [d for d in state.self_assessments if d <= visit]
        used = max(before) if before else None
        data: dict[str, Any] = {"next_audit": visit.isoformat(), "in_use": used.isoformat() if used else None,
                                "used_by_next_audit": used == done_on}
        if used is None or done_on > visit:
            which = f"the one of {used.isoformat()}" if used else "none recorded yet: one dated on or before it is needed"
            return f"dated after the visit of {visit.isoformat()}, so not the one that audit uses ({which})", data
        check_ = age_check(state.rules, "self_assessment_max_age", used, visit, "the self-assessment")
        data["within_limit"] = check_.ok
        if used != done_on:
            return f"the audit of {visit.isoformat()} uses the later one of {used.isoformat()}", data
        if not check_.ok:
            return f"the latest before the audit of {visit.isoformat()}, but {check_.message} ({check_.limit.reference})", data
        return (f"the one the audit of {visit.isoformat()} uses: the latest on or before its visit, within the limit "
                f"({check_.limit.explanation}, {check_.limit.reference})"), data
    latest = max(state.self_assessments)
    if latest != done_on:
        return (f"the next audit uses the later one of {latest.isoformat()}",
                {"next_audit": None, "in_use": latest.isoformat(), "used_by_next_audit": False})
    rule = state.rules.deadlines.self_assessment_max_age.at(done_on)
    until = shift(done_on, rule.amount, rule.unit, backwards=False)
    if not rule.inclusive:
        until -= ONE_DAY
    return (f"the latest: the one the next audit uses, if its visit starts by {until.isoformat()} "
            f"({rule.amount} {rule.unit.value} at most, deadlines.self_assessment_max_age)",
            {"next_audit": None, "in_use": done_on.isoformat(), "used_by_next_audit": True, "covers_visits_until": until.isoformat()})


def _survey(state: CycleState, event: SurveyResults, today: date, env: Envelope, notes: list[Notification]) -> None:
    result = score_event(state, event)
    latest = state.surveys.get(event.kind)
    if latest is not None and latest.at > result.at:
        _entry(state, today, env, event.closed_on, f"{event.kind} survey closed on {event.closed_on.isoformat()} recorded; "
               f"the campaign closed on {latest.at.isoformat()} is more recent and stays the one that counts")
        return
    state.surveys[event.kind] = result
    note = f"{result.note:.2f}" if result.note is not None else "—"
    status = "valid" if result.valid else "not valid: " + "; ".join(result.reasons)
    _entry(state, today, env, event.closed_on,
           f"{event.kind} survey closed on {event.closed_on.isoformat()}: note {note}/100, {result.admissible} admissible of {event.solicited} solicited, {status}",
           note=str(result.note), admissible=result.admissible, valid=result.valid)
    initial = next((a for a in state.audits if a.kind == AuditKind.initial and a.decided_on), None)
    if not state.independent and initial is not None and all(
        k in state.surveys and state.surveys[k].at > initial.visit_end for k in ("user", "agent")
    ):
        close_deadline(state, today, "network.local_surveys", event.closed_on, notes)
    if state.closes_reminders:
        if latest is not None and latest.at < result.at:  # a new campaign: what the reminder was about (§3.4, note)
            fulfil(state, today, f"survey.{event.kind}.new_campaign", event.closed_on, f"a new {event.kind} survey campaign closed")
        _surveys_launched(state, today)
    bronze = state.rules.tiers.tiers.at(event.closed_on)[0]
    floor = bronze.user_survey if event.kind == SurveyKind.user else bronze.agent_survey
    if not result.valid or result.note is None or result.note < floor:
        computed = delay_date(state.rules, "new_survey_campaign", event.closed_on, state.calendar)
        set_deadline(state, today, f"survey.{event.kind}.new_campaign", DeadlineKind.reminder, computed,
                     f"a new {event.kind} survey campaign may be asked for (results cannot reach {bronze.label}: at least {floor} needed)",
                     on=event.closed_on)


def _surveys_launched(state: CycleState, today: date) -> None:
    """Both surveys usable by the initial audit under way are recorded: the reminder to launch them closes (§3.4)."""
    audit = state.current_audit
    if audit is None or audit.kind != AuditKind.initial:
        return
    key = audit_key(audit, "survey_launch_recommended")
    reminder = state.deadlines.get(key)
    if reminder is None or reminder.status != DeadlineStatus.open:
        return
    closed: list[date] = []
    for kind in ("user", "agent"):
        result = state.surveys.get(kind)
        if result is None or not age_check(state.rules, "survey_max_age", result.at, audit.visit_start, kind).ok:
            return  # not recorded yet, or too old for this audit (a previous cycle's): still to launch
        closed.append(result.at)
    fulfil(state, today, key, max(closed), "both surveys recorded, the latest closed")


def _audit_dates(state: CycleState, event: AuditDates, today: date, env: Envelope, notes: list[Notification]) -> None:
    audit = state.current_audit
    if audit is not None:
        audit.postponements += 1
        was = f"{audit.visit_start.isoformat()}–{audit.visit_end.isoformat()}"
        audit.visit_start, audit.visit_end, audit.sites = event.visit_start, event.visit_end, list(event.sites)
        _entry(state, today, env, today, f"audit {audit.number} moved from {was} to {event.visit_start.isoformat()}–{event.visit_end.isoformat()} (postponement {audit.postponements})",
               postponements=audit.postponements)
        succession = repeated_postponements(state.rules, today)
        if audit.postponements >= succession and state.label_status == LabelStatus.valid:
            notes.append(Notification(key=f"postponements:{audit.number}", kind="info", recipients=recipients(state),
                                      subject=f"Audit {audit.number} postponed {audit.postponements} times: from {succession} postponements, "
                                      "a « succession de reports d'audits » may justify a suspension (§5.3.1; procedures.repeated_postponements)"))
    else:
        audit = AuditRecord(number=len(state.audits) + 1, kind=event.audit, visit_start=event.visit_start,
                            visit_end=event.visit_end, sites=list(event.sites))
        state.audits.append(audit)
        # Dates entered after the visit began were agreed by then at the latest: the entry is dated so.
        agreed = min(today, event.visit_start)
        late = f" (entered on {today.isoformat()}, after the visit began)" if agreed < today else ""
        _entry(state, today, env, agreed, f"{event.audit.value} audit {audit.number} set: visit {event.visit_start.isoformat()}–"
               f"{event.visit_end.isoformat()}, sites {', '.join(event.sites)}{late}")
        if event.audit == AuditKind.followup:
            state.phase = Phase.followup
            if state.closes_reminders:
                for key in ("label.followup_preparation", "label.followup_window_opens"):
                    fulfil(state, today, key, agreed, "the follow-up audit was scheduled")
    steps = [("dossier", DeadlineKind.deadline, "the dossier reaches the certification body"),
             ("audit_plan", DeadlineKind.deadline, "the audit plan is sent to the candidate")]
    if audit.kind == AuditKind.initial:
        steps.append(("survey_launch_recommended", DeadlineKind.reminder, "both surveys should be launched (recommended)"))
    if audit.complements_requested:
        steps.append(("complements", DeadlineKind.deadline, "the requested complements reach the body"))
    for rule, kind, what in steps:
        key = audit_key(audit, rule)
        existing = state.deadlines.get(key)
        if existing is not None and existing.status != DeadlineStatus.open:
            continue  # already met (or missed): a new date does not reopen it
        computed = delay_date(state.rules, rule, event.visit_start, state.calendar)
        if kind == DeadlineKind.reminder and computed.date < today:
            continue
        set_deadline(state, today, key, kind, computed, what, on=min(today, event.visit_start))
    if state.closes_reminders:
        _surveys_launched(state, today)  # both surveys may be recorded already


def repeated_postponements(rules: RuleSet, on: date) -> int:
    """How many postponements of one audit make a « succession de reports » (§5.3.1; an Open choice of the rules,
    procedures.repeated_postponements); 2 for rules pinned before that setting existed, as those cycles had it."""
    dated = rules.procedures.repeated_postponements
    return 2 if dated is None else dated.at(on)


def _dossier(state: CycleState, event: Dossier, today: date, env: Envelope, notes: list[Notification]) -> None:
    audit = state.current_audit
    assert audit is not None
    required = known_ids(state.rules.procedures.dossier_contents.at(event.received_on))
    first = audit.dossier_received is None
    received = set(event.contents) | (set() if first else set(required) - set(audit.dossier_missing))
    audit.dossier_missing = [item for item in required if item not in received]
    missing = f"; missing: {', '.join(audit.dossier_missing)} — the body may ask for complements" if audit.dossier_missing else "; complete"
    indicators: dict[str, Any] = {}
    if event.quality_indicators:
        # Read back by the visit's prerequisites (checks.recent_quality_indicators, §3.5.1).
        indicators = dict(audit=audit.number, quality_indicators=[
            {"id": q.id, "in_place_since": q.in_place_since.isoformat()} for q in event.quality_indicators])
        missing += "; quality indicators: " + ", ".join(f"{q.id} (since {q.in_place_since.isoformat()})" for q in event.quality_indicators)
    _entry(state, today, env, event.received_on,
           f"{'dossier' if first else 'complements'} received on {event.received_on.isoformat()}{missing}", missing=audit.dossier_missing,
           **indicators)
    if first:
        audit.dossier_received = event.received_on
        close_deadline(state, today, audit_key(audit, "dossier"), event.received_on, notes)
    else:
        close_deadline(state, today, audit_key(audit, "complements"), event.received_on, notes)


def _complements(state: CycleState, event: ComplementsRequested, today: date, env: Envelope, notes: list[Notification]) -> None:
    audit = state.current_audit
    assert audit is not None
    audit.complements_requested = list(event.items)
    audit.dossier_missing = sorted(set(audit.dossier_missing) | set(event.items))
    _entry(state, today, env, event.requested_on, f"complements requested: {', '.join(event.items)}")
    computed = delay_date(state.rules, "complements", audit.visit_start, state.calendar)
    set_deadline(state, today, audit_key(audit, "complements"), DeadlineKind.deadline, computed,
                 "the requested complements reach the body", on=event.requested_on)


def _plan(state: CycleState, event: AuditPlan, today: date, env: Envelope, notes: list[Notification]) -> None:
    audit = state.current_audit
    assert audit is not None
    audit.plan_sent, audit.auditors = event.sent_on, list(event.auditors)
    _entry(state, today, env, event.sent_on, f"audit plan sent on {event.sent_on.isoformat()} (auditors: {', '.join(event.auditors)})")
    close_deadline(state, today, audit_key(audit, "audit_plan"), event.sent_on, notes)


def _visit(state: CycleState, event: Visit, today: date, env: Envelope, notes: list[Notification]) -> None:
    audit = state.current_audit
    assert audit is not None
    audit.scores = event.scores
    audit.proposal = propose_tier(state.rules, event.scores, state.survey_note("agent"), state.survey_note("user"), audit.visit_start)
    if state.phase == Phase.preparation:
        state.phase = Phase.audit
    scores = ", ".join(f"{n}: {s:.2f}" for n, s in audit.proposal.engagement_scores.items())
    _entry(state, today, env, audit.visit_end,
           f"visit {audit.visit_start.isoformat()}–{audit.visit_end.isoformat()} scored ({scores}); the rules give {audit.proposal.tier_label or 'no tier'}",
           proposal=audit.proposal.tier)
    setting, recent = recent_quality_indicators(state, audit)
    if setting == RecentIndicators.flag and recent:
        log(state, today, audit.visit_start, "quality_indicators_warning",
            "quality indicators in place for too short a time, the visit taken as the rules say "
            "(procedures.quality_indicators_too_recent: flag): " + "; ".join(recent),
            rule="procedures.quality_indicators_too_recent", event_id=env.event_id)
    setting, missing = missing_years(state, audit)
    if missing and setting == MissingAnnualReport.breach:
        for problem in missing:
            state.breaches += 1
            log(state, today, audit.visit_start, "breach", f"the follow-up audit of {audit.visit_start.isoformat()}: {problem}",
                rule="procedures.missing_annual_self_assessment", reference="Guide §3.9.1", event_id=env.event_id,
                key=f"audit{audit.number}.annual_self_assessment")
            notes.append(Notification(key=f"breach:audit{audit.number}.annual_self_assessment:{problem[:60]}", kind="breach",
                                      recipients=recipients(state), due=audit.visit_start,
                                      subject=f"Missing at the follow-up audit (§3.9.1): {problem}"))
    elif missing and setting == MissingAnnualReport.flag:
        log(state, today, audit.visit_start, "annual_self_assessment_warning",
            "yearly self-assessment reports missing at the follow-up audit, the visit taken as the rules say "
            "(procedures.missing_annual_self_assessment: flag): " + "; ".join(missing),
            rule="procedures.missing_annual_self_assessment", event_id=env.event_id)
    if audit.kind == AuditKind.followup:
        close_deadline(state, today, "label.followup_window_closes", audit.visit_start, notes)
        if state.closes_reminders:
            for key in FOLLOWUP_REMINDERS:
                fulfil(state, today, key, audit.visit_start, "the follow-up visit began")
    cancel(state, today, audit_key(audit, "survey_launch_recommended"), on=audit.visit_start, why="the visit began")
    computed = delay_date(state.rules, "report", audit.visit_end, state.calendar)
    set_deadline(state, today, audit_key(audit, "report"), DeadlineKind.deadline, computed, "the audit report reaches the candidate",
                 on=audit.visit_end)


def _report(state: CycleState, event: Report, today: date, env: Envelope, notes: list[Notification]) -> None:
    audit = state.current_audit
    assert audit is not None
    audit.report_sent, audit.report_received = event.sent_on, event.received_on
    _entry(state, today, env, event.received_on, f"report sent on {event.sent_on.isoformat()}, received on {event.received_on.isoformat()}")
    close_deadline(state, today, audit_key(audit, "report"), event.sent_on, notes)
    computed = delay_date(state.rules, "observations", event.received_on, state.calendar)
    set_deadline(state, today, audit_key(audit, "observations"), DeadlineKind.window, computed,
                 "the candidate's observations on the report", on=event.received_on)
    if state.phase == Phase.audit:
        state.phase = Phase.decision


def _observations(state: CycleState, event: Observations, today: date, env: Envelope, notes: list[Notification]) -> None:
    audit = state.current_audit
    assert audit is not None
    audit.observations.append(event.text)
    _entry(state, today, env, event.received_on, f"observations received on {event.received_on.isoformat()} (they do not change the scores)")


def _decision(state: CycleState, event: Decision, today: date, env: Envelope, notes: list[Notification]) -> None:
    audit = state.current_audit
    assert audit is not None
    expected = proposed_outcome_tier(state, audit)
    audit.decided_on, audit.decided_tier = event.decided_on, event.tier
    window = state.deadlines.get(audit_key(audit, "observations"))
    if window is not None and window.status == DeadlineStatus.open:
        window.status, window.closed_on = DeadlineStatus.done, event.decided_on
    override = f" (overriding the rules' {expected or 'refusal'}: {event.reason})" if event.tier != expected else ""
    if audit.kind == AuditKind.followup:
        _followup_outcome(state, audit, event, today, env, notes, override)
        return
    if event.tier is None:
        audit.outcome = "refused"
        state.phase = Phase.refused
        state.refusal_notified = event.decided_on
        computed = delay_date(state.rules, "new_application", event.decided_on, state.calendar)
        state.new_application_from = computed.date
        _entry(state, today, env, event.decided_on,
               f"label refused{override}; a new application is accepted from {computed.date.isoformat()}", tier=None)
        set_deadline(state, today, "refusal.new_application", DeadlineKind.transition, computed,
                     "a new application becomes possible", on=event.decided_on)
        notes.append(Notification(key=f"decision:{audit.number}", kind="decision", recipients=recipients(state),
                                  subject=f"Label refused; a new application is accepted from {computed.date.isoformat()}"))
        return
    audit.outcome = "labelled"
    _label(state, event.tier, event.decided_on, today, notes)
    if state.pending_extension is not None:
        log(state, today, event.decided_on, "perimeter_extended", "the extended perimeter is labelled with the rest: "
            + ", ".join(state.attestation.sites if state.attestation else []))
        state.pending_extension = None
    assert state.attestation is not None
    _entry(state, today, env, event.decided_on,
           f"labelled {state.attestation.tier_label}{override}, valid {state.attestation.valid_from.isoformat()} to {state.attestation.last_valid_day.isoformat()}",
           tier=event.tier)
    notes.append(Notification(key=f"decision:{audit.number}", kind="decision", recipients=recipients(state) + ["ditp"],
                              subject=f"Labelled {state.attestation.tier_label} until {state.attestation.last_valid_day.isoformat()}"))


def _label(state: CycleState, tier: str, decided_on: date, today: date, notes: list[Notification] | None = None) -> None:
    """A new attestation from ``decided_on`` for 3 years, and the dates it starts (§2.3, §3.9.1, §3.10)."""
    if state.attestation is not None:
        state.previous_attestation = state.attestation
    cancel(state, today, "label.expiry", *LABEL_DEADLINES, on=decided_on, why="a new label sets its own dates")
    if state.closes_reminders:
        cancel(state, today, "survey.user.new_campaign", "survey.agent.new_campaign", on=decided_on,
               why="the label was obtained; no new campaign is needed for it")
    expiry = delay_date(state.rules, "validity", decided_on, state.calendar, label="expiry")
    state.attestation = Attestation(
        tier=tier, tier_label=tier_label(state, tier, decided_on), valid_from=decided_on, expires=expiry.date,
        last_valid_day=expiry.date - ONE_DAY, sites=state.candidate.sites_in_perimeter(),
        certification_body=state.candidate.certification_body, edition=state.edition,
    )
    state.label_status, state.phase = LabelStatus.valid, Phase.labelled
    _yearly_reminders(state, today, decided_on)
    if state.independent:
        followup_dates(state, today, decided_on)
    else:
        # Labelled through its central service: no follow-up audit of its own, but both surveys within
        # 18 months of the initial audit and a self-assessment every year (§3.9.2, notes).
        audited = state.audits[-1]
        set_deadline(state, today, "network.local_surveys", DeadlineKind.deadline,
                     delay_date(state.rules, "network_local_surveys", audited.visit_start, state.calendar),
                     "both surveys are run again (checked at the central follow-up)", on=decided_on)
        since = [state.surveys[k].at for k in ("user", "agent") if k in state.surveys and state.surveys[k].at > audited.visit_end]
        if state.closes_reminders and len(since) == 2:  # both already recorded (a decision entered late)
            close_deadline(state, today, "network.local_surveys", max(since), notes if notes is not None else [])
    anchor_expiry = expiry.date
    invitation = delay_date(state.rules, "renewal_invitation", anchor_expiry, state.calendar)
    set_deadline(state, today, "label.renewal_invitation", DeadlineKind.reminder, invitation, "invitation to renew the label",
                 on=decided_on)
    set_deadline(state, today, "label.expiry", DeadlineKind.transition, expiry, "the label expires", on=decided_on)


def _yearly_reminders(state: CycleState, today: date, decided_on: date) -> None:
    """A new label's yearly self-assessments (§3.9.1, §3.9.2 notes): counted from the one its initial audit used, each
    year's last day reminded while the label holds (deadlines.annual_self_assessment); a year that already has one
    recorded needs no reminder. Cycles opened before NOTICES_AND_YEARLY_CHECKS, or on rules without the setting, set none."""
    cancel(state, today, *(k for k in state.deadlines if k.startswith(YEARLY_KEY)), on=decided_on,
           why="a new label counts its own years of self-assessment")
    if not state.notices_and_yearly_checks:
        return
    audit = next((a for a in reversed(state.audits) if a.kind == AuditKind.initial and a.decided_on is not None), None)
    state.self_assessment_anchor = used_self_assessment(state, audit) if audit is not None else None
    for year in label_years(state):
        number = year.number
        set_deadline(state, today, f"self_assessment.year{number}", DeadlineKind.reminder, year.last_day,
                     f"a self-assessment is due in year {number} of the label ({year.first_day.isoformat()} to "
                     f"{year.last_day.date.isoformat()})", on=decided_on)
        done = sorted(d for d in state.self_assessments if year.holds(d))
        if done:
            fulfil(state, today, year.key, done[0], f"the self-assessment of year {number} was done")


def followup_dates(state: CycleState, today: date, decided_on: date, not_before_: date | None = None,
                   on: date | None = None) -> None:
    """The follow-up audit of an independent local service: prepared at 12 months, held at 18 ± 2 (§3.9.1).

    ``not_before_``: the date of the central service's notice (a central label withdrawn late). When the
    window had closed by then, the target is counted from that date instead (deadlines.late_followup_target,
    an Open choice of the rules) and the window is set around it.
    """
    on = on or decided_on
    set_deadline(state, today, "label.followup_preparation", DeadlineKind.reminder,
                 delay_date(state.rules, "followup_preparation", decided_on, state.calendar),
                 "prepare the follow-up audit with the certification body", on=on)
    target = delay_date(state.rules, "followup_target", decided_on, state.calendar)
    opens, closes = window_dates(state.rules, "followup_window", target)
    if not_before_ is not None and closes.date < not_before_:
        if state.rules.deadlines.late_followup_target is None:
            # Rules pinned before the setting existed: the window opened on the notice, as those cycles had it.
            window = state.rules.deadlines.followup_window.at(not_before_)
            moved = shift(not_before_, window.amount, window.unit, backwards=False)
            target = target.model_copy(update={"date": moved, "explanation": f"{target.explanation}; that window had closed, "
                                               f"so the follow-up is held within {window.amount} {window.unit.value} either side of {moved.isoformat()}"})
        else:
            late = delay_date(state.rules, "late_followup_target", not_before_, state.calendar, label=target.key)
            rule = state.rules.deadlines.late_followup_target.at(not_before_)
            target = late.model_copy(update={"explanation": f"its own window around {target.date.isoformat()} closed on "
                                             f"{closes.date.isoformat()}, before the central service's notice of {not_before_.isoformat()}: "
                                             f"{rule.amount} {rule.unit.value.replace('_', ' ')} {rule.direction} that notice"})
        opens, closes = window_dates(state.rules, "followup_window", target)
    set_deadline(state, today, "label.followup_window_opens", DeadlineKind.reminder, opens, "the follow-up audit window opens", on=on)
    set_deadline(state, today, "label.followup_target", DeadlineKind.reminder, target, "target date of the follow-up audit", on=on)
    set_deadline(state, today, "label.followup_window_closes", DeadlineKind.window_closes, closes,
                 "the follow-up audit takes place", on=on)


def network_notice(state: CycleState, kind: str, on: date, central: str, today: date) -> list[Notification]:
    """The central service's label was refused, withdrawn or obtained: what it means for this local label (§3.8.2,
    §5.3.2)."""
    notes: list[Notification] = []
    if kind == "central_labelled":
        return _central_labelled(state, on, central, today)
    if state.independent or state.attestation is None or state.label_status not in (LabelStatus.valid, LabelStatus.suspended):
        return notes
    young_age = ""
    if kind == "central_withdrawn":
        young_rule = state.rules.deadlines.young_local_label_age.at(on)
        young_age = f"{'at most' if young_rule.inclusive else 'less than'} {young_rule.amount} {young_rule.unit.value.replace('_', ' ')}"
        from ..deadlines import age_check

        young = age_check(state.rules, "young_local_label_age", state.attestation.valid_from, on, "this label")
        if not young.ok:
            log(state, today, on, "network_notice", f"the central label of {central} was withdrawn on {on.isoformat()}; "
                f"this label, older than {young.limit.explanation.split(' before')[0].replace('less than ', '')}, stands")
            return notes
    state.independent, state.owed_followup = True, kind
    cancel(state, today, "network.local_surveys", on=on, why="the label now owes its own follow-up audit")
    followup_dates(state, today, state.attestation.valid_from, not_before_=on, on=on)
    why = ("the central service was not labelled: the local label stands and owes its own follow-up audit (§3.8.2)"
           if kind == "central_refused" else
           f"the central label was withdrawn and this label is {young_age} old: it keeps the mark only through its own follow-up audit (§5.3.2)")
    log(state, today, on, "network_notice", f"{central}: {why}")
    notes.append(Notification(key=f"network:{kind}:{on.isoformat()}", kind="info", recipients=recipients(state), subject=why))
    return notes


def _central_labelled(state: CycleState, on: date, central: str, today: date) -> list[Notification]:
    """Its central service was labelled on ``on`` (a new application, after a refusal): the follow-up audit the §3.8.2
    note asked of this label lapses if it has not taken place — « Ils devront se présenter à un audit de suivi à 18
    mois si la labellisation de leur service public central n'est pas intervenue entretemps ». The label is then held
    through the central service again (§3.9.2 notes: no follow-up of its own; both surveys within
    deadlines.network_local_surveys of the initial audit; the yearly self-assessment goes on).

    Nothing for a label that owes no such follow-up (labelled through this central service, independent, or sent to
    its own follow-up by a central withdrawal, §5.3.2 note, which has no such exception); nothing for a cycle opened
    before NOTICES_AND_YEARLY_CHECKS (as those cycles ran)."""
    notes: list[Notification] = []
    if (not state.notices_and_yearly_checks or state.owed_followup != "central_refused" or state.attestation is None
            or state.label_status not in (LabelStatus.valid, LabelStatus.suspended)):
        return notes
    rule = state.rules.deadlines.followup_target.at(state.attestation.valid_from)
    months = f"{rule.amount} {rule.unit.value.replace('_', ' ')}"
    audit = state.current_audit
    if audit is not None and audit.kind == AuditKind.followup and audit.visit_start <= on:
        log(state, today, on, "network_notice", f"{central} was labelled on {on.isoformat()}, after the follow-up visit of "
            f"{audit.visit_start.isoformat()} began: that follow-up audit goes on (§3.8.2 note)")
        return notes
    closes = state.deadlines.get("label.followup_window_closes")
    if closes is None or closes.status != DeadlineStatus.open:
        done = ("was held" if closes is not None and closes.status == DeadlineStatus.met else
                f"window closed on {closes.due.isoformat()}" if closes is not None else "is not set")
        log(state, today, on, "network_notice", f"{central} was labelled on {on.isoformat()}; this label's own follow-up "
            f"audit {done} before, so the central label did not come « entretemps » (§3.8.2 note)")
        return notes
    why = (f"the central service {central} was labelled on {on.isoformat()}, before the follow-up audit owed since its "
           f"refusal ({months} after this label's decision): that follow-up lapses and the label is held through the "
           "central service again (§3.8.2 note, §3.9.2 notes)")
    cancel(state, today, *(k for k in LABEL_DEADLINES if k.startswith("label.followup")), on=on, why=why)
    if audit is not None and audit.kind == AuditKind.followup:
        # Scheduled, not visited: no longer owed. Its open deadlines go; the record stays, never decided.
        audit.outcome = "lapsed"
        cancel(state, today, *(k for k in state.deadlines if k.startswith(f"audit{audit.number}.")), on=on,
               why="the follow-up audit is no longer owed (§3.8.2 note)")
    state.independent, state.owed_followup = False, None
    state.phase = state.settled_phase()
    log(state, today, on, "network_notice", why)
    initial = next((a for a in reversed(state.audits) if a.kind == AuditKind.initial and a.decided_on is not None), None)
    if initial is not None:
        surveys = delay_date(state.rules, "network_local_surveys", initial.visit_start, state.calendar)
        since = [state.surveys[k].at for k in ("user", "agent") if k in state.surveys and state.surveys[k].at > initial.visit_end]
        if len(since) == 2:
            log(state, today, on, "network_notice", f"both surveys run since the initial audit (the latest closed on "
                f"{max(since).isoformat()}): the surveys asked within {surveys.explanation.split(' after')[0]} of it are done (§3.9.2 notes)")
        elif surveys.date >= on:
            set_deadline(state, today, "network.local_surveys", DeadlineKind.deadline, surveys,
                         "both surveys are run again (checked at the central follow-up)", on=on)
    notes.append(Notification(key=f"network:central_labelled:{on.isoformat()}", kind="info", recipients=recipients(state),
                              subject=why))
    return notes


def _followup_outcome(state: CycleState, audit: AuditRecord, event: Decision, today: date, env: Envelope,
                      notes: list[Notification], override: str) -> None:
    assert state.attestation is not None
    held = state.attestation.tier
    if state.closes_reminders:
        for key in FOLLOWUP_REMINDERS:
            fulfil(state, today, key, event.decided_on, "the follow-up audit was decided")
    if event.tier is None:
        audit.outcome = "below_minimum"
        state.phase = Phase.action_plan
        computed = delay_date(state.rules, "action_plan", event.decided_on, state.calendar)
        _entry(state, today, env, event.decided_on, f"follow-up below the minimum{override}: an action plan is due by {computed.date.isoformat()}")
        set_deadline(state, today, "label.action_plan", DeadlineKind.deadline, computed, "the action plan reaches the body",
                     on=event.decided_on)
        notes.append(Notification(key=f"decision:{audit.number}", kind="decision", recipients=recipients(state), due=computed.date,
                                  subject=f"Follow-up below the minimum: send an action plan by {computed.date.isoformat()}"))
        return
    rank_new = tier_rank(state.rules, event.tier, audit.visit_start)
    rank_held = tier_rank(state.rules, held, audit.visit_start)
    audit.outcome = "confirmed" if rank_new == rank_held else ("higher_tier" if rank_new > rank_held else "lower_tier")
    if rank_new != rank_held:
        state.attestation = state.attestation.model_copy(update={"tier": event.tier, "tier_label": tier_label(state, event.tier, event.decided_on)})
    state.phase = state.settled_phase()
    if state.pending_extension is not None:
        state.attestation = state.attestation.model_copy(update={"sites": state.candidate.sites_in_perimeter()})
        log(state, today, event.decided_on, "perimeter_extended",
            f"perimeter extended to {', '.join(state.attestation.sites)}; the end date stays {state.attestation.last_valid_day.isoformat()} (§5.2)")
        state.pending_extension = None
    words = {"confirmed": f"label confirmed {state.attestation.tier_label}", "higher_tier": f"higher tier: {state.attestation.tier_label}",
             "lower_tier": f"tier lowered to {state.attestation.tier_label}"}[audit.outcome]
    _entry(state, today, env, event.decided_on, f"follow-up: {words}{override}; valid until {state.attestation.last_valid_day.isoformat()} (unchanged)",
           tier=event.tier, outcome=audit.outcome)
    notes.append(Notification(key=f"decision:{audit.number}", kind="decision",
                              recipients=recipients(state) + (["ditp"] if audit.outcome != "confirmed" else []),
                              subject=f"Follow-up audit: {words}"))


def _action_plan(state: CycleState, event: ActionPlan, today: date, env: Envelope, notes: list[Notification]) -> None:
    _entry(state, today, env, event.received_on, f"action plan received on {event.received_on.isoformat()}")
    close_deadline(state, today, "label.action_plan", event.received_on, notes)
    if state.phase == Phase.suspended and state.suspension_reason == "no-action-plan":
        assert state.suspended_on is not None
        if event.received_on < state.suspended_on:  # it had come on time, and was recorded after the suspension
            lift(state, today, state.suspended_on, f"the action plan had come on {event.received_on.isoformat()}, "
                 "within its due date; it was recorded late")
        else:
            lift(state, today, event.received_on, "the action plan was produced")
    else:
        state.phase = state.settled_phase()  # a suspension for another reason stands


def suspend(state: CycleState, today: date, reason: str, effective: date, actor: str, notes: list[Notification],
            event_id: str | None = None) -> None:
    state.phase, state.label_status = Phase.suspended, LabelStatus.suspended
    state.suspension_reason, state.suspended_on = reason, effective
    label = next(r.label for r in state.rules.procedures.suspension_reasons.at(effective) if r.id == reason)
    log(state, today, effective, "suspension", f"label suspended from {effective.isoformat()}: {label}", actor=actor,
        event_id=event_id, reason=reason)
    computed = delay_date(state.rules, "suspension_max", effective, state.calendar)
    set_deadline(state, today, "suspension.max", DeadlineKind.transition, computed, "the suspension reaches its longest duration",
                 on=effective)
    if state.closes_reminders:
        # §3.10: only a label that holds is renewed; a suspended one would be refused (§5.3.1). A lifting
        # sets the invitation again if its date is still ahead.
        cancel(state, today, "label.renewal_invitation", on=effective, why="a suspended label cannot be renewed while suspended")
    notes.append(Notification(key=f"suspension:{effective.isoformat()}", kind="decision", recipients=recipients(state) + ["ditp"],
                              subject=f"Label suspended from {effective.isoformat()} ({label}); at most until {computed.date.isoformat()}"))


def lift(state: CycleState, today: date, effective: date, why: str, actor: str = "engine", event_id: str | None = None) -> None:
    state.label_status = LabelStatus.valid
    state.phase = state.settled_phase()
    state.suspension_reason, state.suspended_on = None, None
    cancel(state, today, "suspension.max", on=effective, why="the suspension was lifted")
    until = state.attestation.last_valid_day.isoformat() if state.attestation else "—"
    log(state, today, effective, "suspension_lifted", f"suspension lifted on {effective.isoformat()} ({why}); validity unchanged, until {until}",
        actor=actor, event_id=event_id)
    invitation = state.deadlines.get("label.renewal_invitation")
    if (state.closes_reminders and invitation is not None and invitation.status == DeadlineStatus.cancelled
            and invitation.due >= effective):
        set_deadline(state, today, invitation.key, invitation.kind, invitation.computed, invitation.what, on=effective)


def withdraw(state: CycleState, today: date, reason: str, effective: date, actor: str, notes: list[Notification],
             event_id: str | None = None, expired: bool = False) -> None:
    state.phase = Phase.expired if expired else Phase.withdrawn
    state.label_status = LabelStatus.expired if expired else LabelStatus.withdrawn
    state.pending_withdrawal = None
    for deadline in state.open_deadlines():
        cancel(state, today, deadline.key, on=effective, why="the label ended")
    label = next(r.label for r in state.rules.procedures.withdrawal_reasons.at(effective) if r.id == reason)
    computed = delay_date(state.rules, "mark_removal", effective, state.calendar)
    state.withdrawal = {"reason": reason, "effective": effective.isoformat(), "mark_removed_by": computed.date.isoformat()}
    what = "label expired" if expired else "label withdrawn"
    log(state, today, effective, "expiry" if expired else "withdrawal",
        f"{what} on {effective.isoformat()}: {label}; the mark must no longer be used from {computed.date.isoformat()}",
        actor=actor, event_id=event_id, reason=reason)
    set_deadline(state, today, "withdrawal.mark_removal", DeadlineKind.transition, computed, "the mark is no longer used",
                 on=effective)
    notes.append(Notification(key=f"withdrawal:{effective.isoformat()}", kind="decision", recipients=recipients(state) + ["ditp"], due=computed.date,
                              subject=f"{what.capitalize()} on {effective.isoformat()} ({label}); stop using the mark by {computed.date.isoformat()}"))


def _suspension(state: CycleState, event: Suspension, today: date, env: Envelope, notes: list[Notification]) -> None:
    suspend(state, today, event.reason, event.effective, env.actor, notes, env.event_id)


def _lifted(state: CycleState, event: SuspensionLifted, today: date, env: Envelope, notes: list[Notification]) -> None:
    lift(state, today, event.effective, "lifted by the certification body", env.actor, env.event_id)


def _withdrawal(state: CycleState, event: Withdrawal, today: date, env: Envelope, notes: list[Notification]) -> None:
    if event.effective > today:  # accepted by the check only for a cycle opened under NOTICES_AND_YEARLY_CHECKS
        notify_withdrawal(state, today, event.reason, event.notified_on or today, event.effective, env.actor, notes, env.event_id)
        return
    withdraw(state, today, event.reason, event.effective, env.actor, notes, env.event_id)


def notify_withdrawal(state: CycleState, today: date, reason: str, notified_on: date, effective: date, actor: str,
                      notes: list[Notification], event_id: str | None) -> None:
    """A withdrawal notified ahead of its effective date (§5.3.2: « précisant la date de mise en application »): the label
    holds, and stays on the public list, until that date (« à partir de la date effective du retrait »), when the
    transition ``withdrawal.effective`` withdraws it. A new notification replaces one still to take effect."""
    label = next(r.label for r in state.rules.procedures.withdrawal_reasons.at(effective) if r.id == reason)
    previous = state.pending_withdrawal
    if previous is not None:
        cancel(state, today, "withdrawal.effective", on=notified_on,
               why=f"replaced by the withdrawal notified on {notified_on.isoformat()}, effective {effective.isoformat()}")
    state.pending_withdrawal = {"reason": reason, "notified_on": notified_on.isoformat(), "effective": effective.isoformat(),
                                "actor": actor, "event_id": event_id}
    removal = delay_date(state.rules, "mark_removal", effective, state.calendar)
    replaces = (f"; it replaces the withdrawal notified on {previous['notified_on']} for {previous['effective']}"
                if previous is not None else "")
    log(state, today, notified_on, "withdrawal_notified",
        f"withdrawal notified on {notified_on.isoformat()}, effective on {effective.isoformat()}: {label}; the label holds, "
        f"and stays on the public list, until {(effective - ONE_DAY).isoformat()}; the mark must no longer be used from "
        f"{removal.date.isoformat()} ({removal.explanation}){replaces}",
        actor=actor, event_id=event_id, reason=reason, effective=effective.isoformat())
    computed = ComputedDate(key="withdrawal.effective", date=effective, rule=NOTIFIED_WITHDRAWAL, edition=state.edition,
                            rule_from=notified_on, reference="Guide §5.3.2 (« précisant la date de mise en application »)",
                            explanation=f"the effective date of the withdrawal notified on {notified_on.isoformat()}")
    set_deadline(state, today, "withdrawal.effective", DeadlineKind.transition, computed, "the notified withdrawal takes effect",
                 on=notified_on)
    notes.append(Notification(key=f"withdrawal_notified:{effective.isoformat()}", kind="decision", due=effective,
                              recipients=recipients(state) + ["ditp"],
                              subject=f"Label withdrawal notified: effective on {effective.isoformat()} ({label}); the label "
                                      f"holds until then; stop using the mark by {removal.date.isoformat()}"))


def _renewal(state: CycleState, event: RenewalRequested, today: date, env: Envelope, notes: list[Notification]) -> None:
    body = event.certification_body or state.candidate.certification_body
    _entry(state, today, env, event.requested_on, f"renewal requested on {event.requested_on.isoformat()} with {body}")
    if state.closes_reminders:
        fulfil(state, today, "label.renewal_invitation", event.requested_on, "the renewal was requested")
    state.renewal_request, state.continue_as_new = event, True


def _extension(state: CycleState, event: PerimeterExtension, today: date, env: Envelope, notes: list[Notification]) -> None:
    update: dict[str, Any] = {"sites": [*state.candidate.sites, *event.sites]}
    if state.candidate.authority is not None and event.domains:
        update["authority"] = state.candidate.authority.model_copy(
            update={"domains": sorted(set(state.candidate.authority.domains) | set(event.domains))})
    state.candidate = state.candidate.model_copy(update=update)
    state.pending_extension = {"sites": [s.id for s in event.sites], "domains": list(event.domains),
                               "requested_on": event.requested_on.isoformat()}
    what = ", ".join([s.id for s in event.sites] + list(event.domains))
    if event.new_cycle:
        _entry(state, today, env, event.requested_on, f"perimeter extension ({what}, {event.agents_added} agents) opens a new "
               "3-year cycle carrying the sites already labelled (§5.2)")
        state.renewal_request = RenewalRequested(requested_on=event.requested_on, contract_signed=event.requested_on)
        state.continue_as_new = True
    else:
        _entry(state, today, env, event.requested_on, f"perimeter extension asked ({what}): audited with the next "
               "follow-up or renewal audit; the end date of the label does not change (§5.2)")


def _appeal(state: CycleState, event: Appeal, today: date, env: Envelope, notes: list[Notification]) -> None:
    appealed = next(a for a in reversed(state.audits) if a.decided_on is not None)
    state.appeal = {"lodged_on": event.lodged_on.isoformat(), "audit": appealed.number, "grounds": event.grounds}
    _entry(state, today, env, event.lodged_on, f"appeal lodged against the decision of {appealed.decided_on.isoformat()} "
           f"({appealed.decided_tier or 'refusal'}) before the body's impartial commission (§5.1): {event.grounds}")


def _appeal_decision(state: CycleState, event: AppealDecision, today: date, env: Envelope, notes: list[Notification]) -> None:
    assert state.appeal is not None
    appealed = state.audits[state.appeal["audit"] - 1]
    state.appeal = None
    if event.outcome != "upheld":
        _entry(state, today, env, event.decided_on, f"appeal dismissed on {event.decided_on.isoformat()}: the decision stands")
        return
    assert event.tier is not None
    was = appealed.decided_tier or "refusal"
    appealed.decided_tier, appealed.outcome = event.tier, f"{appealed.outcome} → {event.tier} on appeal"
    if state.phase == Phase.refused or state.attestation is None or appealed.kind == AuditKind.initial and state.label_status == LabelStatus.none:
        cancel(state, today, "refusal.new_application", on=event.decided_on, why="the refusal was overturned on appeal")
        state.new_application_from = state.refusal_notified = None
        _label(state, event.tier, event.decided_on, today, notes)  # obtained on the commission's decision (§2.3)
    else:
        cancel(state, today, "label.action_plan", on=event.decided_on, why="the decision was changed on appeal")
        state.attestation = state.attestation.model_copy(update={"tier": event.tier, "tier_label": tier_label(state, event.tier, event.decided_on)})
        state.phase = state.settled_phase()
    assert state.attestation is not None
    _entry(state, today, env, event.decided_on, f"appeal upheld on {event.decided_on.isoformat()}: {was} becomes "
           f"{state.attestation.tier_label}, valid to {state.attestation.last_valid_day.isoformat()}", tier=event.tier)
    notes.append(Notification(key=f"appeal:{appealed.number}:{event.decided_on.isoformat()}", kind="decision",
                              recipients=recipients(state) + ["ditp"], subject=f"Appeal upheld: {state.attestation.tier_label}"))


def renewed_candidate(state: CycleState, event: RenewalRequested) -> Candidate:
    return state.candidate.model_copy(update={
        "certification_body": event.certification_body or state.candidate.certification_body,
        "contract_signed": event.contract_signed,
    })


_APPLY: dict[type, Any] = {
    SelfAssessment: _self_assessment, SurveyResults: _survey, AuditDates: _audit_dates, Dossier: _dossier,
    ComplementsRequested: _complements, AuditPlan: _plan, Visit: _visit, Report: _report, Observations: _observations,
    Decision: _decision, ActionPlan: _action_plan, Suspension: _suspension, SuspensionLifted: _lifted,
    Withdrawal: _withdrawal, RenewalRequested: _renewal, PerimeterExtension: _extension, Appeal: _appeal,
    AppealDecision: _appeal_decision,
}


def change_edition(state: CycleState, rules: RuleSet, envelope: Envelope, today: date) -> None:
    """Move the cycle to another rules edition: deadlines already set keep their dates; new ones follow the new rules."""
    previous = state.rules
    state.rules = shared(rules)
    reason = getattr(envelope.event, "reason", "")
    log(state, today, today, "rules_edition_change",
        f"rules edition changed from {previous.edition_id} to {rules.edition_id} ({rules.content_hash}): {reason}",
        actor=envelope.actor, event_id=envelope.event_id, previous=previous.edition_id, edition=rules.edition_id,
        content_hash=rules.content_hash)
    state.applied_events[envelope.event_id] = stamp(envelope)
