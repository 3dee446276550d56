"""Talking to the engine through Temporal: start a candidacy, send events, read cycles, list them.

Used by the command line (and the HTTP API later); not part of the pure core.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import uuid
from datetime import date, datetime, time, timedelta, timezone
from collections.abc import AsyncIterator
from typing import Any

from pydantic import BaseModel, TypeAdapter
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError

from . import search_attributes as sa
from .search_attributes import initial_memo, initial_search_attributes
from .ids import central_workflow_id, cycle_id
from .lifecycle import Candidate, Envelope
from .lifecycle.events import CycleEvent, SurveyResults, SurveySummary
from .lifecycle.state import TimelineEntry
from .lifecycle.views import CycleView
from .settings import Settings

_EVENT = TypeAdapter(CycleEvent)


class EngineError(Exception):
    """A request the engine refused, with the field at fault when there is one."""

    def __init__(self, message: str, field: str | None = None, kind: str = "refused", owner: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field, self.kind = message, field, kind
        self.owner = owner  # the certification body of the cycle concerned, when the message speaks of one


async def connect(settings: Settings | None = None) -> Client:
    settings = settings or Settings.from_env()
    return await Client.connect(settings.client_address, namespace=settings.namespace, data_converter=pydantic_data_converter,
                                **settings.connect_options())  # type: ignore[arg-type]


async def start_candidacy(client: Client, candidate: Candidate, task_queue: str, edition: str | None = None,
                          actor: str = "certification-body") -> WorkflowHandle[Any, Any]:
    """Start a candidate's cycle. Refused while a previous cycle of the candidate is still running,
    which includes a refused one until its new-application date (§3.8.1)."""
    from workflows.cycle import LabelCycleWorkflow

    from .lifecycle.messages import CycleStart

    rules = _refuse_unfit_candidacy(candidate, edition)
    if candidate.authority is not None:
        from .perimeter import perimeter_problems

        problems = perimeter_problems(rules, candidate.authority, {s.id: s.domains for s in candidate.sites}, date.today())
        if problems:
            raise EngineError("the declared perimeter is refused: " + "; ".join(problems), "authority", "invalid")
    try:
        return await client.start_workflow(
            LabelCycleWorkflow.run, CycleStart(candidate=candidate, edition=edition, actor=actor),
            id=cycle_id(candidate.id), task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            search_attributes=initial_search_attributes(candidate), memo=initial_memo(candidate),
            # With a worker in this process (`worker.py --api`), its first task (pinning the rules)
            # is handed over at once: events sent next wait for it instead of finding the cycle opening.
            request_eager_start=True,
        )
    except WorkflowAlreadyStartedError:
        owner = await cycle_owner(client, candidate.id)
        view = await get_state(client, candidate.id)
        if view is not None and view.new_application_from is not None:
            raise EngineError(f"{candidate.id} was refused; a new application is accepted from "
                              f"{view.new_application_from.isoformat()} (§3.8.1)", "contract_signed", "too_early", owner) from None
        raise EngineError(f"{candidate.id} already has a cycle under way ({view.phase.value if view else 'opening'})",
                          "id", "conflict", owner) from None


async def cycle_owner(client: Client, candidate_id: str, workflow_id: str | None = None) -> str | None:
    """The certification body of a running or closed cycle, from its search attributes (set at its start,
    so known while it opens); None when there is no such cycle."""
    try:
        described = await client.get_workflow_handle(workflow_id or cycle_id(candidate_id)).describe()
    except RPCError:
        return None
    return described.typed_search_attributes.get(sa.CERTIFICATION_BODY)


def paris_today() -> date:
    """The date in metropolitan France: the DITP's day (the register of bodies, transfers) and the day the
    pages count "due this week" from, as metropolitan cycles count theirs (rules/calendars.yaml time_zones)."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Europe/Paris")).date()


def latest_today() -> date:
    """The date it is somewhere on Earth right now (UTC+14): a fact dated today in Nouméa or Papeete is not
    "in the future" here; each cycle then judges its events on its own territory's date."""
    from datetime import timedelta

    return (datetime.now(timezone.utc) + timedelta(hours=14)).date()


def territory_today(rules: Any, territory: str) -> date:
    """The date it is now in ``territory`` (its time zone in ``rules``): a contract signed « today » in Paris at
    16:00 is not yet signed tomorrow, though it is already tomorrow in Nouméa. A territory the rules do not know
    (refused on its own) or rules without time zones: :func:`latest_today`."""
    try:
        zone = rules.time_zone(territory, latest_today())
    except KeyError:
        zone = None
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(zone)).date() if zone else latest_today()


def _refuse_unfit_candidacy(candidacy: Any, edition: str | None) -> Any:
    """The rules a candidacy would open on, once it is known to open: raises :class:`EngineError` (422) for an
    unknown edition or territory, a contract dated in the future or before the rules, an oversized candidacy."""
    from .lifecycle.boundary import candidacy_problems

    rules = _rules_in_force(edition)
    problems = candidacy_problems(candidacy, rules, territory_today(rules, candidacy.territory))
    if problems:
        field = problems[0].split(":", 1)[0] if ":" in problems[0].split(" ", 1)[0] else None
        raise EngineError("; ".join(problems), field, "invalid")
    return rules


async def import_candidacy(client: Client, plan: Any, raw: bytes, task_queue: str, actor: str = "import",
                           until: date | None = None) -> WorkflowHandle[Any, Any]:
    """Start the cycle of a candidacy already under way (issue 12): its facts replayed by the pure core, each on
    its own day, up to the territory's today; the workflow then goes on from that state.

    ``plan`` is a :class:`~spplus.lifecycle.importing.CycleImport`, ``raw`` the file as received (its SHA-256
    goes on the timeline). Raises :class:`EngineError`: ``invalid`` with ``field`` ``facts.<n>.…`` for a fact the
    rules refuse, ``conflict`` when the candidate already has a cycle.
    """
    from workflows.cycle import LabelCycleWorkflow

    from .holiday_source import working_calendar
    from .lifecycle.importing import ImportRefused, digest_of, replay_import
    from .lifecycle.messages import CycleStart

    candidate = plan.candidate
    rules = _refuse_unfit_candidacy(candidate, None)
    now = datetime.now(timezone.utc)
    opened = plan.opened_on or candidate.contract_signed
    calendar = working_calendar(rules, candidate.territory, min(opened, now.date()).year - 1, now.year + 5, now.date())
    today = until or calendar.local_date(now)
    try:
        state = replay_import(plan, rules, calendar, today, digest_of(raw), actor=actor)
    except ImportRefused as exc:
        where = f"facts.{exc.index}" if exc.index is not None else None
        field = ".".join(p for p in (where, exc.field) if p) or None
        raise EngineError(f"{where + ': ' if where else ''}{exc.message}", field, "invalid") from None
    try:
        return await client.start_workflow(
            LabelCycleWorkflow.run, CycleStart(state=state, actor=actor), id=cycle_id(candidate.id), task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            search_attributes=initial_search_attributes(state.candidate, state.attestation),
            memo=initial_memo(state.candidate, state.attestation),
        )
    except WorkflowAlreadyStartedError:
        owner = await cycle_owner(client, candidate.id)
        raise EngineError(f"{candidate.id} already has a cycle under way", "candidate.id", "conflict", owner) from None


class CatalogueRowResult(BaseModel):
    """What became of one row of a back catalogue: its cycle started (and where it stands today), or why not."""

    line: int
    candidate: str | None
    status: str  # "started" or "refused"
    workflow_id: str | None = None
    label_status: str | None = None  # valid, or expired when its 3 years are over
    tier: str | None = None
    expires: date | None = None
    breaches: int | None = None
    message: str | None = None  # a refusal, written "line N: …"
    field: str | None = None  # the column at fault


class CatalogueImport(BaseModel):
    """A back catalogue's import: each row's outcome, in the file's order (a refused row never stops the others)."""

    sha256: str
    started: int
    refused: int
    rows: list[CatalogueRowResult]


CATALOGUE_STARTS_AT_ONCE = 16  # workflow starts in flight at once (a catalogue of 2,000 rows starts in seconds)


async def import_catalogue(client: Client, raw: bytes, task_queue: str, body: str | None, actor: str = "import",
                           until: date | None = None) -> CatalogueImport:
    """Start one labelled cycle per row of a back catalogue (CSV: name, sites, tier, decided_on, certification_body,
    and optional id, territory, agents_in_contact), for the public list (issue 12).

    Each row's cycle is labelled on its decision date by the pure core and the days pass to the territory's today
    (a label whose 3 years are over has expired; a follow-up window that closed without an audit shows its breach);
    its timeline says it came from the catalogue, with the file's SHA-256 and the row's line. ``body``: the only
    certification body the rows may name (the caller's); ``None`` accepts any. An id the engine already holds
    (running or closed cycle) refuses its row, saying only that the id is taken. Raises :class:`EngineError`
    (``invalid``, field ``catalogue``) when the file cannot be read at all.
    """
    from workflows.cycle import LabelCycleWorkflow

    from .holiday_source import working_calendar
    from .lifecycle.boundary import candidacy_problems
    from .lifecycle.importing import (CatalogueRefused, CatalogueRow, ImportRefused, digest_of, labelled_from_catalogue,
                                      read_catalogue)
    from .lifecycle.messages import CycleStart
    from .lifecycle.state import CycleState

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EngineError(f"the catalogue is not UTF-8 text ({exc.reason} at byte {exc.start})", "catalogue", "invalid") from None
    try:
        rows = read_catalogue(text)
    except CatalogueRefused as exc:
        raise EngineError(str(exc), "catalogue", "invalid") from None
    digest = digest_of(raw)
    rules = _rules_in_force(None)
    now = datetime.now(timezone.utc)
    calendars: dict[str, Any] = {}
    from .rules.span import rules_apply_from

    floor = rules_apply_from(rules)  # rows decided before it are refused: no calendar before it is needed
    first_year = min([now.date(), *(max(r.decided_on, floor) for r in rows if r.decided_on is not None)]).year - 1

    def prepared(row: CatalogueRow) -> CatalogueRowResult | CycleState:
        def refused(message: str, field: str | None) -> CatalogueRowResult:
            return CatalogueRowResult(line=row.line, candidate=row.id, status="refused", message=f"line {row.line}: {message}",
                                      field=field)

        if row.problem is not None or row.candidate is None:
            return CatalogueRowResult(line=row.line, candidate=row.id, status="refused", message=row.problem, field=row.field)
        candidate = row.candidate
        if body is not None and candidate.certification_body != body:
            return refused(f"certification_body: {candidate.certification_body} is not this token's body; {body} imports "
                           "its own labels", "certification_body")
        problems = [p for p in candidacy_problems(candidate, rules, latest_today()) if not p.startswith("contract_signed")]
        if problems:
            return refused("; ".join(problems), problems[0].split(":", 1)[0] if ":" in problems[0] else None)
        if candidate.territory not in calendars:  # one per territory, from the year before the oldest decision
            calendars[candidate.territory] = working_calendar(rules, candidate.territory, first_year, now.year + 5, now.date())
        calendar = calendars[candidate.territory]
        try:
            return labelled_from_catalogue(row, rules, calendar, until or calendar.local_date(now), digest, actor=actor)
        except ImportRefused as exc:
            return refused(exc.message, exc.field)

    # The pure core's part, off the event loop (`worker.py --api` shares it with the worker).
    states = await asyncio.to_thread(lambda: [prepared(row) for row in rows])
    gate = asyncio.Semaphore(CATALOGUE_STARTS_AT_ONCE)

    async def start(row: CatalogueRow, state: CycleState) -> CatalogueRowResult:
        candidate = state.candidate
        async with gate:
            try:
                handle = await client.start_workflow(
                    LabelCycleWorkflow.run, CycleStart(state=state, actor=actor), id=cycle_id(candidate.id),
                    task_queue=task_queue, search_attributes=initial_search_attributes(candidate, state.attestation),
                    memo=initial_memo(candidate, state.attestation),
                    # Any cycle the engine holds under this id, running or closed, keeps it: a catalogue sent twice
                    # starts nothing twice.
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                )
            except WorkflowAlreadyStartedError:
                # Whose and in what state is not said: another body's candidacy answers as any taken id.
                return CatalogueRowResult(line=row.line, candidate=candidate.id, status="refused", field="id",
                                          message=f"line {row.line}: the id {candidate.id} is taken; choose another")
        attestation = state.attestation
        return CatalogueRowResult(line=row.line, candidate=candidate.id, status="started", workflow_id=handle.id,
                                  label_status=state.label_status.value, tier=attestation.tier if attestation else None,
                                  expires=attestation.expires if attestation else None, breaches=state.breaches)

    async def outcome(row: CatalogueRow, state: CatalogueRowResult | CycleState) -> CatalogueRowResult:
        return state if isinstance(state, CatalogueRowResult) else await start(row, state)

    results = list(await asyncio.gather(*(outcome(row, state) for row, state in zip(rows, states))))
    started = sum(1 for r in results if r.status == "started")
    return CatalogueImport(sha256=digest, started=started, refused=len(results) - started, rows=results)


def _rules_in_force(edition: str | None) -> Any:
    """The rules in force (or ``edition``), or :class:`EngineError` when they cannot be read."""
    from activities.rules import find_edition

    from .rules.loader import RuleSetInvalid

    try:
        return find_edition(Settings.from_env(), edition)
    except LookupError as exc:
        raise EngineError(f"edition: {exc}", "edition", "invalid") from None
    except RuleSetInvalid as exc:
        raise EngineError(f"the rules in force are refused; fix them first:\n{exc}", None, "invalid") from None


async def send_event(client: Client, candidate_id: str, event: dict[str, Any] | BaseModel, event_id: str | None = None,
                     actor: str = "certification-body") -> Any:
    """Send one event; the same ``event_id`` sent twice is applied once (Temporal update id)."""
    from workflows.cycle import LabelCycleWorkflow

    parsed = _EVENT.validate_python(event.model_dump() if isinstance(event, BaseModel) else event)
    if isinstance(parsed, SurveyResults) and parsed.csv is not None:
        parsed = await _scored_at_the_edge(client, candidate_id, parsed)
    envelope = Envelope(event_id=event_id or str(uuid.uuid4()), actor=actor, event=parsed)
    handle = client.get_workflow_handle(cycle_id(candidate_id))
    return await _execute(handle, LabelCycleWorkflow.record, envelope, candidate_id)


async def _scored_at_the_edge(client: Client, candidate_id: str, event: SurveyResults) -> SurveyResults:
    """A survey's raw CSV export, scored here on the cycle's pinned edition: the cycle receives the scores
    and the file's SHA-256, never the file (it may be megabytes; a workflow's payloads may not). The file
    is kept under ``<data>/surveys/<sha256>.csv``. Raises :class:`EngineError` when the CSV cannot be scored.
    """
    import hashlib

    from activities.rules import find_edition

    from .exact import carried
    from .rules.loader import RuleSetInvalid
    from .surveys import SurveyDataError, SurveyKind, read_survey_csv, score_survey

    assert event.csv is not None
    view = await opened_state(client, candidate_id)
    if view is None:
        raise EngineError("the cycle is opening (loading its rules); send the survey again in a moment", None, "CycleNotReady")
    settings = Settings.from_env()
    try:
        rules = find_edition(settings, view.edition)
    except (LookupError, RuleSetInvalid):
        rules = None
    if rules is None or rules.content_hash != view.content_hash:
        # The edition the cycle pinned is not on this machine as it was: let the cycle score the file
        # itself, which it does only for a file small enough to travel in an event.
        return event
    kind = SurveyKind(event.kind)
    headcount = view.candidate.agents_in_contact if kind == SurveyKind.agent else None
    try:
        result = score_survey(rules, kind, read_survey_csv(event.csv), event.solicited, event.closed_on, headcount)
    except SurveyDataError as exc:
        raise EngineError(f"csv: {exc}", "csv", "invalid") from None
    except LookupError as exc:  # a closing date the rules do not cover
        raise EngineError(f"closed_on: {exc}", "closed_on", "invalid") from None
    if result.note is None:
        return event  # no admissible questionnaire: the cycle records the survey as not valid, with its reasons
    raw = event.csv.encode()
    digest = hashlib.sha256(raw).hexdigest()
    folder = settings.data_dir / "surveys"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest}.csv"
    if not target.exists():
        target.write_bytes(raw)
    # A note is exact as a fraction and carried as 28 digits (1/3 of the points: 33.33…); an event carries at
    # most 24 digits of a /100 score, so it is cut to 20 decimals, which keeps every threshold's comparison.
    notes = {k: carried(v) for k, v in (result.engagement_notes or {}).items()}
    summary = SurveySummary(note=carried(result.note), admissible=result.admissible, respondents=result.respondents,
                            completed=result.completed, engagement_notes=notes or None,
                            overall_note=carried(result.overall_note), csv_sha256=digest)
    return event.model_copy(update={"csv": None, "summary": summary})


# How long an event sent right after a start waits for the cycle to pin its rules (a few
# milliseconds as a rule; longer only when a worker is down or busy), and how often it asks.
OPENING_WAIT = 10.0
OPENING_POLL = (0.005, 0.25)  # first pause, longest pause (seconds), doubling in between


async def _opening_pauses() -> AsyncIterator[None]:
    """Yield once now, then after each pause (doubling up to OPENING_POLL[1]) while OPENING_WAIT lasts:
    the one schedule on which a caller asks again of a cycle that is opening."""
    loop = asyncio.get_running_loop()
    give_up, pause = loop.time() + OPENING_WAIT, OPENING_POLL[0]
    while True:
        yield
        if loop.time() + pause > give_up:
            return
        await asyncio.sleep(pause)
        pause = min(pause * 2, OPENING_POLL[1])


async def _execute(handle: WorkflowHandle[Any, Any], update: Any, envelope: Any, target: str) -> Any:
    """Send an event as a Temporal update whose id is the event's: a retry is answered, never re-applied.

    A cycle refuses events while it opens (its rules are being pinned); such an event is sent
    again a moment later rather than refused to the user, who has nothing to correct.
    """
    refused: EngineError | None = None
    async for _ in _opening_pauses():
        try:
            return await _execute_once(handle, update, envelope, target)
        except EngineError as exc:
            if exc.kind != "CycleNotReady":
                raise
            refused = exc
    assert refused is not None
    raise refused


async def _execute_once(handle: WorkflowHandle[Any, Any], update: Any, envelope: Any, target: str) -> Any:
    try:
        # Each send is an update of its own: the cycle itself recognises a repeated event id, answers
        # it as a duplicate when the event is the same and refuses it when it is another (a Temporal
        # update id reused with other arguments would silently return the first update's result).
        return await handle.execute_update(update, envelope, id=f"{envelope.event_id}/{uuid.uuid4().hex[:12]}")
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        while cause is not None and not isinstance(cause, ApplicationError) and cause.__cause__ is not None:
            cause = cause.__cause__  # an activity's failure: say what the activity said
        if isinstance(cause, ApplicationError):
            details = cause.details[0] if cause.details else {}
            raise EngineError(cause.message, (details or {}).get("field"), cause.type or "refused") from None
        raise EngineError(str(cause or exc)) from None
    except RPCError:
        raise EngineError(f"no running cycle for {target}", "candidate", "not_found") from None


async def opened_state(client: Client, candidate_id: str) -> CycleView | None:
    """The cycle's view, waiting up to OPENING_WAIT while it opens (a new cycle, or a renewal's next run pinning
    its rules after a continue-as-new); None if it is still opening then."""
    view = None
    async for _ in _opening_pauses():
        view = await get_state(client, candidate_id)
        if view is not None:
            break
    return view


async def get_state(client: Client, candidate_id: str) -> CycleView | None:
    from workflows.cycle import LabelCycleWorkflow

    try:
        return await client.get_workflow_handle(cycle_id(candidate_id)).query(LabelCycleWorkflow.state)
    except RPCError:
        raise EngineError(f"no cycle for {candidate_id}", "candidate", "not_found") from None


async def get_timeline(client: Client, candidate_id: str) -> list[TimelineEntry]:
    from workflows.cycle import LabelCycleWorkflow

    try:
        entries = await client.get_workflow_handle(cycle_id(candidate_id)).query(LabelCycleWorkflow.timeline)
    except RPCError:
        raise EngineError(f"no cycle for {candidate_id}", "candidate", "not_found") from None
    return in_date_order(entries)


def in_date_order(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """A timeline as people read it: in the order things happened (``on``), each with the day it was entered
    (``recorded``) beside it; entries of one day keep the order the cycle wrote them (a fact before what it met)."""
    return sorted(entries, key=lambda entry: entry.on)


class CycleListing(BaseModel):
    workflow_id: str
    candidate: str | None
    certification_body: str | None
    phase: str | None
    label_status: str | None
    tier: str | None
    next_deadline: datetime | None
    label_expiry: datetime | None
    rules_edition: str | None
    status: str
    breaches: int | None = None  # None for a cycle that has not published it yet (opened before 0.3.0, not woken since)
    overdue: int | None = None  # deadlines missed and still not done
    # From the cycle's listing memo (search_attributes.LISTING); None for a cycle started before it existed that
    # has not published it yet.
    name: str | None = None
    territory: str | None = None
    sites: list[str] | None = None  # the names of the sites its label names (or its candidacy's)
    valid_from: date | None = None  # the day its label was obtained


SEARCH_MAX_WORDS = 8  # words of a search (each one more condition on the visibility store)
_ID_PREFIX = re.compile(r"[a-z0-9][a-z0-9-]*")


class SearchRefused(ValueError):
    """A search with no word to look for (only punctuation, say)."""


def search_clause(text: str) -> str:
    """A search box's visibility condition: every word of ``text`` among the words of the cycle's name and its
    sites' names (:data:`~spplus.search_attributes.NAMES`, a Text attribute), or, for text written as an id,
    the candidate's id beginning with it (``STARTS_WITH`` on the Keyword ``SpCandidate``).
    Raises :class:`SearchRefused` when ``text`` has no word."""
    terms = sa.words(text)[:SEARCH_MAX_WORDS]
    if not terms:
        raise SearchRefused("no word to search for")
    named = " AND ".join(f"{sa.NAMES.name} = {_quote(word)}" for word in terms)
    prefix = text.strip().lower()
    if _ID_PREFIX.fullmatch(prefix):
        return f"({sa.CANDIDATE.name} STARTS_WITH {_quote(prefix)} OR ({named}))"
    return f"({named})"


HELD = ("valid", "suspended")  # the label statuses of a label that holds (listed publicly, §5.3.1)


def _end_of(day: date) -> str:
    return datetime.combine(day, time.max, tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def list_query(phase: str | None = None, body: str | None = None, status: str | None = None,
               due_before: date | None = None, edition: str | None = None, running_only: bool = True,
               overdue: bool = False, with_breaches: bool = False, *, tier: str | None = None,
               territory: str | None = None, search: str | None = None, expiring_before: date | None = None,
               not_renewing: bool = False, audit_planned: bool = False) -> str:
    """A visibility query from the usual filters ('what is due this week', 'every suspended label', 'what is
    overdue', 'cycles with breaches', a tier, a territory, a search by name or id).

    ``expiring_before``: labels that hold and expire on that day or before; ``not_renewing``: cycles whose renewal
    has not been asked for (phase other than ``renewing``); ``audit_planned``: cycles whose audit dates are set and
    whose audit is not decided — in preparation with a deadline running (the dossier, the audit plan, which only
    audit dates set), or with a follow-up audit under way (phase ``followup``). Raises :class:`SearchRefused` for a
    search with no word.
    """
    clauses = ["WorkflowType IN ('LabelCycle', 'CentralLabelCycle')"]
    if running_only:
        clauses.append("ExecutionStatus = 'Running'")
    for key, value in ((sa.PHASE, phase), (sa.CERTIFICATION_BODY, body), (sa.LABEL_STATUS, status), (sa.RULES_EDITION, edition),
                       (sa.TIER, tier), (sa.TERRITORY, territory)):
        if value:
            clauses.append(f"{key.name} = {_quote(value)}")
    if due_before:
        clauses.append(f"{sa.NEXT_DEADLINE.name} <= '{_end_of(due_before)}'")
    if overdue:
        clauses.append(f"{sa.OVERDUE.name} > 0")
    if with_breaches:
        clauses.append(f"{sa.BREACHES.name} > 0")
    if expiring_before:
        clauses.append(f"{sa.LABEL_STATUS.name} IN ({', '.join(map(_quote, HELD))}) AND {sa.LABEL_EXPIRY.name} <= '{_end_of(expiring_before)}'")
    if not_renewing:
        clauses.append(f"{sa.PHASE.name} != 'renewing'")
    if audit_planned:
        clauses.append(f"(({sa.PHASE.name} = 'preparation' AND {sa.NEXT_DEADLINE.name} IS NOT NULL) OR {sa.PHASE.name} = 'followup')")
    if search:
        clauses.append(search_clause(search))
    return " AND ".join(clauses)


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


async def _listing(execution: Any) -> CycleListing:
    attrs = execution.typed_search_attributes
    try:
        memo = await execution.memo_value(sa.LISTING, None)
    except (ValueError, RuntimeError):  # a memo this engine did not write: the row without it
        memo = None
    memo = memo if isinstance(memo, dict) else {}
    valid_from = memo.get("valid_from")
    return CycleListing(
        workflow_id=execution.id, candidate=attrs.get(sa.CANDIDATE), certification_body=attrs.get(sa.CERTIFICATION_BODY),
        phase=attrs.get(sa.PHASE), label_status=attrs.get(sa.LABEL_STATUS), tier=attrs.get(sa.TIER),
        next_deadline=attrs.get(sa.NEXT_DEADLINE), label_expiry=attrs.get(sa.LABEL_EXPIRY),
        rules_edition=attrs.get(sa.RULES_EDITION), breaches=attrs.get(sa.BREACHES), overdue=attrs.get(sa.OVERDUE),
        status=execution.status.name if execution.status else WorkflowExecutionStatus.RUNNING.name,
        name=memo.get("name"), territory=attrs.get(sa.TERRITORY) or memo.get("territory"),
        sites=[site.get("name") or site.get("id") for site in memo["sites"]] if isinstance(memo.get("sites"), list) else None,
        valid_from=date.fromisoformat(valid_from) if isinstance(valid_from, str) else None,
    )


async def list_cycles(client: Client, query: str, limit: int | None = None) -> list[CycleListing]:
    return [await _listing(execution) async for execution in client.list_workflows(query, limit=limit)]


async def list_cycles_page(client: Client, query: str, page_size: int, page_token: bytes | None) -> tuple[list[CycleListing], bytes | None]:
    """One page of a visibility query, and the token of the next one (None on the last page)."""
    pages = client.list_workflows(query, page_size=page_size, next_page_token=page_token)
    await pages.fetch_next_page(page_size=page_size)
    return [await _listing(e) for e in pages.current_page or []], pages.next_page_token or None


async def count_cycles(client: Client, query: str) -> int:
    """How many cycles a visibility query finds (one count request, no cycle read)."""
    return (await client.count_workflows(query)).count


PUBLIC_LIST_QUERY = (f"WorkflowType IN ('LabelCycle', 'CentralLabelCycle') AND ExecutionStatus = 'Running' AND "
                     f"{sa.LABEL_STATUS.name} IN ('valid', 'suspended')")


def public_list_query(search: str | None = None, territory: str | None = None, tier: str | None = None) -> str:
    """The public list, searched by name (or a site's name, where the commune often is), territory, tier.
    Raises :class:`SearchRefused` for a search with no word."""
    clauses = [PUBLIC_LIST_QUERY]
    for key, value in ((sa.TERRITORY, territory), (sa.TIER, tier)):
        if value:
            clauses.append(f"{key.name} = {_quote(value)}")
    if search:
        clauses.append(search_clause(search))
    return " AND ".join(clauses)


def public_row(item: CycleListing) -> dict[str, Any]:
    """One labelled service as the public list shows it: its name, tier, status (suspended ones flagged, §5.3.1),
    body, territory, the sites its attestation names, and its validity (obtained on, expiry = the first day it no
    longer holds, and the last valid day before it)."""
    expires = item.label_expiry.date() if item.label_expiry else None
    return {
        "candidate": item.candidate, "name": item.name, "tier": item.tier, "status": item.label_status,
        "suspended": item.label_status == "suspended", "certification_body": item.certification_body,
        "territory": item.territory, "sites": item.sites or [],
        "valid_from": item.valid_from.isoformat() if item.valid_from else None,
        "expires": expires.isoformat() if expires else None,
        "last_valid_day": (expires - timedelta(days=1)).isoformat() if expires else None,
    }


async def public_list(client: Client) -> list[dict[str, Any]]:
    """The public list of labelled services (DITP): one row per label that holds, suspended ones flagged."""
    rows = [public_row(item) for item in await list_cycles(client, PUBLIC_LIST_QUERY)]
    return sorted(rows, key=lambda r: r["candidate"] or "")


async def public_list_page(client: Client, query: str, page_size: int, page_token: bytes | None) -> tuple[list[dict[str, Any]], bytes | None]:
    """One page of the public list (:func:`public_list_query`), in the visibility store's order (newest first)."""
    items, next_token = await list_cycles_page(client, query, page_size, page_token)
    return [public_row(item) for item in items], next_token


# The CSV export's columns, as published before issue 13 (tests/temporal_cycles/test_api.py holds them): the JSON export
# and the pages also give each label's name, territory, sites, valid_from and last_valid_day (see public_row).
# The public CSV: the first six columns as they always were (scripts read them by place), then what the page shows.
# `expires` is the first day the label no longer holds; `last_valid_day` the day before it (the page's « au »).
PUBLIC_LIST_COLUMNS = ["candidate", "tier", "status", "suspended", "certification_body", "expires",
                       "name", "territory", "sites", "valid_from", "last_valid_day"]


def safe_cell(value: Any) -> Any:
    """A cell no spreadsheet runs as a formula (OWASP, CSV injection): text that begins with = + - @, a tab
    or a carriage return is written after a single quote. Numbers and booleans are left as they are; a list
    is written as its items separated by `` | `` (as the back catalogue writes sites)."""
    if isinstance(value, list):
        value = " | ".join(str(v) for v in value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def rows_to_csv(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    """Rows as CSV with a header row, always (an empty list is its header alone); every cell made safe. With
    ``columns``, only those (a row's other keys are left out)."""
    fieldnames = columns or (list(rows[0]) if rows else [])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fieldnames, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
    return buffer.getvalue()


# ------------------------------------------------------------------ central services
async def start_central(client: Client, candidate: Any, task_queue: str, edition: str | None = None) -> WorkflowHandle[Any, Any]:
    """Start a central service's cycle with its network (§3.1); its sampled local services start their own."""
    from workflows.central import CentralCycleWorkflow, CentralStart

    _refuse_unfit_candidacy(candidate, edition)
    try:
        return await client.start_workflow(
            CentralCycleWorkflow.run, CentralStart(candidate=candidate, edition=edition),
            id=central_workflow_id(candidate.id), task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE, search_attributes=initial_search_attributes(candidate),
            memo=initial_memo(candidate),
        )
    except WorkflowAlreadyStartedError:
        view = await get_central_state(client, candidate.id)
        if view is not None and view.new_application_from is not None:
            raise EngineError(f"{candidate.id} was refused; a new application is accepted from "
                              f"{view.new_application_from.isoformat()} (§3.8.2)", "contract_signed", "too_early") from None
        raise EngineError(f"{candidate.id} already has a central cycle under way", "id", "conflict") from None


async def send_central_event(client: Client, central_id: str, event: dict[str, Any] | BaseModel,
                             event_id: str | None = None, actor: str = "certification-body") -> Any:
    from spplus.network.events import CentralEnvelope
    from workflows.central import CentralCycleWorkflow

    data = event.model_dump() if isinstance(event, BaseModel) else event
    envelope = CentralEnvelope.model_validate({"event_id": event_id or str(uuid.uuid4()), "actor": actor, "event": data})
    handle = client.get_workflow_handle(central_workflow_id(central_id))
    return await _execute(handle, CentralCycleWorkflow.record, envelope, central_id)


async def get_central_state(client: Client, central_id: str) -> Any:
    from workflows.central import CentralCycleWorkflow

    try:
        return await client.get_workflow_handle(central_workflow_id(central_id)).query(CentralCycleWorkflow.state)
    except RPCError:
        raise EngineError(f"no central cycle for {central_id}", "central", "not_found") from None


async def get_central_timeline(client: Client, central_id: str) -> list[TimelineEntry]:
    from workflows.central import CentralCycleWorkflow

    try:
        return await client.get_workflow_handle(central_workflow_id(central_id)).query(CentralCycleWorkflow.timeline)
    except RPCError:
        raise EngineError(f"no central cycle for {central_id}", "central", "not_found") from None
