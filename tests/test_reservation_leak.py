"""A release the carrier never acted on is never taken for one (issue 14, point 11: nothing left held).

Seen in tests/test_many_hands.py on SQLite: the emulator's injected faults include a 200 whose body
is cut short, drawn before the world is touched. Answering `DELETE /tnreservation/{id}`, that 200
was taken as "released": the store forgot the row while the carrier still held the number, for
hours. A 200 whose body does not parse confirms nothing: the DELETE (harmless to repeat) is sent
again; one never confirmed stays recorded, and `orders poll` releases it later.
"""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from test_exactly_once import TYPE, FakeBandwidth
from test_reservations_ahead import LosingBandwidth

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


@pytest.fixture
def cutting(httpx_mock, run, monkeypatch) -> CuttingBandwidth:
    bandwidth = CuttingBandwidth()
    httpx_mock.add_callback(bandwidth, is_reusable=True, is_optional=True)
    monkeypatch.setenv("BW_USER", "apiuser")
    monkeypatch.setenv("BW_PASS", "pa55-w0rd")
    for args in (("config", "carrier", "add", "bw", "--kind", "bandwidth", "--option", "rate_limit_wait=0"),
                 ("config", "account", "add", "bw", "--carrier", "bw", "--account-id", "9900001", "--site-id", "1",
                  "--username-env", "BW_USER", "--password-env", "BW_PASS"),
                 ("config", "inventory-type", "add", TYPE, "--account", "bw")):
        assert run(*args).code == 0
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
    monkeypatch.setenv("BW_USER", "apiuser")
    monkeypatch.setenv("BW_PASS", "pa55-w0rd")
    for args in (("config", "carrier", "add", "bw", "--kind", "bandwidth", "--option", "rate_limit_wait=0"),
                 ("config", "account", "add", "bw", "--carrier", "bw", "--account-id", "9900001", "--site-id", "1",
                  "--username-env", "BW_USER", "--password-env", "BW_PASS"),
                 ("config", "inventory-type", "add", TYPE, "--account", "bw")):
        assert run(*args).code == 0
    assert pick_first(run).code == 3  # the third reservation's answer lost: its row waits for the poll
    polled = run("orders", "poll")
    assert polled.code == 0, polled.err
    assert bandwidth.reserved == {} and recorded(home) == []
