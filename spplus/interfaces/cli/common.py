"""What every command shares: printing (for people, or JSON with ``--json``), dates, reading the files
people give (YAML or JSON, exactly, bounded), the rules in force, and — for the administrator's and the
DITP's tools that need it — a direct Temporal client.

Nothing here speaks for a user; the commands do (see each module).
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

from ...rules.loader import RuleSetInvalid, load_rules
from ...rules.models import Dated, RuleSet
from ...rules.yamlsource import RuleFileError, read_yaml, read_yaml_file


def today() -> date:
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

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")


# ------------------------------------------------------------------ printing
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


def one_line(exc: ValidationError, limit: int = 600) -> str:
    """A pydantic refusal as one line: each field at fault and what it should be."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in error.get("loc", ())) or "input"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    text = "; ".join(parts) or str(exc).splitlines()[0]
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------ the rules
def rules_from(ctx: click.Context) -> RuleSet:
    try:
        return load_rules(ctx.obj["rules_dir"])
    except RuleSetInvalid as exc:
        fail(f"the rules are refused:\n{exc}")
        raise  # unreachable


def rules_start(rule_set: RuleSet) -> date:
    """The first day every rule of the edition is in force."""
    firsts = []
    for file_name in ("engagements", "tiers", "central", "surveys", "deadlines", "calendars", "procedures"):
        section = getattr(rule_set, file_name)
        for name in type(section).model_fields:
            dated = getattr(section, name)
            if isinstance(dated, Dated) and dated.values:
                firsts.append(min(dated.values))
    return max(firsts)


def check_in_force(rule_set: RuleSet, *days: date) -> None:
    """Refuse a date before the rules, in one line, before anything is computed."""
    start = rules_start(rule_set)
    for day in sorted(days):
        if day < start:
            fail(f"no rule in force on {day.isoformat()}; the rules apply from {start.isoformat()}")


def known_editions() -> list[str]:
    """The editions this installation holds: the rules in force and each folder of SPPLUS_EDITIONS."""
    from activities.rules import edition_folders

    from ...rules.loader import load_rules_cached
    from ...settings import Settings

    return [load_rules_cached(folder).edition_id for folder in edition_folders(Settings.from_env())]


def check_edition(edition: str | None, option: str = "--edition") -> None:
    if edition is None:
        return
    editions = known_editions()
    if edition not in editions:
        fail(f"unknown edition {edition!r} ({option}); the editions are: {', '.join(editions)}", 2)


# ------------------------------------------------------------------ files
def check_size(size: int, name: str, what: str = "an event") -> None:
    """What the API would answer 413 to is refused here, before anything is sent."""
    from ...limits import MAX_REQUEST_BYTES

    if size > MAX_REQUEST_BYTES:
        fail(f"{name} is {size:,} bytes; {what} is at most {MAX_REQUEST_BYTES:,} bytes")


def read_yaml_text(text: str, name: str) -> Any:
    return read_yaml(text, name).data


def read_bounded(stream: Any, name: str, what: str = "an event") -> str:
    """A file's text (binary stream), refused before it is sent when it is over the API's request limit."""
    import stat

    from ...limits import MAX_REQUEST_BYTES

    try:
        info = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):
        info = None
    if info is not None and stat.S_ISREG(info.st_mode):
        check_size(info.st_size, name, what)
    chunks, size = [], 0
    while chunk := stream.read(1 << 20):
        size += len(chunk)
        if size <= MAX_REQUEST_BYTES:
            chunks.append(chunk)
    check_size(size, name, what)
    try:
        return b"".join(chunks).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})")
        raise  # unreachable


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} is written twice; keep one")
        out[key] = value
    return out


def _not_a_number(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; write a number or null")


def exact_json(text: str) -> Any:
    """JSON read as the engine reads it: numbers with a fraction exact (Decimal), a key written twice refused."""
    return json.loads(text, parse_float=Decimal, parse_constant=_not_a_number, object_pairs_hook=_no_duplicate_keys)


def read_event(event_file: Any) -> Any:
    """An event from a YAML or JSON file (or standard input), at most the API's request size; numbers exact."""
    name = getattr(event_file, "name", "<stdin>")
    text = read_bounded(event_file, name)
    try:
        if text.lstrip().startswith("{"):
            return exact_json(text)
        return read_yaml_text(text, name)
    except json.JSONDecodeError as exc:
        fail(f"{name}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})")
    except RuleFileError as exc:
        fail(str(exc))  # already file:line:column
    except ValueError as exc:
        fail(f"{name}: {exc}")


def read_data_file(path: Path, sent: bool = False) -> Any:
    """A YAML or JSON file's data; ``sent``: it goes to the engine, so the API's request limit applies and
    JSON numbers are read exactly (YAML's always are)."""
    try:
        if sent:
            with path.open("rb") as stream:
                text = read_bounded(stream, str(path), "a request")
            if path.suffix == ".json":
                return exact_json(text)
            return read_yaml(text, str(path)).data
        if path.suffix == ".json":
            return json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicate_keys)
        return read_yaml_file(path).data
    except json.JSONDecodeError as exc:
        fail(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})")
    except UnicodeDecodeError as exc:
        fail(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})")
    except OSError as exc:
        fail(f"{path}: {exc.strerror or exc}")
    except RuleFileError as exc:
        fail(str(exc))
    except ValueError as exc:
        fail(f"{path}: {exc}")


# ------------------------------------------------------------------ Temporal, for the tools that read it directly
class NoEngine(Exception):
    """No Temporal server answers where the engine should be."""

    def __init__(self, address: str) -> None:
        super().__init__(f"no engine at {address}: start it with make run (or set TEMPORAL_ADDRESS to where it runs)")


_TEMPORAL = {"used": False}


def temporal_used() -> bool:
    """Whether this process opened a Temporal client (see :func:`spplus.interfaces.cli.entry`)."""
    return _TEMPORAL["used"]


def mark_temporal_used() -> None:
    _TEMPORAL["used"] = True


async def temporal_client() -> Any:
    """A direct Temporal client: only for the administrator's, operator's and DITP's tools that need one
    (``cycle history``, ``whatif`` on the running engine's decisions); never for a body's commands."""
    from ...client import connect
    from ...settings import Settings

    settings = Settings.from_env()
    mark_temporal_used()
    try:
        return await connect(settings)
    except RuntimeError as exc:  # the Rust core's "Failed client connect: …"
        if "connect" not in str(exc).lower():
            raise
        raise NoEngine(settings.client_address) from None


def run(coro: Any) -> Any:
    import asyncio

    from ...client import EngineError

    try:
        return asyncio.run(coro)
    except EngineError as exc:
        fail(f"refused: {exc.message}")
