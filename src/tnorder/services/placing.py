"""The one path every carrier order takes: write ahead, send, record.

The order row is written (`submitting`) before the carrier is called, so a crash between send
and save is repaired by `orders poll`, which asks the carrier for the order by its key. The key
is checked again under the write lock, so two processes racing with one key still order once.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, insert, select
from sqlmodel import Session

from tnorder.carriers.base import CarrierOrder
from tnorder.errors import BadInput, CarrierError, CarrierUnreachable
from tnorder.models import Order, OrderItem
from tnorder.services.context import Context
from tnorder.services.orders import apply_answer

# what an order does to its numbers in the store before it is sent, and how that is undone
Step = Callable[[Session, Order], None]


def write_ahead(ctx: Context, order: Order, numbers: list[str], prepare: Step) -> tuple[Order, bool]:
    """Insert `order` (with its items) unless its key already placed one: (order, written now)."""
    with ctx.store.write() as s:
        placed = s.execute(select(Order).where(Order.key == order.key)).scalars().first()
        if placed is not None:
            return placed, False
        s.add(order)
        s.flush()
        order.ref = f"ORD-{order.id:06d}"
        if numbers:
            s.execute(insert(OrderItem.__table__),
                      [{"order_id": order.id, "number": n, "status": "requested"} for n in numbers])
        prepare(s, order)
        return order, True


def submit(ctx: Context, order: Order, numbers: list[str], *, send: Callable[[], CarrierOrder],
           prepare: Step, undo: Step) -> Order:
    """Write ahead, send, record. A refusal at create time leaves nothing behind."""
    order, fresh = write_ahead(ctx, order, numbers, prepare)
    if not fresh:
        return order
    try:
        answer = send()
    except CarrierUnreachable:
        raise  # outcome unknown: the row stays `submitting`; `orders poll` finds it by key
    except (CarrierError, BadInput):
        with ctx.store.write() as s:
            undo(s, order)
            s.execute(delete(OrderItem).where(OrderItem.order_id == order.id))
            s.execute(delete(Order).where(Order.id == order.id))
        raise
    with ctx.store.write() as s:
        current = s.get(Order, order.id)
        apply_answer(s, current, answer, ctx.actor)
        return current
