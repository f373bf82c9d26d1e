"""Comparing an inventory type with what the carrier says is in service on its account.

The carrier's list is a picture of one moment, and the store goes on moving while it is read (and
while the operator reads the differences). So the store is read first (each number's status,
owner and last history event: the marker), then the carrier's list, and only numbers whose row is
still the one of the marker are compared: a number bought, assigned or disconnected meanwhile is
skipped, and the next reconcile compares it against a fresh list. In flight is skipped too: a
`pending` or `disconnecting` number, a number of an order or disconnect under way, and, while an
order whose numbers the carrier picks is under way, any number only the carrier has (it may be
that order's). `fix` compares again inside the write transaction that records the fix, and each
fix states the status it expects, so what is fixed is what was compared.

The carrier's list covers what the carrier account owns: Bandwidth lists per site, so accounts
on one Bandwidth account but different sites have lists of their own; accounts sharing one list
(one carrier account, one site) are compared together; an account without a site on a Bandwidth
account shared with others is refused, as its list would hold the others' numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Connection, and_, exists, func, or_, select

from tnorder import testhooks
from tnorder.carriers.base import AvailableNumber
from tnorder.errors import ConfigError
from tnorder.models import PENDING_ORDER_STATUSES, Number, NumberEvent, Order, OrderItem, utcnow
from tnorder.services import lifecycle

if TYPE_CHECKING:
    from tnorder.services.context import Context
    from tnorder.settings import Config

NUMBERS, EVENTS, ORDERS, ITEMS = Number.__table__, NumberEvent.__table__, Order.__table__, OrderItem.__table__
IN_USE = ("available", "assigned")
CHUNK = 500  # bounded IN lists
MOVED = "changed in tnorder since the carrier's list was read: compared next time"
UNDER_WAY = "an order or disconnect of it is under way: `orders poll` settles it"
MAY_BE_ORDERED = "an order whose numbers the carrier picks is under way: `orders poll` first"


@dataclass(frozen=True)
class Row:
    """What the marker keeps of a number: any change to it changes one of these (every change
    writes a history event)."""
    status: str
    inventory_type: str
    customer: str | None
    line: str | None
    order_ref: str | None
    last_event: int | None


@dataclass
class Comparison:
    inventory_type: str
    account: str
    carrier: str
    accounts: list[str] = field(default_factory=list)  # the tnorder accounts sharing the carrier's list
    carrier_only: list[str] = field(default_factory=list)  # in service at the carrier, unknown to tnorder
    tnorder_only: list[str] = field(default_factory=list)  # in use in tnorder, not held by the carrier
    mismatched: list[dict] = field(default_factory=list)  # both know it, their statuses disagree
    on_customer: list[dict] = field(default_factory=list)  # tnorder-only numbers on a customer's line
    skipped: list[dict] = field(default_factory=list)  # differ, but moved or in flight: left alone
    fixed: bool = False
    at_carrier: set[str] = field(default_factory=set, repr=False)  # the carrier's list, read once
    marker: dict[str, Row] = field(default_factory=dict, repr=False)  # the store before the list was read

    @property
    def agree(self) -> bool:
        return not (self.carrier_only or self.tnorder_only or self.mismatched)

    @property
    def settled(self) -> bool:
        """Fixed, and nothing left on a customer's line for want of --force."""
        return self.agree or (self.fixed and not self.on_customer)

    def as_dict(self) -> dict:
        return {"inventory_type": self.inventory_type, "account": self.account, "carrier": self.carrier,
                "accounts": self.accounts, "agree": self.agree, "carrier_only": self.carrier_only,
                "tnorder_only": self.tnorder_only, "status_mismatch": self.mismatched,
                "on_customer": self.on_customer, "skipped": self.skipped, "fixed": self.fixed}


def compare(ctx: Context, inventory_type: str | None) -> Comparison:
    """The marker, then the carrier's in-service list, then the store against both (the list is
    read once, and kept with the marker for `fix`)."""
    itype = ctx.inventory_type(inventory_type)
    accounts = sharing(ctx.config, itype.account)
    carrier = ctx.carrier(itype.account)
    with ctx.store.engine.connect() as conn:
        marker = _rows(conn, accounts)
    c = Comparison(itype.name, itype.account, carrier.name, accounts, at_carrier=set(carrier.in_service()),
                   marker=marker)
    with ctx.store.engine.connect() as conn:
        _diff(conn, c)
    return c


def fix(ctx: Context, c: Comparison, *, force: bool = False) -> Comparison:
    """Compare again under the write lock (against the marker) and fix what still differs; numbers
    on a customer's line are taken off it only with `force`."""
    testhooks.pause("reconcile-listed")
    with ctx.store.begin() as conn:
        _diff(conn, c)
        if not c.agree:
            _fix(conn, c, ctx.actor, force)
            c.fixed = True
    return c


# -- which tnorder accounts one carrier list covers ------------------------------------------
def sharing(config: Config, account: str) -> list[str]:
    """`account` and the accounts whose carrier list is the same one (compared together)."""
    from tnorder.carriers import carrier_class

    mine = config.account(account)
    scope = _scope(config, account)
    if scope is None:
        return [account]
    peers = [name for name in config.names("accounts") if name != account and _scope(config, name) == scope]
    if not peers or not carrier_class(config.carrier(mine.carrier).kind).lists_by_site:
        return [account, *peers]
    if not mine.site_id:
        raise ConfigError(f"carrier account {account!r} shares carrier account {mine.account_id} with "
                          f"{', '.join(map(repr, peers))} but names no site: its in-service list would hold "
                          "their numbers too; give it its site id")
    return [account, *(p for p in peers if config.account(p).site_id == mine.site_id)]


def _scope(config: Config, account: str) -> tuple | None:
    """The carrier account an account speaks for (None: it shares it with no one, as far as known)."""
    try:
        a = config.account(account)
        carrier = config.carrier(a.carrier)
    except ConfigError:
        return None  # a broken entry elsewhere is that entry's problem, not this comparison's
    if not a.account_id:
        return None
    return carrier.kind, carrier.url, str(carrier.options.get("environment", "")), a.account_id


# -- reading the store -----------------------------------------------------------------------
def _rows(conn: Connection, accounts: list[str]) -> dict[str, Row]:
    """The accounts' numbers with their last history event, in one statement (one snapshot); the
    last event is one seek in `ix_number_events_number (number, id)` per number."""
    n = NUMBERS.c
    last = select(func.max(EVENTS.c.id)).where(EVENTS.c.number == n.number).scalar_subquery()
    query = (select(n.number, n.status, n.inventory_type, n.customer, n.line, n.order_ref, last)
             .where(n.account.in_(accounts)))
    return {number: Row(*rest) for number, *rest in conn.execute(query).all()}


def _in_flight(conn: Connection, accounts: list[str]) -> tuple[set[str], bool]:
    """(numbers of orders and disconnects under way, whether an order the carrier fills is under way).

    An order concluded "never reached" but still asked about by key counts as under way.
    """
    o = ORDERS.c
    live = and_(o.account.in_(accounts), or_(o.status.in_(PENDING_ORDER_STATUSES), o.recheck_until > utcnow()))
    numbers = set(conn.execute(select(ITEMS.c.number).join(ORDERS, ITEMS.c.order_id == o.id)
                               .where(live)).scalars())
    unnamed = conn.execute(select(o.id).where(live, o.kind == "purchase",
                                              ~exists().where(ITEMS.c.order_id == o.id)).limit(1)).first()
    return numbers, unnamed is not None


def _held_elsewhere(conn: Connection, numbers: list[str], accounts: list[str]) -> dict[str, str]:
    """Numbers another carrier account holds in tnorder: never adopted from this list (one it gave
    up, `disconnected` there, is this account's now)."""
    n = NUMBERS.c
    found: dict[str, str] = {}
    for start in range(0, len(numbers), CHUNK):
        rows = conn.execute(select(n.number, n.account, n.status).where(
            n.number.in_(numbers[start:start + CHUNK]), n.account.not_in(accounts), n.status != "disconnected")).all()
        found |= {number: f"held in tnorder by carrier account {account!r} ({status}): left alone"
                  for number, account, status in rows}
    return found


# -- the comparison --------------------------------------------------------------------------
def _diff(conn: Connection, c: Comparison) -> None:
    """Fill `c` from the store as it is now; a difference is acted on only if its number is as the
    marker saw it and nothing is under way for it."""
    rows = _rows(conn, c.accounts)
    flight, unnamed = _in_flight(conn, c.accounts)
    at = c.at_carrier
    new = sorted(at - rows.keys())
    elsewhere = _held_elsewhere(conn, new, c.accounts)
    skipped: list[dict] = [{"number": k, "reason": why} for k, why in elsewhere.items()]

    def keep(number: str, found: bool) -> bool:
        why = (MOVED if rows.get(number) != c.marker.get(number) else UNDER_WAY if number in flight
               else MAY_BE_ORDERED if found and unnamed else None)
        if why:
            skipped.append({"number": number, "reason": why})
        return why is None

    c.carrier_only = [k for k in new if k not in elsewhere and keep(k, True)]
    c.mismatched = [{"number": k, "status": r.status, "carrier_status": "in service"}
                    for k, r in sorted(rows.items()) if r.status == "disconnected" and k in at and keep(k, True)]
    c.tnorder_only = [k for k, r in sorted(rows.items()) if r.inventory_type == c.inventory_type
                      and r.status in IN_USE and k not in at and keep(k, False)]
    c.on_customer = [{"number": k, "customer": rows[k].customer, "line": rows[k].line}
                     for k in c.tnorder_only if rows[k].status == "assigned"]
    c.skipped = sorted(skipped, key=lambda s: s["number"])


def _fix(conn: Connection, c: Comparison, actor: str, force: bool) -> None:
    """Each statement names the status it expects; a number found otherwise is left as it is."""
    fresh = _absent(conn, c.carrier_only)
    _adopt(conn, c, fresh, {}, actor)
    # disconnected here, or under another carrier account, and in service on this one
    again = _still(conn, [m["number"] for m in c.mismatched] + sorted(set(c.carrier_only) - set(fresh)),
                   "disconnected")
    _adopt(conn, c, again, dict.fromkeys(again, "disconnected"), actor)
    gone = _still(conn, c.tnorder_only, "available")
    if force:
        gone += _still(conn, c.tnorder_only, "assigned")
        c.on_customer = []
    lifecycle.move(conn, gone, "disconnected", expect=IN_USE, ref=None, actor=actor, event="reconciled",
                   note="reconciled: the carrier does not hold it", customer=None, line=None)


def _adopt(conn: Connection, c: Comparison, numbers: list[str], known: dict[str, str], actor: str) -> None:
    lifecycle.add(conn, [AvailableNumber(k) for k in numbers], status="available", known=known,
                  inventory_type=c.inventory_type, carrier=c.carrier, account=c.account, ref=None, actor=actor,
                  event="reconciled", note="reconciled: in service at the carrier")


def _still(conn: Connection, numbers: list[str], status: str) -> list[str]:
    """Those of `numbers` whose status is `status` now (under the write lock: until commit)."""
    n = NUMBERS.c
    found: list[str] = []
    for start in range(0, len(numbers), CHUNK):
        found += conn.execute(select(n.number).where(n.number.in_(numbers[start:start + CHUNK]),
                                                     n.status == status)).scalars()
    return sorted(found)


def _absent(conn: Connection, numbers: list[str]) -> list[str]:
    """Those of `numbers` the store does not hold at all."""
    n = NUMBERS.c
    held: set[str] = set()
    for start in range(0, len(numbers), CHUNK):
        held |= set(conn.execute(select(n.number).where(n.number.in_(numbers[start:start + CHUNK]))).scalars())
    return [k for k in numbers if k not in held]
