"""Whole flows through the CLI, the Broadvox plugin and `tnorder sim serve` (its /broadvox face)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import pytest

import forkserver
from emulator import Emulator
from tnorder.carriers import broadvox_soap as soap

TYPE = "BVX DIDs"
SOAP_POST = "POST /broadvox "


def endpoint(emu: Emulator) -> str:
    return emu.url.removesuffix("/api") + "/broadvox"


def world_file(tmp_path: Path, index: int = 0) -> Path:
    return tmp_path / f"emulator-{index}" / "sandbox" / "world.sqlite"


@pytest.fixture
def broadvox(run, monkeypatch):
    """A `broadvox` carrier, account and inventory type pointed at an emulator."""

    def configure(emu: Emulator, *, name: str = "bvx", password: str = "Rehearsal-Pa55",
                  type_name: str = TYPE) -> None:
        monkeypatch.setenv("BVX_USER", "rehearsal")
        monkeypatch.setenv(f"BVX_PASS_{name.upper().replace('-', '_')}", password)
        if "bvx" not in run("config", "carrier", "list", "--json").out:
            assert run("config", "carrier", "add", "bvx", "--kind", "broadvox", "--url", endpoint(emu)).code == 0
        added = run("config", "account", "add", name, "--carrier", "bvx", "--username-env", "BVX_USER",
                    "--password-env", f"BVX_PASS_{name.upper().replace('-', '_')}")
        assert added.code == 0, added.err
        assert run("config", "inventory-type", "add", type_name, "--account", name).code == 0

    return configure


def lookup(cli, *criteria: str, quantity: int = 3) -> list[dict]:
    result = cli("inventory", "lookup", "--type", TYPE, *criteria, "--quantity", str(quantity), "--json")
    assert result.code == 0, result.err
    return result.json()


def soap_posts(emu: Emulator) -> int:
    return emu.log().count(SOAP_POST)


def test_lookup_by_area_code_rate_center_and_state(cli, emulator, broadvox):
    emu = emulator("--complete-after", "0")
    broadvox(emu)
    found = lookup(cli, "--area-code", "216")
    assert len(found) == 3
    assert all(n["number"].startswith("+1216") and n["state"] == "OH" and n["rate_center"] for n in found)
    center = found[0]["rate_center"]
    assert all(n["rate_center"] == center for n in lookup(cli, "--rate-center", center, "--state", "OH"))
    assert {n["state"] for n in lookup(cli, "--state", "WY", quantity=5)} == {"WY"}
    assert soap_posts(emu) == 3


def test_an_order_stays_pending_until_the_emulator_completes_it_and_poll_applies_it(cli, emulator, broadvox):
    emu = emulator("--complete-after", "6")
    broadvox(emu)
    placed = cli("inventory", "order", "--type", TYPE, "--area-code", "919", "--quantity", "2", "--all", "--yes",
                 "--json")
    placed_at = time.monotonic()
    assert placed.code == 0, placed.err
    doc = placed.json()
    assert doc["status"] == "pending" and doc["carrier_order_id"] and len(doc["numbers"]) == 2
    early = cli("orders", "poll", "--json")
    assert (early.code, early.json()) == (0, [])  # Broadvox still says Pending: nothing changes
    time.sleep(max(0.0, placed_at + 6.5 - time.monotonic()))
    pending = cli("orders", "pending", "--json").json()
    assert [o["order_ref"] for o in pending] == [doc["order_ref"]]  # done at the carrier, not applied until a poll
    polled = cli("orders", "poll", "--json")
    assert polled.code == 0, polled.err
    assert [(o["order_ref"], o["status"]) for o in polled.json()] == [(doc["order_ref"], "complete")]
    assert cli("orders", "pending", "--json").json() == []
    numbers = cli("inventory", "list", "--type", TYPE, "--json").json()
    assert sorted(n["number"] for n in numbers) == sorted(doc["numbers"])
    assert {n["status"] for n in numbers} == {"available"}


def take_first(emu: Emulator, number: str) -> None:
    """Another Broadvox customer orders `number` first (straight to the SOAP endpoint)."""
    body = soap.request(soap.DEFAULT_NAMESPACE, "SubmitDIDOrder", "someone-else", "x",
                        [("Reference", "theirs"), ("DIDs", [("DID", number[2:])])])
    answer = httpx.post(endpoint(emu), content=body, headers={
        "Content-Type": soap.CONTENT_TYPE, "SOAPAction": soap.soap_action(soap.DEFAULT_NAMESPACE, "SubmitDIDOrder")})
    assert answer.status_code == 200 and b"RequestID" in answer.content


def test_a_partially_completed_order_exits_4_and_shows_the_failed_number(cli, emulator, broadvox):
    emu = emulator("--complete-after", "0")
    broadvox(emu)
    shown = lookup(cli, "--area-code", "617", quantity=2)
    taken = shown[0]["number"]
    take_first(emu, taken)
    both = ",".join(n["number"] for n in shown)
    placed = cli("inventory", "order", "--type", TYPE, "--numbers", both, "--yes", "--wait", "--json")
    assert placed.code == 4, placed.err
    assert placed.json()["status"] == "partial"
    shown_order = cli("orders", "show", placed.json()["order_ref"])
    assert shown_order.code == 4
    assert f"{taken} failed:" in shown_order.out and "unavailable" in shown_order.out
    assert [n["number"] for n in cli("inventory", "list", "--json").json()] == [shown[1]["number"]]


def test_a_rejected_order_exits_3(cli, emulator, broadvox):
    emu = emulator("--complete-after", "0")
    broadvox(emu)
    (only,) = lookup(cli, "--area-code", "303", quantity=1)
    take_first(emu, only["number"])
    placed = cli("inventory", "order", "--type", TYPE, "--numbers", only["number"], "--yes", "--wait", "--json")
    assert placed.code == 3, placed.err
    assert placed.json()["status"] == "failed" and placed.json()["failed"][0]["number"] == only["number"]
    assert cli("inventory", "list", "--json").json() == []


def test_lookup_and_select_orders_only_the_picked_numbers(cli, emulator, broadvox):
    emu = emulator("--complete-after", "0")
    broadvox(emu)
    placed = cli("inventory", "order", "--type", TYPE, "--state", "OH", "--quantity", "3", "--pick", "2",
                 "--yes", "--wait", "--json")
    assert placed.code == 0, placed.err
    assert len(placed.json()["completed"]) == 1
    assert "released" not in placed.err  # nothing was held, so nothing to release
    assert soap_posts(emu) == 3  # DIDSearch, SubmitDIDOrder, OrderDetails


def test_zip_is_refused_before_anything_is_sent(cli, emulator, broadvox):
    emu = emulator("--complete-after", "0")
    broadvox(emu)
    for command in (("inventory", "lookup"), ("inventory", "order", "--all", "--yes")):
        result = cli(*command, "--type", TYPE, "--zip", "44101")
        assert result.code == 2, result.err
        assert result.out == "" and len(result.err.strip().splitlines()) == 1
        assert "broadvox" in result.err and "--zip" in result.err and "--area-code" in result.err
    assert soap_posts(emu) == 0
    assert cli("orders", "list", "--json").json() == []


def test_disconnect_is_refused_before_anything_is_sent(cli, emulator, broadvox):
    emu = emulator("--complete-after", "0")
    broadvox(emu)
    placed = cli("inventory", "order", "--type", TYPE, "--area-code", "216", "--quantity", "1", "--all", "--yes",
                 "--wait", "--json")
    assert placed.code == 0, placed.err
    number = placed.json()["completed"][0]
    sent = soap_posts(emu)
    gone = cli("inventory", "disconnect", number, "--yes", "--json")
    assert gone.code == 2, gone.err
    assert gone.out == "" and "with the carrier directly" in gone.err
    assert soap_posts(emu) == sent
    assert cli("inventory", "show", number, "--json").json()["status"] == "available"
    assert [o["kind"] for o in cli("orders", "list", "--json").json()] == ["purchase"]


def test_a_killed_clients_order_is_found_again_by_its_reference(cli, emulator, broadvox, tmp_path):
    # the emulator answers 1.5 s after doing the work: the client dies with the request taken; the
    # order completes 20 s later, well after the first poll even on a loaded machine (8 s was not)
    emu = emulator("--complete-after", "20", "--latency-ms", "1500")
    broadvox(emu)
    args = ["inventory", "order", "--type", TYPE, "--numbers", "+12164420142", "--key", "crash-1", "--yes"]
    client = forkserver.tnorder(*args, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        request_id = wait_for_request(world_file(tmp_path), "crash-1")
    finally:
        client.kill()
        client.wait(10)
    assert client.returncode != 0
    (lost,) = cli("orders", "pending", "--json").json()
    assert (lost["status"], lost["carrier_order_id"], lost["key"]) == ("submitting", None, "crash-1")

    found = cli("orders", "poll", "--json")  # ActiveRequestList -> Reference crash-1 -> OrderDetails
    assert found.code == 0, found.err
    assert [(o["order_ref"], o["status"], o["carrier_order_id"]) for o in found.json()] == [
        (lost["order_ref"], "pending", request_id)]
    done = cli("orders", "poll", "--wait", "--timeout", "60", "--json")
    assert done.code == 0, done.err
    assert [(o["order_ref"], o["status"]) for o in done.json()] == [(lost["order_ref"], "complete")]
    assert cli("inventory", "show", "+12164420142", "--json").json()["status"] == "available"
    with sqlite3.connect(world_file(tmp_path)) as db:  # never ordered twice
        assert db.execute("SELECT count(*) FROM orders WHERE customer_order_id = 'crash-1'").fetchone()[0] == 1


def wait_for_request(path: Path, reference: str, timeout: float = 30) -> str:
    """The emulator's id of the request sent with `reference`, once the world holds it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                row = db.execute("SELECT id FROM orders WHERE customer_order_id = ?", (reference,)).fetchone()
            if row:
                return row[0]
        time.sleep(0.05)
    raise AssertionError(f"no request with reference {reference} reached the emulator")


def test_config_test_reports_every_account_and_fails_on_wrong_credentials(cli, emulator, broadvox):
    emu = emulator("--username", "rehearsal", "--password", "Right-Pa55")
    broadvox(emu, name="bvx-good", password="Right-Pa55", type_name="Good")
    broadvox(emu, name="bvx-wrong", password="Wrong-Pa55", type_name="Wrong")
    result = cli("config", "test")
    assert result.code == 6, result.err
    assert result.out.splitlines()[0].startswith("bvx-good: ok (Broadvox endpoint")
    (failure,) = result.err.strip().splitlines()
    assert failure.startswith("bvx-wrong: failed:") and "authentication failed" in failure
    assert "Pa55" not in result.out + result.err
    looked = cli("inventory", "lookup", "--type", "Wrong", "--state", "OH", "--json")
    assert looked.code == 6 and "Wrong-Pa55" not in looked.err


def test_config_test_of_every_account_passes(cli, emulator, broadvox):
    emu = emulator()
    broadvox(emu)
    result = cli("config", "test")
    assert result.code == 0, result.err
    assert result.out.startswith("bvx: ok") and result.err == ""


def test_reconcile_reads_inventory_list(cli, emulator, broadvox, tmp_path):
    """InventoryList feeds `inventory reconcile`: a number tnorder believes in but Broadvox does not hold."""
    emu = emulator("--complete-after", "0")
    broadvox(emu)
    placed = cli("inventory", "order", "--type", TYPE, "--area-code", "216", "--quantity", "2", "--all", "--yes",
                 "--wait", "--json")
    assert placed.code == 0, placed.err
    assert cli("inventory", "reconcile", "--type", TYPE).code == 0
    ghost = tmp_path / "ghost.csv"
    ghost.write_text("2165550177\n", encoding="utf-8")
    assert cli("inventory", "import", "--type", TYPE, str(ghost)).code == 0
    differ = cli("inventory", "reconcile", "--type", TYPE, "--json")
    assert differ.code == 8, differ.err
    assert differ.json()["tnorder_only"] == ["+12165550177"]  # the ordered two are in its InventoryList
