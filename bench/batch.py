"""Budget: 200 orders from a file in one process (`inventory order --from-file`) against `tnorder sim serve
--latency-ms 50` take ≤ 1/10 of the time of 200 separate `inventory order` processes.

    .venv/bin/python bench/batch.py [--orders 200] [--latency-ms 50] [--processes 20]

The separate processes are timed on `--processes` of them (each its own `tnorder inventory order
--area-code NPA --quantity 1 --all --yes --json`) and scaled to `--orders`: they are alike, and
200 of them take minutes. Both sides order through the same emulator, Bandwidth v1, OAuth2.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _common import TNORDER, env, line, load

from emulator import Emulator

BUDGET = 0.10
NPAS = ("919", "704", "336", "828", "910", "252", "980", "984")


def configure(environ: dict[str, str], url: str) -> None:
    for args in (["config", "carrier", "add", "bw", "--kind", "bandwidth", "--url", url],
                 ["config", "account", "add", "bw", "--carrier", "bw", "--account-id", "9900001", "--site-id", "1",
                  "--client-id-env", "BENCH_ID", "--client-secret-env", "BENCH_SECRET"],
                 ["config", "inventory-type", "add", "BW", "--account", "bw"]):
        subprocess.run([TNORDER, *args], env=environ, check=True, capture_output=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=200)
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--processes", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="tnorder-bench-") as tmp:
        emulator = Emulator(Path(tmp) / "emulator", "--latency-ms", str(args.latency_ms), "--complete-after", "0")
        try:
            one_by_one = env(TNORDER_HOME=str(Path(tmp) / "single"), BENCH_ID="bench", BENCH_SECRET="bench")
            batched = env(TNORDER_HOME=str(Path(tmp) / "batch"), BENCH_ID="bench", BENCH_SECRET="bench")
            configure(one_by_one, emulator.url)
            configure(batched, emulator.url)
            walls = []
            for i in range(args.processes):
                started = time.perf_counter()
                subprocess.run([TNORDER, "inventory", "order", "--type", "BW", "--area-code", NPAS[i % len(NPAS)],
                                "--quantity", "1", "--all", "--yes", "--json"], env=one_by_one, check=True,
                               capture_output=True)
                walls.append(time.perf_counter() - started)
            separate = statistics.median(walls) * args.orders

            orders = Path(tmp) / "orders.csv"
            orders.write_text("area_code,quantity\n" + "".join(f"{NPAS[i % len(NPAS)]},1\n"
                                                               for i in range(args.orders)))
            started = time.perf_counter()
            done = subprocess.run([TNORDER, "inventory", "order", "--type", "BW", "--from-file", str(orders),
                                   "--yes", "--json"], env=batched, capture_output=True, text=True)
            wall = time.perf_counter() - started
        finally:
            emulator.stop()
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        return 1
    results = [json.loads(row) for row in done.stdout.splitlines()]
    placed = sum(1 for r in results if r["result"] == "placed")
    ratio = wall / separate
    print(f"batch: {args.orders} orders, emulator latency {args.latency_ms} ms; {load()}")
    line(f"one `inventory order` process (median of {args.processes})", f"{statistics.median(walls):.3f} s")
    line(f"{args.orders} separate processes (median x {args.orders})", f"{separate:.1f} s")
    line(f"--from-file with {args.orders} lines, one process", f"{wall:.2f} s ({placed} placed)")
    verdict = "PASS" if ratio <= BUDGET and placed == args.orders else "FAIL"
    line("ratio", f"{ratio:.3f} / {BUDGET}  {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
