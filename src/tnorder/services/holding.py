"""Numbers already held: assigned to a customer's line, taken off it, moved between inventory types.

No carrier is called: these change who a number is for, not whether the carrier holds it. Every
check runs inside the write transaction that makes the change, so a refusal changes nothing and
two operators cannot assign one number twice.
"""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING

from sqlalchemy import Connection, column, select, table

from tnorder.errors import BadInput
from tnorder.numbers import in_area_code
from tnorder.services import customers, lifecycle
from tnorder.testhooks import pause

if TYPE_CHECKING:
    from tnorder.services.context import Context

FIELDS = ("number", "status", "inventory_type", "account", "customer", "line", "rate_center", "state", "order_ref")
NUMBERS = table("numbers", *(column(f) for f in FIELDS))
HELD = ("available", "assigned")


def _rows(conn: Connection, numbers: list[str]) -> dict[str, dict]:
    """The numbers' rows, refusing any that tnorder does not hold."""
    rows = {r["number"]: dict(r) for r in conn.execute(
        select(NUMBERS).where(NUMBERS.c.number.in_(numbers))).mappings()}
    missing = [n for n in numbers if n not in rows or rows[n]["status"] == "disconnected"]
    if missing:
        raise BadInput(f"{missing[0]} is not in the inventory" + _more(missing))
    return rows


def _more(items: list) -> str:
    return f" (and {len(items) - 1} more)" if len(items) > 1 else ""


def _docs(conn: Connection, numbers: list[str]) -> list[dict]:
    rows = _rows(conn, numbers)
    return [{f: rows[n][f] for f in FIELDS if f != "account"} for n in numbers]


def where(row: dict) -> str:
    return f"customer {row['customer']} line {row['line']}"


def assign(ctx: Context, numbers: list[str], account: str, line: str) -> list[dict]:
    """Available numbers onto a customer's service line."""
    with ctx.store.begin() as conn:
        customers.line_row(conn, account, line)
        rows = _rows(conn, numbers)
        for n in numbers:
            row = rows[n]
            if row["status"] == "assigned":
                raise BadInput(f"{n} is assigned to {where(row)} already: unassign it first")
            if row["status"] != "available":
                raise BadInput(f"{n} is {row['status']}: only available numbers can be assigned")
        _assign(conn, ctx.actor, numbers, account, line)
        return _docs(conn, numbers)


def _assign(conn: Connection, actor: str, numbers: list[str], account: str, line: str) -> None:
    lifecycle.move(conn, numbers, "assigned", expect="available", ref=None, actor=actor, event="assigned",
                   note=f"assigned to customer {account} line {line}", customer=account, line=line)


def check_assigned_to(ctx: Context, numbers: list[str], customer: str) -> None:
    """Before asking or sending anything: each number is on one of this customer's lines."""
    with ctx.store.engine.connect() as conn:
        customers.customer_row(conn, customer)
        rows = _rows(conn, numbers)
    for n in numbers:
        row = rows[n]
        if row["customer"] != customer:
            held = f"assigned to {where(row)}" if row["customer"] else row["status"]
            raise BadInput(f"{n} is {held}, not on a line of customer {customer}")
        if row["status"] != "assigned":
            raise BadInput(f"{n} is {row['status']} on customer {customer}'s line {row['line']}: "
                           "only assigned numbers can be taken off")


def unassign(ctx: Context, numbers: list[str], *, reason: str | None = None,
             customer: str | None = None) -> list[dict]:
    """Assigned numbers back to available in their inventory type (`customer`: only from that one)."""
    reason = customers.check_name(reason, "reason", 200) if reason is not None else None
    with ctx.store.begin() as conn:
        if customer is not None:
            customers.customer_row(conn, customer)
        rows = _rows(conn, numbers)
        for n in numbers:
            row = rows[n]
            if row["status"] != "assigned":
                raise BadInput(f"{n} is {row['status']}, not assigned to a customer")
            if customer is not None and row["customer"] != customer:
                raise BadInput(f"{n} is assigned to {where(row)}, not to customer {customer}")
        for (owner, line), group in groupby(sorted(numbers, key=lambda n: _line_key(rows[n])),
                                            key=lambda n: _line_key(rows[n])):
            note = f"unassigned from customer {owner} line {line}" + (f": {reason}" if reason else "")
            lifecycle.move(conn, list(group), "available", expect="assigned", ref=None, actor=ctx.actor,
                           event="unassigned", note=note, customer=None, line=None)
        return _docs(conn, numbers)


def _line_key(row: dict) -> tuple[str, str]:
    return row["customer"] or "", row["line"] or ""


def move(ctx: Context, numbers: list[str], to_type: str) -> list[dict]:
    """Between inventory types of one carrier account: the carrier holds a number under its account."""
    target = ctx.inventory_type(to_type)
    pause("move-decided")
    with ctx.store.begin() as conn:
        ctx.config.still_as_read(inventory_types=target.name)  # a removal decides under this lock too
        rows = _rows(conn, numbers)
        for n in numbers:
            row = rows[n]
            if row["status"] not in HELD:
                raise BadInput(f"{n} is {row['status']}: only available or assigned numbers can be moved")
            if row["inventory_type"] == target.name:
                raise BadInput(f"{n} is in inventory type {target.name!r} already")
            if row["account"] != target.account:
                raise BadInput(f"{n} is held under carrier account {row['account']!r}; inventory type "
                               f"{target.name!r} uses account {target.account!r}: the carrier keeps the "
                               "number under the first, so it cannot move there")
        for source, group in groupby(sorted(numbers, key=lambda n: rows[n]["inventory_type"]),
                                     key=lambda n: rows[n]["inventory_type"]):
            group = list(group)
            for status in HELD:  # a move keeps each number's status
                same = [n for n in group if rows[n]["status"] == status]
                lifecycle.move(conn, same, status, expect=status, ref=None, actor=ctx.actor, event="moved",
                               note=f"moved from {source} to {target.name}", inventory_type=target.name)
        return _docs(conn, numbers)


def assign_from_inventory(ctx: Context, count: int, *, inventory_type: str | None, account: str, line: str,
                          area_code: str | None = None, state: str | None = None,
                          rate_center: str | None = None) -> list[dict]:
    """`count` available numbers of the inventory type (matching the filters) onto the line."""
    filters = {"area_code": area_code, "state": state, "rate_center": rate_center}
    with ctx.store.begin() as conn:
        chosen = _available(ctx, conn, count, inventory_type, account, line, filters)
        _assign(conn, ctx.actor, chosen, account, line)
        return _docs(conn, chosen)


def preview_from_inventory(ctx: Context, count: int, *, inventory_type: str | None, account: str, line: str,
                           area_code: str | None = None, state: str | None = None,
                           rate_center: str | None = None) -> list[dict]:
    """The numbers `assign_from_inventory` would take now, assigning nothing: shown before asking.
    `assign` then takes exactly these, and refuses if one was taken meanwhile."""
    filters = {"area_code": area_code, "state": state, "rate_center": rate_center}
    with ctx.store.engine.connect() as conn:
        return _docs(conn, _available(ctx, conn, count, inventory_type, account, line, filters))


def _available(ctx: Context, conn: Connection, count: int, inventory_type: str | None, account: str,
               line: str, filters: dict[str, str | None]) -> list[str]:
    if count < 1:
        raise BadInput("--from-inventory must be at least 1")
    itype = ctx.inventory_type(inventory_type)
    n = NUMBERS.c
    query = select(n.number).where(n.inventory_type == itype.name, n.status == "available")
    area_code, state, rate_center = filters["area_code"], filters["state"], filters["rate_center"]
    if area_code:
        query = query.where(*in_area_code(n.number, area_code))
    if state:
        query = query.where(n.state == state)
    if rate_center:
        query = query.where(n.rate_center == rate_center)
    customers.line_row(conn, account, line)
    chosen = list(conn.execute(query.order_by(n.number).limit(count)).scalars())
    if len(chosen) < count:
        given = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in filters.items() if v)
        raise BadInput(f"only {len(chosen)} available number(s) in {itype.name!r}"
                       f"{' match ' + given if given else ''}: {count} asked, nothing assigned")
    return chosen
