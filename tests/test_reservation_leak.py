"""A release the carrier never acted on is never taken for one (issue 14, point 11: nothing left held).

Seen in tests/test_many_hands.py on SQLite: the emulator's injected faults include a 200 whose body
is cut short, drawn before the world is touched. Answering `DELETE /tnreservation/{id}`, that 200
was taken as "released": the store forgot the row while the carrier still held the number, for
hours. A 200 whose body does not parse confirms nothing: the DELETE (harmless to repeat) is sent
again; one never confirmed stays recorded, and `orders poll` releases it later.

Two more ways a hold could go unrecorded, closed with it: a reserve request in flight longer than
its row's lease (the row, without a reservation id yet, was never renewed, so a poll concluded it
"not held" while its sender waited), and a lost answer after such a conclusion (the row was gone,
so nothing recorded that the request may have been granted).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from test_exactly_once import ACCT, TYPE, FakeBandwidth
from test_reservations_ahead import LosingBandwidth
from tnorder.clock import utcnow

THIRD = "9195550144"  # the third number the fakes find
CUT_SHORT = b'<?xml version="1.0" encoding="UTF-8"?><OrderResponse><OrderStatus>COMP'  # the emulator's own


class CuttingBandwidth(FakeBandwidth):
    """Answers the first DELETEs of chosen reservations with a 200 cut short, releasing nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.cut: dict[str, int] = {}  # reservation id -> how many DELETEs are answered cut short

    def __call__(self, request: httpx.Request) -> httpx.Response:
        rid = request.url.path.rsplit("/", 1)[1]
        if request.method == "DELETE" and "/tnreservation/" in request.url.path and self.cut.get(rid):
            self.calls.append((request.method, request.url.path))
            self.cut[rid] -= 1
            return httpx.Response(200, content=CUT_SHORT, headers={"Content-Type": "application/xml"})
        return super().__call__(request)


def configure(run, monkeypatch) -> None:
    monkeypatch.setenv("BW_USER", "apiuser")
    monkeypatch.setenv("BW_PASS", "pa55-w0rd")
    for args in (("config", "carrier", "add", "bw", "--kind", "bandwidth", "--option", "rate_limit_wait=0"),
                 ("config", "account", "add", "bw", "--carrier", "bw", "--account-id", "9900001", "--site-id", "1",
                  "--username-env", "BW_USER", "--password-env", "BW_PASS"),
                 ("config", "inventory-type", "add", TYPE, "--account", "bw")):
        assert run(*args).code == 0


@pytest.fixture
def cutting(httpx_mock, run, monkeypatch) -> CuttingBandwidth:
    bandwidth = CuttingBandwidth()
    httpx_mock.add_callback(bandwidth, is_reusable=True, is_optional=True)
    configure(run, monkeypatch)
    return bandwidth


def recorded(home) -> list[str]:
    with sqlite3.connect(home / "tnorder.db") as db:
        return [rid for (rid,) in db.execute("SELECT reservation_id FROM reservations ORDER BY reservation_id")]


def pick_first(run):
    return run("inventory", "order", "--type", TYPE, "--area-code", "919", "--quantity", "4", "--pick", "1", "--yes")


def test_a_release_answered_by_a_200_cut_short_is_sent_again(run, cutting, home):
    cutting.cut = {"rid-3": 1}
    placed = pick_first(run)
    assert placed.code == 0, placed.err
    assert set(cutting.reserved) == {"rid-1"}, "a hold the carrier kept, forgotten by the store"  # rid-1: ordered
    assert cutting.deletes().count("rid-3") == 2 and recorded(home) == []


def test_a_release_never_confirmed_stays_recorded_until_poll_releases_it(run, cutting, home):
    cutting.cut = {"rid-3": 99}
    placed = pick_first(run)
    assert placed.code == 0 and "could not be released" in placed.err, placed.err
    assert set(cutting.reserved) == {"rid-1", "rid-3"}
    assert recorded(home) == ["rid-3"]  # still held at the carrier: still known
    polled = run("orders", "poll")
    assert polled.code == 3 and "reservation of +19195550144 still held" in polled.err, polled.err
    assert recorded(home) == ["rid-3"]  # the poll's own release was not confirmed either: kept
    cutting.cut = {}
    assert run("orders", "poll").code == 0
    assert set(cutting.reserved) == {"rid-1"} and recorded(home) == []


def test_the_store_forgets_a_reservation_only_once_its_release_is_confirmed(run, cutting, home):
    """`orders poll` releasing a reservation left by a selection (the poll's release_stale path)."""
    cutting.cut = {"rid-3": 99}
    assert pick_first(run).code == 0
    cutting.cut = {"rid-3": 1}  # one answer cut short, then a real one
    polled = run("orders", "poll")
    assert polled.code == 0, polled.err
    assert set(cutting.reserved) == {"rid-1"} and recorded(home) == []
    assert cutting.deletes()[-2:] == ["rid-3", "rid-3"]  # cut short, sent again, released


class CuttingLookups(LosingBandwidth):
    """Loses the third reservation's answer; the first look for it again is answered cut short."""

    cut_lookups = 1

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.startswith("/api/tns/") and self.cut_lookups:
            self.cut_lookups -= 1
            return httpx.Response(200, content=CUT_SHORT, headers={"Content-Type": "application/xml"})
        return super().__call__(request)


def test_a_lost_grant_looked_for_through_an_answer_cut_short_is_asked_again(httpx_mock, run, monkeypatch, home):
    """Not a leak (the row stays), but the poll would fail (exit 3) on a transient answer."""
    bandwidth = CuttingLookups()
    httpx_mock.add_callback(bandwidth, is_reusable=True, is_optional=True)
    configure(run, monkeypatch)
    assert pick_first(run).code == 3  # the third reservation's answer lost: its row waits for the poll
    polled = run("orders", "poll")
    assert polled.code == 0, polled.err
    assert bandwidth.reserved == {} and recorded(home) == []


class SlowLosingBandwidth(LosingBandwidth):
    """The third number's reservation: `meanwhile` runs while its request is in flight (before the
    carrier grants it), then it is granted and its answer lost."""

    meanwhile: Callable[[], None] = staticmethod(lambda: None)
    granted = 0

    def _reserve(self, request: httpx.Request) -> httpx.Response:
        number = request.content.decode().split("<ReservedTn>")[1].split("<")[0]
        if number == THIRD:
            self.meanwhile()
        self.granted += 1
        rid = f"rid-{self.granted}"
        self.reserved[rid] = number
        if number == THIRD:
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(201, headers={"Location": f"https://x{ACCT}/tnreservation/{rid}"})


@pytest.fixture
def slow(httpx_mock, run, monkeypatch) -> SlowLosingBandwidth:
    bandwidth = SlowLosingBandwidth()
    httpx_mock.add_callback(bandwidth, is_reusable=True, is_optional=True)
    configure(run, monkeypatch)
    return bandwidth


def rows(home) -> list[tuple]:
    with sqlite3.connect(home / "tnorder.db") as db:
        return db.execute("SELECT number, status, owner IS NOT NULL FROM reservations ORDER BY id").fetchall()


def test_a_request_in_flight_keeps_its_lease_while_its_sender_waits(run, slow, home, monkeypatch):
    """A reserve slower than the lease (a carrier's 429s waited out, a slow answer): the sender is
    alive and waiting, so its row is renewed, and a poll meanwhile leaves it alone."""
    from tnorder.services import leases, reservations
    from tnorder.services.context import Context

    monkeypatch.setattr(leases, "LEASE", timedelta(seconds=0.6))

    class Quick(leases.Renewer):
        def __init__(self, renew: Callable[[], None]) -> None:
            super().__init__(renew, every=0.1)

    monkeypatch.setattr(leases, "Renewer", Quick)
    seen = []

    def poll_meanwhile() -> None:
        time.sleep(1.5)  # past the lease the row was written with
        seen.append(reservations.release_stale(Context()).released)
        seen.append(rows(home))

    slow.meanwhile = poll_meanwhile
    assert pick_first(run).code == 3  # the third reservation's answer lost
    assert seen[0] == []  # all three still their sender's: not concluded
    assert seen[1] == [("+19195550142", "held", True), ("+19195550143", "held", True),
                       ("+19195550144", "requesting", True)]
    assert run("orders", "poll").code == 0
    assert slow.reserved == {} and recorded(home) == []


def test_a_lost_answer_after_a_poller_concluded_its_row_is_recorded_again(run, slow, home):
    """The sender stalled past its lease (here: a poll five minutes on); the poller looked while the
    request was still on its way and concluded "not held"; the request was granted and its answer
    lost. The row is written again, waiting for its answer, so the next poll finds the hold."""
    from tnorder.services import reservations
    from tnorder.services.context import Context

    seen = []

    def poll_later() -> None:
        seen.append(reservations.release_stale(Context(), now=utcnow() + timedelta(minutes=5)).released)
        seen.append(rows(home))

    slow.meanwhile = poll_later
    assert pick_first(run).code == 3
    assert seen == [["+19195550142", "+19195550143"], []]  # the third: "not held" while on its way
    assert rows(home) == [("+19195550144", "requesting", False)]  # written again after the lost answer
    assert set(slow.reserved) == {"rid-3"}
    assert run("orders", "poll").code == 0
    assert slow.reserved == {} and recorded(home) == []
