"""Every number transition goes through here and leaves a history event.

Statements are batched on the Core tables (one statement for thousands of numbers, no ORM session
bookkeeping), so applying a 5,000-number order stays well under a second.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, bindparam, func, select
from sqlmodel import Session

from tnorder.carriers.base import AvailableNumber
from tnorder.models import Number, NumberEvent, utcnow
from tnorder.store import bulk_insert, driver_value

DETAIL_FIELDS = ("rate_center", "city", "state", "lata", "zip")
NUMBERS = Number.__table__
EVENTS = NumberEvent.__table__


# what happened to a number, as its history names it
EVENTS_WORDS = ("ordered", "completed", "assigned", "unassigned", "moved", "imported", "reconciled",
                "disconnect-sent", "disconnected", "restored")


def _event(number: str, before: str | None, after: str, ref: str | None, actor: str,
           at: object, event: str, note: str | None = None) -> dict:
    return {"number": number, "at": at, "from_status": before, "to_status": after,
            "order_ref": ref, "actor": actor, "event": event, "note": note}


def _statuses(session: Session | Connection, numbers: list[str]) -> dict[str, str]:
    return dict(session.execute(select(NUMBERS.c.number, NUMBERS.c.status).where(NUMBERS.c.number.in_(numbers))).all())


def add(session: Session | Connection, numbers: Iterable[AvailableNumber], *, status: str, inventory_type: str,
        carrier: str, account: str, ref: str | None, actor: str, event: str, customer: str | None = None,
        line: str | None = None, note: str | None = None, known: dict[str, str] | None = None) -> int:
    """Insert new numbers, or update those already known (details, status), in batches.

    `known`: the statuses of those of `numbers` already in the store, when the caller has just read them.
    """
    now = utcnow()
    given = {n.number: n for n in numbers}
    if not given:
        return 0
    if known is None:
        known = _statuses(session, list(given))
    base = {"status": status, "inventory_type": inventory_type, "carrier": carrier,
            "account": account, "customer": customer, "line": line, "order_ref": ref,
            "updated_at": now}
    stamp = driver_value(session, NUMBERS.c.created_at, now)
    fresh = [base | _details(n) | {"number": k, "created_at": stamp, "updated_at": stamp}
             for k, n in given.items() if k not in known]
    bulk_insert(session, NUMBERS, fresh)
    again = [base | _details(given[k]) | {"key": k} for k in given if k in known]
    if again:
        session.execute(NUMBERS.update().where(NUMBERS.c.number == bindparam("key")), again)
    bulk_insert(session, EVENTS, [_event(k, known.get(k), status, ref, actor, stamp, event, note) for k in given])
    return len(given)


def move(session: Session | Connection, numbers: list[str], to_status: str, *, ref: str | None, actor: str, event: str,
         note: str | None = None, **values: str | None) -> int:
    """Move existing numbers to a new status, recording where each came from."""
    if not numbers:
        return 0
    now = utcnow()
    before = _statuses(session, numbers)
    if not before:
        return 0
    session.execute(NUMBERS.update().where(NUMBERS.c.number.in_(list(before)))
                    .values(status=to_status, updated_at=now, **values))
    stamp = driver_value(session, EVENTS.c.at, now)
    bulk_insert(session, EVENTS, [_event(n, s, to_status, ref, actor, stamp, event, note) for n, s in before.items()])
    return len(before)


def forget_pending(session: Session | Connection, numbers: list[str], ref: str, actor: str, note: str) -> None:
    """A failed order item leaves no number behind: drop what this order added, restore the rest."""
    if not numbers:
        return
    first = select(func.min(EVENTS.c.id)).where(
        EVENTS.c.number.in_(numbers), EVENTS.c.order_ref == ref, EVENTS.c.to_status == "pending",
    ).group_by(EVENTS.c.number)
    prior = session.execute(select(EVENTS.c.number, EVENTS.c.from_status).where(EVENTS.c.id.in_(first))).all()
    dropped = [number for number, was in prior if was is None]
    if dropped:
        session.execute(EVENTS.delete().where(EVENTS.c.number.in_(dropped)))
        session.execute(NUMBERS.delete().where(NUMBERS.c.number.in_(dropped)))
    restore: dict[str, list[str]] = {}
    for number, was in prior:
        if was is not None:
            restore.setdefault(was, []).append(number)
    for was, group in restore.items():
        move(session, group, was, ref=ref, actor=actor, event="restored", note=note)


def back_in_use(session: Session | Connection, numbers: list[str], *, ref: str | None, actor: str, note: str) -> None:
    """Numbers whose disconnect did not happen: assigned again if on a customer's line, else available."""
    if not numbers:
        return
    on_line = set(session.execute(select(NUMBERS.c.number).where(
        NUMBERS.c.number.in_(numbers), NUMBERS.c.customer.is_not(None))).scalars())
    move(session, [n for n in numbers if n in on_line], "assigned", ref=ref, actor=actor, event="restored",
         note=note)
    move(session, [n for n in numbers if n not in on_line], "available", ref=ref, actor=actor, event="restored",
         note=note)


def _details(n: AvailableNumber) -> dict:
    return {f: getattr(n, f) for f in DETAIL_FIELDS}
