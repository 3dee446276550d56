"""`spplus`: the command line of the Services Publics + label engine.

Every command prints for people by default and JSON with ``--json``; errors go to stderr with a
non-zero exit status (1: refused input, 2: usage).
"""

from __future__ import annotations

import json
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
from .rules.yamlsource import RuleFileError, read_yaml_file


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


if __name__ == "__main__":  # pragma: no cover
    main()
