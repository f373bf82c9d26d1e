"""`inventory order --from-file` with 500 lookup-and-order lines against the emulator at 50 ms a request.

    .venv/bin/python bench/batch.py [--orders 500] [--reps 3] [--latency-ms 50]

Budget (issue 18, DESIGN.md "Performance budgets"): <= 2.5 s of wall for the command, start-up
included, every line placed, and the report (JSON lines) in the order of the file.

The emulator runs as `tnorder sim serve --latency-ms 50 --complete-after 0` (its own process);
Bandwidth v1, OAuth2. Each rep orders into a fresh store (the world keeps the numbers bought: each
rep buys new ones). Printed: the wall (median and min-max of the reps), the CPU of the command and
of the emulator meanwhile (both share the machine's cores), the load average; PASS/FAIL on the median.
The comparison with one process per line that this script made before issue 18 is gone: it took
minutes (200 processes of ~0.6 s) to show a ratio of ~0.015 against a budget of 0.10.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _common import TNORDER, env, line, load
from poll import reference_loop

from emulator import Emulator

BUDGET = 2.5
NPAS = ("919", "704", "336", "828", "910", "252", "980", "984")


def configure(environ: dict[str, str], url: str) -> None:
    for args in (["config", "carrier", "add", "bw", "--kind", "bandwidth", "--url", url],
                 ["config", "account", "add", "bw", "--carrier", "bw", "--account-id", "9900001", "--site-id", "1",
                  "--client-id-env", "BENCH_ID", "--client-secret-env", "BENCH_SECRET"],
                 ["config", "inventory-type", "add", "BW", "--account", "bw"]):
        subprocess.run([TNORDER, *args], env=environ, check=True, capture_output=True)


def one_run(orders: Path, home: Path, emulator: Emulator) -> tuple[float, float, float, list[dict]]:
    """(wall, CPU of the command, CPU of the emulator meanwhile, the report's rows) of one batch."""
    for stale in home.glob("tnorder.db*"):
        stale.unlink()
    environ = env(TNORDER_HOME=str(home), BENCH_ID="bench", BENCH_SECRET="bench")
    served = _cpu_seconds(emulator.proc.pid)
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        proc = subprocess.Popen([TNORDER, "inventory", "order", "--type", "BW", "--from-file", str(orders), "--yes",
                                 "--json"], env=environ, stdout=subprocess.PIPE, stderr=errors)
        out = proc.stdout.read()
        proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        served = _cpu_seconds(emulator.proc.pid) - served
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            raise SystemExit(f"the batch failed:\n{errors.read().decode()}")
    return wall, usage.ru_utime + usage.ru_stime, served, [json.loads(row) for row in out.splitlines()]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=500)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--latency-ms", type=int, default=50)
    args = ap.parse_args()
    walls, cpus, served, placed, in_order = [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="tnorder-bench-") as tmp:
        emulator = Emulator(Path(tmp) / "emulator", "--latency-ms", str(args.latency_ms), "--complete-after", "0")
        try:
            home = Path(tmp) / "home"
            configure(env(TNORDER_HOME=str(home)), emulator.url)
            shutil.copyfile(home / "config.toml", Path(tmp) / "config.toml")
            orders = Path(tmp) / "orders.csv"
            orders.write_text("area_code,quantity\n" + "".join(f"{NPAS[i % len(NPAS)]},1\n"
                                                               for i in range(args.orders)))
            for _ in range(args.reps):
                wall, cpu, emulator_cpu, rows = one_run(orders, home, emulator)
                walls.append(wall)
                cpus.append(cpu)
                served.append(emulator_cpu)
                placed.append(sum(1 for r in rows if r["result"] == "placed"))
                in_order.append([r["file_line"] for r in rows] == list(range(2, args.orders + 2)))  # line 1: the header
        finally:
            emulator.stop()
    wall = statistics.median(walls)
    ok = wall <= BUDGET and all(n == args.orders for n in placed) and all(in_order)
    print(f"batch: inventory order --from-file, {args.orders} lookup-and-order lines, emulator at "
          f"{args.latency_ms} ms; {load()}; {reference_loop()}")
    line("lines placed, per rep", " ".join(map(str, placed)) + f" / {args.orders}")
    line("report in the order of the file, per rep", " ".join("yes" if o else "NO" for o in in_order))
    line("CPU per rep: the batch (user+sys) / the emulator meanwhile",
         ", ".join(f"{c:.2f}/{e:.2f}" for c, e in zip(cpus, served, strict=True)) + " s")
    line(f"wall, start-up included: median (min-max of {len(walls)})",
         f"{wall:.2f} s ({min(walls):.2f}-{max(walls):.2f})  budget {BUDGET} s  {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
