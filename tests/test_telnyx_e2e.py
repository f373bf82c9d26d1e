"""Whole flows through the CLI, the Telnyx plugin and the emulator's Telnyx face over a real socket:
a selection whose unpicked holds lapse, holds extended while the operator chooses, lookup-and-order
with a shortfall, request-and-wait, a partial order, a customer's line, a disconnect by phone-number
id, reconcile over 1,200 in-service numbers, Ctrl-C at the selection prompt, `config test`, and the
API key kept out of every output.

(test_telnyx_emulator covers each criterion; test_telnyx_crash the kills and faults;
test_telnyx_bad_input_e2e the refusals, zip and LATA among them, with no request sent.)"""

from __future__ import annotations

import io
import json
import os
import signal
import threading

import httpx
import pexpect
import pytest

import forkserver
from tnorder.criteria import Criteria
from tnorder.sim.server import make_api, start

TYPE = "TX DIDs"
KEY = "KEYe2e-secret_77"
CUSTOMER, LINE = "C-2002", "fax"


def configure(run, url: str) -> None:
    for args in (("config", "carrier", "add", "tx", "--kind", "telnyx", "--url", url),
                 ("config", "account", "add", "txa", "--carrier", "tx", "--api-key-env", "TX_KEY"),
                 ("config", "inventory-type", "add", TYPE, "--account", "txa")):
        result = run(*args)
        assert result.code == 0, result.err


@pytest.fixture
def telnyx(run, tmp_path, monkeypatch):
    """The emulator in this process (its world at hand, its request log read back), checking the key."""
    log = io.StringIO()
    emu = start(make_api(tmp_path / "world.sqlite", complete_after=0, telnyx_key=KEY), log=log)
    emu.log = log
    monkeypatch.setenv("TX_KEY", KEY)
    configure(run, emu.telnyx_url)
    yield emu
    emu.stop()


def requests(emu, start: str) -> list[str]:
    return [line.split(" ", 1)[1] for line in emu.log.getvalue().splitlines() if line.split(" ", 1)[1:2]
            and line.split(" ", 1)[1].startswith(start)]


def read(emu, path: str, **params: str) -> httpx.Response:
    """The emulator's Telnyx face as any client sees it (Bearer, the key)."""
    return httpx.get(emu.telnyx_url + path, params=params, headers={"Authorization": f"Bearer {KEY}"}, timeout=10)


def test_pick_two_of_five_orders_two_and_leaves_three_holds_to_lapse(run, telnyx):
    lookup = ("--type", TYPE, "--area-code", "919", "--quantity", "5")
    shown = [n["number"] for n in run("inventory", "lookup", *lookup, "--json").json()]
    assert len(shown) == 5
    placed = run("inventory", "order", *lookup, "--pick", "2,4", "--yes", "--json")
    assert placed.code == 0, placed.err
    assert placed.json()["numbers"] == [shown[1], shown[3]] and placed.json()["status"] == "pending"
    holds = run("inventory", "reservations", "--json").json()
    assert sorted(h["number"] for h in holds) == sorted([shown[0], shown[2], shown[4]])
    assert {h["status"] for h in holds} == {"lapsing"}
    for hold in holds:  # the expiry shown is the one Telnyx answered, and the screen names it
        held = read(telnyx, f"/number_reservations/{hold['reservation_id']}").json()["data"]["phone_numbers"]
        assert [(n["phone_number"], n["expired_at"][:19], n["expired"]) for n in held] == [
            (hold["number"], hold["hold_until"][:19], False)]  # Telnyx's has microseconds
        assert hold["number"] in placed.err and f"until {hold['hold_until'][11:16]} UTC" in placed.err
    assert "lapses" in placed.err and "released" not in placed.err.lower()  # no release is claimed
    polled = run("orders", "poll", "--json")
    assert polled.code == 0 and polled.json()[0]["status"] == "complete", polled.err
    listed = run("inventory", "list", "--type", TYPE, "--json").json()
    assert sorted(n["number"] for n in listed) == sorted([shown[1], shown[3]])
    assert run("inventory", "reservations", "--json").json() == holds  # still held until they lapse
    assert requests(telnyx, "DELETE") == []  # Telnyx documents no way to cancel a reservation


def test_holds_are_extended_at_telnyx_while_the_operator_chooses(run, telnyx, monkeypatch):
    """The selection's own extend thread (its clock moved to 4 minutes before the holds lapse) against
    the face: one documented extend per hold, and the store keeps the expiry Telnyx answered."""
    from datetime import datetime, timedelta

    from tnorder.clock import utcnow
    from tnorder.services import ordering
    from tnorder.services.context import Context

    monkeypatch.setattr(ordering, "EXTEND_EVERY", 0.05)
    ctx = Context()
    said: list[str] = []
    plan = ordering.plan(ctx, inventory_type=TYPE, criteria=Criteria(area_code="919"), quantity=2)
    try:
        with ordering.Selection(ctx, plan, notify=said.append) as selection:
            first = selection.held_until()
            before = {n: r.expires_at for n, r in selection.reservations.items()}
            monkeypatch.setattr(ordering, "utcnow", lambda: first - timedelta(minutes=4))
            for _ in range(200):  # the thread says it once both extends are answered
                if said:
                    break
                threading.Event().wait(0.05)
        monkeypatch.setattr(ordering, "utcnow", utcnow)
    finally:
        ctx.close()
    assert said and said[0].startswith("extended the hold on 2 number(s) at tx until"), said
    extends = requests(telnyx, "POST /telnyx/v2/number_reservations/")
    assert len(extends) == 2 and all(r.split()[1].endswith("/actions/extend") for r in extends), extends
    holds = run("inventory", "reservations", "--json").json()
    assert len(holds) == 2 and {h["status"] for h in holds} == {"lapsing"}
    for hold in holds:
        held = read(telnyx, f"/number_reservations/{hold['reservation_id']}").json()["data"]["phone_numbers"]
        assert [n["expired_at"][:19] for n in held] == [hold["hold_until"][:19]]
        assert datetime.fromisoformat(hold["hold_until"]) - before[hold["number"]] >= timedelta(minutes=29)
    assert requests(telnyx, "DELETE") == []


def test_lookup_and_order_with_a_shortfall_ends_partial_naming_it(run, telnyx):
    offered = run("inventory", "lookup", "--type", TYPE, "--npa-nxx", "919207", "--quantity", "1000", "--json").json()
    assert 0 < len(offered) < 1000  # the exchange holds fewer than asked: no check below is vacuous
    placed = run("inventory", "order", "--type", TYPE, "--npa-nxx", "919207", "--quantity", "1000", "--all",
                 "--yes", "--wait", "--json")
    doc = placed.json()
    assert (placed.code, doc["status"]) == (4, "partial"), placed.err
    assert f"asked 1000, completed {len(offered)}" in doc["error"]
    assert sorted(doc["numbers"]) == sorted(n["number"] for n in offered)
    assert len(requests(telnyx, "POST /telnyx/v2/number_orders")) == 1  # searched, then one order: no search-and-order


def test_request_and_wait_stays_pending_until_the_carrier_completes_it(run, tmp_path, monkeypatch):
    log = io.StringIO()
    # 8 s, not less: the early poll below must come before completion on a loaded 2-core machine too
    emu = start(make_api(tmp_path / "world.sqlite", complete_after=8, telnyx_key=KEY), log=log)
    emu.log = log
    monkeypatch.setenv("TX_KEY", KEY)
    try:
        configure(run, emu.telnyx_url)
        placed = run("inventory", "order", "--type", TYPE, "--area-code", "704", "--quantity", "2", "--all",
                     "--yes", "--json")
        assert placed.code == 0 and placed.json()["status"] == "pending", placed.err
        assert run("orders", "pending", "--json").json()[0]["order_ref"] == placed.json()["order_ref"]
        early = run("orders", "poll", "--json")  # asked; Telnyx still says pending: nothing changed
        assert (early.code, early.json()) == (0, []), early.err
        assert requests(emu, "GET /telnyx/v2/number_orders/" + placed.json()["carrier_order_id"])
        assert run("orders", "pending", "--json").json()[0]["order_ref"] == placed.json()["order_ref"]
        assert {n["status"] for n in run("inventory", "list", "--type", TYPE, "--json").json()} == {"pending"}
        done = run("orders", "poll", "--wait", "--timeout", "30", "--json")
        assert done.code == 0, done.err
        listed = run("inventory", "list", "--type", TYPE, "--json").json()
        assert sorted(n["number"] for n in listed) == sorted(placed.json()["numbers"])
        assert {n["status"] for n in listed} == {"available"}
        assert sorted(emu.api.world.in_service("telnyx")) == sorted(placed.json()["numbers"])
    finally:
        emu.stop()


def test_a_number_sold_elsewhere_meanwhile_makes_the_order_partial(run, telnyx):
    shown = [n["number"] for n in run("inventory", "lookup", "--type", TYPE, "--area-code", "412", "--quantity", "3",
                                      "--json").json()]
    telnyx.api.world.order([shown[1]], "someone-else", None)  # the one world: bought through another face
    placed = run("inventory", "order", "--type", TYPE, "--numbers", ",".join(shown), "--yes", "--wait", "--json")
    doc = placed.json()
    assert (placed.code, doc["status"]) == (4, "partial"), placed.err
    assert [f["number"] for f in doc["failed"]] == [shown[1]] and doc["failed"][0]["reason"]
    listed = {n["number"]: n["status"] for n in run("inventory", "list", "--type", TYPE, "--json").json()}
    assert listed == {shown[0]: "available", shown[2]: "available"}  # the failed number never lands
    shown_order = run("orders", "show", doc["order_ref"])
    [line] = [line for line in shown_order.out.splitlines() if shown[1] in line]
    assert "failed" in line and doc["failed"][0]["reason"] in line, shown_order.out  # with the carrier's reason


def test_add_from_carrier_assigns_to_the_line_after_poll(run, tmp_path, monkeypatch):
    emu = start(make_api(tmp_path / "world.sqlite", complete_after=1, telnyx_key=KEY), quiet=True)
    monkeypatch.setenv("TX_KEY", KEY)
    try:
        configure(run, emu.telnyx_url)
        assert run("customer", "add", CUSTOMER, "--name", "Initech").code == 0
        assert run("customer", "line", "add", CUSTOMER, LINE).code == 0
        placed = run("customer", "add-dids", CUSTOMER, "--line", LINE, "--type", TYPE, "--state", "OH",
                     "--quantity", "2", "--pick", "1,2", "--yes", "--json")
        assert placed.code == 0 and placed.json()["status"] == "pending", placed.err
        on_line = run("customer", "show", CUSTOMER, "--json").json()["lines"][0]["numbers"]
        assert {n["status"] for n in on_line} == {"pending"}
        assert run("orders", "poll", "--wait", "--timeout", "30").code == 0
        on_line = run("customer", "show", CUSTOMER, "--json").json()["lines"][0]["numbers"]
        assert sorted(n["number"] for n in on_line) == sorted(placed.json()["numbers"])
        assert {n["status"] for n in on_line} == {"assigned"}
        assert run("inventory", "reservations", "--json").json() == []  # both holds were used by the order
    finally:
        emu.stop()


def test_a_disconnect_releases_by_phone_number_id_and_the_number_leaves_the_account(run, telnyx):
    placed = run("inventory", "order", "--type", TYPE, "--area-code", "704", "--quantity", "2", "--all", "--yes",
                 "--wait", "--json")
    assert placed.code == 0, placed.err
    kept, gone = placed.json()["numbers"]
    ids = {n["phone_number"]: n["id"] for n in read(telnyx, "/phone_numbers").json()["data"]}
    assert sorted(ids) == sorted([kept, gone])
    done = run("inventory", "disconnect", gone, "--yes", "--json")
    assert done.code == 0, done.err
    assert (done.json()["status"], done.json()["completed"]) == ("complete", [gone])
    assert requests(telnyx, "DELETE") == [f"DELETE /telnyx/v2/phone_numbers/{ids[gone]} 200"]
    shown = run("inventory", "show", gone, "--json").json()
    assert shown["status"] == "disconnected" and shown["disconnected_at"]
    assert run("inventory", "show", kept, "--json").json()["status"] == "available"
    assert [n["phone_number"] for n in read(telnyx, "/phone_numbers").json()["data"]] == [kept]
    assert read(telnyx, f"/phone_numbers/{ids[gone]}").status_code == 404
    reconciled = run("inventory", "reconcile", "--type", TYPE, "--json")
    assert reconciled.code == 0 and reconciled.json()["agree"] is True, reconciled.out


def test_reconcile_reads_every_page_of_1200_in_service_numbers(run, telnyx, tmp_path):
    world = telnyx.api.world
    bought = [n.number for n in world.search(Criteria(state="TX"), 1200)]
    assert len(bought) == 1200
    world.get(world.order(bought, "telnyx", None).id, "telnyx")  # settled: in service at the account
    csv = tmp_path / "ours.csv"
    csv.write_text("number\n" + "\n".join(bought[:1000]) + "\n")
    assert run("inventory", "import", str(csv), "--type", TYPE).code == 0
    reconciled = run("inventory", "reconcile", "--type", TYPE, "--json")
    assert reconciled.code == 8, reconciled.err  # DESIGN: reconcile found a difference
    doc = reconciled.json()
    assert doc["agree"] is False and sorted(doc["carrier_only"]) == sorted(bought[1000:])
    pages = [r for r in requests(telnyx, "GET /telnyx/v2/phone_numbers?") if "status%5D=active" in r
             or "status]=active" in r]
    assert len(pages) == 5  # 250 a page


def spawn(*args: str) -> pexpect.spawn:
    return forkserver.spawn(*args, env=dict(os.environ, COLUMNS="120", TERM="dumb"),
                         encoding="utf-8", timeout=30, dimensions=(50, 120))


def test_ctrl_c_at_the_selection_orders_nothing_and_shows_every_hold(run, emulator, monkeypatch):
    emu = emulator("--complete-after", "0", "--telnyx-key", KEY)
    monkeypatch.setenv("TX_KEY", KEY)
    configure(run, emu.url.removesuffix("/api") + "/telnyx/v2")
    child = spawn("inventory", "order", "--type", TYPE, "--area-code", "919", "--quantity", "4", "--select")
    child.expect("held for you")
    child.expect(r"Order which numbers\?")
    child.kill(signal.SIGINT)
    child.expect(pexpect.EOF)
    child.close()
    said = child.before
    assert child.exitstatus == 130 or child.signalstatus == signal.SIGINT, said
    holds = run("inventory", "reservations", "--json").json()
    assert len(holds) == 4 and {h["status"] for h in holds} == {"lapsing"}
    assert all(h["number"] in said for h in holds) and "cannot release a reservation" in said
    assert all(f"until {h['hold_until'][11:16]} UTC" in said for h in holds)
    assert run("orders", "list", "--json").json() == []
    calls = {line.split()[1] + " " + line.split()[2].split("?")[0].rstrip("0123456789abcdef-/")
             for line in emu.log().splitlines() if " /telnyx/v2/" in line and "emulator on" not in line}
    assert calls == {"GET /telnyx/v2/available_phone_numbers", "POST /telnyx/v2/number_reservations"}, calls
    assert KEY not in said and KEY not in json.dumps(holds)


def sim_serve(run, emulator, monkeypatch):
    """`tnorder sim serve --telnyx-key` as a real process, configured as carrier tx, account txa."""
    emu = emulator("--complete-after", "0", "--telnyx-key", KEY)
    monkeypatch.setenv("TX_KEY", KEY)
    configure(run, emu.url.removesuffix("/api") + "/telnyx/v2")
    return emu


def test_config_test_against_sim_serve_passes_with_the_key_and_refuses_a_wrong_one(cli, run, emulator, monkeypatch):
    emu = sim_serve(run, emulator, monkeypatch)
    ok = cli("config", "test", "txa")
    assert ok.code == 0, ok.err
    wrong = cli("config", "test", "txa", env={"TX_KEY": "KEYwrong-but-well-formed_9"})
    assert wrong.code == 6, wrong.err
    assert "$TX_KEY" in wrong.err and len(wrong.err.strip().splitlines()) == 1
    assert "KEYwrong" not in wrong.out + wrong.err
    assert [line.split()[-1] for line in emu.lines if " /telnyx/v2/phone_numbers" in line] == ["200", "401"]


def test_the_api_key_reaches_no_output_log_or_store(cli, run, emulator, monkeypatch, home):
    """Every command that talks to Telnyx, verbose (it logs each request); then every file either side."""
    emu = sim_serve(run, emulator, monkeypatch)
    said = []
    for args in (("inventory", "lookup", "--type", TYPE, "--state", "NC", "--quantity", "3"),
                 ("inventory", "order", "--type", TYPE, "--state", "NC", "--quantity", "3", "--pick", "1", "--yes"),
                 ("orders", "poll", "--wait", "--timeout", "30"),
                 ("inventory", "reservations"), ("inventory", "reconcile", "--type", TYPE),
                 ("config", "account", "list"), ("config", "test", "txa")):
        result = cli("-v", *args)
        assert result.code == 0, (args, result.err)
        said.append(result.out + result.err)
    number = run("inventory", "list", "--json").json()[0]["number"]
    gone = cli("-v", "inventory", "disconnect", number, "--yes")
    assert gone.code == 0, gone.err
    said.append(gone.out + gone.err)
    assert "tnorder.http:" in gone.err and " DELETE " in gone.err  # verbose: it logged the requests
    assert not [text for text in said if KEY in text]
    files = [p for root in (home, emu.home) for p in root.rglob("*") if p.is_file()]
    assert files and not [p for p in files if KEY.encode() in p.read_bytes()]
    assert KEY not in emu.log()
