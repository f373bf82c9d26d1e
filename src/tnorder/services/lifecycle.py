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


def move(session: Session | Connection, numbers: list[str], to_status: str, *, expect: str | tuple[str, ...],
         by: str | None = None, ref: str | None, actor: str, event: str, note: str | None = None,
         **values: str | None) -> list[str]:
    """Move those of `numbers` that are `expect`ed (one of those statuses; with `by`, put there by
    that order) to a new status, recording where each came from; returns the numbers moved.

    A number that moved on meanwhile (another status, another order's) is left as it is, never
    overwritten: a caller that must refuse checks under the same write lock first.
    """
    if not numbers:
        return []
    expected = (expect,) if isinstance(expect, str) else expect
    now = utcnow()
    before = {n: s for n, s in _statuses(session, numbers).items() if s in expected}
    if by is not None:
        before = {n: s for n, s in before.items() if n in put_there_by(session, list(before), by, expected)}
    if not before:
        return []
    session.execute(NUMBERS.update().where(NUMBERS.c.number.in_(list(before)), NUMBERS.c.status.in_(expected))
                    .values(status=to_status, updated_at=now, **values))
    stamp = driver_value(session, EVENTS.c.at, now)
    bulk_insert(session, EVENTS, [_event(n, s, to_status, ref, actor, stamp, event, note) for n, s in before.items()])
    return list(before)


def put_there_by(session: Session | Connection, numbers: list[str], ref: str, statuses: tuple[str, ...]) -> set[str]:
    """Those of `numbers` whose latest move into one of `statuses` was made by order `ref`."""
    if not numbers:
        return set()
    latest = select(func.max(EVENTS.c.id)).where(
        EVENTS.c.number.in_(numbers), EVENTS.c.to_status.in_(statuses)).group_by(EVENTS.c.number)
    return set(session.execute(select(EVENTS.c.number).where(
        EVENTS.c.id.in_(latest), EVENTS.c.order_ref == ref)).scalars())


def forget_pending(session: Session | Connection, numbers: list[str], ref: str, actor: str, note: str) -> None:
    """A failed order item leaves no number behind: drop what this order added, restore the rest.

    Only numbers still pending under this order are touched: one another order holds now (after a
    poll concluded this one) is not this order's to drop or restore.
    """
    if not numbers:
        return
    numbers = sorted(put_there_by(session, numbers, ref, ("pending",)) & set(
        session.execute(select(NUMBERS.c.number).where(NUMBERS.c.number.in_(numbers),
                                                       NUMBERS.c.status == "pending")).scalars()))
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
        move(session, group, was, expect="pending", ref=ref, actor=actor, event="restored", note=note)


def back_in_use(session: Session | Connection, numbers: list[str], *, ref: str | None, actor: str, note: str) -> None:
    """Numbers whose disconnect did not happen: assigned again if on a customer's line, else available.

    Only those this disconnect made `disconnecting`: one another order is disconnecting now stays so.
    """
    if not numbers:
        return
    on_line = set(session.execute(select(NUMBERS.c.number).where(
        NUMBERS.c.number.in_(numbers), NUMBERS.c.customer.is_not(None))).scalars())
    for target, group in (("assigned", [n for n in numbers if n in on_line]),
                          ("available", [n for n in numbers if n not in on_line])):
        move(session, group, target, expect="disconnecting", by=ref, ref=ref, actor=actor, event="restored",
             note=note)


def disconnected(session: Session | Connection, numbers: list[str], *, ref: str, actor: str) -> None:
    """Numbers the carrier disconnected under order `ref`: the carrier no longer holds them.

    Also those a local conclusion had put back in use before the carrier's answer reopened this
    order, and one another disconnect is sending meanwhile (that one fails at the carrier, and its
    undo finds nothing of its own to restore). One pending again (ordered anew) is left as it is.
    """
    move(session, numbers, "disconnected", expect=("disconnecting", "available", "assigned"), ref=ref,
         actor=actor, event="disconnected", note="carrier disconnected the number", customer=None, line=None)


def _details(n: AvailableNumber) -> dict:
    return {f: getattr(n, f) for f in DETAIL_FIELDS}
