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

On a FAIL of a time budget, the report goes on with what bounds it: the SQLite floor measured for
that size in the same run (even with --skip-big left off it measures the size that failed), the
import's wall as a ratio of it and whether the floor alone is over the budget, the import's own CPU;
then the profile of one 100,000-row import (its per-row work is the 1,000,000-row import's too).

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
from _common import PY, TNORDER, Floor, bounded_by, budget, env, forced_note, line, load, print_profile

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


def report(label: str, runs: list[Run], goal: float, rss_budget: float | None = None) -> tuple[bool, bool]:
    """Print a size's figures; (time budget met, memory budget met or none)."""
    walls, cpus, rss = [r.wall for r in runs], [r.cpu for r in runs], max(r.rss_mib for r in runs)
    median = statistics.median(walls)
    ok = median <= goal
    line(f"{label}: wall median, {len(runs)} run(s)",
         f"{median:.2f} s  (min-max {min(walls):.2f}-{max(walls):.2f}; CPU {statistics.median(cpus):.2f} s)")
    line(f"{label}: budget {goal:g} s", f"ratio {median / goal:.2f}  {'PASS' if ok else 'FAIL'}")
    if rss_budget is None:
        line(f"{label}: peak RSS (info)", f"{rss:.0f} MiB")
        return ok, True
    rss_ok = rss <= rss_budget
    line(f"{label}: peak RSS, budget {rss_budget} MiB", f"{rss:.0f} MiB  {'PASS' if rss_ok else 'FAIL'}")
    return ok, rss_ok


def bound(rows: int, runs: list[Run], goal: float, floor: tuple[float, float] | None) -> None:
    """What bounds a size whose time budget failed: SQLite's own write of it, and the import's own CPU."""
    wall, cpu = statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs)
    floors = [Floor("CPU-bound in one process", f"the import's own CPU {cpu:.2f} s (start-up included)", cpu)]
    if floor is None:
        bounded_by(wall, goal, floors, {"SQLite floor": "not measured (--no-floor)"}, f"{rows:,} rows")
        return
    floor_wall, floor_cpu = floor
    floors.insert(0, Floor("SQLite-bound", f"SQLite's own write of {rows:,} rows and their history (bare "
                           "executemany, same schema, no CSV, no start-up)", floor_wall))
    bounded_by(wall, goal, floors, {"the import against the SQLite floor": f"{wall / floor_wall:.2f} × its wall, "
                                    f"{cpu / floor_cpu:.2f} × its CPU ({floor_cpu:.2f} s)"}, f"{rows:,} rows")
    if floor_wall > goal:
        print(f"  -> the floor alone ({floor_wall:.2f} s) is over the {goal:g} s budget: the budget is below "
              "SQLite's own write of this schema")
    else:
        print(f"  -> the floor ({floor_wall:.2f} s) fits the {goal:g} s budget: the other {wall - floor_wall:.2f} s "
              "are tnorder's own (start-up, reading and checking the CSV, its statements; profile below)")


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
    home = tmp / f"home-schema-{rows}"  # a store per size: a run may measure both
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
    print_profile(stats, f"profile of one {SMALL:,}-row import (one thread, wall clock)", top=top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="runs of the 100,000-row import (at least 3)")
    parser.add_argument("--big-reps", type=int, default=1, help="runs of the 1,000,000-row import")
    parser.add_argument("--skip-big", action="store_true", help="no 1,000,000-row runs (a quick look)")
    parser.add_argument("--no-floor", action="store_true", help="no SQLite floor")
    parser.add_argument("--profile", action="store_true", help="profile one 100,000-row import")
    args = parser.parse_args()
    print(f"import_csv: {SMALL:,} rows x {args.reps}, {BIG:,} rows x {0 if args.skip_big else args.big_reps}; "
          f"{load()}{forced_note()}")
    goals = {SMALL: budget(SMALL_BUDGET), BIG: budget(BIG_BUDGET)}
    runs: dict[int, list[Run]] = {}
    slow: list[int] = []  # the sizes over their time budget
    ok = True
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        small = tmp / "small.csv"  # kept to the end: the profile on a FAIL imports it
        write_csv(small, SMALL)
        runs[SMALL] = imports(small, SMALL, args.reps, tmp, "small")
        fast, _ = report(f"{SMALL:,} rows", runs[SMALL], goals[SMALL])
        ok &= fast
        slow += [] if fast else [SMALL]
        refused_whole(tmp)
        if not args.skip_big:
            big = tmp / "big.csv"
            write_csv(big, BIG)
            runs[BIG] = imports(big, BIG, args.big_reps, tmp, "big")
            fast, small_enough = report(f"{BIG:,} rows", runs[BIG], goals[BIG], BIG_RSS_MIB)
            ok &= fast and small_enough
            slow += [] if fast else [BIG]
            big.unlink()
        floors = {} if args.no_floor else measure_floors(tmp, args.skip_big, slow)
        for rows in slow:
            bound(rows, runs[rows], goals[rows], floors.get(rows))
        if args.profile or slow:
            profile(small, tmp)
    print(f"  {load()} (after)")
    return 0 if ok else 1


def measure_floors(tmp: Path, skip_big: bool, slow: list[int]) -> dict[int, tuple[float, float]]:
    """The SQLite floor of the largest size run (information) and of every size over its budget."""
    floors = {}
    for rows in sorted({SMALL if skip_big else BIG, *slow}):
        floors[rows] = wall, cpu = sqlite_floor(tmp, rows)
        line(f"SQLite floor, {rows:,} rows + history (info)", f"{wall:.2f} s wall, {cpu:.2f} s CPU")
    return floors


if __name__ == "__main__":
    os.environ.pop("TNORDER_DB", None)
    raise SystemExit(main())
