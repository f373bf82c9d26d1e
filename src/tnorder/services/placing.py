"""The one path every carrier order takes: write ahead, send, record.

- The order row is written (`submitting`) before the carrier is called, so a crash between send
  and save is repaired by `orders poll`, which asks the carrier for the order by its key.
- Under the write lock, and in this order: the key (the same request returns the first order, a
  different one is refused), then the caller's guard (no number ordered twice at a time).
- The row carries its sender's lease, renewed while the request is out: `orders poll` concludes
  nothing about it while the lease lives. Just before sending, the sender checks that its order is
  still `submitting`: one concluded meanwhile is never sent.
- Send and record are shielded from signals. A create that may or may not have reached the
  carrier (connection lost, 5xx, unreadable answer, a store failure after the send) is never
  reported as a refusal: `OutcomeUnknown` names the order, and `orders poll` settles it.
- A create that certainly never left (connection refused, DNS, a failed TLS handshake, an
  unreachable token endpoint: `CarrierNotReached`) is a refusal: the row is undone at once, so
  its numbers and its config are free and its key can be sent again.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable

from sqlalchemy import delete, insert, select
from sqlmodel import Session

from tnorder import interrupts
from tnorder.carriers.base import CarrierOrder
from tnorder.clock import utcnow
from tnorder.errors import (
    BadInput,
    CarrierError,
    CarrierNotReached,
    CarrierUnreachable,
    OutcomeUnknown,
    Superseded,
)
from tnorder.models import Order, OrderItem
from tnorder.services import leases
from tnorder.services.context import Context
from tnorder.services.orders import apply_answer
from tnorder.testhooks import pause

# what an order does to its numbers in the store before it is sent, and how that is undone
Step = Callable[[Session, Order], None]
# what makes two orders the same request (a key names one request)
REQUEST = ("kind", "method", "inventory_type", "customer", "line", "criteria", "quantity")


def _items(s: Session, order: Order) -> list[str]:
    return sorted(s.execute(select(OrderItem.number).where(OrderItem.order_id == order.id)).scalars())


def check_same_request(s: Session, placed: Order, order: Order, numbers: list[str]) -> None:
    """The same key with another request is refused, naming the order the key already placed."""
    differ = [f for f in REQUEST if _norm(f, getattr(placed, f)) != _norm(f, getattr(order, f))]
    # numbers chosen from a lookup may differ between two runs of one request; named numbers may not
    if not differ and order.method in ("numbers", "select-and-disconnect") and sorted(numbers) != _items(s, placed):
        differ = ["numbers"]
    if differ:
        raise BadInput(f"key {order.key!r} already placed {placed.ref} for another request "
                       f"({', '.join(differ)} differ): use a new key for a new order")


def placed_for(ctx: Context, order: Order, numbers: list[str]) -> Order | None:
    """The order its key already placed, if any (for this same request; another is refused)."""
    with ctx.store.session() as s:
        placed = s.execute(select(Order).where(Order.key == order.key)).scalars().first()
        if placed is not None:
            check_same_request(s, placed, order, numbers)
        return placed


def _norm(field: str, value: object) -> object:
    if field == "criteria" and value:
        return json.loads(str(value)) or None
    return value or None


def write_ahead(ctx: Context, order: Order, numbers: list[str], prepare: Step,
                guard: Step | None = None) -> tuple[Order, bool]:
    """Insert `order` (with its items) unless its key already placed one: (order, written now)."""
    pause("before-write-ahead")
    with ctx.store.write() as s:
        placed = s.execute(select(Order).where(Order.key == order.key)).scalars().first()
        if placed is not None:
            check_same_request(s, placed, order, numbers)
            return placed, False
        # a `config … remove/set` holds this lock while it checks for orders and rewrites the file
        ctx.config.still_as_read(carriers=order.carrier, accounts=order.account,
                                 inventory_types=order.inventory_type)
        if guard is not None:
            guard(s, order)
        order.sender, order.lease_until = leases.owner(), leases.until()
        s.add(order)
        s.flush()
        order.ref = f"ORD-{order.id:06d}"
        if numbers:
            s.execute(insert(OrderItem.__table__),
                      [{"order_id": order.id, "number": n, "status": "requested"} for n in numbers])
        prepare(s, order)
        return order, True


def submit(ctx: Context, order: Order, numbers: list[str], *, send: Callable[[], CarrierOrder],
           prepare: Step, undo: Step, guard: Step | None = None) -> Order:
    """Write ahead, send, record. A refusal at create time leaves nothing behind."""
    order, fresh = write_ahead(ctx, order, numbers, prepare, guard)
    if not fresh:
        return order
    ref = order.ref or ""
    with leases.Renewer(lambda: _renew(ctx, order.id)), interrupts.shield():
        _claim(ctx, order)
        interrupts.note_sent(ref, "sent (or may have been)")
        pause("before-send")
        try:
            answer = send()
        except (CarrierUnreachable, OutcomeUnknown) as exc:
            raise _unknown(ctx, order, exc.text if isinstance(exc, CarrierError) else exc.reason) from None
        except (CarrierError, BadInput):  # refused, or certainly never sent (CarrierNotReached)
            _refused(ctx, order, undo)
            interrupts.forget_sent(ref)
            raise
        except Exception as exc:  # a plugin's own failure: after the request left, it may have arrived
            if _never_sent(exc):
                _refused(ctx, order, undo)
                interrupts.forget_sent(ref)
                raise CarrierNotReached(order.carrier, f"the request was not sent ({type(exc).__name__}); "
                                        "nothing reached the carrier") from None
            raise _unknown(ctx, order, f"{type(exc).__name__}: {exc}") from None
        pause("before-record")
        try:
            recorded = _record(ctx, order, answer)
        except Exception as exc:  # the carrier has the order; the store could not take its answer
            raise _unknown(ctx, order, f"its answer could not be recorded: {exc}") from None
        interrupts.note_sent(ref, "sent")
        return recorded


def _never_sent(exc: Exception) -> bool:
    """An HTTP failure a plugin let through, from before its request left (httpx is loaded if so)."""
    if "httpx" not in sys.modules:
        return False
    from tnorder.carriers.http import never_sent

    return never_sent(exc)


def _claim(ctx: Context, order: Order) -> None:
    """Just before sending: still ours and still unsent? Renew the lease; else send nothing."""
    with ctx.store.write() as s:
        current = s.get(Order, order.id)
        if current is None or current.status != "submitting" or current.carrier_order_id:
            raise Superseded(f"order {order.ref} was settled by `orders poll` before this process sent it "
                             f"({current.error if current else 'removed'}): nothing was sent")
        current.lease_until = leases.until()


def _renew(ctx: Context, order_id: int | None) -> None:
    with ctx.store.write() as s:
        current = s.get(Order, order_id)
        if current is not None and current.status == "submitting":
            current.lease_until = leases.until()


def _refused(ctx: Context, order: Order, undo: Step) -> None:
    with ctx.store.write() as s:
        undo(s, order)
        s.execute(delete(OrderItem).where(OrderItem.order_id == order.id))
        s.execute(delete(Order).where(Order.id == order.id))


def _record(ctx: Context, order: Order, answer: CarrierOrder) -> Order:
    with ctx.store.write() as s:
        current = s.get(Order, order.id)
        apply_answer(s, current, answer, ctx.actor)
        return current


def _unknown(ctx: Context, order: Order, reason: str) -> OutcomeUnknown:
    """The order stays `submitting` with the reason; `orders poll` asks the carrier by key."""
    # the store may be what failed: the row is there from the write-ahead either way
    with contextlib.suppress(Exception), ctx.store.write() as s:
        current = s.get(Order, order.id)
        if current is not None and current.status == "submitting":
            current.error = f"outcome unknown: {reason}"[:2000]
            current.updated_at = utcnow()
    return OutcomeUnknown(order.ref or "", reason)
