"""`orders poll` applies a batch of answers in a few statements (services/bulk_apply.py): the store
must come out row for row as applying each answer with `orders.apply_answer` leaves it."""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from tnorder.carriers.base import AvailableNumber, CarrierOrder, FailedNumber
from tnorder.criteria import build
from tnorder.models import Order
from tnorder.services import bulk_apply, orders
from tnorder.services.context import Context

DETAILS = {"rate_center": "RALEIGH", "city": "RALEIGH", "state": "NC", "lata": "426", "zip": "27601"}


def _setup(home: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Context, dict[str, Order]]:
    """A store with pending orders of every kind the poll meets."""
    from tnorder.services import ordering
    from tnorder.services.config_admin import add

    monkeypatch.setenv("TNORDER_HOME", str(home))
    monkeypatch.setenv("BW_USER", "u")
    monkeypatch.setenv("BW_PASS", "p")
    ctx = Context()
    add(ctx, "carriers", "bw", {"kind": "bandwidth", "url": "http://127.0.0.1:9/api"})
    add(ctx, "accounts", "bw", {"carrier": "bw", "account_id": "9900001", "site_id": "1",
                                "username_env": "BW_USER", "password_env": "BW_PASS"})
    add(ctx, "inventory_types", "BW", {"account": "bw"})
    placed = {}

    def pending(name: str, numbers: list[str] | None = None, quantity: int | None = None) -> None:
        if numbers:
            plan = ordering.plan(ctx, inventory_type="BW", numbers=numbers, key=name)
            order = ordering._write_ahead(ctx, plan, "numbers", [AvailableNumber(n) for n in numbers])
        else:
            plan = ordering.plan(ctx, inventory_type="BW", criteria=build(area_code="919"), quantity=quantity,
                                 key=name)
            order = ordering._write_ahead(ctx, plan, "lookup-and-order", None)
        with ctx.store.write() as s:
            row = s.get(Order, order.id)
            row.carrier_order_id, row.status = f"carrier-{name}", "pending"
        placed[name] = order

    pending("bare", ["+19195550100", "+19195550101"])
    pending("detailed", ["+19195550110"])
    pending("lookup", quantity=2)
    pending("partial", ["+19195550120", "+19195550121"])
    pending("unasked", ["+19195550130"])
    pending("shared-a", ["+19195550140"])
    pending("shared-b", ["+19195550141"])
    pending("waiting", ["+19195550150"])
    pending("missing", ["+19195550160", "+19195550161"])
    pending("failed", ["+19195550170"])
    return ctx, placed


def _answers() -> dict[str, CarrierOrder]:
    def done(name: str, *numbers: str, details: bool = False, status: str = "complete",
             failed: list[FailedNumber] | None = None) -> CarrierOrder:
        completed = [AvailableNumber(n, **(DETAILS if details else {})) for n in numbers]
        return CarrierOrder(id=f"carrier-{name}", status=status, completed=completed, failed=failed or [],
                            raw=f"<OrderResponse>{name}</OrderResponse>")

    return {
        "bare": done("bare", "+19195550100", "+19195550101"),
        "detailed": done("detailed", "+19195550110", details=True),
        "lookup": done("lookup", "+19195550190", "+19195550191", details=True),
        "partial": done("partial", "+19195550120", status="partial",
                        failed=[FailedNumber("+19195550121", "5005", "unavailable")]),
        "unasked": done("unasked", "+19195550130", "+19195550139"),
        "shared-a": done("shared-a", "+19195550140", "+19195550199"),
        "shared-b": done("shared-b", "+19195550141", "+19195550199"),
        "waiting": CarrierOrder(id="carrier-waiting", status="pending"),
        "missing": done("missing", "+19195550160"),
        "failed": done("failed", status="failed", failed=[FailedNumber("+19195550170", "5005", "unavailable")]),
    }


def _dump(home: Path) -> dict[str, list[tuple]]:
    """Every row that applying writes, without the times it was written at. Rows are named by what
    they are, not by their ids: SQLite gives a new row the highest id plus one, so where rows a
    slower order deleted were (its failed numbers) moves ids of rows written later. Events are
    kept in their order for each number, which is what reading a number's history relies on."""
    db = sqlite3.connect(home / "tnorder.db")
    queries = {
        "numbers": "SELECT number, status, inventory_type, carrier, account, customer, line, rate_center, city, "
                   "state, lata, zip, order_ref FROM numbers ORDER BY number",
        "events": "SELECT number, from_status, to_status, order_ref, actor, event, note FROM number_events "
                  "ORDER BY number, id",
        "items": "SELECT order_id, number, status, code, reason FROM order_items ORDER BY order_id, number, id",
        "orders": "SELECT id, status, error, carrier_order_id, raw, poller, poll_lease_until, recheck_until "
                  "FROM orders ORDER BY id",
    }
    try:
        return {name: db.execute(query).fetchall() for name, query in queries.items()}
    finally:
        db.close()


def _apply(ctx: Context, placed: dict[str, Order], bulk: bool) -> list[tuple[str, str]]:
    answers = copy.deepcopy(_answers())
    with ctx.store.write() as s:
        rows = {o.key: o for o in s.execute(select(Order).where(Order.key.in_(list(placed)))).scalars()}
        pairs = [(rows[name], answers[name]) for name in placed]
        if bulk:
            changed = bulk_apply.apply_all(s, pairs, ctx.actor)
        else:
            changed = [(order, before) for order, answer in pairs
                       for before in [order.status] if orders.apply_answer(s, order, answer, ctx.actor)]
    return sorted((order.key, before) for order, before in changed)


def test_a_batch_applied_together_leaves_the_store_as_applying_each_answer_does(tmp_path, monkeypatch):
    one_ctx, one_placed = _setup(tmp_path / "one-by-one", monkeypatch)
    one_changed = _apply(one_ctx, one_placed, bulk=False)
    one_ctx.close()
    bulk_ctx, bulk_placed = _setup(tmp_path / "bulk", monkeypatch)
    bulk_changed = _apply(bulk_ctx, bulk_placed, bulk=True)
    bulk_ctx.close()

    assert bulk_changed == one_changed
    one, bulk = _dump(tmp_path / "one-by-one"), _dump(tmp_path / "bulk")
    for table in one:
        assert bulk[table] == one[table], table
    statuses = {row[3]: row[1] for row in bulk["orders"]}
    assert statuses == {"carrier-bare": "complete", "carrier-detailed": "complete", "carrier-lookup": "complete",
                        "carrier-partial": "partial", "carrier-unasked": "partial", "carrier-shared-a": "partial",
                        "carrier-shared-b": "partial", "carrier-waiting": "pending", "carrier-missing": "partial",
                        "carrier-failed": "failed"}


def test_only_orders_without_the_rarer_steps_take_the_batched_path(tmp_path, monkeypatch):
    ctx, placed = _setup(tmp_path / "home", monkeypatch)
    answers = _answers()
    with ctx.store.session() as s:
        rows = {o.key: o for o in s.execute(select(Order)).scalars()}
        pairs = [(rows[name], answers[name]) for name in placed]
        facts, statuses = bulk_apply._read(s, pairs)
        plain = bulk_apply._plain(pairs, facts, statuses)
    ctx.close()
    # a pending number not completed (partial, missing), a number never asked for (unasked), one named
    # by two orders (shared-*), a non-final answer (waiting): each order by order, as before
    assert {o.key for o in rows.values() if o.id in plain} == {"bare", "detailed", "lookup"}
