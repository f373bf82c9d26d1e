"""The simulated carrier's state: holds on numbers, reservations, orders and disconnects.

Kept in a small SQLite file under `TNORDER_HOME`, so it persists between runs and is shared by the
sandbox carrier and `tnorder sim serve`. Orders complete lazily: the first status read after
their completion time settles them.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tnorder.carriers.base import AvailableNumber
from tnorder.criteria import Criteria
from tnorder.sim.pool import Pool, fictional
from tnorder.storecheck import create_private

RESERVATION_SECONDS = 4 * 3600
UNAVAILABLE = ("5005", "The telephone number is unavailable for ordering")
NONE_FOUND = ("5018", "The entire quantity requested is unavailable")
NOT_OURS = ("5006", "Telephone number could not be disconnected since it is not associated with your account")
NOT_PARTIAL = ("5003", "The order failed: PartialAllowed is false and not every number could be ordered")
ON_HOLD = ("5041", "Number is already on hold")
LAPSED = ("5043", "The reservation has expired: nothing left to extend")
ORDER_COLUMNS = "id, kind, customer_order_id, status, created_at, request, completed, failed, complete_at"

SCHEMA = """
CREATE TABLE IF NOT EXISTS holds (
    tn TEXT PRIMARY KEY, state TEXT NOT NULL, account TEXT NOT NULL,
    reservation_id TEXT, order_id TEXT, expires_at REAL);
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY, account TEXT NOT NULL, kind TEXT NOT NULL, customer_order_id TEXT,
    created_at REAL NOT NULL, complete_at REAL NOT NULL, status TEXT NOT NULL,
    request TEXT NOT NULL, completed TEXT NOT NULL DEFAULT '[]', failed TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS ix_orders_coid ON orders (account, customer_order_id);
CREATE TABLE IF NOT EXISTS offers (
    account TEXT NOT NULL, tn TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (account, tn));
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL, user_id TEXT NOT NULL,
    description TEXT NOT NULL, modified_at REAL NOT NULL);
"""


class WorldError(Exception):
    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text


@dataclass
class WorldOrder:
    id: str
    kind: str  # order | disconnect | reservation (many numbers held at once, settled when made)
    customer_order_id: str | None
    status: str  # RECEIVED | COMPLETE | PARTIAL | FAILED
    created_at: float
    request: dict
    completed: list[AvailableNumber] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # number, code, text
    complete_at: float | None = None  # when it completes (or completed)


class World:
    def __init__(self, path: Path, seed: int = 0, complete_after: float = 3.0) -> None:
        self.path = path
        self.pool = Pool(seed, path.parent)
        self.complete_after = complete_after
        self.clock: Callable[[], float] = time.time  # tests move it to let holds lapse
        self._local = threading.local()  # one connection per thread, reused
        # it holds every simulated account's numbers and orders: 0600 in 0700 folders from the start
        # (its -wal and -shm files take the file's mode), as the store is
        create_private(path)
        db = sqlite3.connect(path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
        finally:
            db.close()

    @contextmanager
    def _tx(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """A transaction on this thread's connection; `write` takes the write lock up front (reads
        do not, so the emulator's many concurrent status reads do not queue behind each other)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # -- numbers ---------------------------------------------------------------------------
    def _held(self, db: sqlite3.Connection, numbers: list[str] | None = None) -> dict[str, tuple]:
        now = self.clock()
        rows = db.execute(
            "SELECT tn, state, account, reservation_id FROM holds "
            "WHERE state != 'reserved' OR expires_at > ?", (now,)
        ).fetchall()
        return {r[0]: r for r in rows if numbers is None or r[0] in numbers}

    def search(self, criteria: Criteria, quantity: int,
               accept: Callable[[AvailableNumber], bool] | None = None) -> list[AvailableNumber]:
        """Free numbers matching `criteria`; `accept` narrows them further (combined criteria)."""
        with self._tx() as db:
            return self._search(db, criteria, quantity, accept)

    def _search(self, db: sqlite3.Connection, criteria: Criteria, quantity: int,
                accept: Callable[[AvailableNumber], bool] | None = None) -> list[AvailableNumber]:
        held = self._held(db)
        found: list[AvailableNumber] = []
        for candidate in self.pool.candidates(criteria, criteria.zip):
            if candidate.number not in held and (accept is None or accept(candidate)):
                found.append(candidate)
                if len(found) == quantity:
                    break
        return found

    def details(self, number: str) -> AvailableNumber:
        npa, nxx = number[2:5], number[5:8]
        for ex in self.pool._by_npa.get(npa, []):
            if ex.nxx == nxx:
                return AvailableNumber(number, ex.rate_center, ex.city, ex.state, ex.lata, ex.zip)
        return AvailableNumber(number)

    def reserve(self, number: str, account: str) -> str:
        with self._tx() as db:
            if number in self._held(db, [number]):
                raise WorldError("5041", f"Reservation failed: telephone number {number[2:]} is not available.")
            rid = str(uuid.uuid4())
            db.execute(
                "INSERT OR REPLACE INTO holds VALUES (?, 'reserved', ?, ?, NULL, ?)",
                (number, account, rid, self.clock() + RESERVATION_SECONDS),
            )
            return rid

    def reservation(self, rid: str, account: str) -> tuple[str, float] | None:
        with self._tx() as db:
            row = db.execute(
                "SELECT tn, expires_at FROM holds WHERE reservation_id = ? AND account = ? "
                "AND state = 'reserved' AND expires_at > ?", (rid, account, self.clock()),
            ).fetchone()
            return (row[0], row[1] - self.clock()) if row else None

    def reservation_on(self, number: str) -> tuple[str, str, float] | None:
        """(id, account, seconds left) of the live reservation on `number` (`GET /tns/{tn}/tnreservation`)."""
        with self._tx(write=False) as db:
            row = db.execute(
                "SELECT reservation_id, account, expires_at FROM holds WHERE tn = ? AND state = 'reserved' "
                "AND expires_at > ?", (number, self.clock()),
            ).fetchone()
            return (row[0], row[1], row[2] - self.clock()) if row else None

    def reserve_numbers(self, numbers: list[str], account: str, reference: str | None, seconds: float,
                        extra: dict | None = None, offered_within: float | None = None) -> WorldOrder:
        """Hold each free number for `seconds` under one id (Telnyx: a reservation of many numbers,
        each granted or refused), kept beside the orders as a `reservation`, settled when made.
        `offered_within`: as for `order`."""
        with self._tx() as db:
            rid, now = str(uuid.uuid4()), self.clock()
            held, granted, refused = self._held(db, numbers), [], []
            offered = None if offered_within is None else self._offered(db, account, offered_within)
            for number in numbers:
                if number in held or fictional(number) or (offered is not None and number not in offered):
                    refused.append((number, *(ON_HOLD if number in held else UNAVAILABLE)))
                    continue
                db.execute("INSERT OR REPLACE INTO holds VALUES (?, 'reserved', ?, ?, NULL, ?)",
                           (number, account, rid, now + seconds))
                granted.append(number)
            request = {"numbers": numbers, "expires": dict.fromkeys(granted, now + seconds)} | (extra or {})
            status = "COMPLETE" if not refused else ("PARTIAL" if granted else "FAILED")
            db.execute(
                "INSERT INTO orders (id, account, kind, customer_order_id, created_at, complete_at, status, "
                "request, completed, failed) VALUES (?, ?, 'reservation', ?, ?, ?, ?, ?, ?, ?)",
                (rid, account, reference, now, now, status, json.dumps(request), json.dumps(granted),
                 json.dumps(refused)),
            )
            return self.get_settled(db, rid)

    def extend(self, rid: str, account: str, seconds: float) -> WorldOrder | None:
        """Each live hold of a `reserve_numbers` reservation lasts `seconds` longer; None: no such one."""
        with self._tx() as db:
            row = db.execute("SELECT request FROM orders WHERE id = ? AND account = ? AND kind = 'reservation'",
                             (rid, account)).fetchone()
            if row is None:
                return None
            live = db.execute(
                "SELECT tn, expires_at FROM holds WHERE reservation_id = ? AND account = ? "
                "AND state = 'reserved' AND expires_at > ?", (rid, account, self.clock()),
            ).fetchall()
            if not live:
                raise WorldError(*LAPSED)
            request = json.loads(row[0])
            for tn, expires in live:
                db.execute("UPDATE holds SET expires_at = ? WHERE tn = ?", (expires + seconds, tn))
                request["expires"][tn] = expires + seconds
            request["updated_at"] = self.clock()
            db.execute("UPDATE orders SET request = ? WHERE id = ?", (json.dumps(request), rid))
            return self.get_settled(db, rid)

    def offer(self, numbers: list[str], account: str) -> None:
        """Remember that a search showed `account` these numbers (Telnyx sells only what it showed)."""
        now = self.clock()
        with self._tx() as db:
            db.executemany("INSERT OR REPLACE INTO offers VALUES (?, ?, ?)", [(account, n, now) for n in numbers])

    def _offered(self, db: sqlite3.Connection, account: str, within: float) -> set[str]:
        rows = db.execute("SELECT tn FROM offers WHERE account = ? AND at >= ?", (account, self.clock() - within))
        return {row[0] for row in rows}

    def release(self, rid: str, account: str) -> bool:
        with self._tx() as db:
            cur = db.execute(
                "DELETE FROM holds WHERE reservation_id = ? AND account = ? AND state = 'reserved'",
                (rid, account),
            )
            return cur.rowcount > 0

    # -- orders ----------------------------------------------------------------------------
    def order(self, numbers: list[str], account: str, customer_order_id: str | None,
              reservation_ids: list[str] = (), extra: dict | None = None, *, own_holds: bool = False,
              offered_within: float | None = None) -> WorldOrder:
        """`own_holds`: any live reservation of the account counts as its own (Telnyx names none);
        `offered_within`: a number no search showed the account that recently is refused."""
        with self._tx() as db:
            offered = None if offered_within is None else self._offered(db, account, offered_within)
            return self._place(db, numbers, account, customer_order_id, list(reservation_ids), extra or {},
                               own_holds, offered)

    def search_and_order(self, criteria: Criteria, quantity: int, account: str,
                         customer_order_id: str | None, extra: dict | None = None,
                         fill: int | None = None,
                         accept: Callable[[AvailableNumber], bool] | None = None) -> WorldOrder:
        """`fill`: take at most this many though `quantity` were asked (the emulator's --short-fill);
        `accept`: as for `search` (combined criteria)."""
        with self._tx() as db:
            found = [n.number for n in self._search(db, criteria, min(quantity, fill or quantity), accept)]
            request = {"criteria": criteria.as_dict(), "quantity": quantity} | (extra or {})
            return self._place(db, found, account, customer_order_id, [], request)

    def _place(self, db: sqlite3.Connection, numbers: list[str], account: str, coid: str | None,
               rids: list[str], request: dict, own_holds: bool = False,
               offered: set[str] | None = None) -> WorldOrder:
        oid = str(uuid.uuid4())
        held = self._held(db, numbers)
        taken = []
        for number in numbers:
            hold = held.get(number)
            ours = hold and hold[1] == "reserved" and hold[2] == account and (own_holds or hold[3] in rids)
            unseen = offered is not None and not ours and number not in offered
            if (hold and not ours) or fictional(number) or unseen:  # 555-01xx exists only in films
                taken.append(number)
                continue
            db.execute(
                "INSERT OR REPLACE INTO holds VALUES (?, 'ordered', ?, NULL, ?, NULL)",
                (number, account, oid),
            )
        request = {"numbers": numbers, "taken": taken} | request
        now = self.clock()
        db.execute(
            "INSERT INTO orders (id, account, kind, customer_order_id, created_at, complete_at, "
            "status, request) VALUES (?, ?, 'order', ?, ?, ?, 'RECEIVED', ?)",
            (oid, account, coid, now, now + self.complete_after, json.dumps(request)),
        )
        return WorldOrder(oid, "order", coid, "RECEIVED", now, request, complete_at=now + self.complete_after)

    def disconnect(self, numbers: list[str], account: str, customer_order_id: str | None,
                   extra: dict | None = None, *, at_once: bool = False) -> WorldOrder:
        """`at_once`: settled before the answer (Telnyx deletes one number in real time)."""
        with self._tx() as db:
            oid = str(uuid.uuid4())
            now = self.clock()
            due = now if at_once else now + self.complete_after
            request = {"numbers": numbers} | (extra or {})
            db.execute(
                "INSERT INTO orders (id, account, kind, customer_order_id, created_at, complete_at, "
                "status, request) VALUES (?, ?, 'disconnect', ?, ?, ?, 'RECEIVED', ?)",
                (oid, account, customer_order_id, now, due, json.dumps(request)),
            )
            if at_once:
                self._settle(db, oid, account, "disconnect", request)
                return self.get_settled(db, oid)
            return WorldOrder(oid, "disconnect", customer_order_id, "RECEIVED", now, request, complete_at=due)

    def get(self, oid: str, account: str, kind: str = "order") -> WorldOrder | None:
        query = (f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = ? AND account = ? AND kind = ?",
                 (oid, account, kind))
        with self._tx(write=False) as db:
            row = db.execute(*query).fetchone()
        if row is None or not (row[3] == "RECEIVED" and self.clock() >= row[8]):
            return None if row is None else self._row(row)
        with self._tx() as db:  # due: settle under the write lock, unless another reader just did
            row = db.execute(*query).fetchone()
            if row[3] == "RECEIVED":
                self._settle(db, oid, account, row[1], json.loads(row[5]))
            return self.get_settled(db, oid)

    def get_settled(self, db: sqlite3.Connection, oid: str) -> WorldOrder:
        row = db.execute(
            f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?", (oid,),
        ).fetchone()
        return self._row(row)

    def _row(self, row: tuple) -> WorldOrder:
        completed = [self.details(n) for n in json.loads(row[6])]
        failed = [tuple(f) for f in json.loads(row[7])]
        complete_at = row[8] if len(row) > 8 else None
        return WorldOrder(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), completed, failed,
                          complete_at)

    def _settle(self, db: sqlite3.Connection, oid: str, account: str, kind: str, request: dict) -> None:
        numbers = request.get("numbers", [])
        completed, failed = [], []
        if kind == "order":
            taken = set(request.get("taken", []))
            for number in numbers:
                if number in taken:
                    failed.append((number, *UNAVAILABLE))
                else:
                    completed.append(number)
                    db.execute("UPDATE holds SET state = 'inservice' WHERE tn = ? AND order_id = ?",
                               (number, oid))
            if not numbers and "quantity" in request:
                failed.append(("", *NONE_FOUND))
            if request.get("partial_allowed") is False:
                completed, failed = self._all_or_nothing(db, oid, request, completed, failed)
        else:
            for number in numbers:
                cur = db.execute(
                    "UPDATE holds SET state = 'aging', order_id = ? "
                    "WHERE tn = ? AND account = ? AND state = 'inservice'", (oid, number, account),
                )
                if cur.rowcount:
                    completed.append(number)
                else:
                    failed.append((number, *NOT_OURS))
        status = "COMPLETE" if not failed else ("PARTIAL" if completed else "FAILED")
        db.execute("UPDATE orders SET status = ?, completed = ?, failed = ? WHERE id = ?",
                   (status, json.dumps(completed), json.dumps(failed), oid))

    @staticmethod
    def _all_or_nothing(db: sqlite3.Connection, oid: str, request: dict, completed: list[str],
                        failed: list) -> tuple[list[str], list]:
        """PartialAllowed=false: one failure (or a short search) fails every number and frees them."""
        short = len(request.get("numbers", [])) < int(request.get("quantity") or 0)
        if not completed or not (failed or short):
            return completed, failed
        db.execute("DELETE FROM holds WHERE order_id = ? AND state = 'inservice'", (oid,))
        refused = [(number, *NOT_PARTIAL) for number in completed]
        return [], failed + refused + ([("", *NONE_FOUND)] if short and not failed else [])

    def orders(self, account: str, kind: str = "order", customer_order_id: str | None = None) -> list[WorldOrder]:
        """An account's orders (or disconnects), oldest first; those due are settled on the way."""
        where, args = "account = ? AND kind = ?", [account, kind]
        if customer_order_id is not None:
            where, args = where + " AND customer_order_id = ?", [*args, customer_order_id]
        self.settle_due(account)
        with self._tx(write=False) as db:
            rows = db.execute(f"SELECT {ORDER_COLUMNS} FROM orders WHERE {where} ORDER BY created_at, id",
                              args).fetchall()
        return [self._row(row) for row in rows]

    def settle_due(self, account: str) -> int:
        """Settle an account's orders whose time has come, read or not (the HTTP emulator's clock)."""
        due_sql = ("SELECT id, kind, request FROM orders WHERE account = ? AND status = 'RECEIVED' "
                   "AND complete_at <= ? ORDER BY complete_at, created_at")
        now = self.clock()
        with self._tx(write=False) as db:
            if db.execute(due_sql + " LIMIT 1", (account, now)).fetchone() is None:
                return 0  # the common case: no write lock taken
        with self._tx() as db:
            due = db.execute(due_sql, (account, now)).fetchall()
            for oid, kind, request in due:
                self._settle(db, oid, account, kind, json.loads(request))
            return len(due)

    def set_reference(self, oid: str, account: str, reference: str | None, kind: str = "order") -> WorldOrder | None:
        """A new customer reference on an order (Telnyx's PATCH); None: no such order."""
        with self._tx() as db:
            changed = db.execute(
                "UPDATE orders SET customer_order_id = ?, request = json_set(request, '$.updated_at', ?) "
                "WHERE id = ? AND account = ? AND kind = ?", (reference, self.clock(), oid, account, kind),
            ).rowcount
        return self.get(oid, account, kind) if changed else None

    def update(self, oid: str, account: str, changes: dict[str, str | None], author: str) -> WorldOrder | None:
        """A new `name` and/or `customer_order_id` on an order (Bandwidth's PUT), kept in its history
        with what each was before; None: no such order. A change to the same value records nothing."""
        if self.get(oid, account) is None:  # settled first, so the history holds the status of the moment
            return None
        with self._tx() as db:
            coid, status, text = db.execute("SELECT customer_order_id, status, request FROM orders WHERE id = ?",
                                            (oid,)).fetchone()
            request = json.loads(text)
            before = {"name": request.get("name"), "customer_order_id": coid}
            changed = {k: [before[k], v] for k, v in changes.items() if before[k] != v}
            if changed:
                request["name"] = changes.get("name", before["name"])
                event = {"at": self.clock(), "author": author, "status": status, "changes": changed}
                request["history"] = [*request.get("history", []), event]
                db.execute("UPDATE orders SET customer_order_id = ?, request = ? WHERE id = ?",
                           (changes.get("customer_order_id", coid), json.dumps(request), oid))
        return self.get(oid, account)

    def add_note(self, oid: str, account: str, kind: str, user: str, text: str) -> int | None:
        """A note on an order or disconnect; its id, or None when there is no such order."""
        with self._tx() as db:
            if not self._exists(db, oid, account, kind):
                return None
            return db.execute("INSERT INTO notes (order_id, user_id, description, modified_at) VALUES (?, ?, ?, ?)",
                              (oid, user, text, self.clock())).lastrowid

    def notes(self, oid: str, account: str, kind: str) -> list[Note] | None:
        """An order's notes, oldest first; None: no such order."""
        with self._tx(write=False) as db:
            if not self._exists(db, oid, account, kind):
                return None
            rows = db.execute("SELECT id, user_id, description, modified_at FROM notes WHERE order_id = ? "
                              "ORDER BY id", (oid,)).fetchall()
        return [Note(*row) for row in rows]

    def edit_note(self, note_id: int, oid: str, user: str, text: str) -> bool:
        """A note's new text (notes are edited, never deleted); False: the order has no such note."""
        with self._tx() as db:
            return db.execute("UPDATE notes SET user_id = ?, description = ?, modified_at = ? "
                              "WHERE id = ? AND order_id = ?", (user, text, self.clock(), note_id, oid)).rowcount > 0

    @staticmethod
    def _exists(db: sqlite3.Connection, oid: str, account: str, kind: str) -> bool:
        query = "SELECT 1 FROM orders WHERE id = ? AND account = ? AND kind = ?"
        return db.execute(query, (oid, account, kind)).fetchone() is not None

    def find(self, customer_order_id: str, account: str, kind: str = "order") -> list[str]:
        with self._tx() as db:
            rows = db.execute(
                "SELECT id FROM orders WHERE customer_order_id = ? AND account = ? AND kind = ? "
                "ORDER BY created_at", (customer_order_id, account, kind),
            ).fetchall()
            return [r[0] for r in rows]

    def in_service(self, account: str) -> list[str]:
        """The account's numbers in service."""
        return [line.number for line in self.lines(account)]

    def settle_every_due(self) -> None:
        """Settle every account's due orders (reads across accounts, such as Bandwidth's `/tns`)."""
        with self._tx(write=False) as db:
            accounts = db.execute("SELECT DISTINCT account FROM orders WHERE status = 'RECEIVED' "
                                  "AND complete_at <= ?", (self.clock(),)).fetchall()
        for (account,) in accounts:
            self.settle_due(account)

    def holdings(self, number: str | None = None) -> list[Holding]:
        """Every number an account holds (a live reservation, being ordered, in service, aging after a
        disconnect), by number, with the order that last moved it (none for a reservation)."""
        where, args = ("h.tn = ?", [number]) if number else ("1", [])
        with self._tx(write=False) as db:
            rows = db.execute(
                "SELECT h.tn, h.state, h.account, h.order_id, h.expires_at, o.created_at, o.complete_at, "
                f"o.request FROM holds h LEFT JOIN orders o ON o.id = h.order_id WHERE {where} "
                "AND (h.state != 'reserved' OR h.expires_at > ?) ORDER BY h.tn", [*args, self.clock()],
            ).fetchall()
        return [Holding(tn, state, account, oid, expires, created, due, json.loads(request or "{}"))
                for tn, state, account, oid, expires, created, due, request in rows]

    def lines(self, account: str, states: tuple[str, ...] = ("inservice",)) -> list[Line]:
        """The account's numbers in `states` (`ordered`: being bought; `inservice`), each with the
        order that bought it."""
        marks = ", ".join("?" * len(states))
        with self._tx(write=False) as db:
            rows = db.execute(
                "SELECT h.tn, h.state, h.order_id, o.created_at, o.complete_at, o.request FROM holds h "
                f"LEFT JOIN orders o ON o.id = h.order_id WHERE h.account = ? AND h.state IN ({marks}) "
                "ORDER BY h.tn", (account, *states),
            ).fetchall()
        requests = {row[2]: row[5] for row in rows}  # an order's request is read once, not per number
        requests = {oid: json.loads(text or "{}") for oid, text in requests.items()}
        return [Line(tn, state, oid, created or 0.0, due or 0.0, requests[oid])
                for tn, state, oid, created, due, _ in rows]


@dataclass(frozen=True)
class Note:
    """A note someone left on an order or a disconnect."""

    id: int
    user_id: str
    description: str
    modified_at: float


@dataclass(frozen=True)
class Line:
    """A number an account owns, and the order that bought it."""

    number: str
    state: str  # ordered | inservice
    order_id: str
    ordered_at: float
    settled_at: float  # when the order completed (or will)
    request: dict = field(repr=False, hash=False, compare=False)

    @property
    def id(self) -> str:
        """A 19-digit id, the same while this purchase lasts (Telnyx's phone-number ids are numeric)."""
        digest = hashlib.sha256(f"{self.number}:{self.order_id}".encode()).digest()
        return str(10**18 + int.from_bytes(digest[:8], "big") % (9 * 10**18))


@dataclass(frozen=True)
class Holding:
    """A number some account holds, as Bandwidth's `/tns` reads it."""

    number: str
    state: str  # reserved | ordered | inservice | aging
    account: str
    order_id: str | None  # the order that bought it, or the disconnect that aged it; None when reserved
    expires_at: float | None  # a reservation's end
    ordered_at: float | None  # that order's creation
    settled_at: float | None  # when that order completed (or will)
    request: dict = field(repr=False, hash=False, compare=False)
