"""`orders poll` reads many orders at once (64 workers): the carrier's 429s are waited out, and every
order is still applied, once."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

from tnorder.carriers.base import AvailableNumber
from tnorder.criteria import build
from tnorder.models import Order
from tnorder.services import ordering
from tnorder.services.config_admin import add
from tnorder.services.context import Context
from tnorder.sim.server import make_api, start

ACCOUNT = "9900001"
ORDERS = 12
LIMIT = 5  # HISTORY reads a second: 12 reads take three windows; none needs more than its three attempts


def _pending_orders(home: Path, api, url: str, monkeypatch) -> list[str]:
    """ORDERS orders the carrier has finished, pending in the store as a sender leaves them."""
    monkeypatch.setenv("BW_USER", "u")
    monkeypatch.setenv("BW_PASS", "p")
    world = api.world
    numbers = [n.number for n in world.search(build(state="TX"), ORDERS)]
    with world._tx() as db:
        placed = [world._place(db, [n], ACCOUNT, f"rl-{i}", [], {}).id for i, n in enumerate(numbers)]
    world.settle_due(ACCOUNT)
    ctx = Context()
    add(ctx, "carriers", "bw", {"kind": "bandwidth", "url": url})
    add(ctx, "accounts", "bw", {"carrier": "bw", "account_id": ACCOUNT, "site_id": "1",
                                "username_env": "BW_USER", "password_env": "BW_PASS"})
    add(ctx, "inventory_types", "BW", {"account": "bw"})
    for i, (number, carrier_id) in enumerate(zip(numbers, placed, strict=True)):
        plan = ordering.plan(ctx, inventory_type="BW", numbers=[number], key=f"rl-{i}")
        order = ordering._write_ahead(ctx, plan, "numbers", [AvailableNumber(number)])
        with ctx.store.write() as s:
            row = s.get(Order, order.id)
            row.carrier_order_id, row.status = carrier_id, "pending"
    ctx.close()
    return numbers


def test_a_poll_meeting_429s_applies_every_order_once(run, home, tmp_path, monkeypatch):
    log = io.StringIO()
    api = make_api(tmp_path / "world.sqlite", complete_after=0, rate_limit=LIMIT)
    with start(api, log=log) as emulator:
        numbers = _pending_orders(home, api, emulator.url, monkeypatch)
        polled = run("orders", "poll", "--json")
    assert polled.code == 0, polled.err
    assert sorted(o["status"] for o in polled.json()) == ["complete"] * ORDERS
    assert " 429" in log.getvalue()  # the limit was met, and waited out
    assert run("orders", "pending", "--json").json() == []
    db = sqlite3.connect(home / "tnorder.db")
    try:
        history = db.execute("SELECT number, group_concat(event, ',') FROM "
                             "(SELECT number, event FROM number_events ORDER BY id) GROUP BY number").fetchall()
        statuses = db.execute("SELECT status, count(*) FROM numbers GROUP BY status").fetchall()
    finally:
        db.close()
    assert sorted(history) == sorted((n, "ordered,completed") for n in numbers)  # each applied once
    assert statuses == [("available", ORDERS)]
