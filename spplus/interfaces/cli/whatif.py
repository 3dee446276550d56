"""The DITP's analyses: a scenario run as a real cycle under one or two rules editions, and recorded
decisions re-evaluated under proposed rules.

``simulate`` runs its own in-process Temporal; ``whatif`` reads a file of recorded decisions, or, without
one, the running engine's (directly from Temporal: on the engine's machine, an administrator's access).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from ...rules.loader import RuleSetInvalid
from .common import (DATE, check_edition, emit, fail, json_option, jsonable, mark_temporal_used, one_line, read_data_file,
                     rules_from, run, temporal_client)


def _edition_argument(value: str | None, option: str) -> str | Path | None:
    """An edition id of this machine, or a rules folder (a path to a folder holding edition.yaml)."""
    if value is None:
        return None
    folder = Path(value)
    if folder.is_dir() and (folder / "edition.yaml").is_file():
        return folder
    if folder.is_dir():
        fail(f"{value} ({option}) is not a rules folder: it holds no edition.yaml", 2)
    if "/" in value:
        fail(f"{value} ({option}): no such rules folder; give an edition id or a folder holding edition.yaml", 2)
    check_edition(value, option)
    return value


def _write(text: str) -> None:
    """Print the result; a reader that stops early (``| head``) ends the command quietly."""
    try:
        click.echo(text)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # nothing more reaches the closed pipe, not even at exit
        os.close(devnull)


def _steps_text(result: Any) -> list[str]:
    """The steps refused, or accepted when the scenario expects them refused, one line each."""
    return [f"  refused D+{s.day} {s.on.isoformat()} {s.what}: {s.message}{' (as the scenario expects)' if s.expected else ''}"
            if not s.accepted else f"  accepted D+{s.day} {s.on.isoformat()} {s.what}: the scenario expects it refused"
            for s in result.steps if not s.accepted or not s.expected]


@click.command("simulate")
@click.argument("scenario_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--start", type=DATE, help="The date of D+0, past or future (default: the scenario's start:, else today). "
                                         "The same start gives the same result on any day.")
@click.option("--edition", help="Edition to run on: an edition id of this machine or a rules folder (default: the edition in force).")
@click.option("--compare", "other", help="A second edition, an id or a rules folder (e.g. examples/editions/proposal-1): "
                                         "print what differs.")
@json_option
def simulate(scenario_file: Path, start: date | None, edition: str | None, other: str | None, as_json: bool) -> None:
    """Run a scenario (a candidate and its events on days D+n) as a real cycle on an in-process Temporal.

    For the DITP (and anyone weighing a rules edition): no engine, no token; the editions of this machine or
    rules folders. The simulation has its own temporary folder (its notifications never reach the engine's
    outbox); only the result is printed on standard output. Each step the cycle refuses is printed with its
    reason, and the exit status is 1 when a step is refused that the scenario does not expect refused
    (`expect: refused`).

    \b
    A scenario (examples/scenarios/*.yaml), dates as D+n (n days after D+0):
      name: …            start: 2026-01-05 (optional; --start wins)
      candidate: {id: …, name: …, sites: […], agents_in_contact: 40, certification_body: …}
      steps:
        - {day: 70, event: {type: visit, scores: {…}}}
        - {day: 99, event: {type: decision, decided_on: D+99, tier: proposed}}   # as the rules propose
        - {day: 150, new_application: {}, expect: refused}                       # before §3.8.1's date
      until_day: 300
    """
    from ...analysis.scenarios import day_date
    from ...analysis.scenarios import simulate as simulate_scenario
    from ...analysis.simulation import Scenario, ScenarioRefused

    try:
        scenario = Scenario.model_validate(read_data_file(scenario_file))
    except ValidationError as exc:
        fail(f"{scenario_file}: {one_line(exc)}")
        return
    editions = [_edition_argument(edition, "--edition"), *([_edition_argument(other, "--compare")] if other else [])]
    mark_temporal_used()
    try:
        simulation = asyncio.run(simulate_scenario(scenario, editions, start=start))
    except ScenarioRefused as exc:
        fail(f"{scenario_file}: {exc}")
        return
    results = simulation.results
    if other:
        diff = simulation.differences

        def on(value: str | None, result: Any) -> str:
            when = day_date(value, result.started)
            return f"{value} ({when.isoformat()})" if when else (value or "—")

        lines = [f"{scenario.name}: {results[0].edition} vs {results[1].edition}, D+0 on {results[0].started.isoformat()}"]
        lines += [f"  {d.what:<8} {d.key:<36} {on(d.first, results[0]):<24} → {on(d.second, results[1])}" for d in diff]
        lines += [] if diff else ["  no difference"]
        for result in results:
            refused = _steps_text(result)
            if refused:
                lines += [f"steps under {result.edition}:", *refused]
        output: Any = {"results": results, "differences": diff}
    else:
        result = results[0]
        lines = [f"{scenario.name}: edition {result.edition}, D+0 on {result.started.isoformat()}"]
        events = sorted([(e.day, 0, f"D+{e.day:<4} {e.on.isoformat()}  {e.kind:<18} {e.summary}") for e in result.entries]
                        + [(s.day, 1, f"D+{s.day:<4} {s.on.isoformat()}  {'REFUSED':<18} {s.what}: {s.message}"
                                      + (" (as the scenario expects)" if s.expected else "")) if not s.accepted else
                           (s.day, 1, f"D+{s.day:<4} {s.on.isoformat()}  {'ACCEPTED':<18} {s.what}: the scenario expects it refused")
                           for s in result.steps if not s.accepted or not s.expected], key=lambda item: (item[0], item[1]))
        lines += [line for _, _, line in events]
        lines.append(f"label: {result.label_status} {result.final_tier or ''}".rstrip())
        output = result
    _write(json.dumps(jsonable(output), ensure_ascii=False, indent=2) if as_json else "\n".join(lines))
    unexpected = [(r.edition, s) for r in results for s in r.unexpected]
    if unexpected:
        click.echo(f"simulate: {len(unexpected)} step(s) not as the scenario expects: " + ", ".join(
            f"D+{s.day} {s.what} {'refused' if not s.accepted else 'accepted'}" + (f" under {edition}" if other else "")
            for edition, s in unexpected), err=True)
        sys.exit(1)


@click.command("whatif")
@click.argument("proposed", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--records", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Recorded decisions, a JSON (or YAML) list, e.g. examples/whatif-records.json; default: the running "
                   "engine's, read from Temporal directly.")
@json_option
@click.pass_context
def whatif(ctx: click.Context, proposed: Path, records: Path | None, as_json: bool) -> None:
    """Which recorded decisions a proposed rules folder would change (pure core; thousands a second).

    For the DITP. PROPOSED is a rules folder (e.g. examples/editions/proposal-1). Without --records it reads
    every cycle's decisions from the engine's Temporal server (TEMPORAL_ADDRESS): an administrator's access,
    on the engine's machine.

    \b
    A record, one per decided audit (examples/whatif-records.json):
      {"candidate": "mairie-de-rive", "audit": 1, "visit_start": "2026-03-16",
       "scores": {"engagements": {"1": 60, …, "8": 60}, "gold_criteria": null},
       "agent_survey": 55, "user_survey": 72, "tier": "bronze"}
    scores: engagement scores /100 (and gold_criteria), or control_points {"1": [1, 0.75, …], …} (and
    gold_control_points); survey notes /100 or null; tier: what the body decided (null: a refusal). The
    rules in force on visit_start apply, under each edition.
    """
    from ...analysis.whatif import reevaluate
    from ...lifecycle.decisions import RecordedDecision
    from ...rules.loader import load_rules

    try:
        proposed_rules = load_rules(proposed)
    except RuleSetInvalid as exc:
        fail(f"the proposed rules are refused:\n{exc}")
        return
    if records is not None:
        listed = read_data_file(records)
        if not isinstance(listed, list):
            fail(f"{records}: recorded decisions are a JSON list, not a {type(listed).__name__}")
        try:
            decided = [RecordedDecision.model_validate(r) for r in listed]
        except ValidationError as exc:
            fail(f"{records}: {one_line(exc)}")
            return
    else:
        from ...analysis.scenarios import recorded_decisions

        async def go() -> Any:
            return (await recorded_decisions(await temporal_client()))[0]

        decided = run(go())
    changes = reevaluate(decided, rules_from(ctx), proposed_rules)
    human = "\n".join(f"{c.candidate} audit {c.audit}: {c.proposed_now or 'refusal'} → {c.proposed_then or 'refusal'} "
                      f"(decided {c.decided or 'refusal'}; {'; '.join(c.failed)})" for c in changes)
    emit({"decisions": len(decided), "changes": changes}, as_json,
         f"{len(decided)} decisions re-evaluated under {proposed_rules.edition_id}: {len(changes)} would change\n{human}")


COMMANDS = [simulate, whatif]
