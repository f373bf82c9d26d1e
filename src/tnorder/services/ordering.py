"""Purchase orders: lookup-and-select, lookup-and-order, and ordering numbers already known.

Every order goes through `placing.submit` (write ahead, send, record).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select

from tnorder.carriers.base import AvailableNumber, CarrierOrder, Reservation
from tnorder.criteria import Criteria, check_quantity
from tnorder.errors import BadInput, NothingToOrder
from tnorder.models import Number, Order
from tnorder.services import lifecycle, placing

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlmodel import Session

    from tnorder.carriers.base import Carrier
    from tnorder.services.context import Context

KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 \-]{0,39}")


def check_key(key: str | None) -> str | None:
    """Keys travel as the carrier's client reference (Bandwidth: CustomerOrderId, ≤40, [A-Za-z0-9 -])."""
    if key is not None and not KEY_PATTERN.fullmatch(key):
        raise BadInput("--key must be 1-40 letters, digits, dashes or spaces")
    return key


def new_key() -> str:
    return f"tn-{uuid.uuid4().hex[:20]}"


@dataclass
class Plan:
    """An order checked against config and carrier before anything is sent."""

    inventory_type: str
    account: str
    carrier: Carrier
    criteria: Criteria | None
    quantity: int | None
    key: str
    customer: str | None = None
    line: str | None = None
    numbers: list[str] = field(default_factory=list)


def plan(ctx: Context, *, inventory_type: str | None, criteria: Criteria | None = None,
         quantity: int | None = None, numbers: list[str] | None = None, key: str | None = None,
         customer: str | None = None, line: str | None = None) -> Plan:
    itype = ctx.inventory_type(inventory_type)
    carrier = ctx.carrier(itype.account)
    if customer is not None or line is not None:
        from tnorder.services.customers import check_line

        check_line(ctx, customer or "", line or "")
    if criteria is not None:
        carrier.check_criteria(criteria)
        check_quantity(quantity or 0, carrier.capabilities.max_quantity, carrier.name)
    return Plan(itype.name, itype.account, carrier, criteria, quantity,
                check_key(key) or new_key(), customer, line, list(numbers or []))


def existing(ctx: Context, key: str | None) -> Order | None:
    """The order already placed under this key, if any: the same key never orders twice."""
    if key is None:
        return None
    with ctx.store.session() as s:
        return s.execute(select(Order).where(Order.key == key)).scalars().first()


def check_not_held(ctx: Context, numbers: list[str]) -> None:
    """Numbers already in inventory (not disconnected) cannot be ordered again."""
    if not numbers:
        return
    with ctx.store.session() as s:
        row = s.execute(select(Number.number, Number.inventory_type, Number.status).where(
            Number.number.in_(numbers), Number.status != "disconnected")).first()
    if row:
        raise BadInput(f"{row[0]} is already in inventory type {row[1]!r} ({row[2]})")


def order_numbers(ctx: Context, p: Plan) -> Order:
    """Order numbers already known (`--numbers`), e.g. from an earlier lookup."""
    found = existing(ctx, p.key)
    if found:
        return found
    check_not_held(ctx, p.numbers)
    chosen = [AvailableNumber(n) for n in p.numbers]
    return submit(ctx, p, "numbers", chosen, lambda c: c.order(p.numbers, p.key))


def lookup_and_order(ctx: Context, p: Plan) -> Order:
    """Search and order whatever comes back; one request where the carrier can do both."""
    found = existing(ctx, p.key)
    if found:
        return found
    assert p.criteria is not None and p.quantity is not None
    if p.carrier.capabilities.search_and_order:
        return submit(ctx, p, "lookup-and-order", None,
                      lambda c: c.search_and_order(p.criteria, p.quantity, p.key))
    results = p.carrier.search(p.criteria, p.quantity)
    if not results:
        raise NothingToOrder(p.carrier.name, "no numbers matched: nothing was ordered", "none-found")
    numbers = [r.number for r in results]
    return submit(ctx, p, "lookup-and-order", results, lambda c: c.order(numbers, p.key))


class Selection:
    """Lookup-and-select: results are held at the carrier while the operator chooses.

    Used as a context manager; on exit every reservation not ordered is released, also when the
    operator aborts (Ctrl-C) or the order fails.
    """

    def __init__(self, ctx: Context, p: Plan) -> None:
        self.ctx, self.plan = ctx, p
        self.results: list[AvailableNumber] = []
        self.reservations: dict[str, Reservation] = {}
        self.ordered: set[str] = set()

    def __enter__(self) -> Selection:
        p = self.plan
        assert p.criteria is not None and p.quantity is not None
        found = p.carrier.search(p.criteria, p.quantity)
        if p.carrier.capabilities.reserve and found:
            held = p.carrier.reserve([n.number for n in found])
            self.reservations = {r.number: r for r in held}
            found = [n for n in found if n.number in self.reservations]
        self.results = found
        return self

    def order(self, chosen: list[AvailableNumber]) -> Order:
        p = self.plan
        numbers = [n.number for n in chosen]
        check_not_held(self.ctx, numbers)
        held = [self.reservations[n] for n in numbers if n in self.reservations]
        self.ordered.update(numbers)
        return submit(self.ctx, p, "lookup-and-select", chosen,
                      lambda c: c.order(numbers, p.key, held or None))

    def release_rest(self) -> list[str]:
        rest = [r for n, r in self.reservations.items() if n not in self.ordered]
        if rest:
            self.plan.carrier.release(rest)
        self.reservations = {n: r for n, r in self.reservations.items() if n in self.ordered}
        return [r.number for r in rest]

    def __exit__(self, *exc: object) -> None:
        self.release_rest()


def submit(ctx: Context, p: Plan, method: str, chosen: list[AvailableNumber] | None,
           send: Callable[[Carrier], CarrierOrder]) -> Order:
    """A purchase through the shared write-ahead path: chosen numbers wait as `pending`."""
    return placing.submit(ctx, _row(ctx, p, method), [n.number for n in chosen or []],
                          send=lambda: send(p.carrier), prepare=_pending(ctx, p, chosen),
                          undo=lambda s, order: _forget(ctx, s, order, chosen))


def _row(ctx: Context, p: Plan, method: str) -> Order:
    criteria = json.dumps(p.criteria.as_dict()) if p.criteria else None
    return Order(kind="purchase", method=method, carrier=p.carrier.name, account=p.account,
                 inventory_type=p.inventory_type, customer=p.customer, line=p.line, criteria=criteria,
                 quantity=p.quantity, key=p.key, status="submitting", actor=ctx.actor)


def _pending(ctx: Context, p: Plan, chosen: list[AvailableNumber] | None) -> placing.Step:
    def prepare(s: Session, order: Order) -> None:
        lifecycle.add(s, chosen or [], status="pending", inventory_type=p.inventory_type, carrier=p.carrier.name,
                      account=p.account, ref=order.ref, actor=ctx.actor, customer=p.customer, line=p.line,
                      event="ordered", note=_for_line(p.customer, p.line) or None)

    return prepare


def _for_line(customer: str | None, line: str | None) -> str:
    return f"for {customer} line {line}" if line else ""


def _forget(ctx: Context, s: Session, order: Order, chosen: list[AvailableNumber] | None) -> None:
    lifecycle.forget_pending(s, [n.number for n in chosen or []], order.ref or "", ctx.actor,
                             "order refused by the carrier")


def _write_ahead(ctx: Context, p: Plan, method: str, chosen: list[AvailableNumber] | None) -> Order:
    """The purchase's row, items and pending numbers, without sending (tests and benchmarks use it)."""
    return placing.write_ahead(ctx, _row(ctx, p, method), [n.number for n in chosen or []],
                               _pending(ctx, p, chosen))[0]


def lookup(ctx: Context, p: Plan) -> list[AvailableNumber]:
    """Search only: nothing is held or ordered. An empty list is an answer, not an error."""
    assert p.criteria is not None and p.quantity is not None
    return p.carrier.search(p.criteria, p.quantity)
