"""Reservations held at carriers, recorded in the store so that none is forgotten.

A lookup-and-select records each reservation as soon as the carrier grants it, under the lease of
the process showing it to the operator. Released or ordered, the row goes. A row whose lease has
run out (the process died, or a release failed) is released by the next `orders poll` or by
`tnorder inventory reservations --release`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, column, select, table

from tnorder.carriers.base import Reservation
from tnorder.clock import iso, utcnow
from tnorder.errors import TnorderError
from tnorder.services import leases

if TYPE_CHECKING:
    from tnorder.services.context import Context

RESERVATIONS = table("reservations", column("id"), column("carrier"), column("account"), column("reservation_id"),
                     column("number"), column("owner"), column("lease_until", DateTime()), column("error"),
                     column("created_at", DateTime()), column("updated_at", DateTime()))
NUMBERS = table("numbers", column("number"), column("status"))


def record(ctx: Context, carrier: str, account: str, held: list[Reservation]) -> None:
    if not held:
        return
    now = utcnow()
    with ctx.store.begin() as conn:
        conn.execute(RESERVATIONS.insert(), [
            {"carrier": carrier, "account": account, "reservation_id": r.id, "number": r.number,
             "owner": leases.owner(), "lease_until": leases.until(), "error": None, "created_at": now,
             "updated_at": now} for r in held])


def _change(ctx: Context, account: str, held: list[Reservation], statement) -> None:
    """Run an update or delete of RESERVATIONS on these reservations of the account."""
    if not held:
        return
    with ctx.store.begin() as conn:
        conn.execute(statement.where(RESERVATIONS.c.account == account,
                                     RESERVATIONS.c.reservation_id.in_([r.id for r in held])))


def renew(ctx: Context, account: str, held: list[Reservation]) -> None:
    _change(ctx, account, held, RESERVATIONS.update().values(lease_until=leases.until()))


def drop(ctx: Context, account: str, held: list[Reservation]) -> None:
    """Released, or used by an order that was sent: the carrier no longer holds them for us."""
    _change(ctx, account, held, RESERVATIONS.delete())


def expire(ctx: Context, account: str, held: list[Reservation], error: str | None) -> None:
    """Left for `orders poll` to release: its lease ends now."""
    _change(ctx, account, held, RESERVATIONS.update().values(lease_until=utcnow(), error=error, updated_at=utcnow()))


def held(ctx: Context) -> list[dict]:
    """Every reservation still recorded, oldest first."""
    r = RESERVATIONS.c
    query = select(r.carrier, r.account, r.reservation_id, r.number, r.owner, r.lease_until, r.error,
                   r.created_at).order_by(r.id)
    now = utcnow().replace(tzinfo=None)
    with ctx.store.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [{"number": row["number"], "carrier": row["carrier"], "account": row["account"],
             "reservation_id": row["reservation_id"], "owner": row["owner"],
             "in_use": leases.alive(row["owner"], row["lease_until"], now),
             "error": row["error"], "created_at": iso(row["created_at"])} for row in rows]


@dataclass
class Released:
    released: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # number, why
    skipped: list[str] = field(default_factory=list)  # an order for the number is still in flight


def release_stale(ctx: Context) -> Released:
    """Release every reservation whose lease ran out; failures stay recorded for the next try."""
    out = Released()
    r = RESERVATIONS.c
    now = utcnow().replace(tzinfo=None)
    with ctx.store.engine.connect() as conn:
        rows = [row[:3] for row in conn.execute(select(r.account, r.reservation_id, r.number, r.owner, r.lease_until)
                                                .order_by(r.id)).all()
                if not leases.alive(row[3], row[4], now)]
        numbers = [row[2] for row in rows]
        in_flight = set(conn.execute(select(NUMBERS.c.number).where(
            NUMBERS.c.number.in_(numbers), NUMBERS.c.status == "pending")).scalars()) if rows else set()
    for account, rid, number in rows:
        if number in in_flight:  # an order whose outcome is not known yet may be using it
            out.skipped.append(number)
            continue
        reservation = Reservation(rid, number)
        try:
            ctx.carrier(account).release([reservation])
        except TnorderError as exc:
            out.failed.append((number, str(exc)))
            expire(ctx, account, [reservation], str(exc))
            continue
        drop(ctx, account, [reservation])
        out.released.append(number)
    return out
