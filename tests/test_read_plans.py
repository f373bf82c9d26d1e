"""Store commands read along indexes: SQLite's plan for their queries, checked rather than timed (a
plan that reads every row is what made them slow on a million numbers)."""

from __future__ import annotations

from sqlalchemy import event

from tnorder.services import customers, summary
from tnorder.services.context import Context


def _plans(ctx: Context, call) -> list[tuple[str, str]]:
    """Every query `call` runs, with SQLite's plan for it."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    engine = ctx.store.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    with engine.connect() as conn:
        return [(sql, " | ".join(row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)))
                for sql, params in seen]


def _some_numbers(ctx: Context) -> None:
    with ctx.store.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO numbers (number, status, inventory_type, carrier, account, customer, created_at, "
            "updated_at) VALUES (?, ?, 'Sandbox DIDs', 'sandbox', 'sandbox', ?, '2025-01-01 00:00:00', "
            "'2025-01-01 00:00:00')",
            [(f"+1{npa}5550{i:03d}", status, customer) for i, (npa, status, customer) in enumerate(
                [("919", "available", None), ("212", "available", None), ("919", "assigned", "ACME"),
                 ("305", "pending", None), ("919", "disconnected", None)] * 4)])
        conn.exec_driver_sql("INSERT INTO customers (account, name, created_at) VALUES "
                             "('ACME', 'Acme', '2025-01-01 00:00:00')")


def test_customer_list_counts_numbers_from_an_index_alone(home):
    ctx = Context()
    _some_numbers(ctx)
    plans = _plans(ctx, lambda: customers.list_customers(ctx))
    numbers = [plan for sql, plan in plans if "numbers" in plan]
    assert numbers and all("COVERING INDEX ix_numbers_customer_status" in p for p in numbers), plans
    assert customers.list_customers(ctx)[0]["numbers"] == 4


def test_summary_counts_along_indexes_without_reading_rows(home):
    ctx = Context()
    _some_numbers(ctx)
    plans = _plans(ctx, lambda: summary.summary(ctx))
    assert len(plans) > 10 and all("COVERING INDEX" in plan for _, plan in plans), plans
    # numbers are scanned only to take the first entry in index order (the first inventory type), or
    # for the whole table's count, which SQLite takes from its pages without reading the entries
    scans = [sql for sql, plan in plans if "SCAN numbers" in plan]
    assert all("LIMIT" in sql or " ".join(sql.split()) == "SELECT count(*) AS count_1 FROM numbers"
               for sql in scans), plans
