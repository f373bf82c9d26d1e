"""Reservations held at carriers, recorded in the store so that none is forgotten.

A reservation is written ahead, as an order is: its row (`requesting`: the number asked for, the
carrier account, the sender's lease, when the carrier would let the hold go by itself) exists
before the request leaves. The carrier's grant turns it `held`, with the reservation id; released
or ordered, the row goes. A lost or slow answer, a kill, or a store that could not record the
grant leaves the row, and the next `orders poll` (or `tnorder inventory reservations --release`)
settles it once no live process holds its lease: a held one is released by id; a requesting one
is looked for at the carrier by its number (where the carrier can) and released, or, where the
carrier cannot say, shown as "may be held until HH:MM" and dropped once that time has passed.

A carrier that cannot release a hold (`capabilities.releases` False: Telnyx) lets it lapse at its
expiry instead: a hold not ordered is kept as `lapsing` (no owner, `hold_until` its expiry), shown
until then and dropped after; nothing ever asks such a carrier to release it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, column, select, table

from tnorder import testhooks
from tnorder.carriers.base import Reservation
from tnorder.clock import iso, utcnow
from tnorder.errors import EXIT_CARRIER, CarrierUnreachable, TnorderError, Unsupported
from tnorder.services import leases
from tnorder.testhooks import pause

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from tnorder.carriers.base import Carrier
    from tnorder.services.context import Context

RESERVATIONS = table("reservations", column("id"), column("carrier"), column("account"), column("reservation_id"),
                     column("number"), column("owner"), column("lease_until", DateTime()), column("error"),
                     column("status"), column("hold_until", DateTime()),
                     column("created_at", DateTime()), column("updated_at", DateTime()))
NUMBERS = table("numbers", column("number"), column("status"), column("account"))
# a reserve whose answer was lost may still be granted a little later: not concluded "not held" before
ANSWER_GRACE = timedelta(minutes=2)
EXIT_BUSY = 10  # DESIGN.md: the store is busy (its write lock held by another process)
LAPSING = "lapsing"  # kept only to be shown until its expiry: the carrier lets it go by itself


class NotRecorded(TnorderError):
    """The carrier granted a reservation the store could not record (locked, full)."""

    def __init__(self, message: str, busy: bool) -> None:
        super().__init__(message)
        self.exit_code = EXIT_BUSY if busy else 1


def _hold_until(carrier: Carrier) -> datetime:
    return utcnow() + timedelta(seconds=carrier.reservation_hold_seconds)


def expiry(carrier: Carrier, reservation: Reservation) -> datetime:
    """When the hold ends by itself: the carrier's word when it gives one, else its documented hold."""
    if reservation.expires_at is None:
        return _hold_until(carrier)
    return reservation.expires_at.astimezone(UTC)


def ask(ctx: Context, carrier: Carrier, account: str, number: str) -> int:
    """Write ahead: the row of a reservation about to be requested; returns its id."""
    now = utcnow()
    with ctx.store.begin() as conn:
        return conn.execute(RESERVATIONS.insert().returning(RESERVATIONS.c.id), {
            "carrier": carrier.name, "account": account, "reservation_id": None, "number": number,
            "owner": leases.owner(), "lease_until": leases.until(), "error": None, "status": "requesting",
            "hold_until": _hold_until(carrier), "created_at": now, "updated_at": now}).scalar_one()


def granted(ctx: Context, row: int, carrier: Carrier, account: str, held: list[Reservation]) -> None:
    """The carrier's answer: held under its id, or (not granted: taken since the lookup) nothing.

    A store that cannot record it (locked, full) must not leave the hold unknown: it is released
    at once, by the id still in hand; the row written ahead lets `orders poll` check again.
    """
    try:
        _record_grant(ctx, row, carrier, account, held)
    except Exception as exc:
        failure = _store_failure(exc)
        if failure is None:
            raise
        if held:  # when nothing was granted, the row written ahead is simply dropped by the next poll
            raise _not_recorded(carrier, held, *failure) from None


def _record_grant(ctx: Context, row: int, carrier: Carrier, account: str, held: list[Reservation]) -> None:
    """A row a poller concluded meanwhile (this process stalled past its lease) is written again:
    a grant is never left unrecorded."""
    with ctx.store.begin() as conn:
        where = RESERVATIONS.c.id == row
        if not held:
            conn.execute(RESERVATIONS.delete().where(where))
            return
        grant = {"status": "held", "reservation_id": held[0].id, "hold_until": expiry(carrier, held[0]),
                 "owner": leases.owner(), "lease_until": leases.until(), "updated_at": utcnow()}
        if conn.execute(RESERVATIONS.update().where(where).values(**grant)).rowcount == 0:
            conn.execute(RESERVATIONS.insert().values(carrier=carrier.name, account=account,
                                                      number=held[0].number, error=None, created_at=utcnow(),
                                                      **grant))


def _store_failure(exc: Exception) -> tuple[str, bool] | None:
    """(what the store said, whether it was busy) for a failed store write; None for anything else."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError):
        why = str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
        return why, "locked" in why.lower() or "busy" in why.lower()
    if isinstance(exc, TnorderError) and not isinstance(exc, NotRecorded):  # e.g. a busy store's own error
        return str(exc), exc.exit_code == EXIT_BUSY
    return None


def _not_recorded(carrier: Carrier, held: list[Reservation], why: str, busy: bool) -> NotRecorded:
    """Released at once by the id still in hand, so the hold is not left unknown (where it cannot be
    released, it lapses by itself: said with its expiry)."""
    numbers = ", ".join(r.number for r in held)
    if not carrier.capabilities.releases:
        return NotRecorded(f"the store could not record the reservation of {numbers} ({why}); {carrier.name} "
                           f"cannot release a reservation: it lapses at {expiry(carrier, held[0]):%H:%M} UTC; "
                           "nothing was ordered", busy)
    try:
        carrier.release(held)
    except TnorderError as release_failed:
        return NotRecorded(f"the store could not record the reservation of {numbers} ({why}) and "
                           f"{carrier.name} did not release it ({release_failed}); `tnorder orders poll` "
                           "will try again", busy)
    return NotRecorded(f"the store could not record the reservation of {numbers} ({why}): released it at "
                       f"{carrier.name}; nothing was ordered", busy)


def refused(ctx: Context, row: int, carrier: Carrier, account: str, number: str, exc: TnorderError) -> bool:
    """The reserve failed. A refusal held nothing: the row goes. An answer that may have been lost
    (the request may have reached the carrier) leaves the row to `orders poll`, under no process's
    lease, not concluded "not held" before ANSWER_GRACE has passed. Returns whether it may be held.
    A store that cannot note it leaves the row as written ahead: settled once this process is gone."""
    try:
        return _conclude(ctx, row, carrier, account, number, exc)
    except Exception as failed:
        if _store_failure(failed) is None:
            raise
        return isinstance(exc, CarrierUnreachable)


def _conclude(ctx: Context, row: int, carrier: Carrier, account: str, number: str, exc: TnorderError) -> bool:
    """A row a poller concluded "not held" meanwhile (this process stalled past its lease, the
    request still on its way) is written again, as a grant is: the request may yet have been granted."""
    with ctx.store.begin() as conn:
        where = RESERVATIONS.c.id == row
        if not isinstance(exc, CarrierUnreachable):
            conn.execute(RESERVATIONS.delete().where(where))
            return False
        grace = testhooks.waited("ANSWER_GRACE", ANSWER_GRACE)
        waiting = {"owner": None, "lease_until": utcnow() + grace, "error": str(exc)[:500],
                   "updated_at": utcnow()}
        if conn.execute(RESERVATIONS.update().where(where).values(**waiting)).rowcount == 0:
            conn.execute(RESERVATIONS.insert().values(carrier=carrier.name, account=account, number=number,
                                                      reservation_id=None, status="requesting",
                                                      hold_until=_hold_until(carrier), created_at=utcnow(),
                                                      **waiting))
        return True


def _change(ctx: Context, account: str, held: list[Reservation], statement) -> None:
    """Run an update or delete of RESERVATIONS on these reservations of the account."""
    if not held:
        return
    with ctx.store.begin() as conn:
        conn.execute(statement.where(RESERVATIONS.c.account == account,
                                     RESERVATIONS.c.reservation_id.in_([r.id for r in held])))


def renew(ctx: Context, account: str, held: list[Reservation], asking: int | None = None) -> None:
    """The lease on these reservations, and on the row of the one being asked for (`asking`: its
    request in flight, no reservation id yet), while this process still holds that row's lease:
    a poller concludes nothing about a request whose sender is alive and waiting for its answer."""
    _change(ctx, account, held, RESERVATIONS.update().values(lease_until=leases.until()))
    if asking is not None:
        with ctx.store.begin() as conn:
            conn.execute(RESERVATIONS.update().where(RESERVATIONS.c.id == asking,
                                                     RESERVATIONS.c.owner == leases.owner())
                         .values(lease_until=leases.until()))


def drop(ctx: Context, account: str, held: list[Reservation]) -> None:
    """Released, or used by an order that was sent: the carrier no longer holds them for us."""
    _change(ctx, account, held, RESERVATIONS.delete())


def expire(ctx: Context, account: str, held: list[Reservation], error: str | None) -> None:
    """Left for `orders poll` to release: its lease ends now."""
    _change(ctx, account, held, RESERVATIONS.update().values(lease_until=utcnow(), error=error, updated_at=utcnow()))


def lapse(ctx: Context, account: str, held: list[Reservation]) -> None:
    """Not ordered, and its carrier cannot release it: kept under no process's lease, until its
    expiry (`expires_at`, when given), only to be shown; `orders poll` drops it after."""
    _each(ctx, account, held, lambda r: {"status": LAPSING, "owner": None, "lease_until": None}
          | ({"hold_until": r.expires_at} if r.expires_at else {}))


def extended(ctx: Context, account: str, held: list[Reservation]) -> None:
    """The new expiries the carrier gave, recorded under the write lock (one transaction)."""
    _each(ctx, account, [r for r in held if r.expires_at], lambda r: {"hold_until": r.expires_at})


def _each(ctx: Context, account: str, held: list[Reservation], values: Callable[[Reservation], dict]) -> None:
    if not held:
        return
    r = RESERVATIONS.c
    with ctx.store.begin() as conn:
        for reservation in held:
            conn.execute(RESERVATIONS.update().where(r.account == account, r.reservation_id == reservation.id)
                         .values(updated_at=utcnow(), **values(reservation)))


def _in_use(row, now: datetime) -> bool:
    """A live process holds it (an answer waited for under no process is not "in use")."""
    return bool(row["owner"]) and leases.alive(row["owner"], row["lease_until"], now)


def held(ctx: Context) -> list[dict]:
    """Every reservation still recorded, oldest first."""
    r = RESERVATIONS.c
    query = select(r.carrier, r.account, r.reservation_id, r.number, r.owner, r.lease_until, r.error,
                   r.status, r.hold_until, r.created_at).order_by(r.id)
    now = utcnow().replace(tzinfo=None)
    with ctx.store.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [{"number": row["number"], "carrier": row["carrier"], "account": row["account"],
             "reservation_id": row["reservation_id"], "status": row["status"], "owner": row["owner"],
             "in_use": _in_use(row, now), "hold_until": iso(row["hold_until"]),
             "error": row["error"], "created_at": iso(row["created_at"])} for row in rows]


@dataclass
class Released:
    released: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # number, why
    skipped: list[str] = field(default_factory=list)  # an order for the number is still in flight
    # number, carrier, until when: asked for, answer lost, and the carrier cannot be asked about it
    maybe_held: list[tuple[str, str, datetime]] = field(default_factory=list)
    # number, carrier, until when: held by a carrier that cannot release it (not a failure)
    lapsing: list[tuple[str, str, datetime]] = field(default_factory=list)

    def warnings(self) -> list[str]:
        """One line each: what is still held, or may be, and until when."""
        lines = [f"reservation of {number} still held: {why}; the next `tnorder orders poll` tries again"
                 for number, why in self.failed]
        return lines + [f"reservation of {number} may be held at {carrier} until {until:%H:%M} UTC (its answer was "
                        "lost; the carrier lets it go then)" for number, carrier, until in self.maybe_held]

    def notes(self) -> list[str]:
        """What lapses by itself: nothing to do, and nothing wrong."""
        return lapsing_lines(self.lapsing)

    @property
    def exit_code(self) -> int:
        """A reservation the carrier would not release is a carrier failure (exit 3); one that may be
        held until its expiry, or lapses then, is only said (nothing can be done but wait)."""
        return EXIT_CARRIER if self.failed else 0


def release_stale(ctx: Context, now: datetime | None = None) -> Released:
    """Settle every reservation no live process holds; failures stay recorded for the next try."""
    out = Released()
    r = RESERVATIONS.c
    now = (now or utcnow()).replace(tzinfo=None)
    with ctx.store.engine.connect() as conn:
        rows = [row for row in conn.execute(select(r.id, r.carrier, r.account, r.reservation_id, r.number, r.owner,
                                                   r.lease_until, r.status, r.hold_until).order_by(r.id)).mappings()
                if not _in_use(row, now)]
        numbers = [row["number"] for row in rows]
        in_flight = set(conn.execute(select(NUMBERS.c.number).where(
            NUMBERS.c.number.in_(numbers), NUMBERS.c.status == "pending")).scalars()) if rows else set()
    pause("reservations-listed")  # what is decided about each row is decided again under the write lock
    for row in rows:
        if row["number"] in in_flight:  # an order whose outcome is not known yet may be using it
            out.skipped.append(row["number"])
            continue
        try:
            _settle(ctx, row, now, out)
        except TnorderError as exc:
            out.failed.append((row["number"], str(exc)))
            _note(ctx, row["id"], str(exc))
    return out


def _settle(ctx: Context, row, now: datetime, out: Released) -> None:
    if row["status"] == LAPSING:  # nothing to ask the carrier: it lets the hold go by itself
        _lapses(ctx, row, None, now, out)
        return
    carrier = ctx.carrier(row["account"])
    reservation = Reservation(row["reservation_id"], row["number"]) if row["reservation_id"] else None
    if reservation is None:
        reservation = _find(ctx, carrier, row, now, out)
        if reservation is None:
            return
    if not carrier.capabilities.releases:
        _lapses(ctx, row, reservation, now, out)
        return
    carrier.release([reservation])
    _forget(ctx, row["id"])
    out.released.append(row["number"])


def _find(ctx: Context, carrier: Carrier, row, now: datetime, out: Released) -> Reservation | None:
    """A requesting row: its reservation found again at the carrier, or None (the row settled or kept)."""
    waiting = row["owner"] is None and row["lease_until"] is not None and row["lease_until"] > now
    try:
        found = carrier.find_reservation(row["number"])
    except Unsupported:  # the carrier cannot say: the hold ends by itself at its expiry
        if row["hold_until"] is not None and row["hold_until"] <= now:
            _forget(ctx, row["id"], requesting=True)
        else:
            out.maybe_held.append((row["number"], row["carrier"], row["hold_until"]))
        return None
    if found is None and not waiting:  # asked for and never granted, or the request never left
        _forget(ctx, row["id"], requesting=True)
    elif found is None:  # its answer may still be on the way: asked again by the next poll
        out.maybe_held.append((row["number"], row["carrier"], row["hold_until"]))
    elif not _only_asker(ctx, row, found, out):
        return None
    return found


def _only_asker(ctx: Context, row, found: Reservation, out: Released) -> bool:
    """Is the hold found on the number ours to release? Not when another reservation of tnorder asks
    for the number too (another operator's, recorded or written ahead): its hold is left alone.
    Checked under the write lock: whoever asks after this writes its row first, and the carrier
    grants no second hold on a number while this one lasts."""
    r = RESERVATIONS.c
    with ctx.store.begin() as conn:
        others = conn.execute(select(r.reservation_id).where(r.number == row["number"], r.id != row["id"])).all()
        if any(rid == found.id for (rid,) in others):  # that hold is another's: this request was never granted
            conn.execute(RESERVATIONS.delete().where(r.id == row["id"], r.status == "requesting"))
            return False
    if others:
        out.maybe_held.append((row["number"], row["carrier"], row["hold_until"]))
    return not others


def _lapses(ctx: Context, row, found: Reservation | None, now: datetime, out: Released) -> None:
    """A hold its carrier cannot release: dropped once its expiry has passed, or once its number is
    the account's (an order consumed the hold: its sender was killed before it could say so), else
    kept as lapsing (under the id found again, with the expiry found, if any) and shown. Written only
    while the row is as it was read, under the write lock: a stalled sender may have recorded its
    grant since."""
    until = row["hold_until"]
    if found is not None and found.expires_at is not None:
        until = found.expires_at.astimezone(UTC).replace(tzinfo=None)
    r = RESERVATIONS.c
    where = (r.id == row["id"]) & (r.status == row["status"])
    with ctx.store.begin() as conn:
        if until is None or until <= now or _bought(conn, row):
            conn.execute(RESERVATIONS.delete().where(where))
            return
        if row["status"] != LAPSING:
            conn.execute(RESERVATIONS.update().where(where).values(
                status=LAPSING, reservation_id=found.id if found else row["reservation_id"], owner=None,
                lease_until=None, hold_until=until, updated_at=utcnow()))
    out.lapsing.append((row["number"], row["carrier"], until))


def _bought(conn, row) -> bool:
    """Is the held number now in the account's inventory (its order applied, pending no more)?"""
    n = NUMBERS.c
    return conn.execute(select(n.number).where(n.number == row["number"], n.account == row["account"],
                                               n.status != "pending")).first() is not None


def lapsing_lines(holds: Iterable[tuple[str, str, datetime]], lead: str = "") -> list[str]:
    """One line per carrier and expiry: which numbers stay held, until when, and why none is released."""
    groups: dict[tuple[str, str], list[str]] = {}
    for number, carrier, until in holds:
        groups.setdefault((carrier, _at(until)), []).append(number)
    return [f"{lead}{len(numbers)} number(s) stay held at {carrier} until {at} UTC ({', '.join(numbers)}); "
            f"{carrier} cannot release a reservation: the hold lapses by itself then"
            for (carrier, at), numbers in groups.items()]


def _at(moment: datetime) -> str:
    """HH:MM, with the date when it is not today's (a carrier may hold for days)."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return f"{moment:%H:%M}" if moment.date() == utcnow().date() else f"{moment:%Y-%m-%d %H:%M}"


def _forget(ctx: Context, row: int, requesting: bool = False) -> None:
    """`requesting`: concluded "not held" only while still without a grant, checked under the write
    lock (its sender, stalled past its lease, may have recorded one since)."""
    where = RESERVATIONS.c.id == row
    if requesting:
        where = where & (RESERVATIONS.c.status == "requesting")
    with ctx.store.begin() as conn:
        conn.execute(RESERVATIONS.delete().where(where))


def _note(ctx: Context, row: int, error: str) -> None:
    with ctx.store.begin() as conn:
        conn.execute(RESERVATIONS.update().where(RESERVATIONS.c.id == row).values(
            error=error[:500], updated_at=utcnow()))
