"""A certification body's central public services, labelled through their network (§2.2.2, §3.8.2).

Like a body's local cycles, these go through the engine's HTTP API with the body's token (see
:mod:`.cycles` and :mod:`.remote`): the same roles, the same walls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from pydantic import TypeAdapter

from .common import emit, fail, json_option, read_bounded, read_data_file, read_event
from .cycles import checked
from .remote import Api, new_key, segment


@click.group()
def central() -> None:
    """A certification body's central public services, labelled through their network.

    Through the engine's HTTP API with the body's token: SPPLUS_API_URL and SPPLUS_TOKEN, or a profile.
    """


def read_network_csv(path: Path) -> list[dict[str, Any]]:
    """Local services from a CSV: id, name, and optionally territory, agents_in_contact."""
    import csv

    with path.open("rb") as stream:
        text = read_bounded(stream, str(path), "a request")
    lines = text.splitlines()
    if not lines:
        fail(f"{path}: empty; write a header line (id,name[,territory,agents_in_contact]) and one line per local service")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    services = []
    for line, row in enumerate(csv.DictReader(lines, delimiter=delimiter), start=2):
        if not (row.get("id") or "").strip() or not (row.get("name") or "").strip():
            fail(f"{path}:{line}: each local service has an id and a name")
        service: dict[str, Any] = {"id": row["id"].strip(), "name": row["name"].strip()}
        if row.get("territory"):
            service["territory"] = row["territory"].strip()
        if row.get("agents_in_contact"):
            try:
                service["agents_in_contact"] = int(row["agents_in_contact"])
            except ValueError:
                fail(f"{path}:{line}: agents_in_contact is a whole number, not {row['agents_in_contact']!r}")
        services.append(service)
    return services


@central.command("start")
@click.argument("candidate_file", type=click.Path(exists=True, path_type=Path))
@click.option("--network", "network_csv", type=click.Path(exists=True, path_type=Path),
              help="CSV of the local services (id,name[,territory,agents_in_contact]).")
@json_option
def central_start(candidate_file: Path, network_csv: Path | None, as_json: bool) -> None:
    """Open a central candidacy: ⌈√n⌉ local services are drawn and their own cycles started.

    For a certification body, for itself (the file's certification_body is the token's body).
    """
    from ...network.events import CentralCandidate

    data = read_data_file(candidate_file, sent=True) or {}
    if not isinstance(data, dict):
        fail(f"{candidate_file}: a central candidacy is a mapping (id, name, …), not a {type(data).__name__}")
    data = dict(data)
    if network_csv is not None:
        data["local_services"] = read_network_csv(network_csv)
    checked(TypeAdapter(CentralCandidate), data, str(candidate_file))
    with Api() as api:
        started = api.post("/central", data)
    result = {"workflow_id": started["workflow_id"], "local_services": len(data.get("local_services") or [])}
    emit(result, as_json, f"started {result['workflow_id']} with {result['local_services']} local services")


@central.command("event")
@click.argument("central_id")
@click.argument("event_file", type=click.File("rb"))
@click.option("--id", "event_id", help="Idempotency id: the same id sent twice is applied once.")
@json_option
def central_event(central_id: str, event_file: Any, event_id: str | None, as_json: bool) -> None:
    """Send one event to a central cycle (network_reports, sample_extended, central_audit_dates, …).

    For the certification body of the central candidacy; the token says who acts.
    """
    from ...network.events import CentralEvent
    from ...network.messages import CentralReceipt

    data = read_event(event_file)
    checked(TypeAdapter(CentralEvent), data, getattr(event_file, "name", "<stdin>"))
    with Api() as api:
        receipt = CentralReceipt.model_validate(api.post(f"/central/{segment(central_id)}/events", data, event_id or new_key()))
    emit(receipt, as_json, f"{'already applied' if receipt.duplicate else 'applied'}: {receipt.summary}\nphase {receipt.phase.value}")


@central.command("show")
@click.argument("central_id")
@json_option
def central_show(central_id: str, as_json: bool) -> None:
    """The central cycle: phase, each year's sample and why (size rule, seed), open deadlines.

    For its certification body (the DITP and operators read every cycle).
    """
    from ...network.messages import CentralView

    with Api() as api:
        view = CentralView.model_validate(api.get(f"/central/{segment(central_id)}"))
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
@json_option
def central_table(central_id: str, as_json: bool) -> None:
    """The network's label table: every audited local service, its year, its result (§3.8.2 annex).

    For its certification body (the DITP and operators read every cycle).
    """
    with Api() as api:
        rows = api.get(f"/central/{segment(central_id)}/table")
    human = "\n".join(f"{r['local_service']:<28} {r['sampled']}  {r['result']}" for r in rows) or "no local service audited yet"
    emit(rows, as_json, human)


COMMANDS = [central]
