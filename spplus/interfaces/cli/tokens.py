"""An administrator's tools, on the engine's machine: the API's tokens, and the API server itself.

They act on the engine's own records (``SPPLUS_DATA``, ``SPPLUS_DATABASE_URL``) directly, with no token:
whoever runs them is trusted with the engine. A certification body, the DITP and operators never need
them; they use the token an administrator gives them.
"""

from __future__ import annotations

from typing import Any

import click

from .common import fail


@click.group()
def token() -> None:
    """An administrator's tool: API tokens — create (shown once), list, revoke. Kept hashed in the engine's records.

    Run on the engine's machine; it needs no token, only access to the engine's data.
    """


def _tokens() -> Any:
    from ...api.tokens import TokenStore
    from ...settings import Settings

    return TokenStore.from_settings(Settings.from_env())  # the records the API reads (SPPLUS_DATABASE_URL or the data folder)


@token.command("create")
@click.option("--role", type=click.Choice(["body", "ditp", "operator"]), required=True, help="body: a certification body's own candidacies; ditp: rules editions and every cycle; operator: reads everything, acts on nothing.")
@click.option("--body", "body", help="The certification body a body token acts for.")
@click.option("--name", required=True, help="Who holds it (for the logs).")
def token_create(role: str, body: str | None, name: str) -> None:
    """Create a token for a certification body, the DITP or an operator (an administrator's tool)."""
    from ...api.tokens import Role

    if (role == "body") != (body is not None):
        fail("--body names the certification body of a body token, and only of one", 2)
    created, secret = _tokens().create(Role(role), name, body)
    click.echo(f"token {created.id} ({role}{f' for {body}' if body else ''}): {secret}\nshown once: keep it now.")


@token.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts (never the secrets, nor their hashes).")
def token_list(as_json: bool) -> None:
    """List the tokens, active and revoked (an administrator's tool; never shows a secret)."""
    from .common import emit

    items = _tokens().list()
    lines = [f"{item.id}  {item.role.value:<8} {item.body or '':<14} {item.name}  "
             f"({f'revoked {item.revoked:%Y-%m-%d}' if item.revoked else 'active'})" for item in items]
    emit([item.model_dump(mode="json", exclude={"hash"}) for item in items], as_json, "\n".join(lines) or "no token")


@token.command("revoke")
@click.argument("token_id")
def token_revoke(token_id: str) -> None:
    """Revoke a token at once, for every API replica (an administrator's tool)."""
    try:
        _tokens().revoke(token_id)
    except KeyError as exc:
        fail(str(exc.args[0]))
    click.echo(f"token {token_id} revoked")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 in a container; never publish Temporal's port).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), envvar="SPPLUS_API_PORT",
              help="Port of the API (SPPLUS_API_PORT).")
def serve(host: str, port: int) -> None:
    """Run the HTTP API alone (a replica beside the workers; `make run` starts both in one process).

    An administrator's tool, on the engine's machine.
    """
    import socket

    import uvicorn

    from ...api.app import default_app

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            fail(f"port {port} on {host} cannot be used ({exc.strerror}): stop what listens there, or set "
                 "SPPLUS_API_PORT (or --port) to a free port")
    uvicorn.run(default_app(), host=host, port=port, log_config=None)


COMMANDS = [token, serve]
