"""`tnorder orders poll` over 500 pending orders against the emulator at 50 ms per request.

Budget (DESIGN.md): <= 2.5 s (concurrent, bounded requests; one after another would take 25 s).
The emulator runs as `tnorder sim serve` on a loopback port; the orders are placed in its world and
written to tnorder's store as pending Bandwidth orders; then `tnorder orders poll --json` runs as a
real process and its wall time is measured, start-up included.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import PY, env, line, load, verdict

BUDGET = 2.5


def setup(home: Path, url: str, api, count: int) -> None:
    os.environ.update(TNORDER_HOME=str(home), BENCH_USER="bench", BENCH_PASS="bench")
    from tnorder.criteria import build
    from tnorder.models import Order
    from tnorder.services import ordering
    from tnorder.services.config_admin import add
    from tnorder.services.context import Context

    ctx = Context()
    add(ctx, "carriers", "bw", {"kind": "bandwidth", "url": url})
    add(ctx, "accounts", "bw", {"carrier": "bw", "account_id": "9900001", "site_id": "1",
                                "username_env": "BENCH_USER", "password_env": "BENCH_PASS"})
    add(ctx, "inventory_types", "BW", {"account": "bw"})
    numbers = [n.number for n in api.world.search(build(state="TX"), count)]
    for i, number in enumerate(numbers):
        key = f"bench-{i}"
        placed = api.world.order([number], "9900001", key)  # at the carrier, not yet read back
        plan = ordering.plan(ctx, inventory_type="BW", numbers=[number], key=key)
        from tnorder.carriers.base import AvailableNumber

        order = ordering._write_ahead(ctx, plan, "numbers", [AvailableNumber(number)])
        with ctx.store.write() as s:
            row = s.get(Order, order.id)
            row.carrier_order_id, row.status = placed.id, "pending"
            s.add(row)
    api.world.settle_due("9900001")  # the carrier has finished them all; the poll only has to read
    ctx.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--profile", help="also write a cProfile of the poll process here (slower)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from emulator import Emulator
    from tnorder.sim.world import World

    with tempfile.TemporaryDirectory() as tmp:
        home, emulator_home = Path(tmp) / "home", Path(tmp) / "emulator"
        # the emulator is its own process, as `tnorder sim serve` runs for a rehearsal
        emulator = Emulator(emulator_home, "--latency-ms", str(args.latency_ms), "--complete-after", "0")
        try:
            world = World(emulator_home / "sandbox" / "world.sqlite", complete_after=0)
            built = time.perf_counter()
            setup(home, emulator.url, _Api(world), args.orders)
            print(f"poll: {args.orders} pending Bandwidth orders, emulator latency {args.latency_ms} ms; {load()}")
            line("setup (orders placed in the world and the store)", f"{time.perf_counter() - built:.1f} s")
            profile = ["-m", "cProfile", "-o", args.profile] if args.profile else []
            emulator_cpu = _cpu_seconds(emulator.proc.pid)
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run([PY, *profile, "-m", "tnorder", "orders", "poll", "--json"], capture_output=True,
                                  text=True, env=env(TNORDER_HOME=str(home), BENCH_USER="bench", BENCH_PASS="bench"))
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            poll_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
            emulator_cpu = _cpu_seconds(emulator.proc.pid) - emulator_cpu
        finally:
            emulator.stop()
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        changed = json.loads(done.stdout)
        complete = sum(1 for o in changed if o["status"] == "complete")
        line("orders completed by one poll", f"{complete} / {args.orders}")
        line("CPU: the poll process (user+sys) / the emulator meanwhile", f"{poll_cpu:.2f} s / {emulator_cpu:.2f} s")
        line("orders poll --json, wall (start-up included)",
             f"{wall:.2f} s  ratio {wall / BUDGET:.2f} / 1  {verdict(wall, BUDGET)}")
        sequential = args.orders * args.latency_ms / 1000
        line("the same requests one after another would take", f"{sequential:.1f} s")
        return 0 if wall <= BUDGET and complete == args.orders else 1


def _cpu_seconds(pid: int) -> float:
    """user + system CPU of a running process so far (Linux /proc), to show the emulator's share."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Api:
    """What `setup` needs of the emulator: its world (the same SQLite file the emulator serves)."""

    def __init__(self, world) -> None:
        self.world = world


if __name__ == "__main__":
    raise SystemExit(main())
