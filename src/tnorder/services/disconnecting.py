"""Select-and-disconnect: numbers leave the inventory through a real carrier disconnect order.

A carrier that cannot disconnect is refused before any request; a disconnect is never a silent
local no-op while the carrier keeps billing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from tnorder.errors import BadInput
from tnorder.models import Number, NumberEvent, Order
from tnorder.numbers import in_area_code
from tnorder.services import lifecycle, placing
from tnorder.services.ordering import check_key, new_key
from tnorder.testhooks import pause

if TYPE_CHECKING:
    from sqlmodel import Session

    from tnorder.carriers.base import Carrier
    from tnorder.services.context import Context

DISCONNECTABLE = ("available", "assigned")


@dataclass
class DisconnectPlan:
    inventory_type: str
    account: str
    carrier: Carrier
    numbers: list[str]
    key: str
    force: bool = False  # numbers on a customer's line too
    customer: str | None = None  # only numbers on this customer's lines (`customer remove-dids --disconnect`)


def candidates(ctx: Context, inventory_type: str | None, limit: int = 500, *, area_code: str | None = None,
               status: str | None = None, customer: str | None = None) -> list[dict]:
    """Numbers of one inventory type that could be disconnected, for a selection screen; narrowed
    as `inventory list` narrows (area code, status, customer)."""
    itype = ctx.inventory_type(inventory_type)
    query = select(Number).where(Number.inventory_type == itype.name,
                                 Number.status.in_([status] if status else DISCONNECTABLE))
    query = _narrowed(ctx, query, check_filters(area_code, status), customer)
    with ctx.store.session() as s:
        rows = s.execute(query.order_by(Number.number).limit(limit)).scalars().all()
    return [{"number": r.number, "status": r.status, "customer": r.customer, "line": r.line,
             "rate_center": r.rate_center, "state": r.state} for r in rows]


def check_filters(area_code: str | None, status: str | None) -> str | None:
    """The area code as lookups read it; a status that cannot be disconnected is refused."""
    from tnorder.criteria import check_npa

    if status is not None and status not in DISCONNECTABLE:
        raise BadInput(f"--status {status!r}: only {' or '.join(DISCONNECTABLE)} numbers can be disconnected")
    return check_npa(area_code) if area_code is not None else None


def _narrowed(ctx: Context, query, area_code: str | None, customer: str | None):
    if area_code:
        query = query.where(*in_area_code(Number.number, area_code))
    if customer:
        from tnorder.services.customers import customer_row

        with ctx.store.engine.connect() as conn:
            customer_row(conn, customer)  # an unknown customer is named, not an empty list
        query = query.where(Number.customer == customer)
    return query


def plan(ctx: Context, *, inventory_type: str | None, numbers: list[str], key: str | None,
         force: bool = False, customer: str | None = None) -> DisconnectPlan:
    """The friendly early check; `disconnect` makes each check again under the write lock."""
    if not numbers:
        raise BadInput("no numbers to disconnect")
    if inventory_type is not None:
        inventory_type = ctx.inventory_type(inventory_type).name  # `--type` as typed: `fast` for `Fast DIDs`
    with ctx.store.session() as s:
        rows = _rows(s, numbers)
        _check(s, numbers, rows, force, customer)
    types = sorted({r.inventory_type for r in rows.values()})
    if inventory_type is not None and types != [inventory_type]:
        raise BadInput(f"not all numbers are in inventory type {inventory_type!r} (they are in {', '.join(types)})")
    if len(types) > 1:
        raise BadInput(f"the numbers span inventory types {', '.join(types)}: disconnect one type at a time")
    itype = ctx.inventory_type(types[0])
    carrier = ctx.carrier(itype.account)
    if not carrier.capabilities.disconnect:
        raise carrier.unsupported("disconnects; disconnect these numbers with the carrier directly")
    return DisconnectPlan(itype.name, itype.account, carrier, numbers, check_key(key) or new_key(), force, customer)


def _rows(s: Session, numbers: list[str]) -> dict[str, Number]:
    return {r.number: r for r in s.execute(select(Number).where(Number.number.in_(numbers))).scalars()}


def _check(s: Session, numbers: list[str], rows: dict[str, Number], force: bool, customer: str | None,
           meanwhile: bool = False) -> None:
    """Each number may be disconnected: held, not in flight, on the customer asked, forced if assigned."""
    for number in numbers:
        row = rows.get(number)
        if row is None or (row.status == "disconnected" and not meanwhile):
            raise BadInput(f"{number} is not in the inventory")
        if row.status not in DISCONNECTABLE:
            raise BadInput(f"{number} is {_state(s, row)}: only available or assigned numbers can be "
                           "disconnected")
        if customer is not None and row.customer != customer:
            held = f"assigned to customer {row.customer} line {row.line}" if row.customer else row.status
            raise BadInput(f"{number} is {held}, not on a line of customer {customer}")
        if row.customer and not force:
            raise BadInput(f"{number} is assigned to customer {row.customer} line {row.line}: "
                           "unassign it first, or give --force to disconnect it anyway")


def _state(s: Session, row: Number) -> str:
    """The number's status as a refusal names it: with the order it is in flight with, if any."""
    if row.status == "disconnecting":
        ref = s.execute(select(NumberEvent.order_ref).where(
            NumberEvent.number == row.number, NumberEvent.to_status == "disconnecting")
            .order_by(NumberEvent.id.desc()).limit(1)).scalar()
        return f"being disconnected by {ref}" if ref else row.status
    if row.status == "pending" and row.order_ref:
        return f"pending (ordered by {row.order_ref})"
    return row.status


def _guard(p: DisconnectPlan) -> placing.Step:
    """The plan's checks again, under the write lock that records the disconnect."""
    def guard(s: Session, _order: Order) -> None:
        rows = _rows(s, p.numbers)
        try:
            _check(s, p.numbers, rows, p.force, p.customer, meanwhile=True)
            moved = sorted(n for n, r in rows.items() if r.inventory_type != p.inventory_type)
            if moved:
                raise BadInput(f"{moved[0]} was moved to inventory type {rows[moved[0]].inventory_type!r}")
        except BadInput as exc:
            raise BadInput(f"{exc} (it changed meanwhile; nothing was sent)") from None

    return guard


def _row(ctx: Context, p: DisconnectPlan) -> Order:
    return Order(kind="disconnect", method="select-and-disconnect", carrier=p.carrier.name, account=p.account,
                 inventory_type=p.inventory_type, key=p.key, criteria=json.dumps({}), quantity=len(p.numbers),
                 status="submitting", actor=ctx.actor)


def existing(ctx: Context, key: str, numbers: list[str]) -> Order | None:
    """The disconnect its key already placed for these same numbers; another request is refused.

    Checked before `plan`: the numbers of a disconnect already sent are no longer disconnectable.
    """
    with ctx.store.session() as s:
        placed = s.execute(select(Order).where(Order.key == key)).scalars().first()
    if placed is None:
        return None
    row = Order(kind="disconnect", method="select-and-disconnect", carrier=placed.carrier, account=placed.account,
                inventory_type=placed.inventory_type, key=key, criteria=json.dumps({}), quantity=len(numbers))
    return placing.placed_for(ctx, row, numbers)


def disconnect(ctx: Context, p: DisconnectPlan) -> Order:
    """Through the shared write-ahead path: the numbers wait as `disconnecting`."""
    pause("disconnect-decided")
    row = _row(ctx, p)

    def prepare(s: Session, order: Order) -> None:
        lifecycle.move(s, p.numbers, "disconnecting", expect=DISCONNECTABLE, ref=order.ref, actor=ctx.actor,
                       event="disconnect-sent", note="disconnect sent")

    def undo(s: Session, order: Order) -> None:
        lifecycle.back_in_use(s, p.numbers, ref=order.ref, actor=ctx.actor, note="disconnect refused by the carrier")

    return placing.submit(ctx, row, p.numbers, send=lambda: p.carrier.disconnect(p.numbers, p.key),
                          prepare=prepare, undo=undo, guard=_guard(p))
