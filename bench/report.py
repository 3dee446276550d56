"""Print the README's figures tables from bench/results.json, so the README carries the run's own numbers."""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.json"


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def main() -> None:
    r = json.loads(RESULTS.read_text(encoding="utf-8"))
    print(f"Measured by `bench/run.py` on {r['machine']}, {r['date'][:10]}; the run took {r['bench_seconds']:.0f} s.")
    print()
    print("| measure | baseline | cycle | ratio (target) |")
    print("|---|---|---|---|")
    for conc, label in (("1", "1 cycle at a time"), ("50", "50 concurrent")):
        c = r[f"concurrency_{conc}"]
        base, cyc = c["baseline"], c["cycle"]
        tr, lr = c["update_throughput_ratio"], c["p50_latency_ratio"]
        rounds = ", ".join(f"{x['throughput_ratio']:.2f}" for x in c["rounds"])
        print(f"| updates per second, {label} | {base['updates_per_s']:.1f} | {cyc['updates_per_s']:.1f} | "
              f"{tr:.2f}× (≥ 0.8×: {verdict(tr >= 0.8)}; rounds {rounds}) |")
        print(f"| update latency p50 / p99, {label} (ms) | {base['p50_ms']:.1f} / {base['p99_ms']:.1f} | "
              f"{cyc['p50_ms']:.1f} / {cyc['p99_ms']:.1f} | {lr:.2f}× p50 (≤ 1.3×: {verdict(lr <= 1.3)}) |")
        print(f"| CPU of the client+worker process per cycle, {label} (ms) | {base['python_cpu_ms_per_cycle']:.1f} | "
              f"{cyc['python_cpu_ms_per_cycle']:.1f} | {cyc['python_cpu_ms_per_cycle'] / base['python_cpu_ms_per_cycle']:.2f}× |")
    print()
    m, a, h = r["memory"], r["memory_all_cached"], r["history"]
    print("| measure | figure | target |")
    print("|---|---|---|")
    print(f"| events in a recorded three-year cycle (labelled → follow-up → renewal request) | {h['events']} events, "
          f"{h['bytes'] / 1024:.0f} KiB | < 500 events: {verdict(h['events'] < 500)} |")
    print(f"| wall time of a whole three-year cycle on per-workflow time skipping | {r['three_years_time_skipping_seconds']:.1f} s | |")
    print(f"| RSS of a `worker.py` process with {m['open_cycles']:,} open cycles (default cache: {m['cached_cycles']:,} in memory) | "
          f"{m['rss_after_mb']:.0f} MB ({m['rss_before_mb']:.0f} MB idle; opened in {m['open_seconds']:.0f} s) | "
          f"10,000 cycles < 1 GiB: {verdict(m['open_cycles'] >= 10000 and m['rss_after_mb'] < 1024)} |")
    print(f"| the same with all {a['open_cycles']:,} open cycles kept in memory | {a['rss_after_mb']:.0f} MB, "
          f"{a['per_cycle_kb']:.0f} KB per cycle in memory | |")
    print(f"| replay of one full history (as after a cache eviction) | {1000 * r['replay_seconds']:.0f} ms | |")
    print(f"| what-if re-evaluations by the pure core | {r['reevaluations_per_second']:.0f} decisions/s | |")


if __name__ == "__main__":
    main()
