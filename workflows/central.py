"""A central public service's label cycle (id ``central-<id>``), orchestrating its network.

* the sample of local services is drawn with a named random stream per draw
  (``workflow.new_random("sampling:…")``): deterministic on replay, its seed on the timeline;
* each sampled local service runs its own cycle (``cycle-<local id>``), started by an activity as
  an independent workflow — local labels outlive a central refusal (§3.8.2);
* a local cycle signals its decision back (``local_decided``); the central one tells local cycles
  when its label is refused or withdrawn (``network_notice``);
* the central cycle holds only its own facts and the network's list, never the local histories,
  so a network of thousands stays far from Temporal's history limits.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from .search import SearchAttributes, day_start, local_days, today

with workflow.unsafe.imports_passed_through():
    from spplus.idempotency import REUSED_KEY, reused_for_another
    from activities.network import LocalCycleRequest, NetworkActivities, NetworkNoticeRequest, tell_network
    from spplus.lifecycle import Candidate, EventRefused, Notification, next_wakeup
    from spplus.lifecycle.state import NOTICES_AND_YEARLY_CHECKS as NOTICES_BEHAVIOUR, TimelineEntry
    from spplus.network import machine
    from spplus.network.events import CentralEnvelope, LocalOutcome, LocalService
    from spplus.network.state import CentralState
    from spplus.network.messages import CentralOutcome, CentralReceipt, CentralStart, CentralView

    from .cycle import LabelCycleWorkflow
    from .notifications import start_notifications
    from .pinning import RULES_TIMEOUT, pin_rules

start_local_cycle = NetworkActivities.start_local_cycle


# An engine operating parameter, not a label rule: how long a central cycle sleeps when nothing is due.
IDLE_WAKEUP = timedelta(hours=24 * 365)


def central_workflow_id(central_id: str) -> str:
    return f"central-{central_id}"


# Patch id: a key reused for another event, met by the handler, is refused (since 0.3.0).
REFUSE_REUSED_KEY = "refuse-a-key-reused-for-another-event"
# Patch id: a central cycle opened since issue 14 has the auditor judge the corrective actions before the decision
# (§3.7.2), tells its network when it is labelled (§3.8.2 note), and takes a withdrawal notified ahead of its effective
# date (§5.3.2). The pure core reads the answer from the state (NOTICES_AND_YEARLY_CHECKS), decided when it opens.
NOTICES_AND_JUDGED_ACTIONS = "judged-corrective-actions-network-notices-and-withdrawals-notified-ahead"
# An engine operating parameter, not a label rule: how long telling a whole network may take.
NETWORK_NOTICE_TIMEOUT = timedelta(minutes=30)


@workflow.defn(name="CentralLabelCycle")
class CentralCycleWorkflow:
    @workflow.init
    def __init__(self, start: CentralStart) -> None:
        self._state: CentralState | None = start.state
        self._changed = False
        self._lock = asyncio.Lock()
        self._sending: list[asyncio.Future[object]] = []
        self._search = SearchAttributes()
        # Decided before any handler: a validator may not call `patched`, it reads this.
        self._local_days = local_days()
        # Asked here, before the rules' local activity, like every patch of these workflows (see workflows/search.py).
        self._notices = workflow.patched(NOTICES_AND_JUDGED_ACTIONS)

    def _today(self) -> date:
        return today(self._state.calendar if self._state is not None else None, self._local_days)

    @workflow.run
    async def run(self, start: CentralStart) -> CentralOutcome:
        if self._state is None:
            assert start.candidate is not None
            day = workflow.now().date()  # UTC: the zone is not known before the calendar is pinned
            rules, calendar = await pin_rules(start.edition, start.candidate.territory, day.year - 1, day.year + 5, day)
            self._state, effects = machine.open_central(start.candidate, rules, calendar, today(calendar, self._local_days),
                                                        self._seed)
            if not self._notices:
                self._state.behaviour &= ~NOTICES_BEHAVIOUR  # opened before the patch: its history replays as it ran
            await self._carry_out(effects)
        state = self._state
        while not state.finished:
            self._publish(state)
            # With nothing due (waiting for the central audit to be scheduled) the cycle still wakes
            # yearly: a wait with no timer at all could not be moved by time skipping either.
            wake = next_wakeup(state) or (self._today() + IDLE_WAKEUP)
            self._changed = False
            timeout = day_start(wake, state.calendar, self._local_days) - workflow.now()
            if timeout > timedelta(0):
                try:
                    await workflow.wait_condition(lambda: self._changed, timeout=timeout)
                except asyncio.TimeoutError:
                    pass
            async with self._lock:
                await self._carry_out(machine.advance_central(state, self._today(), self._seed))
            if workflow.info().is_continue_as_new_suggested() and not state.finished:
                await workflow.wait_condition(workflow.all_handlers_finished)
                await asyncio.gather(*self._sending, return_exceptions=True)
                workflow.continue_as_new(CentralStart(state=state))
        self._publish(state)
        await workflow.wait_condition(workflow.all_handlers_finished)
        await asyncio.gather(*self._sending, return_exceptions=True)
        return CentralOutcome(central=state.candidate.id, phase=state.phase, label_status=state.label_status,
                              tier=state.attestation.tier if state.attestation else None,
                              new_application_from=state.new_application_from, withdrawal=state.withdrawal)

    @staticmethod
    def _seed(purpose: str) -> int:
        return workflow.new_random(purpose).getrandbits(63)

    # ------------------------------------------------------------------ effects
    async def _carry_out(self, effects: machine.Effects) -> None:
        state = self._state
        assert state is not None
        if effects.start_locals:
            # Every draw goes into the history itself (the memo), so an auditor can reproduce it from
            # the recorded history alone: random.Random(seed).sample(sorted(not yet audited), size).
            workflow.upsert_memo({"sample_draws": [s.model_dump(mode="json", exclude={"population"}) for s in state.samples]})
        for local in effects.start_locals:
            await self._start_local(state, local)
        for local_id, notice in effects.tell_locals.items():
            handle = workflow.get_external_workflow_handle(f"cycle-{local_id}")
            self._sending.append(asyncio.ensure_future(handle.signal(LabelCycleWorkflow.network_notice, notice)))
        if effects.tell_network is not None:  # only from a cycle opened under NOTICES_AND_JUDGED_ACTIONS
            request = NetworkNoticeRequest(notice=effects.tell_network, local_ids=state.network_ids)
            self._sending.append(asyncio.ensure_future(workflow.execute_activity(
                tell_network, request, start_to_close_timeout=NETWORK_NOTICE_TIMEOUT)))
        self._sending += start_notifications(effects.notes)
        self._changed = True

    async def _start_local(self, state: CentralState, local: LocalService) -> None:
        candidate = Candidate(id=local.id, name=local.name, territory=local.territory, sites=local.sites,
                              agents_in_contact=local.agents_in_contact, certification_body=state.candidate.certification_body,
                              contract_signed=state.candidate.contract_signed, network=workflow.info().workflow_id)
        await workflow.execute_activity(start_local_cycle, LocalCycleRequest(candidate=candidate),
                                        start_to_close_timeout=RULES_TIMEOUT)

    # ------------------------------------------------------------------ messages
    @workflow.update
    async def record(self, envelope: CentralEnvelope) -> CentralReceipt:
        async with self._lock:
            state = self._state
            assert state is not None
            duplicate = envelope.event_id in state.applied_events
            if duplicate and reused_for_another(state.applied_events, envelope) and workflow.patched(REFUSE_REUSED_KEY):
                # Two requests with one key and different events passed the validator together: the
                # first was applied, this one is refused (never answered with the first's receipt).
                raise ApplicationError(REUSED_KEY, {"field": "event_id"}, type="EventRefused", non_retryable=True)
            if not duplicate:
                await self._carry_out(machine.apply(state, envelope, self._today(), self._seed))
            return CentralReceipt(event_id=envelope.event_id, duplicate=duplicate, phase=state.phase,
                                  summary=next((e.summary for e in reversed(state.timeline) if e.event_id == envelope.event_id), ""))

    @record.validator
    def validate_record(self, envelope: CentralEnvelope) -> None:
        if self._state is None:
            raise ApplicationError("the central cycle is opening; send the event again in a moment", type="CycleNotReady")
        try:
            machine.check(self._state, envelope, self._today())
        except EventRefused as exc:
            raise ApplicationError(exc.message, {"field": exc.field}, type="EventRefused", non_retryable=True) from None

    @workflow.signal
    async def local_decided(self, outcome: LocalOutcome) -> None:
        await workflow.wait_condition(lambda: self._state is not None)
        async with self._lock:
            assert self._state is not None
            await self._carry_out(machine.local_decided(self._state, outcome, self._today()))

    @workflow.query
    def state(self) -> CentralView | None:
        state = self._state
        if state is None:
            return None
        return CentralView(
            central=state.candidate.id, name=state.candidate.name, phase=state.phase, label_status=state.label_status,
            year=state.year, network_size=len(state.candidate.local_services),
            samples=[s.model_dump(mode="json", exclude={"population"}) | {"population_size": len(s.population)} for s in state.samples],
            results={k: v.tier for k, v in state.results.items()},
            attestation=state.attestation.model_dump(mode="json") if state.attestation else None,
            open_deadlines=[{"key": d.key, "due": d.due.isoformat(), "what": d.what, "rule": d.computed.rule,
                             "reference": d.computed.reference} for d in state.open_deadlines()],
            edition=state.edition, new_application_from=state.new_application_from, withdrawal=state.withdrawal,
            breaches=state.breaches, pending_withdrawal=state.pending_withdrawal,
        )

    @workflow.query
    def timeline(self) -> list[TimelineEntry]:
        return list(self._state.timeline) if self._state is not None else []

    def _publish(self, state: CentralState) -> None:
        due = [d.due for d in state.open_deadlines()]
        self._search.publish(
            candidate=state.candidate.id, body=state.candidate.certification_body, phase=state.phase.value,
            label_status=state.label_status.value, tier=state.attestation.tier if state.attestation else None,
            edition=state.edition, next_deadline=min(due) if due else None,
            expiry=state.attestation.expires if state.attestation else None,
            breaches=state.breaches, overdue=sum(1 for d in state.deadlines.values() if d.status.value == "missed"),
        )


__all__ = ["CentralCycleWorkflow", "CentralStart", "CentralOutcome", "central_workflow_id", "Notification"]
