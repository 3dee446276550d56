"""Bringing in a candidacy already under way: its dated facts replayed through the same checks.

The label exists since 2023: a body adopting the engine has candidacies mid-cycle (labelled last
year, a follow-up due, suspended). An import file names the candidacy and its facts in the order
they happened; each fact is checked and applied with « today » set to its date, and the days between
facts pass as they would have (reminders, breaches, transitions), so the cycle ends exactly where it
would be had it run from the start. The timeline says it was imported, with the file's SHA-256. A
fact the rules would have refused refuses the whole import, naming the fact at fault.

Pure: no clock, no I/O — the caller gives the rules, the calendar and the day to bring the cycle to.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ..calendar import WorkingCalendar
from ..limits import MAX_EVENTS_PER_CYCLE
from ..rules.models import RuleSet
from .checks import check
from .common import EventRefused, log
from .days import advance
from .events import Candidate, CycleEvent, Envelope, RulesEditionChange
from .apply import apply, open_cycle
from .state import CycleState


class ImportedFact(BaseModel):
    """One fact of the candidacy as it happened, and the day it was (or would have been) recorded."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    on: date | None = Field(default=None, description="The day the fact was recorded; default: the latest date it carries.")
    event: CycleEvent


class CycleImport(BaseModel):
    """An import file (YAML or JSON): the candidacy, and its facts in the order they happened."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    candidate: Candidate
    opened_on: date | None = Field(default=None, description="The day the candidacy opened; default: the contract's date.")
    facts: Annotated[list[ImportedFact], Field(max_length=MAX_EVENTS_PER_CYCLE)]


class ImportRefused(ValueError):
    """A fact the rules refuse: ``index`` is its place in ``facts`` (0-based), ``field`` the field at fault."""

    def __init__(self, index: int | None, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.index, self.message, self.field = index, message, field


def fact_day(fact: ImportedFact) -> date:
    """The day a fact is replayed on: the one it names, else the latest date it carries (a visit: today's
    caller must say, since its scores carry no date)."""
    if fact.on is not None:
        return fact.on
    dates = [v for v in fact.event.model_dump().values() if isinstance(v, date)]
    if not dates:
        raise ImportRefused(None, f"a {fact.event.type} carries no date: give the day it was recorded as `on`")
    return max(dates)


def replay_import(plan: CycleImport, rules: RuleSet, calendar: WorkingCalendar, until: date, digest: str,
                  actor: str = "import") -> CycleState:
    """The cycle as it stands on ``until`` after ``plan``'s facts, each on its own day.

    Raises :class:`ImportRefused` for a fact out of order, dated after ``until``, or refused by the rules.
    """
    opened = plan.opened_on or plan.candidate.contract_signed
    if opened > until:
        raise ImportRefused(None, f"opened_on: {opened.isoformat()} is after today ({until.isoformat()})", "opened_on")
    state = open_cycle(plan.candidate, rules, calendar, opened, actor=actor)
    previous = opened
    for index, fact in enumerate(plan.facts):
        if isinstance(fact.event, RulesEditionChange):
            raise ImportRefused(index, "an import replays facts on one edition; move the cycle once imported", "event")
        try:
            day = fact_day(fact)
        except ImportRefused as exc:
            raise ImportRefused(index, exc.message, "on") from None
        if day < previous:
            raise ImportRefused(index, f"facts are listed in the order they happened: {day.isoformat()} comes before "
                                       f"the previous fact's day {previous.isoformat()}", "on")
        if day > until:
            raise ImportRefused(index, f"{day.isoformat()} is after today ({until.isoformat()}); send it once it has happened", "on")
        advance(state, day)  # the days between facts pass as they would have
        if state.finished:
            raise ImportRefused(index, f"the cycle had ended ({state.phase.value}) before this fact", "event")
        envelope = Envelope(event_id=f"import-{digest[:12]}-{index}", actor=actor, event=fact.event)
        try:
            check(state, envelope, day)
        except EventRefused as exc:
            raise ImportRefused(index, exc.message, exc.field) from None
        apply(state, envelope, day)
        previous = day
    advance(state, until)
    log(state, until, until, "imported", f"imported from a file of {len(plan.facts)} facts (sha256 {digest}); "
        f"each fact was checked and applied on its own day", actor=actor, sha256=digest, facts=len(plan.facts))
    return state


def digest_of(raw: bytes) -> str:
    """The SHA-256 of the import file as received: it is written on the cycle's timeline."""
    return hashlib.sha256(raw).hexdigest()


__all__ = ["CycleImport", "ImportRefused", "ImportedFact", "digest_of", "fact_day", "replay_import"]
