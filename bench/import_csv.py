"""Budgets (issue 18): importing 100,000 numbers from CSV ≤ 1.5 s; 1,000,000 ≤ 12 s and ≤ 300 MiB peak.

`tnorder inventory import FILE` as a real process (start-up included) on a fresh store, with a
header row naming state, rate center, city, LATA and zip, the numbers written in mixed common US
forms. Each run gets a new home; every number and its history event must have landed. Wall time
decides; CPU (user+sys of the child) and the min-max of the runs show the noise. Peak RSS is the
child's own, from `/usr/bin/time -f %M` (not getrusage of this process: see README, measuring notes).

Beside them, in the same run (information, no budget):
- a file with one bad row at its end: refused (exit 2), nothing imported, no history written;
- the SQLite floor: the same rows written by bare `sqlite3.executemany` (sorted, one transaction,
  every index kept, no CSV, no checks, no start-up) into the same schema: what SQLite alone costs.

- with --profile: one 100,000-row import under cProfile, its costliest functions by own time.

    .venv/bin/python bench/import_csv.py [--reps 3] [--big-reps 1] [--skip-big] [--no-floor] [--profile]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PY, TNORDER, env, line, load

FORMS = ("{a}{b}{c}", "({a}) {b}-{c}", "{a}-{b}-{c}", "+1 {a} {b} {c}", "1{a}{b}{c}")
SMALL, BIG = 100_000, 1_000_000
SMALL_BUDGET, BIG_BUDGET, BIG_RSS_MIB = 1.5, 12.0, 300


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mib: float
    code: int
    err: str


def write_csv(path: Path, rows: int, bad_last: bool = False) -> None:
    rng = random.Random(7)
    npas = ("919", "704", "312", "415", "212", "305", "617", "206")
    with path.open("w", encoding="utf-8") as out:
        out.write("number,state,rate_center,city,lata,zip\n")
        for i in range(rows):
            a, b, c = npas[i % len(npas)], 200 + (i // 10_000) % 700, f"{i % 10_000:04d}"
            out.write(f"\"{rng.choice(FORMS).format(a=a, b=b, c=c)}\",NC,RALEIGH,RALEIGH,426,27601\n")
        if bad_last:
            out.write("919-555-01xx,NC,RALEIGH,RALEIGH,426,27601\n")


def timed(args: list[str], home: Path) -> Run:
    """One run of tnorder with wall from here, CPU and peak RSS of the child from /usr/bin/time."""
    stats = home.parent / f"{home.name}.time"
    t0 = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-o", str(stats), "-f", "%M %U %S", TNORDER, *args],
                          env=env(TNORDER_HOME=str(home)), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, check=False)
    wall = time.perf_counter() - t0
    rss_kib, user, system = stats.read_text().split()[-3:]
    return Run(wall, float(user) + float(system), int(rss_kib) / 1024, done.returncode, done.stderr)


def counts(home: Path) -> tuple[int, int]:
    if not (home / "tnorder.db").exists():
        return 0, 0
    with sqlite3.connect(home / "tnorder.db") as db:
        return (db.execute("SELECT count(*) FROM numbers").fetchone()[0],
                db.execute("SELECT count(*) FROM number_events").fetchone()[0])


def imports(csv_path: Path, rows: int, reps: int, tmp: Path, tag: str) -> list[Run]:
    runs = []
    for rep in range(reps):
        home = tmp / f"home-{tag}-{rep}"
        run = timed(["inventory", "import", str(csv_path)], home)
        if run.code != 0:
            raise SystemExit(f"import failed ({run.code}): {run.err}")
        if counts(home) != (rows, rows):
            raise SystemExit(f"{tag}: {counts(home)} numbers and events in the store, not {rows}")
        runs.append(run)
    return runs


def report(label: str, runs: list[Run], budget: float, rss_budget: float | None = None) -> bool:
    walls, cpus, rss = [r.wall for r in runs], [r.cpu for r in runs], max(r.rss_mib for r in runs)
    median = statistics.median(walls)
    ok = median <= budget
    line(f"{label}: wall median, {len(runs)} run(s)",
         f"{median:.2f} s  (min-max {min(walls):.2f}-{max(walls):.2f}; CPU {statistics.median(cpus):.2f} s)")
    line(f"{label}: budget {budget:g} s", f"ratio {median / budget:.2f}  {'PASS' if ok else 'FAIL'}")
    if rss_budget is None:
        line(f"{label}: peak RSS (info)", f"{rss:.0f} MiB")
        return ok
    rss_ok = rss <= rss_budget
    line(f"{label}: peak RSS, budget {rss_budget} MiB", f"{rss:.0f} MiB  {'PASS' if rss_ok else 'FAIL'}")
    return ok and rss_ok


def refused_whole(tmp: Path) -> None:
    csv_path = tmp / "bad-last.csv"
    write_csv(csv_path, SMALL, bad_last=True)
    home = tmp / "home-bad"
    run = timed(["inventory", "import", str(csv_path)], home)
    numbers, events = counts(home)
    named = f"line {SMALL + 2}:" in run.err
    verdict = "as it must be" if run.code == 2 and named and (numbers, events) == (0, 0) else "WRONG"
    line(f"{SMALL:,} rows + 1 bad last row (info)",
         f"exit {run.code}, bad row named: {named}, {numbers} numbers and {events} events stored: {verdict} "
         f"({run.wall:.2f} s)")
    if verdict == "WRONG":
        raise SystemExit(f"the refused import left something behind or named nothing: {run.err}")


def sqlite_floor(tmp: Path, rows: int) -> tuple[float, float]:
    """(wall, CPU) of bare sqlite3 writing `rows` numbers and their history into tnorder's schema."""
    home = tmp / "home-schema"
    one = tmp / "one.csv"
    one.write_text("number\n9195550142\n", encoding="utf-8")
    if timed(["inventory", "import", str(one)], home).code != 0:
        raise SystemExit("could not make a store for the floor")
    script = f"""
import sqlite3, time, os
db = sqlite3.connect({str(home / 'tnorder.db')!r}, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=NORMAL")
numbers = sorted(f"+1{{2002000000 + i * 7}}" for i in range({rows}))
now = "2026-12-07 08:00:00.000000"
t0, c0 = time.perf_counter(), time.process_time()
db.execute("BEGIN IMMEDIATE")
for s in range(0, len(numbers), 5000):
    chunk = numbers[s:s + 5000]
    db.executemany("INSERT INTO numbers (number, status, inventory_type, carrier, account, customer, line, "
                   "rate_center, city, state, lata, zip, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   [(n, "available", "Sandbox DIDs", "sandbox", "sandbox", None, None, "RALEIGH", "RALEIGH", "NC",
                     "426", "27601", now, now) for n in chunk])
    db.executemany("INSERT INTO number_events (number, at, from_status, to_status, order_ref, actor, event, note) "
                   "VALUES (?,?,?,?,?,?,?,?)", [(n, now, None, "available", None, "bench", "imported", "imported")
                                                for n in chunk])
db.execute("COMMIT")
print(time.perf_counter() - t0, time.process_time() - c0)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def profile(csv_path: Path, tmp: Path, top: int = 8) -> None:
    """Where the time of one import goes (cProfile inflates Python code, not SQLite's own calls)."""
    stats = tmp / "import.prof"
    subprocess.run([PY, "-m", "cProfile", "-o", str(stats), "-m", "tnorder", "inventory", "import", str(csv_path)],
                   env=env(TNORDER_HOME=str(tmp / "home-profile")), stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    import pstats

    table = pstats.Stats(str(stats))
    total = table.total_tt  # type: ignore[attr-defined]
    rows = sorted(table.stats.items(), key=lambda item: item[1][2], reverse=True)[:top]  # type: ignore[attr-defined]
    print(f"  profile of one {SMALL:,}-row import (own time, {total:.1f} s in all under the profiler):")
    for (path, lineno, name), (_, calls, own, _cum, _) in rows:
        where = name if path == "~" else f"{Path(path).name}:{lineno} {name}"
        print(f"    {own:6.2f} s {own / total:4.0%}  {calls:>9,} calls  {where}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="runs of the 100,000-row import (at least 3)")
    parser.add_argument("--big-reps", type=int, default=1, help="runs of the 1,000,000-row import")
    parser.add_argument("--skip-big", action="store_true", help="no 1,000,000-row runs (a quick look)")
    parser.add_argument("--no-floor", action="store_true", help="no SQLite floor")
    parser.add_argument("--profile", action="store_true", help="profile one 100,000-row import")
    args = parser.parse_args()
    print(f"import_csv: {SMALL:,} rows x {args.reps}, {BIG:,} rows x {0 if args.skip_big else args.big_reps}; "
          f"{load()}")
    ok = True
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        small = tmp / "small.csv"
        write_csv(small, SMALL)
        ok &= report(f"{SMALL:,} rows", imports(small, SMALL, args.reps, tmp, "small"), SMALL_BUDGET)
        if args.profile:
            profile(small, tmp)
        small.unlink()
        refused_whole(tmp)
        if not args.skip_big:
            big = tmp / "big.csv"
            write_csv(big, BIG)
            ok &= report(f"{BIG:,} rows", imports(big, BIG, args.big_reps, tmp, "big"), BIG_BUDGET, BIG_RSS_MIB)
            big.unlink()
        if not args.no_floor:
            rows = SMALL if args.skip_big else BIG
            wall, cpu = sqlite_floor(tmp, rows)
            line(f"SQLite floor, {rows:,} rows + history (info)", f"{wall:.2f} s wall, {cpu:.2f} s CPU")
    print(f"  {load()} (after)")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.pop("TNORDER_DB", None)
    raise SystemExit(main())
