"""Budgets on a 1,000,000-number inventory:

* `tnorder inventory list --status available --area-code 919 --limit 50 --json`
  ≤ 1.3 × `python -c "import sqlmodel"`;
* `tnorder inventory list --json` over all 1,000,000 numbers streams in bounded memory: peak RSS ≤ 150 MiB.

    .venv/bin/python bench/store_list.py [--rows 1000000] [--reps 10] [--keep DIR]

`--keep DIR` builds the store in DIR/tnorder.db and reuses it on later runs (default: a temp dir).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PY, TNORDER, env, line, load, medians, verdict

RATIO_BUDGET = 1.3
MEMORY_BUDGET_MIB = 150
ITYPE = "Sandbox DIDs"
# (status, weight): most numbers sit available or assigned
STATUSES = [("available", 45), ("assigned", 35), ("pending", 5), ("disconnecting", 5), ("disconnected", 10)]
RATE_CENTERS = {"919": ("RALEIGH", "Raleigh", "NC", "426", "27601")}


def npas(rng: random.Random, count: int) -> list[str]:
    """`count` distinct plausible NPAs other than 919."""
    out: set[str] = set()
    while len(out) < count:
        npa = f"{rng.randint(2, 9)}{rng.randint(0, 8)}{rng.randint(0, 9)}"
        if npa != "919" and npa[1:] != "11":
            out.add(npa)
    return sorted(out)


def build(db: Path, rows: int, seed: int = 7) -> float:
    """Schema through tnorder's own migrations, then rows via sqlite3.executemany (fast)."""
    t0 = time.perf_counter()
    from tnorder.store import Store

    store = Store(f"sqlite:///{db}")
    store.close()

    rng = random.Random(seed)
    per_npa = 10_000  # numbers per NPA: 919 gets 10 % of all, the rest are spread over many NPAs
    n919 = rows // 10
    others = npas(rng, max(1, -(-(rows - n919) // per_npa)))
    blocks = [("919", n919)] + [(npa, min(per_npa, rows - n919 - i * per_npa)) for i, npa in enumerate(others)]
    blocks = [(npa, n) for npa, n in blocks if n > 0]
    rng.shuffle(blocks)  # NPAs arrive in no particular order, as orders over time would bring them
    statuses = [s for s, _ in STATUSES]
    weights = [w for _, w in STATUSES]
    base = datetime(2025, 1, 1, 0, 0, 0)

    def rows_of(npa: str, n: int, start_id: int):
        picks = rng.choices(statuses, weights, k=n)
        rc = RATE_CENTERS.get(npa, (f"RC{npa}", f"City {npa}", "ZZ", "999", "00000"))
        nxx0 = 200 + rng.randint(0, 500)
        for i in range(n):
            nxx, station = nxx0 + i // 10_000, i % 10_000
            status = picks[i]
            assigned = status in ("assigned", "disconnecting")
            # SQLAlchemy's SQLite DateTime text form: always with microseconds
            stamp = (base + timedelta(seconds=start_id + i, microseconds=rng.randint(0, 999_999))
                     ).isoformat(" ", "microseconds")
            yield (f"+1{npa}{nxx}{station:04d}", status, ITYPE, "sandbox", "sandbox",
                   f"cust-{(start_id + i) % 5000:05d}" if assigned else None,
                   f"line-{start_id + i}" if assigned else None,
                   *rc, f"ORD-{(start_id + i) // 50 + 1:06d}", stamp, stamp)

    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-262144")  # 256 MiB page cache for the build only
    conn.execute("BEGIN")
    # secondary indexes are dropped for the load and re-created from their own DDL afterwards
    # (a sort-built index is much faster than 1M scattered inserts); the schema ends identical
    indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                           "AND tbl_name = 'numbers' AND sql IS NOT NULL").fetchall()
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    start = 0
    for npa, n in blocks:
        conn.executemany(
            "INSERT INTO numbers (number, status, inventory_type, carrier, account, customer, line, "
            "rate_center, city, state, lata, zip, order_ref, created_at, updated_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows_of(npa, n, start),
        )
        start += n
    for _, sql in indexes:
        conn.execute(sql)
    # the completed orders those numbers came from (50 numbers an order), so refs resolve and new
    # orders get fresh ids and refs
    stamp = base.isoformat(" ", "microseconds")
    conn.executemany(
        "INSERT INTO orders (id, ref, kind, method, carrier, account, inventory_type, quantity, key, "
        "status, actor, created_at, updated_at) "
        "VALUES (?, ?, 'purchase', 'numbers', 'sandbox', 'sandbox', ?, 50, ?, 'complete', 'bench', ?, ?)",
        ((k, f"ORD-{k:06d}", ITYPE, f"bench-{k}", stamp, stamp) for k in range(1, (rows - 1) // 50 + 2)),
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    count = conn.execute("SELECT count(*) FROM numbers").fetchone()[0]
    conn.close()
    assert count == rows, (count, rows)
    return time.perf_counter() - t0


def peak_rss(cmd: list[str], environ: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of one run of `cmd`, stdout to /dev/null.

    Measured with /usr/bin/time -v, which forks from its own small process. Not with getrusage /
    os.wait4 from here: Linux carries the forking parent's high-water RSS into the child's
    ru_maxrss across exec, and this process is large after building the store (we saw 371 MiB
    reported for a child that peaks at 61 MiB).
    """
    timer = shutil.which("time", path="/usr/bin:/bin") or "/usr/bin/time"
    with open(os.devnull, "wb") as devnull:
        t0 = time.perf_counter()
        proc = subprocess.run([timer, "-v", *cmd], env=environ, stdout=devnull, stderr=subprocess.PIPE,
                              text=True)
        elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    kib = next(int(r.split(":")[1]) for r in proc.stderr.splitlines()
               if "Maximum resident set size" in r)
    return elapsed, kib / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--keep", type=Path, help="build (once) and keep the store in this directory")
    args = ap.parse_args()

    tmp = None
    if args.keep:
        home = args.keep.resolve()
        home.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="tnorder-bench-")
        home = Path(tmp.name)
    db = home / "tnorder.db"
    failed = False
    try:
        have = 0
        if db.exists():
            with sqlite3.connect(db) as c:
                have = c.execute("SELECT count(*) FROM numbers").fetchone()[0]
        print(f"store_list: {args.rows:,} numbers in {db}")
        if have == args.rows:
            line("store build", f"reused ({have:,} rows)")
        else:
            if db.exists():
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
            seconds = build(db, args.rows)
            line("store build (migrations + sqlite3.executemany)", f"{seconds:6.2f} s  "
                 f"({db.stat().st_size / 2**20:.0f} MiB on disk)")

        environ = env(TNORDER_HOME=str(home))
        query = [TNORDER, "inventory", "list", "--status", "available", "--area-code", "919",
                 "--limit", "50", "--json"]
        # correctness first: 50 available 919 numbers, in order
        out = subprocess.run(query, env=environ, capture_output=True, text=True, check=True).stdout
        got = json.loads(out)
        assert len(got) == 50 and all(r["status"] == "available" and r["number"].startswith("+1919")
                                      for r in got), got[:3]
        assert [r["number"] for r in got] == sorted(r["number"] for r in got)

        m = medians({"sqlmodel": [PY, "-c", "import sqlmodel"], "list": query}, args.reps, environ)
        ratio = m["list"][0] / m["sqlmodel"][0]
        cpu_ratio = m["list"][1] / m["sqlmodel"][1]
        min_ratio = m["list"][2] / m["sqlmodel"][2]
        v = verdict(ratio, RATIO_BUDGET)
        failed |= v == "FAIL"
        print(f"  medians of {args.reps} runs, wall (CPU user+sys); {load()}")
        line('python -c "import sqlmodel"',
             f"{m['sqlmodel'][0] * 1000:7.1f} ms ({m['sqlmodel'][1] * 1000:6.1f} ms CPU)")
        line("inventory list --status available --area-code 919 --limit 50 --json",
             f"{m['list'][0] * 1000:7.1f} ms ({m['list'][1] * 1000:6.1f} ms CPU)  "
             f"ratio {ratio:.3f} / {RATIO_BUDGET}  {v}  (CPU {cpu_ratio:.3f}, min {min_ratio:.3f})")

        seconds, mib = peak_rss([TNORDER, "inventory", "list", "--json"], environ)
        v = verdict(mib, MEMORY_BUDGET_MIB)
        failed |= v == "FAIL"
        line(f"inventory list --json, all {args.rows:,} (> /dev/null): peak RSS",
             f"{mib:7.1f} MiB / {MEMORY_BUDGET_MIB} MiB  {v}")
        line(f"inventory list --json, all {args.rows:,} (> /dev/null): time", f"{seconds:7.2f} s")
        seconds, mib = peak_rss([TNORDER, "inventory", "list", "--csv"], environ)
        line(f"inventory list --csv, all {args.rows:,} (info): time, peak RSS", f"{seconds:7.2f} s, {mib:.1f} MiB")
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
