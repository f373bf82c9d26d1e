"""Budget: applying a completed 5,000-number order ≤ 0.5 s.

In-process: a Context on a temp TNORDER_HOME, the order written the way `ordering._write_ahead`
writes it, then `orders.apply_answer` inside `ctx.store.write()` (the way `orders poll` applies an
answer) with CarrierOrder(status="complete", completed=[5,000 numbers]). The time measured is the
whole write transaction: load the order, apply, flush, commit.

Variants:
  known, bare answer      numbers known before (pending rows + order items, as `--numbers`
                          writes them); the carrier's answer carries no details -> lifecycle.move
  known, detailed answer  the same, but the answer carries rate center/city/state/LATA/zip (as a
                          carrier's completion does for lookup-and-select) -> lifecycle.add
  lookup-and-order        not known before (no pending rows, no items), detailed answer
  partial (info)          known; 4,500 complete + 500 failed; not a budget, shows the failed path

    .venv/bin/python bench/apply_order.py [--count 5000] [--reps 3] [--background ROWS]

`--background ROWS` runs every variant again on a store already holding ROWS other numbers
(built like bench/store_list.py builds its store; 1,000,000 takes ~15-30 s).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import line, load

BUDGET = 0.5


def numbers(count: int) -> list[str]:
    # NXX 800+: bench/store_list.py's background stores use NXX 200-709 only, so no collisions
    return [f"+1919{800 + i // 10_000}{i % 10_000:04d}" for i in range(count)]


def detailed(number: str):
    from tnorder.carriers.base import AvailableNumber

    return AvailableNumber(number, rate_center="RALEIGH", city="Raleigh", state="NC", lata="426", zip="27601")


def one_run(home: Path, variant: str, count: int) -> dict[str, float]:
    os.environ["TNORDER_HOME"] = str(home)
    os.environ.pop("TNORDER_DB", None)
    from sqlalchemy import func, select

    from tnorder.carriers.base import AvailableNumber, CarrierOrder, FailedNumber
    from tnorder.models import Number, Order, OrderItem
    from tnorder.services import ordering
    from tnorder.services.context import Context
    from tnorder.services.orders import apply_answer

    ctx = Context()
    try:
        itype = ctx.inventory_type(None)
        carrier = ctx.carrier(itype.account)
        tns = numbers(count)
        known = variant != "lookup-and-order"
        plan = ordering.Plan(itype.name, itype.account, carrier, None, count if not known else None,
                             ordering.new_key(), numbers=tns if known else [])
        method = "numbers" if known else "lookup-and-order"
        chosen = [AvailableNumber(n) for n in tns] if known else None
        _ = ctx.store  # open it (migrations) outside the timings
        t0 = time.perf_counter()
        order = ordering._write_ahead(ctx, plan, method, chosen)
        t_write_ahead = time.perf_counter() - t0

        if variant == "known, bare answer":
            answer = CarrierOrder(id="CO-1", status="complete", completed=[AvailableNumber(n) for n in tns])
        elif variant == "partial":
            cut = count - count // 10
            answer = CarrierOrder(id="CO-1", status="partial", completed=[detailed(n) for n in tns[:cut]],
                                  failed=[FailedNumber(n, "5005", "number not available") for n in tns[cut:]])
        else:
            answer = CarrierOrder(id="CO-1", status="complete", completed=[detailed(n) for n in tns])

        t0 = time.perf_counter()
        with ctx.store.write() as s:
            current = s.get(Order, order.id)
            t1 = time.perf_counter()
            apply_answer(s, current, answer, ctx.actor)
            t2 = time.perf_counter()
        t3 = time.perf_counter()

        with ctx.store.session() as s:  # the result is what it should be
            got = s.execute(select(Order.status).where(Order.id == order.id)).scalar_one()
            ok = s.execute(select(func.count()).select_from(Number).where(
                Number.order_ref == order.ref, Number.status == "available")).scalar_one()
            items = s.execute(select(func.count()).select_from(OrderItem).where(
                OrderItem.order_id == order.id, OrderItem.status == "complete")).scalar_one()
        want = len(answer.completed)
        assert got == answer.status and ok == want and items == want, (variant, got, ok, items, want)
        return {"total": t3 - t0, "apply": t2 - t1, "commit": t3 - t2, "write_ahead": t_write_ahead}
    finally:
        ctx.close()


def run_variant(variant: str, count: int, reps: int, seed_db: Path | None) -> dict[str, float]:
    results = []
    for _ in range(reps):
        with tempfile.TemporaryDirectory(prefix="tnorder-bench-") as tmp:
            home = Path(tmp)
            if seed_db is not None:
                shutil.copyfile(seed_db, home / "tnorder.db")
            results.append(one_run(home, variant, count))
    return {k: statistics.median(r[k] for r in results) for k in results[0]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--background", type=int, default=0, help="also run on a store of this many other numbers")
    args = ap.parse_args()
    os.environ.setdefault("TNORDER_OPERATOR", "bench")

    stores: list[tuple[str, Path | None]] = [("empty store", None)]
    seed_dir = None
    if args.background:
        from store_list import build

        seed_dir = tempfile.TemporaryDirectory(prefix="tnorder-bench-seed-")
        seed = Path(seed_dir.name) / "tnorder.db"
        seconds = build(seed, args.background)
        stores.append((f"store of {args.background:,} numbers", seed))

    failed = False
    print(f"apply_order: a completed {args.count:,}-number order, median of {args.reps} runs "
          f"(budget ≤ {BUDGET} s); {load()}")
    if seed_dir is not None:
        line(f"background store built ({args.background:,} numbers)", f"{seconds:6.2f} s")
    try:
        for label, seed_db in stores:
            print(f"  -- {label}")
            for variant in ("known, bare answer", "known, detailed answer", "lookup-and-order", "partial"):
                r = run_variant(variant, args.count, args.reps, seed_db)
                budgeted = variant != "partial"
                ratio = r["total"] / BUDGET
                v = ("PASS" if ratio <= 1 else "FAIL") if budgeted else "(info)"
                failed |= v == "FAIL"
                line(f"{variant}: apply+commit (apply / flush+commit)",
                     f"{r['total']:6.3f} s ({r['apply']:.3f} / {r['commit']:.3f})  ratio {ratio:.2f}  {v}")
                if variant != "lookup-and-order":
                    line(f"   write-ahead of the {args.count:,} pending numbers (info)", f"{r['write_ahead']:6.3f} s")
    finally:
        if seed_dir is not None:
            seed_dir.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
