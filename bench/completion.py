"""Budget: a shell completion of values answers in ≤ 0.5 s (wall, start-up included) on a
1,000,000-number store: inventory types (`--type`), customers (`--customer`), the lines of a
customer (`--line`), pending order references (`orders show`) and references by prefix.

    .venv/bin/python bench/completion.py [--reps 15] [--rows 1000000] [--keep DIR]

The store is store_list.py's (`--keep DIR` builds it once and reuses it), plus 5,000 customers
(the accounts its assigned numbers carry) with three lines each and 100 pending orders, added here
if missing. Each completion runs as the shell's script runs it: `tnorder` as a process with
`_TNORDER_COMPLETE=complete_bash`, `COMP_WORDS` and `COMP_CWORD`.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import TNORDER, env, line, load, run_once
from store_list import build

BUDGET = 0.5  # seconds
CUSTOMERS = 5000
LINES = ("fax", "main office", "sales")
PENDING = 100

# (label, COMP_WORDS, a value the answer must hold)
CASES = [
    ("inventory list --type S<Tab>", "tnorder inventory list --type S", "Sandbox\\ DIDs"),
    ("inventory list --customer cust-0001<Tab>", "tnorder inventory list --customer cust-0001", "cust-00019"),
    ("customer add-dids cust-00042 --line <Tab>", "tnorder customer add-dids cust-00042 --line ", "main\\ office"),
    ("orders show <Tab> (pending refs)", "tnorder orders show ", "ORD-900001"),
    ("orders show ORD-0000<Tab> (refs by prefix)", "tnorder orders show ORD-0000", "ORD-000042"),
]


def add_customers_and_pending(db: Path) -> None:
    """Customers with lines and pending orders, unless already there (the store may be reused)."""
    with sqlite3.connect(db) as conn:
        if conn.execute("SELECT count(*) FROM customers").fetchone()[0] >= CUSTOMERS:
            return
        stamp = "2025-01-01 00:00:00.000000"
        conn.executemany("INSERT INTO customers (id, account, name, created_at) VALUES (?, ?, ?, ?)",
                         ((k + 1, f"cust-{k:05d}", f"Customer {k}", stamp) for k in range(CUSTOMERS)))
        conn.executemany("INSERT INTO service_lines (customer_id, line, description, created_at) VALUES (?, ?, ?, ?)",
                         ((k + 1, name, f"{name} of customer {k}", stamp)
                          for k in range(CUSTOMERS) for name in LINES))
        conn.executemany(
            "INSERT INTO orders (ref, kind, method, carrier, account, inventory_type, quantity, key, status, actor, "
            "created_at, updated_at) VALUES (?, 'purchase', 'numbers', 'sandbox', 'sandbox', 'Sandbox DIDs', 5, ?, "
            "'pending', 'bench', ?, ?)",
            ((f"ORD-{900000 + k:06d}", f"bench-pending-{k}", stamp, stamp) for k in range(1, PENDING + 1)))


REFERENCE = "reference: tnorder --version (start-up only)"


class _Ctx:
    """What a completion callback reads of Typer's context: the parameters parsed so far."""

    def __init__(self, **params: str) -> None:
        self.params = params

    def find_root(self) -> _Ctx:
        return self


def in_process(home: Path, reps: int = 20) -> None:
    """The callbacks alone (config read or store query), without start-up: median of `reps` calls."""
    import os

    from tnorder import completing

    os.environ["TNORDER_HOME"] = str(home)
    calls = {"--type": (completing.inventory_types, _Ctx(), "S"),
             "--customer": (completing.customers, _Ctx(), "cust-0001"),
             "--line": (completing.lines, _Ctx(account="cust-00042"), ""),
             "orders show (pending)": (completing.order_refs, _Ctx(), ""),
             "orders show ORD-0000": (completing.order_refs, _Ctx(), "ORD-0000")}
    for label, (callback, ctx, incomplete) in calls.items():
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            found = callback(ctx, incomplete)
            times.append(time.perf_counter() - t0)
        assert found, label
        line(f"in process, the callback alone: {label}", f"{statistics.median(times) * 1000:6.2f} ms (info)")


def words(comp_words: str) -> int:
    """COMP_CWORD: the index of the last word (escaped spaces stay inside a word)."""
    return len(comp_words.replace("\\ ", "_").split(" ")) - 1


def check(environ: dict[str, str], comp_words: str, expected: str) -> int:
    """Run once, check the answer holds `expected`; returns how many values it offered."""
    done = subprocess.run([TNORDER], env=environ | {"COMP_WORDS": comp_words, "COMP_CWORD": str(words(comp_words))},
                          capture_output=True, text=True, check=True)
    answer = done.stdout.splitlines()
    assert answer[:1] == ["::values"] and expected in answer and not done.stderr, (comp_words, answer[:5], done.stderr)
    return len(answer) - 1


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--keep", type=Path, help="build (once) and keep the store in this directory")
    args = ap.parse_args()

    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="tnorder-bench-")
    home = args.keep.resolve() if args.keep else Path(tmp.name)
    home.mkdir(parents=True, exist_ok=True)
    db = home / "tnorder.db"
    try:
        have = 0
        if db.exists():
            with sqlite3.connect(db) as c:
                have = c.execute("SELECT count(*) FROM numbers").fetchone()[0]
        print(f"completion: {args.rows:,} numbers in {db}")
        if have != args.rows:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            line("store build (store_list.build)", f"{build(db, args.rows):6.2f} s")
        else:
            line("store build", f"reused ({have:,} rows)")
        add_customers_and_pending(db)

        environ = env(TNORDER_HOME=str(home), _TNORDER_COMPLETE="complete_bash")
        offered = {label: check(environ, comp, expected) for label, comp, expected in CASES}
        runs = {label: [] for label, _, _ in CASES}
        commands = {label: environ | {"COMP_WORDS": comp, "COMP_CWORD": str(words(comp))} for label, comp, _ in CASES}
        # the same start-up without completing: what a Tab costs beyond starting tnorder at all
        runs[REFERENCE] = []
        commands[REFERENCE] = env(TNORDER_HOME=str(home))
        argv = {label: [TNORDER] for label in commands} | {REFERENCE: [TNORDER, "--version"]}
        offered[REFERENCE] = 0
        for label in commands:  # warm the bytecode and the page cache
            run_once(argv[label], commands[label])
        for _ in range(args.reps):  # interleaved: load on the machine hits every case alike
            for label, case_env in commands.items():
                runs[label].append(run_once(argv[label], case_env))
        print(f"  per completion, {args.reps} runs each: wall median (min-max), CPU median; budget {BUDGET} s; "
              f"{load()}")
        failed = False
        for label, measured in runs.items():
            walls = [wall for wall, _ in measured]
            median = statistics.median(walls)
            verdict = "PASS" if median <= BUDGET else "FAIL"
            if label == REFERENCE:
                verdict = "(info)"
            failed |= verdict == "FAIL"
            line(label if label == REFERENCE else f"{label} [{offered[label]} values]",
                 f"{median * 1000:6.1f} ms ({min(walls) * 1000:.0f}-{max(walls) * 1000:.0f}), "
                 f"CPU {statistics.median(cpu for _, cpu in measured) * 1000:5.1f} ms  "
                 f"{median / BUDGET:.2f} of {BUDGET} s  {verdict}")
        in_process(home)
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
