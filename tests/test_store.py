"""The store: migrations, SQLite settings, and the order rules (write-ahead, recovery, concurrency)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import text

import forkserver
from tnorder.carriers.base import AvailableNumber
from tnorder.criteria import build
from tnorder.migrations import MIGRATIONS
from tnorder.models import Order, utcnow
from tnorder.services import ordering
from tnorder.services.context import Context
from tnorder.store import Store


def test_blank_store_is_migrated_once(home):
    url = f"sqlite:///{home / 'blank.db'}"
    store = Store(url)
    with store.engine.connect() as conn:
        names = [r[0] for r in conn.execute(text("SELECT name FROM migrations ORDER BY name"))]
        tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))}
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert names == [name for name, _ in MIGRATIONS]
    assert {"numbers", "number_events", "orders", "order_items"} <= tables
    store.close()
    from tnorder.store import migrate

    again = Store(url)
    assert migrate(again.engine) == []


def test_an_old_store_keeps_its_inventory_on_upgrade(home):
    """A store made by the first schema, holding numbers, opens under the current code intact."""
    path = home / "old.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    from tnorder.migrations import m001_initial

    engine = Store.__new__(Store)
    from sqlalchemy import create_engine

    raw = create_engine(f"sqlite:///{path}")
    with raw.begin() as conn:
        conn.execute(text("CREATE TABLE migrations (name VARCHAR(200) PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"))
        m001_initial(conn, "sqlite")
        conn.execute(text("INSERT INTO migrations VALUES ('m001_initial', '2026-01-01 00:00:00')"))
        conn.execute(text(
            "INSERT INTO numbers (number, status, inventory_type, carrier, account, created_at, updated_at) "
            "VALUES ('+19195550100', 'available', 'Sandbox DIDs', 'sandbox', 'sandbox', "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
    raw.dispose()
    del engine
    os.environ["TNORDER_DB"] = str(path)
    try:
        ctx = Context()
        from tnorder.services.inventory import list_numbers

        assert [r["number"] for r in list_numbers(ctx)] == ["+19195550100"]
    finally:
        del os.environ["TNORDER_DB"]


def _plan(ctx: Context, key: str) -> ordering.Plan:
    return ordering.plan(ctx, inventory_type=None, criteria=build(area_code="919"), quantity=2, key=key)


def test_a_crash_between_send_and_save_is_repaired_by_poll(run, home):
    ctx = Context()
    plan = _plan(ctx, "crash-1")
    found = plan.carrier.search(plan.criteria, 2)
    order = ordering._write_ahead(ctx, plan, "lookup-and-select", found)
    plan.carrier.order([n.number for n in found], plan.key)  # reached the carrier; then "crash"
    ctx.close()
    assert run("orders", "pending", "--json").json()[0]["status"] == "submitting"
    with sqlite3.connect(home / "sandbox" / "world.sqlite") as db:
        db.execute("UPDATE orders SET complete_at = 0")  # let the sandbox finish now
    polled = run("orders", "poll", "--json")
    assert polled.code == 0, polled.err
    assert [(o["order_ref"], o["status"]) for o in polled.json()] == [(order.ref, "complete")]
    shown = run("orders", "show", order.ref, "--json").json()
    assert shown["carrier_order_id"] and sorted(shown["completed"]) == sorted(n.number for n in found)
    with sqlite3.connect(home / "sandbox" / "world.sqlite") as db:
        assert db.execute("SELECT count(*) FROM orders").fetchone()[0] == 1  # never ordered twice


def test_an_order_that_never_reached_the_carrier_fails_after_a_grace_period(run, home):
    ctx = Context()
    plan = _plan(ctx, "lost-1")
    order = ordering._write_ahead(ctx, plan, "numbers", [AvailableNumber("+19195550111")])
    assert run("orders", "poll", "--json").json() == []  # young: may still be on its way
    with ctx.store.write() as s:
        row = s.get(Order, order.id)
        row.created_at = utcnow() - timedelta(minutes=10)
        row.lease_until = utcnow() - timedelta(seconds=1)  # its sender is gone
        s.add(row)
    ctx.close()
    polled = run("orders", "poll", "--json").json()
    assert [(o["order_ref"], o["status"]) for o in polled] == [(order.ref, "failed")]
    assert run("inventory", "list", "--json").json() == []  # the pending number left nothing behind


def test_two_polls_at_once_apply_each_order_once(cli, run, fast_sandbox, home):
    for code in ("919", "415", "212"):
        placed = run("inventory", "order", "--type", fast_sandbox, "--area-code", code, "--quantity", "3",
                     "--pick", "1-3", "--yes")
        assert placed.code == 0, placed.err
    env = dict(os.environ)
    procs = [forkserver.tnorder("orders", "poll", "--json", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    import json

    refs = [o["order_ref"] for out, _ in outputs for o in json.loads(out)]
    assert sorted(refs) == ["ORD-000001", "ORD-000002", "ORD-000003"]  # each reported by exactly one poll
    with sqlite3.connect(home / "tnorder.db") as db:
        events = db.execute("SELECT number, count(*) FROM number_events WHERE to_status = 'available' "
                            "GROUP BY number").fetchall()
        assert len(events) == 9 and {c for _, c in events} == {1}


def test_a_key_already_written_is_never_sent_again(home):
    """Two processes racing with one key: the second finds the first's row under the write lock."""
    from tnorder.services import placing

    ctx = Context()
    plan = _plan(ctx, "race-1")
    first = ordering._write_ahead(ctx, plan, "numbers", [AvailableNumber("+19195550122")])
    sent = []
    again = placing.submit(ctx, ordering._row(ctx, plan, "numbers"), ["+19195550122"],
                           send=lambda: sent.append(1), prepare=lambda s, o: None, undo=lambda s, o: None)
    assert (again.ref, sent) == (first.ref, [])
    with ctx.store.session() as s:
        assert s.execute(text("SELECT count(*) FROM orders")).scalar() == 1


def test_first_opens_of_a_new_postgresql_store_at_once_all_succeed(pg_server, tmp_path):
    """The cause of `test_one_order_per_number_at_a_time[postgresql]` failing about one run in
    eight: processes opening a new database at once raced on `CREATE TABLE IF NOT EXISTS
    migrations`, which PostgreSQL does not make safe (the loser fails on pg_type's unique index and
    the command exits 2). Eight openers are stopped just before migrating and let go together."""
    import pgserver

    for attempt in range(3):
        url = pgserver.new_database(pg_server)
        bases = [tmp_path / f"open-{attempt}-{i}" for i in range(8)]
        procs = [subprocess.Popen([sys.executable, "-c", "import sys; from tnorder.store import Store; "
                                   "Store(sys.argv[1]).close()", url], stderr=subprocess.PIPE, text=True,
                                  env=os.environ | {"TNORDER_TEST_PAUSE_AT": "migrate",
                                                    "TNORDER_TEST_PAUSE_FILE": str(base)})
                 for base in bases]
        markers = [base.with_name(base.name + ".migrate") for base in bases]
        deadline = time.monotonic() + 60
        while not all(m.exists() for m in markers) and time.monotonic() < deadline:
            time.sleep(0.02)
        for marker in markers:
            marker.unlink()
        failed = [err.strip().splitlines()[-1] for p in procs if (err := p.communicate(timeout=60)[1]) and p.returncode]
        assert failed == []
