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

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..calendar import WorkingCalendar
from ..limits import MAX_CATALOGUE_ROWS, MAX_EVENTS_PER_CYCLE
from ..rules.models import RuleSet
from ..rules.span import rules_apply_from
from .checks import check
from .common import EventRefused, log
from .days import advance
from .events import Candidate, CycleEvent, Envelope, RulesEditionChange
from .apply import _label, apply, open_cycle
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


# ------------------------------------------------------------------ the back catalogue (labelled services, CSV)
# The public list's back catalogue: services labelled before the engine, one row each, with no audit to replay.
# Each row's cycle is opened on its decision date and labelled as a decision would label it (the attestation
# and its dates: follow-up, renewal invitation, expiry), then the days pass to today (a label whose 3 years are
# over has expired; a follow-up window closed without an audit shows its breach).
CATALOGUE_COLUMNS = ("id", "name", "sites", "tier", "decided_on", "certification_body", "territory", "agents_in_contact")
CATALOGUE_REQUIRED = ("name", "sites", "tier", "decided_on", "certification_body")


class CatalogueRefused(ValueError):
    """A catalogue that cannot be read at all (its header, its size, its encoding): no row is imported."""


@dataclass(frozen=True)
class CatalogueRow:
    """One row of the catalogue: its candidacy, tier and decision date, or why it is refused (``problem``,
    already written ``line N: …``; ``field`` the column at fault)."""

    line: int
    candidate: Candidate | None = None
    tier: str | None = None
    decided_on: date | None = None
    problem: str | None = None
    field: str | None = None
    id: str | None = None


def slug(text: str) -> str:
    """An id from a name: « Mairie du Port-Est » → ``mairie-du-port-est`` (accents dropped, lower case)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def _plain_error(exc: ValidationError) -> tuple[str, str | None]:
    """A candidacy's refusal in the catalogue's words: its first problem, named by column."""
    error = exc.errors(include_url=False, include_input=False)[0]
    loc = [str(p) for p in error.get("loc", ())]
    column = {"contract_signed": "decided_on"}.get(loc[0], loc[0]) if loc else None
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return (f"{column}: {message}" if column else message), column


def read_catalogue(text: str, max_rows: int = MAX_CATALOGUE_ROWS) -> list[CatalogueRow]:
    """The catalogue's rows (CSV with a header row; ``,`` or ``;`` between cells), each a candidacy or a refusal.

    Raises :class:`CatalogueRefused` for a header without a required column or with an unknown one, or more than
    ``max_rows`` rows. A row is refused on its own (``line N: …``, N the file's line where it begins): an empty
    cell where one is required, a date not written YYYY-MM-DD, an id written twice in the file, no
    ``agents_in_contact`` (never guessed: the candidacy needs the real number).
    """
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise CatalogueRefused("the catalogue is empty; its first line names the columns: "
                               + delimiter.join(CATALOGUE_COLUMNS)) from None
    except csv.Error as exc:
        raise CatalogueRefused(f"line 1: not valid CSV ({exc})") from None
    columns = [c.strip().lower() for c in header]
    unknown = [c for c in columns if c not in CATALOGUE_COLUMNS]
    if unknown:
        raise CatalogueRefused(f"line 1: unknown column {unknown[0]!r}; the columns are {', '.join(CATALOGUE_COLUMNS)}")
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:
        raise CatalogueRefused(f"line 1: the column {twice[0]!r} is written twice; keep one")
    missing = [c for c in CATALOGUE_REQUIRED if c not in columns]
    if missing:
        raise CatalogueRefused(f"line 1: no {missing[0]!r} column; the catalogue needs {', '.join(CATALOGUE_REQUIRED)} "
                               f"(and may give id, territory, agents_in_contact)")
    rows: list[CatalogueRow] = []
    seen: dict[str, int] = {}
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise CatalogueRefused(f"line {line}: not valid CSV ({exc})") from None
        here, line = line, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(rows) >= max_rows:
            raise CatalogueRefused(f"the catalogue has more than {max_rows:,} rows; send at most {max_rows:,} per file "
                                   "(split it: each file is imported on its own)")
        row = _catalogue_row(here, columns, cells)
        if row.id is not None and row.problem is None:
            if row.id in seen:
                row = CatalogueRow(here, id=row.id, field="id",
                                   problem=f"line {here}: the id {row.id} is taken (line {seen[row.id]}); give this service its own id")
            else:
                seen[row.id] = here
        rows.append(row)
    return rows


def _catalogue_row(line: int, columns: list[str], cells: list[str]) -> CatalogueRow:
    if len(cells) != len(columns):
        return CatalogueRow(line, problem=f"line {line}: {len(cells)} cells for {len(columns)} columns", field=None)
    values = {c: v.strip() for c, v in zip(columns, cells)}

    def refused(field: str | None, message: str, ident: str | None = None) -> CatalogueRow:
        return CatalogueRow(line, id=ident, field=field, problem=f"line {line}: {message}")

    for column in CATALOGUE_REQUIRED:
        if not values.get(column):
            return refused(column, f"{column}: empty; every row gives {', '.join(CATALOGUE_REQUIRED)}")
    ident = values.get("id") or slug(values["name"])
    if not ident:
        return refused("id", f"id: the name {values['name']!r} gives no id; write one in an id column")
    try:
        decided = date.fromisoformat(values["decided_on"]) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", values["decided_on"]) else None
    except ValueError:
        decided = None
    if decided is None:
        return refused("decided_on", f"decided_on: write the decision date as YYYY-MM-DD, e.g. 2025-10-02 "
                                     f"(got {values['decided_on']!r})", ident)
    if not values.get("agents_in_contact"):
        return refused("agents_in_contact", "agents_in_contact: not given; a labelled service's candidacy needs the number "
                                            "of agents in contact with users (at least 1): add an agents_in_contact column "
                                            "with each service's number (it is never guessed)", ident)
    if not re.fullmatch(r"[0-9]+", values["agents_in_contact"]):
        return refused("agents_in_contact", f"agents_in_contact: a whole number of agents, at least 1 "
                                            f"(got {values['agents_in_contact']!r})", ident)
    names = [n.strip() for n in values["sites"].split("|")]
    if any(not n for n in names):
        return refused("sites", "sites: an empty site name; separate the sites' names with |")
    sites = [{"id": slug(n) or f"site-{i}", "name": n} for i, n in enumerate(names, start=1)]
    data: dict[str, Any] = {
        "id": ident, "name": values["name"], "territory": values.get("territory") or "metropole", "sites": sites,
        "agents_in_contact": int(values["agents_in_contact"]), "certification_body": values["certification_body"],
        "contract_signed": decided,  # the catalogue has no contract date: the decision's stands for it
    }
    try:
        candidate = Candidate.model_validate(data)
    except ValidationError as exc:
        message, field = _plain_error(exc)
        return refused(field, message, ident)
    return CatalogueRow(line, candidate=candidate, tier=values["tier"], decided_on=decided, id=ident)


def labelled_from_catalogue(row: CatalogueRow, rules: RuleSet, calendar: WorkingCalendar, until: date, digest: str,
                            actor: str = "import") -> CycleState:
    """A catalogue row's cycle as it stands on ``until``: opened and labelled on its decision date, then the days
    passed (follow-up reminders and window, renewal invitation, expiry) up to ``until``.

    Raises :class:`ImportRefused` (``index`` None, ``field`` the column) for a decision after ``until`` or before
    the rules apply, or a tier the rules do not know on that day.
    """
    assert row.candidate is not None and row.decided_on is not None and row.tier is not None, row.problem
    decided, tier = row.decided_on, row.tier
    if decided > until:
        raise ImportRefused(None, f"decided_on: {decided.isoformat()} is after today ({until.isoformat()})", "decided_on")
    floor = rules_apply_from(rules)
    if decided < floor:
        raise ImportRefused(None, f"decided_on: {decided.isoformat()} is before {floor.isoformat()}, the day the rules "
                                  f"(edition {rules.edition_id}) apply from: no rule dates a label decided then", "decided_on")
    tiers = [t.id for t in rules.tiers.tiers.at(decided)]
    if tier not in tiers:
        raise ImportRefused(None, f"tier: unknown tier {tier!r}; the tiers are {', '.join(tiers)}", "tier")
    state = open_cycle(row.candidate, rules, calendar, decided, actor=actor)
    mark = len(state.timeline)
    _label(state, tier, decided, until)  # entered today, dated on the decision
    attestation = state.attestation
    assert attestation is not None
    log(state, until, decided, "imported",
        f"label imported from the back catalogue (sha256 {digest}, line {row.line}): {attestation.tier_label} decided on "
        f"{decided.isoformat()} by {row.candidate.certification_body}, valid {attestation.valid_from.isoformat()} to "
        f"{attestation.last_valid_day.isoformat()}", actor=actor, sha256=digest, line=row.line, tier=tier, source="catalogue")
    state.timeline.insert(mark, state.timeline.pop())  # it reads before the dates the label sets
    advance(state, until)  # the days pass: reminders, the follow-up window, the expiry
    return state


__all__ = ["CATALOGUE_COLUMNS", "CatalogueRefused", "CatalogueRow", "CycleImport", "ImportRefused", "ImportedFact",
           "digest_of", "fact_day", "labelled_from_catalogue", "read_catalogue", "replay_import", "slug"]
