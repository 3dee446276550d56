"""The pages' server time with many cycles open (issue 13, "Done when"): not a test, a measurement.

    python bench/pages.py                       # 10,000 cycles (make bench-pages)
    python bench/pages.py --cycles 2000 --requests 50 --json

It starts `worker.py --api` (the engine on its embedded Temporal server) on a temporary data folder and free ports,
creates a body's and the DITP's tokens there, starts ``--cycles`` candidacies at once through the client
(``spplus.client.start_candidacy``, ``--concurrency`` in flight) spread over ``--bodies`` certification bodies and
the rules' territories, sets the audit dates of a share of them (``--dated``: their deadlines run, so the
dashboard's sections are not empty), waits until the visibility store shows every one opened, then signs in as
one body and as the DITP and asks, one request at a time as a person would, ``--requests`` times each:

* ``/candidatures`` (the first page), the list filtered (territory and phase) and searched (words of a name);
* ``/tableau-de-bord`` (six sections, each a list query and a count);
* ``/liste-publique`` (anonymous).

Server time is the pages' ``Server-Timing: app;dur=<ms>`` header (from the request's arrival in the page's route to
its rendered answer: the visibility queries and the template); the time the bench's HTTP client waited is given
beside it. Printed: median and p95 of each, and whether the target (under 300 ms, server time) is met. Exit status
0 either way (a measurement), 2 when the engine could not be started.

Traffic goes to 127.0.0.1 only; every process it starts is stopped by its own id (and its process group) at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402

from bench.stress import HOST, Engine, free_port  # noqa: E402
from spplus import client as engine  # noqa: E402
from spplus import search_attributes as sa  # noqa: E402
from spplus.api.tokens import Role, TokenStore  # noqa: E402
from spplus.lifecycle import Candidate  # noqa: E402
from spplus.rules.loader import default_rules_dir, load_rules_cached  # noqa: E402

TARGET_MS = 300.0
KINDS = ("Mairie", "Caisse d'allocations familiales", "Sous-préfecture", "Maison France services", "Centre des impôts")
COMMUNES = ("Rive", "Lyon", "Metz", "Colmar", "Pointe-à-Pitre", "Saint-Denis", "Cayenne", "Brest", "Évry", "Nancy",
            "Mamoudzou", "Fort-de-France", "Nouméa", "Papeete", "Strasbourg", "Besançon")


def candidates(count: int, bodies: list[str], territories: list[str], today: Any) -> list[Candidate]:
    out = []
    for number in range(count):
        commune = COMMUNES[number % len(COMMUNES)]
        out.append(Candidate(
            id=f"bench-{number:05d}", name=f"{KINDS[number % len(KINDS)]} de {commune} {number}",
            territory=territories[number % len(territories)],
            sites=[{"id": "accueil", "name": f"Accueil de {commune}"}, {"id": "annexe", "name": f"Annexe {number}"}],
            agents_in_contact=20 + number % 200, certification_body=bodies[number % len(bodies)], contract_signed=today))
    return out


async def open_cycles(client: Client, task_queue: str, batch: list[Candidate], concurrency: int) -> float:
    """Start every candidacy of ``batch`` (``concurrency`` starts in flight); the seconds it took."""
    gate = asyncio.Semaphore(concurrency)
    started = time.perf_counter()
    done = 0

    async def one(candidate: Candidate) -> None:
        nonlocal done
        async with gate:
            await engine.start_candidacy(client, candidate, task_queue)
        done += 1
        if done % 1000 == 0:
            print(f"  {done} started ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    await asyncio.gather(*(one(c) for c in batch))
    return time.perf_counter() - started


async def set_dates(client: Client, batch: list[Candidate], concurrency: int, today: Any) -> float:
    """Audit dates for each candidacy of ``batch`` (visits 40 to 100 days ahead): deadlines that run."""
    gate = asyncio.Semaphore(concurrency)
    started = time.perf_counter()

    async def one(number: int, candidate: Candidate) -> None:
        visit = (today + timedelta(days=40 + number % 61)).isoformat()
        async with gate:
            await engine.send_event(client, candidate.id, {"type": "audit_dates", "audit": "initial", "visit_start": visit,
                                                           "visit_end": visit, "sites": ["accueil"]}, f"bench-dates-{candidate.id}")

    await asyncio.gather(*(one(n, c) for n, c in enumerate(batch)))
    return time.perf_counter() - started


async def visible(client: Client, total: int, dated: int, timeout: float) -> float:
    """Seconds until the visibility store shows ``total`` cycles opened (none left ``opening``) and ``dated`` with
    audit dates."""
    started = time.perf_counter()
    opening = engine.list_query() + f" AND {sa.PHASE.name} = 'opening'"
    while time.perf_counter() - started < timeout:
        counts = await asyncio.gather(engine.count_cycles(client, engine.list_query()), engine.count_cycles(client, opening),
                                      engine.count_cycles(client, engine.list_query(audit_planned=True)))
        if counts[0] >= total and counts[1] == 0 and counts[2] >= dated:
            return time.perf_counter() - started
        await asyncio.sleep(1)
    raise RuntimeError(f"visibility did not show the cycles within {timeout:.0f} s")


async def signed_in(base: str, secret: str) -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=base, timeout=60.0, trust_env=False)
    form = await http.get("/connexion")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf, "the sign-in form carries a CSRF token"
    answer = await http.post("/connexion", data={"csrf": csrf.group(1), "jeton": secret})
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in refused: {answer.status_code} {answer.text[:300]}")
    return http


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(share * len(ordered)))) - 1]  # nearest rank


async def measure(http: httpx.AsyncClient, path: str, requests: int, warm: int = 3) -> dict[str, Any]:
    """``requests`` GETs of ``path``, one at a time, after ``warm`` unmeasured ones: server and client times (ms)."""
    server, client = [], []
    rows = None
    for number in range(warm + requests):
        started = time.perf_counter()
        answer = await http.get(path)
        waited = (time.perf_counter() - started) * 1000
        if answer.status_code != 200:
            raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:300]}")
        timing = re.search(r"app;dur=([0-9.]+)", answer.headers.get("server-timing", ""))
        if timing is None:
            raise RuntimeError(f"{path}: no Server-Timing header")
        if number >= warm:
            server.append(float(timing.group(1)))
            client.append(waited)
        rows = answer.text.count("<tr id=")
    return {"path": path, "requests": requests, "rows_shown": rows,
            "server_median_ms": statistics.median(server), "server_p95_ms": percentile(server, 0.95),
            "client_median_ms": statistics.median(client), "client_p95_ms": percentile(client, 0.95)}


async def run(args: argparse.Namespace, data: Path) -> dict[str, Any]:
    ports = {name: free_port() for name in ("temporal", "ui", "api", "metrics")}
    rules = load_rules_cached(default_rules_dir())
    bodies = [f"oc-bench-{i:02d}" for i in range(args.bodies)]
    tokens = TokenStore(data / "tokens.json")
    secrets = {"body": tokens.create(Role.body, "bench body", bodies[0])[1], "ditp": tokens.create(Role.ditp, "bench DITP")[1]}
    process = Engine(data, ports)
    results: dict[str, Any] = {"cycles": args.cycles, "bodies": args.bodies, "machine": f"{os.cpu_count()} cores"}
    try:
        process.start()
        print(f"worker.py --api answering after {await process.ready():.1f} s (data folder {data})", file=sys.stderr)
        client = await Client.connect(f"{HOST}:{ports['temporal']}", namespace=os.environ.get("SPPLUS_NAMESPACE", "default"),
                                      data_converter=pydantic_data_converter)
        task_queue = os.environ.get("SPPLUS_TASK_QUEUE", "spplus-label")
        today = engine.paris_today()
        territories = [t.id for t in rules.calendars.territories.at(today)]
        batch = candidates(args.cycles, bodies, territories, today)
        dated = batch[: int(len(batch) * args.dated)]
        print(f"starting {len(batch)} cycles, {args.concurrency} at a time…", file=sys.stderr)
        results["start_seconds"] = round(await open_cycles(client, task_queue, batch, args.concurrency), 1)
        results["opened_after_seconds"] = round(await visible(client, len(batch), 0, args.timeout), 1)
        print(f"  started in {results['start_seconds']} s, all opened {results['opened_after_seconds']} s later; "
              f"audit dates for {len(dated)}…", file=sys.stderr)
        results["dates_seconds"] = round(await set_dates(client, dated, args.concurrency, today), 1)
        results["visible_after_seconds"] = round(await visible(client, len(batch), len(dated), args.timeout), 1)
        results["cycles_listed"] = await engine.count_cycles(client, engine.list_query())
        results["body_cycles"] = await engine.count_cycles(client, engine.list_query(body=bodies[0]))
        print(f"  visible: {results['cycles_listed']} cycles, {results['body_cycles']} of {bodies[0]}", file=sys.stderr)

        base = f"http://{HOST}:{ports['api']}"
        pages = [("/candidatures", "list, first page"),
                 ("/candidatures?territoire=moselle&etape=preparation", "list, filtered (territory, phase)"),
                 ("/candidatures?q=mairie+lyon", "list, searched (name words)"),
                 ("/tableau-de-bord", "dashboard (6 sections)")]
        measured = []
        for who in ("body", "ditp"):
            http = await signed_in(base, secrets[who])
            try:
                for path, what in pages:
                    figure = await measure(http, path, args.requests)
                    measured.append({"who": who if who == "ditp" else bodies[0], "page": what, **figure})
            finally:
                await http.aclose()
        async with httpx.AsyncClient(base_url=base, timeout=60.0, trust_env=False) as anonymous:
            measured.append({"who": "anonymous", "page": "public list", **await measure(anonymous, "/liste-publique", args.requests)})
        results["pages"] = measured
        log_errors, first = process.log_errors()
        results["worker_log_errors"] = log_errors
        if first:
            results["first_errors"] = first
    finally:
        process.stop()
    return results


def report(results: dict[str, Any]) -> None:
    print(f"\n{results['cycles_listed']:,} cycles open ({results['body_cycles']:,} of the measured body, {results['bodies']} "
          f"bodies); started in {results['start_seconds']} s, all opened {results['opened_after_seconds']} s later, audit "
          f"dates set in {results['dates_seconds']} s, visible {results['visible_after_seconds']} s later; {results['machine']}")
    print(f"{'who':<12} {'page':<36} {'server median':>13} {'server p95':>10} {'client median':>13} {'client p95':>10}  target")
    for row in results["pages"]:
        met = "met" if row["server_p95_ms"] < TARGET_MS else ("median only" if row["server_median_ms"] < TARGET_MS else "MISSED")
        print(f"{row['who']:<12} {row['page']:<36} {row['server_median_ms']:>10.1f} ms {row['server_p95_ms']:>7.1f} ms "
              f"{row['client_median_ms']:>10.1f} ms {row['client_p95_ms']:>7.1f} ms  {met} (< {TARGET_MS:.0f} ms)")
    if results.get("worker_log_errors"):
        print(f"worker log: {results['worker_log_errors']} error lines, first: {results.get('first_errors')}")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=10_000, help="candidacies opened (default 10,000)")
    parser.add_argument("--bodies", type=int, default=10, help="certification bodies they are spread over (default 10)")
    parser.add_argument("--dated", type=float, default=0.2, help="share of them given audit dates (default 0.2)")
    parser.add_argument("--concurrency", type=int, default=50, help="starts (and events) in flight at once (default 50)")
    parser.add_argument("--requests", type=int, default=30, help="measured requests per page and caller (default 30)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for visibility (default 1800)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--keep", action="store_true", help="keep the data folder (logs, Temporal database)")
    args = parser.parse_args(argv)
    if args.cycles < 1 or args.bodies < 1 or not 0 <= args.dated <= 1 or args.concurrency < 1 or args.requests < 1:
        parser.error("--cycles, --bodies, --concurrency and --requests are positive; --dated is within [0, 1]")
    return args


async def main(args: argparse.Namespace) -> int:
    data = Path(tempfile.mkdtemp(prefix="spplus-bench-pages-"))
    try:
        results = await run(args, data)
    except RuntimeError as exc:
        print(f"bench/pages.py: {exc}", file=sys.stderr)
        return 2
    finally:
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)
    report(results)
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
