"""One local public service's label cycle as a durable workflow (id ``cycle-<candidate id>``).

The workflow only orchestrates; every decision is the pure cycle's (`spplus.lifecycle`):

* start: the rules edition and the territory's calendar are loaded by activities and pinned —
  both land in the history, so a replay never reads a file or a newer holiday library;
* events: one update, ``record``, whose validator runs ``check`` (nothing invalid enters the
  history) and whose handler runs ``apply``; an event id seen before is answered, not re-applied;
* time: the workflow sleeps until the next date the cycle asks for, then runs ``advance``;
  deadlines are absolute dates in the state, so they survive continue-as-new; « today » is the
  date in the cycle's territory and a day begins at its midnight (the zone's offsets are pinned
  with the calendar; cycles whose run began before the ``LOCAL_DAYS`` patch keep UTC days);
* renewal: the next cycle continues-as-new with the label that still holds.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from .notifications import start_notifications
from .pinning import RULES_TIMEOUT, pin_rules
from .search import SearchAttributes, day_start, local_days, today

with workflow.unsafe.imports_passed_through():
    from spplus import search_attributes as sa
    from spplus.idempotency import REUSED_KEY, reused_for_another
    from activities.rules import RulesRequest, load_rules_edition
    from spplus.lifecycle import (
        CycleState, Envelope, EventRefused, LabelStatus, Notification, advance, apply, change_edition,
        check, network_notice, next_wakeup,
    )
    from spplus.lifecycle.events import AuditKind, Decision, RulesEditionChange
    from spplus.network.machine import NetworkNotice
    from spplus.lifecycle import state as behaviour
    from spplus.lifecycle.state import TimelineEntry
    from spplus.lifecycle.views import CycleView, cycle_view, deadline_view
    from spplus.lifecycle.messages import CycleOutcome, CycleStart, Receipt
    from spplus.lifecycle.decisions import RecordedDecision, decisions_of


# Patch id: a key reused for another event, met by the handler, is refused (since 0.3.0).
REFUSE_REUSED_KEY = "refuse-a-key-reused-for-another-event"
# Patch id: a cycle opened since issue 12 judges a deadline already past when a late fact sets it at
# once, and closes every reminder when what it reminds of happens or stops being possible. The pure
# core cannot call `patched`: the answer is kept in the state (`behaviour`), decided when the cycle opens.
LATE_FACTS = "late-facts-and-reminders-that-close"
# Patch id: a cycle opened since issue 14 reminds its yearly self-assessments and checks them at the follow-up
# (§3.9.1), lets a §3.8.2 follow-up lapse when its central service is labelled meanwhile, and takes a withdrawal
# notified ahead of its effective date (§5.3.2). Its answer is kept in the state too (NOTICES_AND_YEARLY_CHECKS).
NOTICES_AND_YEARLY_CHECKS = "yearly-self-assessments-lapsing-followups-and-withdrawals-notified-ahead"
# Patch id: a cycle keeps its listing memo true — its name, territory, the sites its label names and the day the
# label was obtained, what the pages' lists and the public list show of it (search_attributes.LISTING) — with the
# words of those names (SpNames) and its territory (SpTerritory) as search attributes when its run lacks them
# (issue 13). A memo upserted in a run is not carried to the next by a continue-as-new (its start memo is): each
# run compares with the memo it started with. Runs that began before the patch publish nothing new.
PUBLIC_LISTING = "publish-the-listing-memo-and-names"
# Patch id: SpOverdue counts the deadlines missed and still not done; a deadline done late stays a breach
# (SpBreaches) but is no longer overdue. Runs that began before it count every missed deadline, as they did.
OVERDUE_NOT_DONE = "overdue-counts-deadlines-still-not-done"


@workflow.defn(name="LabelCycle")
class LabelCycleWorkflow:
    @workflow.init
    def __init__(self, start: CycleStart) -> None:
        # A carried state is usable at once; a new cycle is ready once its rules are pinned.
        self._state: CycleState | None = start.state if start.renewal is None else None
        self._changed = False
        self._lock = asyncio.Lock()
        self._sending: list[asyncio.Future[object]] = []
        self._search = SearchAttributes()
        # Decided before any handler: a validator may not call `patched`, it reads this.
        self._local_days = local_days()
        # Asked here, before any await, like every patch of this workflow: see workflows/search.py.
        self._late_facts = workflow.patched(LATE_FACTS)
        self._notices = workflow.patched(NOTICES_AND_YEARLY_CHECKS)
        self._listing = workflow.patched(PUBLIC_LISTING)
        self._overdue_not_done = workflow.patched(OVERDUE_NOT_DONE)
        self._listed = workflow.memo_value(sa.LISTING, None) if self._listing else None

    def _today(self) -> date:
        return today(self._state.calendar if self._state is not None else None, self._local_days)

    # ------------------------------------------------------------------ run
    @workflow.run
    async def run(self, start: CycleStart) -> CycleOutcome:
        if self._state is None:
            self._state = await self._pin_rules_and_begin(start)
        state = self._state
        while not state.finished and not state.continue_as_new:
            self._publish(state)
            wake = next_wakeup(state)
            self._changed = False
            timeout = (day_start(wake, state.calendar, self._local_days) - workflow.now()) if wake is not None else None
            if timeout is None or timeout > timedelta(0):
                try:
                    await workflow.wait_condition(lambda: self._changed, timeout=timeout)
                except asyncio.TimeoutError:
                    pass
            self._notify(advance(state, self._today()))
            if workflow.info().is_continue_as_new_suggested() and not state.finished:
                break  # history grows long: go on in a fresh run with the same state

        self._publish(state)
        await workflow.wait_condition(workflow.all_handlers_finished)
        await asyncio.gather(*self._sending, return_exceptions=True)
        if not state.finished:
            renewal, state.renewal_request, state.continue_as_new = state.renewal_request, None, False
            workflow.continue_as_new(CycleStart(state=state, renewal=renewal))
        return CycleOutcome(
            candidate=state.candidate.id, cycle_number=state.cycle_number, phase=state.phase,
            label_status=state.label_status, attestation=state.attestation,
            new_application_from=state.new_application_from, withdrawal=state.withdrawal, breaches=state.breaches,
            edition=state.edition,
        )

    async def _pin_rules_and_begin(self, start: CycleStart) -> CycleState:
        """Load and pin the rules and the calendar, then open the cycle (or the renewal's next one)."""
        candidate = start.opening_candidate()
        day = workflow.now().date()  # UTC: the zone is not known before the calendar is pinned
        rules, calendar = await pin_rules(start.edition, candidate.territory, min(day, candidate.contract_signed).year - 1,
                                          day.year + 5, day)
        opened_on = today(calendar, self._local_days)
        workflow.logger.info("cycle opened", extra={"candidate": candidate.id, "certification_body": candidate.certification_body,
                                                    "edition": rules.edition_id})
        state = start.open(rules, calendar, opened_on)
        # A cycle opened before a patch keeps the behaviour it had: its history replays as it ran.
        state.behaviour = ((behaviour.LATE_FACTS if self._late_facts else 0)
                           | (behaviour.NOTICES_AND_YEARLY_CHECKS if self._notices else 0))
        return state

    # ------------------------------------------------------------------ events
    @workflow.update
    async def record(self, envelope: Envelope) -> Receipt:
        async with self._lock:
            state = self._state
            assert state is not None  # the validator refused events before the cycle was open
            duplicate = envelope.event_id in state.applied_events
            if duplicate and reused_for_another(state.applied_events, envelope) and workflow.patched(REFUSE_REUSED_KEY):
                # Two requests with one key and different events passed the validator together: the
                # first was applied, this one is refused (never answered with the first's receipt).
                raise ApplicationError(REUSED_KEY, {"field": "event_id"}, type="EventRefused", non_retryable=True)
            if not duplicate:
                if isinstance(envelope.event, RulesEditionChange):
                    rules = await workflow.execute_activity(
                        load_rules_edition, RulesRequest(edition=envelope.event.edition), start_to_close_timeout=RULES_TIMEOUT,
                    )
                    change_edition(state, rules, envelope, self._today())
                else:
                    self._notify(apply(state, envelope, self._today()))
                    await self._report_to_network(state, envelope)
                self._changed = True
                workflow.logger.info("event applied", extra={
                    "candidate": state.candidate.id, "certification_body": state.candidate.certification_body,
                    "event_type": envelope.event.type, "event_id": envelope.event_id, "actor": envelope.actor,
                    "phase": state.phase.value})
            return Receipt(
                event_id=envelope.event_id, duplicate=duplicate, phase=state.phase, label_status=state.label_status,
                summary=next((e.summary for e in reversed(state.timeline) if e.event_id == envelope.event_id), ""),
                open_deadlines=[deadline_view(d) for d in state.open_deadlines()],
            )

    @record.validator
    def validate_record(self, envelope: Envelope) -> None:
        if self._state is None:
            raise ApplicationError("the cycle is opening (loading its rules); send the event again in a moment",
                                   type="CycleNotReady")
        try:
            check(self._state, envelope, self._today())
        except EventRefused as exc:
            raise ApplicationError(exc.message, {"field": exc.field}, type="EventRefused", non_retryable=True) from None

    async def _report_to_network(self, state: CycleState, envelope: Envelope) -> None:
        """A local service audited through its central service tells it its decision (§3.8.2)."""
        if not isinstance(envelope.event, Decision) or not state.candidate.network:
            return
        audit = next((a for a in reversed(state.audits) if a.decided_on == envelope.event.decided_on), None)
        if audit is None or audit.kind != AuditKind.initial:
            return
        outcome = {"local_id": state.candidate.id, "tier": envelope.event.tier,
                   "decided_on": envelope.event.decided_on.isoformat(), "visit_start": audit.visit_start.isoformat()}
        await workflow.get_external_workflow_handle(state.candidate.network).signal("local_decided", outcome)

    @workflow.signal
    async def network_notice(self, notice: NetworkNotice) -> None:
        """Its central service's label was refused, withdrawn, or obtained (§3.8.2, §5.3.2)."""
        await workflow.wait_condition(lambda: self._state is not None)
        async with self._lock:
            assert self._state is not None
            self._notify(network_notice(self._state, notice.kind, notice.on, notice.central, self._today()))
            self._changed = True

    # ------------------------------------------------------------------ queries
    @workflow.query
    def state(self) -> CycleView | None:
        return cycle_view(self._state) if self._state is not None else None

    @workflow.query
    def timeline(self) -> list[TimelineEntry]:
        return list(self._state.timeline) if self._state is not None else []

    @workflow.query
    def decisions(self) -> list[RecordedDecision]:
        """What each decided audit measured and gave, for a what-if under another edition."""
        return decisions_of(self._state) if self._state is not None else []

    # ------------------------------------------------------------------ effects
    def _notify(self, notes: list[Notification]) -> None:
        for note in notes:
            if self._state is not None:
                workflow.logger.info(note.kind, extra={"candidate": self._state.candidate.id, "key": note.key,
                                                       "certification_body": self._state.candidate.certification_body})
        self._sending = [f for f in self._sending if not f.done()] + start_notifications(notes)

    def _publish(self, state: CycleState) -> None:
        due = [d.due for d in state.open_deadlines()]
        held = state.attestation and state.label_status != LabelStatus.none
        self._search.publish(
            candidate=state.candidate.id, body=state.candidate.certification_body, phase=state.phase.value,
            label_status=state.label_status.value, tier=state.attestation.tier if held else None, edition=state.edition,
            next_deadline=min(due) if due else None, expiry=state.attestation.expires if state.attestation else None,
            breaches=state.breaches, overdue=sum(1 for d in state.deadlines.values() if d.status.value == "missed"
                                                 and (d.closed_on is None or not self._overdue_not_done)),
        )
        if self._listing:
            self._publish_listing(state)

    def _publish_listing(self, state: CycleState) -> None:
        """The listing memo and the name and territory search attributes, upserted only when they change."""
        listed = sa.listing(state.candidate, state.attestation)
        if listed != self._listed:
            workflow.upsert_memo({sa.LISTING: listed})
            self._listed = listed
        published = workflow.info().typed_search_attributes
        wanted = ((sa.TERRITORY, state.candidate.territory), (sa.NAMES, sa.listed_words(listed)))
        updates = [key.value_set(value) for key, value in wanted if value and published.get(key) != value]
        if updates:
            workflow.upsert_search_attributes(updates)
