"""The Telnyx plugin against the emulator's Telnyx face over a real loopback socket: every
supported criterion, holds that lapse, an order settled by `orders poll`, a disconnect and
reconcile. (The CLI flows at length are test_telnyx_e2e's; this checks plugin and face agree.)"""

from __future__ import annotations

import pytest

from tnorder.sim.server import make_api, start

TYPE = "TX DIDs"
KEY = "KEYemulator-secret_42"


@pytest.fixture
def telnyx(run, tmp_path, monkeypatch):
    """The emulator (checking the Bearer key) and carrier `tx`, account `txa`, type `TX DIDs` at it."""
    emu = start(make_api(tmp_path / "world.sqlite", complete_after=0, telnyx_key=KEY), quiet=True)
    monkeypatch.setenv("TX_KEY", KEY)
    for args in (("config", "carrier", "add", "tx", "--kind", "telnyx", "--url", emu.telnyx_url),
                 ("config", "account", "add", "txa", "--carrier", "tx", "--api-key-env", "TX_KEY",
                  "--option", "connection_id=42"),
                 ("config", "inventory-type", "add", TYPE, "--account", "txa")):
        result = run(*args)
        assert result.code == 0, result.err
    yield emu
    emu.stop()


def numbers(run, *criteria: str, quantity: int = 3) -> list[dict]:
    result = run("inventory", "lookup", "--type", TYPE, *criteria, "--quantity", str(quantity), "--json")
    assert result.code == 0, result.err
    assert result.json(), criteria  # each criterion finds something in the world: no check below is vacuous
    return result.json()


def test_every_supported_criterion_finds_what_it_asked_for(run, telnyx):
    assert {n["number"][2:5] for n in numbers(run, "--area-code", "919")} == {"919"}
    assert {(n["rate_center"], n["state"]) for n in numbers(run, "--rate-center", "RALEIGH", "--state", "NC")} == {
        ("RALEIGH", "NC")}
    assert {n["state"] for n in numbers(run, "--state", "NC")} == {"NC"}
    assert {n["city"] for n in numbers(run, "--city", "Raleigh", "--state", "NC")} == {"RALEIGH"}
    exchange = numbers(run, "--area-code", "919", quantity=1)[0]["number"][2:8]
    assert {n["number"][2:8] for n in numbers(run, "--npa-nxx", exchange)} == {exchange}
    assert {n["number"][2:5] for n in numbers(run, "--toll-free", "8**")} <= {"800", "833", "844", "855", "866",
                                                                            "877", "888"}
    assert {n["number"][2:5] for n in numbers(run, "--toll-free", "87*")} == {"877"}
    assert all("3569377" in n["number"] for n in numbers(run, "--vanity", "FLOWERS"))
    assert all("822" in n["number"][2:] and n["state"] == "NC"  # without an area code, anywhere in the number
               for n in numbers(run, "--local-vanity", "TAC", "--state", "NC"))


def test_select_holds_order_poll_disconnect_reconcile(run, telnyx):
    placed = run("inventory", "order", "--type", TYPE, "--area-code", "919", "--quantity", "3", "--pick", "1,3",
                 "--yes", "--json")
    assert placed.code == 0, placed.err
    doc = placed.json()
    assert doc["status"] == "pending" and len(doc["numbers"]) == 2
    assert "cannot release a reservation" in placed.err  # the third number's hold lapses by itself
    holds = run("inventory", "reservations", "--json").json()
    assert [h["status"] for h in holds] == ["lapsing"] and holds[0]["hold_until"]
    polled = run("orders", "poll", "--json")
    assert polled.code == 0, polled.err
    assert polled.json()[0]["status"] == "complete"
    world = telnyx.api.world
    assert sorted(world.in_service("telnyx")) == sorted(doc["numbers"])
    assert world.get(doc["carrier_order_id"], "telnyx", "order").request["connection_id"] == "42"
    gone = run("inventory", "disconnect", doc["numbers"][0], "--yes", "--json")
    assert gone.code == 0, gone.err
    assert gone.json()["status"] == "complete"
    assert sorted(world.in_service("telnyx")) == [doc["numbers"][1]]
    reconciled = run("inventory", "reconcile", "--type", TYPE, "--json")
    assert reconciled.code == 0 and reconciled.json()["agree"] is True


def test_a_wrong_key_is_exit_6_and_not_printed(run, telnyx, monkeypatch):
    monkeypatch.setenv("TX_KEY", "KEYwrong-one")
    result = run("config", "test", "txa")
    assert result.code == 6
    assert "refused the API key in $TX_KEY" in result.err and "KEYwrong-one" not in result.err
