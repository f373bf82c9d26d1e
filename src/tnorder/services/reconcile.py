"""Comparing an inventory type with what the carrier says is in service on its account.

Numbers in flight (`pending`, `disconnecting`) are not disagreements: an order or a disconnect is
under way and `orders poll` settles it. The carrier's list is read first (it is the slow part); the
store side is read, and fixed, inside one write transaction, so what is fixed is what was compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Connection, column, select, table

from tnorder.services import lifecycle

if TYPE_CHECKING:
    from tnorder.services.context import Context

NUMBERS = table("numbers", column("number"), column("status"), column("inventory_type"), column("account"))
IN_USE = ("available", "assigned")


@dataclass
class Comparison:
    inventory_type: str
    account: str
    carrier: str
    carrier_only: list[str] = field(default_factory=list)  # in service at the carrier, unknown to tnorder
    tnorder_only: list[str] = field(default_factory=list)  # in use in tnorder, not held by the carrier
    mismatched: list[dict] = field(default_factory=list)  # both know it, their statuses disagree
    fixed: bool = False
    at_carrier: set[str] = field(default_factory=set, repr=False)  # the carrier's list, read once

    @property
    def agree(self) -> bool:
        return not (self.carrier_only or self.tnorder_only or self.mismatched)

    def as_dict(self) -> dict:
        return {"inventory_type": self.inventory_type, "account": self.account, "carrier": self.carrier,
                "agree": self.agree, "carrier_only": self.carrier_only, "tnorder_only": self.tnorder_only,
                "status_mismatch": self.mismatched, "fixed": self.fixed}


def _diff(conn: Connection, c: Comparison) -> None:
    """Fill `c` from the store's rows of the account (every inventory type of it)."""
    n = NUMBERS.c
    rows = conn.execute(select(n.number, n.status, n.inventory_type).where(n.account == c.account)).all()
    at_carrier = c.at_carrier
    c.carrier_only = sorted(at_carrier - {number for number, _, _ in rows})
    c.mismatched = [{"number": number, "status": status, "carrier_status": "in service"}
                    for number, status, _ in sorted(rows) if status == "disconnected" and number in at_carrier]
    c.tnorder_only = sorted(number for number, status, itype in rows
                            if itype == c.inventory_type and status in IN_USE and number not in at_carrier)


def compare(ctx: Context, inventory_type: str | None) -> Comparison:
    """The carrier's in-service list against the store (the list is read once, and kept for `fix`)."""
    itype = ctx.inventory_type(inventory_type)
    carrier = ctx.carrier(itype.account)
    c = Comparison(itype.name, itype.account, carrier.name, at_carrier=set(carrier.in_service()))
    with ctx.store.engine.connect() as conn:
        _diff(conn, c)
    return c


def fix(ctx: Context, c: Comparison) -> Comparison:
    """Compare again under the write lock (the store may have moved since) and fix what differs."""
    with ctx.store.begin() as conn:
        _diff(conn, c)
        if not c.agree:
            _fix(conn, c, ctx.actor)
            c.fixed = True
    return c


def _fix(conn: Connection, c: Comparison, actor: str) -> None:
    from tnorder.carriers.base import AvailableNumber

    found = [AvailableNumber(n) for n in c.carrier_only] + [AvailableNumber(m["number"]) for m in c.mismatched]
    lifecycle.add(conn, found, status="available", inventory_type=c.inventory_type, carrier=c.carrier,
                  account=c.account, ref=None, actor=actor, event="reconciled",
                  note="reconciled: in service at the carrier")
    lifecycle.move(conn, c.tnorder_only, "disconnected", expect=IN_USE, ref=None, actor=actor, event="reconciled",
                   note="reconciled: the carrier does not hold it", customer=None, line=None)
