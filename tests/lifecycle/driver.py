"""Drive the pure cycle by hand: send events on a date, let days pass. No Temporal here."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from pydantic import TypeAdapter

from spplus.lifecycle import Candidate, CycleState, Envelope, advance, apply, check, next_wakeup, open_cycle
from spplus.lifecycle.events import CycleEvent
from spplus.rules.models import RuleSet

_EVENT = TypeAdapter(CycleEvent)
_ids = itertools.count(1)


def candidate(**overrides: Any) -> Candidate:
    data = dict(
        id="mairie-exemple", name="Mairie d'Exemple", territory="metropole",
        sites=[{"id": "hdv", "name": "Hôtel de ville"}, {"id": "annexe-nord", "name": "Annexe nord"}],
        agents_in_contact=40, certification_body="oc-alpha", contract_signed=date(2026, 1, 5),
    )
    data.update(overrides)
    return Candidate.model_validate(data)


class Driver:
    def __init__(self, rules: RuleSet, calendar, today: date, **candidate_overrides: Any) -> None:
        self.today = today
        self.state: CycleState = open_cycle(candidate(**candidate_overrides), rules, calendar, today)
        self.notes: list = []

    def envelope(self, event: dict[str, Any], event_id: str | None = None) -> Envelope:
        return Envelope(event_id=event_id or f"e{next(_ids)}", event=_EVENT.validate_python(event))

    def send(self, event: dict[str, Any], event_id: str | None = None) -> Envelope:
        env = self.envelope(event, event_id)
        check(self.state, env, self.today)
        self.notes += apply(self.state, env, self.today)
        return env

    def refused(self, event: dict[str, Any]) -> str:
        from spplus.lifecycle import EventRefused

        before = self.state.model_dump()
        try:
            check(self.state, self.envelope(event), self.today)
        except EventRefused as exc:
            assert self.state.model_dump() == before
            return exc.message
        raise AssertionError(f"event was accepted: {event}")

    def pass_to(self, day: date) -> None:
        """Let time pass until ``day``, waking on each date the cycle asks for, as the workflow does."""
        while True:
            wake = next_wakeup(self.state)
            if wake is None or wake > day or self.state.finished:
                break
            self.today = max(self.today, wake)
            self.notes += advance(self.state, self.today)
        self.today = max(self.today, day)
        self.notes += advance(self.state, self.today)

    def deadline(self, key: str):
        return self.state.deadlines[key]


def with_rule(rules: RuleSet, section: str, key: str, value: Any) -> RuleSet:
    """``rules`` with every dated value of ``<section>.<key>`` replaced by ``value``; ``None`` drops the key, as
    in the rules pinned by histories recorded before it existed. Everything else (edition, hash) as it is."""
    data = rules.model_dump()
    if value is None:
        del data[section][key]
    else:
        for entry in data[section][key]["values"].values():
            entry["value"] = value
    changed = RuleSet.model_validate(data)
    assert getattr(getattr(changed, section), key) != getattr(getattr(rules, section), key)
    return changed
