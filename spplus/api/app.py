"""The engine's HTTP API (FastAPI; OpenAPI at /openapi.json, docs at /docs).

Every write goes through the same workflow update as the command line, so validation and its
messages are the engine's own; errors are ``application/problem+json`` naming the field at
fault. ``Idempotency-Key`` is the Temporal update id: a retried request is answered, never applied
twice. A refused request is logged with who tried.
"""


import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any

import structlog
from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.staticfiles import StaticFiles
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field, TypeAdapter
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from .. import client as engine
from ..lifecycle import Candidate
from ..lifecycle.events import CycleEvent
from ..lifecycle.state import TimelineEntry
from ..lifecycle.importing import CycleImport
from ..lifecycle.views import CycleView
from ..network.events import CentralCandidate, CentralEvent
from ..network.messages import CentralView, label_table
from ..rules.upload import RuleUploadRefused
from ..settings import PROJECT_ROOT, Settings
from ..exact_json import position
from .body import BodyLimit, EngineRoute
from .pagetokens import PageTokenRefused, PageTokens, page_token_key
from .tokens import Role, TokenStore
from ..interfaces.auth import Gate, Principal, Problem
from ..records import (AlreadyDecided, BodyRegister, BodyTransfer, NotAuthorised, TransferConflict, TransferStatus,
                       TransferStore, UnknownTransfer)

log = structlog.get_logger("spplus.api")
_EVENT = TypeAdapter(CycleEvent)
PROBLEM = "application/problem+json"


def problem_response(problem: Problem) -> JSONResponse:
    body = {"type": "about:blank", "title": problem.title, "status": problem.status, "detail": problem.detail}
    if problem.field:
        body["field"] = problem.field
    body.update(problem.extra)
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM)


_STATUS = {"not_found": 404, "conflict": 409, "too_early": 409, "CycleNotReady": 503}


class StartedCycle(BaseModel):
    workflow_id: str
    candidate: str


class CyclePage(BaseModel):
    items: list[engine.CycleListing]
    next_page_token: str | None


class EditionUpload(BaseModel):
    """A new rules edition: every rule file's text, by file name (edition.yaml, tiers.yaml, …)."""

    files: dict[str, str]


class EditionChange(BaseModel):
    edition: str
    reason: Annotated[str, Field(min_length=1)]


class EditionSummary(BaseModel):
    edition: str
    content_hash: str
    title: str
    running_cycles: int


def create_app(connect: Callable[[], Awaitable[Client]], tokens: TokenStore, settings: Settings,
               register: BodyRegister | None = None, transfers: TransferStore | None = None) -> FastAPI:
    # The OpenAPI page's Swagger UI from npm (swagger-ui-dist, node_modules), not FastAPI's CDN: nothing is fetched
    # at run time, and /docs works on a machine without the Internet.
    app = FastAPI(title="Services Publics + label engine", version="1", docs_url=None, redoc_url=None,
                  description="Candidacies, events, cycles and the public list of the « Services Publics + » label.")
    app.router.route_class = EngineRoute  # bodies read exactly, duplicates and lone surrogates refused
    app.add_middleware(BodyLimit)
    clients: dict[str, Client] = {}
    # The engine's records: the register and the transfers on the tokens' database unless given.
    register = register or BodyRegister(tokens.engine)
    transfers = transfers or TransferStore(tokens.engine)
    from .metrics import instrument

    # Page tokens are Temporal's, signed for the query they continue and dated: a forged, foreign or stale
    # one is refused here, before Temporal retries a list it cannot read.
    key = page_token_key(settings.data_dir)
    pages = PageTokens(key, int(os.environ.get("SPPLUS_PAGE_TOKEN_LIFETIME", "3600")))

    def read_page_token(text: str, query: str) -> bytes:
        try:
            return pages.read(text, query)
        except PageTokenRefused as exc:
            raise Problem(422, "Invalid request", str(exc), "page_token") from None

    async def temporal() -> Client:
        if "client" not in clients:
            try:
                clients["client"] = await connect()
            except RuntimeError as exc:  # temporalio's "Failed client connect": an outage, not a bug (503, logged)
                log.error("temporal connect failed", message=str(exc)[:300])
                raise Problem(503, "Service Unavailable", "the engine's Temporal server did not answer; try again") from None
        return clients["client"]

    bearer = HTTPBearer(auto_error=False, description="A token from `spplus token create` (shown once).")

    gate = Gate(tokens, temporal)  # the one authorisation layer, shared with the pages

    def principal(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None,
                  authorization: Annotated[str | None, Header(include_in_schema=False)] = None) -> Principal:
        request.state.who = Principal(role=Role.anonymous)
        if authorization is not None:
            request.state.who = gate.by_secret(credentials.credentials if credentials is not None else None)
        return request.state.who

    Who = Annotated[Principal, Depends(principal)]

    def operators_only(who: Who, request: Request) -> None:
        gate.require(who, Role.operator, Role.ditp)

    instrument(app, operators_only)

    @app.middleware("http")
    async def hygiene(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.headers.get("authorization"):
            response.headers["Cache-Control"] = "no-store"  # nothing a token read may sit in a cache
        if request.url.path == "/docs":
            # Swagger UI from /static/swagger; FastAPI's page starts it with one inline script.
            response.headers.setdefault("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; "
                                        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
        else:
            response.headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
        return response

    def logged(request: Request, problem: Problem) -> JSONResponse:
        """Every refusal is logged with who tried and what (never the body sent, which may be large)."""
        who = getattr(request.state, "who", None) or Principal(role=Role.anonymous)
        log.warning("refused", status=problem.status, role=who.role.value, token=who.token_id, body=who.body,
                    method=request.method, path=request.url.path, field=problem.field, why=problem.detail[:300])
        return problem_response(problem)

    swagger = PROJECT_ROOT / "node_modules" / "swagger-ui-dist"
    app.mount("/static/swagger", StaticFiles(directory=swagger, check_dir=False), name="swagger")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Response:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} — API",
                                   swagger_js_url="/static/swagger/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger/swagger-ui.css",
                                   swagger_favicon_url="/static/dsfr/favicon/favicon.svg")

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return logged(request, exc)

    @app.exception_handler(engine.EngineError)
    async def _engine(request: Request, exc: engine.EngineError) -> JSONResponse:
        status = _STATUS.get(exc.kind, 422)
        return logged(request, Problem(status, "Refused" if status == 422 else "Conflict" if status == 409 else "Not Found",
                                       exc.message, exc.field))

    @app.exception_handler(RPCError)
    async def _temporal(request: Request, exc: RPCError) -> JSONResponse:
        log.error("temporal error", path=request.url.path, status=exc.status.name, message=exc.message)
        return problem_response(Problem(503, "Service Unavailable", "the engine's Temporal server did not answer; try again"))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_plain(e, exc.body) for e in exc.errors()] or [{"field": "", "message": "invalid request"}]
        first = errors[0]
        return logged(request, Problem(422, "Invalid request", f"{first['field']}: {first['message']}" if first["field"] else first["message"],
                                       first["field"] or None, errors=errors))

    # ------------------------------------------------------------------ transfers (issue 11, door 1)
    # A renewal naming another body is not applied: it waits, as a transfer, for that body's acceptance
    # (guide §3.2, §3.10) or the DITP's. Only a body of the register, authorised today, may receive one.
    def transfer_problem(exc: Exception) -> Problem:
        if isinstance(exc, NotAuthorised):
            return Problem(422, "Refused", str(exc), "certification_body")
        if isinstance(exc, (AlreadyDecided, TransferConflict)):
            return Problem(409, "Conflict", str(exc))
        return Problem(422, "Refused", str(exc))

    async def seen_transfer(who: Principal, request: Request, transfer_id: str, *parties: str) -> BodyTransfer:
        """A transfer the caller is a party to (``parties``: "to", "from"), or the DITP; else 404."""
        try:
            transfer = await asyncio.to_thread(transfers.get, transfer_id)
        except UnknownTransfer:
            transfer = None
        bodies = {"to": transfer.to_body, "from": transfer.from_body} if transfer else {}
        if transfer is None or not (who.role == Role.ditp or (who.role == Role.body and who.body in
                                                              {bodies[p] for p in parties})):
            if who.role == Role.anonymous:
                raise gate.refuse(who, "transfers need a token")
            raise Problem(404, "Not Found", f"no transfer {transfer_id} that this token may decide", "transfer")
        return transfer

    async def apply_transfer(transfer: BodyTransfer, actor: str) -> Any:
        # The same Idempotency key however often it is sent: a retried acceptance applies the renewal once.
        return await engine.send_event(await temporal(), transfer.candidate, transfer.event, f"transfer-{transfer.id}",
                                       actor=actor)

    @app.get("/transfers", tags=["transfers"], response_model=list[BodyTransfer])
    async def list_transfers(who: Who, request: Request) -> list[BodyTransfer]:
        """A body: the transfers waiting for its acceptance and those it asked for. The DITP, operators: all."""
        gate.require(who, Role.body, Role.ditp, Role.operator)
        if who.role == Role.body:
            return await asyncio.to_thread(transfers.list_for, who.body)
        return await asyncio.to_thread(transfers.list)

    @app.post("/transfers/{transfer_id}/accept", tags=["transfers"])
    async def accept_transfer(transfer_id: str, who: Who, request: Request) -> Any:
        transfer = await seen_transfer(who, request, transfer_id, "to")
        actor = "ditp" if who.role == Role.ditp else f"body:{who.body}"
        try:
            transfer = await asyncio.to_thread(transfers.accept, transfer_id, by=actor, on=engine.paris_today())
        except AlreadyDecided as exc:
            if exc.transfer.status != TransferStatus.accepted:
                raise transfer_problem(exc) from None
            transfer = exc.transfer  # accepted already (by this replica or another): apply it, once
        except NotAuthorised as exc:
            raise transfer_problem(exc) from None
        return {"transfer": transfer.model_dump(mode="json"), "applied": await apply_transfer(transfer, actor)}

    async def close_transfer(who: Principal, request: Request, transfer_id: str, party: str,
                             act: Callable[..., BodyTransfer]) -> BodyTransfer:
        """Refuse (the receiving body) or cancel (the sender) a pending transfer, once; the DITP may do either."""
        await seen_transfer(who, request, transfer_id, party)
        try:
            return await asyncio.to_thread(act, transfer_id, by="ditp" if who.role == Role.ditp else f"body:{who.body}")
        except AlreadyDecided as exc:
            raise transfer_problem(exc) from None

    @app.post("/transfers/{transfer_id}/refuse", tags=["transfers"], response_model=BodyTransfer)
    async def refuse_transfer(transfer_id: str, who: Who, request: Request) -> BodyTransfer:
        return await close_transfer(who, request, transfer_id, "to", transfers.refuse)

    @app.post("/transfers/{transfer_id}/cancel", tags=["transfers"], response_model=BodyTransfer)
    async def cancel_transfer(transfer_id: str, who: Who, request: Request) -> BodyTransfer:
        return await close_transfer(who, request, transfer_id, "from", transfers.cancel)

    # ------------------------------------------------------------------ public
    @app.get("/public/labels", tags=["public"], summary="Labelled services (suspended ones flagged)")
    async def public_labels() -> list[dict[str, Any]]:
        return await engine.public_list(await temporal())

    @app.get("/public/labels.csv", tags=["public"], response_class=PlainTextResponse)
    async def public_labels_csv() -> PlainTextResponse:
        rows = await engine.public_list(await temporal())
        return PlainTextResponse(engine.rows_to_csv(rows, engine.PUBLIC_LIST_COLUMNS), media_type="text/csv")

    # ------------------------------------------------------------------ cycles
    @app.post("/cycles", status_code=201, tags=["cycles"], response_model=StartedCycle)
    async def start_cycle(candidate: Candidate, who: Who, request: Request) -> StartedCycle:
        handle = await gate.open_candidacy(who, candidate, settings.task_queue)
        return StartedCycle(workflow_id=handle.id, candidate=candidate.id)

    @app.post("/cycles:import", status_code=201, tags=["cycles"], response_model=StartedCycle)
    async def import_cycle(plan: CycleImport, who: Who, request: Request) -> StartedCycle:
        """A candidacy already under way and its dated facts, replayed through the same checks, each on its
        own day: the cycle ends where it would be had it run from the start (a fact the rules refuse names
        its place, ``facts.<n>``). Its timeline says it was imported, with the SHA-256 of this request's body."""
        gate.require(who, Role.body)
        if plan.candidate.certification_body != who.body:
            raise gate.refuse(who, f"{who.body} imports its own candidacies, not {plan.candidate.certification_body}'s")
        raw = await request.body()
        try:
            handle = await engine.import_candidacy(await temporal(), plan, raw, settings.task_queue, actor=f"import:body:{who.body}")
        except engine.EngineError as exc:
            if exc.kind == "conflict" and exc.owner != who.body:
                raise gate.taken(plan.candidate.id, "candidate.id") from None
            raise
        return StartedCycle(workflow_id=handle.id, candidate=plan.candidate.id)

    @app.post("/cycles:import-catalogue", tags=["cycles"], response_model=engine.CatalogueImport, openapi_extra={
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}, "example": (
            "name,sites,tier,decided_on,certification_body,agents_in_contact\n"
            "Mairie du Port,Hôtel de ville|Annexe,bronze,2025-10-02,oc-alpha,64\n")}}}})
    async def import_catalogue(who: Who, request: Request) -> engine.CatalogueImport:
        """The back catalogue of labelled services (CSV: ``name``, ``sites`` separated by ``|``, ``tier``,
        ``decided_on``, ``certification_body``, and optional ``id``, ``territory``, ``agents_in_contact``): one
        labelled cycle per row, as it stands today (expired when its 3 years are over). Every row names the
        token's body. The answer gives each row's outcome, a refused one as ``line N: …``; a refused row never
        stops the others. At most ``MAX_CATALOGUE_ROWS`` rows (spplus/limits.py) per file."""
        gate.require(who, Role.body)
        kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if kind not in ("text/csv", "text/plain"):
            raise Problem(415, "Unsupported Media Type", f"send the catalogue as CSV text (Content-Type: text/csv), "
                          f"not {kind or 'no content type'}", "catalogue")
        return await engine.import_catalogue(await temporal(), await request.body(), settings.task_queue, who.body,
                                             actor=f"import:body:{who.body}")

    @app.post("/cycles/{candidate_id}/events", tags=["cycles"])
    async def send_event(candidate_id: str, event: CycleEvent, who: Who, request: Request,
                         idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> Any:
        if event.type == "rules_edition_change":
            raise gate.refuse(who, "a cycle changes rules edition through POST /cycles/{id}/edition (DITP)")
        # The wall only: the send itself waits for a cycle that is (re)opening, as every client's does.
        await gate.may_see(who, candidate_id, act=True)
        if event.type == "renewal" and event.certification_body not in (None, who.body):
            # Handing the candidacy to another body: recorded, pending that body's acceptance (door 1).
            try:
                transfer = await asyncio.to_thread(
                    transfers.request, candidate_id, str(who.body), event.certification_body,
                    event.model_dump(mode="json"), by=f"body:{who.body}", on=engine.paris_today())
            except (NotAuthorised, TransferConflict, ValueError) as exc:
                raise transfer_problem(exc) from None
            return JSONResponse(status_code=202, content={
                "transfer": transfer.model_dump(mode="json"),
                "detail": f"waiting for {transfer.to_body}'s acceptance: POST /transfers/{transfer.id}/accept"})
        return await engine.send_event(await temporal(), candidate_id, event, idempotency_key, actor=f"body:{who.body}")

    @app.get("/cycles/{candidate_id}", tags=["cycles"], response_model=CycleView)
    async def read_cycle(candidate_id: str, who: Who, request: Request) -> CycleView:
        return await gate.own_cycle(who, candidate_id, act=False)

    @app.get("/cycles/{candidate_id}/timeline", tags=["cycles"], response_model=list[TimelineEntry])
    async def read_timeline(candidate_id: str, who: Who, request: Request) -> list[TimelineEntry]:
        await gate.own_cycle(who, candidate_id, act=False)
        return await engine.get_timeline(await temporal(), candidate_id)

    @app.get("/cycles", tags=["cycles"], response_model=CyclePage)
    async def list_cycles(who: Who, request: Request, phase: str | None = None, status: str | None = None,
                          body: str | None = None, edition: str | None = None,
                          due_within: Annotated[int | None, Query(ge=0, le=3650)] = None,
                          overdue: Annotated[bool, Query(description="Only cycles with a deadline missed and still not done.")] = False,
                          with_breaches: Annotated[bool, Query(description="Only cycles with a breach recorded.")] = False,
                          page_size: Annotated[int, Query(ge=1, le=500)] = 50, page_token: str | None = None) -> CyclePage:
        body = gate.list_scope(who, body)
        due = datetime.now(timezone.utc).date() + timedelta(days=due_within) if due_within is not None else None
        query = engine.list_query(phase, body, status, due, edition, overdue=overdue, with_breaches=with_breaches)
        token = read_page_token(page_token, query) if page_token else None
        try:
            items, next_token = await engine.list_cycles_page(await temporal(), query, page_size, token)
        except RPCError as exc:
            if token is not None:  # a token this API did not give (or one from another query)
                raise Problem(422, "Invalid request", "page_token: not a token this API gave for this query", "page_token") from None
            if exc.status == RPCStatusCode.INVALID_ARGUMENT:
                raise Problem(422, "Invalid request", f"the filters cannot be searched: {exc.message}", "phase") from None
            raise
        return CyclePage(items=items, next_page_token=pages.issue(next_token, query) if next_token else None)

    @app.get("/agenda.ics", tags=["cycles"], summary="Open deadlines as an iCalendar feed")
    async def agenda(who: Who, request: Request, body: str | None = None) -> Response:
        gate.require(who, Role.body, Role.ditp, Role.operator)
        body = who.body if who.role == Role.body else body
        from ..analysis.agenda_views import agenda_views
        from .agenda import calendar_of

        views = await agenda_views(await temporal(), body)
        return Response(calendar_of(views), media_type="text/calendar")

    # ------------------------------------------------------------------ central services (§2.2.2, §3.8.2)
    @app.post("/central", status_code=201, tags=["central"], response_model=StartedCycle)
    async def start_central(candidate: CentralCandidate, who: Who, request: Request) -> StartedCycle:
        """Open a central candidacy with its network: ⌈√n⌉ local services are drawn and their cycles started."""
        gate.may_open(who, candidate.certification_body)
        try:
            handle = await engine.start_central(await temporal(), candidate, settings.task_queue)
        except engine.EngineError as exc:
            if exc.kind in ("conflict", "too_early") and exc.owner != who.body:
                raise gate.taken(candidate.id) from None
            raise
        return StartedCycle(workflow_id=handle.id, candidate=candidate.id)

    @app.get("/central/{central_id}", tags=["central"], response_model=CentralView)
    async def read_central(central_id: str, who: Who, request: Request) -> CentralView:
        """Phase, each year's sample with its seed and how to reproduce it, results, open deadlines."""
        return await gate.own_central(who, central_id, act=False)

    @app.get("/central/{central_id}/table", tags=["central"])
    async def central_table(central_id: str, who: Who, request: Request) -> list[dict[str, Any]]:
        """The network's label table: each local service audited, the year it was drawn, its result."""
        return label_table(await gate.own_central(who, central_id, act=False))

    @app.get("/central/{central_id}/timeline", tags=["central"], response_model=list[TimelineEntry])
    async def central_timeline(central_id: str, who: Who, request: Request) -> list[TimelineEntry]:
        await gate.own_central(who, central_id, act=False)
        return await engine.get_central_timeline(await temporal(), central_id)

    @app.post("/central/{central_id}/events", tags=["central"])
    async def send_central_event(central_id: str, event: CentralEvent, who: Who, request: Request,
                                 idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> Any:
        """Record one event of the central cycle (network_reports, sample_extended, central_audit_dates, …)."""
        await gate.own_central(who, central_id, act=True)
        return await engine.send_central_event(await temporal(), central_id, event, idempotency_key, actor=f"body:{who.body}")

    # ------------------------------------------------------------------ rule editions (DITP)
    @app.get("/rules/editions", tags=["rules"], response_model=list[EditionSummary])
    async def editions(who: Who, request: Request) -> list[EditionSummary]:
        gate.require(who, Role.ditp, Role.operator)
        from ..rules.editions import edition_summaries

        return [EditionSummary.model_validate(info.model_dump()) for info in await edition_summaries(await temporal(), settings)]

    @app.post("/rules/editions", status_code=201, tags=["rules"], response_model=EditionSummary)
    async def upload_edition(upload: EditionUpload, who: Who, request: Request) -> EditionSummary:
        """A new rules edition, checked like `spplus rules check`: every problem of every file, by file name."""
        gate.require(who, Role.ditp)
        from ..rules.editions import EditionExists, store_edition

        try:
            # limits → a private temporary folder → load_rules → editions/<id>; off the event loop, which the worker shares
            rules = await asyncio.to_thread(store_edition, settings, upload.files)
        except RuleUploadRefused as exc:
            raise Problem(exc.status, "Rules edition too large" if exc.status == 413 else "Invalid rules",
                          str(exc), "files", errors=exc.problem_errors(), more=exc.more) from None
        except EditionExists as exc:
            raise Problem(409, "Conflict", str(exc), "files") from None
        log.info("edition added", edition=rules.edition_id, content_hash=rules.content_hash, token=who.token_id)
        return EditionSummary(edition=rules.edition_id, content_hash=rules.content_hash, title=rules.edition.title, running_cycles=0)

    @app.post("/cycles/{candidate_id}/edition", tags=["rules"])
    async def change_edition(candidate_id: str, change: EditionChange, who: Who, request: Request,
                             idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> Any:
        gate.require(who, Role.ditp)
        from ..rules.editions import UnknownEdition, move_cycle

        try:
            return await move_cycle(await temporal(), settings, candidate_id, change.edition, change.reason,
                                    idempotency_key, actor=f"ditp:{who.token_id}")
        except UnknownEdition as exc:
            raise Problem(422, "Refused", str(exc), "edition") from None

    # ------------------------------------------------------------------ the web pages (issue 13), in French
    from ..interfaces.pages import mount_pages

    mount_pages(app, gate, temporal, settings, pages, key)  # the same gate: one authorisation layer
    return app


def _plain(error: Any, body: Any) -> dict[str, str]:
    """One validation error as a person reads it: the field's dotted path (never a JSON position) and what to write."""
    kind = str(error.get("type", ""))
    if kind == "json_invalid":
        text = body if isinstance(body, str) else ""
        pos = next((p for p in error.get("loc", ()) if isinstance(p, int)), 0)
        return {"field": "", "message": f"the body is not valid JSON: {(error.get('ctx') or {}).get('error', 'decode error')} "
                                        f"({position(text, pos)})"}
    loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
    # A tagged union adds the event type to the path (event.visit.scores…): keep the field names only.
    field = ".".join(loc)
    message = str(error.get("msg", "invalid"))
    if kind.startswith("date") or kind.startswith("datetime"):
        message = f"write dates as YYYY-MM-DD, e.g. 2026-11-30 (got {error.get('input')!r})"
    elif kind in ("int_type", "int_parsing", "int_from_float"):
        message = f"a whole number is expected, written as a JSON integer (got {error.get('input')!r})"
    elif kind == "string_too_long" or kind == "too_long":
        message = f"{message} (the engine's limits: see the README)"
    return {"field": field, "message": message}


def default_app() -> FastAPI:
    """The app `spplus serve` and `worker.py --api` run: the configured Temporal, the data folder's tokens."""
    settings = Settings.from_env()
    return create_app(lambda: engine.connect(settings), TokenStore.from_settings(settings), settings)


__all__ = ["create_app", "default_app", "Principal", "Problem", "date"]
