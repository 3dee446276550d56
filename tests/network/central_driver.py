"""Drive the pure central cycle by hand (spplus/network/machine.py): send events on a date, report
local decisions, let days pass. No Temporal here.

The workflow (workflows/central.py) gives the randomness as ``workflow.new_random(purpose).getrandbits(63)``;
here :func:`seed_for` is a hash of the purpose: the same purpose always gives the same seed.

Every date the helpers use is chosen by the test; none is read back from the engine.
"""

from __future__ import annotations

import hashlib
import itertools
from datetime import date, timedelta
from typing import Any

from pydantic import TypeAdapter

from spplus.lifecycle.days import next_wakeup
from spplus.network.events import CentralCandidate, CentralEnvelope, CentralEvent, LocalOutcome
from spplus.network.machine import Effects, EventRefused, advance_central, apply, check, local_decided, open_central
from spplus.network.state import CentralState

_EVENT = TypeAdapter(CentralEvent)
_ids = itertools.count(1)

CONTRACT = date(2026, 1, 5)  # a Monday; year N is 2026
CENTRAL_ID = "cnaf"


def seed_for(purpose: str) -> int:
    """A deterministic 63-bit seed per purpose (the workflow uses ``workflow.new_random(purpose)``)."""
    return int.from_bytes(hashlib.sha256(purpose.encode()).digest()[:8], "big") >> 1


def network(n: int, prefix: str = "caf") -> list[dict[str, Any]]:
    return [{"id": f"{prefix}-{i:04d}", "name": f"CAF {i}"} for i in range(n)]


def central_candidate(n: int = 16, local_services: list[dict[str, Any]] | None = None, **overrides: Any) -> CentralCandidate:
    data: dict[str, Any] = dict(id=CENTRAL_ID, name="Caisse nationale", certification_body="oc-alpha",
                                contract_signed=CONTRACT, local_services=local_services if local_services is not None else network(n))
    data.update(overrides)
    return CentralCandidate.model_validate(data)


def yes_no(yes: int, no: int) -> list[bool]:
    return [True] * yes + [False] * no


class CentralDriver:
    def __init__(self, rules, calendar, today: date = CONTRACT, n: int = 16, *, seed=seed_for,
                 local_services: list[dict[str, Any]] | None = None, **overrides: Any) -> None:
        self.today = today
        self.seed = seed
        self.candidate = central_candidate(n, local_services, **overrides)
        self.state: CentralState
        self.state, self.opening = open_central(self.candidate, rules, calendar, today, seed)
        self.effects: list[Effects] = [self.opening]

    # ------------------------------------------------------------------ events
    def envelope(self, event: dict[str, Any], event_id: str | None = None) -> CentralEnvelope:
        return CentralEnvelope(event_id=event_id or f"c{next(_ids)}", event=_EVENT.validate_python(event))

    def send(self, event: dict[str, Any], event_id: str | None = None) -> Effects:
        env = self.envelope(event, event_id)
        check(self.state, env, self.today)
        effects = apply(self.state, env, self.today, self.seed)
        self.effects.append(effects)
        return effects

    def refused(self, event: dict[str, Any]) -> str:
        """The event is refused by ``check``, and the state is left as it was; returns the message."""
        before = self.state.model_dump()
        try:
            check(self.state, self.envelope(event), self.today)
        except EventRefused as exc:
            assert self.state.model_dump() == before
            return exc.message
        raise AssertionError(f"event was accepted: {event}")

    def local(self, local_id: str, tier: str | None, decided_on: date | None = None, visit_start: date | None = None) -> Effects:
        """A sampled local service's cycle signals its decision (``local_decided``)."""
        decided_on = decided_on or self.today
        outcome = LocalOutcome(local_id=local_id, tier=tier, decided_on=decided_on,
                               visit_start=visit_start or decided_on - timedelta(days=22))
        effects = local_decided(self.state, outcome, self.today)
        self.effects.append(effects)
        return effects

    def decide_sample(self, tiers: list[str | None], decided_on: date | None = None, year: int | None = None) -> list[str]:
        """Decide the year's sampled services in the order they were drawn, with ``tiers``; returns their ids."""
        sample = self.sample(year)
        assert len(tiers) == len(sample), f"{len(sample)} services sampled: {sample}"
        for local_id, tier in zip(sample, tiers):
            self.local(local_id, tier, decided_on)
        return sample

    def self_assessments(self, year: int, produced_by: list[str] | None = None) -> Effects:
        return self.send({"type": "network_reports", "year": year, "kind": "self_assessment",
                          "produced_by": self.state.network_ids if produced_by is None else produced_by})

    def surveys(self, year: int, produced_by: list[str] | None = None) -> Effects:
        return self.send({"type": "network_reports", "year": year, "kind": "surveys",
                          "produced_by": self.state.network_ids if produced_by is None else produced_by})

    # ------------------------------------------------------------------ the central audit
    def audit_to_decision(self, visit: date, points: list[bool], report_after: int = 9) -> date:
        """Dates sent today, plan 22 days before the visit, visit, report ``report_after`` days after it;
        then moves to the day after the 10-day corrective-actions window and returns that day."""
        self.send({"type": "central_audit_dates", "visit_start": visit.isoformat(), "visit_end": visit.isoformat()})
        self.pass_to(visit - timedelta(days=22))
        self.send({"type": "audit_plan", "sent_on": self.today.isoformat(), "auditors": ["E. Roux"]})
        self.pass_to(visit)
        self.send({"type": "central_visit", "control_points": points})
        received = visit + timedelta(days=report_after)
        self.pass_to(received)
        self.send({"type": "report", "sent_on": received.isoformat(), "received_on": received.isoformat()})
        decided = received + timedelta(days=11)  # the window's last day is received + 10
        self.pass_to(decided)
        return decided

    def decide(self, decided_on: date, tier: str | None, reason: str | None = None) -> Effects:
        event: dict[str, Any] = {"type": "central_decision", "decided_on": decided_on.isoformat(), "tier": tier}
        if reason is not None:
            event["reason"] = reason
        return self.send(event)

    def central_audit(self, visit: date, points: list[bool], tier: str | None, reason: str | None = None) -> date:
        decided = self.audit_to_decision(visit, points)
        self.decide(decided, tier, reason)
        return decided

    # ------------------------------------------------------------------ days
    def pass_to(self, day: date) -> None:
        """Let time pass until ``day``, waking on each date the cycle asks for, as the workflow does."""
        while True:
            wake = next_wakeup(self.state)
            if wake is None or wake > day or self.state.finished:
                break
            self.today = max(self.today, wake)
            self.effects.append(advance_central(self.state, self.today, self.seed))
        self.today = max(self.today, day)
        self.effects.append(advance_central(self.state, self.today, self.seed))

    # ------------------------------------------------------------------ reading
    def sample(self, year: int | None = None) -> list[str]:
        """The services sampled in year N+``year``, in the order they were drawn or named."""
        return self.state.year_sample(year)

    def deadline(self, key: str):
        return self.state.deadlines[key]

    def entries(self, kind: str) -> list:
        return [e for e in self.state.timeline if e.kind == kind]

    def started(self) -> list[str]:
        return [s.id for e in self.effects for s in e.start_locals]

    def told(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for e in self.effects:
            out.update(e.tell_locals)
        return out


# ---------------------------------------------------------------------------------------------- a plain year N
# Year N (2026) of most tests: the sampled local services decided on 1 April 2026; the central visit on
# Tuesday 12 May 2026 (plan sent 20 April, report received 21 May); the corrective-actions window's last
# day is 31 May (21 May + 10 days), so the decision is taken on Monday 1 June 2026.
LOCALS_DECIDED = date(2026, 4, 1)
VISIT = date(2026, 5, 12)
DECIDED = date(2026, 6, 1)
# Follow-up N+1: preparation 1 March 2027 (DECIDED + 9 months), window 1 April – 1 August 2027 (12 ± 2 months).
PREP1, OPENS1, TARGET1, CLOSES1 = date(2027, 3, 1), date(2027, 4, 1), date(2027, 6, 1), date(2027, 8, 1)
LOCALS_DECIDED1, VISIT1, DECIDED1 = date(2027, 4, 15), date(2027, 5, 11), date(2027, 5, 31)
# Follow-up N+2: preparation 1 March 2028 (21 months), window 1 April – 1 August 2028 (24 ± 2 months).
PREP2, OPENS2, TARGET2, CLOSES2 = date(2028, 3, 1), date(2028, 4, 1), date(2028, 6, 1), date(2028, 8, 1)
LOCALS_DECIDED2, VISIT2, DECIDED2 = date(2028, 4, 14), date(2028, 5, 16), date(2028, 6, 5)
EXPIRY = date(2029, 6, 1)


def year_n(rules, calendar, n: int = 16, tiers: list[str | None] | None = None, points: list[bool] | None = None,
           decide: bool = True, **kw: Any) -> CentralDriver:
    """Year N up to the central decision (taken as the rules propose when ``decide``) on DECIDED."""
    d = CentralDriver(rules, calendar, n=n, **kw)
    d.pass_to(LOCALS_DECIDED)
    d.decide_sample(tiers if tiers is not None else ["argent", "argent", "or", None][: len(d.sample(0))], LOCALS_DECIDED)
    d.self_assessments(2026)
    decided = d.audit_to_decision(VISIT, points if points is not None else yes_no(15, 5))
    assert decided == DECIDED
    if decide:
        d.decide(decided, d.state.current_audit.proposal_tier)
    return d


def followup_year(d: CentralDriver, year: int, tiers: list[str | None], points: list[bool] | None = None,
                  decide: bool = True) -> date:
    """Follow-up N+``year``: the draw at its preparation, local decisions, reports, the central follow-up audit."""
    prep, locals_decided, visit = {1: (PREP1, LOCALS_DECIDED1, VISIT1), 2: (PREP2, LOCALS_DECIDED2, VISIT2)}[year]
    d.pass_to(prep)
    d.pass_to(locals_decided)
    d.decide_sample(tiers, locals_decided, year)
    d.self_assessments(2026 + year)
    d.surveys(2026 + year)
    decided = d.audit_to_decision(visit, points if points is not None else yes_no(15, 5))
    if decide:
        d.decide(decided, d.state.current_audit.proposal_tier)
    return decided
