"""Add from Carrier and reconcile through the Bandwidth plugin and `tnorder sim serve` over a real socket."""
# ruff: noqa: F811 - the fixture imported from test_bandwidth_e2e is named as a test argument

from __future__ import annotations

import httpx

from test_bandwidth_e2e import TYPE, bandwidth, lookup  # noqa: F401 - a fixture

CUSTOMER, LINE = "C-1001", "trunk-a"


def setup_customer(cli) -> None:
    assert cli("customer", "add", CUSTOMER, "--name", "Globex").code == 0
    assert cli("customer", "line", "add", CUSTOMER, LINE).code == 0


def on_line(cli) -> dict[str, str]:
    lines = cli("customer", "show", CUSTOMER, "--json").json()["lines"]
    return {n["number"]: n["status"] for n in lines[0]["numbers"]}


def test_add_dids_all_and_numbers_land_assigned_through_poll(cli, emulator, bandwidth):
    emu = emulator("--complete-after", "1")
    bandwidth(emu.url)
    setup_customer(cli)
    placed = cli("customer", "add-dids", CUSTOMER, "--line", LINE, "--type", TYPE, "--area-code", "919",
                 "--quantity", "2", "--all", "--yes", "--json")
    assert placed.code == 0, placed.err
    assert placed.json()["status"] == "pending"
    shown = lookup(cli, "--area-code", "704", quantity=1)
    by_number = cli("customer", "add-dids", CUSTOMER, "--line", LINE, "--type", TYPE,
                    "--numbers", shown[0]["number"], "--yes", "--json")
    assert by_number.code == 0, by_number.err
    assert on_line(cli)[shown[0]["number"]] == "pending"
    done = cli("orders", "poll", "--wait", "--timeout", "30", "--json")
    assert done.code == 0, done.err
    numbers = on_line(cli)
    assert len(numbers) == 3 and set(numbers.values()) == {"assigned"}
    assert emu.log().count("POST /api/accounts/9900001/orders 201") == 2


def test_add_dids_pick_releases_the_rest_at_the_carrier(cli, emulator, bandwidth):
    emu = emulator("--complete-after", "0")
    bandwidth(emu.url)
    setup_customer(cli)
    placed = cli("customer", "add-dids", CUSTOMER, "--line", LINE, "--type", TYPE, "--area-code", "415",
                 "--quantity", "3", "--pick", "2", "--yes", "--wait", "--json")
    assert placed.code == 0, placed.err
    assert list(on_line(cli).values()) == ["assigned"]
    assert emu.log().count("DELETE /api/accounts/9900001/tnreservation/") == 2


def test_reconcile_against_the_emulator(cli, emulator, bandwidth, tmp_path):
    emu = emulator("--complete-after", "0")
    bandwidth(emu.url)
    placed = cli("inventory", "order", "--type", TYPE, "--area-code", "312", "--quantity", "2", "--all", "--yes",
                 "--wait")
    assert placed.code == 0, placed.err
    assert cli("inventory", "reconcile", "--type", TYPE).code == 0
    # the same account orders a number through the carrier's portal, behind tnorder's back
    extra = lookup(cli, "--area-code", "206", quantity=1)[0]["number"]
    portal = httpx.post(f"{emu.url}/accounts/9900001/orders", auth=("rehearsal", "Rehearsal-Pa55"), content=(
        "<Order><SiteId>4410</SiteId><ExistingTelephoneNumberOrderType><TelephoneNumberList>"
        f"<TelephoneNumber>{extra[2:]}</TelephoneNumber></TelephoneNumberList></ExistingTelephoneNumberOrderType>"
        "</Order>"), headers={"Content-Type": "application/xml"})
    assert portal.status_code == 201
    ghost = tmp_path / "ghost.csv"
    ghost.write_text("number\n(206) 555-0188\n", encoding="utf-8")
    assert cli("inventory", "import", "--type", TYPE, str(ghost)).code == 0
    differ = cli("inventory", "reconcile", "--type", TYPE, "--json")
    assert differ.code == 8, differ.err
    doc = differ.json()
    assert (doc["carrier_only"], doc["tnorder_only"]) == ([extra], ["+12065550188"])
    assert "GET /api/accounts/9900001/sites/4410/inserviceNumbers" in emu.log()  # the site's own list
    listed = emu.log().count("/inserviceNumbers")
    assert cli("inventory", "reconcile", "--type", TYPE, "--fix", "--yes").code == 0
    assert emu.log().count("/inserviceNumbers") == listed + 1  # the carrier's list is read once
    assert cli("inventory", "reconcile", "--type", TYPE).code == 0
