"""The DITP's register of authorised certification bodies (guide §1.2, §1.3), on the engine's machine.

A renewal may name another body (§3.2, §3.10) only if it is in this register and authorised that day;
the body then accepts the transfer through the API (``POST /transfers/{id}/accept``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from .common import emit, fail


@click.group()
def bodies() -> None:
    """The DITP's tool: the register of authorised certification bodies (add, end, list, check)."""


def _register() -> Any:
    from ...records import BodyRegister, database_url
    from ...settings import Settings

    return BodyRegister(database_url(Settings.from_env().data_dir))


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r}: write the date as YYYY-MM-DD, e.g. 2026-06-30", 2)
        raise  # unreachable: fail exits


def _line(body: Any) -> str:
    until = f"until {body.authorised_until}" if body.authorised_until else "until further notice"
    return f"{body.id:<14} {body.name}  (authorised from {body.authorised_from} {until}; recorded by {body.recorded_by})"


@bodies.command("add")
@click.argument("body_id")
@click.option("--name", required=True, help="The body's name, as on its authorisation.")
@click.option("--from", "authorised_from", required=True, help="First day it may certify (YYYY-MM-DD).")
@click.option("--until", "authorised_until", help="Last day it may certify (YYYY-MM-DD); none: until further notice.")
@click.option("--by", "by", required=True, help="Who records it (kept in the register).")
def bodies_add(body_id: str, name: str, authorised_from: str, authorised_until: str | None, by: str) -> None:
    """Record a body authorised to certify, from a date (and until one, if its authorisation ends)."""
    from pydantic import ValidationError

    from ...records import AlreadyRecorded

    try:
        body = _register().add(body_id, name, _day(authorised_from, "--from"), _day(authorised_until, "--until"), by=by)
    except AlreadyRecorded as exc:
        fail(str(exc))
        return
    except ValidationError as exc:
        fail("; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()), 2)
        return
    click.echo(_line(body))


@bodies.command("end")
@click.argument("body_id")
@click.option("--on", "until", required=True, help="Its last authorised day (YYYY-MM-DD), or 'never' to lift an end.")
@click.option("--by", "by", required=True, help="Who records it.")
def bodies_end(body_id: str, until: str, by: str) -> None:
    """Set the last day a body may certify (its authorisation withdrawn or expired)."""
    from ...records import UnknownBody

    try:
        body = _register().set_authorised_until(body_id, None if until == "never" else _day(until, "--on"), by=by)
    except (UnknownBody, ValueError) as exc:
        fail(str(exc))
        return
    click.echo(_line(body))


@bodies.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def bodies_list(as_json: bool) -> None:
    """Every body of the register, with its authorisation dates."""
    listed = _register().list()
    emit([b.model_dump(mode="json") for b in listed], as_json, "\n".join(_line(b) for b in listed) or "no body in the register")


@bodies.command("check")
@click.argument("body_id")
@click.option("--on", "on", help="The day (YYYY-MM-DD); today by default.")
def bodies_check(body_id: str, on: str | None) -> None:
    """Exit 0 if the body may certify on that day; else say why and exit 1."""
    from ...records import NotAuthorised

    try:
        _register().check(body_id, _day(on, "--on") or date.today())
    except NotAuthorised as exc:
        fail(str(exc))
        return
    click.echo(f"{body_id} is authorised")


COMMANDS = [bodies]
