"""A certification body's commands: its candidacies, their events and their cycles, and the public list.

They go through the engine's HTTP API with the body's token, never to Temporal itself, so the API's
roles hold here too: a body starts, reads and acts on its own candidacies only (another body's cycle is
"not found", like one that does not exist), and the token says who acts. The API's address and the
token come from ``SPPLUS_API_URL`` and ``SPPLUS_TOKEN``, or a profile (see :mod:`.remote`).

``cycle history`` is the exception: an operator's (or administrator's) reading of Temporal's own event
history, on the engine's machine, with access to the Temporal server rather than a token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from pydantic import TypeAdapter, ValidationError

from .common import emit, fail, json_option, one_line, read_bounded, read_data_file, read_event, run, temporal_client
from .remote import Api, Refused, new_key, segment, to_json

API_NOTE = "Through the engine's HTTP API with a body's token (SPPLUS_API_URL, SPPLUS_TOKEN or a profile)."


@click.group()
def cycle() -> None:
    """A certification body's candidacies: start them, send events, read cycles.

    Through the engine's HTTP API with the body's token: SPPLUS_API_URL (default http://127.0.0.1:8000) and
    SPPLUS_TOKEN, or a profile file (~/.config/spplus/profile.toml or SPPLUS_PROFILE: api_url, token;
    mode 0600). `cycle history` is an operator's tool that reads Temporal directly.
    """


def checked(adapter: Any, data: Any, name: str) -> None:
    """Refuse, with the file's name, what the API's own models would refuse (before anything is sent)."""
    try:
        adapter.validate_python(data)
    except ValidationError as exc:
        fail(f"{name}: {one_line(exc)}")


@cycle.command("start")
@click.argument("candidate_file", type=click.Path(exists=True, path_type=Path))
@json_option
def cycle_start(candidate_file: Path, as_json: bool) -> None:
    """Open a candidacy from a YAML or JSON file (id, name, territory, sites, agents, body, contract date).

    For a certification body, for itself (the file's certification_body is the token's body).
    """
    from ...lifecycle import Candidate

    data = read_data_file(candidate_file, sent=True)
    checked(TypeAdapter(Candidate), data, str(candidate_file))
    with Api() as api:
        started = api.post("/cycles", data)
    emit(started, as_json, f"started {started['workflow_id']}")


def _data_path(data: Any, loc: Any) -> tuple[Any, ...]:
    """A field's place in the file's data from a dotted path or a pydantic location: ``facts.3.event.tier`` →
    ("facts", 3, "event", "tier"). A part the data does not hold (a tagged union's event type) is skipped."""
    parts = loc.split(".") if isinstance(loc, str) else list(loc)
    path: list[Any] = []
    here = data
    for part in parts:
        if isinstance(here, list) and (isinstance(part, int) or str(part).isdigit()) and int(part) < len(here):
            here = here[int(part)]
            path.append(int(part))
        elif isinstance(here, dict) and str(part) in here:
            here = here[str(part)]
            path.append(str(part))
        elif isinstance(here, dict) and isinstance(here.get("event"), dict) and str(part) in here["event"]:
            here = here["event"][str(part)]  # the engine names a fact's field (facts.3.tier): it is in its event
            path += ["event", str(part)]
    return tuple(path)


def _import_file(path: Path) -> tuple[Any, Any]:
    """An import file's data (numbers exact, duplicate keys refused) and its YAML document, for positions."""
    from ...rules.yamlsource import RuleFileError, read_yaml

    with path.open("rb") as stream:
        text = read_bounded(stream, str(path), "a request")
    if path.suffix == ".json":
        data = read_data_file(path, sent=True)  # JSON's own messages (line:column) for a broken file
        try:
            return data, read_yaml(text, str(path))  # JSON is YAML: its positions, for the refusals
        except RuleFileError:
            return data, None
    try:
        document = read_yaml(text, str(path))
    except RuleFileError as exc:
        fail(str(exc))  # already file:line:column
        raise  # unreachable
    return document.data, document


def _at_line(document: Any, data: Any, field: Any, message: str, name: str) -> str:
    """``FILE:line:column: message`` at the field's place in the file, or ``FILE: message`` when it has none."""
    if document is None or field is None:
        return f"{name}: {message}"
    return str(document.error(_data_path(data, field), message))


@cycle.command("import")
@click.argument("import_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
def cycle_import(import_file: Path, as_json: bool) -> None:
    """Bring in a candidacy already under way: a YAML or JSON file with `candidate` and its dated `facts`.

    Each fact ({on: YYYY-MM-DD, event: {...}}) is checked and applied on its own day, the days between pass as
    they would have, and the cycle ends where it would be had it run from the start. A fact the rules refuse
    refuses the whole import, at its line in the file (FILE:line:column). The cycle's timeline carries the
    SHA-256 of the request (the file's content as JSON), printed here. For a certification body, for itself.
    """
    import hashlib

    from ...lifecycle.importing import CycleImport

    data, document = _import_file(import_file)
    try:
        TypeAdapter(CycleImport).validate_python(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        fail(_at_line(document, data, error.get("loc", ()), str(error.get("msg", "invalid")).removeprefix("Value error, "),
                      str(import_file)))
    try:
        digest = hashlib.sha256(to_json(data).encode("utf-8")).hexdigest()  # the very bytes Api.post sends
    except ValueError as exc:
        fail(f"{import_file}: {exc}")
    try:
        with Api() as api:
            started = api.post("/cycles:import", data)
    except Refused as exc:
        if exc.status == 422 and exc.field and exc.field.split(".", 1)[0] in ("facts", "candidate", "opened_on"):
            fail(_at_line(document, data, exc.field, exc.message, str(import_file)))
        raise
    emit({**started, "sha256": digest}, as_json, f"imported {started['workflow_id']} (sha256 {digest} on its timeline)")


@cycle.command("import-catalogue")
@click.argument("catalogue_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
def cycle_import_catalogue(catalogue_file: Path, as_json: bool) -> None:
    """Import the back catalogue of labelled services, for the public list: one labelled cycle per CSV row.

    Columns: name, sites (names separated by |), tier (bronze, argent, or), decided_on (YYYY-MM-DD),
    certification_body (the token's body), and optional id (default: from the name), territory (default
    metropole) and agents_in_contact (needed: a row without it is refused). Each cycle stands as it does today:
    a label whose 3 years are over has expired. A refused row (`line N: …`, on standard error) never stops the
    others; the command exits 1 when a row was refused. For a certification body, for itself.
    """
    from ...limits import MAX_CATALOGUE_ROWS

    with catalogue_file.open("rb") as stream:
        text = read_bounded(stream, str(catalogue_file), "a catalogue")
    with Api() as api:
        # The CSV as it is (its SHA-256 goes on each cycle's timeline), not as JSON.
        response = api._send("POST", "/cycles:import-catalogue", retry=False, content=text.encode("utf-8"),
                             headers={"Content-Type": "text/csv; charset=utf-8"})
        answer = api._json(response)
    rows = answer.get("rows", [])
    if as_json:
        emit(answer, True)
    else:
        for row in rows:
            if row["status"] == "started":
                expires = f", expires {row['expires']}" if row.get("expires") else ""
                breaches = f", {row['breaches']} breach(es)" if row.get("breaches") else ""
                click.echo(f"line {row['line']}: started {row['workflow_id']}  {row['label_status']} {row['tier']}{expires}{breaches}")
            else:
                click.echo(f"{catalogue_file}: {row['message']}", err=True)
        click.echo(f"{answer['started']} started, {answer['refused']} refused (sha256 {answer['sha256']}; "
                   f"at most {MAX_CATALOGUE_ROWS:,} rows per file)")
    if answer.get("refused"):
        raise SystemExit(1)


@cycle.command("event")
@click.argument("candidate_id")
@click.argument("event_file", type=click.File("rb"))
@click.option("--id", "event_id", help="Idempotency id: the same id sent twice is applied once.")
@json_option
def cycle_event(candidate_id: str, event_file: Any, event_id: str | None, as_json: bool) -> None:
    """Send one event (YAML or JSON; `-` reads standard input), e.g. {type: visit, scores: {...}}.

    For the certification body of the candidacy; the token says who acts. A survey's raw CSV export is
    sent in the event and scored by the engine.
    """
    from ...lifecycle.events import CycleEvent
    from ...lifecycle.messages import Receipt

    data = read_event(event_file)
    checked(TypeAdapter(CycleEvent), data, getattr(event_file, "name", "<stdin>"))
    with Api() as api:
        answer = api.post(f"/cycles/{segment(candidate_id)}/events", data, event_id or new_key())
    if isinstance(answer, dict) and "transfer" in answer:
        # A renewal naming another body: recorded, pending that body's acceptance (the API answers 202).
        emit(answer, as_json, str(answer.get("detail") or "waiting for the receiving body's acceptance"))
        return
    receipt = Receipt.model_validate(answer)
    lines = [f"{'already applied' if receipt.duplicate else 'applied'}: {receipt.summary}",
             f"phase {receipt.phase.value}, label {receipt.label_status.value}"]
    lines += [f"  due {d.due.isoformat()}  {d.what}  [{d.rule}, {d.reference}]" for d in receipt.open_deadlines]
    emit(receipt, as_json, "\n".join(lines))


@cycle.command("show")
@click.argument("candidate_id")
@json_option
def cycle_show(candidate_id: str, as_json: bool) -> None:
    """A cycle's phase, label and open deadlines, each with the rule and edition behind it.

    For its certification body (the DITP and operators read every cycle).
    """
    from ...lifecycle.views import CycleView

    with Api() as api:
        view = CycleView.model_validate(api.get(f"/cycles/{segment(candidate_id)}"))
    att = view.attestation
    lines = [f"{view.candidate.name} ({view.candidate.id}) — cycle {view.cycle_number}, edition {view.edition}",
             f"phase: {view.phase.value}   label: {view.label_status.value}"
             + (f" {att.tier_label}, {att.valid_from} to {att.last_valid_day}" if att else ""),
             f"breaches: {view.breaches}", "open deadlines:"]
    lines += [f"  {d.due.isoformat()}  {d.what}  ({d.explanation}; {d.rule}, {d.reference})" for d in view.open_deadlines]
    emit(view, as_json, "\n".join(lines))


@cycle.command("timeline")
@click.argument("candidate_id")
@json_option
def cycle_timeline(candidate_id: str, as_json: bool) -> None:
    """The cycle's story: every event, deadline set, met or missed, reminder and decision.

    For its certification body (the DITP and operators read every cycle).
    """
    from ...lifecycle.state import TimelineEntry

    with Api() as api:
        entries = TypeAdapter(list[TimelineEntry]).validate_python(api.get(f"/cycles/{segment(candidate_id)}/timeline"))
    human = "\n".join(f"{e.on.isoformat()}  {e.kind:<20} {e.summary}  [{e.actor}"
                      f"{f', entered {e.recorded.isoformat()}' if e.recorded != e.on else ''}]" for e in entries)
    emit(entries, as_json, human)


@cycle.command("history")
@click.argument("candidate_id")
@json_option
def cycle_history(candidate_id: str, as_json: bool) -> None:
    """The timeline rebuilt from the Temporal event history itself (closed cycles, every run).

    An operator's or administrator's tool, on the engine's machine: it reads the Temporal server directly
    (TEMPORAL_ADDRESS), with no token and no role, so a certification body is never given it.
    """
    from ...analysis.operations import history_timeline
    from ...client import cycle_id

    async def rebuilt() -> Any:
        return await history_timeline(await temporal_client(), candidate_id)

    entries = run(rebuilt())
    if entries is None:
        fail(f"no cycle for {candidate_id}: the engine has no history under workflow id {cycle_id(candidate_id)}")
    human = "\n".join(f"{e.on.isoformat()}  {e.kind:<20} {e.summary}  [{e.actor}; rules {e.edition}]" for e in entries)
    emit(entries, as_json, human or f"no timeline entry for {candidate_id}")


def phases() -> list[str]:
    """Every phase a listed cycle can be in: a local cycle's, a central one's, and `opening` (rules being pinned)."""
    from ...lifecycle.state import Phase
    from ...network.state import CentralPhase

    listed = ["opening", *(p.value for p in Phase)]
    return listed + [p.value for p in CentralPhase if p.value not in listed]


def label_statuses() -> list[str]:
    from ...lifecycle.state import LabelStatus

    return [s.value for s in LabelStatus]


PAGE_SIZE = 500  # the API's largest page


@cycle.command("list")
@click.option("--phase", type=click.Choice(phases()), help="Phase of the cycle.")
@click.option("--body", help="Certification body (a body's token lists its own candidacies only).")
@click.option("--status", type=click.Choice(label_statuses()), help="Label status.")
@click.option("--edition", help="Rules edition the cycles run on.")
@click.option("--due-within", type=click.IntRange(min=0, max=3650), help="Next deadline within N days from today.")
@click.option("--overdue", is_flag=True, help="Only cycles with a deadline missed and still not done.")
@click.option("--with-breaches", is_flag=True, help="Only cycles with a breach recorded.")
@json_option
def cycle_list(phase: str | None, body: str | None, status: str | None, edition: str | None,
               due_within: int | None, overdue: bool, with_breaches: bool, as_json: bool) -> None:
    """List running cycles by phase, body, label status, rules edition, due date, overdue or with breaches.

    For a certification body (its own candidacies), the DITP and operators (every cycle).
    """
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"phase": phase, "body": body, "status": status, "edition": edition,
                              "due_within": due_within, "page_size": PAGE_SIZE}
    if overdue:
        params["overdue"] = "true"
    if with_breaches:
        params["with_breaches"] = "true"
    with Api() as api:
        while True:
            page = api.get("/cycles", params)
            items += page["items"]
            if not page.get("next_page_token"):
                break
            params["page_token"] = page["next_page_token"]

    def day(stamp: str | None) -> str:
        return stamp[:10] if stamp else "—"

    def line(i: dict[str, Any]) -> str:
        breaches = i.get("breaches")
        overdue = f", {i['overdue']} overdue" if i.get("overdue") else ""
        return (f"{i['candidate'] or i['workflow_id']:<28} {i['phase'] or '—':<12} {i['label_status'] or '—':<10} "
                f"{i['tier'] or '—':<7} next {day(i['next_deadline']):<10} breaches {breaches if breaches is not None else '—'}"
                f"{overdue}  {i['certification_body'] or ''} [{i['rules_edition'] or ''}]")

    human = "\n".join(line(i) for i in items) or "no cycle matches"
    emit(items, as_json, human)


@click.command("public-list")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True, help="csv (cells a spreadsheet would run are neutralised) or json.")
def public_list_cmd(fmt: str) -> None:
    """The public list of labelled services (suspended labels flagged), for the DITP's site and anyone.

    Read from the engine's HTTP API (SPPLUS_API_URL or the profile's api_url); it needs no token.
    """
    import json

    with Api(need_token=False, send_token=False) as api:
        if fmt == "json":
            click.echo(json.dumps(api.get("/public/labels"), ensure_ascii=False, indent=2))
        else:
            click.echo(api.get_text("/public/labels.csv"), nl=False)


COMMANDS = [cycle, public_list_cmd]
