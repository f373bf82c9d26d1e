"""Following orders: applying a carrier's answer, polling pending orders, listing them.

Only an explicit final status from the carrier moves an order; a number becomes available (or
assigned) only once the carrier says it is done.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, insert, select
from sqlmodel import Session

from tnorder import interrupts
from tnorder.carriers.base import AvailableNumber, CarrierOrder, FailedNumber
from tnorder.errors import BadInput, TnorderError
from tnorder.models import PENDING_ORDER_STATUSES, Number, Order, OrderItem, utcnow
from tnorder.services import lifecycle, screening
from tnorder.testhooks import pause

if TYPE_CHECKING:
    from tnorder.services.context import Context
    from tnorder.services.reservations import Released

# a write-ahead row younger than this may belong to an order still being sent by another process
SUBMIT_GRACE = timedelta(minutes=2)
RECHECK = timedelta(days=1)  # how long an order concluded "never reached" is still asked about by key
POLL_LEASE = timedelta(minutes=2)  # a poller's claim on the orders it is asking about
POLL_WORKERS = 64  # concurrent status reads at most: bounded; a 429 (the carrier's rate limit) is waited out
APPLY_BATCH = 100  # answers a write transaction applies (services/bulk_apply.py: a few statements for them all)


def apply_answer(s: Session, order: Order, answer: CarrierOrder, actor: str) -> bool:
    """Record what the carrier said about `order`; returns whether its status changed.

    An order concluded locally ("never reached the carrier") that the carrier turns out to hold is
    reopened and the answer applied: numbers paid for are never dropped.
    """
    before = order.status
    if order.status not in PENDING_ORDER_STATUSES:
        if order.recheck_until is None:
            return False  # another poll applied it first
        if not answer.id:  # a conclusion from the numbers themselves: only a disconnect has those
            return order.kind == "disconnect" and _reopen_disconnect(s, order, answer, actor)
        order.error = f"reopened: the carrier holds it after all (it had been concluded: {order.error})"
        order.recheck_until = None
    order.carrier_order_id = answer.id or order.carrier_order_id
    order.raw = answer.raw
    order.updated_at = utcnow()
    if not answer.id and (None, NEVER_REACHED) in answer.errors:
        order.recheck_until = utcnow() + RECHECK  # asked by key again for a while: a stalled sender may yet send
    if not answer.final:
        order.status = "pending"
        order.error = answer.note or order.error  # e.g. a carrier status tnorder does not know: shown, never done
    elif order.kind == "disconnect":
        _finish_disconnect(s, order, answer, actor)
        if not answer.id and order.status in ("failed", "partial"):
            # concluded from the in-service list, not by a carrier order: the carrier may still be
            # working on it, so the numbers are asked about again for a while, as orders are by key
            order.recheck_until = utcnow() + RECHECK
    else:
        _finish_purchase(s, order, answer, actor)
    order.poll_lease_until, order.poller = None, None
    s.add(order)
    return order.status != before


ITEMS = OrderItem.__table__
ORDERS = Order.__table__


def _finish_purchase(s: Session, order: Order, answer: CarrierOrder, actor: str) -> None:
    ref = order.ref or ""
    items, pending = _items_and_pending(s, order)
    done = [n for n in answer.completed if n.number]
    done, conflicts = screening.screen(s, order, {n for n in items if n}, done)
    target, event, note, customer, line = _landing(s, order)
    lifecycle.add(s, [n for n in done if n.number not in pending or _has_details(n)],
                  status=target, inventory_type=order.inventory_type, carrier=order.carrier,
                  account=order.account, ref=ref, actor=actor, customer=customer,
                  line=line, event=event, note=note)
    lifecycle.move(s, [n.number for n in done if n.number in pending and not _has_details(n)],
                   target, expect="pending", ref=ref, actor=actor, event=event, note=note, customer=customer,
                   line=line)
    error = _error_text(answer)
    # a number the carrier did not complete is failed, named by the carrier or not
    named = {f.number for f in answer.failed}
    unnamed = (set(items) | pending) - {n.number for n in done} - named
    answer.failed += [FailedNumber(n, None, error or "not completed by the carrier") for n in sorted(unnamed)]
    _record_items(s, order, items, done, answer)
    lifecycle.forget_pending(s, sorted(pending - {n.number for n in done}), ref, actor,
                             "carrier failed this number")
    order.status = answer.status
    if answer.status == "complete" and unnamed:  # "complete" yet numbers missing: say so
        order.status = "partial" if done else "failed"
    order.error = _noted(error, answer)
    _shortfall(order, len(done))
    screening.record(s, order, conflicts)


def _landing(s: Session, order: Order) -> tuple[str, str, str, str | None, str | None]:
    """(status, event, note, customer, line) for the numbers the carrier completed.

    Ordered from a customer's line: assigned to it. A line removed while its order was out (a store
    from before removal was refused for that) no longer takes them: they land available, noted.
    """
    from tnorder.services.customers import line_exists

    note = "carrier completed the order"
    if not order.line:
        return "available", "completed", note, None, None
    where = f"{order.customer} line {order.line}"
    if not line_exists(s.connection(), order.customer, order.line):
        return "available", "completed", f"{note}; customer {where} no longer exists: left available", None, None
    return "assigned", "assigned", f"{note}; assigned to {where}", order.customer, order.line


def _shortfall(order: Order, completed: int) -> None:
    """Lookup-and-order asked for a quantity: fewer completed is a shortfall, whatever the carrier's
    status said (Bandwidth may call a search-and-order that filled 3 of 5 COMPLETE)."""
    asked = order.quantity or 0
    if order.method != "lookup-and-order" or completed >= asked or order.status not in ("complete", "partial"):
        return
    order.status = "partial" if completed else "failed"
    short = f"asked {asked}, completed {completed}"
    order.error = f"{short}; {order.error}" if order.error and short not in order.error else order.error or short


def _noted(error: str | None, answer: CarrierOrder) -> str | None:
    return "; ".join(part for part in (error, answer.note) if part) or None


def _has_details(n: AvailableNumber) -> bool:
    return any(getattr(n, f) for f in lifecycle.DETAIL_FIELDS)


def _item_ids(s: Session, order: Order) -> dict[str, int]:
    return dict(s.execute(select(ITEMS.c.number, ITEMS.c.id).where(ITEMS.c.order_id == order.id)).all())


def _items_and_pending(s: Session, order: Order) -> tuple[dict[str, int], set[str]]:
    """The order's items (number -> id) and which of them are still pending numbers, in one query.

    Pending numbers exist only for items: the write-ahead writes both together.
    """
    numbers = Number.__table__
    joined = ITEMS.outerjoin(numbers, (numbers.c.number == ITEMS.c.number) & (numbers.c.order_ref == order.ref)
                             & (numbers.c.status == "pending"))
    rows = s.execute(select(ITEMS.c.number, ITEMS.c.id, numbers.c.id).select_from(joined)
                     .where(ITEMS.c.order_id == order.id)).all()
    return {number: item for number, item, _ in rows}, {number for number, _, held in rows if held is not None}


def _record_items(s: Session, order: Order, items: dict[str, int],
                  done: list[AvailableNumber], answer: CarrierOrder) -> None:
    """Each number's outcome on the order, in two batched statements."""
    outcome = {n.number: ("complete", None, None) for n in done}
    outcome |= {f.number: ("failed", f.code, f.reason) for f in answer.failed}
    known = [{"item": items[n], "status": st, "code": c, "reason": r} for n, (st, c, r) in outcome.items()
             if n in items]
    fresh = [{"order_id": order.id, "number": n, "status": st, "code": c, "reason": r}
             for n, (st, c, r) in outcome.items() if n not in items and (n or st == "failed")]
    if known:
        s.execute(ITEMS.update().where(ITEMS.c.id == bindparam("item")), known)
    if fresh:
        s.execute(insert(ITEMS), fresh)


def _finish_disconnect(s: Session, order: Order, answer: CarrierOrder, actor: str) -> None:
    ref = order.ref or ""
    items = _item_ids(s, order)
    gone, conflicts = screening.screen_disconnect(set(items), {n.number for n in answer.completed})
    lifecycle.disconnected(s, sorted(gone), ref=ref, actor=actor)
    error = _error_text(answer)
    # a number the carrier did not disconnect stays in use, named by the carrier or not
    unnamed = set(items) - gone - {f.number for f in answer.failed}
    answer.failed += [FailedNumber(n, None, error or "not disconnected by the carrier") for n in sorted(unnamed)]
    lifecycle.back_in_use(s, [f.number for f in answer.failed], ref=ref, actor=actor, note="disconnect failed")
    _record_items(s, order, items, answer.completed, answer)
    order.status = answer.status
    if answer.status == "complete" and unnamed:
        order.status = "partial" if gone else "failed"
    order.error = _noted(error, answer)
    screening.record(s, order, conflicts)


def _reopen_disconnect(s: Session, order: Order, answer: CarrierOrder, actor: str) -> bool:
    """A disconnect concluded "never took effect" whose numbers the carrier has since taken out of
    service: those still in use here (put back by that conclusion) become disconnected after all.
    Decided under the write lock, on the numbers as they are now; returns whether any moved."""
    gone = _restorable(s, order, {n.number for n in answer.completed})
    if not gone:
        return False
    ref = order.ref or ""
    gone = lifecycle.move(s, gone, "disconnected", expect=("available", "assigned"), ref=ref, actor=actor,
                          event="disconnected", customer=None, line=None,
                          note="carrier disconnected the number after all (the disconnect had been concluded as "
                               "not taken effect)")
    s.execute(ITEMS.update().where(ITEMS.c.order_id == order.id, ITEMS.c.number.in_(gone))
              .values(status="complete", code=None, reason=None))
    left = s.execute(select(func.count()).select_from(ITEMS).where(
        ITEMS.c.order_id == order.id, ITEMS.c.status == "failed")).scalar_one()
    order.status = "partial" if left else "complete"
    order.error = (f"reopened: the carrier disconnected {len(gone)} number(s) after all "
                   f"(it had been concluded: {order.error})")[:2000]
    order.recheck_until = order.recheck_until if left else None
    order.raw, order.updated_at = answer.raw, utcnow()
    order.poll_lease_until, order.poller = None, None
    s.add(order)
    return True


def _restorable(s: Session, order: Order, gone: set[str]) -> list[str]:
    """Of `gone`, the numbers this disconnect failed that are still in use here (not taken since
    by another disconnect, or disconnected already)."""
    if not gone:
        return []
    numbers = Number.__table__
    query = (select(ITEMS.c.number).join(numbers, numbers.c.number == ITEMS.c.number)
             .where(ITEMS.c.order_id == order.id, ITEMS.c.status == "failed", ITEMS.c.number.in_(sorted(gone)),
                    numbers.c.status.in_(("available", "assigned"))).order_by(ITEMS.c.number))
    return list(s.execute(query).scalars())


def _error_text(answer: CarrierOrder) -> str | None:
    return "; ".join(f"{code} {text}" if code else text for code, text in answer.errors) or None


@dataclass
class PollResult:
    changed: list[tuple[Order, str]] = field(default_factory=list)  # order, previous status
    errors: list[tuple[Order, TnorderError]] = field(default_factory=list)  # about pending orders
    # account -> refs of orders on an account no longer in the config (an older tnorder let it be
    # removed): a warning each poll, not a failure, since no poll can change it
    unconfigured: dict[str, list[str]] = field(default_factory=dict)
    pending: int = 0
    released: Released | None = None  # reservations left behind by earlier runs, released now
    # rechecks of concluded orders that could not be made, by carrier account: (how many, first error);
    # warnings only, since nothing is pending on them
    unrechecked: dict[str, tuple[int, TnorderError]] = field(default_factory=dict)
    others: dict[str, int] = field(default_factory=dict)  # pending orders other live pollers hold, by holder

    def failed(self, order: Order, error: TnorderError) -> None:
        if order.status in PENDING_ORDER_STATUSES:
            self.errors.append((order, error))
            return
        count, first = self.unrechecked.get(order.account, (0, error))
        self.unrechecked[order.account] = (count + 1, first)


def pending_orders(ctx: Context, refs: list[str] | None = None) -> list[Order]:
    with ctx.store.session() as s:
        query = select(Order).where(Order.status.in_(PENDING_ORDER_STATUSES)).order_by(Order.id)
        if refs:
            query = query.where(Order.ref.in_(refs))
        return list(s.execute(query).scalars())


def _count_pending(ctx: Context, refs: list[str] | None) -> int:
    query = select(func.count()).select_from(Order).where(Order.status.in_(PENDING_ORDER_STATUSES))
    if refs:
        query = query.where(Order.ref.in_(refs))
    with ctx.store.session() as s:
        return s.execute(query).scalar_one()


NEVER_REACHED = "the order never reached the carrier"


def never_reached() -> CarrierOrder:
    """tnorder's own conclusion, a new answer each time (applying an answer adds to its lists)."""
    return CarrierOrder(id="", status="failed", errors=[(None, NEVER_REACHED)])


def _ask(ctx: Context, order: Order) -> CarrierOrder | None:
    """The carrier's current answer for one order (recovering lost ids by key)."""
    carrier = ctx.carrier(order.account)
    disconnect = order.kind == "disconnect"
    if order.carrier_order_id and order.status in PENDING_ORDER_STATUSES:
        status = carrier.disconnect_status if disconnect else carrier.order_status
        return status(order.carrier_order_id)
    if disconnect:
        found = carrier.recover_disconnect(order.key, _numbers(ctx, order))
        if found is not None and not found.id and not found.completed and _sender_alive(order):
            return None  # "still in service" may only mean the disconnect is still on its way
    else:
        found = carrier.find_order(order.key)
    if order.status not in PENDING_ORDER_STATUSES:  # concluded locally: only the carrier's work reopens it
        return found if found is not None and (found.id or _gone_since(ctx, order, found)) else None
    if found is None and not _sender_alive(order):
        return never_reached()
    return found


def _gone_since(ctx: Context, order: Order, found: CarrierOrder) -> bool:
    """A concluded disconnect: has the carrier taken numbers it had kept out of service since?"""
    if order.kind != "disconnect":
        return False
    with ctx.store.session() as s:
        return bool(_restorable(s, order, {n.number for n in found.completed}))


def _sender_alive(order: Order) -> bool:
    """While its sender's lease lives, an order without a carrier id may still be on its way."""
    from tnorder.services import leases

    now = utcnow().replace(tzinfo=None)
    if order.lease_until is not None:
        return leases.alive(order.sender, _naive(order.lease_until), now)
    return now - _naive(order.created_at) <= SUBMIT_GRACE  # rows written before leases existed


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _numbers(ctx: Context, order: Order) -> list[str]:
    with ctx.store.session() as s:
        return list(s.execute(select(ITEMS.c.number).where(ITEMS.c.order_id == order.id)
                              .order_by(ITEMS.c.id)).scalars())


def claim(ctx: Context, refs: list[str] | None = None) -> tuple[list[Order], dict[str, int]]:
    """The orders this poller asks about: pending ones, and locally concluded ones still rechecked,
    that no other live poller holds (on PostgreSQL, rows another poller is claiming are skipped).

    A claim names its holder (host:pid, as a sender's lease does): one held by a process of this
    host that is gone (a poller killed with kill -9) is void at once, not when it expires.
    Returns the claimed orders, and how many pending ones other pollers hold, by holder.
    """
    from tnorder.services import leases

    now, me = utcnow(), leases.owner()
    others: dict[str, int] = {}
    with ctx.store.write() as s:
        query = select(Order).where(
            Order.status.in_(PENDING_ORDER_STATUSES) | (Order.recheck_until > now),
        ).order_by(Order.id).with_for_update(skip_locked=True)
        if refs:
            query = query.where(Order.ref.in_(refs))
        claimed = []
        for order in s.execute(query).scalars():
            if _held_by_other(order, now, me):
                if order.status in PENDING_ORDER_STATUSES:
                    holder = order.poller or "another poller"
                    others[holder] = others.get(holder, 0) + 1
                continue
            order.poll_lease_until, order.poller = now + POLL_LEASE, me
            claimed.append(order)
        return claimed, others


def _held_by_other(order: Order, now: datetime, me: str) -> bool:
    from tnorder.services import leases

    if order.poll_lease_until is None or order.poller == me:
        return False
    return leases.alive(order.poller, _naive(order.poll_lease_until), _naive(now))


def poll(ctx: Context, refs: list[str] | None = None) -> PollResult:
    """Ask the carriers about pending orders (concurrently, bounded) and apply what finished,
    a batch of orders per write transaction, as the answers arrive. An order whose account cannot
    be opened (removed, credentials missing) is reported; every other order is still applied.
    Rechecks of concluded orders that cannot be made are gathered per account (`unrechecked`)."""
    from tnorder.services import leases, reservations

    result = PollResult()
    result.released = reservations.release_stale(ctx)
    orders, result.others = claim(ctx, refs)
    pause("poll-claimed")
    if not orders:
        result.pending = _count_pending(ctx, refs)
        return result
    askable = []
    for order in orders:  # build carriers up front: plugin construction need not be thread-safe
        if order.account not in ctx.config.names("accounts"):
            result.unconfigured.setdefault(order.account, []).append(order.ref or "")
            continue
        try:
            ctx.carrier(order.account)
        except TnorderError as exc:
            result.failed(order, exc)
            continue
        askable.append(order)
    try:
        with leases.Renewer(lambda: _renew_claims(ctx, orders)):  # a long poll keeps what it claimed
            _ask_all(ctx, askable, result)
    finally:
        _unclaim(ctx, orders)
    result.changed.sort(key=lambda change: change[0].id or 0)
    result.errors.sort(key=lambda failure: failure[0].id or 0)
    result.pending = _count_pending(ctx, refs)
    return result


def _ask_all(ctx: Context, orders: list[Order], result: PollResult) -> None:
    if not orders:
        return
    with ThreadPoolExecutor(max_workers=min(POLL_WORKERS, len(orders))) as pool:
        with interrupts.main_thread_hears():  # the workers start as they are submitted
            asked = {pool.submit(_safe, partial(_ask, ctx, order)): order for order in orders}
        batch: list[tuple[Order, CarrierOrder | TnorderError | None]] = []
        for done in as_completed(asked):  # apply while the rest are still on the wire
            batch.append((asked[done], done.result()))
            if len(batch) == APPLY_BATCH:
                _apply(ctx, batch, result)
                batch = []
        _apply(ctx, batch, result)


def _mine(orders: list[Order]):
    from tnorder.services import leases

    return ORDERS.update().where(ORDERS.c.id.in_([o.id for o in orders]), ORDERS.c.poller == leases.owner())


def _unclaim(ctx: Context, orders: list[Order]) -> None:
    """Let go of this poller's claims (never of one another poller took after ours lapsed)."""
    with ctx.store.write() as s:
        s.execute(_mine(orders).values(poll_lease_until=None, poller=None))


def _renew_claims(ctx: Context, orders: list[Order]) -> None:
    with ctx.store.write() as s:
        s.execute(_mine(orders).values(poll_lease_until=utcnow() + POLL_LEASE))


def _safe(fn: Callable[[], CarrierOrder | None]) -> CarrierOrder | TnorderError | None:
    try:
        return fn()
    except TnorderError as exc:
        return exc


def _apply(ctx: Context, batch: list[tuple[Order, CarrierOrder | TnorderError | None]], result: PollResult) -> None:
    answered = [(order, answer) for order, answer in batch if isinstance(answer, CarrierOrder)]
    for order, answer in batch:
        if isinstance(answer, TnorderError):
            result.failed(order, answer)
    if not answered:
        return
    from tnorder.services.bulk_apply import apply_all

    with ctx.store.write() as s:
        current_rows = {o.id: o for o in s.execute(select(Order).where(
            Order.id.in_([order.id for order, _ in answered]))).scalars()}
        result.changed += apply_all(s, [(current_rows[order.id], answer) for order, answer in answered], ctx.actor)


def wait(ctx: Context, refs: list[str] | None, timeout: float,
         tick: Callable[[PollResult], None] | None = None,
         notice: Callable[[str], None] | None = None,
         sleep: Callable[[float], None] = time.sleep) -> PollResult:
    """Poll until nothing (of `refs`) is pending or `timeout` seconds pass; `notice` is told, once
    per change, that other pollers hold some of the pending orders (so the wait is for them).
    `sleep` spends the time between polls (a progress line redraws itself meanwhile)."""
    deadline = time.monotonic() + timeout
    total = PollResult()
    delay = 0.5
    told: dict[str, int] = {}
    while True:
        step = poll(ctx, refs)
        total.changed += step.changed
        total.errors, total.unrechecked, total.others = step.errors, step.unrechecked, step.others
        total.unconfigured = step.unconfigured
        total.pending = step.pending
        total.released = step.released  # the last run's: what is still held now
        if notice and step.others and set(step.others) != set(told):
            notice(waiting_for(step.others))
        told = step.others
        if tick:
            tick(total)
        if not step.pending or time.monotonic() + delay > deadline:
            return total
        sleep(delay)
        delay = min(delay * 1.5, 5.0)


def waiting_for(others: dict[str, int]) -> str:
    held = ", ".join(f"{count} by {holder}" for holder, count in sorted(others.items()))
    return (f"waiting for another poller: pending orders are being asked about by another process ({held}); "
            f"its claim ends when it finishes, exits, or at most {int(POLL_LEASE.total_seconds())} s after it "
            "stops renewing it")


def find(ctx: Context, ref: str) -> Order:
    from tnorder.services.order_reads import normalize_ref

    with ctx.store.session() as s:
        order = s.execute(select(Order).where(
            (Order.ref == (normalize_ref(ref) or ref.upper())) | (Order.key == ref))).scalars().first()
    if order is None:
        raise BadInput(f"no order {ref!r}")
    return order


def documents(ctx: Context, orders: list[Order]) -> list[dict]:
    """Orders as JSON-ready dicts, their items read in one query."""
    by_order: dict[int, list[OrderItem]] = {order.id or 0: [] for order in orders}
    with ctx.store.session() as s:
        for start in range(0, len(orders), 500):  # bounded IN lists
            ids = [order.id for order in orders[start:start + 500]]
            query = select(OrderItem).where(OrderItem.order_id.in_(ids)).order_by(OrderItem.id)
            for item in s.execute(query).scalars():
                by_order[item.order_id].append(item)
    return [as_dict(order, by_order[order.id or 0]) for order in orders]


def list_orders(ctx: Context, status: str | None = None, limit: int | None = None) -> list[Order]:
    with ctx.store.session() as s:
        query = select(Order).order_by(Order.id.desc())
        if status:
            query = query.where(Order.status == status)
        if limit:
            query = query.limit(limit)
        return list(s.execute(query).scalars())


def as_dict(order: Order, order_items: list[OrderItem]) -> dict:
    from tnorder.services.order_reads import ITEM_FIELDS, ORDER_FIELDS, document

    return document({f: getattr(order, f) for f in ORDER_FIELDS},
                    [{f: getattr(i, f) for f in ITEM_FIELDS} for i in order_items])
