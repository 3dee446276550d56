"""The DITP's what-if analyses, as the CLI (``spplus simulate``, ``spplus whatif``) and the pages run them.

* :func:`simulate` — a scenario run under one or two editions
  (:func:`spplus.analysis.simulation.run_scenario`) and, with two, what differs
  (:func:`spplus.analysis.simulation.differences`);
* :func:`simulate_apart` — the same in a child process of its own, bounded in time: a long-running server (the
  API and its pages) neither shares its standard output with the simulation's dev server nor waits forever
  (``python -m spplus.analysis.scenarios`` is that child);
* :func:`recorded_decisions` — the decisions the running engine's cycles recorded, for
  :func:`spplus.analysis.whatif.reevaluate`;
* :func:`read_scenario`, :func:`read_records` — the inputs, bounded, read from text.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from temporalio.client import Client

from ..lifecycle.decisions import RecordedDecision
from .simulation import (
    Difference,
    Scenario,
    ScenarioRefused,
    SimulationResult,
    _one_line,
)

# Bounds of what one request of the pages may ask (the CLI, run by its user on their machine, has none).
MAX_SCENARIO_BYTES = 64_000  # a scenario's YAML or JSON text
MAX_SCENARIO_STEPS = 500  # as many as a cycle records events
MAX_SCENARIO_DAYS = 4_000  # until_day: a cycle and its renewal, about eleven years
MAX_RECORDS_BYTES = 1_500_000  # a file of recorded decisions (the pages read at most 2 MB a request)
MAX_NODES = 500_000  # YAML nodes in one text (JSON is read by the API's own exact reader)
MAX_RECORDS = 20_000  # recorded decisions re-evaluated at once (a few seconds of pure computation)
MAX_ENGINE_CYCLES = 5_000  # cycles whose decisions are read from the engine for one what-if
SIMULATION_TIMEOUT = 300.0  # seconds a child simulation is given, its dev server's start included

_RECORDS = TypeAdapter(list[RecordedDecision])
_DAY = re.compile(r"D\+([0-9]+)")


class Simulation(BaseModel):
    """A scenario's runs, one per edition, and (with two) what differs between them."""

    results: list[SimulationResult]
    differences: list[Difference]


class AnalysisRefused(Exception):
    """An input the analyses cannot take (too large, unreadable, out of bounds); the message says why."""


# ------------------------------------------------------------------ scenarios
async def simulate(scenario: Scenario, editions: list[str | Path | None], start: date | None = None) -> Simulation:
    """Run ``scenario`` under each edition (an id, a rules folder, or None: the one in force) with D+0 on ``start``.

    Raises :class:`~spplus.analysis.simulation.ScenarioRefused` when the scenario cannot run at all.
    """
    from .simulation import differences, run_scenario

    results = await run_scenario(scenario, editions, start=start)
    return Simulation(results=results, differences=differences(results[0], results[1]) if len(results) == 2 else [])


def day_date(value: str | None, started: date) -> date | None:
    """The date of a ``D+n`` a difference speaks of (``D+120`` → D+0 plus 120 days); None for anything else."""
    match = _DAY.fullmatch(value or "")
    return started + timedelta(days=int(match[1])) if match else None


def _data(text: str, limit: int, what: str) -> Any:
    """The data of a YAML or JSON text (JSON numbers exact, a key written twice refused), at most ``limit`` bytes."""
    from ..exact_json import read_json
    from ..rules.yamlsource import RuleFileError, read_yaml

    if len(text.encode("utf-8", "surrogatepass")) > limit:
        raise AnalysisRefused(f"{what} is over {limit:,} bytes")
    try:
        if text.lstrip().startswith(("[", "{")):
            return read_json(text.encode("utf-8", "surrogatepass"))
        return read_yaml(text, what, max_nodes=MAX_NODES).data
    except json.JSONDecodeError as exc:
        raise AnalysisRefused(f"line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RuleFileError as exc:
        raise AnalysisRefused(f"line {exc.line}, column {exc.column}: {exc.message}") from None


def read_scenario(text: str) -> Scenario:
    """A scenario from its YAML (or JSON) text, within the pages' bounds; :class:`AnalysisRefused` says why not."""
    data = _data(text, MAX_SCENARIO_BYTES, "the scenario")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise AnalysisRefused(_one_line(exc)) from None
    if len(scenario.steps) > MAX_SCENARIO_STEPS:
        raise AnalysisRefused(f"steps: {len(scenario.steps)} steps; a scenario has at most {MAX_SCENARIO_STEPS}")
    last = max([scenario.until_day, *(step.day for step in scenario.steps)])
    if last > MAX_SCENARIO_DAYS:
        raise AnalysisRefused(f"until_day: day {last}; a scenario runs at most {MAX_SCENARIO_DAYS} days")
    return scenario


async def simulate_apart(scenario_text: str, editions: list[Path], start: date | None = None,
                         timeout: float = SIMULATION_TIMEOUT) -> Simulation:
    """:func:`simulate` of a scenario's text (:func:`read_scenario`) in a child process (``python -m
    spplus.analysis.scenarios``), killed with its dev server after ``timeout`` seconds. Raises
    :class:`AnalysisRefused` for a scenario out of bounds or a child that does not answer in time, and
    :class:`~spplus.analysis.simulation.ScenarioRefused` as :func:`simulate` does."""
    read_scenario(scenario_text)  # refused here, before a process is started
    request = {"scenario": scenario_text, "editions": [str(folder) for folder in editions],
               "start": start.isoformat() if start else None}
    with tempfile.TemporaryDirectory(prefix="spplus-analysis-") as tmp:
        answer = Path(tmp) / "answer.json"
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "spplus.analysis.scenarios", str(answer), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, start_new_session=True)
        try:
            _, errors = await asyncio.wait_for(child.communicate(json.dumps(request).encode()), timeout)
        except TimeoutError:
            _end(child.pid)
            await child.wait()
            raise AnalysisRefused(f"the simulation took more than {timeout:.0f} seconds and was stopped") from None
        except asyncio.CancelledError:  # the request went away: so does its simulation
            _end(child.pid)
            raise
        _end(child.pid)  # the dev server, should the child have left it behind
        if not answer.is_file():
            raise AnalysisRefused("the simulation failed: " + errors.decode("utf-8", "replace").strip()[-600:])
        outcome = json.loads(answer.read_text(encoding="utf-8"))
    if "refused" in outcome:
        raise ScenarioRefused(outcome["refused"])
    return Simulation.model_validate(outcome["simulation"])


def _end(group: int) -> None:
    """Stop the child's process group (the child and the dev server it started), if any is left."""
    try:
        os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _child(answer: Path) -> None:
    """The child of :func:`simulate_apart`: the request on standard input, the answer written to ``answer``."""
    request = json.loads(sys.stdin.read())
    scenario = read_scenario(request["scenario"])
    start = date.fromisoformat(request["start"]) if request["start"] else None
    try:
        outcome: dict[str, Any] = {"simulation": asyncio.run(simulate(scenario, [Path(e) for e in request["editions"]], start))
                                   .model_dump(mode="json")}
    except ScenarioRefused as exc:
        outcome = {"refused": str(exc)}
    answer.write_text(json.dumps(outcome, ensure_ascii=False), encoding="utf-8")


# ------------------------------------------------------------------ recorded decisions
def read_records(text: str) -> list[RecordedDecision]:
    """Recorded decisions from a JSON (or YAML) list (``examples/whatif-records.json``), within the pages' bounds.

    Synchronous (a few seconds at the bounds): call it with ``asyncio.to_thread``."""
    data = _data(text, MAX_RECORDS_BYTES, "the decisions")
    if not isinstance(data, list):
        raise AnalysisRefused(f"recorded decisions are a list, not a {type(data).__name__}")
    if len(data) > MAX_RECORDS:
        raise AnalysisRefused(f"{len(data):,} decisions; at most {MAX_RECORDS:,} are re-evaluated at once")
    try:
        return _RECORDS.validate_python(data)
    except ValidationError as exc:
        raise AnalysisRefused(_one_line(exc)) from None


async def recorded_decisions(client: Client, limit: int | None = None) -> tuple[list[RecordedDecision], bool]:
    """The decisions every running cycle recorded (each cycle's ``decisions`` query), and whether ``limit``
    cycles were read before the list ended (then the decisions are those of the first ``limit`` cycles)."""
    from workflows.cycle import LabelCycleWorkflow

    from ..client import list_cycles, list_query

    listed = await list_cycles(client, list_query(), limit=None if limit is None else limit + 1)
    more = limit is not None and len(listed) > limit
    out: list[RecordedDecision] = []
    for item in listed[:limit]:
        if item.workflow_id.startswith("cycle-"):
            out += await client.get_workflow_handle(item.workflow_id).query(LabelCycleWorkflow.decisions)
    return out, more


if __name__ == "__main__":  # the child of simulate_apart
    _child(Path(sys.argv[1]))
