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
from tnorder.models import Number, Order
from tnorder.services import lifecycle, placing
from tnorder.services.ordering import check_key, new_key

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


def candidates(ctx: Context, inventory_type: str | None, limit: int = 500) -> list[dict]:
    """Numbers of one inventory type that could be disconnected, for a selection screen."""
    itype = ctx.inventory_type(inventory_type)
    with ctx.store.session() as s:
        rows = s.execute(select(Number).where(
            Number.inventory_type == itype.name, Number.status.in_(DISCONNECTABLE))
            .order_by(Number.number).limit(limit)).scalars().all()
    return [{"number": r.number, "status": r.status, "customer": r.customer, "line": r.line,
             "rate_center": r.rate_center, "state": r.state} for r in rows]


def plan(ctx: Context, *, inventory_type: str | None, numbers: list[str], key: str | None,
         force: bool = False) -> DisconnectPlan:
    if not numbers:
        raise BadInput("no numbers to disconnect")
    if inventory_type is not None:
        inventory_type = ctx.inventory_type(inventory_type).name  # `--type` as typed: `fast` for `Fast DIDs`
    with ctx.store.session() as s:
        rows = {r.number: r for r in s.execute(select(Number).where(Number.number.in_(numbers))).scalars()}
    for number in numbers:
        row = rows.get(number)
        if row is None:
            raise BadInput(f"{number} is not in the inventory")
        if row.status not in DISCONNECTABLE:
            raise BadInput(f"{number} is {row.status}: only available or assigned numbers can be disconnected")
        if row.customer and not force:
            raise BadInput(f"{number} is assigned to customer {row.customer} line {row.line}: "
                           "unassign it first, or give --force to disconnect it anyway")
    types = sorted({r.inventory_type for r in rows.values()})
    if inventory_type is not None and types != [inventory_type]:
        raise BadInput(f"not all numbers are in inventory type {inventory_type!r} (they are in {', '.join(types)})")
    if len(types) > 1:
        raise BadInput(f"the numbers span inventory types {', '.join(types)}: disconnect one type at a time")
    itype = ctx.inventory_type(types[0])
    carrier = ctx.carrier(itype.account)
    if not carrier.capabilities.disconnect:
        raise carrier.unsupported("disconnects; disconnect these numbers with the carrier directly")
    return DisconnectPlan(itype.name, itype.account, carrier, numbers, check_key(key) or new_key())


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
    row = _row(ctx, p)

    def prepare(s: Session, order: Order) -> None:
        lifecycle.move(s, p.numbers, "disconnecting", ref=order.ref, actor=ctx.actor, event="disconnect-sent",
                       note="disconnect sent")

    def undo(s: Session, order: Order) -> None:
        lifecycle.back_in_use(s, p.numbers, ref=order.ref, actor=ctx.actor, note="disconnect refused by the carrier")

    return placing.submit(ctx, row, p.numbers, send=lambda: p.carrier.disconnect(p.numbers, p.key),
                          prepare=prepare, undo=undo)
