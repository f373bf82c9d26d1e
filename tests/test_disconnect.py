"""Select-and-disconnect: a real carrier disconnect order, or a clear refusal."""

from __future__ import annotations

import sqlite3

import pytest


def order_two(run, itype: str) -> list[str]:
    placed = run("inventory", "order", "--type", itype, "--area-code", "919", "--quantity", "2", "--all",
                 "--yes", "--wait", "--json")
    assert placed.code == 0, placed.err
    return placed.json()["completed"]


def test_disconnect_gives_numbers_back_at_the_carrier(run, fast_sandbox, home):
    numbers = order_two(run, fast_sandbox)
    done = run("inventory", "disconnect", numbers[0], "--yes", "--wait", "--json")
    assert done.code == 0, done.err
    doc = done.json()
    assert (doc["kind"], doc["status"], doc["completed"]) == ("disconnect", "complete", [numbers[0]])
    shown = run("inventory", "show", numbers[0], "--json").json()
    assert shown["status"] == "disconnected"
    assert [h["to_status"] for h in shown["history"]] == ["available", "disconnecting", "disconnected"]
    assert run("inventory", "show", numbers[1], "--json").json()["status"] == "available"
    with sqlite3.connect(home / "sandbox" / "world.sqlite") as db:
        state = db.execute("SELECT state FROM holds WHERE tn = ?", (numbers[0],)).fetchone()[0]
    assert state == "aging"


def test_a_number_the_carrier_does_not_know_fails_with_its_reason(run, fast_sandbox, home):
    numbers = order_two(run, fast_sandbox)
    with sqlite3.connect(home / "sandbox" / "world.sqlite") as db:  # the carrier lost it
        db.execute("DELETE FROM holds WHERE tn = ?", (numbers[1],))
    done = run("inventory", "disconnect", *numbers, "--yes", "--wait", "--json")
    assert done.code == 4, done.err
    doc = done.json()
    assert doc["status"] == "partial"
    assert [(f["number"], f["code"]) for f in doc["failed"]] == [(numbers[1], "5006")]
    assert run("inventory", "show", numbers[1], "--json").json()["status"] == "available"


def test_bad_disconnects_exit_2_and_send_nothing(run, fast_sandbox, home):
    numbers = order_two(run, fast_sandbox)
    cases = [
        (("inventory", "disconnect", "+19195550000", "--yes"), "not in the inventory"),
        (("inventory", "disconnect", "--yes"), "--select"),
        (("inventory", "disconnect", numbers[0], "--type", "Sandbox DIDs", "--yes"), "not all numbers"),
        (("inventory", "disconnect", numbers[0]), "--yes"),
        (("inventory", "disconnect", numbers[0], "--select", "--yes"), "--select"),
    ]
    for args, says in cases:
        result = run(*args)
        assert result.code == 2 and says in result.err, (args, result.err)
    assert run("orders", "list", "--status", "complete", "--json").json()[0]["kind"] == "purchase"
    assert len(run("orders", "list", "--json").json()) == 1


def test_disconnect_filters_need_select_and_are_checked_before_anything(run, fast_sandbox, home):
    numbers = order_two(run, fast_sandbox)
    cases = [
        (("inventory", "disconnect", numbers[0], "--area-code", "919", "--yes"), "use them with --select"),
        (("inventory", "disconnect", numbers[0], "--customer", "ACME", "--yes"), "use them with --select"),
    ]
    for args, says in cases:
        result = run(*args)
        assert result.code == 2 and says in result.err, (args, result.err)
    assert len(run("orders", "list", "--json").json()) == 1


def test_what_select_lists_is_narrowed_like_inventory_list(run, fast_sandbox, home):
    """`--area-code`, `--status`, `--customer` narrow the selection's rows, combined with --type."""
    from tnorder.errors import BadInput
    from tnorder.services.context import Context
    from tnorder.services.disconnecting import candidates

    in_919 = order_two(run, fast_sandbox)
    placed = run("inventory", "order", "--type", fast_sandbox, "--area-code", "212", "--quantity", "1", "--all",
                 "--yes", "--wait", "--json")
    in_212 = placed.json()["completed"]
    assert run("customer", "add", "ACME", "--name", "Acme").code == 0
    assert run("customer", "line", "add", "ACME", "sales").code == 0
    assert run("inventory", "assign", in_919[1], "--customer", "ACME", "--line", "sales").code == 0
    ctx = Context()

    def listed(**filters) -> list[str]:
        return [r["number"] for r in candidates(ctx, fast_sandbox, **filters)]

    assert listed() == sorted(in_919 + in_212)
    assert listed(area_code=" 919 ") == sorted(in_919)
    assert listed(area_code="212") == in_212
    assert listed(status="assigned") == [in_919[1]]
    assert listed(status="available", area_code="919") == [in_919[0]]
    assert listed(customer="ACME") == [in_919[1]]
    assert listed(customer="ACME", area_code="212") == []
    assert candidates(ctx, "Sandbox DIDs", area_code="919") == []  # another type: none of these
    for bad, says in (({"status": "pending"}, "only available or assigned"), ({"area_code": "119"}, "cannot exist"),
                      ({"customer": "NOPE"}, "NOPE")):
        with pytest.raises(BadInput, match=says):
            listed(**bad)
