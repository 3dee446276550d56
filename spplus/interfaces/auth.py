"""Who may do what: the one authorisation layer of the HTTP API and the web pages.

A caller is a :class:`Principal`: a role (``body``, ``ditp``, ``operator``, or ``anonymous``), and for a
body the certification body it acts for. The API finds it from the ``Authorization: Bearer`` header, the
pages from their signed session cookie (which names the token, never holds it); both then ask the
same :class:`Gate`:

* :meth:`Gate.require` — the roles a door needs (401 for an anonymous caller, 403 for a known one);
* :meth:`Gate.may_see` — the wall around a cycle, local or central: a body reads and acts on its own
  candidacies only, and another body's answers exactly as one that does not exist (404); the DITP and
  operators read everything; an operator acts on nothing (nor does the DITP, outside rule editions);
* :meth:`Gate.own_cycle`, :meth:`Gate.own_central` — the cycle's view, once the wall is passed;
* :meth:`Gate.list_scope` — whose candidacies a list may show.

Refusals are :class:`Problem` exceptions (status, title, detail, field): the API answers them as
``application/problem+json``, the pages as a page in French.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel
from temporalio.client import Client

from .. import client as engine
from ..api.tokens import Role, Token, TokenStore
from ..ids import central_workflow_id
from ..lifecycle.views import CycleView
from ..network.messages import CentralView


class Principal(BaseModel):
    role: Role
    body: str | None = None
    token_id: str | None = None

    @classmethod
    def of(cls, token: "Token | None") -> "Principal":
        return cls(role=Role.anonymous) if token is None else cls(role=token.role, body=token.body, token_id=token.id)


ANONYMOUS = Principal(role=Role.anonymous)


class Problem(Exception):
    def __init__(self, status: int, title: str, detail: str, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.field, self.extra = status, title, detail, field, extra


class Gate:
    """The rules of who may read and act on what, for every interface.

    ``tokens``: the engine's token records; ``temporal``: how to reach Temporal (a cycle's owner is one of
    its search attributes, set when it starts).
    """

    def __init__(self, tokens: TokenStore, temporal: Callable[[], Awaitable[Client]]) -> None:
        self.tokens, self.temporal = tokens, temporal

    # ------------------------------------------------------------------ who is calling
    def by_secret(self, secret: str | None) -> Principal:
        """The caller of a token's secret (the API's bearer). Raises 401 for an unknown or revoked one."""
        token = self.tokens.authenticate(secret.strip()) if secret is not None else None
        if token is None:
            raise Problem(401, "Unauthorized", "unknown or revoked token: send Authorization: Bearer <token>")
        return Principal.of(token)

    def by_token_id(self, token_id: str) -> Principal | None:
        """The caller of a token named by its id (a page session), while that token is not revoked; else None.
        A revocation closes every page session of the token at once."""
        from ..records.db import reading
        from ..records.tables import TokenRow

        with reading(self.tokens.engine) as session:
            row = session.get(TokenRow, token_id)
            if row is None or row.revoked is not None:
                return None
            return Principal.of(Token.model_validate(row))

    # ------------------------------------------------------------------ roles
    @staticmethod
    def refuse(who: Principal, why: str) -> Problem:
        """403 for a known caller who may not do this; 401 for an anonymous one (a token would change the answer)."""
        if who.role == Role.anonymous:
            return Problem(401, "Unauthorized", f"{why}: send Authorization: Bearer <token>")
        return Problem(403, "Forbidden", why)

    def require(self, who: Principal, *roles: Role) -> None:
        if who.role not in roles:
            needed = " or ".join(r.value for r in roles)
            raise self.refuse(who, f"this needs a token of role {needed}" if who.role == Role.anonymous
                              else f"a token of role {who.role.value} may not do this; it needs one of role {needed}")

    def list_scope(self, who: Principal, body: str | None) -> str | None:
        """The certification body a list of cycles is restricted to: a body's own, whatever it asks;
        the DITP and operators list any body's (or all, ``None``)."""
        self.require(who, Role.body, Role.ditp, Role.operator)
        if who.role == Role.body:
            if body not in (None, who.body):
                raise self.refuse(who, f"{who.body} lists its own candidacies only")
            return who.body
        return body

    def may_open(self, who: Principal, certification_body: str) -> None:
        """A body opens (or imports) candidacies for itself only."""
        self.require(who, Role.body)
        if certification_body != who.body:
            raise self.refuse(who, f"{who.body} opens candidacies for itself, not for {certification_body}")

    @staticmethod
    def taken(candidate_id: str, field: str = "id") -> Problem:
        # Another body's candidacy under that id: only that it is taken, never its phase or its dates.
        return Problem(409, "Conflict", f"the id {candidate_id} is taken; choose another", field)

    async def open_candidacy(self, who: Principal, candidate: Any, task_queue: str) -> Any:
        """Start ``candidate`` for the body that ``who`` acts for (:func:`spplus.client.start_candidacy`), its handle.

        Raises :class:`Problem` (401/403: not this body's to open; 409: the id is another body's, told as taken
        only) or :class:`spplus.client.EngineError` (the candidacy refused, or the body's own id already running).
        """
        self.may_open(who, candidate.certification_body)
        try:
            return await engine.start_candidacy(await self.temporal(), candidate, task_queue, actor=self.actor(who))
        except engine.EngineError as exc:
            if exc.kind in ("conflict", "too_early") and exc.owner != who.body:
                raise self.taken(candidate.id) from None
            raise

    # ------------------------------------------------------------------ the wall around a cycle
    @staticmethod
    def unseen(candidate_id: str) -> Problem:
        # The same answer whether the cycle does not exist or belongs to another body: nothing leaks.
        return Problem(404, "Not Found", f"no cycle {candidate_id} that this token may read", "candidate")

    async def may_see(self, who: Principal, candidate_id: str, act: bool, workflow_id: str | None = None) -> None:
        """The one wall around a cycle, local or central: a caller who may not read it learns nothing of it."""
        if who.role == Role.anonymous:
            raise self.refuse(who, "reading a cycle needs a token; the public list is at /public/labels")
        owner = await engine.cycle_owner(await self.temporal(), candidate_id, workflow_id)  # known while it opens
        if owner is None or (who.role == Role.body and owner != who.body):
            raise self.unseen(candidate_id)
        if act and who.role != Role.body:
            raise self.refuse(who, f"a {who.role.value} token reads cycles but does not act on them")

    async def own_cycle(self, who: Principal, candidate_id: str, act: bool) -> CycleView:
        await self.may_see(who, candidate_id, act)
        view = await engine.opened_state(await self.temporal(), candidate_id)  # waits while it (re)opens
        if view is None:
            raise Problem(503, "Service Unavailable", "the cycle is opening; try again in a moment")
        return view

    async def own_central(self, who: Principal, central_id: str, act: bool) -> CentralView:
        await self.may_see(who, central_id, act, central_workflow_id(central_id))
        view = await engine.get_central_state(await self.temporal(), central_id)
        if view is None:
            raise Problem(503, "Service Unavailable", "the central cycle is opening; try again in a moment")
        return view

    @staticmethod
    def actor(who: Principal) -> str:
        """How the timeline names who entered an event."""
        return f"body:{who.body}" if who.role == Role.body else f"{who.role.value}:{who.token_id}"


__all__ = ["ANONYMOUS", "Gate", "Principal", "Problem"]
