"""Telnyx: kill -9 at every step of an order and of a disconnect, a killed emulator, and faults at
scale, against `tnorder sim serve`'s Telnyx face over a real socket. Afterwards `orders poll` leaves
the store equal to the emulator's world: at most one Telnyx number order per `customer_reference`
(tnorder's key), every number sold to the world account `telnyx` in the store, none extra.

Telnyx has no idempotency key, so the case that matters most is a create that reached Telnyx
whose answer was lost: it is found again by `filter[customer_reference]` and never sent twice
(the emulator's request log counts the POSTs). Steps: `before-write-ahead`, `before-send`,
`before-record` (and the reservation steps of a selection) pause the client; `received` and
`answered` pause the emulator (tests/crashkit.py). The killed clients (and the batch) are real
processes; what runs after them (`orders poll`, the listings) runs in this process, which keeps
the file within its time budget.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from datetime import datetime
from pathlib import Path

import pytest

from crashkit import (
    WorldView,
    assert_settled,
    free_port,
    in_store,
    kill_at,
    order_as_the_emulator_dies,
    paused_at,
    settle,
    start,
    wait_for,
)
from emulator import Emulator

TYPE = "TX"
KEY = "KEYtelnyxCrash0123"  # the emulator checks it (--telnyx-key): a lost Bearer header would show
CREATE = re.compile(r" POST /telnyx/v2/number_orders (\d{3}|dropped)$", re.M)
RELEASE = re.compile(r" (DELETE /telnyx/v2/phone_numbers/\d+|POST /telnyx/v2/phone_numbers/jobs/delete_phone_numbers)"
                     r" (\d{3}|dropped)$", re.M)
CLIENT_STEPS = ["before-write-ahead", "before-send", "before-record"]
EMULATOR_STEPS = ["received", "answered"]
# the create reached Telnyx at these steps (the emulator's `received` acts once the client is gone)
REACHED = {"before-record", "received", "answered"}


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The emulator's exchange cache, built once (each emulator home would build its own: ~1.5 s)."""
    from tnorder.sim.pool import Pool

    path = tmp_path_factory.mktemp("pool")
    Pool(0, path).exchanges  # noqa: B018 - builds and writes the cache file
    return path


@pytest.fixture
def world_home(tmp_path: Path, pool: Path) -> Path:
    shutil.copytree(pool, tmp_path / "emulator" / "sandbox")
    return tmp_path / "emulator"


@pytest.fixture
def world(world_home: Path) -> WorldView:
    return WorldView(world_home, "telnyx")


def telnyx_url(emu: Emulator) -> str:
    return emu.url.removesuffix("/api") + "/telnyx/v2"


@pytest.fixture
def telnyx(run, monkeypatch):
    """`telnyx(emulator)`: carrier `tx` (kind telnyx) at the emulator's Telnyx face, account, type."""
    def configure(emu: Emulator) -> None:
        monkeypatch.setenv("TELNYX_API_KEY", KEY)
        for args in (("config", "carrier", "add", "tx", "--kind", "telnyx", "--url", telnyx_url(emu)),
                     ("config", "account", "add", "tx-main", "--carrier", "tx", "--api-key-env", "TELNYX_API_KEY"),
                     ("config", "inventory-type", "add", TYPE, "--account", "tx-main")):
            result = run(*args)
            assert result.code == 0, (args, result.err)
    return configure


def emulator(world_home: Path, *flags: str) -> Emulator:
    return Emulator(world_home, "--complete-after", "0", "--telnyx-key", KEY, *flags)


def pause_flags(step: str, marker: Path) -> tuple[str, ...]:
    return ("--pause-at", step, "--pause-file", str(marker)) if step in EMULATOR_STEPS else ()


def creates(emu: Emulator) -> int:
    return len(CREATE.findall(emu.log()))


def looked_up_by_reference(emu: Emulator, key: str) -> bool:
    wanted = (f"filter%5Bcustomer_reference%5D={key}", f"filter[customer_reference]={key}")
    return any(w in line for line in emu.lines if " GET /telnyx/v2/number_orders?" in line for w in wanted)


def assert_no_undocumented_call(emu: Emulator) -> None:
    """Every call the client made is one Telnyx documents: the face answers anything else 404."""
    assert not re.findall(r" (GET|POST|PATCH|DELETE|PUT) /telnyx/v2/\S+ 40[45]$", emu.log(), re.M), emu.log()
    assert " /telnyx/v2/number_reservations/" not in "".join(
        line for line in emu.lines if " DELETE " in line), emu.log()


# -- an order ----------------------------------------------------------------------------------
@pytest.mark.parametrize("step", CLIENT_STEPS + EMULATOR_STEPS)
def test_kill_9_the_client_at_each_step_of_an_order(run, world_home, world, telnyx, tmp_path, step):
    marker = tmp_path / "pause"
    emu = emulator(world_home, *pause_flags(step, marker))
    try:
        telnyx(emu)
        env = paused_at(step, marker) if step in CLIENT_STEPS else None
        proc = start("inventory", "order", "--type", TYPE, "--area-code", "919", "--quantity", "2", "--all",
                     "--yes", "--key", "crash-1", env=env)
        kill_at(proc, Path(f"{marker}.{step}"))
        assert_settled(run, world, TYPE, "crash-1")
        expected = 1 if step in REACHED else 0
        assert world.orders("crash-1") == expected
        assert creates(emu) == expected, emu.log()  # never re-sent: Telnyx would make a second order
        assert len(in_store(run, TYPE)) == 2 * expected
        if step in REACHED:  # found again by tnorder's key, not by anything the lost answer held
            assert looked_up_by_reference(emu, "crash-1"), emu.log()
        assert_no_undocumented_call(emu)
        statuses = [o["status"] for o in run("orders", "list", "--json").json()]
        # killed before its row was written there is no order; written but never sent, it failed
        assert statuses == {"before-write-ahead": [], "before-send": ["failed"]}.get(step, ["complete"])
    finally:
        emu.stop()


def test_a_lost_answer_is_found_by_customer_reference_and_a_rerun_sends_nothing(run, world_home, world, telnyx,
                                                                               tmp_path):
    """The create reached Telnyx, its answer never came back: the same command again (a script's retry)
    sends no second POST; `orders poll` finds the order by `filter[customer_reference]`."""
    marker = tmp_path / "pause"
    emu = emulator(world_home, "--pause-at", "answered", "--pause-file", str(marker))
    try:
        telnyx(emu)
        args = ("inventory", "order", "--type", TYPE, "--area-code", "704", "--quantity", "3", "--all", "--yes",
                "--key", "lost-1", "--json")
        kill_at(start(*args), Path(f"{marker}.answered"))
        again = run(*args)
        assert again.code in (0, 5), again.err  # the first order, as it stands: never a second one
        assert again.json()["order_ref"] == "ORD-000001"
        assert creates(emu) == 1
        settle(run)
        assert looked_up_by_reference(emu, "lost-1"), emu.log()
        assert creates(emu) == 1 and world.orders("lost-1") == 1
        assert in_store(run, TYPE) == world.in_service() and len(world.in_service()) == 3
    finally:
        emu.stop()


RESERVE_STEPS = ["reserve-before-send", "reserve-before-record", "reserve-after-grant"]


@pytest.mark.parametrize("step", RESERVE_STEPS)
def test_kill_9_while_reserving_a_selection_orders_nothing_and_asks_no_release(run, world_home, world, telnyx,
                                                                               tmp_path, step):
    """A selection killed while its holds are being made: nothing is ordered; Telnyx cannot cancel a
    hold, so none is released (no undocumented call): each lapses, shown until then with its expiry."""
    marker = tmp_path / "pause"
    emu = emulator(world_home)
    try:
        telnyx(emu)
        proc = start("inventory", "order", "--type", TYPE, "--area-code", "919", "--quantity", "3", "--pick", "1,2",
                     "--yes", "--key", "pick-1", env=paused_at(step, marker))
        kill_at(proc, Path(f"{marker}.{step}"))
        settle(run)
        assert creates(emu) == 0 and world.orders("pick-1") == 0
        assert in_store(run, TYPE) == set() == world.in_service()
        assert_no_undocumented_call(emu)
        assert len(world.held()) == (0 if step == "reserve-before-send" else 1)
        assert_holds_shown(run, world)
    finally:
        emu.stop()


def assert_holds_shown(run, world: WorldView) -> None:
    """`inventory reservations` lists exactly the holds Telnyx still has, each with its expiry."""
    lapses = world.held()
    shown = run("inventory", "reservations", "--json")
    assert shown.code == 0, shown.err
    listed = {r["number"]: r for r in shown.json()}
    assert set(listed) == set(lapses), (listed, lapses)  # every live hold is shown, none invented
    for number, row in listed.items():  # with the expiry Telnyx gave it
        until = datetime.fromisoformat(row["hold_until"].replace("Z", "+00:00")).timestamp()
        assert abs(until - lapses[number]) < 5, (row, lapses)


@pytest.mark.parametrize("step", ["before-send", "before-record", "answered"])
def test_kill_9_while_ordering_a_selection_keeps_only_the_holds_not_ordered(run, world_home, world, telnyx,
                                                                           tmp_path, step):
    """Three numbers held, two picked, killed while their order goes out: the order is found again
    (or never was), and the holds left are exactly those Telnyx still has, shown until they lapse."""
    marker = tmp_path / "pause"
    emu = emulator(world_home, *pause_flags(step, marker))
    try:
        telnyx(emu)
        env = paused_at(step, marker) if step in CLIENT_STEPS else None
        proc = start("inventory", "order", "--type", TYPE, "--area-code", "415", "--quantity", "3", "--pick", "1,3",
                     "--yes", "--key", "pick-2", env=env)
        kill_at(proc, Path(f"{marker}.{step}"))
        assert_settled(run, world, TYPE, "pick-2")
        expected = 1 if step in REACHED else 0
        assert world.orders("pick-2") == expected and creates(emu) == expected
        assert len(in_store(run, TYPE)) == 2 * expected
        assert len(world.held()) == (1 if expected else 3)
        assert_holds_shown(run, world)
        assert_no_undocumented_call(emu)
    finally:
        emu.stop()


# -- a disconnect ------------------------------------------------------------------------------
def bought(run, emu: Emulator, marker: Path, step: str, npa: str = "704") -> str:
    """Two numbers ordered and completed (a paused emulator lets the order's create through)."""
    args = ("inventory", "order", "--type", TYPE, "--area-code", npa, "--quantity", "2", "--all", "--yes", "--wait")
    if step in EMULATOR_STEPS:
        proc = start(*args)
        wait_for(Path(f"{marker}.{step}"), proc)
        Path(f"{marker}.{step}").unlink()
        assert proc.wait(30) == 0, proc.communicate()
    else:
        placed = run(*args)
        assert placed.code == 0, placed.err
    return sorted(in_store(run, TYPE))[0]


@pytest.mark.parametrize("step", CLIENT_STEPS + EMULATOR_STEPS)
def test_kill_9_the_client_at_each_step_of_a_disconnect(run, world_home, world, telnyx, tmp_path, step):
    marker = tmp_path / "pause"
    emu = emulator(world_home, *pause_flags(step, marker))
    try:
        telnyx(emu)
        number = bought(run, emu, marker, step)
        env = paused_at(step, marker) if step in CLIENT_STEPS else None
        proc = start("inventory", "disconnect", number, "--yes", "--key", "gone-1", env=env)
        kill_at(proc, Path(f"{marker}.{step}"))
        seen = len(emu.lines)
        assert_settled(run, world, TYPE, "gone-1")
        sent = step in REACHED
        shown = run("inventory", "show", number, "--json").json()
        assert shown["status"] == ("disconnected" if sent else "available"), shown
        assert (number in world.in_service()) is not sent
        assert len(RELEASE.findall(emu.log())) == int(sent), emu.log()  # released once, never again
        if sent:  # its answer lost: recovered from the in-service list
            assert listed_in_service(emu, seen), emu.log()
        assert_no_undocumented_call(emu)
    finally:
        emu.stop()


def listed_in_service(emu: Emulator, since: int) -> bool:
    return any(" GET /telnyx/v2/phone_numbers?" in line and "filter%5Bstatus%5D=active" in line
               for line in emu.lines[since:])


def test_a_disconnect_killed_between_its_numbers_ends_partial_as_the_in_service_list_says(run, world_home, world,
                                                                                         telnyx, tmp_path):
    """Telnyx releases one number at a time: killed while the first one's answer is on its way, the
    first is gone and the second still in service. `orders poll` says so from the in-service list."""
    marker = tmp_path / "pause"
    emu = emulator(world_home, "--pause-at", "answered", "--pause-file", str(marker))
    try:
        telnyx(emu)
        bought(run, emu, marker, "answered")
        first, second = sorted(in_store(run, TYPE))
        kill_at(start("inventory", "disconnect", first, second, "--yes", "--key", "gone-2"),
                Path(f"{marker}.answered"))
        seen = len(emu.lines)
        assert_settled(run, world, TYPE, "gone-2")
        assert listed_in_service(emu, seen), emu.log()
        assert len(RELEASE.findall(emu.log())) == 1  # the second was never asked for, before or after
        assert run("inventory", "show", first, "--json").json()["status"] == "disconnected"
        assert run("inventory", "show", second, "--json").json()["status"] == "available"
        shown = {o["order_ref"]: (o["kind"], o["status"]) for o in run("orders", "list", "--json").json()}
        assert shown == {"ORD-000001": ("purchase", "complete"), "ORD-000002": ("disconnect", "partial")}
    finally:
        emu.stop()


# -- the emulator itself killed ----------------------------------------------------------------
@pytest.mark.parametrize("step", EMULATOR_STEPS)
def test_a_killed_emulator_mid_order(run, world_home, world, telnyx, tmp_path, step):
    marker = tmp_path / "pause"
    port = free_port()
    emu = emulator(world_home, "--port", str(port), "--pause-at", step, "--pause-file", str(marker))
    telnyx(emu)
    order_as_the_emulator_dies(emu.proc, Path(f"{marker}.{step}"), TYPE)
    emu = emulator(world_home, "--port", str(port))
    try:
        assert_settled(run, world, TYPE, "emu-1")
        expected = 1 if step == "answered" else 0  # at `received` the world had not acted yet
        assert world.orders("emu-1") == expected
        assert len(in_store(run, TYPE)) == 2 * expected
        assert creates(emu) == 0  # the restarted emulator was asked, never sent the order again
    finally:
        emu.stop()


# -- faults at scale ---------------------------------------------------------------------------
NPAS = ["212", "305", "312", "415", "503", "617", "704", "206", "404", "713"]


def test_a_hundred_orders_through_faults_end_final_and_equal(cli, run, world_home, world, telnyx, tmp_path):
    """20 % of calls fail (500, 429 with its reset, a truncated body: --fail-rate) and a share of the
    rest lose their connection before or after the world acts (--drop-rate): one batch of 100
    lookup-and-orders, then `orders poll` until nothing is pending."""
    emu = emulator(world_home, "--fail-rate", "0.2", "--drop-rate", "0.05", "--seed", "15")
    try:
        telnyx(emu)
        orders = tmp_path / "orders.csv"
        orders.write_text("area_code,quantity,key\n" + "".join(f"{NPAS[i % 10]},1,scale-{i}\n" for i in range(100)))
        placed = cli("inventory", "order", "--type", TYPE, "--from-file", str(orders), "--yes", "--json", timeout=120)
        results = [json.loads(row) for row in placed.out.splitlines()]
        assert len(results) == 100, placed.err
        outcomes = {r["result"] for r in results}
        assert "unknown" in outcomes and "placed" in outcomes, outcomes  # faults really did hit creates
        deadline = time.monotonic() + 60
        while run("orders", "pending", "--json").json() and time.monotonic() < deadline:
            run("orders", "poll", "--wait", "--timeout", "10")
        assert run("orders", "pending", "--json").json() == []
        assert world.twice() == []  # no key ordered twice
        assert in_store(run, TYPE) == world.in_service()  # nothing lost, nothing extra
        assert max(world.orders(f"scale-{i}") for i in range(100)) == 1
    finally:
        emu.stop()
