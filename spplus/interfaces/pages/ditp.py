"""The DITP's pages: the rules editions — listed with their running cycles, uploaded (every problem shown at its
``file:line:column`` in the file's own text), compared value by value — and a cycle moved onto another edition
with its reason. The what-if pages are :mod:`.ditp_analysis`, the national figures :mod:`.ditp_figures`.

Every page asks :class:`~spplus.interfaces.auth.Gate` what the API's ``/rules`` routes ask: the DITP, and for
reading the editions an operator too. The work is :mod:`spplus.rules.editions`'s, shared with the API.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from ... import client as engine
from ...api.tokens import Role
from ...limits import LONG_TEXT, MAX_ERRORS_SHOWN, SHORT_TEXT
from ...rules.editions import (
    EditionExists,
    UnknownEdition,
    compare_editions,
    edition_folder,
    edition_ids,
    edition_summaries,
    move_cycle,
    store_edition,
)
from ...rules.models import RULE_FILES
from ...rules.upload import RuleUploadRefused, check_upload
from ...rules.yamlsource import RuleFileError
from ..auth import Principal
from . import ditp_analysis, ditp_figures, forms
from .kit import Kit
from .uploads import MultipartForm, multipart_of

log = structlog.get_logger("spplus.pages")

FILE_FIELD = "fichiers"  # the file input (several .yaml files)
TEXT_FIELD = "texte-"  # one textarea per rule file: texte-tiers.yaml
MAX_REASON = LONG_TEXT  # a reason written by a person, as the engine bounds it
MAX_ID = SHORT_TEXT  # a candidacy's or an edition's id, at most


# ------------------------------------------------------------------ the problems of an upload, in its files' text
@dataclass
class ShownProblem:
    """One problem of the list, linked to its line when the file's text is shown."""

    file: str
    line: int
    column: int
    message: str
    anchor: str | None


@dataclass
class ShownLine:
    number: str  # right-aligned, with its gutter
    text: str
    anchor: str | None = None  # a faulty line: marked, and the list's links lead here
    notes: list[tuple[int, str]] = field(default_factory=list)  # (column, message) under the line


@dataclass
class ShownFile:
    name: str
    anchor: str
    lines: list[ShownLine]


def slug(name: str) -> str:
    """A file name as a piece of an HTML id: ``tiers.yaml`` → ``tiers-yaml``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "fichier"


def line_anchor(name: str, line: int) -> str:
    return f"ligne-{slug(name)}-{line}"


def text_lines(text: str) -> list[str]:
    """A file's lines as an editor numbers them (a last line end starts no line of its own)."""
    lines = text.split("\n")
    return lines[:-1] if len(lines) > 1 and not lines[-1] else lines


def shown_problems(errors: list[RuleFileError], texts: dict[str, str]) -> tuple[list[ShownProblem], list[ShownFile]]:
    """The problems, each linked to its line, and each faulty file's text with its faulty lines marked."""
    faulty: dict[str, dict[int, list[tuple[int, str]]]] = {}
    problems = []
    for error in errors:
        lines = text_lines(texts[error.file]) if error.file in texts else None
        anchor = None
        if lines is not None:
            line = min(max(error.line, 1), len(lines))
            faulty.setdefault(error.file, {}).setdefault(line, []).append((max(error.column, 1), error.message))
            anchor = line_anchor(error.file, line)
        problems.append(ShownProblem(error.file, error.line, error.column, error.message, anchor))
    files = []
    for name, marks in faulty.items():
        lines = text_lines(texts[name])
        width = len(str(len(lines)))
        files.append(ShownFile(name, f"fichier-{slug(name)}", [
            ShownLine(f"{number:>{width}} │ ", text, line_anchor(name, number) if number in marks else None,
                      marks.get(number, []))
            for number, text in enumerate(lines, start=1)]))
    return problems, files


def upload_texts(form: MultipartForm) -> tuple[dict[str, str], list[RuleFileError]]:
    """Each rule file's text: the textareas' first, then the files chosen (a file replaces the text of its name);
    a file that is not UTF-8 is a problem at the byte where it stops being text."""
    texts: dict[str, str] = {}
    for name in RULE_FILES:
        value = (form.fields.get(TEXT_FIELD + name) or [""])[0].replace("\r\n", "\n")  # browsers send CRLF
        if value.strip():
            texts[name] = value
    problems = []
    for upload in form.files:
        if upload.field != FILE_FIELD:
            continue
        try:
            texts[upload.name] = upload.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = upload.data.count(b"\n", 0, exc.start) + 1
            column = exc.start - (upload.data.rfind(b"\n", 0, exc.start) + 1) + 1
            problems.append(RuleFileError(upload.name, line, column, "not UTF-8 text: save the file as UTF-8"))
    return texts, problems


def refusal_with(texts: dict[str, str], unreadable: list[RuleFileError]) -> RuleUploadRefused:
    """The refusal of an upload with unreadable files: theirs and the readable files' problems (synchronous)."""
    try:
        check_upload(texts)
    except RuleUploadRefused as exc:
        return RuleUploadRefused(max(exc.status, 422), [*exc.errors, *unreadable])
    return RuleUploadRefused(422, unreadable)


def edition_line(text: str) -> int:
    """The line of ``edition:`` in edition.yaml (1 when there is none)."""
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith("edition:"):
            return number
    return 1


# ------------------------------------------------------------------ the pages
def routes(kit: Kit) -> APIRouter:
    router = kit.router()
    _editions(kit, router)
    _upload(kit, router)
    _compare(kit, router)
    _move(kit, router)
    ditp_analysis.add_routes(kit, router)
    ditp_figures.add_routes(kit, router)
    return router


def _editions(kit: Kit, router: APIRouter) -> None:
    @router.get("/ditp/editions")
    async def editions(request: Request) -> Response:
        """The editions, each with its dates and the running cycles that pinned it (GET /rules/editions)."""
        who, session = kit.session_of(request)
        kit.gate.require(who, Role.ditp, Role.operator)
        listed = await edition_summaries(await kit.temporal(), kit.settings)
        added = request.query_params.get("ajoutee")
        return kit.render(request, "ditp_editions.html", who, session, editions=listed,
                          added=added if added in {e.edition for e in listed} else None, may_write=who.role == Role.ditp)


def _upload(kit: Kit, router: APIRouter) -> None:
    def page(request: Request, who: Principal, session: str | None, status: int = 200, **context: object) -> Response:
        defaults = {"texts": {}, "problems": [], "files": [], "more": 0, "error": None, "source": None,
                    "rule_files": list(RULE_FILES), "max_shown": MAX_ERRORS_SHOWN}
        return kit.render(request, "ditp_edition_new.html", who, session, status, **{**defaults, **context})

    @router.get("/ditp/editions/nouvelle")
    async def new_edition(request: Request) -> Response:
        """The upload form; ``?depuis=<edition>`` fills the texts with that edition's files, to change a few values."""
        who, session = kit.session_of(request)
        kit.gate.require(who, Role.ditp)
        texts: dict[str, str] = {}
        source = request.query_params.get("depuis")
        if source:
            try:
                folder, _ = await asyncio.to_thread(edition_folder, kit.settings, source)
            except UnknownEdition:
                return page(request, who, session, 404, error=f"Aucune édition « {source[:64]} » sur ce moteur.")
            texts = {name: (folder / name).read_text(encoding="utf-8") for name in RULE_FILES if (folder / name).is_file()}
        return page(request, who, session, texts=texts, source=source)

    @router.post("/ditp/editions/nouvelle")
    async def upload(request: Request) -> Response:
        """Check and store an edition (POST /rules/editions's path); a refusal shows every problem in the files' text."""
        who, session = kit.session_of(request)
        form = await multipart_of(request)
        if (refusal := kit.unposted(request, who, session, form.fields)) is not None:
            return refusal
        kit.gate.require(who, Role.ditp)
        if form.refused:
            return page(request, who, session, 422, error=form.refused)
        texts, unreadable = upload_texts(form)
        if not texts:
            return page(request, who, session, 422, error="Choisissez les fichiers de l'édition, ou écrivez leur texte.")
        try:
            if unreadable:  # every problem at once: the readable files' too, and nothing stored
                raise await asyncio.to_thread(refusal_with, texts, unreadable)
            rules = await asyncio.to_thread(store_edition, kit.settings, texts)
        except RuleUploadRefused as exc:
            problems, files = shown_problems(exc.shown, texts)
            log.info("page edition refused", problems=len(exc.errors), token=who.token_id)
            return page(request, who, session, exc.status, texts=texts, problems=problems, files=files, more=exc.more)
        except EditionExists as exc:
            line = edition_line(texts.get("edition.yaml", ""))
            problems, files = shown_problems([RuleFileError("edition.yaml", line, 1, str(exc))], texts)
            return page(request, who, session, 409, texts=texts, problems=problems, files=files)
        except ValueError as exc:  # the rules reader failed on a value instead of refusing it: its defect, told here
            log.error("page edition: the rules reader failed", error=type(exc).__name__, message=str(exc)[:300],
                      token=who.token_id)
            return page(request, who, session, 422, texts=texts,
                        error="Le moteur n'a pas pu lire ces fichiers : une valeur y dépasse ce qu'il sait lire (par "
                              "exemple un nombre de plusieurs milliers de chiffres). Rien n'a été enregistré.")
        log.info("edition added", edition=rules.edition_id, content_hash=rules.content_hash, token=who.token_id)
        return RedirectResponse(f"/ditp/editions?ajoutee={quote(rules.edition_id)}", status_code=303)


def _compare(kit: Kit, router: APIRouter) -> None:
    @router.get("/ditp/editions/comparer")
    async def compare(request: Request) -> Response:
        """Two editions value by value: each rule path, its value in each, from which date, and its reference."""
        who, session = kit.session_of(request)
        kit.gate.require(who, Role.ditp, Role.operator)
        known = await asyncio.to_thread(edition_ids, kit.settings)
        chosen = {"a": request.query_params.get("a") or "", "b": request.query_params.get("b") or ""}
        errors: dict[str, str] = {}
        rule_sets = {}
        for key in ("a", "b"):
            if not chosen[key]:
                continue
            try:
                rule_sets[key] = (await asyncio.to_thread(edition_folder, kit.settings, chosen[key]))[1]
            except UnknownEdition:
                errors[key] = "Choisissez une édition de la liste."
        rows = compare_editions(rule_sets["a"], rule_sets["b"]) if len(rule_sets) == 2 else None
        defaults = {"a": chosen["a"] or (known[0] if known else ""), "b": chosen["b"] or (known[-1] if known else "")}
        return kit.render(request, "ditp_compare.html", who, session, 422 if errors else 200, known=known,
                          chosen=defaults, errors=errors, rows=rows, compared=rule_sets)


def _move(kit: Kit, router: APIRouter) -> None:
    def page(request: Request, who: Principal, session: str | None, status: int = 200, **context: object) -> Response:
        defaults = {"known": edition_ids(kit.settings), "values": {}, "errors": {}, "error": None, "done": None,
                    "key": uuid.uuid4().hex, "max_reason": MAX_REASON}
        return kit.render(request, "ditp_move.html", who, session, status, **{**defaults, **context})

    @router.get("/ditp/editions/changer")
    async def move_form(request: Request) -> Response:
        """Move a cycle onto another edition: the candidacy, the edition, the reason (POST /cycles/{id}/edition)."""
        who, session = kit.session_of(request)
        kit.gate.require(who, Role.ditp)
        q = request.query_params
        done = {"candidate": q["fait"][:200], "edition": (q.get("edition") or "")[:64]} if q.get("fait") else None
        return page(request, who, session, values={"candidature": (q.get("candidature") or "")[:200]}, done=done)

    @router.post("/ditp/editions/changer")
    async def move(request: Request) -> Response:
        """Send the change, or the form again with the engine's refusal beside its field."""
        who, session = kit.session_of(request)
        form = await kit.form_of(request)
        if (refusal := kit.unposted(request, who, session, form)) is not None:
            return refusal
        kit.gate.require(who, Role.ditp)
        values = {name: (form.get(name) or [""])[0].strip() for name in ("candidature", "edition", "motif", "cle")}
        errors, error = _move_errors(values), None
        if not errors:
            errors, error = await _moved(kit, who, values)
        if errors or error:
            return page(request, who, session, 422, values=values, errors=errors, error=error)
        return RedirectResponse(f"/ditp/editions/changer?fait={quote(values['candidature'])}"
                                f"&edition={quote(values['edition'])}", status_code=303)


def _move_errors(values: dict[str, str]) -> dict[str, str]:
    """What the form lacks, beside each field (a value longer than any id is refused here, never repeated)."""
    errors = {}
    if not values["candidature"]:
        errors["candidature"] = "Écrivez l'identifiant de la candidature (par exemple mairie-de-rive)."
    elif len(values["candidature"]) > MAX_ID:
        errors["candidature"] = f"Un identifiant de candidature a au plus {MAX_ID} caractères."
    if not values["edition"]:
        errors["edition"] = "Choisissez l'édition sur laquelle la candidature continue."
    elif len(values["edition"]) > MAX_ID:
        errors["edition"] = "Choisissez une édition de la liste."
    if not values["motif"]:
        errors["motif"] = "Écrivez le motif du changement : il reste sur la chronologie de la candidature."
    return errors


async def _moved(kit: Kit, who: Principal, values: dict[str, str]) -> tuple[dict[str, str], str | None]:
    """Send the change; the engine's refusal beside the field it names (or above the form)."""
    key = "page-" + (values["cle"][:64] or uuid.uuid4().hex)
    try:
        await move_cycle(await kit.temporal(), kit.settings, values["candidature"], values["edition"], values["motif"],
                         key, actor=kit.gate.actor(who))
    except UnknownEdition as exc:
        return {"edition": str(exc)}, None
    except ValidationError as exc:
        field_of = {"edition": "edition", "reason": "motif"}
        return {field_of.get(str(e["loc"][0]) if e["loc"] else "", "motif"): forms.model_message(e)
                for e in exc.errors(include_url=False)}, None
    except engine.EngineError as exc:
        log.info("page edition change refused", candidate=values["candidature"], field=exc.field, token=who.token_id)
        if exc.kind == "not_found":
            return {"candidature": f"Aucune candidature en cours de cet identifiant ({exc.message})."}, None
        target = {"edition": "edition", "reason": "motif", "candidate": "candidature"}.get((exc.field or "").split(".")[0])
        return ({target: exc.message}, None) if target else ({}, exc.message)
    log.info("page edition changed", candidate=values["candidature"], edition=values["edition"], token=who.token_id)
    return {}, None
