"""Customers and their service lines: rows in the store that numbers are assigned to.

Read and written through SQLAlchemy Core (no ORM): `customer show` and `customer list` are store
commands with no carrier call, and they should start as fast as a bare query.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from sqlalchemy import Connection, DateTime, column, func, select, table

from tnorder.clock import iso, utcnow
from tnorder.errors import BadInput
from tnorder.statuses import PENDING_ORDER_STATUSES

if TYPE_CHECKING:
    from tnorder.services.context import Context

CUSTOMERS = table("customers", column("id"), column("account"), column("name"), column("created_at", DateTime()))
LINES = table("service_lines", column("id"), column("customer_id"), column("line"), column("description"),
              column("created_at", DateTime()))
NUMBERS = table("numbers", column("number"), column("status"), column("inventory_type"), column("customer"),
                column("line"), column("order_ref"), column("rate_center"), column("state"))
ORDERS = table("orders", column("ref"), column("customer"), column("line"), column("status"))
NUMBER_FIELDS = ("number", "status", "inventory_type", "order_ref", "rate_center", "state")


def check_name(value: str, what: str, limit: int = 64) -> str:
    """Names shown in tables and typed back by operators: printable, trimmed, bounded."""
    value = value.strip()
    if not value:
        raise BadInput(f"the {what} cannot be empty")
    if len(value) > limit:
        raise BadInput(f"the {what} {value[:24]!r}… is longer than {limit} characters")
    if not value.isprintable():
        raise BadInput(f"the {what} {value!r} holds characters that cannot be shown or typed")
    return value


def unknown(what: str, name: str, known: list[str], how: str) -> BadInput:
    """'no customer X', naming the ones that exist, closest match first."""
    if not known:
        return BadInput(f"no {what} {name!r}: there is none yet; add one with `tnorder {how}`")
    ranked = difflib.get_close_matches(name, known, n=len(known), cutoff=0)
    ranked += [k for k in sorted(known) if k not in ranked]
    shown = ", ".join(ranked[:10]) + (", …" if len(ranked) > 10 else "")
    return BadInput(f"no {what} {name!r} (known: {shown})")


def customer_row(conn: Connection, account: str) -> dict:
    row = conn.execute(select(CUSTOMERS).where(CUSTOMERS.c.account == account)).mappings().first()
    if row is None:
        known = list(conn.execute(select(CUSTOMERS.c.account)).scalars())
        raise unknown("customer", account, known, "customer add ACCOUNT --name NAME")
    return dict(row)


def line_row(conn: Connection, account: str, line: str) -> tuple[dict, dict]:
    """The customer and its service line, or BadInput naming what exists."""
    customer = customer_row(conn, account)
    row = conn.execute(select(LINES).where(LINES.c.customer_id == customer["id"], LINES.c.line == line)
                       ).mappings().first()
    if row is None:
        known = list(conn.execute(select(LINES.c.line).where(LINES.c.customer_id == customer["id"])).scalars())
        raise unknown(f"service line of customer {account!r} named", line, known,
                      f"customer line add {account} LINE")
    return customer, dict(row)


def line_exists(conn: Connection, account: str | None, line: str | None) -> bool:
    return conn.execute(select(LINES.c.id).join(CUSTOMERS, CUSTOMERS.c.id == LINES.c.customer_id).where(
        CUSTOMERS.c.account == account, LINES.c.line == line)).first() is not None


def check_line(ctx: Context, account: str, line: str) -> None:
    """Before anything is sent: the customer and its line exist."""
    with ctx.store.engine.connect() as conn:
        line_row(conn, account, line)


def add(ctx: Context, account: str, name: str) -> dict:
    account, name = check_name(account, "customer account"), check_name(name, "customer name", 200)
    with ctx.store.begin() as conn:
        if conn.execute(select(CUSTOMERS.c.id).where(CUSTOMERS.c.account == account)).first():
            raise BadInput(f"customer {account!r} exists already")
        conn.execute(CUSTOMERS.insert().values(account=account, name=name, created_at=utcnow()))
        return _customer_doc(customer_row(conn, account), [])


def add_line(ctx: Context, account: str, line: str, description: str | None) -> dict:
    line = check_name(line, "service line")
    if description is not None:
        description = check_name(description, "description", 200)
    with ctx.store.begin() as conn:
        customer = customer_row(conn, account)
        if conn.execute(select(LINES.c.id).where(LINES.c.customer_id == customer["id"], LINES.c.line == line)
                        ).first():
            raise BadInput(f"customer {account!r} has a service line {line!r} already")
        conn.execute(LINES.insert().values(customer_id=customer["id"], line=line, description=description,
                                           created_at=utcnow()))
        return _line_doc(account, line_row(conn, account, line)[1], [])


def _held_by(conn: Connection, account: str, line: str | None = None) -> int:
    query = select(func.count()).select_from(NUMBERS).where(
        NUMBERS.c.customer == account, NUMBERS.c.status != "disconnected")
    if line is not None:
        query = query.where(NUMBERS.c.line == line)
    return conn.execute(query).scalar_one()


def _order_out(conn: Connection, account: str, line: str | None = None) -> str | None:
    """An order for the customer (or its line) the carrier may still complete: its numbers land there."""
    query = select(ORDERS.c.ref).where(ORDERS.c.customer == account, ORDERS.c.status.in_(PENDING_ORDER_STATUSES))
    if line is not None:
        query = query.where(ORDERS.c.line == line)
    return conn.execute(query.order_by(ORDERS.c.ref).limit(1)).scalar()


def remove(ctx: Context, account: str) -> dict:
    """Refused while numbers are on any of its lines, or an order for it is still out (checked in the
    transaction that removes it: an order's write-ahead checks the line under the same lock)."""
    with ctx.store.begin() as conn:
        customer = customer_row(conn, account)
        held = _held_by(conn, account)
        if held:
            raise BadInput(f"customer {account!r} still has {held} number(s) on its lines; "
                           "remove them first with `tnorder customer remove-dids`")
        out = _order_out(conn, account)
        if out:
            raise BadInput(f"customer {account!r} has order {out} still pending for its lines; "
                           "let `tnorder orders poll` settle it first")
        conn.execute(LINES.delete().where(LINES.c.customer_id == customer["id"]))
        conn.execute(CUSTOMERS.delete().where(CUSTOMERS.c.id == customer["id"]))
    return {"customer": account, "removed": True}


def remove_line(ctx: Context, account: str, line: str) -> dict:
    with ctx.store.begin() as conn:
        _, row = line_row(conn, account, line)
        held = _held_by(conn, account, line)
        if held:
            raise BadInput(f"service line {line!r} of customer {account!r} still has {held} number(s); "
                           "remove them first with `tnorder customer remove-dids`")
        out = _order_out(conn, account, line)
        if out:
            raise BadInput(f"service line {line!r} of customer {account!r} has order {out} still pending for it; "
                           "let `tnorder orders poll` settle it first")
        conn.execute(LINES.delete().where(LINES.c.id == row["id"]))
    return {"customer": account, "line": line, "removed": True}


def list_customers(ctx: Context) -> list[dict]:
    """Every customer with how many lines and numbers (not disconnected) it has."""
    lines = select(LINES.c.customer_id, func.count().label("n")).group_by(LINES.c.customer_id).subquery()
    held = select(NUMBERS.c.customer, func.count().label("n")).where(
        NUMBERS.c.status != "disconnected", NUMBERS.c.customer.is_not(None)).group_by(NUMBERS.c.customer).subquery()
    query = (select(CUSTOMERS.c.account, CUSTOMERS.c.name, CUSTOMERS.c.created_at, lines.c.n, held.c.n)
             .outerjoin(lines, lines.c.customer_id == CUSTOMERS.c.id)
             .outerjoin(held, held.c.customer == CUSTOMERS.c.account).order_by(CUSTOMERS.c.account))
    with ctx.store.engine.connect() as conn:
        return [{"customer": a, "name": n, "lines": nl or 0, "numbers": nn or 0, "created_at": iso(at)}
                for a, n, at, nl, nn in conn.execute(query)]


def list_lines(ctx: Context, account: str) -> list[dict]:
    with ctx.store.engine.connect() as conn:
        customer = customer_row(conn, account)
        rows = conn.execute(select(LINES).where(LINES.c.customer_id == customer["id"]).order_by(LINES.c.line)
                            ).mappings().all()
        counts = dict(conn.execute(select(NUMBERS.c.line, func.count()).where(
            NUMBERS.c.customer == account, NUMBERS.c.status != "disconnected").group_by(NUMBERS.c.line)).all())
    return [_line_doc(account, row, None) | {"numbers": counts.get(row["line"], 0)} for row in rows]


def show(ctx: Context, account: str) -> dict:
    """The customer's inventory: each line with its numbers (pending ones included) and their status."""
    with ctx.store.engine.connect() as conn:
        customer = customer_row(conn, account)
        lines = conn.execute(select(LINES).where(LINES.c.customer_id == customer["id"]).order_by(LINES.c.line)
                             ).mappings().all()
        numbers = conn.execute(select(*(NUMBERS.c[f] for f in NUMBER_FIELDS), NUMBERS.c.line).where(
            NUMBERS.c.customer == account, NUMBERS.c.status != "disconnected").order_by(NUMBERS.c.number)).all()
    by_line: dict[str, list[dict]] = {}
    for row in numbers:
        by_line.setdefault(row[-1], []).append(dict(zip(NUMBER_FIELDS, row[:-1], strict=True)))
    return _customer_doc(customer, [_line_doc(account, line, by_line.get(line["line"], [])) for line in lines])


def _customer_doc(row: dict, lines: list[dict]) -> dict:
    return {"customer": row["account"], "name": row["name"], "created_at": iso(row["created_at"]), "lines": lines}


def _line_doc(account: str, row: dict, numbers: list[dict] | None) -> dict:
    doc = {"customer": account, "line": row["line"], "description": row["description"],
           "created_at": iso(row["created_at"])}
    if numbers is not None:
        doc["numbers"] = numbers
    return doc
