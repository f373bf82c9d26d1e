"""Reading orders through SQLAlchemy Core: `orders pending|list|show` and a quiet `orders poll`
start as fast as a bare query (no ORM, no SQLModel models).

Also the one place an order becomes a document, for these reads and for `services/orders.py`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, column, func, or_, select, table

from tnorder.errors import BadInput
from tnorder.services.inventory import stamp
from tnorder.statuses import PENDING_ORDER_STATUSES

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from tnorder.services.context import Context

ORDER_FIELDS = ("id", "ref", "kind", "method", "status", "carrier", "account", "inventory_type", "customer",
                "line", "criteria", "quantity", "key", "carrier_order_id", "error", "actor",
                "created_at", "updated_at")
ITEM_FIELDS = ("order_id", "number", "status", "code", "reason")
ORDERS = table("orders", *(column(c) for c in ORDER_FIELDS))
ITEMS = table("order_items", column("id"), *(column(c) for c in ITEM_FIELDS))
# the keys of every order document, in order (and of `orders list --csv`, where lists are joined)
KEYS = ("order_ref", "kind", "method", "status", "carrier", "account", "inventory_type", "customer", "line",
        "criteria", "quantity", "key", "carrier_order_id", "numbers", "completed", "failed", "conflicts", "error",
        "actor", "created_at", "updated_at")
# ASCII digits only (`\d` takes `３` and `٤٢`): the one digit rule of `arguments.py`
_REF = re.compile(r"(?:ORD-?)?0*([0-9]{1,9})", re.IGNORECASE)


def normalize_ref(text: str) -> str | None:
    """`42`, `ORD-42`, `ord-000042` -> `ORD-000042`; None when `text` is not a reference."""
    match = _REF.fullmatch(text.strip())
    return f"ORD-{int(match.group(1)):06d}" if match else None


def document(order: Mapping[str, Any], items: Iterable[Mapping[str, Any]]) -> dict:
    """An order as scripts see it: every key always present, `null` when absent."""
    items = list(items)
    return {
        "order_ref": order["ref"], "kind": order["kind"], "method": order["method"], "status": order["status"],
        "carrier": order["carrier"], "account": order["account"], "inventory_type": order["inventory_type"],
        "customer": order["customer"], "line": order["line"],
        # an object or null, never `{}`: a disconnect has no criteria
        "criteria": (json.loads(order["criteria"]) or None) if order["criteria"] else None,
        "quantity": order["quantity"], "key": order["key"], "carrier_order_id": order["carrier_order_id"],
        # numbers the carrier completed unasked are conflicts, not numbers the order asked for
        "numbers": [i["number"] for i in items if i["number"] and (i["status"], i["code"]) != ("conflict",
                                                                                            "not-requested")],
        "completed": [i["number"] for i in items if i["status"] == "complete"],
        "failed": [{"number": i["number"] or None, "code": i["code"], "reason": i["reason"]}
                   for i in items if i["status"] == "failed"],
        "conflicts": [{"number": i["number"], "code": i["code"], "reason": i["reason"]}
                      for i in items if i["status"] == "conflict"],
        "error": order["error"], "actor": order["actor"],
        "created_at": stamp(order["created_at"]), "updated_at": stamp(order["updated_at"]),
    }


def _documents(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> list[dict]:
    items: dict[int, list[Mapping[str, Any]]] = {row["id"]: [] for row in rows}
    ids = list(items)
    for start in range(0, len(ids), 500):  # bounded IN lists
        query = (select(*(ITEMS.c[c] for c in ITEM_FIELDS)).where(ITEMS.c.order_id.in_(ids[start:start + 500]))
                 .order_by(ITEMS.c.id))
        for item in conn.execute(query).mappings():
            items[item["order_id"]].append(item)
    return [document(row, items[row["id"]]) for row in rows]


def _select():
    return select(*(ORDERS.c[c] for c in ORDER_FIELDS))


def pending(ctx: Context) -> list[dict]:
    with ctx.store.engine.connect() as conn:
        rows = conn.execute(_select().where(ORDERS.c.status.in_(PENDING_ORDER_STATUSES))
                            .order_by(ORDERS.c.id)).mappings().all()
        return _documents(conn, rows)


def count_pending(ctx: Context) -> int:
    with ctx.store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(ORDERS)
                            .where(ORDERS.c.status.in_(PENDING_ORDER_STATUSES))).scalar_one()


def anything_to_poll(ctx: Context) -> bool:
    """Pending orders, orders concluded locally that are still asked about by key, or reservations
    recorded at a carrier: whatever `orders poll` has to do, in one light query."""
    from tnorder.clock import utcnow

    recheck = table("orders", column("recheck_until", DateTime()))
    held = table("reservations", column("id"))
    pending = select(func.count()).select_from(ORDERS).where(ORDERS.c.status.in_(PENDING_ORDER_STATUSES))
    rechecked = select(func.count()).select_from(recheck).where(recheck.c.recheck_until > utcnow())
    with ctx.store.engine.connect() as conn:
        return bool(conn.execute(select(pending.scalar_subquery() + rechecked.scalar_subquery()
                                        + select(func.count()).select_from(held).scalar_subquery())).scalar_one())


def listed(ctx: Context, status: str | None = None, limit: int | None = None) -> list[dict]:
    """Orders, newest first."""
    query = _select().order_by(ORDERS.c.id.desc())
    if status:
        query = query.where(ORDERS.c.status == status)
    if limit:
        query = query.limit(limit)
    with ctx.store.engine.connect() as conn:
        return _documents(conn, conn.execute(query).mappings().all())


def find(ctx: Context, ref: str) -> dict:
    """One order by its reference (in any of its forms) or its idempotency key."""
    wanted = [ORDERS.c.key == ref]
    normal = normalize_ref(ref)
    if normal:
        wanted.append(ORDERS.c.ref == normal)
    with ctx.store.engine.connect() as conn:
        rows = conn.execute(_select().where(or_(*wanted)).order_by(ORDERS.c.id)).mappings().all()
        if not rows:
            raise BadInput(f"no order {ref!r}")
        # a reference wins over a key that happens to look like one
        row = next((r for r in rows if r["ref"] == normal), rows[0])
        return _documents(conn, [row])[0]


def csv_row(doc: dict) -> dict:
    """An order document flattened for CSV: lists joined with spaces, criteria as JSON."""
    flat = dict(doc)
    flat["numbers"] = " ".join(doc["numbers"])
    flat["completed"] = " ".join(doc["completed"])
    flat["failed"] = " ".join(f["number"] or "(quantity)" for f in doc["failed"])
    flat["criteria"] = json.dumps(doc["criteria"]) if doc["criteria"] else None
    return flat
