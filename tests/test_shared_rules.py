"""Cycles decoded from their histories hold one copy of an edition, never a rule set other than theirs."""

from __future__ import annotations

from datetime import date

from spplus.lifecycle import CycleState, open_cycle
from spplus.rules.models import RuleSet

from .lifecycle.driver import candidate


def decoded(state: CycleState) -> CycleState:
    """The state as a continue-as-new input or a replay decodes it: a fresh copy of every value."""
    return CycleState.model_validate_json(state.model_dump_json())


def test_equal_editions_decode_to_one_copy(rules: RuleSet, calendar_for) -> None:
    state = open_cycle(candidate(), rules, calendar_for(), date(2026, 1, 5))
    first, second = decoded(state), decoded(state)
    assert first.rules is second.rules
    assert first.rules == rules


def test_an_edition_that_differs_is_not_replaced_by_the_held_one(rules: RuleSet, calendar_for) -> None:
    held = decoded(open_cycle(candidate(), rules, calendar_for(), date(2026, 1, 5))).rules
    # Same edition name and content hash, other content: as a history written by older code could hold.
    title = held.edition.model_copy(update={"title": "another text"})
    other = rules.model_copy(update={"edition": title})
    state = decoded(open_cycle(candidate(), other, calendar_for(), date(2026, 1, 5)))
    assert state.rules.edition.title == "another text"
    assert state.rules is not held
