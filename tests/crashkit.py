"""What the kill -9 rehearsals share, for every carrier: start a client that can be killed, wait for
its pause marker, poll until settled, and compare the store with the emulator's world.

A world account is the emulator's: Bandwidth's account id, or `"telnyx"` for the Telnyx face.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import forkserver


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """tnorder as a real process, to be killed mid-way."""
    return forkserver.tnorder(*args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=os.environ | (env or {}))


def paused_at(step: str, marker: Path) -> dict[str, str]:
    """The environment that stops a client at `step` (tnorder/testhooks.py)."""
    return {"TNORDER_TEST_PAUSE_AT": step, "TNORDER_TEST_PAUSE_FILE": str(marker)}


def wait_for(path: Path, proc: subprocess.Popen | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"exited before {path.name}: {proc.communicate()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {path}")
        time.sleep(0.02)


def kill_at(proc: subprocess.Popen, marker: Path) -> None:
    """kill -9 the client once it waits at `marker`, then let whatever else waits there go on."""
    wait_for(marker, proc)
    proc.send_signal(9)
    proc.wait(10)
    marker.unlink()  # an emulator paused there goes on (its answer meets a closed socket)
    time.sleep(0.3)


def order_as_the_emulator_dies(emulator: subprocess.Popen, marker: Path, inventory_type: str) -> None:
    """An order (key `emu-1`, two 312 numbers) whose emulator, paused at `marker`, is killed there: the
    client ends with the outcome unknown (exit 5), its reference printed; the marker is taken away."""
    proc = start("inventory", "order", "--type", inventory_type, "--area-code", "312", "--quantity", "2", "--all",
                 "--yes", "--key", "emu-1", "--json")
    wait_for(marker, proc)
    emulator.kill()
    emulator.wait(10)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 5, err  # outcome unknown: the reference is printed
    assert "ORD-000001" in out and "outcome unknown" in err
    marker.unlink()


def settle(cli) -> None:
    """Poll until nothing changes: what a cron job does."""
    for _ in range(4):
        polled = cli("orders", "poll", "--wait", "--timeout", "30", "--json")
        assert polled.code in (0, 3, 4), polled.err
        if not polled.json():
            return


class WorldView:
    """One account's side of an emulator's world file, read directly (as the carrier knows it)."""

    def __init__(self, emulator_home: Path, account: str) -> None:
        self.path = emulator_home / "sandbox" / "world.sqlite"
        self.account = account

    def _rows(self, sql: str, *args: object) -> list[tuple]:
        with sqlite3.connect(self.path) as db:
            return db.execute(sql, args).fetchall()

    def orders(self, key: str) -> int:
        """How many orders and disconnects the carrier holds under this key (reservations aside)."""
        return self._rows("SELECT count(*) FROM orders WHERE account = ? AND customer_order_id = ? "
                          "AND kind IN ('order', 'disconnect')", self.account, key)[0][0]

    def twice(self, kind: str = "order") -> list[tuple]:
        """Keys that the carrier holds more than one order under: none, ever."""
        return self._rows("SELECT customer_order_id, count(*) FROM orders WHERE account = ? AND kind = ? "
                          "GROUP BY customer_order_id HAVING count(*) > 1", self.account, kind)

    def held(self) -> dict[str, float]:
        """The account's live reservations: number -> when the hold lapses (epoch seconds)."""
        return dict(self._rows("SELECT tn, expires_at FROM holds WHERE account = ? AND state = 'reserved' "
                               "AND expires_at > ?", self.account, time.time()))

    def in_service(self) -> set[str]:
        return {r[0] for r in self._rows("SELECT tn FROM holds WHERE account = ? AND state = 'inservice'",
                                         self.account)}


def in_store(cli, inventory_type: str) -> set[str]:
    """The type's numbers that tnorder holds; none may be left half-way (pending, disconnecting)."""
    listed = cli("inventory", "list", "--type", inventory_type, "--json").json()
    assert not [n for n in listed if n["status"] in ("pending", "disconnecting")], listed
    return {n["number"] for n in listed if n["status"] in ("available", "assigned")}


def assert_settled(cli, world: WorldView, inventory_type: str, key: str) -> None:
    """After `orders poll`: nothing pending, at most one carrier order for the key, store = carrier."""
    settle(cli)
    assert cli("orders", "pending", "--json").json() == []
    assert world.orders(key) <= 1
    assert in_store(cli, inventory_type) == world.in_service()
