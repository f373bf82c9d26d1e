"""The whole ordering flow on the built-in sandbox, through the real command line."""

from __future__ import annotations

import sqlite3
import time

import pytest

from tnorder.numbers import keypad_digits


def lookup(cli, *criteria: str, quantity: int = 5) -> list[dict]:
    result = cli("inventory", "lookup", *criteria, "--quantity", str(quantity), "--json")
    assert result.code == 0, result.err
    return result.json()


def test_area_code_lookup_gives_the_quantity_asked(cli):
    found = lookup(cli, "--area-code", "919", quantity=5)
    assert len(found) == 5
    assert all(n["number"].startswith("+1919") and len(n["number"]) == 12 for n in found)
    assert all(n["state"] == "NC" for n in found)


def test_every_criterion_returns_numbers_that_match_it(cli):
    sample = lookup(cli, "--area-code", "919", quantity=1)[0]
    cases = [
        (("--rate-center", sample["rate_center"], "--state", "NC"),
         lambda n: n["rate_center"] == sample["rate_center"]),
        (("--city", "raleigh", "--state", "NC"), lambda n: n["city"] == "RALEIGH" and n["state"] == "NC"),
        (("--state", "NC"), lambda n: n["state"] == "NC"),
        (("--state", "ohio"), lambda n: n["state"] == "OH"),
        (("--zip", sample["zip"]), lambda n: n["zip"] == sample["zip"] and n["state"] == "NC"),
        (("--lata", sample["lata"]), lambda n: n["lata"] == sample["lata"]),
        (("--toll-free", "8**"), lambda n: n["number"][2] == "8" and n["number"][2:5] in TOLL_FREE),
        (("--toll-free", "87*"), lambda n: n["number"].startswith("+1877")),
        (("--vanity", "FLOWERS"), lambda n: keypad_digits("FLOWERS") in n["number"][5:]
         and n["number"][2:5] in TOLL_FREE),
        (("--vanity", "cars"), lambda n: "2277" in n["number"][5:] and n["number"][2:5] in TOLL_FREE),
    ]
    for criteria, matches in cases:
        found = lookup(cli, *criteria, quantity=3)
        assert found, criteria
        assert all(matches(n) for n in found), (criteria, found)


TOLL_FREE = {"800", "833", "844", "855", "866", "877", "888"}


def test_empty_result_is_not_an_error(cli):
    result = cli("inventory", "lookup", "--rate-center", "NOWHERE", "--state", "NC", "--json")
    assert result.code == 0
    assert result.json() == []


def test_lookup_table_on_stdout_and_count_on_stderr(cli):
    result = cli("inventory", "lookup", "--area-code", "919", "--quantity", "2")
    assert result.code == 0
    lines = result.out.strip().splitlines()
    assert lines[0].split("\t")[:2] == ["#", "Number"] and len(lines) == 3
    assert "2 number(s) found" in result.err


def world_orders(home) -> list[tuple]:
    with sqlite3.connect(home / "sandbox" / "world.sqlite") as db:
        return db.execute("SELECT id, customer_order_id, status FROM orders").fetchall()


def test_lookup_and_order_then_poll_makes_numbers_available(cli, home):
    placed = cli("inventory", "order", "--area-code", "919", "--quantity", "3", "--all", "--yes", "--json")
    assert placed.code == 0, placed.err
    order = placed.json()
    assert order["order_ref"].startswith("ORD-") and order["status"] == "pending"
    pending = cli("orders", "pending", "--json").json()
    assert [o["order_ref"] for o in pending] == [order["order_ref"]]
    early = cli("orders", "poll", "--json")  # usually before the sandbox's 3 s: nothing changes
    assert early.code == 0, early.err
    time.sleep(3.2)
    polled = cli("orders", "poll", "--json")
    assert polled.code == 0, polled.err
    changes = early.json() + polled.json()  # a slow machine may reach the 3 s by the first poll
    assert [(o["order_ref"], o["status"]) for o in changes] == [(order["order_ref"], "complete")]
    numbers = cli("inventory", "list", "--json").json()
    assert len(numbers) == 3
    assert {(n["status"], n["inventory_type"], n["order_ref"]) for n in numbers} == {
        ("available", "Sandbox DIDs", order["order_ref"])}
    assert all(n["number"].startswith("+1919") for n in numbers)
    assert cli("orders", "pending", "--json").json() == []
    quiet = cli("orders", "poll")
    assert quiet.code == 0 and quiet.out == "" and quiet.err == ""
    shown = cli("inventory", "show", numbers[0]["number"], "--json").json()
    assert [(h["to_status"], h["order_ref"], h["actor"]) for h in shown["history"]] == [
        ("available", order["order_ref"], "tester")]
    shown_order = cli("orders", "show", order["order_ref"], "--json").json()
    assert sorted(shown_order["completed"]) == sorted(n["number"] for n in numbers)


def test_same_key_twice_orders_once(run, fast_sandbox, home):
    args = ("inventory", "order", "--type", fast_sandbox, "--area-code", "415", "--quantity", "2",
            "--all", "--yes", "--key", "batch-7", "--json")
    first = run(*args)
    second = run(*args)
    assert first.code == second.code == 0
    assert first.json()["order_ref"] == second.json()["order_ref"]
    assert "already placed" in second.err
    assert [o[1] for o in world_orders(home)] == ["batch-7"]
    run("orders", "poll")
    assert len(run("inventory", "list", "--json").json()) == 2
    again = run(*args)
    assert again.json()["status"] == "complete" and len(world_orders(home)) == 1


def test_pick_orders_the_chosen_and_releases_the_rest(run, fast_sandbox, home):
    shown = run("inventory", "lookup", "--type", fast_sandbox, "--area-code", "212", "--quantity", "4", "--json").json()
    placed = run("inventory", "order", "--type", fast_sandbox, "--area-code", "212", "--quantity", "4",
                 "--pick", "1,3", "--yes", "--json")
    assert placed.code == 0, placed.err
    assert placed.json()["numbers"] == [shown[0]["number"], shown[2]["number"]]
    assert "released 2 number(s)" in placed.err
    with sqlite3.connect(home / "sandbox" / "world.sqlite") as db:
        reserved = db.execute("SELECT count(*) FROM holds WHERE state = 'reserved'").fetchone()[0]
    assert reserved == 0
    again = run("inventory", "lookup", "--type", fast_sandbox, "--area-code", "212", "--quantity", "4",
                "--json").json()
    numbers = {n["number"] for n in again}
    assert shown[1]["number"] in numbers and shown[3]["number"] in numbers
    assert shown[0]["number"] not in numbers


def test_numbers_known_from_a_lookup_go_pending_then_available(run, fast_sandbox):
    shown = run("inventory", "lookup", "--type", fast_sandbox, "--area-code", "305", "--quantity", "2", "--json").json()
    tns = ",".join(n["number"][2:] for n in shown)  # 10-digit input is accepted too
    placed = run("inventory", "order", "--type", fast_sandbox, "--numbers", tns, "--yes", "--wait", "--json")
    assert placed.code == 0, placed.err
    assert placed.json()["status"] == "complete"
    listed = run("inventory", "list", "--json").json()
    assert sorted(n["number"] for n in listed) == sorted(n["number"] for n in shown)
    history = run("inventory", "show", shown[0]["number"], "--json").json()["history"]
    assert [h["to_status"] for h in history] == ["pending", "available"]


def test_a_number_taken_elsewhere_makes_the_order_partial(run, fast_sandbox):
    shown = run("inventory", "lookup", "--type", fast_sandbox, "--area-code", "617", "--quantity", "2", "--json").json()
    first = run("inventory", "order", "--type", fast_sandbox, "--numbers", shown[0]["number"], "--yes", "--wait")
    assert first.code == 0
    # the same number again through another inventory type's account: the carrier refuses that one
    run("config", "inventory-type", "add", "Other", "--account", "sandbox")
    both = ",".join(n["number"] for n in shown)
    refused = run("inventory", "order", "--type", "Other", "--numbers", both, "--yes", "--json")
    assert refused.code == 2 and "already in inventory" in refused.err


def test_wait_times_out_with_exit_5_and_order_stays_pending(cli):
    placed = cli("inventory", "order", "--area-code", "704", "--quantity", "1", "--all", "--yes",
                 "--wait", "--timeout", "0.2", "--json")
    assert placed.code == 5, placed.err
    assert placed.json()["status"] == "pending"
    assert len(cli("orders", "pending", "--json").json()) == 1


def test_poll_wait_finishes_pending_orders(cli):
    assert cli("inventory", "order", "--area-code", "704", "--quantity", "2", "--all", "--yes").code == 0
    done = cli("orders", "poll", "--wait", "--timeout", "20", "--json")
    assert done.code == 0, done.err
    assert [o["status"] for o in done.json()] == ["complete"]


@pytest.mark.parametrize("as_json", [True, False])
def test_orders_list_and_show(run, fast_sandbox, as_json):
    run("inventory", "order", "--type", fast_sandbox, "--area-code", "512", "--quantity", "1", "--all", "--yes")
    args = ("orders", "list", "--json") if as_json else ("orders", "list")
    listed = run(*args)
    assert listed.code == 0
    assert "ORD-000001" in listed.out
