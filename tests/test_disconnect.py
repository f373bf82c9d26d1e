"""Select-and-disconnect: a real carrier disconnect order, or a clear refusal."""

from __future__ import annotations

import sqlite3


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
