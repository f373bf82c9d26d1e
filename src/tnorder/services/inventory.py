"""Reading the inventory: filtered, streamed lists and one number's details and history."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlalchemy import column, func, select, table

from tnorder.criteria import check_npa
from tnorder.errors import BadInput
from tnorder.numbers import to_e164
from tnorder.statuses import NUMBER_STATUSES

if TYPE_CHECKING:
    from tnorder.services.context import Context

COLUMNS = ("number", "status", "inventory_type", "carrier", "account", "customer", "line",
           "rate_center", "city", "state", "lata", "zip", "order_ref")
# a lightweight view of the numbers table: listing needs neither the ORM nor SQLModel's models
NUMBERS = table("numbers", *(column(c) for c in COLUMNS))


def check_filters(status: str | None, area_code: str | None, limit: int | None) -> None:
    if status is not None and status not in NUMBER_STATUSES:
        raise BadInput(f"unknown status {status!r}: use one of {', '.join(NUMBER_STATUSES)}")
    if area_code is not None:
        check_npa(area_code)
    if limit is not None and limit < 1:
        raise BadInput("--limit must be at least 1")


def list_numbers(ctx: Context, *, inventory_type: str | None = None, status: str | None = None,
                 area_code: str | None = None, customer: str | None = None,
                 limit: int | None = None) -> Iterator[dict]:
    """Rows as dicts, streamed from the store in batches (bounded memory for any size).

    Everything is checked before the first row, so a bad filter fails before any output starts.
    """
    check_filters(status, area_code, limit)
    area_code = check_npa(area_code) if area_code is not None else None  # trimmed, as lookups read it
    if inventory_type:
        ctx.inventory_type(inventory_type)
    if customer:
        from tnorder.services.customers import customer_row

        with ctx.store.engine.connect() as conn:
            customer_row(conn, customer)
    ctx.store  # noqa: B018 - opened now, so a store that cannot be used fails before any output starts
    return _rows(ctx, inventory_type, status, area_code, customer, limit)


def _rows(ctx: Context, inventory_type: str | None, status: str | None, area_code: str | None,
          customer: str | None, limit: int | None) -> Iterator[dict]:
    n = NUMBERS.c
    query = select(*(n[c] for c in COLUMNS)).order_by(n.number)
    if inventory_type:
        query = query.where(n.inventory_type == inventory_type)
    if status:
        query = query.where(n.status == status)
    if area_code:
        # a range on the indexed E.164 text, not LIKE, so the (status, number) index serves it
        query = query.where(n.number >= f"+1{area_code}", n.number < f"+1{int(area_code) + 1}")
    if customer:
        query = query.where(n.customer == customer)
    if limit:
        query = query.limit(limit)
    with ctx.store.engine.connect() as conn:
        rows = conn.execution_options(yield_per=2000).execute(query)
        for row in rows:
            yield dict(zip(COLUMNS, row, strict=True))


def show(ctx: Context, number: str) -> dict:
    from tnorder.models import Number, NumberEvent, iso

    e164 = to_e164(number)
    with ctx.store.session() as s:
        row = s.execute(select(Number).where(Number.number == e164)).scalars().first()
        if row is None:
            raise BadInput(f"{e164} is not in the inventory")
        events = s.execute(select(NumberEvent).where(NumberEvent.number == e164)
                           .order_by(NumberEvent.id)).scalars().all()
    out = {c: getattr(row, c) for c in COLUMNS}
    out["created_at"] = iso(row.created_at)
    out["updated_at"] = iso(row.updated_at)
    out["history"] = [
        {"at": iso(e.at), "event": e.event, "from_status": e.from_status, "to_status": e.to_status,
         "order_ref": e.order_ref, "actor": e.actor, "note": e.note}
        for e in events
    ]
    return out


def holders(ctx: Context, *, account: str | None = None, carrier: str | None = None,
            inventory_type: str | None = None) -> int:
    """How many numbers (not disconnected) a carrier, account or inventory type still holds."""
    n = NUMBERS.c
    query = select(func.count()).select_from(NUMBERS).where(n.status != "disconnected")
    if account:
        query = query.where(n.account == account)
    if carrier:
        query = query.where(n.carrier == carrier)
    if inventory_type:
        query = query.where(n.inventory_type == inventory_type)
    with ctx.store.engine.connect() as conn:
        return conn.execute(query).scalar_one()
