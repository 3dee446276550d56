"""Reading a request body as the engine means it: bounded, exact, unambiguous.

* A body over :data:`spplus.limits.MAX_REQUEST_BYTES` is answered 413 with the limit, before it is read whole.
* JSON numbers with a fraction are read as :class:`~decimal.Decimal` (``49.99999999999999999`` stays
  below 50, as the rules compare exactly); ``NaN`` and ``Infinity`` are not JSON and are refused.
* An object with a key written twice is refused (the YAML rule files refuse it too), as is a string
  with a lone surrogate, which no UTF-8 payload can carry.

FastAPI parses bodies with ``Request.json``: :class:`EngineRoute` hands it :class:`EngineRequest`,
whose parser raises :class:`json.JSONDecodeError` for each of these, so the answer is the usual
422 problem naming the line and column.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

import structlog
from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..exact_json import read_json
from ..limits import MAX_REQUEST_BYTES

log = structlog.get_logger("spplus.api")



class EngineRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = read_json(await self.body())
        return self._json


class EngineRoute(APIRoute):
    """Every route reads its JSON body with :func:`read_json`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            return await handler(EngineRequest(request.scope, request.receive))

        return route


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes is answered 413 (problem+json) and never read whole."""

    def __init__(self, app: ASGIApp, limit: int = MAX_REQUEST_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        # A browser's form (or htmx's request for a piece of page): told in a page, in French.
        page = b"text/html" in headers.get(b"accept", b"") or headers.get(b"hx-request") == b"true"
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._too_large(send, page)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._too_large(send, page)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send, page: bool = False) -> None:
        log.warning("refused", status=413, limit=self.limit, page=page)  # logged like every refusal
        if page:
            mb = f"{self.limit / 1_000_000:.1f}".replace(".", ",")
            payload = (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Envoi trop volumineux — Services Publics +'
                       f'</title></head><body><main><h1>Envoi trop volumineux</h1><p>Le moteur lit au plus {mb} Mo par envoi. '
                       f'Revenez à la page précédente et envoyez un fichier plus petit.</p><p><a href="/">Retour à l\'accueil</a>'
                       f'</p></main></body></html>').encode()
            kind = b"text/html; charset=utf-8"
        else:
            detail = f"the request body is over {self.limit:,} bytes, the most the engine reads in one request"
            payload = json.dumps({"type": "about:blank", "title": "Payload Too Large", "status": 413, "detail": detail,
                                  "limit": self.limit}).encode()
            kind = b"application/problem+json"
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", kind), (b"content-length", str(len(payload)).encode()),
                                (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")]})
        await send({"type": "http.response.body", "body": payload})
