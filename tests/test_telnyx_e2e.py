"""Whole flows through the CLI, the Telnyx plugin and the emulator's Telnyx face over a real socket:
lookup-and-order with a shortfall, request-and-wait, a partial order, a customer's line, reconcile
over 1,200 in-service numbers, and Ctrl-C at the selection prompt of `tnorder sim serve`.

(test_telnyx_emulator covers each criterion and a select/poll/disconnect round; test_telnyx_crash
the kills and faults; test_telnyx_bad_input_e2e the refusals.)"""

from __future__ import annotations

import io
import json
import os
import signal
import sys

import pexpect
import pytest

from tnorder.criteria import Criteria
from tnorder.sim.server import make_api, start

TYPE = "TX DIDs"
KEY = "KEYe2e-secret_77"
CUSTOMER, LINE = "C-2002", "fax"


def configure(run, url: str) -> None:
    for args in (("config", "carrier", "add", "tx", "--kind", "telnyx", "--url", url),
                 ("config", "account", "add", "txa", "--carrier", "tx", "--api-key-env", "TX_KEY"),
                 ("config", "inventory-type", "add", TYPE, "--account", "txa")):
        result = run(*args)
        assert result.code == 0, result.err


@pytest.fixture
def telnyx(run, tmp_path, monkeypatch):
    """The emulator in this process (its world at hand, its request log read back), checking the key."""
    log = io.StringIO()
    emu = start(make_api(tmp_path / "world.sqlite", complete_after=0, telnyx_key=KEY), log=log)
    emu.log = log
    monkeypatch.setenv("TX_KEY", KEY)
    configure(run, emu.telnyx_url)
    yield emu
    emu.stop()


def requests(emu, start: str) -> list[str]:
    return [line.split(" ", 1)[1] for line in emu.log.getvalue().splitlines() if line.split(" ", 1)[1:2]
            and line.split(" ", 1)[1].startswith(start)]


def test_lookup_and_order_with_a_shortfall_ends_partial_naming_it(run, telnyx):
    offered = run("inventory", "lookup", "--type", TYPE, "--npa-nxx", "919207", "--quantity", "1000", "--json").json()
    assert 0 < len(offered) < 1000  # the exchange holds fewer than asked: no check below is vacuous
    placed = run("inventory", "order", "--type", TYPE, "--npa-nxx", "919207", "--quantity", "1000", "--all",
                 "--yes", "--wait", "--json")
    doc = placed.json()
    assert (placed.code, doc["status"]) == (4, "partial"), placed.err
    assert f"asked 1000, completed {len(offered)}" in doc["error"]
    assert sorted(doc["numbers"]) == sorted(n["number"] for n in offered)
    assert len(requests(telnyx, "POST /telnyx/v2/number_orders")) == 1  # searched, then one order: no search-and-order


def test_request_and_wait_stays_pending_until_the_carrier_completes_it(run, tmp_path, monkeypatch):
    emu = start(make_api(tmp_path / "world.sqlite", complete_after=1.5, telnyx_key=KEY), quiet=True)
    monkeypatch.setenv("TX_KEY", KEY)
    try:
        configure(run, emu.telnyx_url)
        placed = run("inventory", "order", "--type", TYPE, "--area-code", "704", "--quantity", "2", "--all",
                     "--yes", "--json")
        assert placed.code == 0 and placed.json()["status"] == "pending", placed.err
        assert run("orders", "pending", "--json").json()[0]["order_ref"] == placed.json()["order_ref"]
        done = run("orders", "poll", "--wait", "--timeout", "30", "--json")
        assert done.code == 0, done.err
        listed = run("inventory", "list", "--type", TYPE, "--json").json()
        assert sorted(n["number"] for n in listed) == sorted(placed.json()["numbers"])
        assert {n["status"] for n in listed} == {"available"}
        assert sorted(emu.api.world.in_service("telnyx")) == sorted(placed.json()["numbers"])
    finally:
        emu.stop()


def test_a_number_sold_elsewhere_meanwhile_makes_the_order_partial(run, telnyx):
    shown = [n["number"] for n in run("inventory", "lookup", "--type", TYPE, "--area-code", "412", "--quantity", "3",
                                      "--json").json()]
    telnyx.api.world.order([shown[1]], "someone-else", None)  # the one world: bought through another face
    placed = run("inventory", "order", "--type", TYPE, "--numbers", ",".join(shown), "--yes", "--wait", "--json")
    doc = placed.json()
    assert (placed.code, doc["status"]) == (4, "partial"), placed.err
    assert [f["number"] for f in doc["failed"]] == [shown[1]] and doc["failed"][0]["reason"]
    listed = {n["number"]: n["status"] for n in run("inventory", "list", "--type", TYPE, "--json").json()}
    assert listed == {shown[0]: "available", shown[2]: "available"}  # the failed number never lands
    shown_order = run("orders", "show", doc["order_ref"])
    assert shown[1] in shown_order.out + shown_order.err


def test_add_from_carrier_assigns_to_the_line_after_poll(run, tmp_path, monkeypatch):
    emu = start(make_api(tmp_path / "world.sqlite", complete_after=1, telnyx_key=KEY), quiet=True)
    monkeypatch.setenv("TX_KEY", KEY)
    try:
        configure(run, emu.telnyx_url)
        assert run("customer", "add", CUSTOMER, "--name", "Initech").code == 0
        assert run("customer", "line", "add", CUSTOMER, LINE).code == 0
        placed = run("customer", "add-dids", CUSTOMER, "--line", LINE, "--type", TYPE, "--state", "OH",
                     "--quantity", "2", "--pick", "1,2", "--yes", "--json")
        assert placed.code == 0 and placed.json()["status"] == "pending", placed.err
        on_line = run("customer", "show", CUSTOMER, "--json").json()["lines"][0]["numbers"]
        assert {n["status"] for n in on_line} == {"pending"}
        assert run("orders", "poll", "--wait", "--timeout", "30").code == 0
        on_line = run("customer", "show", CUSTOMER, "--json").json()["lines"][0]["numbers"]
        assert sorted(n["number"] for n in on_line) == sorted(placed.json()["numbers"])
        assert {n["status"] for n in on_line} == {"assigned"}
        assert run("inventory", "reservations", "--json").json() == []  # both holds were used by the order
    finally:
        emu.stop()


def test_reconcile_reads_every_page_of_1200_in_service_numbers(run, telnyx, tmp_path):
    world = telnyx.api.world
    bought = [n.number for n in world.search(Criteria(state="TX"), 1200)]
    assert len(bought) == 1200
    world.get(world.order(bought, "telnyx", None).id, "telnyx")  # settled: in service at the account
    csv = tmp_path / "ours.csv"
    csv.write_text("number\n" + "\n".join(bought[:1000]) + "\n")
    assert run("inventory", "import", str(csv), "--type", TYPE).code == 0
    reconciled = run("inventory", "reconcile", "--type", TYPE, "--json")
    assert reconciled.code == 8, reconciled.err  # DESIGN: reconcile found a difference
    doc = reconciled.json()
    assert doc["agree"] is False and sorted(doc["carrier_only"]) == sorted(bought[1000:])
    pages = [r for r in requests(telnyx, "GET /telnyx/v2/phone_numbers?") if "status%5D=active" in r
             or "status]=active" in r]
    assert len(pages) == 5  # 250 a page


def spawn(*args: str) -> pexpect.spawn:
    return pexpect.spawn(sys.executable, ["-m", "tnorder", *args], env=dict(os.environ, COLUMNS="120"),
                         encoding="utf-8", timeout=30, dimensions=(50, 120))


def test_ctrl_c_at_the_selection_orders_nothing_and_shows_every_hold(run, emulator, monkeypatch):
    emu = emulator("--complete-after", "0", "--telnyx-key", KEY)
    monkeypatch.setenv("TX_KEY", KEY)
    configure(run, emu.url.removesuffix("/api") + "/telnyx/v2")
    child = spawn("inventory", "order", "--type", TYPE, "--area-code", "919", "--quantity", "4", "--select")
    child.expect("held for you")
    child.expect(r"Order which numbers\?")
    child.kill(signal.SIGINT)
    child.expect(pexpect.EOF)
    child.close()
    said = child.before
    assert child.exitstatus == 130 or child.signalstatus == signal.SIGINT, said
    holds = run("inventory", "reservations", "--json").json()
    assert len(holds) == 4 and {h["status"] for h in holds} == {"lapsing"}
    assert all(h["number"] in said for h in holds) and "cannot release a reservation" in said
    until = holds[0]["hold_until"][11:16]
    assert f"until {until} UTC" in said
    assert run("orders", "list", "--json").json() == []
    calls = {line.split()[1] + " " + line.split()[2].split("?")[0].rstrip("0123456789abcdef-/")
             for line in emu.log().splitlines() if " /telnyx/v2/" in line and "emulator on" not in line}
    assert calls == {"GET /telnyx/v2/available_phone_numbers", "POST /telnyx/v2/number_reservations"}, calls
    assert KEY not in said and KEY not in json.dumps(holds)
