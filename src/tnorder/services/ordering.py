"""Purchase orders: lookup-and-select, lookup-and-order, and ordering numbers already known.

Every order goes through `placing.submit` (write ahead, send, record).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from tnorder import interrupts, testhooks
from tnorder.carriers.base import AvailableNumber, CarrierOrder, Reservation
from tnorder.clock import utcnow
from tnorder.criteria import Criteria, check_quantity
from tnorder.errors import BadInput, NothingToOrder, OutcomeUnknown, TnorderError
from tnorder.models import Number, Order
from tnorder.services import leases, lifecycle, placing, reservations
from tnorder.testhooks import pause

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlmodel import Session

    from tnorder.carriers.base import Carrier
    from tnorder.services.context import Context

KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 \-]{0,39}")
EXTEND_EVERY = 30.0  # seconds between looks at the holds' expiries while the operator chooses
EXTEND_MARGIN = timedelta(minutes=5)


def extend_margin(life: timedelta) -> timedelta:
    """How close to its expiry a hold is extended. Late, so that the holds of a selection the
    operator walked away from lapse soon after (an extend adds a whole hold: Telnyx, 30 minutes),
    yet minutes ahead, so a failed or slow extend is tried again at the next ticks before the hold
    lapses. A third of the hold's life when that is shorter: a short hold is not extended on every
    tick from the moment it is granted."""
    return min(EXTEND_MARGIN, life / 3)


def check_key(key: str | None) -> str | None:
    """Keys travel as the carrier's client reference (Bandwidth: CustomerOrderId, ≤40, [A-Za-z0-9 -]).

    Carriers strip the text of an XML element, so a key is stripped here too: the key tnorder
    stores is the key the carrier finds.
    """
    if key is None:
        return None
    key = key.strip()
    if not KEY_PATTERN.fullmatch(key):
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


def check_not_held(ctx: Context, numbers: list[str]) -> None:
    """Numbers already in inventory (not disconnected) cannot be ordered again: checked up front for
    a clear early answer, and again under the write lock by `_not_held` (two processes may race)."""
    if not numbers:
        return
    with ctx.store.session() as s:
        _not_held(numbers)(s, None)


def _not_held(numbers: list[str]) -> placing.Step:
    def guard(s: Session, _order: Order | None) -> None:
        row = s.execute(select(Number.number, Number.inventory_type, Number.status, Number.order_ref).where(
            Number.number.in_(numbers), Number.status != "disconnected")).first() if numbers else None
        if row:
            being = f", ordered by {row[3]}" if row[2] == "pending" and row[3] else ""
            raise BadInput(f"{row[0]} is already in inventory type {row[1]!r} ({row[2]}{being})")

    return guard


def _line_still_there(p: Plan) -> placing.Step:
    """The customer and line the plan checked, again under the lock: a removal waits for this order."""
    def guard(s: Session, _order: Order | None) -> None:
        from tnorder.services.customers import line_row

        try:
            line_row(s.connection(), p.customer or "", p.line or "")
        except BadInput as exc:
            raise BadInput(f"{exc} (it changed meanwhile; nothing was sent)") from None

    return guard


def _guard(p: Plan, numbers: list[str]) -> placing.Step:
    not_held = _not_held(numbers)
    on_line = _line_still_there(p) if p.customer is not None or p.line is not None else None

    def guard(s: Session, order: Order | None) -> None:
        if on_line is not None:
            on_line(s, order)
        not_held(s, order)

    return guard


def existing(ctx: Context, p: Plan, method: str, numbers: list[str] | None = None) -> Order | None:
    """The order already placed under this key for this same request; another request is refused."""
    return placing.placed_for(ctx, _row(ctx, p, method), numbers or [])


def order_numbers(ctx: Context, p: Plan, guard: placing.Step | None = None, *, looked_up: bool = False) -> Order:
    """Order numbers already known (`--numbers`), e.g. from an earlier lookup.

    `guard`: the caller's own check, run under the write lock when (and only when) this call writes
    the order (a batch's retry checks there that the order it replaces still bought nothing).
    `looked_up`: the caller has just looked the key up (a batch, when it read its file); the
    write-ahead looks again under the write lock either way, and returns what the key placed."""
    found = None if looked_up else existing(ctx, p, "numbers", p.numbers)
    if found:
        return found
    chosen = [AvailableNumber(n) for n in p.numbers]
    return submit(ctx, p, "numbers", chosen, lambda c: c.order(p.numbers, p.key), guard)


def lookup_and_order(ctx: Context, p: Plan, guard: placing.Step | None = None, *, looked_up: bool = False) -> Order:
    """Search and order whatever comes back; one request where the carrier can do both (`guard`,
    `looked_up`: as `order_numbers`)."""
    found = None if looked_up else existing(ctx, p, "lookup-and-order")
    if found:
        return found
    assert p.criteria is not None and p.quantity is not None
    if p.carrier.capabilities.search_and_order:
        return submit(ctx, p, "lookup-and-order", None,
                      lambda c: c.search_and_order(p.criteria, p.quantity, p.key), guard)
    results = p.carrier.search(p.criteria, p.quantity)
    if not results:
        raise NothingToOrder(p.carrier.name, "no numbers matched: nothing was ordered", "none-found")
    numbers = [r.number for r in results]
    return submit(ctx, p, "lookup-and-order", results, lambda c: c.order(numbers, p.key), guard)


class Selection:
    """Lookup-and-select: results are held at the carrier while the operator chooses.

    Used as a context manager. Each reservation is written ahead in the store before its request
    leaves and updated when the carrier grants it, under this process's lease (renewed while the
    operator chooses). On exit every reservation not ordered is released, also when the operator
    aborts (a signal) or the order is refused; one the carrier will not release stays recorded, and
    `orders poll` retries it. A carrier that cannot release a hold (`capabilities.releases` False)
    is never asked to: each hold not ordered is kept as lapsing, and said with its expiry
    (`lapsing`). Where holds can be extended, one about to lapse is extended while the operator is
    still choosing (`extend_due`, every EXTEND_EVERY seconds in a thread, as the lease is renewed).
    Found numbers the carrier refused to hold are not offered, and said (`refused`).

    The plugin's calls are made one at a time (`_calls`): a plugin (its httpx client, its token,
    its rate-limit state) is not promised to be safe to call from two threads at once.
    """

    def __init__(self, ctx: Context, p: Plan, notify: Callable[[str], None] | None = None) -> None:
        self.ctx, self.plan = ctx, p
        self.notify = notify or (lambda _text: None)  # what the operator should hear while choosing
        self.results: list[AvailableNumber] = []
        self.reservations: dict[str, Reservation] = {}  # number -> its hold, `expires_at` always set
        self.ordered: set[str] = set()
        self.not_released: list[tuple[str, str]] = []  # number, why
        self.refused: list[str] = []  # found, but the carrier would not hold it (taken since the lookup)
        self.lapsing: list[tuple[str, datetime]] = []  # not ordered, held until then: it cannot be released
        self.released: list[str] = []  # not ordered, and released at the carrier
        self._asking: int | None = None  # the row of the reservation whose request is in flight
        self._lease = leases.Renewer(self._renew)
        self._calls = threading.Lock()
        self._since: dict[str, datetime] = {}  # number -> when its hold was granted or last extended
        self._extender: leases.Renewer | None = None
        self._extend_said: set[str] = set()  # numbers whose failed extend was said (once each)

    @property
    def releases(self) -> bool:
        return self.plan.carrier.capabilities.releases

    def held_until(self) -> datetime | None:
        """When the first of the holds lapses (None: nothing is held)."""
        return min((r.expires_at for r in self.reservations.values() if r.expires_at), default=None)

    def __enter__(self) -> Selection:
        p = self.plan
        assert p.criteria is not None and p.quantity is not None
        found = p.carrier.search(p.criteria, p.quantity)
        self._lease.__enter__()
        try:
            if p.carrier.capabilities.reserve and found:
                self._reserve(found)
                self.refused = [n.number for n in found if n.number not in self.reservations]
                found = [n for n in found if n.number in self.reservations]
        except BaseException:
            self.__exit__()
            raise
        self.results = found
        if p.carrier.capabilities.extends and self.reservations:
            self._extender = leases.Renewer(self._extend_tick, EXTEND_EVERY).__enter__()
        return self

    def _reserve(self, found: list[AvailableNumber]) -> None:
        """One number at a time, each written ahead before its request leaves and recorded before
        the next: a kill, a lost answer or a failure part way leaves every reservation granted so
        far known (by id, or by the row written ahead), so it is released."""
        for n in found:
            with interrupts.shield():
                self._reserve_one(n.number)

    def _reserve_one(self, number: str) -> None:
        p = self.plan
        row = self._asking = reservations.ask(self.ctx, p.carrier, p.account, number)
        try:
            testhooks.pause("reserve-before-send")
            try:
                held = p.carrier.reserve([number])
            except TnorderError as exc:
                if reservations.refused(self.ctx, row, p.carrier, p.account, number, exc):
                    self.not_released.append((number, "its answer was lost: it may have been granted"))
                raise
            testhooks.pause("reserve-before-record")
            held = [replace(r, expires_at=reservations.expiry(p.carrier, r)) for r in held]
            reservations.granted(self.ctx, row, p.carrier, p.account, held)
        finally:
            self._asking = None
        self.reservations.update({r.number: r for r in held})
        self._since.update(dict.fromkeys((r.number for r in held), utcnow()))
        testhooks.pause("reserve-after-grant")

    def _renew(self) -> None:
        reservations.renew(self.ctx, self.plan.account, list(self.reservations.values()), self._asking)

    def _extend_tick(self) -> None:
        with self._calls:
            self.extend_due()

    def extend_due(self, now: datetime | None = None) -> list[str]:
        """Extend each hold not ordered that would lapse within its margin (`extend_margin`); returns
        the numbers extended. Each new expiry is recorded in the store; an extend that fails is said
        once (the hold keeps its expiry, and is tried again at the next tick while it lasts)."""
        now = now or utcnow()
        due = [r for number, r in list(self.reservations.items()) if number not in self.ordered
               and self._due(number, r, now)]
        done: list[Reservation] = []
        failed: list[tuple[Reservation, str]] = []
        for reservation in due:
            try:
                [new] = self.plan.carrier.extend([reservation])
            except TnorderError as exc:
                failed.append((reservation, str(exc)))
                continue
            done.append(replace(new, expires_at=reservations.expiry(self.plan.carrier, new)))
        self._extended(done, now)
        self._say_failed(failed)
        return [r.number for r in done]

    def _due(self, number: str, reservation: Reservation, now: datetime) -> bool:
        expires = reservation.expires_at
        assert expires is not None
        left = expires - now
        return timedelta(0) < left <= extend_margin(expires - self._since.get(number, now))

    def _extended(self, done: list[Reservation], now: datetime) -> None:
        if not done:
            return
        _noted(reservations.extended, self.ctx, self.plan.account, done)  # not recorded: the old expiry stays
        for r in done:
            self.reservations[r.number], self._since[r.number] = r, now
        until = min(r.expires_at for r in done if r.expires_at)
        self.notify(f"extended the hold on {len(done)} number(s) at {self.plan.carrier.name} until "
                    f"{until:%H:%M} UTC")

    def _say_failed(self, failed: list[tuple[Reservation, str]]) -> None:
        unsaid = [(r, why) for r, why in failed if r.number not in self._extend_said]
        if not unsaid:
            return
        self._extend_said.update(r.number for r, _ in unsaid)
        until = min(r.expires_at for r, _ in unsaid if r.expires_at)
        self.notify(f"could not extend the hold on {', '.join(r.number for r, _ in unsaid)} ({unsaid[0][1]}); "
                    f"it lapses at {until:%H:%M} UTC unless ordered before")

    def _stop_extending(self) -> None:
        """Choosing is over: no hold is extended after this."""
        if self._extender is not None:
            self._extender.__exit__()
            self._extender = None

    def order(self, chosen: list[AvailableNumber]) -> Order:
        p = self.plan
        self._stop_extending()
        numbers = [n.number for n in chosen]
        check_not_held(self.ctx, numbers)
        held = [self.reservations[n] for n in numbers if n in self.reservations]
        try:
            with self._calls:
                order = submit(self.ctx, p, "lookup-and-select", chosen,
                               lambda c: c.order(numbers, p.key, held or None))
        except OutcomeUnknown:
            self.ordered.update(numbers)  # the order may be using them: `orders poll` releases them later
            reservations.expire(self.ctx, p.account, held, "its order's outcome is not known yet")
            raise
        self.ordered.update(numbers)  # refused orders raise above: their reservations are released below
        reservations.drop(self.ctx, p.account, held)
        return order

    def release_rest(self) -> list[str]:
        """Release every reservation not ordered, each tried even when another fails; one its carrier
        cannot release is kept to lapse (`lapsing`), and the carrier is not asked."""
        released = []
        for number, reservation in list(self.reservations.items()):
            if number in self.ordered:
                continue
            with interrupts.shield(), self._calls:
                if not self.releases:
                    self._lapse(reservation)
                elif self._release(reservation):
                    released.append(number)
                del self.reservations[number]
        self.released += released
        return released

    def _release(self, reservation: Reservation) -> bool:
        p = self.plan
        try:
            p.carrier.release([reservation])
        except TnorderError as exc:
            self.not_released.append((reservation.number, str(exc)))
            _noted(reservations.expire, self.ctx, p.account, [reservation], str(exc))
            return False
        _noted(reservations.drop, self.ctx, p.account, [reservation])
        return True

    def _lapse(self, reservation: Reservation) -> None:
        """Kept in the store until its expiry, and said; one already lapsed is simply forgotten."""
        expires = reservation.expires_at
        if expires is None or expires <= utcnow():
            _noted(reservations.drop, self.ctx, self.plan.account, [reservation])
            return
        _noted(reservations.lapse, self.ctx, self.plan.account, [reservation])
        self.lapsing.append((reservation.number, expires))

    def __exit__(self, *exc: object) -> None:
        try:
            self._stop_extending()
            self.release_rest()
        finally:
            self._lease.__exit__()


def _noted(change: Callable[..., None], *args: object) -> None:
    """A store that cannot note a release (locked, full) leaves the row as it was: `orders poll`
    releases it again (a second release of one id is harmless) and drops it."""
    from sqlalchemy.exc import DBAPIError

    try:
        change(*args)
    except (DBAPIError, TnorderError):  # e.g. a busy store
        return


def submit(ctx: Context, p: Plan, method: str, chosen: list[AvailableNumber] | None,
           send: Callable[[Carrier], CarrierOrder], guard: placing.Step | None = None) -> Order:
    """A purchase through the shared write-ahead path: chosen numbers wait as `pending`."""
    numbers = [n.number for n in chosen or []]
    pause("order-decided")
    return placing.submit(ctx, _row(ctx, p, method), numbers,
                          send=lambda: send(p.carrier), prepare=_pending(ctx, p, chosen),
                          undo=lambda s, order: _forget(ctx, s, order, chosen),
                          guard=_both(_guard(p, numbers), guard))


def _both(first: placing.Step, then: placing.Step | None) -> placing.Step:
    if then is None:
        return first

    def guard(s: Session, order: Order) -> None:
        first(s, order)
        then(s, order)

    return guard


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
