"""The DITP's analyses: a scenario run as a real cycle under one or two rules editions, and recorded
decisions re-evaluated under proposed rules.

``simulate`` runs its own in-process Temporal; ``whatif`` reads a file of recorded decisions, or, without
one, the running engine's (directly from Temporal: on the engine's machine, an administrator's access).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from ...rules.loader import RuleSetInvalid
from .common import (check_edition, emit, fail, json_option, mark_temporal_used, one_line, read_data_file, rules_from, run,
                     temporal_client)


@click.command("simulate")
@click.argument("scenario_file", type=click.Path(exists=True, path_type=Path))
@click.option("--edition", help="Edition to run on (default: the edition in force).")
@click.option("--compare", "other", help="A second edition: print what differs.")
@json_option
def simulate(scenario_file: Path, edition: str | None, other: str | None, as_json: bool) -> None:
    """Run a scenario (a candidate and its events on days D+n) as a real cycle on an in-process Temporal.

    For the DITP (and anyone weighing a rules edition): no engine, no token; the editions of this machine.
    """
    from ...simulation import Scenario, differences, run_scenario

    try:
        scenario = Scenario.model_validate(read_data_file(scenario_file))
    except ValidationError as exc:
        fail(f"{scenario_file}: {one_line(exc)}")
        return
    check_edition(edition)
    check_edition(other, "--compare")
    editions = [edition] + ([other] if other else [])
    mark_temporal_used()
    results = asyncio.run(run_scenario(scenario, editions))
    if other:
        diff = differences(results[0], results[1])
        human = f"{scenario.name}: {results[0].edition} vs {results[1].edition}\n" + ("\n".join(
            f"  {d.what:<8} {d.key:<36} {d.first or '—':<12} → {d.second or '—'}" for d in diff) or "  no difference")
        emit({"results": results, "differences": diff}, as_json, human)
        return
    result = results[0]
    human = "\n".join(f"D+{e.day:<4} {e.on.isoformat()}  {e.kind:<18} {e.summary}" for e in result.entries)
    emit(result, as_json, human + f"\nlabel: {result.label_status} {result.final_tier or ''}")


@click.command("whatif")
@click.argument("proposed", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--records", type=click.Path(exists=True, path_type=Path),
              help="Recorded decisions (JSON list); default: the running engine's, read from Temporal directly.")
@json_option
@click.pass_context
def whatif(ctx: click.Context, proposed: Path, records: Path | None, as_json: bool) -> None:
    """Which recorded decisions a proposed rules folder would change (pure core; thousands a second).

    For the DITP. Without --records it reads every cycle's decisions from the engine's Temporal server
    (TEMPORAL_ADDRESS): an administrator's access, on the engine's machine.
    """
    from ...rules.loader import load_rules
    from ...whatif import RecordedDecision, reevaluate

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
        from workflows.cycle import LabelCycleWorkflow

        from ...client import list_cycles, list_query

        async def go() -> Any:
            client = await temporal_client()
            out = []
            for item in await list_cycles(client, list_query()):
                if item.workflow_id.startswith("cycle-"):
                    out += await client.get_workflow_handle(item.workflow_id).query(LabelCycleWorkflow.decisions)
            return out

        decided = run(go())
    changes = reevaluate(decided, rules_from(ctx), proposed_rules)
    human = "\n".join(f"{c.candidate} audit {c.audit}: {c.proposed_now or 'refusal'} → {c.proposed_then or 'refusal'} "
                      f"(decided {c.decided or 'refusal'}; {'; '.join(c.failed)})" for c in changes)
    emit({"decisions": len(decided), "changes": changes}, as_json,
         f"{len(decided)} decisions re-evaluated under {proposed_rules.edition_id}: {len(changes)} would change\n{human}")


COMMANDS = [simulate, whatif]
