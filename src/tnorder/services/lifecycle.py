"""Every number transition goes through here and leaves a history event."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlmodel import Session

from tnorder.carriers.base import AvailableNumber
from tnorder.models import Number, NumberEvent, utcnow

DETAIL_FIELDS = ("rate_center", "city", "state", "lata", "zip")


def _event(number: str, before: str | None, after: str, ref: str | None, actor: str,
           at: datetime, note: str | None = None) -> dict:
    return {"number": number, "at": at, "from_status": before, "to_status": after,
            "order_ref": ref, "actor": actor, "note": note}


def add(session: Session, numbers: Iterable[AvailableNumber], *, status: str, inventory_type: str,
        carrier: str, account: str, ref: str | None, actor: str, customer: str | None = None,
        line: str | None = None, note: str | None = None) -> int:
    """Insert new numbers (bulk), or move numbers that were disconnected back into use."""
    now = utcnow()
    given = {n.number: n for n in numbers}
    if not given:
        return 0
    known = dict(session.execute(
        select(Number.number, Number.status).where(Number.number.in_(list(given)))
    ).all())
    base = {"status": status, "inventory_type": inventory_type, "carrier": carrier,
            "account": account, "customer": customer, "line": line, "order_ref": ref,
            "updated_at": now}
    fresh = [base | _details(n) | {"number": k, "created_at": now}
             for k, n in given.items() if k not in known]
    if fresh:
        session.execute(insert(Number), fresh)
    for k in given.keys() & known.keys():
        session.execute(update(Number).where(Number.number == k).values(base | _details(given[k])))
    session.execute(insert(NumberEvent), [
        _event(k, known.get(k), status, ref, actor, now, note) for k in given
    ])
    return len(given)


def move(session: Session, numbers: list[str], to_status: str, *, ref: str | None, actor: str,
         note: str | None = None, **values: str | None) -> int:
    """Move existing numbers to a new status (bulk), recording where each came from."""
    if not numbers:
        return 0
    now = utcnow()
    before = dict(session.execute(
        select(Number.number, Number.status).where(Number.number.in_(numbers))
    ).all())
    session.execute(
        update(Number).where(Number.number.in_(list(before)))
        .values(status=to_status, updated_at=now, **values)
    )
    session.execute(insert(NumberEvent), [
        _event(n, s, to_status, ref, actor, now, note) for n, s in before.items()
    ])
    return len(before)


def forget_pending(session: Session, numbers: list[str], ref: str, actor: str, note: str) -> None:
    """A failed order item leaves no number behind: drop what this order added, restore the rest."""
    for number in numbers:
        first = session.execute(
            select(NumberEvent.from_status).where(
                NumberEvent.number == number, NumberEvent.order_ref == ref,
                NumberEvent.to_status == "pending",
            ).order_by(NumberEvent.id)
        ).first()
        if first is None:
            continue
        if first[0] is None:
            session.execute(delete(NumberEvent).where(NumberEvent.number == number))
            session.execute(delete(Number).where(Number.number == number))
        else:
            move(session, [number], first[0], ref=ref, actor=actor, note=note)


def _details(n: AvailableNumber) -> dict:
    return {f: getattr(n, f) for f in DETAIL_FIELDS}
