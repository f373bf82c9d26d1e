"""SIGINT, SIGTERM and SIGHUP at every step: reservations released, orders already sent named, 130/143/129."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import forkserver
from emulator import Emulator

SIGNALS = [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)]


def start(*args: str) -> subprocess.Popen:
    return forkserver.tnorder(*args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=os.environ.copy())


def wait_for(check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def sent_orders(home: Path) -> list[tuple]:
    path = home / "tnorder.db"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        try:
            return db.execute("SELECT ref, carrier_order_id FROM orders WHERE carrier_order_id IS NOT NULL").fetchall()
        except sqlite3.OperationalError:
            return []


@pytest.mark.parametrize(("signum", "code"), SIGNALS)
def test_a_signal_during_wait_names_the_order_that_was_placed(home, signum, code):
    proc = start("inventory", "order", "--area-code", "919", "--quantity", "1", "--all", "--yes", "--wait",
                 "--timeout", "60")
    wait_for(lambda: sent_orders(home))
    time.sleep(0.3)  # inside the wait now
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert "ORD-000001" in err and "orders poll" in err and "do not order it again" in err
    assert "interrupted by" in err


@pytest.fixture
def slow_bandwidth(run, tmp_path, monkeypatch):
    """A Bandwidth account on an emulator that answers each request after 400 ms."""
    emu = Emulator(tmp_path / "emulator", "--latency-ms", "400", "--complete-after", "0")
    monkeypatch.setenv("BW_CLIENT", "c")
    monkeypatch.setenv("BW_SECRET", "s")
    for args in (("config", "carrier", "add", "bw", "--kind", "bandwidth", "--url", emu.url),
                 ("config", "account", "add", "bw", "--carrier", "bw", "--account-id", "9900001", "--site-id", "1",
                  "--client-id-env", "BW_CLIENT", "--client-secret-env", "BW_SECRET"),
                 ("config", "inventory-type", "add", "BW", "--account", "bw")):
        assert run(*args).code == 0
    yield emu
    emu.stop()


def held_at_carrier(emu: Emulator) -> int:
    with sqlite3.connect(emu.home / "sandbox" / "world.sqlite") as db:
        return db.execute("SELECT count(*) FROM holds WHERE state = 'reserved'").fetchone()[0]


@pytest.mark.parametrize(("signum", "code"), SIGNALS)
def test_a_signal_while_reserving_releases_every_reservation(home, slow_bandwidth, signum, code):
    emu = slow_bandwidth
    proc = start("inventory", "order", "--type", "BW", "--area-code", "919", "--quantity", "4", "--pick", "1",
                 "--yes")
    wait_for(lambda: "tnreservation 201" in emu.log())
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert held_at_carrier(emu) == 0
    assert "POST /api/accounts/9900001/orders" not in emu.log()  # interrupted before anything was ordered
    with sqlite3.connect(home / "tnorder.db") as db:
        assert db.execute("SELECT count(*) FROM reservations").fetchone()[0] == 0


def test_threads_started_for_a_command_leave_the_signals_to_the_main_thread():
    """Lease renewers, poll and batch workers, the emulator's server start inside
    `main_thread_hears`: the kernel cannot hand them a Ctrl-C the main thread would never see."""
    import threading

    from tnorder import interrupts

    three = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    seen: list[set[int]] = []
    worker = threading.Thread(target=lambda: seen.append(signal.pthread_sigmask(signal.SIG_BLOCK, [])))
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    with interrupts.main_thread_hears():
        worker.start()
    worker.join()
    assert three <= seen[0]
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before  # the main thread hears them again


PROMPT_CHILD = r"""
import signal, sys, threading, time
from tnorder import interrupts
interrupts.install()
go = threading.Event()
threading.Thread(target=lambda: (go.wait(), time.sleep(0.5), signal.raise_signal(signal.SIGINT))).start()
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # the helper, started before, takes it
go.set()
read = interrupts.read_line if sys.argv[1] == "read_line" else input
try:
    print("answer:", read("? "))
except interrupts.Interrupted:
    print("interrupted at the prompt")
"""


@pytest.mark.parametrize("reader", ["input", "read_line"])
def test_a_signal_that_did_not_wake_the_prompt_is_still_acted_on(reader):
    """A SIGINT whose C handler ran while the main thread was not in a call the signal interrupts
    (just before the prompt's read, or on another thread) sets Python's flag and nothing else: with
    `input()` the prompt waits for a line that never comes (Ctrl-C seen unanswered in a full run);
    `interrupts.read_line` returns to Python while it waits, and the handler runs."""
    import pexpect

    child = pexpect.spawn(sys.executable, ["-c", PROMPT_CHILD, reader], encoding="utf-8", timeout=5)
    child.expect_exact("? ")
    if reader == "input":
        assert child.expect([pexpect.TIMEOUT, "interrupted"], timeout=3) == 0  # the defect, as CPython has it
        child.sendline("typed")
        child.expect("interrupted at the prompt")  # acted on only once a line came
    else:
        child.expect("interrupted at the prompt")
    child.expect(pexpect.EOF)
