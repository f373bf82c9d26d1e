"""Applying many carrier answers in one write transaction, the common case in a few statements.

`orders poll` reads hundreds of finished orders at once; applied one by one (`orders.apply_answer`)
each costs about seven statements, most of the time in SQLAlchemy building them. Here the orders'
items and numbers are read in two queries for the whole batch, and a purchase whose answer needs
none of the rarer steps is written with the batch's other such purchases: one insert or update per
table. The rarer steps stay with `apply_answer`, order by order:
- anything but a finished purchase still pending here (a disconnect, a non-final answer, an order
  reopened after a local conclusion, an answer without a carrier id);
- a conflict (a number completed that was never asked for, or held elsewhere);
- a pending number the carrier did not complete (it is forgotten or restored, `forget_pending`);
- a number that another order of the same batch names too (those are applied in turn, as before).
What is written is what `apply_answer` writes, row for row (tests/test_bulk_apply.py compares them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import bindparam, insert, select
from sqlmodel import Session

from tnorder.carriers.base import AvailableNumber, CarrierOrder, FailedNumber
from tnorder.models import PENDING_ORDER_STATUSES, Number, Order, OrderItem, utcnow
from tnorder.services import lifecycle, orders
from tnorder.store import bulk_insert, driver_value

ITEMS = OrderItem.__table__
NUMBERS = Number.__table__
CHUNK = 500  # bounded IN lists


@dataclass
class _Facts:
    """What the store holds about one order's numbers, read for the whole batch at once."""

    items: dict[str, int] = field(default_factory=dict)  # number -> item id
    pending: set[str] = field(default_factory=set)  # its items still pending under this order


@dataclass
class _Writes:
    """The batch's rows, gathered order by order in the batch's order (so ids come out as before)."""

    fresh_numbers: list[dict] = field(default_factory=list)
    known_numbers: list[dict] = field(default_factory=list)
    moves: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    item_updates: list[dict] = field(default_factory=list)
    item_inserts: list[dict] = field(default_factory=list)


def apply_all(s: Session, answered: list[tuple[Order, CarrierOrder]], actor: str) -> list[tuple[Order, str]]:
    """Apply each answer to its order (rows loaded in `s`); (order, previous status) of those that
    changed, in the batch's order."""
    facts, statuses = _read(s, answered)
    plain = _plain(answered, facts, statuses)
    changed: list[tuple[Order, str]] = []
    writes = _Writes()
    now = utcnow()
    for order, answer in answered:
        previous = order.status
        if order.id in plain:
            _purchase(s, order, answer, facts[order.id or 0], statuses, writes, actor, now)
            moved = order.status != previous
        else:
            moved = orders.apply_answer(s, order, answer, actor)
        if moved:
            changed.append((order, previous))
    _write(s, writes, now)
    return changed


def _read(s: Session, answered: list[tuple[Order, CarrierOrder]]) -> tuple[dict[int, _Facts], dict[str, tuple]]:
    """Each order's items, and the stored (status, order_ref) of every number the batch names."""
    refs = {order.id: order.ref for order, _ in answered}
    facts = {order.id or 0: _Facts() for order, _ in answered}
    ids = list(refs)
    for start in range(0, len(ids), CHUNK):
        query = select(ITEMS.c.order_id, ITEMS.c.number, ITEMS.c.id).where(
            ITEMS.c.order_id.in_(ids[start:start + CHUNK]))
        for order_id, number, item in s.execute(query):
            facts[order_id].items[number] = item
    named = sorted({n for f in facts.values() for n in f.items if n}
                   | {n.number for _, a in answered for n in a.completed if n.number})
    statuses: dict[str, tuple] = {}
    for start in range(0, len(named), CHUNK):
        query = select(NUMBERS.c.number, NUMBERS.c.status, NUMBERS.c.order_ref).where(
            NUMBERS.c.number.in_(named[start:start + CHUNK]))
        statuses.update((number, (status, ref)) for number, status, ref in s.execute(query))
    for order, _ in answered:
        held = facts[order.id or 0]
        held.pending = {n for n in held.items if statuses.get(n) == ("pending", order.ref)}
    return facts, statuses


def _plain(answered: list[tuple[Order, CarrierOrder]], facts: dict[int, _Facts],
           statuses: dict[str, tuple]) -> set[int]:
    """The orders that take the batched path (see the module's docstring)."""
    seen: dict[str, int] = {}
    for order, answer in answered:
        for number in _named(facts[order.id or 0], answer):
            seen[number] = seen.get(number, 0) + 1
    plain = set()
    for order, answer in answered:
        held = facts[order.id or 0]
        if (order.kind == "purchase" and order.status in PENDING_ORDER_STATUSES and answer.id and answer.final
                and all(seen[n] == 1 for n in _named(held, answer)) and _clean(order, answer, held, statuses)):
            plain.add(order.id or 0)
    return plain


def _named(held: _Facts, answer: CarrierOrder) -> set[str]:
    return ({n for n in held.items if n} | {n.number for n in answer.completed if n.number}
            | {f.number for f in answer.failed if f.number})


def _clean(order: Order, answer: CarrierOrder, held: _Facts, statuses: dict[str, tuple]) -> bool:
    """No conflict to screen out, and every pending number completed (nothing to forget)."""
    done = [n.number for n in answer.completed if n.number]
    asked = {n for n in held.items if n}
    if asked and not asked.issuperset(done):
        return False
    if not asked and len(done) > max(order.quantity or 0, 0):
        return False
    for number in done:  # held elsewhere: stored, not disconnected, and not this order's own pending number
        status = statuses.get(number)
        if status is not None and status[0] != "disconnected" and status != ("pending", order.ref):
            return False
    return held.pending.issubset(done)


def _purchase(s: Session, order: Order, answer: CarrierOrder, held: _Facts, statuses: dict[str, tuple],
              writes: _Writes, actor: str, now) -> None:
    """`apply_answer` on a finished purchase with none of the rarer steps, its rows gathered in `writes`."""
    ref = order.ref or ""
    done = [n for n in answer.completed if n.number]
    target, event, note, customer, line = orders._landing(s, order)
    _add(s, [n for n in done if n.number not in held.pending or orders._has_details(n)], statuses, writes, now,
         base={"status": target, "inventory_type": order.inventory_type, "carrier": order.carrier,
               "account": order.account, "customer": customer, "line": line, "order_ref": ref, "updated_at": now},
         event=(ref, actor, event, note))
    stamp = driver_value(s, lifecycle.EVENTS.c.at, now)
    for n in done:
        if n.number in held.pending and not orders._has_details(n):
            writes.moves.append({"key": n.number, "to_status": target, "to_customer": customer, "to_line": line})
            writes.events.append(lifecycle._event(n.number, "pending", target, ref, actor, stamp, event, note))
    error = orders._error_text(answer)
    numbers = {n.number for n in done}
    named = {f.number for f in answer.failed}
    unnamed = set(held.items) - numbers - named  # every pending one is done: only items left elsewhere
    answer.failed += [FailedNumber(n, None, error or "not completed by the carrier") for n in sorted(unnamed)]
    _items(order, held.items, done, answer, writes)
    order.status = answer.status
    if answer.status == "complete" and unnamed:
        order.status = "partial" if done else "failed"
    order.error = orders._noted(error, answer)
    orders._shortfall(order, len(done))
    order.carrier_order_id = answer.id or order.carrier_order_id
    order.raw = answer.raw
    order.updated_at = now
    order.poll_lease_until, order.poller = None, None
    s.add(order)


def _add(s: Session, numbers: Iterable[AvailableNumber], statuses: dict[str, tuple], writes: _Writes, now,
         *, base: dict, event: tuple) -> None:
    """`lifecycle.add`'s rows: new numbers inserted, known ones updated, an event each."""
    given = {n.number: n for n in numbers}
    if not given:
        return
    stamp = driver_value(s, NUMBERS.c.created_at, now)
    for number, n in given.items():
        details = lifecycle._details(n)
        if number in statuses:
            writes.known_numbers.append(base | details | {"key": number})
        else:
            writes.fresh_numbers.append(base | details | {"number": number, "created_at": stamp, "updated_at": stamp})
    ref, actor, name, note = event
    writes.events += [lifecycle._event(k, statuses[k][0] if k in statuses else None, base["status"], ref, actor,
                                       stamp, name, note) for k in given]


def _items(order: Order, items: dict[str, int], done: list[AvailableNumber], answer: CarrierOrder,
           writes: _Writes) -> None:
    """`orders._record_items`' rows."""
    outcome = {n.number: ("complete", None, None) for n in done}
    outcome |= {f.number: ("failed", f.code, f.reason) for f in answer.failed}
    for n, (st, c, r) in outcome.items():
        if n in items:
            writes.item_updates.append({"item": items[n], "status": st, "code": c, "reason": r})
        elif n or st == "failed":
            writes.item_inserts.append({"order_id": order.id, "number": n, "status": st, "code": c, "reason": r})


def _write(s: Session, writes: _Writes, now) -> None:
    bulk_insert(s, NUMBERS, writes.fresh_numbers)
    if writes.known_numbers:
        s.execute(NUMBERS.update().where(NUMBERS.c.number == bindparam("key")), writes.known_numbers)
    if writes.moves:
        s.execute(NUMBERS.update().where(NUMBERS.c.number == bindparam("key"), NUMBERS.c.status == "pending")
                  .values(status=bindparam("to_status"), customer=bindparam("to_customer"),
                          line=bindparam("to_line"), updated_at=now), writes.moves)
    bulk_insert(s, lifecycle.EVENTS, writes.events)
    if writes.item_updates:
        s.execute(ITEMS.update().where(ITEMS.c.id == bindparam("item")), writes.item_updates)
    if writes.item_inserts:
        s.execute(insert(ITEMS), writes.item_inserts)
