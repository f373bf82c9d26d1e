"""`inventory reconcile --fix` never undoes what others did while the carrier's list was read (issue 14,
points 5 and 6): the process is paused between reading the list and the write transaction that
fixes, another command moves a number meanwhile, and the fix leaves that number alone."""

from __future__ import annotations

import json
import os

import pexpect
import pytest

import forkserver
from lockstep import paused

FAST = "Fast DIDs"
CUSTOMER, LINE = "ACME", "main"
GHOST = "+19195550199"  # tnorder believes in it; the carrier never had it: something to fix


@pytest.fixture
def differing(cli, fast_sandbox, store_url, tmp_path):
    """A fast sandbox type with a customer's line, and one number only tnorder holds."""
    assert cli("customer", "add", CUSTOMER, "--name", "Acme").code == 0
    assert cli("customer", "line", "add", CUSTOMER, LINE).code == 0
    ghost = tmp_path / "ghost.csv"
    ghost.write_text("9195550199\n", encoding="utf-8")
    assert cli("inventory", "import", "--type", FAST, str(ghost)).code == 0
    return store_url


def show(cli, number: str) -> dict:
    shown = cli("inventory", "show", number, "--json")
    assert shown.code == 0, shown.err
    return shown.json()


def test_an_order_completing_for_a_customer_meanwhile_is_left_on_the_customer(cli, differing):
    """Point 5: a number bought for a customer after the list was read is not marked disconnected."""
    with paused("reconcile-listed", "inventory", "reconcile", "--type", FAST, "--fix", "--yes", "--json") as p:
        bought = cli("customer", "add-dids", CUSTOMER, "--line", LINE, "--type", FAST, "--area-code", "919",
                     "--quantity", "1", "--all", "--yes", "--wait", "--json")
        assert bought.code == 0, bought.err
    code, out, err = p.result()
    assert code == 0, err
    listed = cli("inventory", "list", "--all-statuses", "--json").json()
    number = next(n["number"] for n in listed if n["number"] != GHOST)
    held = show(cli, number)
    assert (held["status"], held["customer"], held["line"]) == ("assigned", CUSTOMER, LINE)
    assert "reconciled" not in [h["event"] for h in held["history"]]
    doc = json.loads(out)
    assert doc["fixed"] is True and doc["tnorder_only"] == [GHOST]
    assert number in {s["number"] for s in doc["skipped"]} and number in err
    assert show(cli, GHOST)["status"] == "disconnected"  # what was compared is still fixed
    assert cli("inventory", "reconcile", "--type", FAST).code == 0  # a fresh list: they agree


def test_a_disconnect_meanwhile_does_not_come_back_available(cli, differing):
    """Point 5: a number disconnected after the list was read (the list still had it) stays disconnected."""
    assert cli("inventory", "order", "--type", FAST, "--area-code", "202", "--quantity", "1", "--all", "--yes",
               "--wait").code == 0
    number = next(n["number"] for n in cli("inventory", "list", "--json").json() if n["number"] != GHOST)
    with paused("reconcile-listed", "inventory", "reconcile", "--type", FAST, "--fix", "--yes", "--json") as p:
        gone = cli("inventory", "disconnect", number, "--yes", "--wait")
        assert gone.code == 0, gone.err
    code, out, err = p.result()
    assert code == 0, err
    assert json.loads(out)["status_mismatch"] == []
    held = show(cli, number)
    assert held["status"] == "disconnected"
    assert [h["event"] for h in held["history"]][-1] == "disconnected"
    assert cli("inventory", "reconcile", "--type", FAST).code == 0


def test_a_number_on_a_customer_line_is_taken_off_only_with_force(cli, fast_sandbox, tmp_path):
    """Never off a customer without --force: named, left as it is, exit 8 (they still differ)."""
    assert cli("customer", "add", CUSTOMER, "--name", "Acme").code == 0
    assert cli("customer", "line", "add", CUSTOMER, LINE).code == 0
    ghost = tmp_path / "ghost.csv"
    ghost.write_text(f"number,customer,line\n9195550199,{CUSTOMER},{LINE}\n9195550198,,\n", encoding="utf-8")
    assert cli("inventory", "import", "--type", FAST, str(ghost)).code == 0
    kept = cli("inventory", "reconcile", "--type", FAST, "--fix", "--yes", "--json")
    assert kept.code == 8, kept.err
    assert kept.json()["on_customer"] == [{"number": GHOST, "customer": CUSTOMER, "line": LINE}]
    assert GHOST in kept.err and "--force" in kept.err
    assert show(cli, GHOST)["status"] == "assigned"
    assert show(cli, "+19195550198")["status"] == "disconnected"  # the rest is fixed
    forced = cli("inventory", "reconcile", "--type", FAST, "--fix", "--yes", "--force")
    assert forced.code == 0, forced.err
    held = show(cli, GHOST)
    assert (held["status"], held["customer"]) == ("disconnected", None)


def test_force_without_fix_is_refused(run, fast_sandbox):
    refused = run("inventory", "reconcile", "--type", FAST, "--force")
    assert refused.code == 2 and len(refused.err.strip().splitlines()) == 1 and "--fix" in refused.err


def test_the_prompt_shows_what_will_change_before_asking(cli, fast_sandbox, tmp_path):
    ghost = tmp_path / "ghost.csv"
    ghost.write_text("9195550199\n", encoding="utf-8")
    assert cli("inventory", "import", "--type", FAST, str(ghost)).code == 0
    child = forkserver.spawn("inventory", "reconcile", "--type", FAST, "--fix",
                          env=dict(os.environ, COLUMNS="120"), encoding="utf-8", timeout=60)
    child.expect(r"Fix \d+ number")
    assert "+19195550199" in child.before  # the differences first
    child.expect(r"\[y/N\]")
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 8
    assert show(cli, GHOST)["status"] == "available"  # declined: nothing fixed


def test_an_order_completing_while_the_question_is_open_is_left_alone(cli, differing):
    """Point 5: the confirmation prompt is the same window as the list's read; yes fixes only the rest."""
    child = forkserver.spawn("inventory", "reconcile", "--type", FAST, "--fix",
                          env=dict(os.environ, COLUMNS="120"), encoding="utf-8", timeout=60)
    child.expect(r"\[y/N\]")
    bought = cli("customer", "add-dids", CUSTOMER, "--line", LINE, "--type", FAST, "--area-code", "919",
                 "--quantity", "1", "--all", "--yes", "--wait")
    assert bought.code == 0, bought.err
    child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    number = next(n["number"] for n in cli("inventory", "list", "--all-statuses", "--json").json()
                  if n["number"] != GHOST)
    held = show(cli, number)
    assert (held["status"], held["customer"]) == ("assigned", CUSTOMER)
    assert show(cli, GHOST)["status"] == "disconnected"


def test_a_number_of_an_order_under_way_is_left_to_poll(cli, home, store_url):
    """Point 5: complete at the carrier, not yet polled: adopting it would turn the customer's order
    into a conflict; it is skipped, and `orders poll` lands it on the customer's line."""
    import sqlite3

    from tnorder.sim.world import World

    assert cli("config", "carrier", "add", "slow", "--kind", "sandbox", "--option", "complete_after=600").code == 0
    assert cli("config", "account", "add", "slow", "--carrier", "slow").code == 0
    assert cli("config", "inventory-type", "add", "Slow DIDs", "--account", "slow").code == 0
    assert cli("customer", "add", CUSTOMER, "--name", "Acme").code == 0
    assert cli("customer", "line", "add", CUSTOMER, LINE).code == 0
    placed = cli("customer", "add-dids", CUSTOMER, "--line", LINE, "--type", "Slow DIDs", "--area-code", "919",
                 "--quantity", "1", "--all", "--yes", "--json")
    assert placed.code == 0 and placed.json()["status"] == "pending", placed.err
    with sqlite3.connect(home / "sandbox" / "world.sqlite") as db:  # the carrier completes it now
        db.execute("UPDATE orders SET complete_at = 0")
    World(home / "sandbox" / "world.sqlite").settle_due("slow")
    fixed = cli("inventory", "reconcile", "--type", "Slow DIDs", "--fix", "--yes", "--json")
    assert fixed.code == 0, fixed.err
    doc = fixed.json()
    assert doc["carrier_only"] == [] and len(doc["skipped"]) == 1 and "orders poll" in doc["skipped"][0]["reason"]
    assert cli("orders", "poll", "--json").code == 0
    number = doc["skipped"][0]["number"]
    held = show(cli, number)
    assert (held["status"], held["customer"], held["line"]) == ("assigned", CUSTOMER, LINE)


def test_a_number_another_account_holds_is_never_adopted_one_it_gave_up_is(cli, fast_sandbox, home, tmp_path):
    """The carrier's list never takes a number from another carrier account in tnorder; a number
    that account disconnected and this one now has in service is adopted."""
    import sqlite3

    from tnorder.sim.world import World

    assert cli("config", "carrier", "add", "other", "--kind", "sandbox").code == 0
    assert cli("config", "account", "add", "other", "--carrier", "other").code == 0
    assert cli("config", "inventory-type", "add", "Other DIDs", "--account", "other").code == 0
    found = cli("inventory", "lookup", "--type", FAST, "--area-code", "919", "--quantity", "2", "--json").json()
    theirs, given_up = found[0]["number"], found[1]["number"]
    listing = tmp_path / "other.csv"
    listing.write_text(f"{theirs}\n{given_up}\n", encoding="utf-8")
    assert cli("inventory", "import", "--type", "Other DIDs", str(listing)).code == 0
    with sqlite3.connect(home / "tnorder.db") as db:
        db.execute("UPDATE numbers SET status = 'disconnected' WHERE number = ?", (given_up,))
    world = World(home / "sandbox" / "world.sqlite", complete_after=0)
    world.order([theirs, given_up], "fast", "portal-order")  # both in service on fast's account
    world.settle_due("fast")
    fixed = cli("inventory", "reconcile", "--type", FAST, "--fix", "--yes", "--json")
    assert fixed.code == 0, fixed.err
    assert fixed.json()["carrier_only"] == [given_up], (fixed.out, fixed.err)
    assert [s["number"] for s in fixed.json()["skipped"]] == [theirs] and theirs in fixed.err
    assert (show(cli, theirs)["account"], show(cli, theirs)["status"]) == ("other", "available")
    assert (show(cli, given_up)["account"], show(cli, given_up)["status"]) == ("fast", "available")


# -- point 6: one Bandwidth account, several tnorder accounts ---------------------------------
@pytest.fixture
def sites(run, monkeypatch, emulator):
    """Accounts on one Bandwidth account (9900001): `add(name, site)` adds one with its inventory type."""
    monkeypatch.setenv("BW_USER", "rehearsal")
    monkeypatch.setenv("BW_PASS", "Rehearsal-Pa55")
    emu = emulator("--complete-after", "0")
    assert run("config", "carrier", "add", "bw", "--kind", "bandwidth", "--url", emu.url).code == 0

    def add(name: str, site: str | None) -> str:
        where = ["--site-id", site] if site else []
        added = run("config", "account", "add", name, "--carrier", "bw", "--account-id", "9900001", *where,
                    "--username-env", "BW_USER", "--password-env", "BW_PASS")
        assert added.code == 0, added.err
        assert run("config", "inventory-type", "add", name, "--account", name).code == 0
        return name

    return add


def order_one(cli, itype: str, area_code: str) -> str:
    placed = cli("inventory", "order", "--type", itype, "--area-code", area_code, "--quantity", "1", "--all",
                 "--yes", "--wait", "--json")
    assert placed.code == 0, placed.err
    return next(n["number"] for n in cli("inventory", "list", "--type", itype, "--json").json())


def test_accounts_on_other_sites_of_one_bandwidth_account_keep_their_numbers(cli, sites):
    east, west = sites("east", "4410"), sites("west", "4420")
    mine, theirs = order_one(cli, east, "919"), order_one(cli, west, "312")
    assert cli("customer", "add", CUSTOMER, "--name", "Acme").code == 0
    assert cli("customer", "line", "add", CUSTOMER, LINE).code == 0
    assert cli("inventory", "assign", theirs, "--customer", CUSTOMER, "--line", LINE).code == 0
    for itype, number in ((east, mine), (west, theirs)):
        fixed = cli("inventory", "reconcile", "--type", itype, "--fix", "--yes", "--json")
        held = show(cli, theirs)
        assert (held["status"], held["customer"], held["account"]) == ("assigned", CUSTOMER, "west")
        assert "reconciled" not in [h["event"] for h in held["history"]]
        assert show(cli, number)["inventory_type"] == itype
        assert fixed.code == 0, fixed.err
        assert fixed.json()["agree"] is True and fixed.json()["accounts"] == [itype]


def test_accounts_sharing_a_site_are_compared_together_and_one_without_a_site_is_refused(cli, sites):
    east, also = sites("east", "4410"), sites("east-too", "4410")
    mine, theirs = order_one(cli, east, "919"), order_one(cli, also, "312")
    together = cli("inventory", "reconcile", "--type", east, "--fix", "--yes", "--json")
    assert show(cli, theirs)["inventory_type"] == also and show(cli, mine)["inventory_type"] == east
    assert together.code == 0, together.err
    assert together.json()["accounts"] == ["east", "east-too"] and together.json()["agree"] is True
    assert "compared together" in together.err
    sites("anywhere", None)
    refused = cli("inventory", "reconcile", "--type", "anywhere", "--fix", "--yes")
    assert refused.code == 2
    assert len(refused.err.strip().splitlines()) == 1 and "site" in refused.err and "'anywhere'" in refused.err
    assert show(cli, theirs)["inventory_type"] == also
