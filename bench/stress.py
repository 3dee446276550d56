"""Stress the engine's edge as callers would (issue 10, "Done when"): not a test, a measurement.

    python bench/stress.py                          # 200 cycles, 180 s of traffic
    python bench/stress.py --seconds 60 --cycles 50 --json

It starts `worker.py --api` (the real embedded Temporal server) on a temporary data folder and free
ports, creates API tokens in that folder, opens `--cycles` candidacies over HTTP (and a few invalid
ones), then for `--seconds` sends from `--concurrency` callers a mix of

* valid events, in each cycle's order (self-assessment and surveys dated today, audit dates ahead,
  dossier, plan, a postponement; or a whole audit in one day, up to the decision);
* invalid ones: wrong order, impossible or far dates, unknown sites, malformed JSON (truncated,
  keys written twice, a lone surrogate, booleans for counts, an unknown type);
* oversized ones: text fields far over their limits, an Idempotency-Key over 200 characters, a
  body over 2 MB;
* duplicates (the same Idempotency-Key with the same body, once or twice at the same time) and
  key reuse (the same key with another body);
* a body acting on another body's cycle, and reads (a cycle, its timeline, the list, /agenda.ics).

In the middle the worker is killed with SIGKILL and started again on the same data folder. Requests
that cannot connect meanwhile are counted as "not delivered", not as 5xx; those whose connection
dropped or that timed out are sent again once, with the same key, when the engine is back.

At the end it prints: requests sent, acknowledged (2xx), refused by kind (status and problem title),
5xx (must be 0), cycles stuck (GET /cycles/{id} or its timeline not 200, or its workflow failing a
task; must be 0), acknowledged events missing from their cycle's timeline or applied twice (each
acknowledged event id must appear exactly once; must be 0). `--json` prints the same as JSON too.
Exit status 1 when one of the "must be 0" figures is not.

Traffic goes to 127.0.0.1 only; every loop is bounded in time and count; every process it starts
is stopped by its own id (and its process group) at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from spplus.api.tokens import Role, TokenStore  # noqa: E402
from tests.temporal_cycles.steps import DOSSIER, one_day_cycle  # noqa: E402

HOST = "127.0.0.1"
BODIES = ("oc-stress-a", "oc-stress-b")
MUST_BE_ZERO = ("5xx", "cycles_stuck", "acknowledged_missing", "applied_twice")

# What each kind of request is, and how often it is sent (weights).
MIX = {
    "valid": 34, "duplicate": 9, "duplicate_concurrent": 2, "key_reuse": 6,
    "invalid_order": 7, "invalid_dates": 8, "unknown_site": 5, "malformed": 8,
    "oversized_field": 5, "oversized_key": 1, "oversized_body": 2, "forbidden": 3,
    "read_cycle": 5, "read_timeline": 3, "read_list": 1, "read_agenda": 1,
}
# The answer each kind should get: 2xx, or a refusal (4xx).
EXPECTED_2XX = {"valid", "duplicate", "duplicate_concurrent", "read_cycle", "read_timeline", "read_list", "read_agenda",
                "start_cycle", "retry"}


def paris_date():
    # The stressed cycles are metropolitan: their « today » is the Paris date (rules/calendars.yaml).
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Europe/Paris")).date()


def today() -> str:
    return paris_date().isoformat()


def day(offset: int) -> str:
    return (paris_date() + timedelta(days=offset)).isoformat()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------------- the engine
class Engine:
    """`worker.py --api` in a process group of its own, on one data folder and fixed ports."""

    def __init__(self, data: Path, ports: dict[str, int]) -> None:
        self.data, self.ports = data, ports
        self.env = {**os.environ, "SPPLUS_DATA": str(data), "SPPLUS_TEMPORAL_PORT": str(ports["temporal"]),
                    "SPPLUS_UI_PORT": str(ports["ui"]), "SPPLUS_API_PORT": str(ports["api"]),
                    "SPPLUS_METRICS": f"{HOST}:{ports['metrics']}"}
        self.env.pop("TEMPORAL_ADDRESS", None)  # the embedded server, always
        self.process: subprocess.Popen[bytes] | None = None
        self.groups: list[int] = []  # every process group started, stopped at the end
        self.starts = 0

    @property
    def log(self) -> Path:
        return self.data / f"worker-{self.starts}.log"

    def start(self) -> None:
        self.starts += 1
        with self.log.open("wb") as out:
            self.process = subprocess.Popen([sys.executable, str(ROOT / "worker.py"), "--api"], cwd=ROOT, env=self.env,
                                            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        self.groups.append(self.process.pid)

    async def ready(self, timeout: float = 180.0) -> float:
        """Seconds until the API answers /public/labels (which needs Temporal too)."""
        started = time.monotonic()
        async with httpx.AsyncClient(base_url=f"http://{HOST}:{self.ports['api']}", timeout=5.0, trust_env=False) as http:
            while time.monotonic() - started < timeout:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"worker.py exited with {self.process.returncode}:\n{self.tail()}")
                try:
                    if (await http.get("/public/labels")).status_code == 200:
                        return time.monotonic() - started
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.25)
        raise RuntimeError(f"worker.py did not answer within {timeout:.0f} s:\n{self.tail()}")

    def children(self) -> list[int]:
        assert self.process is not None
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == self.process.pid:
                found.append(int(stat.parent.name))
        return found

    def kill(self) -> list[int]:
        """SIGKILL the worker alone (its embedded server is not told), as a crash would; returns its children."""
        assert self.process is not None
        children = self.children()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        return children

    def last_line(self) -> str:
        lines = self.tail(5).splitlines()
        return lines[-1][:300] if lines else ""

    def stop(self) -> None:
        """A clean stop (SIGTERM), then whatever is left of every process group this run started."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        for group in self.groups:
            try:
                os.killpg(group, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def log_errors(self) -> tuple[int, list[str]]:
        count, first = 0, []
        for number in range(1, self.starts + 1):
            path = self.data / f"worker-{number}.log"
            if not path.exists():
                continue
            for line in path.read_text(errors="replace").splitlines():
                level = ""
                try:
                    level = str(json.loads(line).get("level", ""))
                except (ValueError, AttributeError):
                    level = "error" if line.startswith("Traceback") else ""
                if level.lower() in ("error", "critical", "exception"):
                    count += 1
                    if len(first) < 5:
                        first.append(line[:300])
        return count, first


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


# ----------------------------------------------------------------------------------- the callers
@dataclass
class Sent:
    key: str | None
    body: bytes
    type: str
    event_id: str | None = None


@dataclass
class Cycle:
    id: str
    body: str  # the certification body (token) it belongs to
    path: str  # "ahead" (audit dates ahead) or "one_day" (a whole audit today)
    step: int = 0
    acked: list[Sent] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def steps(self) -> list[dict[str, Any]]:
        if self.path == "one_day":
            return one_day_cycle(today())
        return [
            {"type": "self_assessment", "done_on": today()},
            {"type": "survey", "kind": "user", "closed_on": today(), "solicited": 1000, "summary": {"note": 75, "admissible": 150}},
            {"type": "survey", "kind": "agent", "closed_on": today(), "solicited": 40, "summary": {"note": 55, "admissible": 30}},
            {"type": "audit_dates", "visit_start": day(60), "visit_end": day(61), "sites": ["hdv", "mairie-annexe"]},
            {"type": "dossier", "received_on": today(), "contents": DOSSIER},
            {"type": "audit_plan", "sent_on": today(), "auditors": ["C. Durand", "A. Martin"]},
            {"type": "audit_dates", "visit_start": day(75), "visit_end": day(75), "sites": ["hdv"]},  # a postponement
        ]

    @property
    def visited(self) -> bool:
        return self.path == "one_day" and self.step > 6


class Stats:
    def __init__(self) -> None:
        self.sent = 0
        self.outcomes: dict[str, Counter[str]] = defaultdict(Counter)  # request kind -> outcome
        self.refused: Counter[str] = Counter()  # "422 Refused"
        self.server_errors: Counter[str] = Counter()
        self.server_error_samples: list[dict[str, Any]] = []
        self.not_delivered = 0
        self.dropped = 0  # connection dropped after the request went out
        self.dropped_outside_restart = 0
        self.timed_out = 0
        self.acked = 0
        self.surprises: Counter[str] = Counter()
        self.surprise_samples: dict[str, list[str]] = defaultdict(list)
        self.agenda: Counter[str] = Counter()

    def surprise(self, what: str, sample: str) -> None:
        self.surprises[what] += 1
        if len(self.surprise_samples[what]) < 3:
            self.surprise_samples[what].append(sample[:300])


@dataclass
class Answer:
    status: int | None  # None: no HTTP answer
    outcome: str  # "2xx", "422 Refused", "not delivered", "dropped", "timed out", ...
    json: Any = None
    text: str = ""


class Stress:
    def __init__(self, args: argparse.Namespace, engine: Engine, secrets: dict[str, str]) -> None:
        self.args, self.engine, self.secrets = args, engine, secrets
        self.rng = random.Random(args.seed)
        self.run = uuid.uuid4().hex[:6]
        self.stats = Stats()
        self.cycles: list[Cycle] = []
        self.started: list[str] = []  # every cycle a POST /cycles acknowledged, valid or not
        self.keys = 0
        self.in_doubt: list[tuple[Cycle, Sent, str]] = []
        self.kill_window: tuple[float, float] | None = None  # monotonic times: killed, answering again
        self.restart: dict[str, Any] = {}
        self.http = httpx.AsyncClient(base_url=f"http://{HOST}:{engine.ports['api']}", trust_env=False,
                                      timeout=httpx.Timeout(args.timeout, connect=3.0, pool=None),
                                      limits=httpx.Limits(max_connections=args.concurrency + 8))
        self.last_agenda = 0.0

    def headers(self, who: str, key: str | None = None, json_body: bool = True) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.secrets[who]}"}
        if json_body:
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def new_key(self) -> str:
        self.keys += 1
        return f"stress-{self.run}-{self.keys}"

    # ------------------------------------------------------------------------------- one request
    async def call(self, kind: str, method: str, url: str, who: str, body: bytes | None = None,
                   key: str | None = None) -> Answer:
        self.stats.sent += 1
        started = time.monotonic()
        try:
            response = await self.http.request(method, url, content=body, headers=self.headers(who, key, body is not None))
        except (httpx.ConnectError, httpx.ConnectTimeout):
            self.stats.not_delivered += 1
            answer = Answer(None, "not delivered")
        except httpx.TimeoutException:
            self.stats.timed_out += 1
            answer = Answer(None, "timed out")
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.NetworkError):
            self.stats.dropped += 1
            if not self.during_restart(started):
                self.stats.dropped_outside_restart += 1
            answer = Answer(None, "dropped")
        else:
            answer = self.classify(kind, response, started)
        self.stats.outcomes[kind][answer.outcome] += 1
        return answer

    def during_restart(self, started: float) -> bool:
        if self.kill_window is None:
            return self.restart.get("killed_at") is not None and "ready_at" not in self.restart
        killed, back = self.kill_window
        return started <= back and time.monotonic() >= killed

    def classify(self, kind: str, response: httpx.Response, started: float) -> Answer:
        status = response.status_code
        try:
            data = response.json() if response.headers.get("content-type", "").endswith("json") else None
        except ValueError:
            data = None
        if 200 <= status < 300:
            self.stats.acked += 1
            return Answer(status, "2xx", data, response.text if data is None else "")
        title = data.get("title", "") if isinstance(data, dict) else ""
        label = f"{status} {title or response.reason_phrase}".strip()
        if status >= 500:
            self.stats.server_errors[label] += 1
            if len(self.stats.server_error_samples) < 10:
                detail = str(data.get("detail", "")) if isinstance(data, dict) else response.text
                self.stats.server_error_samples.append({
                    "kind": kind, "status": status, "title": title, "path": str(response.request.url.path),
                    "detail": detail[:300], "during_restart": self.during_restart(started)})
        else:
            self.stats.refused[label] += 1
        return Answer(status, label, data, response.text[:300])

    # ------------------------------------------------------------------------------- events
    async def send(self, kind: str, cycle: Cycle, event: Any, key: str | None, who: str | None = None,
                   raw: bytes | None = None) -> tuple[Answer, Sent]:
        body = raw if raw is not None else json.dumps(event, ensure_ascii=False).encode()
        if event is None:
            try:
                event = json.loads(body)
            except ValueError:
                event = None
        sent = Sent(key, body, str(event.get("type", "?")) if isinstance(event, dict) else "?")
        answer = await self.call(kind, "POST", f"/cycles/{cycle.id}/events", who or cycle.body, body, key)
        if answer.outcome == "2xx":
            sent.event_id = answer.json.get("event_id") if isinstance(answer.json, dict) else None
            if sent.event_id is None:
                self.stats.surprise("2xx without an event_id", f"{kind}: {answer.text}")
        elif (answer.status is None or answer.status >= 500) and answer.outcome != "not delivered" and key is not None:
            self.in_doubt.append((cycle, sent, kind))  # sent again once, same key, when the engine answers
        return answer, sent

    def acknowledge(self, cycle: Cycle, sent: Sent, answer: Answer, fresh: bool) -> None:
        receipt = answer.json if isinstance(answer.json, dict) else {}
        if fresh and receipt.get("duplicate") is True:
            self.stats.surprise("a new key answered as a duplicate", f"{cycle.id} {sent.type}")
        cycle.acked.append(sent)

    async def valid(self, cycle: Cycle) -> None:
        if cycle.step >= len(cycle.steps()):  # the path is done: something else for this cycle
            await self.rng.choice([self.key_reuse, self.duplicate, self.invalid_order, self.unknown_site])(cycle)
            return
        async with cycle.lock:  # one cycle's steps go in order
            steps = cycle.steps()
            if cycle.step >= len(steps):
                return
            event = steps[cycle.step]
            key = None if self.rng.random() < 0.1 else self.new_key()  # a tenth without a key
            answer, sent = await self.send("valid", cycle, event, key)
            if key is not None and (answer.status is None or answer.status >= 500) and answer.outcome != "not delivered":
                answer = await self.retry_until_answered(cycle, sent)  # as a client would, before its next step
            if answer.outcome == "2xx":
                self.acknowledge(cycle, sent, answer, fresh=True)
            elif answer.status is not None and answer.status < 500:
                self.stats.surprise(f"valid {event['type']} refused", f"{cycle.id} step {cycle.step}: {answer.text}")
            if answer.outcome != "not delivered":
                cycle.step += 1  # answered or in doubt: the next step (an in-doubt one is resolved later)

    async def duplicate(self, cycle: Cycle, concurrent: bool = False) -> None:
        keyed = [s for s in cycle.acked if s.key]
        if not keyed:
            return await self.invalid_dates(cycle)
        sent = self.rng.choice(keyed)
        kind = "duplicate_concurrent" if concurrent else "duplicate"
        tries = [self.send(kind, cycle, None, sent.key, raw=sent.body) for _ in range(2 if concurrent else 1)]
        for answer, _ in await asyncio.gather(*tries):
            if answer.outcome == "2xx":
                receipt = answer.json if isinstance(answer.json, dict) else {}
                if receipt.get("duplicate") is not True:
                    self.stats.surprise("a repeated request not answered as a duplicate", f"{cycle.id} {sent.type}: {receipt}")
                if receipt.get("event_id") not in (None, sent.event_id):
                    self.stats.surprise("a repeated request answered with another event id", f"{cycle.id} {sent.type}")

    async def key_reuse(self, cycle: Cycle) -> None:
        keyed = [s for s in cycle.acked if s.key]
        if not keyed:
            return await self.invalid_dates(cycle)
        sent = self.rng.choice(keyed)
        other = {"type": "self_assessment", "done_on": today(), "global_result": self.rng.randint(1, 99)}
        if sent.type == "self_assessment":
            other = {"type": "audit_dates", "visit_start": day(90), "visit_end": day(90), "sites": ["hdv"]}
        answer, _ = await self.send("key_reuse", cycle, other, sent.key)
        if answer.outcome == "2xx":
            self.stats.surprise("a key reused for another request answered 2xx (the request is dropped)",
                                f"{cycle.id} key {sent.key}: first {sent.type}, then {other['type']}: {answer.json}")

    async def refused_kind(self, kind: str, cycle: Cycle, event: Any = None, raw: bytes | None = None,
                           key: str | None = None, who: str | None = None) -> None:
        answer, sent = await self.send(kind, cycle, event, key if key is not None else self.new_key(), who=who, raw=raw)
        if answer.outcome == "2xx":
            what = sent.type if event is not None else (raw or b"")[:60].decode("utf-8", "replace")
            self.stats.surprise(f"{kind} accepted", f"{cycle.id}: {what} ({len(sent.body)} bytes) -> {answer.text or answer.json}")
            cycle.acked.append(sent)  # it was applied: it must be on the timeline once, like any other

    async def invalid_order(self, cycle: Cycle) -> None:
        options = [{"type": "suspension_lifted", "effective": today()}, {"type": "action_plan", "received_on": today()}]
        if not cycle.visited:
            options += [{"type": "report", "sent_on": today(), "received_on": today()},
                        {"type": "decision", "decided_on": today(), "tier": "bronze"},
                        {"type": "observations", "received_on": today(), "text": "trop tôt"}]
        await self.refused_kind("invalid_order", cycle, self.rng.choice(options))

    async def invalid_dates(self, cycle: Cycle) -> None:
        event = self.rng.choice([
            {"type": "self_assessment", "done_on": "2026-13-01"},
            {"type": "self_assessment", "done_on": "30/11/2026"},
            {"type": "self_assessment", "done_on": day(30)},  # in the future
            {"type": "self_assessment", "done_on": "0001-01-01"},
            {"type": "self_assessment", "done_on": "9999-12-31"},
            {"type": "audit_dates", "visit_start": day(60), "visit_end": day(50), "sites": ["hdv"]},  # ends before it starts
            {"type": "audit_dates", "visit_start": "2032-03-15", "visit_end": "2032-03-15", "sites": ["hdv"]},  # past the calendar
            {"type": "survey", "kind": "user", "closed_on": "2026-02-30", "solicited": 1000, "summary": {"note": 75, "admissible": 150}},
        ])
        await self.refused_kind("invalid_dates", cycle, event)

    async def unknown_site(self, cycle: Cycle) -> None:
        sites = self.rng.choice([["gare"], ["hdv", "nowhere"], ["HDV"], ["../hdv"]])
        await self.refused_kind("unknown_site", cycle, {"type": "audit_dates", "visit_start": day(70), "visit_end": day(70), "sites": sites})

    async def malformed(self, cycle: Cycle) -> None:
        raw = self.rng.choice([
            b'{"type": "self_assessment", "done_on": "20',  # truncated
            ('{"type": "self_assessment", "done_on": "%s", "done_on": "2020-01-01"}' % today()).encode(),  # a key twice
            b'{"type": "teleport", "to": "narnia"}',
            ('{"type": "observations", "received_on": "%s", "text": "\\udcff"}' % today()).encode(),  # a lone surrogate
            ('{"type": "survey", "kind": "agent", "closed_on": "%s", "solicited": true, '
             '"summary": {"note": 55, "admissible": 30}}' % today()).encode(),  # a boolean for a count
            ('{"type": "survey", "kind": "user", "closed_on": "%s", "solicited": 1e400, '
             '"summary": {"note": 75, "admissible": 150}}' % today()).encode(),  # a number past a float
            b"\xff\xfe not json at all",
            b"[]",
            b"",
        ])
        await self.refused_kind("malformed", cycle, raw=raw)

    async def oversized_field(self, cycle: Cycle) -> None:
        size = self.rng.choice([5_000, 100_000, 1_500_000])
        text = ("Lorem ipsum dolor sit amet. " * (size // 28 + 1))[:size]
        event = self.rng.choice([
            {"type": "audit_plan", "sent_on": today(), "auditors": [text]},
            {"type": "observations", "received_on": today(), "text": text},
            {"type": "suspension", "reason": text[:5000], "effective": today(), "note": text},
            {"type": "audit_dates", "visit_start": day(80), "visit_end": day(80), "sites": ["hdv"] * 5000},
            {"type": "dossier", "received_on": today(), "contents": [f"item-{n}" for n in range(size // 20)]},
        ])
        await self.refused_kind("oversized_field", cycle, event)

    async def oversized_key(self, cycle: Cycle) -> None:
        await self.refused_kind("oversized_key", cycle, {"type": "self_assessment", "done_on": today()}, key="k" * 5000)

    async def oversized_body(self, cycle: Cycle) -> None:
        pad = "x" * 2_500_000
        event = self.rng.choice([
            {"type": "self_assessment", "done_on": today(), "padding": pad},
            {"type": "survey", "kind": "user", "closed_on": today(), "solicited": 1000, "csv": "a;b\n" + pad},
        ])
        await self.refused_kind("oversized_body", cycle, event)

    async def forbidden(self, cycle: Cycle) -> None:
        other = BODIES[1] if cycle.body == BODIES[0] else BODIES[0]
        await self.refused_kind("forbidden", cycle, {"type": "self_assessment", "done_on": today()}, who=other)

    async def read(self, kind: str, cycle: Cycle) -> None:
        if kind == "read_cycle":
            await self.call(kind, "GET", f"/cycles/{cycle.id}", cycle.body)
        elif kind == "read_timeline":
            await self.call(kind, "GET", f"/cycles/{cycle.id}/timeline", cycle.body)
        elif kind == "read_list":
            await self.call(kind, "GET", "/cycles?page_size=50", "operator")
        elif time.monotonic() - self.last_agenda > 15:  # read_agenda: every cycle's state, so at most every 15 s
            self.last_agenda = time.monotonic()
            answer = await self.call(kind, "GET", "/agenda.ics", "operator")
            if answer.outcome == "2xx":
                self.check_agenda(answer)
        else:
            await self.call("read_cycle", "GET", f"/cycles/{cycle.id}", cycle.body)

    def check_agenda(self, answer: Answer) -> None:
        from icalendar import Calendar

        self.stats.agenda["feeds"] += 1
        try:
            events = Calendar.from_ical(answer.text.encode() if answer.text else b"").walk("VEVENT")
        except Exception:  # noqa: BLE001 (any parse failure is the finding)
            self.stats.agenda["unreadable"] += 1
            return
        self.stats.agenda["events"] += len(events)
        self.stats.agenda["visits"] += sum(1 for e in events if ".visit@" in str(e.get("UID", "")))
        for name in ("UID", "DTSTAMP", "DTSTART", "DTEND"):
            self.stats.agenda[f"without {name}"] += sum(1 for e in events if name not in e)

    # ------------------------------------------------------------------------------- the phases
    def candidate(self, number: int, body: str) -> dict[str, Any]:
        return {"id": f"stress-{self.run}-{number:04d}", "name": f"Mairie de Stress n°{number}",
                "territory": "moselle" if number % 2 else "metropole",
                "sites": [{"id": "hdv", "name": "Hôtel de ville"}, {"id": "mairie-annexe", "name": "Mairie annexe du port"}],
                "agents_in_contact": 40, "certification_body": body, "contract_signed": today()}

    def bad_candidates(self, count: int) -> list[bytes]:
        out = []
        for n in range(count):
            data = self.candidate(9000 + n, BODIES[0])
            variant = n % 6
            if variant == 0:
                data["territory"] = "narnia"
            elif variant == 1:
                data["territory"] = "Moselle"
            elif variant == 2:
                data["agents_in_contact"] = True
            elif variant == 3:
                data["contract_signed"] = "9999-01-01"
            elif variant == 4:
                data["name"] = "N" * 100_000
            else:
                data["sites"] = [{"id": "hdv", "name": "Hôtel de ville"}, {"id": "hdv", "name": "encore"}]
            out.append(json.dumps(data).encode())
        return out

    async def open_cycles(self) -> None:
        semaphore = asyncio.Semaphore(8)

        async def one(number: int) -> None:
            body = BODIES[number % 2]
            data = self.candidate(number, body)
            async with semaphore:
                answer = await self.call("start_cycle", "POST", "/cycles", body, json.dumps(data).encode())
            if answer.outcome == "2xx":
                self.started.append(data["id"])
                self.cycles.append(Cycle(data["id"], body, "one_day" if number % 3 == 0 else "ahead"))
            else:
                self.stats.surprise("a valid candidacy refused", f"{data['id']}: {answer.outcome} {answer.text}")

        async def bad(raw: bytes) -> None:
            async with semaphore:
                answer = await self.call("invalid_candidacy", "POST", "/cycles", BODIES[0], raw)
            if answer.outcome == "2xx":
                self.started.append(json.loads(raw)["id"])
                self.stats.surprise("invalid_candidacy accepted", raw[:160].decode("utf-8", "replace"))

        await asyncio.gather(*(one(n) for n in range(self.args.cycles)),
                             *(bad(raw) for raw in self.bad_candidates(max(6, self.args.cycles // 20))))
        # A cycle answers reads once its rules are pinned (a few milliseconds as a rule): wait, bounded.
        give_up = time.monotonic() + 60
        waiting = list(self.cycles)
        while waiting and time.monotonic() < give_up:
            answers = await asyncio.gather(*(self.http.get(f"/cycles/{c.id}", headers=self.headers(c.body, json_body=False))
                                             for c in waiting), return_exceptions=True)
            waiting = [c for c, a in zip(waiting, answers) if not (isinstance(a, httpx.Response) and a.status_code == 200)]
            if waiting:
                await asyncio.sleep(0.5)

    async def traffic(self) -> None:
        kinds, weights = list(MIX), list(MIX.values())
        deadline = time.monotonic() + self.args.seconds
        budget = {"left": self.args.max_requests}

        async def caller(number: int) -> None:
            rng = random.Random(self.args.seed * 1000 + number)
            while time.monotonic() < deadline and budget["left"] > 0 and self.cycles:
                budget["left"] -= 1
                kind = rng.choices(kinds, weights)[0]
                cycle = rng.choice(self.cycles)
                before = self.stats.not_delivered
                try:
                    await self.one(kind, cycle)
                except Exception as exc:  # noqa: BLE001 (the script's own fault: counted, never fatal)
                    self.stats.surprise("stress script error", f"{kind}: {exc!r}")
                if self.stats.not_delivered > before:
                    await asyncio.sleep(0.2)  # the engine is down: do not spin

        kill = asyncio.create_task(self.kill_and_restart()) if self.args.kill else None
        await asyncio.gather(*(caller(n) for n in range(self.args.concurrency)))
        if kill is not None:
            await kill

    async def one(self, kind: str, cycle: Cycle) -> None:
        if kind == "valid":
            await self.valid(cycle)
        elif kind in ("duplicate", "duplicate_concurrent"):
            await self.duplicate(cycle, concurrent=kind == "duplicate_concurrent")
        elif kind.startswith("read_"):
            await self.read(kind, cycle)
        else:
            await getattr(self, kind)(cycle)

    async def kill_and_restart(self) -> None:
        """SIGKILL the worker, start it again on the same data folder: as an operator would, at once, and
        again (bounded) while a start is refused; the embedded server left behind, if any, is recorded."""
        await asyncio.sleep(self.args.seconds * self.args.kill_at)
        killed = time.monotonic()
        self.restart["killed_at"] = round(killed - self.t0, 1)
        self.restart["pause_before_restart"] = self.args.down
        children = await asyncio.to_thread(self.engine.kill)
        await asyncio.sleep(self.args.down)
        self.restart["server_alive_at_restart"] = any(alive(pid) for pid in children)
        refused: list[str] = []
        for _attempt in range(10):
            self.engine.start()
            try:
                await self.engine.ready(timeout=120)
                break
            except RuntimeError:
                refused.append(self.engine.last_line())
            if time.monotonic() - killed > 30 and any(alive(pid) for pid in children):
                self.restart["embedded_server_orphaned"] = True  # still there 30 s after its worker died
                for pid in children:
                    if alive(pid):
                        os.kill(pid, signal.SIGKILL)  # a child of the worker this script started
            await asyncio.sleep(3.0)
        else:
            self.restart["refused_starts"] = refused
            raise RuntimeError(f"worker.py did not start again after the kill: {refused[-1] if refused else ''}")
        back = time.monotonic()
        self.restart["refused_starts"] = refused
        self.restart.setdefault("embedded_server_orphaned", False)
        self.kill_window = (killed, back)
        self.restart["down_seconds"] = round(back - killed, 1)
        self.restart["ready_at"] = round(back - self.t0, 1)

    async def retry_until_answered(self, cycle: Cycle, sent: Sent, patience: float = 90.0) -> Answer:
        """A request left without an answer (dropped, timed out, 5xx), sent again with its key until the engine
        answers (bounded); it leaves the in-doubt list, which is for requests nobody retried."""
        self.in_doubt = [item for item in self.in_doubt if item[1] is not sent]
        give_up = time.monotonic() + patience
        answer = Answer(None, "dropped")
        while time.monotonic() < give_up:
            await asyncio.sleep(1.0)
            answer = await self.call("retry", "POST", f"/cycles/{cycle.id}/events", cycle.body, sent.body, sent.key)
            if answer.status is not None and answer.status < 500:
                if answer.outcome == "2xx" and isinstance(answer.json, dict):
                    sent.event_id = answer.json.get("event_id")
                break
        return answer

    async def resolve_in_doubt(self) -> None:
        """Requests with no answer (dropped, timed out) sent again once with the same key: a retry."""
        doubtful, self.in_doubt = self.in_doubt, []
        for cycle, sent, kind in doubtful:
            answer = await self.call("retry", "POST", f"/cycles/{cycle.id}/events", cycle.body, sent.body, sent.key)
            if answer.outcome == "2xx":
                sent.event_id = answer.json.get("event_id") if isinstance(answer.json, dict) else None
                cycle.acked.append(sent)

    # ------------------------------------------------------------------------------- the end
    async def verify(self) -> dict[str, Any]:
        stuck: dict[str, list[str]] = defaultdict(list)
        missing, twice, unanswered_applied, checked = [], [], 0, 0
        by_id = {c.id: c for c in self.cycles}
        for candidate_id in self.started:
            cycle = by_id.get(candidate_id)
            who = cycle.body if cycle else BODIES[0]
            view = await self.settle(f"/cycles/{candidate_id}", who)
            if view is None or view.status_code != 200:
                stuck["GET /cycles/{id} not 200"].append(f"{candidate_id}: {view.status_code if view else 'no answer'}")
                continue
            timeline = await self.settle(f"/cycles/{candidate_id}/timeline", who)
            if timeline is None or timeline.status_code != 200:
                stuck["timeline not 200"].append(f"{candidate_id}: {timeline.status_code if timeline else 'no answer'}")
                continue
            if cycle is None:
                continue
            entries = timeline.json()
            counts = Counter((e.get("event_id"), e.get("kind")) for e in entries if e.get("event_id"))
            ids = {e.get("event_id") for e in entries if e.get("event_id")}
            expected: dict[str, str] = {}
            for sent in cycle.acked:
                if sent.event_id:
                    expected.setdefault(sent.event_id, sent.type)
            for event_id, kind in expected.items():
                checked += 1
                found = counts.get((event_id, kind), 0)
                if found == 0:
                    missing.append(f"{candidate_id} {event_id} ({kind})")
                elif found > 1:
                    twice.append(f"{candidate_id} {event_id} ({kind}) x{found}")
            unanswered_applied += len(ids - set(expected))
        failing = await self.failing_workflows()
        for reason, ids in failing.items():
            stuck[reason] += ids
        stuck_ids = {item.split(":")[0] for items in stuck.values() for item in items}
        return {"stuck": {k: v for k, v in stuck.items()}, "stuck_count": len(stuck_ids), "missing": missing,
                "twice": twice, "checked": checked, "applied_without_answer": unanswered_applied}

    async def settle(self, path: str, who: str, tries: int = 3) -> httpx.Response | None:
        last = None
        for attempt in range(tries):
            try:
                last = await self.http.get(path, headers=self.headers(who, json_body=False))
                if last.status_code == 200:
                    return last
            except httpx.HTTPError:
                pass
            await asyncio.sleep(1.0 + attempt)
        return last

    async def failing_workflows(self) -> dict[str, list[str]]:
        """Each cycle's workflow straight from Temporal: failed or terminated, or its last workflow task failed."""
        from temporalio.api.enums.v1 import EventType
        from temporalio.client import Client, WorkflowExecutionStatus

        out: dict[str, list[str]] = defaultdict(list)
        client = await Client.connect(f"{HOST}:{self.engine.ports['temporal']}")
        task_events = {EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: "completed", EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED: "failed"}
        self.task_failures = 0
        for candidate_id in self.started:
            handle = client.get_workflow_handle(f"cycle-{candidate_id}")
            try:
                description = await handle.describe()
            except Exception as exc:  # noqa: BLE001
                out["workflow not found"].append(f"{candidate_id}: {exc}")
                continue
            if description.status not in (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED,
                                          WorkflowExecutionStatus.CONTINUED_AS_NEW):
                out["workflow failed or terminated"].append(f"{candidate_id}: {description.status.name}")
                continue
            last = None
            async for event in handle.fetch_history_events():
                if event.event_type in task_events:
                    last = task_events[event.event_type]
                    self.task_failures += last == "failed"
            pending = description.raw_description.pending_workflow_task
            if last == "failed" or (description.raw_description.HasField("pending_workflow_task") and pending.attempt > 2):
                out["workflow task failing"].append(f"{candidate_id}: attempt {pending.attempt}")
        return out

    async def run_all(self) -> dict[str, Any]:
        self.t0 = time.monotonic()
        await self.open_cycles()
        opened = time.monotonic()
        await self.traffic()
        if self.in_doubt:
            await self.resolve_in_doubt()
        traffic_end = time.monotonic()
        await asyncio.sleep(2.0)  # the last updates settle
        result = await self.verify()
        errors, first_errors = self.engine.log_errors()
        stats = self.stats
        summary = {
            "cycles": {"asked": self.args.cycles, "started": len(self.cycles), "invalid_started": len(self.started) - len(self.cycles),
                       "opening_seconds": round(opened - self.t0, 1)},
            "seconds": {"traffic": round(traffic_end - opened, 1), "total": round(time.monotonic() - self.t0, 1)},
            "restart": self.restart or None,
            "requests_sent": stats.sent,
            "acknowledged": stats.acked,
            "refused": sum(stats.refused.values()),
            "refused_by_kind": dict(stats.refused.most_common()),
            "5xx": sum(stats.server_errors.values()),
            "5xx_by_kind": dict(stats.server_errors.most_common()),
            "5xx_samples": stats.server_error_samples,
            "not_delivered": stats.not_delivered,
            "dropped_in_flight": stats.dropped,
            "dropped_outside_restart": stats.dropped_outside_restart,
            "timed_out": stats.timed_out,
            "outcomes_by_request": {k: dict(v.most_common()) for k, v in sorted(stats.outcomes.items())},
            "cycles_stuck": result["stuck_count"],
            "stuck": result["stuck"],
            "acknowledged_events_checked": result["checked"],
            "acknowledged_missing": len(result["missing"]),
            "applied_twice": len(result["twice"]),
            "missing_samples": result["missing"][:10],
            "twice_samples": result["twice"][:10],
            "applied_without_answer": result["applied_without_answer"],
            "workflow_task_failures_in_histories": getattr(self, "task_failures", None),
            "surprises": dict(stats.surprises.most_common()),
            "surprise_samples": dict(stats.surprise_samples),
            "agenda": dict(stats.agenda),
            "worker_log_errors": errors,
            "worker_log_error_samples": first_errors,
        }
        summary["pass"] = all(summary[k] == 0 for k in MUST_BE_ZERO)
        return summary


def print_summary(s: dict[str, Any]) -> None:
    w = print
    c, r = s["cycles"], s["restart"] or {}
    w(f"stress: {c['started']} cycles started of {c['asked']} (+{c['invalid_started']} invalid candidacies accepted), "
      f"{s['seconds']['traffic']} s of traffic, {s['seconds']['total']} s in all")
    if r:
        w(f"worker SIGKILLed at {r.get('killed_at')} s, answering again {r.get('down_seconds')} s later; "
          f"its embedded server still running {r.get('pause_before_restart')} s after the kill: "
          f"{'yes' if r.get('server_alive_at_restart') else 'no'}; left orphaned (> 30 s): "
          f"{'yes' if r.get('embedded_server_orphaned') else 'no'}; starts refused before one held: {len(r.get('refused_starts', []))}")
        for line in r.get("refused_starts", [])[:2]:
            w(f"  refused start: {line[:200]}")
    w("")
    rows = [("requests sent", s["requests_sent"]), ("acknowledged (2xx)", s["acknowledged"]), ("refused (4xx)", s["refused"]),
            ("5xx (must be 0)", s["5xx"]), ("not delivered (could not connect)", s["not_delivered"]),
            ("connection dropped in flight", f"{s['dropped_in_flight']} ({s['dropped_outside_restart']} outside the restart)"),
            ("timed out", s["timed_out"]),
            ("cycles stuck (must be 0)", s["cycles_stuck"]),
            ("acknowledged events checked", s["acknowledged_events_checked"]),
            ("acknowledged events missing (must be 0)", s["acknowledged_missing"]),
            ("acknowledged events applied twice (must be 0)", s["applied_twice"]),
            ("applied without an answer (in doubt, not retried)", s["applied_without_answer"]),
            ("workflow task failures in histories", s["workflow_task_failures_in_histories"]),
            ("worker log lines at error level", s["worker_log_errors"])]
    for label, value in rows:
        w(f"  {label:<50} {value}")
    w("\nrefused by kind (status, problem title):")
    for label, count in s["refused_by_kind"].items():
        w(f"  {label:<50} {count}")
    if s["5xx_by_kind"]:
        w("\n5xx by kind:")
        for label, count in s["5xx_by_kind"].items():
            w(f"  {label:<50} {count}")
        for sample in s["5xx_samples"][:5]:
            w(f"    e.g. {sample['kind']} {sample['path']}: {sample['detail'][:160]}{' (during the restart)' if sample['during_restart'] else ''}")
    w("\noutcomes by request kind:")
    for kind, outcomes in s["outcomes_by_request"].items():
        w(f"  {kind:<22} " + " · ".join(f"{o} {n}" for o, n in outcomes.items()))
    if s["stuck"]:
        w("\ncycles stuck:")
        for reason, ids in s["stuck"].items():
            w(f"  {reason}: {len(ids)} (e.g. {'; '.join(ids[:3])})")
    for label, key in (("missing", "missing_samples"), ("applied twice", "twice_samples")):
        if s[key]:
            w(f"\n{label}: " + "; ".join(s[key][:5]))
    if s["surprises"]:
        w("\nanswers other than the right one:")
        for what, count in s["surprises"].items():
            w(f"  {what:<60} {count}")
            for sample in s["surprise_samples"].get(what, [])[:1]:
                w(f"      e.g. {sample[:200]}")
    if s["agenda"]:
        w(f"\nagenda.ics: {s['agenda']}")
    if s["worker_log_error_samples"]:
        w("\nfirst error lines of the worker's log:")
        for line in s["worker_log_error_samples"][:3]:
            w(f"  {line[:240]}")
    w(f"\nverdict: {'PASS' if s['pass'] else 'FAIL'} (5xx, cycles stuck, events missing, events applied twice: "
      f"{s['5xx']}, {s['cycles_stuck']}, {s['acknowledged_missing']}, {s['applied_twice']})")


async def main(args: argparse.Namespace) -> int:
    data = Path(tempfile.mkdtemp(prefix="spplus-stress-"))
    ports = {name: free_port() for name in ("temporal", "ui", "api", "metrics")}
    tokens = TokenStore(data / "tokens.json")
    secrets = {body: tokens.create(Role.body, f"stress {body}", body)[1] for body in BODIES}
    secrets["operator"] = tokens.create(Role.operator, "stress operator")[1]
    engine = Engine(data, ports)
    print(f"data folder {data}; ports {ports}", file=sys.stderr)
    summary: dict[str, Any] | None = None
    try:
        engine.start()
        print(f"worker.py --api answering after {await engine.ready():.1f} s", file=sys.stderr)
        stress = Stress(args, engine, secrets)
        try:
            summary = await stress.run_all()
        finally:
            await stress.http.aclose()
    finally:
        engine.stop()
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)
    if summary is None:
        return 2
    print_summary(summary)
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
    return 0 if summary["pass"] else 1


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=180, help="length of the traffic phase (default 180)")
    parser.add_argument("--cycles", type=int, default=200, help="candidacies opened (default 200)")
    parser.add_argument("--concurrency", type=int, default=12, help="callers sending at the same time (default 12)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="a bound on the requests of the traffic phase")
    parser.add_argument("--kill-at", type=float, default=0.5, help="when to SIGKILL the worker, as a fraction of --seconds")
    parser.add_argument("--down", type=float, default=2.0, help="seconds the worker stays dead before it is started again")
    parser.add_argument("--no-kill", dest="kill", action="store_false", help="do not kill the worker")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout in seconds (default 30)")
    parser.add_argument("--seed", type=int, default=10, help="seed of the request mix")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON too")
    parser.add_argument("--keep", action="store_true", help="keep the data folder (logs, Temporal database)")
    args = parser.parse_args(argv)
    if not (0 < args.kill_at < 1) or args.seconds <= 0 or args.cycles < 1 or args.concurrency < 1:
        parser.error("--kill-at is within (0, 1); --seconds, --cycles and --concurrency are positive")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
