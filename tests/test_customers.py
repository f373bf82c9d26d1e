"""Customers and their lines: "Add from Carrier", assigning held numbers, moving and history."""

from __future__ import annotations

import sqlite3

import pytest

from tnorder.carriers.sandbox import SandboxCarrier
from tnorder.sim.world import World

CUSTOMER, LINE = "ACME-7", "main office"


@pytest.fixture
def acme(run, fast_sandbox):
    """A customer with two service lines, ordering from the fast sandbox."""
    assert run("customer", "add", CUSTOMER, "--name", "Acme Corp").code == 0
    assert run("customer", "line", "add", CUSTOMER, LINE, "--description", "Raleigh office").code == 0
    assert run("customer", "line", "add", CUSTOMER, "fax").code == 0
    return fast_sandbox


def add_dids(run, *args: str):
    return run("customer", "add-dids", CUSTOMER, "--line", LINE, "--type", "Fast DIDs", *args)


def line_numbers(run, line: str = LINE) -> dict[str, str]:
    shown = run("customer", "show", CUSTOMER, "--json")
    assert shown.code == 0, shown.err
    lines = {ln["line"]: ln for ln in shown.json()["lines"]}
    return {n["number"]: n["status"] for n in lines[line]["numbers"]}


def test_customer_and_lines_are_listed(run, acme):
    listed = run("customer", "list", "--json").json()
    assert listed == [{"customer": CUSTOMER, "name": "Acme Corp", "lines": 2, "numbers": 0,
                       "created_at": listed[0]["created_at"]}]
    lines = run("customer", "line", "list", CUSTOMER, "--json").json()
    assert [(ln["line"], ln["description"], ln["numbers"]) for ln in lines] == [
        ("fax", None, 0), (LINE, "Raleigh office", 0)]


def test_add_dids_all_lands_assigned_on_the_line_after_poll(run, acme):
    placed = add_dids(run, "--area-code", "919", "--quantity", "2", "--all", "--yes", "--json")
    assert placed.code == 0, placed.err
    order = placed.json()
    assert (order["customer"], order["line"], order["status"]) == (CUSTOMER, LINE, "pending")
    assert run("orders", "poll").code == 0
    numbers = line_numbers(run)
    assert len(numbers) == 2 and set(numbers.values()) == {"assigned"}
    assert all(n.startswith("+1919") for n in numbers)
    listed = run("inventory", "list", "--customer", CUSTOMER, "--json").json()
    assert {(n["number"], n["status"], n["line"]) for n in listed} == {(n, "assigned", LINE) for n in numbers}
    assert line_numbers(run, "fax") == {}
    history = run("inventory", "show", next(iter(numbers)), "--json").json()["history"]
    assert [(h["event"], h["order_ref"]) for h in history] == [("assigned", order["order_ref"])]
    assert CUSTOMER in history[0]["note"] and LINE in history[0]["note"]


def test_add_dids_numbers_are_pending_on_the_line_then_assigned(run, acme):
    shown = run("inventory", "lookup", "--type", acme, "--area-code", "305", "--quantity", "2", "--json").json()
    tns = ",".join(n["number"] for n in shown)
    placed = add_dids(run, "--numbers", tns, "--yes", "--json")
    assert placed.code == 0, placed.err
    assert line_numbers(run) == {n["number"]: "pending" for n in shown}
    assert run("orders", "poll").code == 0
    assert line_numbers(run) == {n["number"]: "assigned" for n in shown}
    history = run("inventory", "show", shown[0]["number"], "--json").json()["history"]
    assert [h["event"] for h in history] == ["ordered", "assigned"]


def test_failed_numbers_are_never_assigned_and_are_reported(run, acme, home):
    shown = run("inventory", "lookup", "--type", acme, "--area-code", "617", "--quantity", "2", "--json").json()
    taken, free = shown[0]["number"], shown[1]["number"]
    world = World(home / "sandbox" / "world.sqlite", complete_after=0)
    world.order([taken], "someone-else", "elsewhere")  # a third party gets it first
    placed = add_dids(run, "--numbers", f"{taken},{free}", "--yes", "--wait", "--json")
    assert placed.code == 4, placed.err  # partial
    order = placed.json()
    assert [f["number"] for f in order["failed"]] == [taken]
    assert line_numbers(run) == {free: "assigned"}
    assert run("inventory", "show", taken).code == 2  # no number left behind


def test_add_dids_pick_releases_what_was_not_picked(run, acme, home):
    placed = add_dids(run, "--area-code", "212", "--quantity", "4", "--pick", "2,3", "--yes", "--wait", "--json")
    assert placed.code == 0, placed.err
    assert "released 2 number(s)" in placed.err
    assert set(line_numbers(run).values()) == {"assigned"} and len(line_numbers(run)) == 2
    with sqlite3.connect(home / "sandbox" / "world.sqlite") as db:
        assert db.execute("SELECT count(*) FROM holds WHERE state = 'reserved'").fetchone()[0] == 0


def test_same_key_twice_orders_once_for_a_line(run, acme, home):
    args = ("--area-code", "415", "--quantity", "2", "--all", "--yes", "--key", "acme-1", "--json")
    first, second = add_dids(run, *args), add_dids(run, *args)
    assert first.code == second.code == 0
    assert first.json()["order_ref"] == second.json()["order_ref"]
    with sqlite3.connect(home / "sandbox" / "world.sqlite") as db:
        assert db.execute("SELECT count(*) FROM orders WHERE customer_order_id = 'acme-1'").fetchone()[0] == 1


@pytest.fixture
def stocked(run, acme):
    """Available numbers in the inventory type: three in 704, two in 919."""
    for npa, count in (("704", "3"), ("919", "2")):
        placed = run("inventory", "order", "--type", acme, "--area-code", npa, "--quantity", count,
                     "--all", "--yes", "--wait")
        assert placed.code == 0, placed.err
    return acme


@pytest.fixture
def no_carrier(monkeypatch) -> list[str]:
    calls: list[str] = []
    for name in ("search", "reserve", "release", "order", "search_and_order", "order_status", "find_order",
                 "disconnect", "disconnect_status", "in_service"):
        monkeypatch.setattr(SandboxCarrier, name, lambda self, *a, _n=name, **k: calls.append(_n))
    return calls


def test_from_inventory_assigns_available_numbers_without_a_carrier_call(run, stocked, no_carrier):
    before = {n["number"] for n in run("inventory", "list", "--status", "available", "--area-code", "704",
                                        "--json").json()}
    assigned = add_dids(run, "--from-inventory", "2", "--area-code", "704", "--yes", "--json")
    assert assigned.code == 0, assigned.err
    got = {d["number"] for d in assigned.json()}
    assert len(got) == 2 and got <= before
    assert line_numbers(run) == {n: "assigned" for n in got}
    assert no_carrier == []
    history = run("inventory", "show", sorted(got)[0], "--json").json()["history"]
    assert history[-1]["event"] == "assigned" and history[-1]["order_ref"] is None


def test_from_inventory_without_enough_assigns_nothing(run, stocked, no_carrier):
    refused = add_dids(run, "--from-inventory", "3", "--area-code", "919")
    assert refused.code == 2
    assert "only 2 available" in refused.err and "nothing assigned" in refused.err
    assert line_numbers(run) == {}
    assert no_carrier == []


def test_remove_dids_disconnect_guard_move_and_history(run, stocked):
    assert add_dids(run, "--from-inventory", "1", "--area-code", "919", "--yes").code == 0
    number = next(iter(line_numbers(run)))
    refused = run("inventory", "disconnect", number, "--yes")
    assert refused.code == 2
    assert CUSTOMER in refused.err and LINE in refused.err and "--force" in refused.err
    removed = run("customer", "remove-dids", CUSTOMER, number, "--reason", "moved away", "--yes", "--json")
    assert removed.code == 0, removed.err
    assert removed.json()[0]["status"] == "available" and removed.json()[0]["customer"] is None
    assert line_numbers(run) == {}
    assert run("config", "inventory-type", "add", "Spare", "--account", "fast").code == 0
    moved = run("inventory", "move", number, "--to-type", "Spare", "--json")
    assert moved.code == 0, moved.err
    assert moved.json()[0]["inventory_type"] == "Spare"
    assert run("inventory", "assign", number, "--customer", CUSTOMER, "--line", "fax").code == 0
    assert run("inventory", "unassign", number, "--reason", "fax retired").code == 0
    gone = run("inventory", "disconnect", number, "--yes", "--wait")
    assert gone.code == 0, gone.err
    history = run("inventory", "show", number, "--json").json()["history"]
    assert [h["event"] for h in history] == ["completed", "assigned", "unassigned", "moved", "assigned",
                                             "unassigned", "disconnect-sent", "disconnected"]
    notes = [h["note"] for h in history]
    assert "moved away" in notes[2] and "Fast DIDs" in notes[3] and "Spare" in notes[3]
    assert all(h["actor"] == "tester" for h in history)


def test_disconnect_with_force_takes_an_assigned_number(run, stocked):
    assert add_dids(run, "--from-inventory", "1", "--yes").code == 0
    number = next(iter(line_numbers(run)))
    done = run("inventory", "disconnect", number, "--force", "--yes", "--wait", "--json")
    assert done.code == 0, done.err
    assert line_numbers(run) == {}
    shown = run("inventory", "show", number, "--json").json()
    assert shown["status"] == "disconnected" and shown["customer"] is None


def test_remove_dids_disconnect_sends_a_disconnect_order(run, stocked):
    assert add_dids(run, "--from-inventory", "1", "--yes").code == 0
    number = next(iter(line_numbers(run)))
    done = run("customer", "remove-dids", CUSTOMER, number, "--disconnect", "--yes", "--wait", "--json")
    assert done.code == 0, done.err
    assert done.json()["kind"] == "disconnect"
    assert run("inventory", "show", number, "--json").json()["status"] == "disconnected"


def test_move_to_another_account_is_refused(run, stocked):
    number = run("inventory", "list", "--json").json()[0]["number"]
    assert run("config", "inventory-type", "add", "Elsewhere", "--account", "sandbox").code == 0
    refused = run("inventory", "move", number, "--to-type", "Elsewhere")
    assert refused.code == 2 and "account" in refused.err
    assert run("inventory", "show", number, "--json").json()["inventory_type"] == stocked


def test_customer_and_line_removal_refused_while_numbers_are_on_them(run, stocked):
    assert add_dids(run, "--from-inventory", "1", "--yes").code == 0
    refused = run("customer", "line", "remove", CUSTOMER, LINE)
    assert refused.code == 2 and "1 number" in refused.err
    assert run("customer", "remove", CUSTOMER).code == 2
    assert run("customer", "line", "remove", CUSTOMER, "fax").code == 0
    number = next(iter(line_numbers(run)))
    assert run("customer", "remove-dids", CUSTOMER, number, "--yes").code == 0
    assert run("customer", "remove", CUSTOMER, "--json").json() == {"customer": CUSTOMER, "removed": True}
    assert run("customer", "list", "--json").json() == []


def test_unknown_names_list_the_closest_first(run, acme):
    assert run("customer", "add", "ACME-8", "--name", "Other").code == 0
    assert run("customer", "add", "ZULU", "--name", "Zulu").code == 0
    unknown = run("customer", "show", "ACME-9")
    assert unknown.code == 2
    assert unknown.err.index("ACME-7") < unknown.err.index("ZULU")
    typo = run("customer", "add-dids", CUSTOMER, "--line", "main ofice", "--type", acme, "--area-code", "919",
               "--all", "--yes")
    assert typo.code == 2 and "main office" in typo.err
