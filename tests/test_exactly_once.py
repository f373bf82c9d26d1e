"""Exactly once: release never hides an order, unknown outcomes stay pending, keys name one request,
a stalled sender never races `orders poll`, config in use by a pending order stays.

The carrier here is the Bandwidth plugin in this process, its HTTP answered by a small fake
(pytest-httpx) whose failures each test chooses: a failed DELETE, a dropped POST, a missing
Location header, a malformed reservation answer.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta

import httpx
import pytest

from tnorder.clock import utcnow

TYPE = "BW DIDs"
ACCT = "/api/accounts/9900001"
FOUND = ["9195550142", "9195550143", "9195550144", "9195550145"]


class FakeBandwidth:
    """Enough of Bandwidth's v1 API for the ordering flows, with failures on demand."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.reserved: dict[str, str] = {}  # reservation id -> number
        self.delete_fails: dict[str, list[int]] = {}  # reservation id -> statuses to answer first
        self.order_fault: str | None = None  # "429", "drop", "no-location"
        self.bad_reservation_at: int | None = None
        self.orders: dict[str, str] = {}  # customer order id -> order id

    def __call__(self, request: httpx.Request) -> httpx.Response:
        method, path = request.method, request.url.path
        self.calls.append((method, path))
        if method == "GET" and path.endswith("/availableNumbers"):
            listed = "".join(f"<TelephoneNumber>{n}</TelephoneNumber>" for n in FOUND)
            return httpx.Response(200, text=f"<SearchResult><ResultCount>4</ResultCount><TelephoneNumberList>"
                                            f"{listed}</TelephoneNumberList></SearchResult>")
        if method == "POST" and path.endswith("/tnreservation"):
            return self._reserve(request)
        if method == "DELETE" and "/tnreservation/" in path:
            rid = path.rsplit("/", 1)[1]
            pending = self.delete_fails.get(rid)
            if pending:
                return httpx.Response(pending.pop(0), headers={"X-RateLimit-Reset": str(time.time() + 600)})
            self.reserved.pop(rid, None)
            return httpx.Response(200)
        if method == "POST" and path.endswith("/orders"):
            return self._order(request)
        if method == "GET" and path.endswith("/orders"):
            key = request.url.params.get("customerOrderId", "")
            oid = self.orders.get(key)
            body = (f"<ResponseSelectWrapper><ListOrderIdUserIdDate><TotalCount>{1 if oid else 0}</TotalCount>"
                    + (f"<OrderIdUserIdDate><CustomerOrderId>{key}</CustomerOrderId><orderId>{oid}</orderId>"
                       "<OrderStatus>RECEIVED</OrderStatus></OrderIdUserIdDate>" if oid else "")
                    + "</ListOrderIdUserIdDate></ResponseSelectWrapper>")
            return httpx.Response(200, text=body)
        if method == "GET" and "/orders/" in path:
            oid = path.rsplit("/", 1)[1]
            return httpx.Response(200, text=f"<OrderResponse><Order><id>{oid}</id></Order>"
                                            "<OrderStatus>RECEIVED</OrderStatus></OrderResponse>")
        return httpx.Response(404)

    def _reserve(self, request: httpx.Request) -> httpx.Response:
        if self.bad_reservation_at is not None and len(self.reserved) == self.bad_reservation_at:
            return httpx.Response(201, text="<html>maintenance</html>")  # created, but no Location to read
        rid = f"rid-{len(self.reserved) + 1}"
        number = request.content.decode().split("<ReservedTn>")[1].split("<")[0]
        self.reserved[rid] = number
        return httpx.Response(201, headers={"Location": f"https://x{ACCT}/tnreservation/{rid}"})

    def _order(self, request: httpx.Request) -> httpx.Response:
        if self.order_fault == "429":
            return httpx.Response(429, headers={"X-RateLimit-Reset": str(time.time() + 600)})
        key = request.content.decode().split("<CustomerOrderId>")[1].split("<")[0]
        oid = f"order-{len(self.orders) + 1}"
        self.orders[key] = oid
        if self.order_fault == "drop":
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        if self.order_fault == "no-location":
            return httpx.Response(201, text="<OrderResponse/>")
        return httpx.Response(201, headers={"Location": f"https://x{ACCT}/orders/{oid}"},
                              text=f"<OrderResponse><Order><id>{oid}</id><CustomerOrderId>{key}</CustomerOrderId>"
                                   "</Order><OrderStatus>RECEIVED</OrderStatus></OrderResponse>")

    def deletes(self) -> list[str]:
        return [path.rsplit("/", 1)[1] for method, path in self.calls if method == "DELETE"]


@pytest.fixture
def fake(httpx_mock, run, monkeypatch) -> FakeBandwidth:
    bandwidth = FakeBandwidth()
    httpx_mock.add_callback(bandwidth, is_reusable=True, is_optional=True)
    monkeypatch.setenv("BW_USER", "apiuser")
    monkeypatch.setenv("BW_PASS", "pa55-w0rd")
    for args in (("config", "carrier", "add", "bw", "--kind", "bandwidth", "--option", "rate_limit_wait=0"),
                 ("config", "account", "add", "bw", "--carrier", "bw", "--account-id", "9900001", "--site-id", "1",
                  "--username-env", "BW_USER", "--password-env", "BW_PASS"),
                 ("config", "inventory-type", "add", TYPE, "--account", "bw")):
        assert run(*args).code == 0
    return bandwidth


def pick(run, *extra: str):
    return run("inventory", "order", "--type", TYPE, "--area-code", "919", "--quantity", "4", "--pick", "1,2",
               "--yes", "--json", *extra)


def recorded(home) -> list[tuple[str, str]]:
    with sqlite3.connect(home / "tnorder.db") as db:
        return db.execute("SELECT reservation_id, number FROM reservations ORDER BY reservation_id").fetchall()


def test_release_failures_never_hide_the_order(run, fake, home):
    fake.delete_fails = {"rid-3": [429, 429, 429], "rid-4": [500, 500, 500]}
    placed = pick(run)
    assert placed.code == 0, placed.err
    order = placed.json()
    assert order["order_ref"] == "ORD-000001" and order["status"] == "pending"
    assert "could not be released" in placed.err and "+19195550144" in placed.err and "+19195550145" in placed.err
    assert "orders poll" in placed.err
    assert sorted(fake.deletes()).count("rid-4") >= 1  # every reservation was tried, not only the first
    assert recorded(home) == [("rid-3", "+19195550144"), ("rid-4", "+19195550145")]
    held = run("inventory", "reservations", "--json").json()
    assert [(r["number"], r["in_use"]) for r in held] == [("+19195550144", False), ("+19195550145", False)]
    fake.delete_fails = {}
    assert run("orders", "poll").code == 0  # a later poll releases them
    assert recorded(home) == [] and set(fake.reserved) == {"rid-1", "rid-2"}


def test_a_refused_order_releases_the_chosen_reservations_too(run, fake, home):
    fake.order_fault = "429"
    refused = pick(run)
    assert refused.code == 7, refused.err
    assert sorted(fake.deletes()) == ["rid-1", "rid-2", "rid-3", "rid-4"]
    assert recorded(home) == [] and fake.reserved == {}
    assert run("orders", "list", "--json").json() == []


def test_a_malformed_reservation_answer_releases_the_earlier_ones(run, fake, home):
    fake.bad_reservation_at = 2
    failed = pick(run)
    assert failed.code == 3, failed.err
    assert sorted(fake.deletes()) == ["rid-1", "rid-2"]
    assert fake.reserved == {}
    # created (201) with an unreadable id: its row, written ahead, stays for `orders poll` to settle
    assert recorded(home) == [(None, "+19195550144")] and "may have been granted" in failed.err


@pytest.mark.parametrize("fault", ["drop", "no-location"])
def test_an_unknown_outcome_is_pending_with_its_reference(run, fake, home, fault):
    fake.order_fault = fault
    placed = run("inventory", "order", "--type", TYPE, "--numbers", "9195550142", "--yes", "--json", "--key", "u-1")
    assert placed.code == 5, placed.err
    assert placed.json()["order_ref"] == "ORD-000001" and placed.json()["status"] == "submitting"
    assert "outcome unknown" in placed.err and "orders poll" in placed.err
    fake.order_fault = None
    polled = run("orders", "poll", "--json")  # found by its key at the carrier
    assert polled.code == 0, polled.err
    assert [(o["order_ref"], o["carrier_order_id"]) for o in polled.json()] == [("ORD-000001", "order-1")]
    assert list(fake.orders) == ["u-1"]  # never sent twice


def test_a_store_failure_after_the_send_is_an_unknown_outcome(run, fake, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from tnorder.services import placing

    def full(*_args):
        raise OperationalError("COMMIT", {}, Exception("database or disk is full"))

    monkeypatch.setattr(placing, "_record", full)
    placed = run("inventory", "order", "--type", TYPE, "--numbers", "9195550142", "--yes", "--json")
    assert placed.code == 5, placed.err
    assert "database or disk is full" in placed.err and placed.json()["order_ref"] == "ORD-000001"


def test_keys_are_stripped_and_found_again(run, fake):
    fake.order_fault = "drop"
    assert run("inventory", "order", "--type", TYPE, "--numbers", "9195550142", "--yes", "--key", "trail ").code == 5
    fake.order_fault = None
    assert list(fake.orders) == ["trail"]
    polled = run("orders", "poll", "--json").json()
    assert [o["key"] for o in polled] == ["trail"]


def test_a_key_reused_for_another_request_is_refused(run, fake):
    first = run("inventory", "order", "--type", TYPE, "--numbers", "9195550142", "--yes", "--key", "k-7", "--json")
    assert first.code == 0, first.err
    again = run("inventory", "order", "--type", TYPE, "--numbers", "9195550142", "--yes", "--key", "k-7", "--json")
    assert again.code == 0 and again.json()["order_ref"] == first.json()["order_ref"]
    other = run("inventory", "order", "--type", TYPE, "--numbers", "9195550143", "--yes", "--key", "k-7")
    assert other.code == 2 and "ORD-000001" in other.err and "another request" in other.err
    assert list(fake.orders) == ["k-7"]


def write_ahead(ctx, key: str):
    from tnorder.carriers.base import AvailableNumber
    from tnorder.services import ordering

    p = ordering.plan(ctx, inventory_type=TYPE, numbers=["+19195550142"], key=key)
    return p, ordering._write_ahead(ctx, p, "numbers", [AvailableNumber("+19195550142")])


def expire_lease(ctx, order_id: int) -> None:
    from tnorder.models import Order

    with ctx.store.write() as s:
        row = s.get(Order, order_id)
        row.lease_until = utcnow() - timedelta(seconds=1)
        row.created_at = utcnow() - timedelta(minutes=10)


def test_a_live_sender_is_never_concluded_and_a_stalled_one_does_not_send(run, fake):
    from tnorder.errors import Superseded
    from tnorder.services import placing
    from tnorder.services.context import Context

    ctx = Context()
    try:
        _, order = write_ahead(ctx, "stall-1")
        from tnorder.models import Order

        with ctx.store.write() as s:  # sent long ago by a slow sender, whose lease it still renews
            s.get(Order, order.id).created_at = utcnow() - timedelta(minutes=10)
        assert run("orders", "poll", "--json").json() == []  # its sender's lease lives: nothing concluded
        expire_lease(ctx, order.id)
        concluded = run("orders", "poll", "--json").json()
        assert [(o["order_ref"], o["status"]) for o in concluded] == [(order.ref, "failed")]
        with pytest.raises(Superseded):  # the paused sender wakes up: it checks before sending
            placing._claim(ctx, order)
    finally:
        ctx.close()
    assert fake.orders == {}


def test_an_order_the_carrier_holds_after_a_local_conclusion_is_reopened(run, fake, home):
    from tnorder.services.context import Context

    ctx = Context()
    try:
        _, order = write_ahead(ctx, "late-1")
        expire_lease(ctx, order.id)
    finally:
        ctx.close()
    assert run("orders", "poll", "--json").json()[0]["status"] == "failed"
    fake.orders["late-1"] = "order-late"  # the stalled sender's request reached the carrier after all
    reopened = run("orders", "poll", "--json")
    assert reopened.code == 0, reopened.err
    doc = reopened.json()[0]
    assert (doc["order_ref"], doc["status"], doc["carrier_order_id"]) == (order.ref, "pending", "order-late")
    assert "reopened" in doc["error"]


def test_config_used_by_a_pending_order_cannot_be_removed(run, fake):
    placed = run("inventory", "order", "--type", TYPE, "--numbers", "9195550142", "--yes", "--json")
    assert placed.code == 0 and placed.json()["status"] == "pending"
    for section, name in (("inventory-type", TYPE), ("account", "bw"), ("carrier", "bw")):
        refused = run("config", section, "remove", name)
        assert refused.code == 2 and "ORD-000001" in refused.err, (section, refused.err)


def test_poll_applies_every_order_it_can_and_exits_with_the_worst(run, fake, fast_sandbox, monkeypatch):
    assert run("inventory", "order", "--type", TYPE, "--numbers", "9195550142", "--yes").code == 0
    sandbox = run("inventory", "order", "--type", fast_sandbox, "--area-code", "704", "--quantity", "1", "--all",
                  "--yes", "--json").json()
    monkeypatch.delenv("BW_PASS")  # one account's credentials are gone
    polled = run("orders", "poll", "--json")
    assert polled.code == 2, polled.err
    assert [(o["order_ref"], o["status"]) for o in polled.json()] == [(sandbox["order_ref"], "complete")]
    assert "ORD-000001" in polled.err and "BW_PASS" in polled.err


def test_the_key_is_checked_again_under_the_write_lock(run, fake):
    """Two processes racing with one key and different requests: the second write-ahead refuses."""
    from tnorder.carriers.base import AvailableNumber
    from tnorder.errors import BadInput
    from tnorder.services import ordering
    from tnorder.services.context import Context

    ctx = Context()
    try:
        write_ahead(ctx, "race-1")
        p = ordering.plan(ctx, inventory_type=TYPE, numbers=["+19195550143"], key="race-1")
        with pytest.raises(BadInput, match="another request"):
            ordering._write_ahead(ctx, p, "numbers", [AvailableNumber("+19195550143")])
    finally:
        ctx.close()


def test_orders_concluded_never_reached_one_after_another_keep_their_own_numbers(run, fake):
    """Each conclusion is its own answer: one order's unsent numbers never show up on the next."""
    from tnorder.carriers.base import AvailableNumber
    from tnorder.services import ordering
    from tnorder.services.context import Context

    refs = []
    for key, number in (("lost-a", "+19195550142"), ("lost-b", "+19195550143")):
        ctx = Context()
        try:
            p = ordering.plan(ctx, inventory_type=TYPE, numbers=[number], key=key)
            order = ordering._write_ahead(ctx, p, "numbers", [AvailableNumber(number)])
            expire_lease(ctx, order.id)
        finally:
            ctx.close()
        assert run("orders", "poll").code == 3
        refs.append(order.ref)
    first, second = (run("orders", "show", ref, "--json").json() for ref in refs)
    assert [f["number"] for f in first["failed"]] == ["+19195550142"]
    assert [f["number"] for f in second["failed"]] == ["+19195550143"]
