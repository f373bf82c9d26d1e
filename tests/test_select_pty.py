"""Lookup-and-select in a real terminal (a pseudo-terminal driven by pexpect), typed: TERM=dumb, a
terminal that cannot draw the selection screen (tests/test_select_screen.py drives that one)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3

import pexpect
import pytest

import forkserver


def reserved(home) -> int:
    with sqlite3.connect(home / "sandbox" / "world.sqlite") as db:
        return db.execute("SELECT count(*) FROM holds WHERE state = 'reserved'").fetchone()[0]


def spawn(*args: str) -> pexpect.spawn:
    return forkserver.spawn(*args, env=dict(os.environ, COLUMNS="120", TERM="dumb"),
                         encoding="utf-8", timeout=30, dimensions=(50, 120))


@pytest.fixture
def lookup_args(fast_sandbox):
    return ("--type", fast_sandbox, "--area-code", "919", "--quantity", "5")


def test_select_orders_what_was_chosen_and_releases_the_rest(run, lookup_args, home):
    shown = run("inventory", "lookup", *lookup_args, "--json").json()
    child = spawn("inventory", "order", *lookup_args, "--select")
    child.expect("held for you")
    child.expect(r"Order which numbers\?")
    assert reserved(home) == 5  # held at the carrier while the operator chooses
    child.sendline("9")  # out of range: asked again, nothing ordered
    child.expect("outside 1-5")
    child.expect(r"Order which numbers\?")
    child.sendline("2,4")
    child.expect(r"\[y/N\]")
    child.sendline("y")
    child.expect("released 3 number")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    ordered = {n["number"] for n in run("inventory", "list", "--json").json()}
    assert ordered == {shown[1]["number"], shown[3]["number"]}
    assert reserved(home) == 0
    again = {n["number"] for n in run("inventory", "lookup", *lookup_args, "--json").json()}
    assert {shown[i]["number"] for i in (0, 2, 4)} <= again  # the released ones are offered again
    assert not again & ordered


def test_ctrl_c_at_the_prompt_releases_everything(run, lookup_args, home):
    child = spawn("inventory", "order", *lookup_args, "--select")
    child.expect(r"Order which numbers\?")
    assert reserved(home) == 5
    child.sendintr()
    child.expect(r"interrupted: 5 reservation\(s\) released at fast, nothing ordered")  # not a bare "SIGINT"
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert reserved(home) == 0
    assert run("inventory", "list", "--json").json() == []
    assert run("orders", "list", "--json").json() == []


def test_declining_the_confirmation_orders_nothing(run, lookup_args, home):
    child = spawn("inventory", "order", *lookup_args, "--select", "--json")
    child.expect(r"Order which numbers\?")
    child.sendline("all")
    child.expect(r"\[y/N\]")
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert json.loads(child.before[child.before.index("{"):])["status"] == "nothing-ordered"
    assert reserved(home) == 0
    assert run("orders", "list", "--json").json() == []


def test_add_from_carrier_select_assigns_the_chosen_to_the_line(run, lookup_args, home):
    """The customer's "Add from Carrier" tab: the same selection screen, the numbers land on the line."""
    assert run("customer", "add", "ACME", "--name", "Acme").code == 0
    assert run("customer", "line", "add", "ACME", "sales").code == 0
    shown = run("inventory", "lookup", *lookup_args, "--json").json()
    child = spawn("customer", "add-dids", "ACME", "--line", "sales", *lookup_args, "--select")
    child.expect("held for you")
    child.expect(r"Order which numbers\?")
    assert reserved(home) == 5
    child.sendline("1,5")
    child.expect(r"\[y/N\]")
    child.sendline("y")
    child.expect("released 3 number")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert reserved(home) == 0
    assert run("orders", "poll").code == 0
    lines = run("customer", "show", "ACME", "--json").json()["lines"]
    assert {(n["number"], n["status"]) for n in lines[0]["numbers"]} == {
        (shown[0]["number"], "assigned"), (shown[4]["number"], "assigned")}


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_dropped_session_at_the_prompt_releases_everything(run, lookup_args, home, signum, code):
    """A closed terminal (SIGHUP) or `timeout`/systemd (SIGTERM) while the operator chooses."""
    child = spawn("inventory", "order", *lookup_args, "--select")
    child.expect(r"Order which numbers\?")
    assert reserved(home) == 5
    child.kill(signum)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == code
    assert reserved(home) == 0
    assert run("orders", "list", "--json").json() == []
    assert run("inventory", "reservations", "--json").json() == []
