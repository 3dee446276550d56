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

from .common import emit, fail, json_option, one_line, read_data_file, read_event, run, temporal_client
from .remote import Api, new_key, segment

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
    from ...client import cycle_id
    from ...history import fetch_runs, rebuild_timeline

    async def runs() -> Any:
        return await fetch_runs(await temporal_client(), cycle_id(candidate_id))

    histories = run(runs())
    if not histories:
        fail(f"no cycle for {candidate_id}: the engine has no history under workflow id {cycle_id(candidate_id)}")
    entries = rebuild_timeline(histories)
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
