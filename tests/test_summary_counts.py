"""`inventory summary` counts by seeks and range counts along the (inventory_type, status) index: the
same pairs, counts and order as a GROUP BY, whatever the store holds."""

from __future__ import annotations

import random
import sqlite3

from sqlalchemy import func, select, text

from tnorder.services import summary
from tnorder.store import Store

TYPES = ["", "A", "Sandbox DIDs", "Zed", "a", "é DIDs", "Sandbox DIDs 2"]
STATUSES = ["available", "assigned", "pending", "disconnecting", "disconnected", "", "weird", "Available"]


def _store(tmp_path, rows: list[tuple[str, str, str]]) -> Store:
    path = tmp_path / "t.db"
    store = Store(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO numbers (number, status, inventory_type, carrier, account, created_at, updated_at) "
            "VALUES (?, ?, ?, 'sandbox', 'sandbox', '2025-01-01 00:00:00.000000', '2025-01-01 00:00:00.000000')",
            rows)
    return store


def _grouped(conn) -> list[tuple[str, str, int]]:
    n = summary.NUMBERS.c
    return [tuple(r) for r in conn.execute(select(n.inventory_type, n.status, func.count())
                                           .group_by(n.inventory_type, n.status)
                                           .order_by(n.inventory_type, n.status))]


def test_counts_by_type_and_status_are_a_group_bys(tmp_path):
    rng = random.Random(18)
    rows = [(f"+1919555{i:04d}", rng.choice(STATUSES), rng.choice(TYPES)) for i in range(3000)]
    store = _store(tmp_path, rows)
    with store.engine.connect() as conn:
        got = list(summary._by_type_and_status(conn))
        assert got == _grouped(conn)
    assert sum(c for _, _, c in got) == 3000 and len(got) > 30


def test_an_empty_store_has_no_counts(tmp_path):
    store = _store(tmp_path, [])
    with store.engine.connect() as conn:
        assert list(summary._by_type_and_status(conn)) == []


def test_one_type_one_status(tmp_path):
    store = _store(tmp_path, [("+19195550000", "available", "T"), ("+19195550001", "available", "T")])
    with store.engine.connect() as conn:
        assert list(summary._by_type_and_status(conn)) == [("T", "available", 2)]


def test_available_by_area_code_is_a_group_bys(tmp_path):
    rng = random.Random(7)
    npas = ["201", "212", "305", "919", "999", "200"]
    rows = [(f"+1{rng.choice(npas)}555{i:04d}", rng.choice(STATUSES), "T") for i in range(3000)]
    store = _store(tmp_path, rows)
    with store.engine.connect() as conn:
        got = list(summary._available_by_area_code(conn))
        want = [tuple(r) for r in conn.exec_driver_sql(
            "SELECT substr(number, 3, 3), count(*) FROM numbers WHERE status = 'available' GROUP BY 1 ORDER BY 1")]
    assert got == want and len(got) == len(npas)


def test_summary_on_each_store_kind(store_url, run):
    """On PostgreSQL too (its counts read in one REPEATABLE READ snapshot): the same document."""
    from tnorder.services.context import Context

    ctx = Context(db=store_url)
    with ctx.store.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO numbers (number, status, inventory_type, carrier, account, created_at, updated_at) "
            "VALUES (:n, :s, 'Sandbox DIDs', 'sandbox', 'sandbox', '2025-01-01 00:00:00', '2025-01-01 00:00:00')"),
            [{"n": f"+1{npa}5550{i:03d}", "s": s} for i, (npa, s) in enumerate(
                [("919", "available"), ("212", "available"), ("919", "assigned"), ("999", "available")] * 3)])
    doc = summary.summary(ctx)
    ctx.close()
    assert doc["by_type"] == [{"inventory_type": "Sandbox DIDs", "total": 12, "pending": 0, "available": 9,
                               "assigned": 3, "disconnecting": 0, "disconnected": 0}]
    assert doc["available_by_area_code"] == [{"area_code": "212", "available": 3},
                                             {"area_code": "919", "available": 3},
                                             {"area_code": "999", "available": 3}]
