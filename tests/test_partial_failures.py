"""Partial failures settled: a request that certainly never left is a plain carrier error; a
disconnect concluded locally is rechecked; after the send the reference is never lost; rechecks
of concluded orders never fail a quiet `orders poll`.
"""

from __future__ import annotations

import socket
import sqlite3
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tnorder.clock import utcnow

TYPE = "BW DIDs"
NUMBER = "+19195550142"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed: connecting is refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def bandwidth(run, monkeypatch):
    """A `bandwidth` carrier, account and inventory type at `url` (OAuth2 unless `basic`)."""

    def configure(url: str, *options: str, basic: bool = False) -> None:
        for name, value in (("BW_USER", "u"), ("BW_PASS", "p"), ("BW_CLIENT", "ci"), ("BW_SECRET", "S3cret")):
            monkeypatch.setenv(name, value)
        flags = [arg for option in ("rate_limit_wait=0", *options) for arg in ("--option", option)]
        assert run("config", "carrier", "add", "bw", "--kind", "bandwidth", "--url", url, *flags).code == 0
        creds = (["--username-env", "BW_USER", "--password-env", "BW_PASS"] if basic
                 else ["--client-id-env", "BW_CLIENT", "--client-secret-env", "BW_SECRET"])
        added = run("config", "account", "add", "bw", "--carrier", "bw", "--account-id", "9900001",
                    "--site-id", "1", *creds)
        assert added.code == 0, added.err
        assert run("config", "inventory-type", "add", TYPE, "--account", "bw").code == 0

    return configure


def world_orders(emu) -> int:
    with sqlite3.connect(Path(emu.home) / "sandbox" / "world.sqlite") as db:
        return db.execute("SELECT count(*) FROM orders").fetchone()[0]


def assert_nothing_left(run) -> None:
    """Nothing recorded, nothing blocked: no order, no number, the config free to change."""
    assert run("orders", "list", "--json").json() == []
    assert run("inventory", "list", "--json").json() == []
    assert run("orders", "poll").code == 0
    removed = run("config", "inventory-type", "remove", TYPE)
    assert removed.code == 0, removed.err


# -- point 9: certainly not sent vs maybe sent ----------------------------------------------

@pytest.mark.parametrize("how", [("--numbers", "9195550142"), ("--area-code", "919", "--quantity", "2", "--all")])
def test_connection_refused_is_a_carrier_error_that_records_nothing(run, bandwidth, how):
    bandwidth(f"http://127.0.0.1:{closed_port()}/api", basic=True)
    placed = run("inventory", "order", "--type", TYPE, *how, "--yes", "--json", "--key", "refused-1")
    assert placed.code == 3, placed.err
    assert "nothing reached the carrier" in placed.err and "outcome unknown" not in placed.err
    assert_nothing_left(run)


def test_an_unreachable_token_endpoint_sends_nothing_and_records_nothing(run, emulator, bandwidth):
    emu = emulator("--complete-after", "0", "--client-id", "ci", "--client-secret", "S3cret")
    bandwidth(emu.url, f"token_url=http://127.0.0.1:{closed_port()}/api/v1/oauth2/token")
    placed = run("inventory", "order", "--type", TYPE, "--numbers", "9195550142", "--yes", "--key", "tok-1")
    assert placed.code == 3, placed.err
    assert "token endpoint unreachable" in placed.err and "nothing was sent" in placed.err
    assert "outcome unknown" not in placed.err
    assert world_orders(emu) == 0
    assert_nothing_left(run)


def test_a_failed_tls_handshake_sends_nothing_and_records_nothing(run, emulator, bandwidth):
    emu = emulator("--complete-after", "0")  # it speaks plain HTTP: a TLS client hello gets no handshake
    bandwidth(emu.url.replace("http://", "https://"), basic=True)
    placed = run("inventory", "order", "--type", TYPE, "--numbers", "9195550142", "--yes", "--key", "tls-1")
    assert placed.code == 3, placed.err
    assert "nothing reached the carrier" in placed.err and "outcome unknown" not in placed.err
    assert world_orders(emu) == 0
    assert_nothing_left(run)


class Failing:
    """Bandwidth's order create failing with one chosen transport error; everything else 404."""

    def __init__(self, error: type[httpx.HTTPError]) -> None:
        self.error = error
        self.posts = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/orders"):
            self.posts += 1
            raise self.error("simulated", request=request)
        return httpx.Response(404)


@pytest.mark.parametrize(("error", "code"), [(httpx.ConnectError, 3), (httpx.ConnectTimeout, 3),
                                             (httpx.ReadTimeout, 5), (httpx.RemoteProtocolError, 5),
                                             (httpx.WriteError, 5)])
def test_only_errors_after_bytes_may_have_left_are_outcome_unknown(run, httpx_mock, bandwidth, error, code):
    fake = Failing(error)
    httpx_mock.add_callback(fake, is_reusable=True, is_optional=True)
    bandwidth("https://bw.invalid/api", basic=True)
    placed = run("inventory", "order", "--type", TYPE, "--numbers", "9195550142", "--yes", "--json")
    assert placed.code == code, placed.err
    assert fake.posts == 1  # a create is never sent twice
    pending = run("orders", "pending", "--json").json()
    if code == 3:
        assert pending == [] and run("inventory", "list", "--json").json() == []
    else:
        assert [o["status"] for o in pending] == ["submitting"] and "outcome unknown" in placed.err


@pytest.mark.parametrize(("error", "code"), [(httpx.ConnectError, 3), (httpx.ReadError, 5)])
def test_a_plugin_letting_an_http_error_through_is_judged_the_same(run, bandwidth, monkeypatch, error, code):
    """A third-party plugin may not wrap httpx's errors: one from before the send still sent nothing."""
    from tnorder.carriers.bandwidth import BandwidthCarrier

    def raw(self, numbers, key, reservations=None):
        raise error("simulated")

    monkeypatch.setattr(BandwidthCarrier, "order", raw)
    bandwidth("https://bw.invalid/api", basic=True)
    placed = run("inventory", "order", "--type", TYPE, "--numbers", "9195550142", "--yes")
    assert placed.code == code, placed.err
    assert len(run("orders", "list", "--json").json()) == (0 if code == 3 else 1)


# -- point 14: rechecks of concluded orders never fail a quiet poll --------------------------

class FindByKey:
    """Bandwidth's order list by CustomerOrderId: empty, or failing on demand."""

    def __init__(self) -> None:
        self.failing = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/orders"):
            if self.failing:
                raise httpx.ConnectError("simulated", request=request)
            return httpx.Response(200, text="<ResponseSelectWrapper><ListOrderIdUserIdDate><TotalCount>0"
                                            "</TotalCount></ListOrderIdUserIdDate></ResponseSelectWrapper>")
        return httpx.Response(404)


def concluded_never_reached(run, numbers: list[str]) -> None:
    """Orders whose sender died before sending: `orders poll` concludes them, then rechecks them."""
    from tnorder.carriers.base import AvailableNumber
    from tnorder.models import Order
    from tnorder.services import ordering
    from tnorder.services.context import Context

    ctx = Context()
    try:
        for number in numbers:
            p = ordering.plan(ctx, inventory_type=TYPE, numbers=[number], key=f"lost-{number[-4:]}")
            order = ordering._write_ahead(ctx, p, "numbers", [AvailableNumber(number)])
            with ctx.store.write() as s:  # its sender is long gone
                row = s.get(Order, order.id)
                row.lease_until = utcnow() - timedelta(seconds=1)
                row.created_at = utcnow() - timedelta(minutes=10)
    finally:
        ctx.close()
    concluded = run("orders", "poll", "--json")
    assert concluded.code == 3 and {o["status"] for o in concluded.json()} == {"failed"}, concluded.err


@pytest.fixture
def rechecked(run, httpx_mock, bandwidth) -> FindByKey:
    fake = FindByKey()
    httpx_mock.add_callback(fake, is_reusable=True, is_optional=True)
    bandwidth("https://bw.invalid/api", basic=True)
    concluded_never_reached(run, [NUMBER, "+19195550143"])
    assert run("orders", "poll").code == 0  # asked again by key: still nothing, nothing to say
    return fake


def test_an_account_that_cannot_be_opened_for_rechecks_is_one_warning(run, rechecked, monkeypatch):
    monkeypatch.delenv("BW_PASS")
    polled = run("orders", "poll")
    assert polled.code == 0, polled.err
    warnings = [line for line in polled.err.splitlines() if "recheck" in line]
    assert len(warnings) == 1 and "2 concluded order(s)" in warnings[0] and "'bw'" in warnings[0], polled.err


def test_a_carrier_failing_rechecks_does_not_fail_a_quiet_poll(run, rechecked):
    rechecked.failing = True
    polled = run("orders", "poll", "--json")
    assert polled.code == 0 and polled.json() == [], polled.err
    assert polled.err.count("could not recheck") == 1


# -- point 12: after the send, the reference is never lost ------------------------------------

def disk_full(*_args, **_kwargs):
    from sqlalchemy.exc import OperationalError

    raise OperationalError("UPDATE orders", {}, Exception("database or disk is full"))


def test_a_full_disk_while_waiting_prints_the_reference_and_exits_5(run, fast_sandbox, monkeypatch):
    from tnorder.services import orders

    claim = orders.claim
    monkeypatch.setattr(orders, "claim", disk_full)  # the first write after the order was recorded
    placed = run("inventory", "order", "--type", fast_sandbox, "--area-code", "704", "--quantity", "1", "--all",
                 "--yes", "--json", "--wait", "--timeout", "5")
    assert placed.code == 5, placed.err
    assert placed.json()["order_ref"] == "ORD-000001"
    assert "ORD-000001 was sent" in placed.err and "disk is full" in placed.err and "orders poll" in placed.err
    monkeypatch.setattr(orders, "claim", claim)  # room again
    polled = run("orders", "poll", "--json")
    assert polled.code == 0 and polled.json()[0]["status"] == "complete", polled


def test_a_store_that_can_neither_record_nor_be_read_still_names_the_order(run, fast_sandbox, monkeypatch):
    from tnorder.services import orders, placing

    monkeypatch.setattr(placing, "_record", disk_full)
    monkeypatch.setattr(orders, "find", disk_full)
    placed = run("inventory", "order", "--type", fast_sandbox, "--area-code", "704", "--quantity", "1", "--all",
                 "--yes", "--json")
    assert placed.code == 5, placed.err
    assert placed.json()["order_ref"] == "ORD-000001" and placed.json()["status"] == "submitting"
    assert "outcome unknown" in placed.err and "ORD-000001 was sent" in placed.err


# -- point 10: a disconnect concluded locally is rechecked, and reopened -----------------------

def carrier_finishes(emu) -> None:
    """The emulated carrier completes what it is working on now (its orders are due at once)."""
    with sqlite3.connect(Path(emu.home) / "sandbox" / "world.sqlite") as db:
        db.execute("UPDATE orders SET complete_at = 0 WHERE status = 'RECEIVED'")


def recheck_until(home: Path, ref: str):
    with sqlite3.connect(home / "tnorder.db") as db:
        return db.execute("SELECT recheck_until FROM orders WHERE ref = ?", (ref,)).fetchone()[0]


@pytest.mark.parametrize("window", ["open", "passed"])
def test_a_disconnect_concluded_while_the_carrier_works_on_it_is_reopened(run, emulator, bandwidth, home, window):
    from lockstep import paused

    emu = emulator("--complete-after", "3600")
    bandwidth(emu.url, basic=True)
    assert run("inventory", "order", "--type", TYPE, "--area-code", "704", "--quantity", "1", "--all",
               "--yes").code == 0
    carrier_finishes(emu)
    assert run("orders", "poll").code == 0
    number = run("inventory", "list", "--json").json()[0]["number"]
    # the disconnect reaches the carrier, which starts on it; its sender dies before recording the answer
    with paused("before-record", "inventory", "disconnect", number, "--yes", "--key", "dc-1") as sender:
        sender.proc.kill()
        sender.proc.wait()
    concluded = run("orders", "poll", "--json")
    assert concluded.code == 3, concluded.err
    [doc] = concluded.json()
    assert doc["status"] == "failed" and "never took effect" in doc["error"]
    assert run("inventory", "show", number, "--json").json()["status"] == "available"
    assert recheck_until(home, doc["order_ref"]) is not None  # asked about again for a day
    assert run("orders", "poll", "--json").json() == []  # still in service: nothing found, nothing said
    if window == "passed":  # a day later (the store's clock moved on): no longer asked about
        with sqlite3.connect(home / "tnorder.db") as db:
            db.execute("UPDATE orders SET recheck_until = '2026-01-01 00:00:00.000000' WHERE ref = ?",
                       (doc["order_ref"],))
    carrier_finishes(emu)  # the carrier disconnects it after all
    if window == "passed":
        assert run("orders", "poll", "--json").json() == []
        assert run("inventory", "show", number, "--json").json()["status"] == "available"  # reconcile finds it
        return
    reopened = run("orders", "poll", "--json")
    assert reopened.code == 0, reopened.err
    [doc] = reopened.json()
    assert (doc["order_ref"], doc["status"], doc["completed"]) == (concluded.json()[0]["order_ref"], "complete",
                                                                   [number])
    assert "reopened" in doc["error"]
    shown = run("inventory", "show", number, "--json").json()
    assert shown["status"] == "disconnected" and shown["history"][-1]["event"] == "disconnected", shown
    assert recheck_until(home, doc["order_ref"]) is None
    assert run("orders", "poll", "--json").json() == []


def test_a_store_failure_after_the_send_anywhere_names_the_order(run, fast_sandbox, monkeypatch):
    """Releasing the numbers not picked, after the order was sent: the store fails; exit 5, named."""
    from tnorder.services import ordering

    monkeypatch.setattr(ordering.Selection, "release_rest", disk_full)
    placed = run("inventory", "order", "--type", fast_sandbox, "--area-code", "704", "--quantity", "2",
                 "--pick", "1", "--yes", "--json")
    assert placed.code == 5, placed.err
    assert "order ORD-000001 was sent" in placed.err and "orders poll" in placed.err
    assert run("orders", "show", "ORD-000001", "--json").json()["status"] == "pending"
