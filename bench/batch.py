"""`inventory order --from-file` with 500 lookup-and-order lines against the emulator at 50 ms a request.

    .venv/bin/python bench/batch.py [--orders 500] [--reps 3] [--latency-ms 50] [--profile]

Budget (issue 18, DESIGN.md "Performance budgets"): <= 2.5 s of wall for the command, start-up
included, every line placed, and the report (JSON lines) in the order of the file.

The emulator runs as `tnorder sim serve --latency-ms 50 --complete-after 0` (its own process);
Bandwidth v1, OAuth2. Each rep orders into a fresh store (the world keeps the numbers bought: each
rep buys new ones). Printed: the wall (median and min-max of the reps), the CPU of the command and
of the emulator meanwhile (both share the machine's cores), the load average; PASS/FAIL on the median.
The comparison with one process per line that this script made before issue 18 is gone: it took
minutes (200 processes of ~0.6 s) to show a ratio of ~0.015 against a budget of 0.10.

On a FAIL (or with --profile) the report goes on with what bounds the wall, from this run's
figures: the wire floor (rounds of WORKERS lines, each line's requests as the emulator logged them,
at the emulator's latency), the CPU of the batch and the emulator against the machine's cores, the
batch's own CPU (one process), its CPU per line; then one more rep (not in the median) under
bench/_profile.py, every thread on its CPU clock, and its top functions by own time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))  # WORKERS: this checkout's
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _common import (
    TNORDER,
    Floor,
    bounded_by,
    budget,
    cores,
    env,
    forced_note,
    line,
    load,
    print_profile,
    profiled,
    requests_in,
    run_beside,
)
from poll import reference_loop

from emulator import Emulator

# tests/emulator.py starts processes through the tests' fork server; a benchmark starts its emulator
# as an operator would, exec'd. Only here: the suite's own benchmark must not pass this to pytest.
os.environ.setdefault("TNORDER_TEST_FORK", "0")

BUDGET = 2.5
NPAS = ("919", "704", "336", "828", "910", "252", "980", "984")


@dataclass
class Rep:
    wall: float
    cpu: float  # the batch process, user+sys
    served: float  # the emulator's CPU meanwhile
    requests: int  # the requests the emulator logged meanwhile
    rows: list[dict]


def configure(environ: dict[str, str], url: str) -> None:
    for args in (["config", "carrier", "add", "bw", "--kind", "bandwidth", "--url", url],
                 ["config", "account", "add", "bw", "--carrier", "bw", "--account-id", "9900001", "--site-id", "1",
                  "--client-id-env", "BENCH_ID", "--client-secret-env", "BENCH_SECRET"],
                 ["config", "inventory-type", "add", "BW", "--account", "bw"]):
        subprocess.run([TNORDER, *args], env=environ, check=True, capture_output=True)


def one_run(orders: Path, home: Path, emulator: Emulator, profile: Path | None = None) -> Rep:
    """One batch into a fresh store: as `tnorder`, or as `python -m tnorder` under the profiler."""
    for stale in home.glob("tnorder.db*"):
        stale.unlink()
    environ = env(TNORDER_HOME=str(home), BENCH_ID="bench", BENCH_SECRET="bench")
    args = ["inventory", "order", "--type", "BW", "--from-file", str(orders), "--yes", "--json"]
    command = profiled(profile, *args) if profile else [TNORDER, *args]
    seen = len(emulator.lines)
    done = run_beside(command, environ, emulator.proc.pid)
    if done.code != 0:
        raise SystemExit(f"the batch failed:\n{done.err}")
    time.sleep(0.2)  # the emulator's last log lines, read by another thread
    requests = requests_in(emulator.lines[seen:])
    return Rep(done.wall, done.cpu, done.served, requests, [json.loads(row) for row in done.out.splitlines()])


def bound(reps: list[Rep], lines: int, latency_ms: int, goal: float) -> None:
    """The floors of the median wall: the wire, both processes' CPU on the cores, the batch's own CPU."""
    from tnorder.services.batch import WORKERS

    wall, cpu = statistics.median(r.wall for r in reps), statistics.median(r.cpu for r in reps)
    served = statistics.median(r.served for r in reps)
    per_line = statistics.median(r.requests for r in reps) / lines
    rounds = math.ceil(lines / WORKERS)
    bounded_by(wall, goal, [
        Floor("wire-bound", f"wire: ⌈{lines} lines / {WORKERS} workers⌉ × {per_line:.2f} requests a line "
              f"(the emulator's log) × {latency_ms} ms", rounds * per_line * latency_ms / 1000),
        Floor("CPU-bound", f"batch + emulator CPU {cpu:.2f} + {served:.2f} s on {cores()} cores",
              (cpu + served) / cores()),
        Floor("CPU-bound in one process", f"the batch's own CPU {cpu:.2f} s (its Python runs a thread at a time)",
              cpu),
    ], {"the batch's CPU per line (start-up included)": f"{cpu / lines * 1000:.1f} ms",
        "the emulator's CPU per line": f"{served / lines * 1000:.1f} ms"})


def profile_rep(orders: Path, home: Path, emulator: Emulator, out: Path, cpu: float) -> None:
    """One more batch under the profiler; its figures beside the median CPU show the profiler's cost."""
    rep = one_run(orders, home, emulator, out)
    line("one more rep under the profiler (not in the median)",
         f"{rep.wall:.2f} s wall, CPU {rep.cpu:.2f} s ({cpu:.2f} s without the profiler)")
    print_profile(out, "profile of that rep (all threads, CPU time)", cpu)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=500)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--profile", action="store_true", help="the bound section and a profile even on a PASS")
    args = ap.parse_args()
    goal = budget(BUDGET)
    with tempfile.TemporaryDirectory(prefix="tnorder-bench-") as tmp:
        emulator = Emulator(Path(tmp) / "emulator", "--latency-ms", str(args.latency_ms), "--complete-after", "0")
        try:
            home = Path(tmp) / "home"
            configure(env(TNORDER_HOME=str(home)), emulator.url)
            shutil.copyfile(home / "config.toml", Path(tmp) / "config.toml")
            orders = Path(tmp) / "orders.csv"
            orders.write_text("area_code,quantity\n" + "".join(f"{NPAS[i % len(NPAS)]},1\n"
                                                               for i in range(args.orders)))
            reps = [one_run(orders, home, emulator) for _ in range(args.reps)]
            ok = report(reps, args, goal)
            if not ok or args.profile:
                bound(reps, args.orders, args.latency_ms, goal)
                profile_rep(orders, home, emulator, Path(tmp) / "batch.prof", statistics.median(r.cpu for r in reps))
        finally:
            emulator.stop()
    return 0 if ok else 1


def report(reps: list[Rep], args: argparse.Namespace, goal: float) -> bool:
    """The figures of the reps; True if every goal is met."""
    walls = [r.wall for r in reps]
    placed = [sum(1 for row in r.rows if row["result"] == "placed") for r in reps]
    in_order = [[row["file_line"] for row in r.rows] == list(range(2, args.orders + 2)) for r in reps]  # 1: header
    wall = statistics.median(walls)
    ok = wall <= goal and all(n == args.orders for n in placed) and all(in_order)
    print(f"batch: inventory order --from-file, {args.orders} lookup-and-order lines, emulator at "
          f"{args.latency_ms} ms; {load()}; {reference_loop()}{forced_note()}")
    line("lines placed, per rep", " ".join(map(str, placed)) + f" / {args.orders}")
    line("report in the order of the file, per rep", " ".join("yes" if o else "NO" for o in in_order))
    line("CPU per rep: the batch (user+sys) / the emulator meanwhile",
         ", ".join(f"{r.cpu:.2f}/{r.served:.2f}" for r in reps) + " s")
    line(f"wall, start-up included: median (min-max of {len(walls)})",
         f"{wall:.2f} s ({min(walls):.2f}-{max(walls):.2f})  budget {goal:g} s  {'PASS' if ok else 'FAIL'}")
    return ok


if __name__ == "__main__":
    raise SystemExit(main())
