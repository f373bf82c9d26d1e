"""Budget: importing 100,000 numbers from CSV ≤ 3 s.

`tnorder inventory import FILE` as a real process (start-up included) on a fresh store, with a
header row naming state, rate center, city, LATA and zip, the numbers written in mixed common US
forms. Reports the median wall and CPU of `--reps` runs, each on a new home, and checks that every
number landed.

    .venv/bin/python bench/import_csv.py [--rows 100000] [--reps 3]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import TNORDER, env, line, load, run_once, verdict

BUDGET = 3.0
FORMS = ("{a}{b}{c}", "({a}) {b}-{c}", "{a}-{b}-{c}", "+1 {a} {b} {c}", "1{a}{b}{c}")


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(7)
    npas = ("919", "704", "312", "415", "212", "305", "617", "206")
    with path.open("w", encoding="utf-8") as out:
        out.write("number,state,rate_center,city,lata,zip\n")
        for i in range(rows):
            a, b, c = npas[i % len(npas)], 200 + (i // 10_000) % 700, f"{i % 10_000:04d}"
            out.write(f"\"{rng.choice(FORMS).format(a=a, b=b, c=c)}\",NC,RALEIGH,RALEIGH,426,27601\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    print(f"import_csv: {args.rows:,} rows, {args.reps} runs; {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "numbers.csv"
        write_csv(csv_path, args.rows)
        walls, cpus = [], []
        for rep in range(args.reps):
            home = Path(tmp) / f"home-{rep}"
            wall, cpu = run_once([TNORDER, "inventory", "import", str(csv_path)], env(TNORDER_HOME=str(home)))
            walls.append(wall)
            cpus.append(cpu)
            with sqlite3.connect(home / "tnorder.db") as db:
                count = db.execute("SELECT count(*) FROM numbers WHERE status = 'available'").fetchone()[0]
            if count != args.rows:
                raise SystemExit(f"only {count} of {args.rows} numbers imported")
    median = statistics.median(walls)
    line("wall, median (s)", f"{median:.2f}  (min {min(walls):.2f}; CPU median {statistics.median(cpus):.2f})")
    line(f"ratio to the {BUDGET:.0f} s budget", f"{median / BUDGET:.2f}  {verdict(median, BUDGET)}")
    return 0 if median <= BUDGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
