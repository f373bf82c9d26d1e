"""What a carrier completes is screened before the store takes it.

A carrier's answer is checked for form at the plugin boundary (carriers/validate.py); here it is
checked against what tnorder asked for and what it already holds:
- a number completed that was never asked for (not among the order's numbers, or beyond the
  ordered quantity) is reported, not added;
- a number tnorder already holds elsewhere (another carrier, account or inventory type, or the
  same one under another order) is not moved: the order is flagged and the conflict reported.
Both are kept as the order's items with status `conflict`, so `orders show` names them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select
from sqlmodel import Session

from tnorder.carriers.base import AvailableNumber
from tnorder.models import Number, Order, OrderItem

ITEMS = OrderItem.__table__
NUMBERS = Number.__table__


@dataclass(frozen=True)
class Conflict:
    number: str
    code: str  # not-requested | held-elsewhere
    reason: str


def screen(s: Session, order: Order, asked: set[str], done: list[AvailableNumber]) -> tuple[
        list[AvailableNumber], list[Conflict]]:
    """(numbers the store may take, conflicts to report) of a purchase's completed numbers."""
    conflicts: list[Conflict] = []
    if asked:
        taken = [n for n in done if n.number in asked]
        conflicts += [Conflict(n.number, "not-requested", "completed by the carrier but never asked for: not added")
                      for n in done if n.number not in asked]
    else:  # lookup-and-order in one request: only the quantity was asked for
        room = max(order.quantity or 0, 0)
        taken = done[:room]
        conflicts += [Conflict(n.number, "not-requested", f"completed beyond the {room} ordered: not added")
                      for n in done[room:]]
    held = _held_elsewhere(s, order, [n.number for n in taken])
    conflicts += [Conflict(number, "held-elsewhere", why) for number, why in held.items()]
    return [n for n in taken if n.number not in held], conflicts


def screen_disconnect(asked: set[str], gone: set[str]) -> tuple[set[str], list[Conflict]]:
    """A disconnect applies only to numbers it asked for; others are reported, left as they are."""
    extra = sorted(gone - asked) if asked else []
    return gone - set(extra), [Conflict(n, "not-requested", "disconnected by the carrier but never asked for: "
                                        "left as it is") for n in extra]


def _held_elsewhere(s: Session, order: Order, numbers: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    n = NUMBERS.c
    for start in range(0, len(numbers), 500):  # bounded IN lists
        rows = s.execute(select(n.number, n.status, n.inventory_type, n.carrier, n.account, n.order_ref)
                         .where(n.number.in_(numbers[start:start + 500]), n.status != "disconnected")).all()
        for number, status, itype, carrier, account, ref in rows:
            if status == "pending" and ref == order.ref:
                continue  # this order's own number, waiting for this answer
            found[number] = (f"already held ({status}) in inventory type {itype!r} of carrier {carrier} "
                             f"account {account}: not moved")
    return found


def record(s: Session, order: Order, conflicts: list[Conflict]) -> None:
    """Each conflict as an order item (status `conflict`), and the order flagged."""
    if not conflicts:
        return
    items = dict(s.execute(select(ITEMS.c.number, ITEMS.c.id).where(ITEMS.c.order_id == order.id)).all())
    known = [{"item": items[c.number], "code": c.code, "reason": c.reason} for c in conflicts if c.number in items]
    fresh = [{"order_id": order.id, "number": c.number, "status": "conflict", "code": c.code, "reason": c.reason}
             for c in conflicts if c.number not in items]
    if known:
        s.execute(ITEMS.update().where(ITEMS.c.id == bindparam("item")).values(status="conflict"), known)
    if fresh:
        s.execute(insert(ITEMS), fresh)
    if order.status == "complete":
        order.status = "partial"  # the carrier's "complete" is not what tnorder can take as it is
    shown = ", ".join(c.number for c in conflicts[:5]) + (" …" if len(conflicts) > 5 else "")
    note = f"{len(conflicts)} number(s) completed by the carrier not taken (conflict): {shown}"
    order.error = f"{order.error}; {note}" if order.error else note
