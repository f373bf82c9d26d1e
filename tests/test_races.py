"""Races on number lifecycle, holding and customers (issue 14, points 1-3): each decision is made
again under the write lock, on SQLite and on a real PostgreSQL, and the sandbox carrier ends up
agreeing with the store.

Each test stops one tnorder process at its decision point (`testhooks.pause`), lets another
commit a conflicting change meanwhile, then lets the first one go on.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import create_engine, text

from lockstep import holding_write_lock, paused, start
from test_concurrency import query


def world(home, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(home / "sandbox" / "world.sqlite") as db:
        return db.execute(sql, args).fetchall()


def carrier_orders(home, kind: str = "order") -> int:
    """How many orders (or disconnects) the carrier received; none when it was never called."""
    if not (home / "sandbox" / "world.sqlite").exists():
        return 0
    return world(home, "SELECT count(*) FROM orders WHERE kind = ?", kind)[0][0]


def disconnects_sent(home) -> int:
    return carrier_orders(home, "disconnect")


def slow_sandbox(run) -> str:
    """A sandbox whose orders stay pending at the carrier (until a test makes them due)."""
    assert run("config", "carrier", "add", "slow", "--kind", "sandbox", "--option", "complete_after=600").code == 0
    assert run("config", "account", "add", "slow", "--carrier", "slow").code == 0
    assert run("config", "inventory-type", "add", "Slow DIDs", "--account", "slow").code == 0
    return "Slow DIDs"


def bought(run, home, itype: str, count: int = 1) -> list[str]:
    """Numbers ordered and completed (the carrier's orders made due at once)."""
    placed = run("inventory", "order", "--type", itype, "--area-code", "919", "--quantity", str(count), "--all",
                 "--yes", "--json")
    assert placed.code == 0, placed.err
    world(home, "UPDATE orders SET complete_at = 0 WHERE kind = 'order'")
    polled = run("orders", "poll")
    assert polled.code == 0, polled.err
    numbers = [r["number"] for r in run("inventory", "list", "--type", itype, "--json").json()]
    assert len(numbers) == count
    return numbers


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def history(run, number: str) -> list[str]:
    return [h["event"] for h in run("inventory", "show", number, "--json").json()["history"]]


def status(run, number: str) -> str:
    return run("inventory", "show", number, "--json").json()["status"]


def with_line(run, customer: str = "acme", line: str = "main") -> None:
    assert run("customer", "add", customer, "--name", "Acme").code == 0
    assert run("customer", "line", "add", customer, line).code == 0


# -- point 1: two disconnects of one number -----------------------------------------------------------------

def test_a_disconnect_waiting_while_another_is_sent_is_refused_naming_it(store_url, run, cli, home):
    itype = slow_sandbox(run)
    number = bought(run, home, itype)[0]
    with paused("disconnect-decided", "inventory", "disconnect", number, "--yes") as first:
        second = cli("inventory", "disconnect", number, "--yes", "--json")
        assert second.code == 0, second.err
    code, out, err = first.result()
    ref = second.json()["order_ref"]
    assert code == 2 and out == "", err
    said = one_line(err)
    assert f"being disconnected by {ref}" in said and "nothing was sent" in said, said
    assert disconnects_sent(home) == 1  # the carrier saw one disconnect
    assert status(run, number) == "disconnecting"
    assert query(store_url, "SELECT ref FROM orders WHERE kind = 'disconnect'") == [(ref,)]
    # the carrier completes the one it has: the store follows, nothing restored
    world(home, "UPDATE orders SET complete_at = 0")
    assert run("orders", "poll").code == 0
    assert status(run, number) == "disconnected"
    assert "restored" not in history(run, number)
    assert world(home, "SELECT state FROM holds WHERE tn = ?", number) == [("aging",)]


def test_a_disconnect_waiting_while_another_completes_sends_nothing(store_url, run, cli, home, fast_sandbox):
    number = bought(run, home, fast_sandbox)[0]
    with paused("disconnect-decided", "inventory", "disconnect", number, "--yes") as first:
        second = cli("inventory", "disconnect", number, "--yes", "--wait")
        assert second.code == 0, second.err
    code, _, err = first.result()
    assert code == 2 and "is disconnected" in one_line(err), err
    assert disconnects_sent(home) == 1
    assert status(run, number) == "disconnected"
    assert history(run, number) == ["completed", "disconnect-sent", "disconnected"]
    assert world(home, "SELECT state FROM holds WHERE tn = ?", number) == [("aging",)]


def test_two_disconnects_queued_on_the_write_lock_send_once(store_url, run, home):
    itype = slow_sandbox(run)
    number = bought(run, home, itype)[0]
    args = ("inventory", "disconnect", number, "--yes")
    with paused("disconnect-decided", *args) as a, paused("disconnect-decided", *args) as b:
        with holding_write_lock(store_url, 1.5):  # both decided; both reach the write-ahead while it is held
            a.release()
            b.release()
        results = sorted([a.result(), b.result()])
    assert [code for code, _, _ in results] == [0, 2], results
    assert "being disconnected by ORD-000002" in one_line(results[1][2])
    assert disconnects_sent(home) == 1
    assert status(run, number) == "disconnecting"
    assert "restored" not in history(run, number)


def test_a_refused_disconnect_restores_only_what_it_moved(store_url, run, home):
    """The undo of a disconnect the carrier refused gives back only the numbers it made `disconnecting`."""
    from tnorder.services import lifecycle
    from tnorder.services.context import Context

    itype = slow_sandbox(run)
    mine, theirs = bought(run, home, itype, 2)
    assert run("inventory", "disconnect", theirs, "--yes").code == 0
    ctx = Context()
    try:
        with ctx.store.write() as s:  # an undo asked (wrongly) about both numbers
            lifecycle.back_in_use(s, [mine, theirs], ref="ORD-999999", actor="tester", note="refused")
    finally:
        ctx.close()
    assert status(run, theirs) == "disconnecting"
    assert status(run, mine) == "available"
    assert "restored" not in history(run, theirs) + history(run, mine)


def test_moves_never_overwrite_a_number_that_moved(store_url, run):
    """lifecycle's moves state what they expect; a number elsewhere is left as it is."""
    from tnorder.carriers.base import AvailableNumber
    from tnorder.services import lifecycle
    from tnorder.services.context import Context

    number, common = "+19195550142", {"inventory_type": "Sandbox DIDs", "carrier": "sandbox", "account": "sandbox"}
    ctx = Context()
    try:
        with ctx.store.write() as s:
            lifecycle.add(s, [AvailableNumber(number)], status="disconnected", ref=None, actor="t", event="imported",
                          **common)
            lifecycle.add(s, [AvailableNumber(number)], status="pending", ref="ORD-000001", actor="t",
                          event="ordered", **common)
            lifecycle.forget_pending(s, [number], "ORD-000001", "t", "concluded")  # back to disconnected
            lifecycle.add(s, [AvailableNumber(number)], status="pending", ref="ORD-000002", actor="t",
                          event="ordered", **common)
            lifecycle.forget_pending(s, [number], "ORD-000001", "t", "a late undo")  # not ORD-000001's now
            assert lifecycle.move(s, [number], "available", expect="assigned", ref=None, actor="t",
                                  event="unassigned") == []
    finally:
        ctx.close()
    shown = run("inventory", "show", number, "--json").json()
    assert shown["status"] == "pending" and shown["order_ref"] == "ORD-000002"
    assert [h["note"] for h in shown["history"]].count("a late undo") == 0


# -- point 2: "assigned needs --force", again under the lock ----------------------------------------------

def test_a_disconnect_without_force_is_refused_once_the_number_was_assigned(store_url, run, cli, home, fast_sandbox):
    number = bought(run, home, fast_sandbox)[0]
    with_line(run)
    with paused("disconnect-decided", "inventory", "disconnect", number, "--yes") as first:
        assigned = cli("inventory", "assign", number, "--customer", "acme", "--line", "main")
        assert assigned.code == 0, assigned.err
    code, _, err = first.result()
    said = one_line(err)
    assert code == 2 and "customer acme line main" in said and "--force" in said, said
    assert disconnects_sent(home) == 0
    assert status(run, number) == "assigned"
    assert query(store_url, "SELECT count(*) FROM orders WHERE kind = 'disconnect'") == [(0,)]


def test_remove_dids_disconnect_does_not_take_a_number_now_on_another_customer(store_url, run, cli, home,
                                                                                fast_sandbox):
    number = bought(run, home, fast_sandbox)[0]
    with_line(run)
    with_line(run, "globex", "sales")
    assert run("inventory", "assign", number, "--customer", "acme", "--line", "main").code == 0
    with paused("disconnect-decided", "customer", "remove-dids", "acme", number, "--disconnect", "--yes") as first:
        assert cli("inventory", "unassign", number).code == 0
        assert cli("inventory", "assign", number, "--customer", "globex", "--line", "sales").code == 0
    code, _, err = first.result()
    said = one_line(err)
    assert code == 2 and "globex" in said and "not on a line of customer acme" in said, said
    assert disconnects_sent(home) == 0
    assert run("inventory", "show", number, "--json").json()["customer"] == "globex"


def test_remove_dids_does_not_take_a_number_now_on_another_customer(store_url, run, cli, home, fast_sandbox):
    number = bought(run, home, fast_sandbox)[0]
    with_line(run)
    with_line(run, "globex", "sales")
    assert run("inventory", "assign", number, "--customer", "acme", "--line", "main").code == 0
    with paused("remove-dids-decided", "customer", "remove-dids", "acme", number, "--yes") as first:
        assert cli("inventory", "unassign", number).code == 0
        assert cli("inventory", "assign", number, "--customer", "globex", "--line", "sales").code == 0
    code, _, err = first.result()
    said = one_line(err)
    assert code == 2 and "globex" in said and "not to customer acme" in said, said
    shown = run("inventory", "show", number, "--json").json()
    assert (shown["status"], shown["customer"], shown["line"]) == ("assigned", "globex", "sales")


# -- point 3: customers and lines removed while an order for them is decided -----------------------------

def test_add_dids_for_a_customer_removed_meanwhile_sends_nothing(store_url, run, cli, home, fast_sandbox):
    with_line(run)
    with paused("order-decided", "customer", "add-dids", "acme", "--line", "main", "--type", fast_sandbox,
                "--area-code", "919", "--quantity", "1", "--all", "--yes") as first:
        assert cli("customer", "line", "remove", "acme", "main").code == 0
        assert cli("customer", "remove", "acme").code == 0
    code, _, err = first.result()
    assert code == 2 and "no customer 'acme'" in one_line(err), err
    assert carrier_orders(home) == 0
    assert query(store_url, "SELECT count(*) FROM orders") == [(0,)]
    assert query(store_url, "SELECT count(*) FROM numbers") == [(0,)]


def test_add_dids_for_a_line_removed_meanwhile_sends_nothing(store_url, run, cli, home, fast_sandbox):
    with_line(run)
    shown = run("inventory", "lookup", "--type", fast_sandbox, "--area-code", "415", "--quantity", "1", "--json")
    number = shown.json()[0]["number"]
    with paused("order-decided", "customer", "add-dids", "acme", "--line", "main", "--type", fast_sandbox,
                "--numbers", number, "--yes") as first:
        assert cli("customer", "line", "remove", "acme", "main").code == 0
    code, _, err = first.result()
    assert code == 2 and "no service line" in one_line(err) and "'main'" in err, err
    assert carrier_orders(home) == 0
    assert query(store_url, "SELECT count(*) FROM numbers") == [(0,)]


def test_add_dids_and_a_line_removal_queued_on_the_write_lock(store_url, run, home, fast_sandbox):
    with_line(run)
    with paused("order-decided", "customer", "add-dids", "acme", "--line", "main", "--type", fast_sandbox,
                "--area-code", "919", "--quantity", "1", "--all", "--yes") as order:
        with holding_write_lock(store_url, 1.5):  # both reach their write while it is held
            order.release()
            removal = start("customer", "line", "remove", "acme", "main")
        code, _, err = order.result()
    _, removed_err = removal.communicate(timeout=120)
    assert sorted([code, removal.returncode]) == [0, 2], (err, removed_err)
    if removal.returncode == 0:  # the removal won: the order was refused, nothing sent
        assert "no service line" in one_line(err)
        assert carrier_orders(home) == 0
        assert query(store_url, "SELECT count(*) FROM numbers") == [(0,)]
    else:  # the order won: the line cannot go while its order is out, or its number is on it
        said = one_line(removed_err)
        assert "ORD-000001" in said or "still has" in said, said
        assert carrier_orders(home) == 1
        assert query(store_url, "SELECT customer, line FROM orders") == [("acme", "main")]
        assert [line["line"] for line in run("customer", "show", "acme", "--json").json()["lines"]] == ["main"]


def test_a_line_with_an_order_still_out_cannot_be_removed(store_url, run, home):
    itype = slow_sandbox(run)
    with_line(run)
    placed = run("customer", "add-dids", "acme", "--line", "main", "--type", itype, "--area-code", "919",
                 "--quantity", "2", "--all", "--yes", "--json")
    assert placed.code == 0, placed.err
    ref = placed.json()["order_ref"]
    for args in (("customer", "line", "remove", "acme", "main"), ("customer", "remove", "acme")):
        refused = run(*args)
        assert refused.code == 2 and ref in one_line(refused.err), refused.err
    world(home, "UPDATE orders SET complete_at = 0")
    assert run("orders", "poll").code == 0
    shown = run("customer", "show", "acme", "--json").json()
    assert [len(line["numbers"]) for line in shown["lines"]] == [2]


def test_an_order_completing_for_a_line_that_vanished_lands_available(store_url, run, home):
    """Old data: a line removed while its order was out (before removal was refused)."""
    itype = slow_sandbox(run)
    with_line(run)
    placed = run("customer", "add-dids", "acme", "--line", "main", "--type", itype, "--area-code", "919",
                 "--quantity", "1", "--all", "--yes", "--json")
    assert placed.code == 0, placed.err
    engine = create_engine(store_url)  # the line removed behind tnorder's back
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM service_lines"))
        conn.execute(text("DELETE FROM customers"))
    engine.dispose()
    world(home, "UPDATE orders SET complete_at = 0")
    polled = run("orders", "poll")
    assert polled.code == 0, polled.err
    rows = run("inventory", "list", "--type", itype, "--json").json()
    assert [(r["status"], r["customer"], r["line"]) for r in rows] == [("available", None, None)]
    notes = [h["note"] for h in run("inventory", "show", rows[0]["number"], "--json").json()["history"]]
    assert any("acme" in (note or "") and "no longer exists" in (note or "") for note in notes), notes


# -- holding: an assign and a disconnect decided together ------------------------------------------------

def test_an_assign_and_a_disconnect_queued_on_the_write_lock_agree(store_url, run, home):
    itype = slow_sandbox(run)
    number = bought(run, home, itype)[0]
    with_line(run)
    with paused("disconnect-decided", "inventory", "disconnect", number, "--yes") as disconnect:
        with holding_write_lock(store_url, 1.5):  # the disconnect decided; both wait for their write
            disconnect.release()
            assign = start("inventory", "assign", number, "--customer", "acme", "--line", "main")
        disconnected = disconnect.result()
    _, assign_err = assign.communicate(timeout=120)
    assert sorted([assign.returncode, disconnected[0]]) == [0, 2], (assign_err, disconnected)
    if disconnected[0] == 0:  # the disconnect won: the number cannot be assigned while it goes
        assert "disconnecting" in one_line(assign_err)
        assert (disconnects_sent(home), status(run, number)) == (1, "disconnecting")
    else:  # the assign won: the disconnect needs --force now, and sent nothing
        assert "--force" in one_line(disconnected[2])
        assert (disconnects_sent(home), status(run, number)) == (0, "assigned")
