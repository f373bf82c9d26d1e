"""kill -9 at every step of an order and of a disconnect, a killed emulator, and faults at scale:
afterwards `orders poll` leaves exactly one carrier order per key and a store equal to the carrier.

Steps: `before-send` and `before-record` pause the client (`TNORDER_TEST_PAUSE_AT`); `received` and
`answered` pause the emulator (`--pause-at`). Each writes a marker file and waits while it exists.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from crashkit import WorldView, free_port, order_as_the_emulator_dies, start, wait_for
from crashkit import assert_settled as settled
from crashkit import in_store as listed
from emulator import Emulator

TYPE = "BW"
ACCOUNT = "9900001"


@pytest.fixture
def world(tmp_path: Path) -> Path:
    return tmp_path / "emulator"


@pytest.fixture
def bandwidth(run, monkeypatch):
    def configure(url: str) -> None:
        monkeypatch.setenv("BW_USER", "u")
        monkeypatch.setenv("BW_PASS", "p")
        for args in (("config", "carrier", "add", "bw", "--kind", "bandwidth", "--url", url,
                      "--option", "rate_limit_wait=5"),
                     ("config", "account", "add", "bw", "--carrier", "bw", "--account-id", ACCOUNT, "--site-id", "1",
                      "--username-env", "BW_USER", "--password-env", "BW_PASS"),
                     ("config", "inventory-type", "add", TYPE, "--account", "bw")):
            assert run(*args).code == 0
    return configure


def carrier_orders(world: Path, key: str) -> int:
    return WorldView(world, ACCOUNT).orders(key)


def at_carrier(world: Path) -> set[str]:
    return WorldView(world, ACCOUNT).in_service()


def in_store(cli) -> set[str]:
    return listed(cli, TYPE)


def assert_settled(cli, world: Path, key: str) -> None:
    settled(cli, WorldView(world, ACCOUNT), TYPE, key)


CLIENT_STEPS = ["before-send", "before-record"]
EMULATOR_STEPS = ["received", "answered"]


@pytest.mark.parametrize("step", CLIENT_STEPS + EMULATOR_STEPS)
def test_kill_9_the_client_at_each_step_of_an_order(cli, world, bandwidth, tmp_path, step):
    marker = tmp_path / "pause"
    flags = ("--pause-at", step, "--pause-file", str(marker)) if step in EMULATOR_STEPS else ()
    emu = Emulator(world, "--complete-after", "0", *flags)
    try:
        bandwidth(emu.url)
        env = {"TNORDER_TEST_PAUSE_AT": step, "TNORDER_TEST_PAUSE_FILE": str(marker)}
        proc = start("inventory", "order", "--type", TYPE, "--area-code", "919", "--quantity", "2", "--all",
                     "--yes", "--key", "crash-1", env=env)
        wait_for(Path(f"{marker}.{step}"), proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        Path(f"{marker}.{step}").unlink()  # the emulator goes on (its answer meets a closed socket)
        time.sleep(0.3)
        assert_settled(cli, world, "crash-1")
        expected = 0 if step == "before-send" else 1
        assert carrier_orders(world, "crash-1") == expected
        assert len(in_store(cli)) == 2 * expected
    finally:
        emu.stop()


@pytest.mark.parametrize("step", CLIENT_STEPS + EMULATOR_STEPS)
def test_kill_9_the_client_at_each_step_of_a_disconnect(cli, world, bandwidth, tmp_path, step):
    marker = tmp_path / "pause"
    flags = ("--pause-at", step, "--pause-file", str(marker)) if step in EMULATOR_STEPS else ()
    emu = Emulator(world, "--complete-after", "0", *flags)
    try:
        bandwidth(emu.url)
        if step in EMULATOR_STEPS:  # the order itself goes through the pause untouched
            marker_file = Path(f"{marker}.{step}")
            proc = start("inventory", "order", "--type", TYPE, "--area-code", "704", "--quantity", "2", "--all",
                         "--yes", "--wait")
            wait_for(marker_file, proc)
            marker_file.unlink()
            assert proc.wait(30) == 0, proc.communicate()
        else:
            assert cli("inventory", "order", "--type", TYPE, "--area-code", "704", "--quantity", "2", "--all",
                       "--yes", "--wait").code == 0
        number = sorted(in_store(cli))[0]
        env = {"TNORDER_TEST_PAUSE_AT": step, "TNORDER_TEST_PAUSE_FILE": str(marker)}
        proc = start("inventory", "disconnect", number, "--yes", "--key", "gone-1", env=env)
        wait_for(Path(f"{marker}.{step}"), proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        Path(f"{marker}.{step}").unlink()
        time.sleep(0.3)
        assert_settled(cli, world, "gone-1")
        shown = cli("inventory", "show", number, "--json").json()
        assert shown["status"] == ("available" if step == "before-send" else "disconnected"), shown
    finally:
        emu.stop()


@pytest.mark.parametrize("step", EMULATOR_STEPS)
def test_a_killed_emulator_mid_order(cli, world, bandwidth, tmp_path, step):
    marker = tmp_path / "pause"
    port = free_port()
    emu = Emulator(world, "--port", str(port), "--complete-after", "0", "--pause-at", step,
                   "--pause-file", str(marker))
    bandwidth(emu.url)
    order_as_the_emulator_dies(emu.proc, Path(f"{marker}.{step}"), TYPE)
    emu = Emulator(world, "--port", str(port), "--complete-after", "0")
    try:
        assert_settled(cli, world, "emu-1")
        assert carrier_orders(world, "emu-1") == (1 if step == "answered" else 0)
    finally:
        emu.stop()


def test_two_hundred_orders_through_faults_end_final_and_equal(cli, run, world, bandwidth):
    """20 % of requests fail: 500, 429 with a reset, malformed bodies (--fail-rate), dropped connections
    before or after the emulator acts (--drop-rate)."""
    emu = Emulator(world, "--complete-after", "0", "--fail-rate", "0.1", "--drop-rate", "0.1", "--seed", "11")
    try:
        bandwidth(emu.url)
        npas = ["212", "305", "312", "415", "503", "617", "704", "206", "404", "713"]
        outcomes: dict[int, int] = {}
        # each order its own process, as a script runs them: one whose outcome is unknown leaves a lease
        # whose process is gone, which the poll may settle at once (a live one is waited out, 90 s)
        for i in range(200):
            placed = cli("inventory", "order", "--type", TYPE, "--area-code", npas[i % 10], "--quantity", "1",
                         "--all", "--yes", "--key", f"scale-{i}")
            outcomes[placed.code] = outcomes.get(placed.code, 0) + 1
            assert placed.code in (0, 3, 5, 7), placed.err
        for _ in range(8):
            polled = cli("orders", "poll", "--wait", "--timeout", "20")
            if not run("orders", "pending", "--json").json():
                break
        assert run("orders", "pending", "--json").json() == [], polled.err
        assert WorldView(world, ACCOUNT).twice() == []
        assert in_store(cli) == at_carrier(world)
        assert outcomes.get(5, 0) > 0  # some creates really did end with an unknown outcome
    finally:
        emu.stop()
