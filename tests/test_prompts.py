"""What the questions say before anything is bought, assigned or given up, in a real terminal.

The typed selection answer is driven with TERM=dumb: the answer that stays for terminals that
cannot draw the selection screen.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3

import pexpect
import pytest

import forkserver

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
WHERE = ("ACME-7", "--line", "main office")


def spawn(*args: str, term: str = "dumb") -> pexpect.spawn:
    return forkserver.spawn(*args, env=dict(os.environ, COLUMNS="80", TERM=term),
                         encoding="utf-8", timeout=60, dimensions=(24, 80))


def ended(child: pexpect.spawn) -> str:
    child.expect(pexpect.EOF)
    child.close()
    return ANSI.sub("", child.before)


def reserved(home) -> int:
    with sqlite3.connect(home / "sandbox" / "world.sqlite") as db:
        return db.execute("SELECT count(*) FROM holds WHERE state = 'reserved'").fetchone()[0]


@pytest.fixture
def acme(run, fast_sandbox):
    assert run("customer", "add", "ACME-7", "--name", "Acme").code == 0
    assert run("customer", "line", "add", "ACME-7", "main office").code == 0
    return fast_sandbox


def test_the_question_after_a_selection_names_the_customer_and_line(run, acme):
    child = spawn("customer", "add-dids", *WHERE, "--type", "fast", "--area-code", "919", "--quantity", "3",
                  "--select")
    child.expect(r"Order which numbers\?")
    child.sendline("1,3")
    child.expect(r"Order 2 number\(s\) from fast into 'Fast DIDs' for customer ACME-7 line 'main office'\?")
    child.sendline("n")
    child.expect("nothing ordered")
    ended(child)
    assert child.exitstatus == 0
    assert run("orders", "list", "--json").json() == []


def test_all_names_the_criteria_type_customer_and_line_and_no_says_nothing_ordered(run, acme):
    child = spawn("customer", "add-dids", *WHERE, "--type", "fast", "--area-code", "919", "--quantity", "2",
                  "--all")
    child.expect(r"Order 2 number\(s\) \(--area-code 919\) from fast into 'Fast DIDs' "
                 r"for customer ACME-7 line 'main office'\?")
    child.sendline("n")
    child.expect("nothing ordered")
    ended(child)
    assert child.exitstatus == 0
    assert run("orders", "list", "--json").json() == []


def test_numbers_into_inventory_no_says_nothing_ordered(run, fast_sandbox):
    child = spawn("inventory", "order", "--type", "fast", "--numbers", "9195551234")
    child.expect(r"Order 1 number\(s\) from fast into 'Fast DIDs'\?")
    child.sendline("n")
    child.expect("nothing ordered")
    ended(child)
    assert child.exitstatus == 0
    assert run("orders", "list", "--json").json() == []


@pytest.fixture
def stocked(run, acme):
    """Two available numbers in 'Fast DIDs'."""
    assert run("inventory", "order", "--type", "fast", "--area-code", "704", "--quantity", "2", "--all",
               "--yes").code == 0
    assert run("orders", "poll").code == 0
    numbers = sorted(n["number"] for n in run("inventory", "list", "--json").json())
    assert len(numbers) == 2
    return numbers


def test_from_inventory_at_a_terminal_previews_the_numbers_and_asks(run, stocked):
    child = spawn("customer", "add-dids", *WHERE, "--type", "fast", "--from-inventory", "1")
    child.expect(re.escape(stocked[0]))
    child.expect(r"Assign 1 number\(s\) of 'Fast DIDs' to customer ACME-7 line 'main office'\?")
    assert stocked[1] not in child.before  # only the number that would be assigned
    child.sendline("n")
    child.expect("nothing assigned")
    ended(child)
    assert child.exitstatus == 0
    assert {n["status"] for n in run("inventory", "list", "--json").json()} == {"available"}

    child = spawn("customer", "add-dids", *WHERE, "--type", "fast", "--from-inventory", "1")
    child.expect(r"Assign 1 number\(s\)")
    child.sendline("y")
    text = ended(child)
    assert child.exitstatus == 0, text
    assert "assigned 1 number(s) to customer ACME-7 line 'main office'" in text
    line = run("customer", "show", "ACME-7", "--json").json()["lines"][0]
    assert [n["number"] for n in line["numbers"]] == [stocked[0]]


def test_from_inventory_no_with_json_prints_an_empty_list(run, stocked):
    child = spawn("customer", "add-dids", *WHERE, "--type", "fast", "--from-inventory", "2", "--json")
    child.expect(r"Assign 2 number\(s\)")
    child.sendline("n")
    text = ended(child)
    assert child.exitstatus == 0
    rows = [row.strip() for row in text.splitlines()]
    assert "nothing assigned" in rows and "[]" in rows  # a script reading the answer gets a document


def test_from_inventory_without_a_terminal_needs_yes(cli, run, stocked):
    refused = cli("customer", "add-dids", *WHERE, "--type", "fast", "--from-inventory", "1")
    assert refused.code == 2 and "--yes" in refused.err
    assert {n["status"] for n in run("inventory", "list", "--json").json()} == {"available"}
    done = cli("customer", "add-dids", *WHERE, "--type", "fast", "--from-inventory", "1", "--yes", "--json")
    assert done.code == 0, done.err
    assert [(d["number"], d["customer"], d["line"]) for d in done.json()] == [(stocked[0], "ACME-7", "main office")]


def test_the_disconnect_question_names_the_count_type_and_carrier(run, stocked):
    child = spawn("inventory", "disconnect", stocked[0])
    child.expect(r"Disconnect 1 number\(s\) of 'Fast DIDs' at fast\? They will be given up\.")
    child.sendline("n")
    child.expect("nothing disconnected")
    ended(child)
    assert child.exitstatus == 0


def test_ctrl_c_at_a_selection_says_the_reservations_were_released(run, fast_sandbox, home):
    child = spawn("inventory", "order", "--type", "fast", "--area-code", "919", "--quantity", "3", "--select")
    child.expect(r"Order which numbers\?")
    assert reserved(home) == 3
    child.sendintr()
    child.expect(r"interrupted: 3 reservation\(s\) released at fast, nothing ordered")
    ended(child)
    assert child.exitstatus == 130
    assert reserved(home) == 0
    assert run("orders", "list", "--json").json() == []


def blocked_signals(pid: int) -> dict[str, set[int]]:
    """Each thread of `pid` (by name) and the signals it blocks, from /proc."""
    found: dict[str, set[int]] = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/comm") as comm, open(f"/proc/{pid}/task/{task}/status") as status:
            mask = int(next(line for line in status if line.startswith("SigBlk:")).split()[1], 16)
            name = "main" if task == str(pid) else comm.read().strip()
        found[name if name not in found else f"{name}-{task}"] = {n for n in range(1, 65) if mask >> (n - 1) & 1}
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="reads thread signal masks from Linux's /proc")
def test_only_the_main_thread_can_take_ctrl_c_at_a_selection(run, fast_sandbox):
    """A signal sent to the process goes to any thread that does not block it; one taken by the
    lease renewer leaves the main thread asleep in the prompt's read, and Ctrl-C goes unanswered
    (seen once in a full run). Every other thread blocks the three signals, so the kernel can only
    hand them to the thread that acts on them."""
    child = spawn("inventory", "order", "--type", "fast", "--area-code", "919", "--quantity", "3", "--select")
    child.expect(r"Order which numbers\?")
    threads = blocked_signals(child.pid)
    child.sendintr()
    child.expect(r"interrupted: 3 reservation\(s\) released")
    ended(child)
    assert len(threads) > 1, threads  # the lease renewer runs while the operator chooses
    for name, blocked in threads.items():
        held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP} & blocked
        assert held == (set() if name == "main" else {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}), name


@pytest.fixture
def slow_sandbox(run):
    """Sandbox orders that take 4 seconds to complete."""
    assert run("config", "carrier", "add", "slow", "--kind", "sandbox", "--option", "complete_after=4").code == 0
    assert run("config", "account", "add", "slow", "--carrier", "slow").code == 0
    assert run("config", "inventory-type", "add", "Slow DIDs", "--account", "slow").code == 0


def test_wait_prints_the_reference_before_waiting(run, slow_sandbox):
    child = spawn("inventory", "order", "--type", "slow", "--area-code", "919", "--quantity", "1", "--all",
                  "--yes", "--wait", "--timeout", "60", term="xterm")
    child.expect(r"order ORD-000001 placed at slow; waiting")
    assert "elapsed" not in child.before
    child.expect(r"1 order\(s\) pending; 0:0\d elapsed")
    text = ended(child)
    assert child.exitstatus == 0, text
    assert "ORD-000001 complete" in text


def test_wait_in_a_pipe_prints_nothing_decorative(cli, slow_sandbox):
    done = cli("inventory", "order", "--type", "slow", "--area-code", "919", "--quantity", "1", "--all", "--yes",
               "--wait", "--timeout", "60")
    assert done.code == 0, done.err
    assert "waiting" not in done.err and "elapsed" not in done.err
    assert done.out.startswith("ORD-000001 complete")


class Clock:
    """time.monotonic and time.sleep that move only when slept: the wait without a wall clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Status:
    def __init__(self) -> None:
        self.shown: list[str] = []

    def update(self, text: str) -> None:
        self.shown.append(text)


def polls_and_seconds(monkeypatch, progress_of) -> tuple[int, list[int]]:
    """orders.wait over an order pending 20 s: how many polls, which elapsed seconds were drawn."""
    import time

    from tnorder.services import orders

    clock = Clock()
    monkeypatch.setattr(time, "monotonic", clock.monotonic)
    monkeypatch.setattr(time, "sleep", clock.sleep)
    asked = []
    monkeypatch.setattr(orders, "poll", lambda ctx, refs: asked.append(clock.now) or orders.PollResult(pending=1))
    status = Status()
    progress = progress_of(status)
    orders.wait(None, ["ORD-000001"], 20, progress.tick if progress else None,
                sleep=progress.sleep if progress else clock.sleep)
    seconds = [int(m.group(1)) * 60 + int(m.group(2))
               for m in (re.search(r"(\d+):(\d\d) elapsed", text) for text in status.shown)]
    return len(asked), seconds


def test_the_progress_line_ticks_each_second_without_polling_more(monkeypatch):
    from tnorder.commands import order_view

    polls_before, _ = polls_and_seconds(monkeypatch, lambda status: None)
    polls, seconds = polls_and_seconds(monkeypatch, lambda status: order_view._Progress(status, 20))
    assert polls == polls_before  # the carrier is asked as often as without a progress line
    assert sorted(set(seconds)) == list(range(0, max(seconds) + 1)) and max(seconds) >= 15
    assert seconds == sorted(seconds)
