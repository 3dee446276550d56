"""`spplus`: the command line of the Services Publics + label engine, split by who uses it.

* :mod:`.rules` — the DITP's and anyone's pure tools: ``rules check/show/schema``, ``tier``, ``survey``,
  ``deadlines`` (the rule files on this machine; no engine needed);
* :mod:`.cycles` — a certification body's: ``cycle start/event/show/timeline/list``, ``public-list``,
  through the engine's HTTP API with the body's token (``SPPLUS_API_URL``, ``SPPLUS_TOKEN`` or a profile),
  so the API's roles hold; and an operator's ``cycle history``, read from Temporal directly;
* :mod:`.central` — a certification body's central cycles: ``central start/event/show/table`` (API);
* :mod:`.tokens` — an administrator's, on the engine's machine: ``token create/list/revoke``, ``serve``;
* :mod:`.whatif` — the DITP's analyses: ``simulate``, ``whatif``.

Every command prints for people by default and JSON with ``--json``; errors go to stderr with a
non-zero exit status (1: refused input, 2: usage, 70: a fault of the program's own). A user's
mistake (a date before the rules, a file missing or too large, an unknown id, edition, territory or
filter value, no engine running, no token) is said in one plain line, never as a Python traceback: the
command group maps the project's known errors to that line (`explain`), and each command checks
what it can before it starts. ``SPPLUS_DEBUG=1`` shows the traceback of an unexpected error.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from ...rules.loader import RuleSetInvalid
from ...rules.yamlsource import RuleFileError
from .common import NoEngine, jsonable, one_line, temporal_used
from .remote import Refused

_NOT_IN_FORCE = re.compile(r"no value in force on (\S+) \(the first applies from (\S+)\)")


def explain(exc: BaseException) -> tuple[str, int] | None:
    """The one line (and exit status) that says a known error to a person; None for a fault of the program."""
    from temporalio.client import WorkflowFailureError
    from temporalio.exceptions import FailureError
    from temporalio.service import RPCError, RPCStatusCode

    from ...calendar import CalendarNotCovered
    from ...client import EngineError
    from ...lifecycle.common import EventRefused
    from ...rules.models import RuleNotInForce
    from ...settings import SettingError
    from ...surveys import SurveyDataError

    if isinstance(exc, Refused):  # the API's own detail, or why it could not be asked (no token, no API, a profile)
        return exc.message, 1
    if isinstance(exc, RuleNotInForce):
        match = _NOT_IN_FORCE.search(str(exc))
        if match:
            return f"no rule in force on {match[1]}; the rules apply from {match[2]}", 1
        return str(exc), 1
    if isinstance(exc, NoEngine):
        return str(exc), 1
    if isinstance(exc, EngineError):
        return f"refused: {exc.message}", 1
    if isinstance(exc, RuleSetInvalid):
        return f"the rules are refused:\n{exc}", 1  # one line per problem, with file:line:column
    if isinstance(exc, (RuleFileError, CalendarNotCovered, SurveyDataError, EventRefused, SettingError)):
        return str(exc), 1
    if isinstance(exc, ValidationError):
        return f"refused: {one_line(exc)}", 1
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text ({exc.reason} at byte {exc.start})", 1
    if isinstance(exc, OSError):
        return (f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)), 1
    if isinstance(exc, RPCError):
        if exc.status == RPCStatusCode.NOT_FOUND:
            return f"not found: {exc.message}", 1
        if exc.status == RPCStatusCode.UNAVAILABLE:
            return f"the engine is unavailable: {exc.message}", 1
        return f"the engine refused: {exc.message}", 1
    if isinstance(exc, (WorkflowFailureError, FailureError)):
        cause: BaseException | None = exc
        while cause is not None and cause.__cause__ is not None:
            cause = cause.__cause__  # the failure that started it: UnknownEdition, an activity's refusal
        return f"refused: {getattr(cause, 'message', None) or cause}", 1
    return None


class Spplus(click.Group):
    """The command group: a known error from any command ends in one plain line on stderr, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            if os.environ.get("SPPLUS_DEBUG"):
                raise
            known = explain(exc)
            if known is None:
                message = str(exc).splitlines()[0] if str(exc) else ""
                known = (f"spplus: internal error, please report it: {type(exc).__name__}: {message} "
                         "(SPPLUS_DEBUG=1 shows where)", 70)
            click.echo(known[0], err=True)
            ctx.exit(known[1])


@click.group(cls=Spplus)
@click.option("--rules", "rules_dir", type=click.Path(path_type=Path), envvar="SPPLUS_RULES",
              help="Folder of rule files (default: the project's rules/).")
@click.pass_context
def main(ctx: click.Context, rules_dir: Path | None) -> None:
    """The « Services Publics + » label engine.

    \b
    For everyone and the DITP (rule files on this machine): rules, tier, survey, deadlines.
    For certification bodies (through the HTTP API, with a token): cycle, central, public-list.
    For the DITP: simulate, whatif.
    For administrators and operators (on the engine's machine): token, serve, cycle history.
    """
    ctx.ensure_object(dict)
    ctx.obj["rules_dir"] = rules_dir


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
    if temporal_used():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _register() -> None:
    from . import bodies, central, cycles, rules, tokens, whatif

    for module in (rules, cycles, central, tokens, bodies, whatif):
        for command in module.COMMANDS:
            main.add_command(command)


_register()

__all__ = ["main", "entry", "explain", "jsonable", "Spplus"]
