"""Budget: every command that makes no carrier call ≤ 1.10 × a floor, on a small store and on a
1,000,000-number store. The floor is a bare Typer app that opens the same SQLite file with
SQLAlchemy Core and runs one query (`SELECT … FROM numbers WHERE status = 'available' ORDER BY
number LIMIT 50`), measured in the same run, interleaved with the commands.

    .venv/bin/python bench/store_commands.py [--reps 15] [--rows 1000000] [--keep DIR] [--small-only]

`--keep DIR` builds the 1M store once in DIR/tnorder.db and reuses it (as store_list.py does).
Each line: the command's median wall time, the floor's in the same run, their ratio against the
budget, the noise (the lowest and highest ratio of single repetitions), and the CPU (user+sys)
medians and their ratio, which other work on the machine moves less than wall time.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PY, TNORDER, env, line, load
from _ratios import interleaved, report
from store_list import build

BUDGET = 1.10

FLOOR_APP = textwrap.dedent('''
    """The floor: a bare Typer app that opens the store with SQLAlchemy Core and runs one query."""
    import json
    import typer

    app = typer.Typer(add_completion=False, rich_markup_mode="rich")
    group = typer.Typer()
    app.add_typer(group, name="inventory")

    @group.command("list")
    def list_(db: str = typer.Option(...), status: str = typer.Option("available"),
              limit: int = typer.Option(50), as_json: bool = typer.Option(False, "--json")) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(f"sqlite:///{db}")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT number, status FROM numbers WHERE status = :s "
                                     "ORDER BY number LIMIT :n"), {"s": status, "n": limit}).all()
        print(json.dumps([dict(r._mapping) for r in rows]))

    if __name__ == "__main__":
        app()
''')


def small_store(home: Path) -> None:
    """A few hundred numbers, a customer with a line, some orders: an everyday store."""
    build(home / "tnorder.db", 500)


def add_customer(db: Path) -> None:
    """`customer show` needs a customer and a line: cust-00001 holds some of the assigned numbers."""
    with sqlite3.connect(db) as conn:
        if conn.execute("SELECT 1 FROM customers WHERE account = 'cust-00001'").fetchone():
            return
        stamp = "2025-01-01 00:00:00.000000"
        cur = conn.execute("INSERT INTO customers (account, name, created_at) VALUES ('cust-00001', 'Bench', ?)",
                           (stamp,))
        conn.execute("INSERT INTO service_lines (customer_id, line, description, created_at) "
                     "VALUES (?, 'main', NULL, ?)", (cur.lastrowid, stamp))
        conn.execute("UPDATE numbers SET line = 'main' WHERE customer = 'cust-00001'")


def commands(db: Path, floor: Path) -> dict[str, list[str]]:
    with sqlite3.connect(db) as conn:
        number = conn.execute("SELECT number FROM numbers WHERE status = 'available' ORDER BY number "
                              "LIMIT 1").fetchone()[0]
        ref = conn.execute("SELECT ref FROM orders ORDER BY id LIMIT 1").fetchone()[0]
    t = [TNORDER]
    return {
        "floor": [PY, str(floor), "inventory", "list", "--db", str(db), "--json"],
        "inventory list --status available --area-code 919 --limit 50 --json":
            [*t, "inventory", "list", "--status", "available", "--area-code", "919", "--limit", "50", "--json"],
        "inventory list --limit 50 (table)": [*t, "inventory", "list", "--limit", "50"],
        f"inventory show {number} --json": [*t, "inventory", "show", number, "--json"],
        "inventory summary --json": [*t, "inventory", "summary", "--json"],
        "orders pending --json": [*t, "orders", "pending", "--json"],
        "orders list --limit 50 --json": [*t, "orders", "list", "--limit", "50", "--json"],
        f"orders show {ref} --json": [*t, "orders", "show", ref, "--json"],
        "orders poll --jsonl (nothing pending)": [*t, "orders", "poll", "--jsonl"],
        "customer show cust-00001 --json": [*t, "customer", "show", "cust-00001", "--json"],
        "customer list --json": [*t, "customer", "list", "--json"],
        "config carrier list --json": [*t, "config", "carrier", "list", "--json"],
        "config account list --json": [*t, "config", "account", "list", "--json"],
        "config inventory-type list --json": [*t, "config", "inventory-type", "list", "--json"],
    }


def measure(label: str, home: Path, floor: Path, reps: int) -> bool:
    db = home / "tnorder.db"
    add_customer(db)
    before = load()
    runs = interleaved(commands(db, floor), reps, env(TNORDER_HOME=str(home)))
    base = runs.pop("floor")
    print(f"{label}: medians of {reps} interleaved runs; before the runs: {before}")
    line("floor: bare Typer app + SQLAlchemy Core, one query",
         f"{base.wall * 1000:6.1f} ms wall, {base.cpu * 1000:5.1f} ms CPU "
         f"(runs {min(base.walls) * 1000:.0f}-{max(base.walls) * 1000:.0f} ms)")
    failed = False
    for name, got in runs.items():
        failed |= report(name, got, base, BUDGET)
    print(f"  after the runs: {load()}")
    return failed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, help="build (once) and keep the large store in this directory")
    ap.add_argument("--small-only", action="store_true")
    args = ap.parse_args()
    failed = False
    with tempfile.TemporaryDirectory(prefix="tnorder-bench-") as tmp:
        floor = Path(tmp) / "floor_app.py"
        floor.write_text(FLOOR_APP)
        small = Path(tmp) / "small"
        small.mkdir()
        small_store(small)
        failed |= measure("store commands, small store (500 numbers)", small, floor, args.reps)
        if not args.small_only:
            big = args.keep.resolve() if args.keep else Path(tmp) / "big"
            big.mkdir(parents=True, exist_ok=True)
            db = big / "tnorder.db"
            have = 0
            if db.exists():
                with sqlite3.connect(db) as c:
                    have = c.execute("SELECT count(*) FROM numbers").fetchone()[0]
            if have != args.rows:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
                build(db, args.rows)
            print()
            failed |= measure(f"store commands, {args.rows:,}-number store", big, floor, args.reps)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
