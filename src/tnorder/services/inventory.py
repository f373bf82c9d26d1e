"""Reading the inventory: filtered, streamed lists and one number's details and history."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlalchemy import case, column, func, or_, select, table

from tnorder.clock import iso
from tnorder.criteria import check_npa
from tnorder.errors import BadInput
from tnorder.numbers import in_area_code, to_e164
from tnorder.statuses import NUMBER_STATUSES

if TYPE_CHECKING:
    from tnorder.services.context import Context

COLUMNS = ("number", "status", "inventory_type", "carrier", "account", "customer", "line",
           "rate_center", "city", "state", "lata", "zip", "order_ref")
DATES = ("created_at", "updated_at", "activated_at", "disconnected_at")
FIELDS = COLUMNS + DATES  # every list, CSV and show document has these keys
# lightweight views of the tables: reading needs neither the ORM nor SQLModel's models
NUMBERS = table("numbers", *(column(c) for c in COLUMNS), column("created_at"), column("updated_at"))
EVENTS = table("number_events", column("id"), column("number"), column("at"), column("event"),
               column("from_status"), column("to_status"), column("order_ref"), column("actor"), column("note"))
HISTORY = ("at", "event", "from_status", "to_status", "order_ref", "actor", "note")


def _activated_at():
    """When the number last came into service (its order completed, or it was imported): from its
    history, so that no column has to be kept in step with every transition."""
    e = EVENTS.c
    return (select(func.max(e.at)).where(
        e.number == NUMBERS.c.number, e.to_status.in_(("available", "assigned")),
        or_(e.from_status.is_(None), e.from_status == "pending")).scalar_subquery())


def _disconnected_at():
    e = EVENTS.c
    last = select(func.max(e.at)).where(e.number == NUMBERS.c.number, e.to_status == "disconnected")
    return case((NUMBERS.c.status == "disconnected", last.scalar_subquery()), else_=None)


def _selected():
    n = NUMBERS.c
    return select(*(n[c] for c in COLUMNS), n.created_at, n.updated_at,
                  _activated_at().label("activated_at"), _disconnected_at().label("disconnected_at"))


def stamp(value: object) -> str | None:
    """A stored time as a document shows it. SQLite hands the light views its text form
    (`2026-11-26 13:40:12.318000`): cut, not parsed, since a million rows pass through here."""
    if isinstance(value, str) and len(value) >= 19 and value[10] in " T":
        return f"{value[:10]}T{value[11:19]}Z"
    return iso(value)  # type: ignore[arg-type]


def document(row) -> dict:
    doc = dict(zip(COLUMNS, row[:len(COLUMNS)], strict=True))
    for key, value in zip(DATES, row[len(COLUMNS):], strict=True):
        doc[key] = stamp(value)
    return doc


def check_filters(status: str | None, area_code: str | None, limit: int | None) -> None:
    if status is not None and status not in NUMBER_STATUSES:
        raise BadInput(f"unknown status {status!r}: use one of {', '.join(NUMBER_STATUSES)}")
    if area_code is not None:
        check_npa(area_code)
    if limit is not None and limit < 1:
        raise BadInput("--limit must be at least 1")


def list_numbers(ctx: Context, *, inventory_type: str | None = None, status: str | None = None,
                 area_code: str | None = None, customer: str | None = None,
                 limit: int | None = None, all_statuses: bool = False) -> Iterator[dict]:
    """Rows as dicts, streamed from the store in batches (bounded memory for any size).

    Disconnected numbers are history, not inventory: left out unless asked for by status or
    `all_statuses`. Everything is checked before the first row, so a bad filter fails before any
    output starts.
    """
    check_filters(status, area_code, limit)
    area_code = check_npa(area_code) if area_code is not None else None  # trimmed, as lookups read it
    if inventory_type:
        inventory_type = ctx.inventory_type(inventory_type).name
    if customer:
        from tnorder.services.customers import customer_row

        with ctx.store.engine.connect() as conn:
            customer_row(conn, customer)
    ctx.store  # noqa: B018 - opened now, so a store that cannot be used fails before any output starts
    return _rows(ctx, inventory_type, status, area_code, customer, limit, all_statuses)


def _rows(ctx: Context, inventory_type: str | None, status: str | None, area_code: str | None,
          customer: str | None, limit: int | None, all_statuses: bool) -> Iterator[dict]:
    n = NUMBERS.c
    query = _selected().order_by(n.number)
    if inventory_type:
        query = query.where(n.inventory_type == inventory_type)
    if status:
        query = query.where(n.status == status)
    elif not all_statuses:
        query = query.where(n.status != "disconnected")
    if area_code:
        query = query.where(*in_area_code(n.number, area_code))  # the (status, number) index serves it
    if customer:
        query = query.where(n.customer == customer)
    if limit:
        query = query.limit(limit)
    with ctx.store.engine.connect() as conn:
        rows = conn.execution_options(yield_per=2000).execute(query)
        for row in rows:
            yield document(row)


def show(ctx: Context, number: str) -> dict:
    e164 = to_e164(number)
    e = EVENTS.c
    with ctx.store.engine.connect() as conn:
        row = conn.execute(_selected().where(NUMBERS.c.number == e164)).first()
        if row is None:
            raise BadInput(f"{e164} is not in the inventory")
        events = conn.execute(select(*(e[c] for c in HISTORY)).where(e.number == e164).order_by(e.id)).all()
    out = document(row)
    out["history"] = [dict(zip(HISTORY, event, strict=True)) | {"at": stamp(event[0])} for event in events]
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
