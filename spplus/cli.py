"""`spplus`: the command line of the Services Publics + label engine.

Every command prints for people by default and JSON with ``--json``; errors go to stderr with a
non-zero exit status (1: refused input, 2: usage).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import click
import yaml
from pydantic import BaseModel, ValidationError

from .rules.loader import RuleSetInvalid, load_rules
from .rules.models import Dated, RuleSet
from .rules.yamlsource import RuleFileError, read_yaml, read_yaml_file


def _today() -> date:
    return date.today()


class DateParam(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: Any, ctx: Any) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date; write YYYY-MM-DD", param, ctx)


DATE = DateParam()


def emit(data: Any, as_json: bool, human: str | None = None) -> None:
    data = jsonable(data)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(human if human is not None else yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110).rstrip())


def jsonable(data: Any) -> Any:
    """Plain JSON values for output: numbers stay numbers (50, 0.75), dates ISO strings."""
    if isinstance(data, BaseModel):
        return jsonable(data.model_dump(mode="python"))
    if isinstance(data, dict):
        return {str(jsonable(k)): jsonable(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [jsonable(v) for v in data]
    if isinstance(data, (set, frozenset)):
        return sorted(jsonable(v) for v in data)
    if isinstance(data, Decimal):
        return int(data) if data == data.to_integral_value() else float(data)
    if isinstance(data, Enum):
        return data.value
    if isinstance(data, date):
        return data.isoformat()
    return data


def fail(message: str, code: int = 1) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def rules_from(ctx: click.Context) -> RuleSet:
    try:
        return load_rules(ctx.obj["rules_dir"])
    except RuleSetInvalid as exc:
        fail(f"the rules are refused:\n{exc}")
        raise  # unreachable


@click.group()
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path), envvar="SPPLUS_RULES",
              help="Folder of rule files (default: the project's rules/).")
@click.pass_context
def main(ctx: click.Context, rules_dir: Path | None) -> None:
    """The « Services Publics + » label engine."""
    ctx.ensure_object(dict)
    ctx.obj["rules_dir"] = rules_dir


# ------------------------------------------------------------------ rules
@main.group()
def rules() -> None:
    """Check, show and export the rule files."""


@rules.command("check")
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def rules_check(ctx: click.Context, folder: Path | None, as_json: bool) -> None:
    """Check a folder of rule files; print each problem as file:line:column."""
    try:
        rule_set = load_rules(folder or ctx.obj["rules_dir"])
    except RuleSetInvalid as exc:
        if as_json:
            click.echo(json.dumps({"ok": False, "errors": [vars(e) for e in exc.errors]}, ensure_ascii=False, indent=2), err=True)
            sys.exit(1)
        fail(str(exc))
        return
    summary = {"ok": True, "edition": rule_set.edition_id, "content_hash": rule_set.content_hash, "title": rule_set.edition.title}
    emit(summary, as_json, f"ok: edition {rule_set.edition_id} ({rule_set.content_hash})\n{rule_set.edition.title}")


def rules_in_force(rule_set: RuleSet, at: date) -> dict[str, Any]:
    """Every rule's value in force at a date, with its start date and reference."""
    out: dict[str, Any] = {"edition": rule_set.edition_id, "content_hash": rule_set.content_hash, "at": at.isoformat()}
    for file_name in ("engagements", "tiers", "central", "surveys", "deadlines", "calendars", "procedures"):
        section = getattr(rule_set, file_name)
        rules_out: dict[str, Any] = {}
        for name in type(section).model_fields:
            dated: Dated[Any] = getattr(section, name)
            try:
                start, entry = dated.entry_at(at)
            except LookupError as exc:
                rules_out[name] = {"in_force": False, "why": str(exc)}
                continue
            value = entry.value
            rules_out[name] = {
                "value": value,
                "from": start.isoformat(),
                "reference": entry.reference,
                **({"note": entry.note} if entry.note else {}),
            }
        out[file_name] = rules_out
    return jsonable(out)


@rules.command("show")
@click.option("--at", type=DATE, help="Date at which the values are in force (default: today).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def rules_show(ctx: click.Context, at: date | None, as_json: bool) -> None:
    """Show every rule's value in force at a date, with where it comes from."""
    emit(rules_in_force(rules_from(ctx), at or _today()), as_json)


@rules.command("schema")
@click.option("--out", type=click.Path(path_type=Path), default=Path("schema"), show_default=True)
def rules_schema(out: Path) -> None:
    """Write the JSON Schema of each rule file, for editors (yaml-language-server)."""
    from .rules.schema import write_schemas

    for path in write_schemas(out):
        click.echo(str(path))


# ------------------------------------------------------------------ tier
def read_yaml_text(text: str, name: str) -> Any:
    return read_yaml(text, name).data


def read_event(event_file: Any) -> Any:
    """An event from a YAML or JSON file (or standard input)."""
    text = event_file.read()
    try:
        return json.loads(text) if text.lstrip().startswith("{") else read_yaml_text(text, event_file.name)
    except (json.JSONDecodeError, RuleFileError) as exc:
        fail(f"{event_file.name}: {exc}")


def fetch_view(fetch: Any, ident: str) -> Any:
    """A cycle's view from the engine, or a plain refusal while it is still opening."""

    async def go() -> Any:
        return await fetch(await _client(), ident)

    view = _run(go())
    if view is None:
        fail(f"{ident}: the cycle is still opening")
    return view


def send_from_file(event_file: Any, send: Any) -> Any:
    """Run ``send(event)``; a malformed event is refused with its file name."""
    data = read_event(event_file)

    async def go() -> Any:
        return await send(await _client(), data)

    try:
        return _run(go())
    except ValidationError as exc:
        fail(f"{event_file.name}: {exc}")


def _read_data_file(path: Path) -> Any:
    try:
        if path.suffix == ".json":
            return json.loads(path.read_text(encoding="utf-8"))
        return read_yaml_file(path).data
    except (OSError, json.JSONDecodeError) as exc:
        fail(f"{path}: {exc}")
    except RuleFileError as exc:
        fail(str(exc))


class ScoresFile(BaseModel):
    """Input of `spplus tier`: the audit's scores, both survey notes and the visit date."""

    model_config = {"extra": "forbid"}
    date: date
    audit: dict[str, Any]
    agent_survey: Any = None
    user_survey: Any = None


@main.command("tier")
@click.argument("scores", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def tier(ctx: click.Context, scores: Path, as_json: bool) -> None:
    """Propose the tier a local candidate's results give (YAML or JSON scores file)."""
    from .tiers import AuditScores, propose_tier

    rule_set = rules_from(ctx)
    try:
        data = ScoresFile.model_validate(_read_data_file(scores))
        audit = AuditScores.model_validate(data.audit)
        agent = Decimal(str(data.agent_survey)) if data.agent_survey is not None else None
        user = Decimal(str(data.user_survey)) if data.user_survey is not None else None
        proposal = propose_tier(rule_set, audit, agent, user, data.date)
    except ValidationError as exc:
        fail(f"{scores}: {exc}")
        return
    except ValueError as exc:
        fail(f"{scores}: {exc}")
        return
    lines = [f"tier: {proposal.tier_label or 'none (refusal)'}   (edition {proposal.edition}, {proposal.reference})"]
    for result in proposal.criteria:
        mark = "ok " if result.passed else "NO "
        lines.append(f"  {mark} {result.tier:<8} {result.criterion:<22} {result.value} ≥ {result.threshold}")
    emit(proposal, as_json, "\n".join(lines))


# ------------------------------------------------------------------ survey
@main.command("survey")
@click.argument("csv_file", type=click.Path(exists=True, path_type=Path))
@click.option("--kind", type=click.Choice(["user", "agent"]), required=True)
@click.option("--solicited", type=click.IntRange(min=1), required=True, help="People asked to answer.")
@click.option("--headcount", type=click.IntRange(min=1), help="Agents in contact with users (agent survey; default: solicited).")
@click.option("--at", type=DATE, help="Date the campaign closed (default: today).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def survey(ctx: click.Context, csv_file: Path, kind: str, solicited: int, headcount: int | None, at: date | None, as_json: bool) -> None:
    """Score a survey from its CSV export: admissibility, notes, return rate, validity."""
    from .surveys import SurveyDataError, SurveyKind, read_survey_csv, score_survey

    rule_set = rules_from(ctx)
    try:
        result = score_survey(rule_set, SurveyKind(kind), read_survey_csv(csv_file.read_text(encoding="utf-8-sig")),
                              solicited, at or _today(), headcount)
    except SurveyDataError as exc:
        fail(f"{csv_file}: {exc}")
        return
    human = [
        f"{kind} survey: note {_fmt(result.note)}/100, {'valid' if result.valid else 'NOT valid'}",
        f"  {result.admissible} admissible of {result.respondents} ({result.completed} completed); return rate {_fmt(result.return_rate * 100)} %",
    ]
    human += [f"  engagement {n}: {_fmt(v)}" for n, v in result.engagement_notes.items()]
    if result.overall_note is not None:
        human.append(f"  overall satisfaction: {_fmt(result.overall_note)}")
    human += [f"  - {r}" for r in result.reasons]
    emit(result, as_json, "\n".join(human))


def _fmt(value: Any) -> str:
    return "—" if value is None else f"{value:.2f}"


# ------------------------------------------------------------------ deadlines
@main.command("deadlines")
@click.option("--territory", default="metropole", show_default=True)
@click.option("--audit-start", type=DATE)
@click.option("--visit-start", type=DATE)
@click.option("--visit-end", type=DATE)
@click.option("--report-received", type=DATE)
@click.option("--decision", type=DATE)
@click.option("--refusal-notified", type=DATE)
@click.option("--campaign-closed", type=DATE)
@click.option("--followup-decision", type=DATE)
@click.option("--suspension-start", type=DATE)
@click.option("--withdrawal-effective", type=DATE)
@click.option("--initial-audit", type=DATE)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def deadlines(ctx: click.Context, as_json: bool, **facts: Any) -> None:
    """Compute a cycle's dates from the facts known, each with the rule that produced it."""
    from .deadlines import CycleFacts, cycle_deadlines
    from .holiday_source import working_calendar

    rule_set = rules_from(ctx)
    cycle = CycleFacts(**facts)
    known = [d for d in cycle.anchors().values()]
    if not known:
        fail("give at least one date (e.g. --visit-start 2026-05-15)", 2)
    first, last = min(known), max(known)
    try:
        calendar = working_calendar(rule_set, cycle.territory, first.year - 1, last.year + 4, first)
    except KeyError as exc:
        fail(str(exc.args[0]))
        return
    result = cycle_deadlines(rule_set, cycle, calendar)
    human = "\n".join(f"{d.date.isoformat()}  {d.key:<32} {d.explanation}  [{d.rule} from {d.rule_from}, {d.reference}]" for d in result)
    emit(result, as_json, human)


# ------------------------------------------------------------------ cycles (needs a running engine)
def _run(coro: Any) -> Any:
    import asyncio

    from .client import EngineError

    try:
        return asyncio.run(coro)
    except EngineError as exc:
        fail(f"refused: {exc.message}")
    except RuntimeError as exc:
        if "connect" in str(exc).lower():
            fail(f"cannot reach the engine's Temporal server: {exc}. Start it with `make run` or set TEMPORAL_ADDRESS.")
        raise


_TEMPORAL_USED = False


async def _client() -> Any:
    from .client import connect

    global _TEMPORAL_USED
    _TEMPORAL_USED = True
    return await connect()


def entry() -> None:
    """The installed `spplus` command.

    A short-lived process that used a Temporal client can abort while the interpreter tears down
    the client's Rust threads (temporalio/sdk-python#300): once the command has finished and its
    output is flushed, such a process exits without that teardown.
    """
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            click.echo(exc.code, err=True)
    if _TEMPORAL_USED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


@main.group()
def cycle() -> None:
    """Start candidacies, send events, read cycles (needs the engine running: `make run`)."""


@cycle.command("start")
@click.argument("candidate_file", type=click.Path(exists=True, path_type=Path))
@click.option("--edition", help="Rules edition to pin (default: the edition in force).")
@click.option("--json", "as_json", is_flag=True)
def cycle_start(candidate_file: Path, edition: str | None, as_json: bool) -> None:
    """Open a candidacy from a YAML or JSON file (id, name, territory, sites, agents, body, contract date)."""
    from .client import start_candidacy
    from .lifecycle import Candidate
    from .settings import Settings

    try:
        candidate = Candidate.model_validate(_read_data_file(candidate_file))
    except ValidationError as exc:
        fail(f"{candidate_file}: {exc}")
        return

    async def go() -> Any:
        handle = await start_candidacy(await _client(), candidate, Settings.from_env().task_queue, edition)
        return {"workflow_id": handle.id, "run_id": handle.result_run_id, "candidate": candidate.id}

    result = _run(go())
    emit(result, as_json, f"started {result['workflow_id']} (run {result['run_id']})")


@cycle.command("event")
@click.argument("candidate_id")
@click.argument("event_file", type=click.File("r"))
@click.option("--id", "event_id", help="Idempotency id: the same id sent twice is applied once.")
@click.option("--actor", default="certification-body", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def cycle_event(candidate_id: str, event_file: Any, event_id: str | None, actor: str, as_json: bool) -> None:
    """Send one event (YAML or JSON; `-` reads standard input), e.g. {type: visit, scores: {...}}."""
    from .client import send_event

    receipt = send_from_file(event_file, lambda client, data: send_event(client, candidate_id, data, event_id, actor))
    lines = [f"{'already applied' if receipt.duplicate else 'applied'}: {receipt.summary}",
             f"phase {receipt.phase.value}, label {receipt.label_status.value}"]
    lines += [f"  due {d.due.isoformat()}  {d.what}  [{d.rule}, {d.reference}]" for d in receipt.open_deadlines]
    emit(receipt, as_json, "\n".join(lines))


@cycle.command("show")
@click.argument("candidate_id")
@click.option("--json", "as_json", is_flag=True)
def cycle_show(candidate_id: str, as_json: bool) -> None:
    """A cycle's phase, label and open deadlines, each with the rule and edition behind it."""
    from .client import get_state

    view = fetch_view(get_state, candidate_id)
    att = view.attestation
    lines = [f"{view.candidate.name} ({view.candidate.id}) — cycle {view.cycle_number}, edition {view.edition}",
             f"phase: {view.phase.value}   label: {view.label_status.value}"
             + (f" {att.tier_label}, {att.valid_from} to {att.last_valid_day}" if att else ""),
             f"breaches: {view.breaches}", "open deadlines:"]
    lines += [f"  {d.due.isoformat()}  {d.what}  ({d.explanation}; {d.rule}, {d.reference})" for d in view.open_deadlines]
    emit(view, as_json, "\n".join(lines))


@cycle.command("timeline")
@click.argument("candidate_id")
@click.option("--json", "as_json", is_flag=True)
def cycle_timeline(candidate_id: str, as_json: bool) -> None:
    """The cycle's story: every event, deadline set, met or missed, reminder and decision."""
    from .client import get_timeline

    async def go() -> Any:
        return await get_timeline(await _client(), candidate_id)

    entries = _run(go())
    human = "\n".join(f"{e.on.isoformat()}  {e.kind:<20} {e.summary}  [{e.actor}]" for e in entries)
    emit(entries, as_json, human)


@cycle.command("history")
@click.argument("candidate_id")
@click.option("--json", "as_json", is_flag=True)
def cycle_history(candidate_id: str, as_json: bool) -> None:
    """The timeline rebuilt from the Temporal event history itself (closed cycles, every run)."""
    from .client import cycle_id
    from .history import fetch_runs, rebuild_timeline

    async def go() -> Any:
        return rebuild_timeline(await fetch_runs(await _client(), cycle_id(candidate_id)))

    entries = _run(go())
    human = "\n".join(f"{e.on.isoformat()}  {e.kind:<20} {e.summary}  [{e.actor}; rules {e.edition}]" for e in entries)
    emit(entries, as_json, human or f"no history for {candidate_id}")


@cycle.command("list")
@click.option("--phase")
@click.option("--body", help="Certification body.")
@click.option("--status", help="Label status: none, valid, suspended, withdrawn, expired.")
@click.option("--edition", help="Rules edition the cycles run on.")
@click.option("--due-within", type=click.IntRange(min=0), help="Next deadline within N days from today.")
@click.option("--all", "include_closed", is_flag=True, help="Include closed cycles.")
@click.option("--json", "as_json", is_flag=True)
def cycle_list(phase: str | None, body: str | None, status: str | None, edition: str | None,
               due_within: int | None, include_closed: bool, as_json: bool) -> None:
    """List cycles by phase, body, label status, rules edition or due date (one visibility query)."""
    from datetime import timedelta

    from .client import list_cycles, list_query

    due_before = _today() + timedelta(days=due_within) if due_within is not None else None
    query = list_query(phase, body, status, due_before, edition, running_only=not include_closed)

    async def go() -> Any:
        return await list_cycles(await _client(), query)

    items = _run(go())
    human = "\n".join(
        f"{i.candidate or i.workflow_id:<28} {i.phase or '—':<12} {i.label_status or '—':<10} {i.tier or '—':<7} "
        f"next {i.next_deadline.date().isoformat() if i.next_deadline else '—':<10} {i.certification_body or ''} [{i.rules_edition or ''}]"
        for i in items
    ) or "no cycle matches"
    emit(items, as_json, human)


@main.group()
def central() -> None:
    """Central public services labelled through their network (needs the engine running)."""


def read_network_csv(path: Path) -> list[dict[str, Any]]:
    """Local services from a CSV: id, name, and optionally territory, agents_in_contact."""
    import csv

    text = path.read_text(encoding="utf-8-sig")
    delimiter = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    services = []
    for line, row in enumerate(csv.DictReader(text.splitlines(), delimiter=delimiter), start=2):
        if not row.get("id") or not row.get("name"):
            fail(f"{path}:{line}: each local service has an id and a name")
        service: dict[str, Any] = {"id": row["id"].strip(), "name": row["name"].strip()}
        if row.get("territory"):
            service["territory"] = row["territory"].strip()
        if row.get("agents_in_contact"):
            service["agents_in_contact"] = int(row["agents_in_contact"])
        services.append(service)
    return services


@central.command("start")
@click.argument("candidate_file", type=click.Path(exists=True, path_type=Path))
@click.option("--network", "network_csv", type=click.Path(exists=True, path_type=Path),
              help="CSV of the local services (id,name[,territory,agents_in_contact]).")
@click.option("--json", "as_json", is_flag=True)
def central_start(candidate_file: Path, network_csv: Path | None, as_json: bool) -> None:
    """Open a central candidacy: ⌈√n⌉ local services are drawn and their own cycles started."""
    from .client import start_central
    from .network.events import CentralCandidate
    from .settings import Settings

    data = dict(_read_data_file(candidate_file) or {})
    if network_csv is not None:
        data["local_services"] = read_network_csv(network_csv)
    try:
        candidate = CentralCandidate.model_validate(data)
    except ValidationError as exc:
        fail(f"{candidate_file}: {exc}")
        return

    async def go() -> Any:
        handle = await start_central(await _client(), candidate, Settings.from_env().task_queue)
        return {"workflow_id": handle.id, "local_services": len(candidate.local_services)}

    result = _run(go())
    emit(result, as_json, f"started {result['workflow_id']} with {result['local_services']} local services")


@central.command("event")
@click.argument("central_id")
@click.argument("event_file", type=click.File("r"))
@click.option("--id", "event_id", help="Idempotency id.")
@click.option("--json", "as_json", is_flag=True)
def central_event(central_id: str, event_file: Any, event_id: str | None, as_json: bool) -> None:
    """Send one event to a central cycle (network_reports, sample_extended, central_audit_dates, …)."""
    from .client import send_central_event

    receipt = send_from_file(event_file, lambda client, data: send_central_event(client, central_id, data, event_id))
    emit(receipt, as_json, f"{'already applied' if receipt.duplicate else 'applied'}: {receipt.summary}\nphase {receipt.phase.value}")


@central.command("show")
@click.argument("central_id")
@click.option("--json", "as_json", is_flag=True)
def central_show(central_id: str, as_json: bool) -> None:
    """The central cycle: phase, each year's sample and why (size rule, seed), open deadlines."""
    from .client import get_central_state

    view = fetch_view(get_central_state, central_id)
    lines = [f"{view.name} ({view.central}) — {view.network_size} local services, edition {view.edition}",
             f"phase: {view.phase.value}   label: {view.label_status.value}"
             + (f" {view.attestation['tier_label']} to {view.attestation['last_valid_day']}" if view.attestation else "")]
    for draw in view.samples:
        lines.append(f"sample {draw['year']}: {draw['size']} of {draw['population_size']} drawn with seed {draw['seed']} "
                     f"(random.Random(seed).sample(sorted(not yet audited), {draw['size']})): {', '.join(draw['drawn'])}")
    lines += [f"  due {d['due']}  {d['what']}  [{d['rule']}, {d['reference']}]" for d in view.open_deadlines]
    emit(view, as_json, "\n".join(lines))


@central.command("table")
@click.argument("central_id")
@click.option("--json", "as_json", is_flag=True)
def central_table(central_id: str, as_json: bool) -> None:
    """The network's label table: every audited local service, its year, its result (§3.8.2 annex)."""
    from .client import get_central_state

    view = fetch_view(get_central_state, central_id)
    rows = []
    for draw in view.samples:
        for local in draw["drawn"]:
            tier = view.results.get(local, "pending") if local in view.results else "pending"
            rows.append({"local_service": local, "sampled": draw["year"], "result": tier or "refused"})
    human = "\n".join(f"{r['local_service']:<28} {r['sampled']}  {r['result']}" for r in rows) or "no local service audited yet"
    emit(rows, as_json, human)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Run the HTTP API alone (a replica beside the workers; `make run` starts both in one process)."""
    import uvicorn

    from .api.app import default_app

    uvicorn.run(default_app(), host=host, port=port, log_config=None)


@main.command("simulate")
@click.argument("scenario_file", type=click.Path(exists=True, path_type=Path))
@click.option("--edition", help="Edition to run on (default: the edition in force).")
@click.option("--compare", "other", help="A second edition: print what differs.")
@click.option("--json", "as_json", is_flag=True)
def simulate(scenario_file: Path, edition: str | None, other: str | None, as_json: bool) -> None:
    """Run a scenario (a candidate and its events on days D+n) as a real cycle on an in-process Temporal."""
    import asyncio

    from .simulation import Scenario, differences, run_scenario

    try:
        scenario = Scenario.model_validate(_read_data_file(scenario_file))
    except ValidationError as exc:
        fail(f"{scenario_file}: {exc}")
        return
    editions = [edition] + ([other] if other else [])
    global _TEMPORAL_USED
    _TEMPORAL_USED = True
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


@main.command("whatif")
@click.argument("proposed", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--records", type=click.Path(exists=True, path_type=Path), help="Recorded decisions (JSON list); default: the running engine's.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def whatif(ctx: click.Context, proposed: Path, records: Path | None, as_json: bool) -> None:
    """Which recorded decisions a proposed rules folder would change (pure core; thousands a second)."""
    from .rules.loader import load_rules
    from .whatif import RecordedDecision, reevaluate

    try:
        proposed_rules = load_rules(proposed)
    except RuleSetInvalid as exc:
        fail(f"the proposed rules are refused:\n{exc}")
        return
    if records is not None:
        decided = [RecordedDecision.model_validate(r) for r in json.loads(records.read_text(encoding="utf-8"))]
    else:
        from .client import list_cycles, list_query
        from workflows.cycle import LabelCycleWorkflow

        async def go() -> Any:
            client = await _client()
            out = []
            for item in await list_cycles(client, list_query()):
                if item.workflow_id.startswith("cycle-"):
                    out += await client.get_workflow_handle(item.workflow_id).query(LabelCycleWorkflow.decisions)
            return out

        decided = _run(go())
    changes = reevaluate(decided, rules_from(ctx), proposed_rules)
    human = "\n".join(f"{c.candidate} audit {c.audit}: {c.proposed_now or 'refusal'} → {c.proposed_then or 'refusal'} "
                      f"(decided {c.decided or 'refusal'}; {'; '.join(c.failed)})" for c in changes)
    emit({"decisions": len(decided), "changes": changes}, as_json,
         f"{len(decided)} decisions re-evaluated under {proposed_rules.edition_id}: {len(changes)} would change\n{human}")


@main.group()
def token() -> None:
    """API tokens: create (shown once), list, revoke. Kept hashed in the data folder."""


def _tokens() -> Any:
    from .api.tokens import TokenStore
    from .settings import Settings

    return TokenStore(Settings.from_env().data_dir / "tokens.json")


@token.command("create")
@click.option("--role", type=click.Choice(["body", "ditp", "operator"]), required=True)
@click.option("--body", "body", help="The certification body a body token acts for.")
@click.option("--name", required=True, help="Who holds it (for the logs).")
def token_create(role: str, body: str | None, name: str) -> None:
    from .api.tokens import Role

    if (role == "body") != (body is not None):
        fail("--body names the certification body of a body token, and only of one", 2)
    created, secret = _tokens().create(Role(role), name, body)
    click.echo(f"token {created.id} ({role}{f' for {body}' if body else ''}): {secret}\nshown once: keep it now.")


@token.command("list")
def token_list() -> None:
    for item in _tokens().list():
        state = f"revoked {item.revoked:%Y-%m-%d}" if item.revoked else "active"
        click.echo(f"{item.id}  {item.role.value:<8} {item.body or '':<14} {item.name}  ({state})")


@token.command("revoke")
@click.argument("token_id")
def token_revoke(token_id: str) -> None:
    try:
        _tokens().revoke(token_id)
    except KeyError as exc:
        fail(str(exc.args[0]))
    click.echo(f"token {token_id} revoked")


@main.command("public-list")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
def public_list_cmd(fmt: str) -> None:
    """The public list of labelled services (suspended labels flagged), for the DITP's site."""
    from .client import public_list, rows_to_csv

    async def go() -> Any:
        return await public_list(await _client())

    rows = _run(go())
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2) if fmt == "json" else rows_to_csv(rows), nl=fmt == "json")


if __name__ == "__main__":  # pragma: no cover
    main()
