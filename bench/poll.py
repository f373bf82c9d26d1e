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

On a FAIL (or with --profile) a case goes on with what bounds its wall, from the run's figures:
start-up (Python importing what a poll imports, measured beside it) plus the wire (rounds of POLL_WORKERS
reads at the emulator's latency), the rate limit's own floor where it is on, the CPU of the poll and
the emulator against the machine's cores, the poll's own CPU (one process); then one more poll (not
in the median) under bench/_profile.py, every thread on its CPU clock, and its top functions by own
time (written to FILE.N with --profile FILE).

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
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _common import (
    PY,
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
    run_once,
)

if TYPE_CHECKING:
    from emulator import Emulator

# tests/emulator.py starts processes through the tests' fork server; a benchmark starts its emulator
# as an operator would, exec'd. Only here: the suite's own benchmark must not pass this to pytest.
os.environ.setdefault("TNORDER_TEST_FORK", "0")

BUDGETS = {500: 1.5, 5000: 8.0}  # seconds of wall, start-up included
RATE_LIMIT = 800  # HISTORY requests per second per account, the 5,000 case (see the docstring)
RATE_LIMITED = 5000  # cases of at least this many orders run with the emulator's rate limit on
ACCOUNT = "9900001"
SECRETS = {"BENCH_ID": "bench", "BENCH_SECRET": "bench"}


@dataclass
class Rep:
    wall: float
    cpu: float  # the poll process, user+sys
    served: float  # the emulator's CPU meanwhile
    limited: int  # the 429s the emulator answered
    requests: int  # the requests the emulator logged
    applied: int  # the orders the poll reports complete


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
    goal = args.budget if args.budget is not None else budget(BUDGETS[count]) if count in BUDGETS else None
    emulator = Emulator(emulator_home, *flags)
    profile = profiled_rep = None
    try:
        point_at(home, emulator.url)
        environ = env(TNORDER_HOME=str(home), **SECRETS)
        reps = [poll_once(home, built, emulator, environ) for _ in range(args.reps)]
        if None in reps:
            return False
        ok = met(count, goal, reps)
        if not ok or args.profile:
            profile = Path(f"{args.profile}.{count}") if args.profile else case / "poll.prof"
            profiled_rep = poll_once(home, built, emulator, environ, profile)
    finally:
        emulator.stop()
    report(count, limit, args, goal, ok, reps)
    if not ok or args.profile:
        bound(count, limit, args.latency_ms, goal, reps, environ)
    if profiled_rep is not None:
        line("one more poll under the profiler (not in the median)",
             f"{profiled_rep.wall:.2f} s wall, CPU {profiled_rep.cpu:.2f} s "
             f"({statistics.median(r.cpu for r in reps):.2f} s without the profiler)"
             + (f"; written to {profile}" if args.profile or args.keep else ""))  # else the temp dir goes
        print_profile(profile, "profile of that poll (all threads, CPU time)", statistics.median(r.cpu for r in reps))
    return ok


def poll_once(home: Path, built: Path, emulator: Emulator, environ: dict[str, str],
              profile: Path | None = None) -> Rep | None:
    """One `orders poll --json` on the store as built (None if it failed: its stderr is printed)."""
    restore(home, built)
    args = ["orders", "poll", "--json"]
    command = profiled(profile, *args) if profile else [PY, "-m", "tnorder", *args]
    seen = len(emulator.lines)
    done = run_beside(command, environ, emulator.proc.pid)
    if done.code != 0:
        print(done.err, file=sys.stderr)
        return None
    time.sleep(0.3)  # the emulator's last log lines
    logged = emulator.lines[seen:]
    answers = [row.rsplit(" ", 1)[-1].strip() for row in logged]
    return Rep(done.wall, done.cpu, done.served, answers.count("429"), requests_in(logged),
               sum(1 for o in json.loads(done.out) if o["status"] == "complete"))


def met(count: int, goal: float | None, reps: list[Rep]) -> bool:
    wall = statistics.median(r.wall for r in reps)
    return (goal is None or wall <= goal) and all(r.applied == count for r in reps)


def report(count: int, limit: int, args: argparse.Namespace, goal: float | None, ok: bool, reps: list[Rep]) -> None:
    walls = [r.wall for r in reps]
    wall = statistics.median(walls)
    limited = [r.limited for r in reps]
    print(f"orders poll --json, {count} pending orders, emulator at {args.latency_ms} ms"
          + (f", rate limit {limit}/s per group" if limit else ", no rate limit") + f"; {load()}; {reference_loop()}"
          + forced_note())
    line("orders completed by each poll", " ".join(str(r.applied) for r in reps) + f" / {count}")
    line("429s the emulator answered, per rep", " ".join(map(str, limited))
         + ("" if any(limited) or not limit else f" (the poll asked fewer than {limit} a second)"))
    line("orders read a second (orders / wall), per rep", " ".join(f"{count / w:.0f}" for w in walls))
    line("CPU per rep: the poll (user+sys) / the emulator meanwhile",
         ", ".join(f"{r.cpu:.2f}/{r.served:.2f}" for r in reps) + " s")
    verdict = "" if goal is None else f"  budget {goal:g} s  {'PASS' if ok else 'FAIL'}"
    line(f"wall, start-up included: median (min-max of {len(walls)})",
         f"{wall:.2f} s ({min(walls):.2f}-{max(walls):.2f}){verdict}")


def bound(count: int, limit: int, latency_ms: int, goal: float | None, reps: list[Rep],
          environ: dict[str, str]) -> None:
    """The floors of the median wall: start-up then the wire, the rate limit, CPU on the cores, the poll's own."""
    from tnorder.services.orders import POLL_WORKERS

    wall, cpu = statistics.median(r.wall for r in reps), statistics.median(r.cpu for r in reps)
    served = statistics.median(r.served for r in reps)
    requests = statistics.median(r.requests for r in reps)
    up_wall, up_cpu = startup(environ)
    rounds = math.ceil(count / min(POLL_WORKERS, count))
    floors = [
        Floor("start-up and wire-bound", f"start-up {up_wall:.2f} s (the poll's imports) + wire: ⌈{count} orders / "
              f"{POLL_WORKERS} workers⌉ × {latency_ms} ms", up_wall + rounds * latency_ms / 1000),
        Floor("CPU-bound", f"poll + emulator CPU {cpu:.2f} + {served:.2f} s on {cores()} cores",
              (cpu + served) / cores()),
        Floor("CPU-bound in one process", f"the poll's own CPU {cpu:.2f} s (its Python runs a thread at a time)", cpu),
    ]
    if limit:
        floors.append(Floor("rate-limit-bound", f"the rate limit: {count} reads at {limit} a second", count / limit))
    bounded_by(wall, goal, floors, {
        "requests the emulator logged per poll (median)": f"{requests:.0f} for {count} orders",
        "start-up alone, CPU (the poll's imports, median of 3)": f"{up_cpu:.2f} s",
        "the poll's CPU per order, start-up included": f"{cpu / count * 1000:.2f} ms",
        "the emulator's CPU per order": f"{served / count * 1000:.2f} ms"})


# what `orders poll` imports before its first read (the CLI, SQLModel's models, the poll, the carrier's
# plugin with httpx); `tnorder --version` imports none of it (0.1 s against ~0.7 s of CPU here)
POLL_IMPORTS = "import tnorder.cli, tnorder.models, tnorder.services.orders, tnorder.commands.order_view, " \
               "tnorder.carriers.bandwidth"


def startup(environ: dict[str, str], reps: int = 3) -> tuple[float, float]:
    """(median wall, median CPU) of a Python that imports what a poll imports: paid before its first read."""
    runs = [run_once([PY, "-c", POLL_IMPORTS], environ) for _ in range(reps)]
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def reference_loop() -> str:
    """How fast this machine runs plain Python right now (other work on it slows every figure)."""
    started = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return f"a 10,000,000-step Python loop took {time.process_time() - started:.2f} s CPU"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", default="500,5000", help="pending orders per case, comma-separated")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--rate-limit", type=int, default=RATE_LIMIT,
                        help=f"the emulator's requests per second per group, cases of {RATE_LIMITED}+ orders")
    parser.add_argument("--keep", help="build the stores and worlds here once and reuse them")
    parser.add_argument("--profile", help="one more poll of each case under the profiler (all threads, CPU time), "
                        "written to FILE.N; its table and the bound section printed even on a PASS")
    # every case's budget in seconds: a small case (--cases 100) has none, this shows its FAIL branch
    parser.add_argument("--budget", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="tnorder-bench-") as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        for count in (int(c) for c in args.cases.split(",")):
            ok = run_case(count, args, root) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
