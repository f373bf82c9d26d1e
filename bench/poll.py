"""`tnorder orders poll` over many pending Bandwidth orders against the emulator at 50 ms per request.

    .venv/bin/python bench/poll.py [--cases 500,5000] [--reps 3] [--latency-ms 50] [--rate-limit 800]
                                   [--keep DIR] [--profile FILE]

Budgets (issue 18, DESIGN.md "Performance budgets"), wall time of the poll process, start-up included:
  500 pending orders    <= 1.5 s, every order applied
  5,000 pending orders  <= 8 s, every order applied, the emulator's rate limit on and its 429s honoured

The emulator runs as `tnorder sim serve --latency-ms 50 --complete-after 0` (a process of its own;
`--rate-limit N` for the 5,000 case). The orders are placed in its world and written to tnorder's
store as pending, as `_write_ahead` writes them; the carrier has finished them all, so one poll must
read and apply every one. Each rep restores the store as it was built, so every rep polls the same
pending orders. Printed per case: the wall (median and min-max of the reps), the CPU of the poll and
of the emulator meanwhile (both share the machine's cores), the 429s the emulator answered, the
load average; PASS/FAIL on the median. Exit 1 on any FAIL.

Rate limit: Bandwidth publishes its rate-limited groups (the order reads are in HISTORY) but not
their numbers (bandwidth.md §8, bandwidth-v2.md §4: "we don't want to expose our actual limits").
The default here, 800 HISTORY requests per second per account, is a guess stated as one: it is
below what an unthrottled poll asks for (so the poll meets 429s and must wait them out), and above
the 5,000 / 8 s = 625 requests a second without which no client could meet the budget.
"""

from __future__ import annotations

import argparse
import contextlib
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
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _common import PY, env, line, load

BUDGETS = {500: 1.5, 5000: 8.0}  # seconds of wall, start-up included
RATE_LIMIT = 800  # HISTORY requests per second per account, the 5,000 case (see the docstring)
RATE_LIMITED = 5000  # cases of at least this many orders run with the emulator's rate limit on
ACCOUNT = "9900001"
SECRETS = {"BENCH_ID": "bench", "BENCH_SECRET": "bench"}


def build(home: Path, world_path: Path, count: int) -> None:
    """`count` orders placed in the world (finished at the carrier) and pending in a fresh store."""
    os.environ.update(TNORDER_HOME=str(home), **SECRETS)
    from tnorder.carriers.base import AvailableNumber
    from tnorder.criteria import build as criteria
    from tnorder.models import Order
    from tnorder.services import ordering
    from tnorder.services.config_admin import add
    from tnorder.services.context import Context
    from tnorder.sim.world import World

    world = World(world_path, complete_after=0)
    numbers = [n.number for n in world.search(criteria(state="TX"), count)]
    if len(numbers) < count:
        raise SystemExit(f"the world offers {len(numbers)} Texas numbers, {count} wanted")
    with world._tx() as db:  # one transaction for all: as world.order places each
        placed = [world._place(db, [number], ACCOUNT, f"bench-{i}", [], {}).id for i, number in enumerate(numbers)]
    world.settle_due(ACCOUNT)  # the carrier has finished them all; the poll only has to read

    ctx = Context()
    add(ctx, "carriers", "bw", {"kind": "bandwidth", "url": "http://127.0.0.1:1/api"})
    add(ctx, "accounts", "bw", {"carrier": "bw", "account_id": ACCOUNT, "site_id": "1",  # OAuth2, as Bandwidth
                                "client_id_env": "BENCH_ID", "client_secret_env": "BENCH_SECRET"})  # asks now
    add(ctx, "inventory_types", "BW", {"account": "bw"})
    with ctx.store.write() as s, _one_transaction(ctx, s):  # each write-ahead as written, all in one commit
        for i, (number, carrier_id) in enumerate(zip(numbers, placed, strict=True)):
            plan = ordering.plan(ctx, inventory_type="BW", numbers=[number], key=f"bench-{i}")
            order = ordering._write_ahead(ctx, plan, "numbers", [AvailableNumber(number)])
            row = s.get(Order, order.id)
            row.carrier_order_id, row.status = carrier_id, "pending"
            s.add(row)
    ctx.close()


@contextlib.contextmanager
def _one_transaction(ctx, session):
    @contextlib.contextmanager
    def same():
        yield session

    write, ctx.store.write = ctx.store.write, same
    try:
        yield
    finally:
        ctx.store.write = write


def point_at(home: Path, url: str) -> None:
    config = home / "config.toml"
    text = config.read_text()
    start = text.index('url = "') + len('url = "')
    config.write_text(text[:start] + url + text[text.index('"', start):])


def restore(home: Path, built: Path) -> None:
    for suffix in ("-wal", "-shm"):
        (home / f"tnorder.db{suffix}").unlink(missing_ok=True)
    shutil.copyfile(built, home / "tnorder.db")


def run_case(count: int, args: argparse.Namespace, root: Path) -> bool:
    from emulator import Emulator

    case = root / f"poll-{count}"
    home, emulator_home, built = case / "home", case / "emulator", case / "tnorder.db.built"
    world_path = emulator_home / "sandbox" / "world.sqlite"
    if not built.exists():
        shutil.rmtree(case, ignore_errors=True)
        started = time.perf_counter()
        world_path.parent.mkdir(parents=True)
        build(home, world_path, count)
        shutil.copyfile(home / "tnorder.db", built)
        line(f"setup: {count} orders in the world and the store", f"{time.perf_counter() - started:.1f} s")
    limit = args.rate_limit if count >= RATE_LIMITED else 0
    flags = ["--latency-ms", str(args.latency_ms), "--complete-after", "0", "--rate-limit", str(limit)]
    emulator = Emulator(emulator_home, *flags)
    walls, cpus, served, limited, applied = [], [], [], [], []
    try:
        point_at(home, emulator.url)
        environ = env(TNORDER_HOME=str(home), **SECRETS)
        for rep in range(args.reps):
            restore(home, built)
            profile = ["-m", "cProfile", "-o", f"{args.profile}.{count}"] if args.profile and rep == 0 else []
            seen, emulator_cpu = len(emulator.lines), _cpu_seconds(emulator.proc.pid)
            started = time.perf_counter()
            with tempfile.TemporaryFile() as errors:
                proc = subprocess.Popen([PY, *profile, "-m", "tnorder", "orders", "poll", "--json"], env=environ,
                                        stdout=subprocess.PIPE, stderr=errors)
                out = proc.stdout.read()
                proc.stdout.close()
                _, status, usage = os.wait4(proc.pid, 0)
                wall = time.perf_counter() - started
                served.append(_cpu_seconds(emulator.proc.pid) - emulator_cpu)
                proc.returncode = os.waitstatus_to_exitcode(status)
                if proc.returncode != 0:
                    errors.seek(0)
                    print(errors.read().decode(), file=sys.stderr)
                    return False
            cpus.append(usage.ru_utime + usage.ru_stime)
            walls.append(wall)
            time.sleep(0.3)  # the emulator's last log lines
            answers = [row.rsplit(" ", 1)[-1].strip() for row in emulator.lines[seen:]]
            limited.append(answers.count("429"))
            applied.append(sum(1 for o in json.loads(out) if o["status"] == "complete"))
    finally:
        emulator.stop()
    return report(count, limit, args, walls, cpus, served, limited, applied)


def report(count, limit, args, walls, cpus, served, limited, applied) -> bool:
    budget = BUDGETS.get(count)
    wall = statistics.median(walls)
    ok = (budget is None or wall <= budget) and all(n == count for n in applied)
    print(f"orders poll --json, {count} pending orders, emulator at {args.latency_ms} ms"
          + (f", rate limit {limit}/s per group" if limit else ", no rate limit") + f"; {load()}; {reference_loop()}")
    line("orders completed by each poll", " ".join(map(str, applied)) + f" / {count}")
    line("429s the emulator answered, per rep", " ".join(map(str, limited))
         + ("" if any(limited) or not limit else f" (the poll asked fewer than {limit} a second)"))
    line("orders read a second (orders / wall), per rep", " ".join(f"{count / w:.0f}" for w in walls))
    line("CPU per rep: the poll (user+sys) / the emulator meanwhile",
         ", ".join(f"{c:.2f}/{e:.2f}" for c, e in zip(cpus, served, strict=True)) + " s")
    verdict = "" if budget is None else f"  budget {budget} s  {'PASS' if ok else 'FAIL'}"
    line(f"wall, start-up included: median (min-max of {len(walls)})",
         f"{wall:.2f} s ({min(walls):.2f}-{max(walls):.2f}){verdict}")
    return ok


def reference_loop() -> str:
    """How fast this machine runs plain Python right now (other work on it slows every figure)."""
    started = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return f"a 10,000,000-step Python loop took {time.process_time() - started:.2f} s CPU"


def _cpu_seconds(pid: int) -> float:
    """user + system CPU of a running process so far (Linux /proc), to show the emulator's share."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", default="500,5000", help="pending orders per case, comma-separated")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--rate-limit", type=int, default=RATE_LIMIT,
                        help=f"the emulator's requests per second per group, cases of {RATE_LIMITED}+ orders")
    parser.add_argument("--keep", help="build the stores and worlds here once and reuse them")
    parser.add_argument("--profile", help="a cProfile of the first poll of each case (main thread) to FILE.N")
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="tnorder-bench-") as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        for count in (int(c) for c in args.cases.split(",")):
            ok = run_case(count, args, root) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
