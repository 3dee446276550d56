"""Hostile inputs to every page route, over HTTP (httpx against the app) on the real Temporal server of
tests/temporal_cycles.

The routes are read from the app itself (``site.app.routes``: those of ``spplus/interfaces/pages``, left out of the
OpenAPI document), so a page added later is covered too; its path parameters are filled with the caller's own
candidacy, another body's, a missing one and hostile ids; the query parameters come from the pages' own code
(``query_params``…) and from their GET forms; the POST forms' fields from the forms their pages show.

Every answer must be: never a 5xx (Temporal is up: not even a 503), never a traceback nor a Python exception's
name, HTML in French for a browser (or a redirect to one of these pages; ``.ics`` and ``.txt`` downloads are
text), its refusals' messages bounded (what was typed is repeated in part only), and the same for another body's
cycle as for a missing one, its name never shown. Hostile values are sampled per field (each field gets several),
not crossed: the whole module runs in about a minute. A fault is reported with the app's frame that raised it.
"""

from __future__ import annotations

import html as htmllib
import inspect
import re
import time
import traceback
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, unquote_to_bytes

import httpx
from fastapi.routing import APIRoute

import spplus.interfaces.pages as pages_package
from spplus.interfaces.pages import forms as forms_module
from tests.pages.conftest import csrf_of, started
from tests.temporal_cycles.conftest import env, local_today, worker  # noqa: F401
from tests.temporal_cycles.test_central_cycle import CentralDriver

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
           "Accept-Language": "fr-FR,fr;q=0.9"}
ROLES = ("alpha", "beta", "ditp", "operator", "anonymous")
MISSING = "mairie-absente-0000"

# Hostile values, percent-encoded as they travel in a query string or a url-encoded form (a lone surrogate and
# bytes that are not UTF-8 can only travel so).
HOSTILE = [
    "", "%20", "-1", "99999999999999999999", "1e309", "NaN", "Infinity", "2026-02-30", "0000-01-01", "9999-12-31",
    "%ED%A0%80",  # a lone surrogate (U+D800) as UTF-8 bytes
    "%FF%FE%00",  # not UTF-8, with a NUL
    "%00%01%08%0B%1B%7F",  # control characters
    "%0D%0ASet-Cookie:%20x=1",  # a header injected
    "x" * 10_000,
    "9" * 5_000,  # digits beyond int()'s 4,300
    "%C2%B2",  # « ² »: str.isdigit() says yes, int() says no
    "%D9%A1%D9%A2",  # Arabic-Indic digits « ١٢ »
    "%E2%80%AE%F0%9F%98%80%C3%A9",  # right-to-left override, an emoji, é
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "..%2F..%2Fetc%2Fpasswd",
    "2026-W99", "10000-01", "2026-13", "-0", "0x10", "1_000", "%EF%BC%91",  # « １ » (fullwidth one)
    "0001-01-01", "9999-12", "9999-W52",  # the calendar's first and last days: a neighbour is out of range
    "%27%20OR%20%271%27%3D%271%22%5C",  # a quoted condition for a visibility query: ' OR '1'='1"\
    "%5B" * 3_000,  # « [[[… »: nested beyond any parser's recursion
    "a:%20%26a%20%5B*a%2C*a%2C*a%2C*a%5D%0Ab:%20%5B*a%2C*a%2C*a%2C*a%5D%0Ac:%20%5B*b%2C*b%2C*b%2C*b%5D",  # YAML aliases
]

# Path parameters: each route's are filled with these (``own``/``other`` are the caller's and another body's).
HOSTILE_IDS = ["x" * 3_000, "..", "%2E%2E", "%00", "%ED%A0%80", "%E2%82%AC%F0%9F%98%80", "nouvelle", "%20", "a%0Ab", "-1",
               "%3Cscript%3Ealert(1)%3C%2Fscript%3E"]
EVENT_TYPES_SAMPLED = ["self_assessment", "survey", "dossier", "visit", "decision", "rules_edition_change", "__class__"]
NUMBERS = ["1", "0", "2", "-1", "99999999999999999999", "%C2%B2", "9" * 5_000, "1e3"]

KNOWN_QUERY = {  # those read through helpers or under a computed name (the rest is found in the pages' code)
    "etape", "statut", "niveau", "territoire", "echeance_sous", "expire_sous", "q", "page", "page_retard",
    "page_manquements", "page_echecs", "mois", "semaine", "jour", "a", "b", "horizon", "lignes", "candidature",
    "en_retard", "manquements", "audit_prevu", "a_inviter", "enregistre", "ajoutee", "depuis", "exemple", "fait",
    "edition",
}
EXCEPTION_NAME = re.compile(r"Traceback|\b[A-Z][A-Za-z]*(?:Error|Exception|Refused|Invalid)\b|\bFile \"/|<module>")
# A refusal's message (beside its field, or above the form) repeats at most a bounded part of what was typed.
MESSAGE = re.compile(r'<p class="[^"]*fr-error-text[^"]*"[^>]*>(.*?)</p>'
                     r'|<div class="fr-alert[^"]*"[^>]*>(?:\s*<h\d[^>]*>.*?</h\d>)?\s*<p>(.*?)</p>', re.DOTALL)
MESSAGE_MAX = 1_000
SEND_TIMEOUT = 60
SLOW_PAGE = 0.1  # seconds: a page slower than this is sent fewer values


# ---------------------------------------------------------------------------------------------- the routes
def page_routes(app) -> list[APIRoute]:
    """The app's pages: routes of spplus/interfaces/pages, left out of the OpenAPI document (nested included
    routers walked: FastAPI keeps them so)."""
    api = set(app.openapi()["paths"])

    def walk(routes) -> Iterator[Any]:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                yield from walk(inner.routes)
            else:
                yield route

    return [r for r in walk(app.routes) if isinstance(r, APIRoute) and not r.include_in_schema and r.path not in api
            and not r.path.startswith("/static") and r.endpoint.__module__.startswith(pages_package.__name__)]


def module_literals(route: APIRoute) -> set[str]:
    source = inspect.getsource(inspect.getmodule(route.endpoint))
    return set(re.findall(r"[\"']([a-z][a-z_]{0,30})[\"']", source))


def code_query_names() -> set[str]:
    """Every query parameter the pages' code reads by name."""
    names: set[str] = set()
    for path in Path(pages_package.__file__).parent.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"(?:query_params|\bq|\bparams)(?:\.get\(|\[)\s*\"(\w+)\"", source))
        names |= set(re.findall(r"\bchoice\(\"(\w+)\"", source))
    return names


def route_query_names(route: APIRoute, every: set[str]) -> set[str]:
    """The query parameters a route's module reads (its string literals among the known names)."""
    literals = module_literals(route)
    return {n for n in every if n in literals or (n.startswith("page_") and n[5:] in literals)} | {"page"}


@dataclass
class Findings:
    """Every answer checked; the faults kept (route, input, what happened), reported together at the end."""

    markers: dict[str, list[str]]  # role → texts that role must never read (another body's cycle names)
    faults: list[str] = field(default_factory=list)
    count: int = 0

    def check(self, role: str, what: str, response: httpx.Response, text_ok: bool = False,
              markers: bool = True) -> None:
        """One answer: no 5xx, no Python name, a French page (or a redirect to one; a text download where
        ``text_ok``), its messages bounded, and nothing of another body's cycle (unless ``markers`` is False:
        the caller typed it)."""
        self.count += 1
        status, kind = response.status_code, response.headers.get("content-type", "")
        body = response.text
        where = f"{role} {what[:300]}"
        if status >= 500:
            fault = response.extensions.get("fault") or " ".join(body.split())[:300]
            self.faults.append(f"{where} → {status}: {fault}")
            return
        if EXCEPTION_NAME.search(body):
            self.faults.append(f"{where} → a Python name in the page: {EXCEPTION_NAME.search(body).group(0)}")
        if 300 <= status < 400:
            location = response.headers.get("location", "")
            if not location.startswith("/") or location.startswith("//") or any(c in location for c in "\r\n\\"):
                self.faults.append(f"{where} → redirect to {location!r}")
        elif kind.startswith("text/html"):
            fragment = response.request.headers.get("HX-Request") == "true"
            if not fragment and '<html lang="fr"' not in body:
                self.faults.append(f"{where} → {status} HTML not in French: {body[:200]!r}")
            for shown in MESSAGE.finditer(body):
                message = shown.group(1) or shown.group(2) or ""
                if len(htmllib.unescape(re.sub(r"<[^>]+>", "", message))) > MESSAGE_MAX:
                    self.faults.append(f"{where} → a message of {len(message)} characters: {message[:120]!r}…")
        elif not (text_ok and kind.split(";")[0] in ("text/plain", "text/calendar")):
            self.faults.append(f"{where} → {status} {kind}, not a page: {body[:200]!r}")
        for marker in self.markers.get(role, []) if markers else []:
            if marker in body:
                self.faults.append(f"{where} → shows another body's cycle ({marker})")

    def same_as_missing(self, role: str, what: str, other: httpx.Response, missing: httpx.Response,
                        other_id: str, missing_id: str = MISSING) -> None:
        """Another body's cycle answers exactly as a missing one (but for the id the caller typed)."""
        def norm(r: httpx.Response) -> str:
            text = r.text
            for typed in (other_id, missing_id):
                text = text.replace(typed, "<id>").replace(quote(typed), "<id>").replace(quote_plus(typed), "<id>")
                text = text.replace(htmllib.escape(typed), "<id>")
            return re.sub(r"\b[0-9a-f]{32}\b", "<key>", text)

        if other.status_code != missing.status_code or norm(other) != norm(missing):
            self.faults.append(f"{role} {what} → another body's cycle ({other.status_code}) is not told as a missing "
                               f"one ({missing.status_code})")

    def assert_none(self) -> None:
        assert not self.faults, f"{len(self.faults)} faults in {self.count} answers:\n" + "\n".join(self.faults[:60])


# ---------------------------------------------------------------------------------------------- the world
@dataclass
class World:
    site: Any
    clients: dict[str, httpx.AsyncClient]
    own: dict[str, str]  # body role → its candidacy
    central: str  # oc-alpha's central service
    feed: dict[str, str]  # role → its agenda feed key
    names: dict[str, str]  # body role → its candidacy's name

    def fill(self, route: APIRoute, role: str) -> Iterator[tuple[str, str, dict[str, str]]]:
        """(label, path, params) for each filling of the route's path parameters: the first is the caller's own."""
        params = re.findall(r"\{(\w+)(?::\w+)?\}", route.path)
        base = {p: self.default(p, role) for p in params}
        yield "own", self.path(route, base), base
        for p in params:
            for label, value in self.values(p, role):
                changed = {**base, p: value}
                yield f"{p}={label}", self.path(route, changed), changed

    def default(self, param: str, role: str) -> str:
        if param == "candidate_id":
            return self.own.get(role, self.own["alpha"])
        return {"event_type": "self_assessment", "central_id": self.central, "number": "1",
                "feed_key": self.feed.get(role, self.feed["alpha"])}[param]

    def values(self, param: str, role: str) -> list[tuple[str, str]]:
        hostile = [(f"hostile {v[:24]!r}", v) for v in HOSTILE_IDS]
        if param == "candidate_id":
            other = self.own["beta"] if role == "alpha" else self.own["alpha"]
            return [("other", other), ("missing", MISSING), *hostile]
        if param == "central_id":
            return [("other", self.central), ("missing", MISSING), *hostile]
        if param == "event_type":
            return [(t, t) for t in EVENT_TYPES_SAMPLED] + hostile
        if param == "number":
            return [(n[:24], n) for n in NUMBERS]
        if param == "feed_key":
            # A feed key is its link's capability (a calendar application cannot sign in): another role's key
            # reads that role's agenda. A forged one answers as one that names no token.
            forged = self.feed["alpha"][:-2] + ("AA" if not self.feed["alpha"].endswith("AA") else "BB")
            return [("forged", forged), ("missing", "eA.AAAAAAAAAAAAAAAAAAAAAA"), *hostile]
        raise AssertionError(f"a page has a path parameter this test does not fill: {param} (add its values)")

    @staticmethod
    def path(route: APIRoute, values: dict[str, str]) -> str:
        return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], route.path)

    def other_of(self, role: str, param: str) -> str | None:
        """The id that is another body's for ``role``, when it is one (the DITP and operators see every cycle)."""
        if role not in ("alpha", "beta", "anonymous") or param not in ("candidate_id", "central_id"):
            return None
        if param == "central_id":
            return self.central if role != "alpha" else None
        return self.own["beta"] if role == "alpha" else self.own["alpha"]


async def world(site, env) -> World:  # noqa: F811
    names = {b: f"Mairie Secrète {b.title()} {uuid.uuid4().hex[:6]}" for b in ("alpha", "beta")}
    own = {b: await started(site, b, name=names[b]) for b in ("alpha", "beta")}
    central = CentralDriver(env, 2)
    await central.start()
    clients: dict[str, httpx.AsyncClient] = {}
    for role in ROLES:
        clients[role] = await browser(site, role)
    feed = {}
    for role in ("alpha", "beta", "ditp", "operator"):
        agenda = (await clients[role].get("/agenda")).text
        feed[role] = re.search(r"/agenda/flux/([^/\"]+)/echeances\.ics", agenda).group(1)
    return World(site, clients, own, central.candidate.id, feed, names)


async def closed(w: World) -> None:
    for client in w.clients.values():
        await client.aclose()


class Witness(httpx.ASGITransport):
    """The app over ASGI; an exception it lets out is a 500, as a server answers, with where it was raised kept
    for the test's report (the app's last frame and the exception)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except Exception as exc:  # noqa: BLE001 — what the test reports
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/spplus/" in f.filename]
            where = f"{frames[-1].filename.split('/spplus/')[-1]}:{frames[-1].lineno}" if frames else "?"
            return httpx.Response(500, text="Internal Server Error", request=request,
                                  extensions={"fault": f"{type(exc).__name__} at spplus/{where}: {str(exc)[:160]}"})


async def browser(site, role: str) -> httpx.AsyncClient:
    """A browser-like client (its own cookies, a browser's Accept) signed in as ``role``, or anonymous with its
    sign-in cookie; an exception the app lets out is answered 500, as a server would (not raised here)."""
    transport = Witness(app=site.app)
    client = httpx.AsyncClient(transport=transport, base_url="http://engine", headers=BROWSER,
                               timeout=httpx.Timeout(SEND_TIMEOUT))
    form = await client.get("/connexion")  # the sign-in cookie a CSRF token is bound to
    if role != "anonymous":
        signed = await client.post("/connexion", data={"csrf": csrf_of(form.text), "jeton": site.secrets[role]})
        assert signed.status_code == 303, signed.text
    return client


def markers_of(w: World) -> dict[str, list[str]]:
    return {"alpha": [w.names["beta"]], "beta": [w.names["alpha"], "Caisse nationale (test)"],
            "anonymous": [w.names["alpha"], w.names["beta"]]}


def csrf(page: str) -> str:
    """A page's CSRF token ('' when it shows no form)."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    return found.group(1) if found else ""


# ---------------------------------------------------------------------------------------------- tests
async def test_the_routes_are_read_from_the_app_and_other_methods_answer_in_french(site):
    """The pages found in the app are those of spplus/interfaces/pages (no API route, no static file), the query
    parameters found in their code include those known; a method a page does not answer gets a French page."""
    routes = page_routes(site.app)
    paths = {(r.path, m) for r in routes for m in r.methods}
    for known in [("/candidatures", "GET"), ("/candidatures/{candidate_id}/evenements/{event_type}", "POST"),
                  ("/ditp/simulation/decisions", "POST"), ("/agenda/flux/{feed_key}/echeances.ics", "GET")]:
        assert known in paths
    assert not any(p.startswith(("/static", "/metrics", "/cycles")) for p, _ in paths)
    every = code_query_names()
    assert {"etape", "horizon", "lignes", "mois", "a", "b", "candidature"} <= every, every
    # A page asked with a method it does not answer: a French page too (405 reads as an address that is none).
    found = Findings({})
    client = await browser(site, "alpha")
    try:
        for route in routes:
            path = re.sub(r"\{(\w+)(?::\w+)?\}", MISSING, route.path)
            for method in {"GET", "POST", "PUT", "DELETE", "PATCH"} - route.methods:
                answer = await client.request(method, path, content=b"x=1", headers=URLENCODED)
                found.check("alpha", f"{method} {path}", answer, text_ok=route.path.endswith((".ics", ".txt")))
    finally:
        await client.aclose()
    found.assert_none()


async def test_every_get_page_refuses_hostile_paths_and_queries_in_french(site, env):  # noqa: F811
    w = await world(site, env)
    found = Findings(markers_of(w))
    try:
        routes = [r for r in page_routes(site.app) if "GET" in r.methods]
        every_query = code_query_names() | KNOWN_QUERY
        for route in routes:
            text_ok = route.path.endswith((".ics", ".txt"))
            # Path parameters: each filling, for each role; another body's cycle as a missing one.
            for role in ROLES:
                client = w.clients[role]
                answers: dict[str, httpx.Response] = {}
                for label, path, _ in w.fill(route, role):
                    response = await client.get(path)
                    found.check(role, f"GET {path[:200]} ({label})", response, text_ok)
                    answers[label] = response
                for p in re.findall(r"\{(\w+)(?::\w+)?\}", route.path):
                    other = w.other_of(role, p)
                    if other and f"{p}=other" in answers and f"{p}=missing" in answers:
                        found.same_as_missing(role, f"GET {route.path} ({p})", answers[f"{p}=other"],
                                              answers[f"{p}=missing"], other)
            # Query parameters: for each role the page answers, every parameter at once (each value in turn,
            # an htmx request every other time), then each of the route's own parameters alone (several values).
            # A page that takes long (the dashboard's dozen counts, the national figures) gets every third value.
            names = sorted(every_query)
            own_names = sorted(route_query_names(route, every_query))
            deepest = None
            for role in ROLES:
                client = w.clients[role]
                path = next(w.fill(route, role))[1]
                started_at = time.perf_counter()
                if (await client.get(path)).status_code != 200:
                    continue
                step = 3 if time.perf_counter() - started_at > SLOW_PAGE else 1
                values = range(0, len(HOSTILE), step) if deepest is None else (0, 10, 15)
                for i in values:
                    query = "&".join(f"{n}={HOSTILE[(i + j) % len(HOSTILE)]}" for j, n in enumerate(names))
                    headers = {"HX-Request": "true"} if i % 2 else {}
                    if i % 4 == 3:
                        headers["HX-History-Restore-Request"] = "true"
                    found.check(role, f"GET {path}?{query[:200]} {headers}",
                                await client.get(f"{path}?{query}", headers=headers), text_ok)
                if deepest is not None:
                    continue
                deepest = role  # each of the route's own parameters alone, as the first role it answers
                shown = (await client.get(path)).text
                own_names = sorted(set(own_names) | {f.name for form in forms_of(shown) if form.method == "get"
                                                     for f in form.fields})
                for j, name in enumerate(own_names):
                    for k in range(4 if step == 1 else 2):
                        value = HOSTILE[(j * 5 + k * 7) % len(HOSTILE)]
                        found.check(role, f"GET {path}?{name}={value[:60]}", await client.get(f"{path}?{name}={value}"),
                                    text_ok)
                    repeated = f"{name}=1&{name}=%ED%A0%80&{name}=" + "9" * 30
                    found.check(role, f"GET {path}?{repeated}", await client.get(f"{path}?{repeated}"), text_ok)
            if "q" in own_names:  # another body's cycle searched by its very name or id: as if there were none
                for role, other in (("alpha", "beta"), ("beta", "alpha"), ("anonymous", "alpha")):
                    path = next(w.fill(route, role))[1]
                    for words, none in ((w.names[other], w.names[other][:-6] + "000000"), (w.own[other], MISSING)):
                        asked = await w.clients[role].get(path, params={"q": words})
                        found.check(role, f"GET {path}?q={words}", asked, markers=False)
                        found.same_as_missing(role, f"GET {path}?q=…", asked,
                                              await w.clients[role].get(path, params={"q": none}), words, none)
    finally:
        await closed(w)
    found.assert_none()


# ---------------------------------------------------------------------------------------------- forms
@dataclass
class Field:
    name: str
    kind: str  # an input's type, or select, textarea


@dataclass
class Form:
    action: str
    method: str
    multipart: bool
    fields: list[Field]


def forms_of(page: str) -> list[Form]:
    """The forms of a page, with their fields' names (as a browser would send them)."""
    out = []
    for attributes, inner in re.findall(r"<form\b([^>]*)>(.*?)</form>", page, re.DOTALL):
        action = htmllib.unescape(re.search(r'action="([^"]*)"', attributes).group(1)) if "action=" in attributes else ""
        method = (re.search(r'method="(\w+)"', attributes) or re.search("(get)", "get")).group(1).lower()
        fields, seen = [], set()
        for tag, rest in re.findall(r"<(input|select|textarea)\b([^>]*)>", inner):
            name = re.search(r'\bname="([^"]+)"', rest)
            if not name or name.group(1) in seen:
                continue
            seen.add(name.group(1))
            kind = re.search(r'\btype="(\w+)"', rest)
            fields.append(Field(htmllib.unescape(name.group(1)), kind.group(1) if tag == "input" and kind else tag))
        out.append(Form(action, method, "multipart/form-data" in attributes, fields))
    return out


def raw(value: str) -> bytes:
    """A hostile value's bytes (they are written percent-encoded)."""
    return unquote_to_bytes(value)


def urlencoded(values: dict[str, str]) -> bytes:
    """A url-encoded body; the values are already percent-encoded (so a lone surrogate travels)."""
    return "&".join(f"{quote(name, safe='')}={value}" for name, value in values.items()).encode()


BOUNDARY = "----hostile7MA4YWxkTrZu0gW"


def multipart(parts: list[tuple[str, str | None, bytes]]) -> bytes:
    """A multipart/form-data body: (name, file name or None for a text field, bytes)."""
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + ("" if filename is None else f'; filename="{filename}"')
        kind = b"" if filename is None else b"Content-Type: application/octet-stream\r\n"
        out += (f"--{BOUNDARY}\r\nContent-Disposition: ".encode() + disposition.encode("utf-8", "surrogatepass")
                + b"\r\n" + kind + b"\r\n" + data + b"\r\n")
    return out + f"--{BOUNDARY}--\r\n".encode()


MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
URLENCODED = {"content-type": "application/x-www-form-urlencoded"}
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\xed\xa0\x80\x00" * 64  # not UTF-8 text
VALID_CSV = ("\n".join([";".join([f"Q{n}" for n in range(1, 16)] + ["termine"])]
                       + [";".join(["Tout à fait d'accord"] * 15 + ["oui"]) for _ in range(84)]) + "\n").encode()
FILES = [("", b""), ("vide.csv", b""), ("image.png", BINARY), ("../../etc/passwd", b"root:x:0:0\n"),
         ("x" * 2_000 + ".yaml", b"a: 1\n"), ("%00.yaml", b"\x00\x00"), ("\u202eliam.yaml", b"- [\n"),
         ("\ud800.csv", b"Q1\n"), ("tiers.yaml", b"\xef\xbb\xbf" + "é".encode("latin-1") + b": [\n")]


def base_files(action: str, names: list[str]) -> dict[str, tuple[str, bytes]]:
    """The files a form is sent with beside valid values: the survey's export, else none chosen (a browser
    sends an empty part without a name)."""
    return {n: ("export.csv", VALID_CSV) if action.endswith("/enquete") else ("", b"") for n in names}


def baseline(action: str, w: World, known_edition: str) -> dict[str, str]:
    """Valid values for the forms that have them, so that one hostile field goes as deep as the engine."""
    def days(n: int) -> str:
        return (local_today() - timedelta(days=n)).isoformat()

    if action.endswith("/candidatures/nouvelle"):
        return {"id": f"mairie-{uuid.uuid4().hex[:8]}", "name": "Mairie de Rive", "territory": "metropole",
                "sites.0.id": "hdv", "sites.0.name": "H%C3%B4tel de ville", "agents_in_contact": "64",
                "contract_signed": days(120)}
    if action.endswith("/evenements/self_assessment"):
        return {"done_on": days(10), "global_result": "72%2C5"}
    if action.endswith("/evenements/survey"):
        return {"kind": "user", "closed_on": days(10), "solicited": "1200", "summary.note": "76%2C28",
                "summary.admissible": "84"}
    if action.endswith("/evenements/audit_dates"):
        return {"audit": "initial", "visit_start": days(-90), "visit_end": days(-90), "sites": "hdv"}
    if action.endswith("/evenements/observations"):
        return {"received_on": days(1), "text": "Rien%20%C3%A0%20ajouter."}
    if action.endswith("/enquete"):
        return {"kind": "user", "closed_on": days(10), "solicited": "1200"}
    if action.endswith("/ditp/editions/changer"):
        return {"candidature": w.own["alpha"], "edition": known_edition, "motif": "Essai", "cle": uuid.uuid4().hex}
    if action.endswith("/ditp/simulation/decisions"):
        return {"actuelle": known_edition, "proposee": known_edition, "source": "fichier", "decisions": "[]"}
    return {}


class Sender:
    """Posts as each role, keeping each role signed in (a post that signs a client out gets it a new one)."""

    def __init__(self, w: World, found: Findings) -> None:
        self.w, self.found, self.tokens = w, found, {}

    async def token(self, role: str) -> str:
        if role not in self.tokens:
            self.tokens[role] = csrf((await self.w.clients[role].get("/connexion")).text)
        return self.tokens[role]

    async def post(self, role: str, path: str, what: str, body: bytes, headers: dict[str, str],
                   check: bool = True) -> httpx.Response:
        client = self.w.clients[role]
        response = await client.post(path, content=body, headers=headers)
        if check:
            self.found.check(role, f"POST {path[:200]} {what[:300]}", response)
        if "spplus_session" in response.headers.get("set-cookie", "") or "spplus_session" not in client.cookies:
            await client.aclose()  # signed out (or in as someone else): the role's browser starts again
            self.w.clients[role] = await browser(self.w.site, role)
            self.tokens.pop(role, None)
        return response

    async def form(self, role: str, path: str, form: Form, values: dict[str, str], files: dict[str, tuple[str, bytes]],
                   what: str, token: bool = True, as_multipart: bool | None = None, htmx: bool = False) -> httpx.Response:
        """``values`` (percent-encoded) in the fields they name, sent as the form is (or the other way), as htmx
        sends it when ``htmx``."""
        values = ({"csrf": await self.token(role)} if token else {}) | values
        hx = {"HX-Request": "true"} if htmx else {}
        if as_multipart if as_multipart is not None else form.multipart:
            parts = [(n, None, raw(v)) for n, v in values.items()]
            parts += [(n, filename, data) for n, (filename, data) in files.items()]
            return await self.post(role, path, f"{what}{' (htmx)' if htmx else ''}", multipart(parts), MULTIPART | hx)
        return await self.post(role, path, f"{what}{' (htmx)' if htmx else ''}", urlencoded(values), URLENCODED | hx)


def owner_of(path: str) -> str:
    return "ditp" if path.startswith("/ditp") else "anonymous" if path == "/connexion" else "alpha"


async def test_every_post_page_refuses_hostile_forms_in_french(site, env):  # noqa: F811
    w = await world(site, env)
    found = Findings(markers_of(w))
    sender = Sender(w, found)
    try:
        routes = [r for r in page_routes(site.app) if "POST" in r.methods]
        gets = [r for r in page_routes(site.app) if "GET" in r.methods]
        move_form = (await w.clients["ditp"].get("/ditp/editions/changer")).text
        known_edition = re.search(r'<option value="([^"]+)"', move_form).group(1)
        # The forms each POST route is sent from, found on the pages that show them (as their owner, and as a
        # body the survey's preview, which holds the confirmation's form).
        shown: dict[str, list[Form]] = {}
        pages = [next(w.fill(r, "alpha"))[1] for r in gets]
        pages += [f"/candidatures/{w.own['alpha']}/evenements/{t}" for t in forms_module.FORM_TYPES]
        for role in ("alpha", "ditp", "anonymous"):
            for path in dict.fromkeys(pages):
                answer = await w.clients[role].get(path)
                if answer.status_code == 200 and answer.headers["content-type"].startswith("text/html"):
                    for form in forms_of(answer.text):
                        if form.method == "post":
                            shown.setdefault(form.action.split("?")[0], [form])
        preview = await sender.form("alpha", f"/candidatures/{w.own['alpha']}/enquete", Form("", "post", True, []),
                                    baseline("/enquete", w, known_edition), {"csv": ("export.csv", VALID_CSV)},
                                    "a valid survey")
        assert preview.status_code == 200 and 'id="form-confirmer"' in preview.text, preview.text[:2000]
        for form in forms_of(preview.text):
            shown.setdefault(form.action, [form])
        by_route: dict[str, list[tuple[str, Form]]] = {}
        for action, (form, *_) in shown.items():
            route = next((r for r in routes if r.path_regex.fullmatch(action)), None)
            assert route is not None, f"a page posts to {action}, which is no page route"
            by_route.setdefault(route.path, []).append((action, form))
        for route in routes:
            assert route.path in by_route, f"no page shows a form that posts to {route.path}: where are its fields?"

        for route in routes:
            forms = by_route[route.path]
            action0, form0 = forms[0]
            params = re.findall(r"\{(\w+)(?::\w+)?\}", route.path)
            hostile_values = {f.name: HOSTILE[j % len(HOSTILE)] for j, f in enumerate(form0.fields)
                              if f.name != "csrf" and f.kind != "file"}
            hostile_files = {f.name: FILES[2] for f in form0.fields if f.kind == "file"}
            # The wall: each path filling, each role, with its CSRF token (and without, for the cycles' ids).
            for role in ROLES:
                answers: dict[tuple[str, bool], httpx.Response] = {}
                for label, path, _ in w.fill(route, role):
                    walls = ("own", *(f"{p}=other" for p in params), *(f"{p}=missing" for p in params))
                    for token in (True, False) if label in walls else (True,):
                        answers[(label, token)] = await sender.form(role, path, form0, hostile_values, hostile_files,
                                                                    f"({label}, csrf={token})", token)
                for p in params:
                    other = w.other_of(role, p)
                    for token in (True, False):
                        if other and (f"{p}=other", token) in answers:
                            found.same_as_missing(role, f"POST {route.path} ({p}, csrf={token})",
                                                  answers[(f"{p}=other", token)], answers[(f"{p}=missing", token)],
                                                  other)
            # The fields: as the form's owner with its token, each field given several hostile values (in turn,
            # all fields at once), then each alone beside valid values where the form has them.
            owner = owner_of(route.path)
            for action, form in forms:
                names = [f.name for f in form.fields if f.name != "csrf" and f.kind != "file"]
                file_fields = [f.name for f in form.fields if f.kind == "file"]
                for i in range(0, len(HOSTILE), 4):
                    values = {n: HOSTILE[(i + j) % len(HOSTILE)] for j, n in enumerate(names)}
                    files = {n: FILES[(i // 4 + j) % len(FILES)] for j, n in enumerate(file_fields)}
                    await sender.form(owner, action, form, values, files, f"every field, values from #{i}",
                                      htmx=i % 8 == 4)
                base = baseline(action, w, known_edition)
                if base:
                    for j, name in enumerate(names):
                        for k in range(3):
                            value = HOSTILE[(j * 3 + k * 5) % len(HOSTILE)]
                            fresh = baseline(action, w, known_edition)
                            await sender.form(owner, action, form, {**fresh, name: value},
                                              base_files(action, file_fields), f"{name}={value[:60]}")
                    for filename, data in FILES:
                        for name in file_fields:
                            await sender.form(owner, action, form, base, {name: (filename, data)},
                                              f"file {name}={filename[:40]!r} ({len(data)} bytes)")
            # The body itself: the other encoding, empty, truncated, unreadable, too many fields, too large.
            values = {n: "1" for n in hostile_values}
            files = {n: ("a.csv", VALID_CSV) for n in hostile_files}
            await sender.form(owner, action0, form0, values, files, "the other encoding",
                              as_multipart=not form0.multipart)
            token = (await sender.token(owner)).encode()
            whole = multipart([("csrf", None, token), *((n, None, b"1") for n in values),
                               *((n, f, d) for n, (f, d) in files.items())])
            nameless = f"--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode()
            first = next(iter(values), "x").encode()
            bodies = [
                ("empty, url-encoded", b"", URLENCODED), ("empty, multipart", b"", MULTIPART), ("empty, no type", b"", {}),
                ("truncated multipart", whole[: len(whole) // 2], MULTIPART),
                ("multipart without its boundary", whole, {"content-type": "multipart/form-data"}),
                ("multipart, another boundary", whole, {"content-type": "multipart/form-data; boundary=autre"}),
                ("a part without a name", nameless, MULTIPART),
                ("url-encoded, not UTF-8",
                 b"&".join([b"csrf=" + token, *(n.encode() + b"=\xff\xfe\xed\xa0\x80" for n in values)]), URLENCODED),
                ("url-encoded, 600 fields", b"&".join([b"csrf=" + token, *(b"f%d=1" % n for n in range(600))]), URLENCODED),
                ("url-encoded, 150 kB", b"csrf=" + token + b"&" + first + b"=" + b"x" * 150_000, URLENCODED),
                ("url-encoded, latin-1", urlencoded({"csrf": token.decode(), **values}),
                 {"content-type": "application/x-www-form-urlencoded; charset=latin-1"}),
                ("json", b'{"csrf": "' + token + b'"}', {"content-type": "application/json"}),
                ("text/plain", b"csrf=" + token, {"content-type": "text/plain"}),
            ]
            for what, body, headers in bodies:
                await sender.post(owner, action0, what, body, headers)
    finally:
        await closed(w)
    found.assert_none()


async def test_forged_cookies_read_as_signed_out_in_french(site, env):  # noqa: F811
    """A session or sign-in cookie that is forged, cut, too long or not text is no session: the page answers as
    to someone signed out (never a 5xx), and a form posted with it is refused."""
    cid = await started(site, "alpha")
    async with httpx.AsyncClient(transport=Witness(app=site.app), base_url="http://engine", headers=BROWSER) as real:
        signed = await real.post("/connexion", data={"csrf": csrf_of((await real.get("/connexion")).text),
                                                     "jeton": site.secrets["alpha"]})
        session = signed.cookies["spplus_session"]
    payload, mac = session.split(".")
    flip = {"A": "B"}
    forged = [b"", b".", b"a.b", b"x" * 600, b"a" * 30 + b"." + b"b" * 30, b"\xff\xfe\xed\xa0\x80.\x00", b"%ED%A0%80.%00",
              f"{flip.get(payload[0], 'A')}{payload[1:]}.{mac}".encode(),  # another token id: its MAC fails
              f"{payload}.{flip.get(mac[0], 'A')}{mac[1:]}".encode(), f"{session}.{session}".encode(), b"=?utf-8?q?x?="]
    nonces = [b"\xc3\xa9" * 10, b"<script>" * 4, b"x" * 16, b"x" * 65, b"\x00" * 20]
    found = Findings({"anonymous": ["Mairie de Test"]})
    async with httpx.AsyncClient(transport=Witness(app=site.app), base_url="http://engine", headers=BROWSER) as client:
        for value in forged:
            cookie = {"cookie": b"spplus_session=" + value}
            for path in ("/", "/tableau-de-bord", "/connexion", f"/candidatures/{cid}", "/liste-publique"):
                answer = await client.get(path, headers=cookie)
                found.check("anonymous", f"GET {path} session={value[:40]!r}", answer)
                assert answer.status_code != 200 or path in ("/connexion", "/liste-publique"), (path, value)
            posted = await client.post(f"/candidatures/{cid}/evenements/self_assessment", headers=cookie | URLENCODED,
                                       content=b"csrf=x&done_on=2026-01-01")
            found.check("anonymous", f"POST session={value[:40]!r}", posted)
            assert posted.status_code == 303 and posted.headers["location"] == "/connexion"
        for value in nonces:
            cookie = {"cookie": b"spplus_connexion=" + value}
            form = await client.get("/connexion", headers=cookie)
            found.check("anonymous", f"GET /connexion nonce={value[:40]!r}", form)
            posted = await client.post("/connexion", headers=cookie | URLENCODED,
                                       content=urlencoded({"csrf": csrf(form.text), "jeton": "x"}))
            found.check("anonymous", f"POST /connexion nonce={value[:40]!r}", posted)
    found.assert_none()
