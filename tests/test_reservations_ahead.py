"""Reservations written ahead (issue 14, points 11 and 14): a reservation's row exists before its
request leaves, so a kill at any step, a lost answer or a locked store leaves nothing held that
tnorder does not know, and `orders poll` settles it; what cannot be released is a warning and exit 3.

Steps paused (`TNORDER_TEST_PAUSE_AT`): `reserve-before-send` (row written, nothing sent),
`reserve-before-record` (the carrier granted it, the store does not know its id yet) and
`reserve-after-grant` (recorded as held, shown to the operator, not ordered).
"""

from __future__ import annotations

import signal
import socket
import sqlite3
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from lockstep import paused
from test_exactly_once import FakeBandwidth
from test_exactly_once import fake as fake  # a fixture: Bandwidth's v1 API faked in this process
from tnorder.clock import utcnow

CUSTOMER, LINE = "ACME-1", "main"
STEPS = ["reserve-before-send", "reserve-before-record", "reserve-after-grant"]


def held_at_sandbox(home: Path) -> int:
    with sqlite3.connect(home / "sandbox" / "world.sqlite") as db:
        return db.execute("SELECT count(*) FROM holds WHERE state = 'reserved'").fetchone()[0]


def recorded(home: Path) -> list[tuple]:
    with sqlite3.connect(home / "tnorder.db") as db:
        return db.execute("SELECT number, status, reservation_id FROM reservations ORDER BY id").fetchall()


@pytest.fixture
def acme(run, fast_sandbox):
    assert run("customer", "add", CUSTOMER, "--name", "Acme Corp").code == 0
    assert run("customer", "line", "add", CUSTOMER, LINE).code == 0
    return fast_sandbox


def rows_in(store_url: str) -> int:
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM reservations")).scalar_one()
    finally:
        engine.dispose()


@pytest.mark.parametrize("step", STEPS)
def test_kill_9_at_each_step_of_a_reservation_then_poll_holds_nothing(cli, store_url, acme, home, step):
    with paused(step, "customer", "add-dids", CUSTOMER, "--line", LINE, "--type", acme, "--area-code", "919",
                "--quantity", "3", "--pick", "1", "--yes") as stopped:
        assert held_at_sandbox(home) == (0 if step == "reserve-before-send" else 1)
        assert rows_in(store_url) == 1  # written ahead: the store knows of it at every step
        stopped.proc.send_signal(signal.SIGKILL)
        stopped.proc.wait(10)
    polled = cli("orders", "poll")
    assert polled.code == 0, polled.err
    assert held_at_sandbox(home) == 0
    assert cli("inventory", "reservations", "--json").json() == []
    assert cli("orders", "list", "--json").json() == []  # killed before anything was ordered


@pytest.mark.parametrize("step", STEPS)
def test_kill_9_at_each_step_of_a_reservation_at_the_emulators_bandwidth(cli, run, emulator, monkeypatch, step):
    """The same through a real socket: a grant whose id was never recorded is found by its number."""
    emu = emulator("--complete-after", "0")
    monkeypatch.setenv("BW_USER", "u")
    monkeypatch.setenv("BW_PASS", "p")
    for args in (("config", "carrier", "add", "bw", "--kind", "bandwidth", "--url", emu.url),
                 ("config", "account", "add", "bw", "--carrier", "bw", "--account-id", "9900001", "--site-id", "1",
                  "--username-env", "BW_USER", "--password-env", "BW_PASS"),
                 ("config", "inventory-type", "add", "BW", "--account", "bw")):
        assert run(*args).code == 0
    with paused(step, "inventory", "order", "--type", "BW", "--area-code", "919", "--quantity", "3",
                "--pick", "1", "--yes") as stopped:
        stopped.proc.send_signal(signal.SIGKILL)
        stopped.proc.wait(10)
    assert held_at_sandbox(emu.home) == (0 if step == "reserve-before-send" else 1)
    polled = cli("orders", "poll")
    assert polled.code == 0, polled.err
    assert held_at_sandbox(emu.home) == 0
    assert cli("inventory", "reservations", "--json").json() == []


class LosingBandwidth(FakeBandwidth):
    """Grants the third reservation and loses its answer; answers `GET /tns/{tn}/tnreservation`."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path.startswith("/api/tns/") and path.endswith("/tnreservation"):
            number = path.split("/")[3]
            rid = next((rid for rid, held in self.reserved.items() if held == number), None)
            if rid is None:
                return httpx.Response(404)
            return httpx.Response(200, text=f"<TNReservation><ReservationID>{rid}</ReservationID>"
                                            f"<Account>9900001</Account><ReservedTN>{number}</ReservedTN>"
                                            "</TNReservation>")
        return super().__call__(request)

    def _reserve(self, request: httpx.Request) -> httpx.Response:
        answer = super()._reserve(request)
        if len(self.reserved) == 3:  # granted, and the answer never arrives
            raise httpx.ReadTimeout("timed out", request=request)
        return answer


@pytest.fixture
def losing(httpx_mock, run, monkeypatch) -> LosingBandwidth:
    bandwidth = LosingBandwidth()
    httpx_mock.add_callback(bandwidth, is_reusable=True, is_optional=True)
    monkeypatch.setenv("BW_USER", "apiuser")
    monkeypatch.setenv("BW_PASS", "pa55-w0rd")
    for args in (("config", "carrier", "add", "bw", "--kind", "bandwidth", "--option", "rate_limit_wait=0"),
                 ("config", "account", "add", "bw", "--carrier", "bw", "--account-id", "9900001", "--site-id", "1",
                  "--username-env", "BW_USER", "--password-env", "BW_PASS"),
                 ("config", "inventory-type", "add", "BW DIDs", "--account", "bw")):
        assert run(*args).code == 0
    return bandwidth


def test_a_lost_reserve_answer_at_bandwidth_is_found_again_by_number_and_released(run, losing, home):
    placed = run("inventory", "order", "--type", "BW DIDs", "--area-code", "919", "--quantity", "4",
                 "--pick", "1", "--yes")
    assert placed.code == 3, placed.err
    assert "did not complete" in placed.err and "may have been granted" in placed.err
    assert sorted(losing.reserved) == ["rid-3"]  # the two recorded ones were released, the lost one is held
    assert recorded(home) == [("+19195550144", "requesting", None)]
    [row] = run("inventory", "reservations", "--json").json()
    assert row["status"] == "requesting" and not row["in_use"] and row["hold_until"]
    polled = run("orders", "poll")
    assert polled.code == 0, polled.err
    assert losing.reserved == {} and recorded(home) == []
    assert losing.deletes()[-1] == "rid-3"  # found again by its number, released by its id


def lose_sandbox_answers(monkeypatch):
    """The sandbox grants each reservation and its answer is lost."""
    from tnorder.carriers.sandbox import SandboxCarrier
    from tnorder.errors import CarrierUnreachable

    granted = SandboxCarrier.reserve

    def lost(self, numbers):
        granted(self, numbers)
        raise CarrierUnreachable(self.name, "POST /tnreservation did not complete: ReadTimeout")

    monkeypatch.setattr(SandboxCarrier, "reserve", lost)
    return lambda: monkeypatch.setattr(SandboxCarrier, "reserve", granted)


def add_one(run, itype: str):
    return run("customer", "add-dids", CUSTOMER, "--line", LINE, "--type", itype, "--area-code", "919",
               "--quantity", "2", "--pick", "1", "--yes")


def test_a_lost_reserve_answer_at_the_sandbox_is_found_again_and_released(run, acme, home, monkeypatch):
    restore = lose_sandbox_answers(monkeypatch)
    placed = add_one(run, acme)
    assert placed.code == 3 and "may have been granted" in placed.err, placed.err
    assert held_at_sandbox(home) == 1
    restore()
    polled = run("orders", "poll")
    assert polled.code == 0, polled.err
    assert held_at_sandbox(home) == 0 and recorded(home) == []


def test_where_the_carrier_cannot_be_asked_it_may_be_held_until_its_expiry(run, acme, home, monkeypatch):
    from tnorder.carriers.base import Carrier
    from tnorder.carriers.sandbox import SandboxCarrier
    from tnorder.services import reservations
    from tnorder.services.context import Context

    restore = lose_sandbox_answers(monkeypatch)
    assert add_one(run, acme).code == 3
    restore()
    monkeypatch.setattr(SandboxCarrier, "find_reservation", Carrier.find_reservation)  # Unsupported
    polled = run("orders", "poll")
    assert polled.code == 0, polled.err  # nothing to do but wait: a warning, not an alert
    [line] = [line for line in polled.err.splitlines() if "may be held" in line]
    until = utcnow() + timedelta(hours=4)
    assert f"may be held at fast until {until:%H}:" in line and line.endswith("the carrier lets it go then)")
    later = reservations.release_stale(Context(), now=utcnow() + timedelta(hours=4, minutes=1))
    assert later.maybe_held == [] and recorded(home) == []  # the carrier let it go: dropped


def test_the_store_locked_when_a_reserve_returns_releases_it_and_says_so(run, acme, home, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from tnorder.services import leases, reservations

    def locked(*_args):
        raise OperationalError("UPDATE reservations", {}, Exception("database is locked"))

    recording = reservations._record_grant
    monkeypatch.setattr(reservations, "_record_grant", locked)
    # the row's owner: a process of this host that has exited (this test runs tnorder in-process)
    monkeypatch.setattr(leases, "owner", lambda: f"{socket.gethostname()}:999999999")
    placed = run("customer", "add-dids", CUSTOMER, "--line", LINE, "--type", acme, "--area-code", "919",
                 "--quantity", "2", "--pick", "1", "--yes")
    assert placed.code == 10, placed.err
    assert len(placed.err.strip().splitlines()) == 1 and "unexpected" not in placed.err
    assert "database is locked" in placed.err and "released it at" in placed.err
    assert held_at_sandbox(home) == 0
    monkeypatch.setattr(reservations, "_record_grant", recording)
    assert run("orders", "poll").code == 0  # the row written ahead: looked for, nothing held, dropped
    assert recorded(home) == []


def test_poll_exits_3_while_a_reservation_cannot_be_released(run, fake, home):
    fake.delete_fails = {"rid-4": [429] * 30}
    placed = run("inventory", "order", "--type", "BW DIDs", "--area-code", "919", "--quantity", "4",
                 "--pick", "1", "--yes")
    assert placed.code == 0 and "could not be released" in placed.err, placed.err
    for args in (("orders", "poll"), ("orders", "poll", "--wait", "--timeout", "1"),
                 ("inventory", "reservations", "--release")):
        polled = run(*args)
        assert polled.code == 3, (args, polled.err)
        assert "reservation of +19195550145 still held" in polled.err
    fake.delete_fails = {}
    assert run("orders", "poll").code == 0
    assert recorded(home) == []


def test_a_store_of_the_last_schema_keeps_its_reservations(store_url, home):
    """m005 on a store holding a reservation recorded the old way (SQLite rebuilds the table)."""
    from tnorder.migrations import MIGRATIONS
    from tnorder.store import Store

    home.mkdir(parents=True, exist_ok=True)
    raw = create_engine(store_url)
    with raw.begin() as conn:
        conn.execute(text("CREATE TABLE migrations (name VARCHAR(200) PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"))
        for name, fn in MIGRATIONS[:4]:
            fn(conn, raw.dialect.name)
            conn.execute(text("INSERT INTO migrations VALUES (:n, '2026-01-01 00:00:00')"), {"n": name})
        conn.execute(text(
            "INSERT INTO reservations (carrier, account, reservation_id, number, created_at, updated_at) "
            "VALUES ('bw', 'bw', 'rid-9', '+19195550100', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
    raw.dispose()
    store = Store(store_url)
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT reservation_id, number, status, hold_until FROM reservations")).all()
    store.close()
    assert [tuple(r) for r in rows] == [("rid-9", "+19195550100", "held", None)]


def found_answer(account: str = "9900001") -> str:
    return (f"<TNReservation><ReservationID>rid-7</ReservationID><Account>{account}</Account>"
            "<ReservationExpires>14000</ReservationExpires><ReservedTN>9195550142</ReservedTN></TNReservation>")


@pytest.mark.parametrize(("status", "body", "found"), [
    (200, found_answer(), "rid-7"), (200, found_answer("4400002"), None), (404, "", None)])
def test_bandwidth_finds_a_reservation_by_its_number(httpx_mock, home, monkeypatch, status, body, found):
    """`GET /tns/{tn}/tnreservation` (outside the account's path); another account's hold is not ours."""
    import test_bandwidth_plugin as v1
    import test_bandwidth_v2_plugin as v2
    from tnorder.carriers.base import Reservation

    monkeypatch.setenv("BW_USER", "apiuser")
    monkeypatch.setenv("BW_PASS", "pa55-w0rd-secret")
    monkeypatch.setenv("BW_CLIENT", "client-abc")
    monkeypatch.setenv("BW_SECRET", "client-s3cret-value")
    httpx_mock.add_response(method="GET", url=f"{v1.BASE}/tns/9195550142/tnreservation", status_code=status, text=body)
    expected = Reservation(found, "+19195550142") if found else None
    assert v1.carrier(home).find_reservation("+19195550142") == expected
    v2.token(httpx_mock)
    httpx_mock.add_response(method="GET", url=f"{v2.BASE}/tns/%2B19195550142/tnreservation", status_code=status,
                            text=body)
    assert v2.carrier(home).find_reservation("+19195550142") == expected


def test_a_grant_after_a_poller_concluded_its_row_is_recorded_again(run, acme, home):
    """A sender stalled past its lease (another host): the poller concludes "not held" under the
    write lock; the grant that arrives after is written again, never left unknown."""
    from tnorder.services import reservations
    from tnorder.services.context import Context

    [shown] = run("inventory", "lookup", "--type", acme, "--area-code", "919", "--quantity", "1", "--json").json()
    ctx = Context()
    carrier = ctx.carrier("fast")
    row = reservations.ask(ctx, carrier, "fast", shown["number"])
    with ctx.store.begin() as conn:
        conn.execute(text("UPDATE reservations SET owner = 'elsewhere:1', lease_until = '2000-01-01 00:00:00'"))
    assert reservations.release_stale(ctx).released == [] and recorded(home) == []
    held = carrier.reserve([shown["number"]])
    reservations.granted(ctx, row, carrier, "fast", held)
    assert recorded(home) == [(shown["number"], "held", held[0].id)]
    assert reservations.release_stale(ctx).released == []  # its lease (renewed by the grant) is alive
    ctx.close()


def test_a_lost_request_never_releases_another_operators_hold_on_the_number(run, acme, home):
    """A row asking for N whose sender died, while another operator (alive) holds N: the hold found
    at the carrier is the other's; it stays, and the dead request's row goes."""
    from tnorder.services import reservations
    from tnorder.services.context import Context

    [shown] = run("inventory", "lookup", "--type", acme, "--area-code", "919", "--quantity", "1", "--json").json()
    number = shown["number"]
    ctx = Context()
    carrier = ctx.carrier("fast")
    dead = reservations.ask(ctx, carrier, "fast", number)
    with ctx.store.begin() as conn:
        conn.execute(text("UPDATE reservations SET owner = :o WHERE id = :i"),
                     {"o": f"{socket.gethostname()}:999999999", "i": dead})
    other = reservations.ask(ctx, carrier, "fast", number)
    held = carrier.reserve([number])
    reservations.granted(ctx, other, carrier, "fast", held)
    out = reservations.release_stale(ctx)
    assert out.released == [] and held_at_sandbox(home) == 1
    assert recorded(home) == [(number, "held", held[0].id)]
    ctx.close()


def test_poll_with_nothing_pending_exits_3_while_a_reservation_cannot_be_released(run, acme, home, monkeypatch):
    from tnorder.carriers.sandbox import SandboxCarrier
    from tnorder.errors import CarrierError

    releasing = SandboxCarrier.release

    def refuse(self, held):
        raise CarrierError(self.name, "cannot unreserve", "5047")

    monkeypatch.setattr(SandboxCarrier, "release", refuse)
    assert add_one(run, acme).code == 0
    assert run("orders", "poll").code == 3  # completes the order; the other number is still held
    assert run("orders", "pending", "--json").json() == []
    polled = run("orders", "poll")
    assert polled.code == 3 and "still held: fast error 5047: cannot unreserve" in polled.err, polled.err
    monkeypatch.setattr(SandboxCarrier, "release", releasing)
    assert run("orders", "poll").code == 0 and held_at_sandbox(home) == 0
