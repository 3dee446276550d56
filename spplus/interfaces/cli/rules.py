"""The DITP's and anyone's pure tools: the rule files, a tier, a survey's scores, a cycle's dates.

Everything here runs on the rule files of this machine (``--rules`` or ``SPPLUS_RULES``), with no
engine, no token and no network: the core's own functions, from the command line.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel, ValidationError

from ...rules.loader import RuleSetInvalid, load_rules
from ...rules.models import Dated, RuleSet
from .common import DATE, check_in_force, emit, fail, json_option, jsonable, one_line, read_data_file, rules_from, today


@click.group()
def rules() -> None:
    """Check, show and export the rule files (the DITP's, and anyone's; no engine needed)."""


@rules.command("check")
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@json_option
@click.pass_context
def rules_check(ctx: click.Context, folder: Path | None, as_json: bool) -> None:
    """Check a folder of rule files; print each problem as file:line:column (for the DITP)."""
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
@json_option
@click.pass_context
def rules_show(ctx: click.Context, at: date | None, as_json: bool) -> None:
    """Show every rule's value in force at a date, with where it comes from (for anyone)."""
    emit(rules_in_force(rules_from(ctx), at or today()), as_json)


@rules.command("schema")
@click.option("--out", type=click.Path(path_type=Path), default=Path("schema"), show_default=True, help="Folder the JSON Schemas are written to (one per rule file).")
def rules_schema(out: Path) -> None:
    """Write the JSON Schema of each rule file, for editors (yaml-language-server; for the DITP)."""
    from ...rules.schema import write_schemas

    for path in write_schemas(out):
        click.echo(str(path))


# ------------------------------------------------------------------ tier
class ScoresFile(BaseModel):
    """Input of `spplus tier`: the audit's scores, both survey notes and the visit date."""

    model_config = {"extra": "forbid"}
    date: date
    audit: dict[str, Any]
    agent_survey: Any = None
    user_survey: Any = None


@click.command("tier")
@click.argument("scores", type=click.Path(exists=True, path_type=Path))
@json_option
@click.pass_context
def tier(ctx: click.Context, scores: Path, as_json: bool) -> None:
    """Propose the tier a local candidate's results give (YAML or JSON scores file; for anyone, no engine)."""
    from ...tiers import AuditScores, propose_tier

    rule_set = rules_from(ctx)
    try:
        data = ScoresFile.model_validate(read_data_file(scores))
        check_in_force(rule_set, data.date)
        audit = AuditScores.model_validate(data.audit)
        agent = Decimal(str(data.agent_survey)) if data.agent_survey is not None else None
        user = Decimal(str(data.user_survey)) if data.user_survey is not None else None
        proposal = propose_tier(rule_set, audit, agent, user, data.date)
    except ValidationError as exc:
        fail(f"{scores}: {one_line(exc)}")
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
@click.command("survey")
@click.argument("csv_file", type=click.Path(exists=True, path_type=Path))
@click.option("--kind", type=click.Choice(["user", "agent"]), required=True, help="Which survey: the users' (§3.4.1) or the agents' (§3.4.2).")
@click.option("--solicited", type=click.IntRange(min=1), required=True, help="People asked to answer.")
@click.option("--headcount", type=click.IntRange(min=1), help="Agents in contact with users (agent survey; default: solicited).")
@click.option("--at", type=DATE, help="Date the campaign closed (default: today).")
@json_option
@click.pass_context
def survey(ctx: click.Context, csv_file: Path, kind: str, solicited: int, headcount: int | None, at: date | None, as_json: bool) -> None:
    """Score a survey from its CSV export: admissibility, notes, return rate, validity (for anyone, no engine)."""
    from ...surveys import SurveyDataError, SurveyKind, read_survey_csv, score_survey

    rule_set = rules_from(ctx)
    check_in_force(rule_set, at or today())
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(f"{csv_file}: not UTF-8 text ({exc.reason} at byte {exc.start}); export the survey as UTF-8 CSV")
        return
    try:
        result = score_survey(rule_set, SurveyKind(kind), read_survey_csv(text), solicited, at or today(), headcount)
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
@click.command("deadlines")
@click.option("--territory", default="metropole", show_default=True, help="Territory whose working days count (rules/calendars.yaml).")
@click.option("--audit-start", type=DATE, help="First day of the audit (YYYY-MM-DD): the dossier, the surveys' launch, the age limits (§3.1, §3.4, §3.5.1).")
@click.option("--visit-start", type=DATE, help="First day of the on-site visit: the audit plan and the complements (§3.5.2, §3.7.1).")
@click.option("--visit-end", type=DATE, help="Last day of the visit: the report (§3.7.1).")
@click.option("--report-received", type=DATE, help="Day the candidate received the report: the observations window (§3.7.1).")
@click.option("--decision", type=DATE, help="Day of the labelling decision: validity, follow-up, renewal (§2.3, §3.9, §3.10).")
@click.option("--refusal-notified", type=DATE, help="Day a refusal was notified: the new-application date (§3.8.1).")
@click.option("--campaign-closed", type=DATE, help="Day a survey campaign closed: a new campaign (§3.4).")
@click.option("--followup-decision", type=DATE, help="Day of a follow-up decision below the minimum: the action plan (§3.9.1).")
@click.option("--suspension-start", type=DATE, help="First day of a suspension: its limit (§5.3.1).")
@click.option("--withdrawal-effective", type=DATE, help="Day a withdrawal takes effect: removing the mark, and young local labels (§5.3.2).")
@click.option("--initial-audit", type=DATE, help="Day of a local service's initial audit through its network: its own surveys (§3.9.2).")
@json_option
@click.pass_context
def deadlines(ctx: click.Context, as_json: bool, **facts: Any) -> None:
    """Compute a cycle's dates from the facts known, each with the rule that produced it (for anyone, no engine)."""
    from ...deadlines import CycleFacts, cycle_deadlines
    from ...holiday_source import working_calendar

    rule_set = rules_from(ctx)
    cycle = CycleFacts(**facts)
    known = [d for d in cycle.anchors().values()]
    if not known:
        fail("give at least one date (e.g. --visit-start 2026-05-15)", 2)
    check_in_force(rule_set, *known)
    first, last = min(known), max(known)
    if last.year > date.max.year - 5:  # the calendar spans four years past the last date, and dates end at 9999
        fail(f"{last.isoformat()} is too far ahead: working days are computed up to {date.max.year}, four years past "
             f"the last date given; give dates before {date.max.year - 4}-01-01")
    try:
        calendar = working_calendar(rule_set, cycle.territory, first.year - 1, last.year + 4, first)
    except KeyError as exc:
        fail(str(exc.args[0]))
        return
    result = cycle_deadlines(rule_set, cycle, calendar)
    human = "\n".join(f"{d.date.isoformat()}  {d.key:<32} {d.explanation}  [{d.rule} from {d.rule_from}, {d.reference}]" for d in result)
    emit(result, as_json, human)


COMMANDS = [rules, tier, survey, deadlines]
