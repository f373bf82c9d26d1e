"""Telnyx bad input end to end: tnorder as a real process against `tnorder sim serve`'s Telnyx face.

Each refusal is exit 2 (6 for the API key), one line on stderr, nothing on stdout; not one request
reaches the emulator (its log counts them), and the store, the config and the emulator's world
are byte-identical afterwards. test_bad_input_telnyx.py holds the in-process table (pytest-httpx,
carrier methods recorded); this file checks the same doors through the socket.

The home is a copy of one made once for the module: a Telnyx account whose key the emulator checks,
two numbers bought through the emulator (one on customer ACME's line "main"), and a batch file
and an import file with a bad third line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

import forkserver
from emulator import Emulator
from test_bad_input import case, tables

TYPE = "TX DIDs"
KEY = "KEYbadInputE2e-0001"
HELD = "{held}"  # the setup's available number
ASSIGNED = "{assigned}"  # the setup's number on ACME's line "main"
BATCH = "{batch}"  # a batch file whose third line asks Telnyx for a zip
IMPORT = "{import}"  # a CSV file whose third line is no number


@dataclass
class Served:
    emulator: Emulator
    template: Path
    held: str
    assigned: str

    def requests(self) -> int:
        return sum(" /telnyx/v2/" in line for line in self.emulator.lines)

    def world(self) -> dict[str, list[tuple]]:
        return tables(self.emulator.home / "sandbox" / "world.sqlite")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("telnyx-bad-input")
    emu = Emulator(root / "emulator", "--complete-after", "0", "--telnyx-key", KEY)
    env = os.environ | {"TNORDER_HOME": str(root / "home"), "TELNYX_API_KEY": KEY, "TNORDER_OPERATOR": "tester",
                        "TNORDER_NOW": "2026-11-15"}
    env.pop("TNORDER_DB", None)

    def tn(*args: str) -> str:
        done = forkserver.run(*args, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60)
        assert done.returncode == 0, (args, done.stderr)
        return done.stdout

    try:
        tn("config", "carrier", "add", "tx", "--kind", "telnyx", "--url", emu.url.removesuffix("/api") + "/telnyx/v2")
        tn("config", "account", "add", "txa", "--carrier", "tx", "--api-key-env", "TELNYX_API_KEY")
        tn("config", "inventory-type", "add", TYPE, "--account", "txa")
        tn("inventory", "order", "--type", TYPE, "--area-code", "312", "--quantity", "2", "--all", "--yes", "--wait",
           "--key", "setup-1")
        numbers = sorted(n["number"] for n in json.loads(tn("inventory", "list", "--type", TYPE, "--json")))
        tn("customer", "add", "ACME", "--name", "Acme Corp")
        tn("customer", "line", "add", "ACME", "main")
        tn("inventory", "assign", numbers[1], "--customer", "ACME", "--line", "main")
    except BaseException:
        emu.stop()
        raise
    (root / "batch.csv").write_text("area_code,zip,quantity\n312,,1\n,60601,1\n", encoding="utf-8")
    (root / "import.csv").write_text("number\n3125550100\nnot-a-number\n", encoding="utf-8")
    yield Served(emu, root / "home", numbers[0], numbers[1])
    emu.stop()


@pytest.fixture
def given(served: Served, home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """This test's home: a copy of the module's; the placeholders of CASES, filled in."""
    shutil.copytree(served.template, home, dirs_exist_ok=True)
    monkeypatch.setenv("TELNYX_API_KEY", KEY)
    root = served.template.parent
    return {HELD: served.held, ASSIGNED: served.assigned, BATCH: str(root / "batch.csv"),
            IMPORT: str(root / "import.csv")}


def snapshot(served: Served, home: Path) -> dict[str, object]:
    return {"store": tables(home / "tnorder.db"), "config": (home / "config.toml").read_bytes(),
            "world": served.world(), "requests": served.requests()}


def lookup(*args: str) -> tuple[str, ...]:
    return ("inventory", "lookup", "--type", TYPE, *args)


def order(*args: str) -> tuple[str, ...]:
    return ("inventory", "order", "--type", TYPE, *args)


CASES = [
    # what Telnyx's v2 search has no filter for, at every door that looks numbers up
    case("zip", lookup("--zip", "60601"), "telnyx", "--zip", "--area-code", "--rate-center"),
    case("lata", lookup("--lata", "358"), "telnyx", "--lata", "--area-code"),
    case("order-zip-all", order("--zip", "60601", "--all", "--yes"), "telnyx", "--zip"),
    case("order-lata-pick", order("--lata", "358", "--quantity", "2", "--pick", "1", "--yes"), "telnyx", "--lata"),
    case("add-dids-zip", ("customer", "add-dids", "ACME", "--line", "main", "--type", TYPE, "--zip", "60601",
                          "--all", "--yes"), "telnyx", "--zip"),
    case("batch-zip-line", ("inventory", "order", "--type", TYPE, "--from-file", BATCH, "--yes"), "line 3", "zip"),
    case("toll-free-81", lookup("--toll-free", "81*"), "toll-free pattern", "81*"),
    case("local-vanity-alone", lookup("--local-vanity", "TACOS"), "--local-vanity", "--area-code"),
    case("quantity-above-telnyx-max", order("--area-code", "312", "--quantity", "1001", "--all", "--yes"),
         "--quantity", "1000"),
    # garbage numbers, wherever a number is typed
    case("numbers-garbage", order("--numbers", "312-555-01xx", "--yes"), "312-555-01xx"),
    case("numbers-foreign", order("--numbers", "+442079460000", "--yes"), "North American"),
    case("numbers-fullwidth", order("--numbers", "３１２５５５０１４２", "--yes"), "ASCII"),
    case("numbers-held", order("--numbers", HELD, "--yes"), "already in inventory type", TYPE),
    case("disconnect-garbage", ("inventory", "disconnect", "--type", TYPE, "abcdefghij", "--yes"), "abcdefghij"),
    case("disconnect-not-held", ("inventory", "disconnect", "--type", TYPE, "+13125550199", "--yes"),
         "not in the inventory"),
    case("disconnect-assigned", ("inventory", "disconnect", ASSIGNED, "--yes"), "ACME", "--force"),
    case("import-garbage-line", ("inventory", "import", "--type", TYPE, IMPORT), "line 3", "nothing imported"),
    # the same key for another request
    case("key-reused", order("--area-code", "415", "--all", "--yes", "--key", "setup-1"), "setup-1", "another request"),
    # prompts a script cannot answer
    case("select-no-terminal", order("--area-code", "312", "--select", "--yes"), "--select", "terminal"),
    case("disconnect-no-yes", ("inventory", "disconnect", HELD), "--yes"),
    # settings
    case("url-not-v2", ("config", "carrier", "add", "tx2", "--kind", "telnyx", "--url", "https://api.telnyx.com"),
         "/v2"),
    case("account-basic", ("config", "account", "add", "tx2", "--carrier", "tx", "--username-env", "U",
                           "--password-env", "P"), "--api-key-env"),
    case("account-unknown-option", ("config", "account", "add", "tx2", "--carrier", "tx", "--api-key-env", "K",
                                    "--option", "partial_allowed=true"), "partial_allowed", "connection_id"),
]


@pytest.mark.parametrize(("args", "keywords"), CASES)
def test_telnyx_bad_input_through_the_socket_sends_nothing_changes_nothing(cli, served, given, home, args,
                                                                           keywords):
    before = snapshot(served, home)
    result = cli(*(given.get(a, a) for a in args))

    lines = result.err.strip().splitlines()
    assert result.code == 2, result.err
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err and "unexpected" not in result.err
    assert result.out == ""
    for word in (given.get(k, k) for k in keywords):
        assert word.lower() in lines[0].lower(), (word, lines[0])
    assert KEY not in result.err
    assert snapshot(served, home) == before  # store, config, world and the emulator's request count


def test_distinct_cases():
    assert len({p.id for p in CASES}) == len(CASES) >= 20


def test_the_count_sees_a_request(cli, served, given, home):
    """The request count is live: a valid lookup reaches the emulator."""
    before = served.requests()
    assert cli(*lookup("--area-code", "312", "--quantity", "1")).code == 0
    assert served.requests() == before + 1


def test_a_missing_key_is_exit_6_naming_its_variable_and_sends_nothing(cli, served, given, home, monkeypatch):
    monkeypatch.delenv("TELNYX_API_KEY")
    before = snapshot(served, home)
    for args in (lookup("--area-code", "312"), order("--area-code", "312", "--all", "--yes"),
                 order("--numbers", "+13125550142", "--yes"), ("config", "test", "txa")):
        result = cli(*args)
        lines = result.err.strip().splitlines()
        assert result.code == 6, (args, result.err)
        assert len(lines) == 1 and "TELNYX_API_KEY" in lines[0], (args, result.err)
        assert snapshot(served, home) == before, args


def test_a_wrong_key_is_exit_6_one_request_each_and_nothing_changes(cli, served, given, home, monkeypatch):
    """Telnyx answers 401 (10009): said once, naming the variable to fix; nothing retried, nothing kept."""
    monkeypatch.setenv("TELNYX_API_KEY", "KEYnot-the-one")
    before = snapshot(served, home)
    for args in (lookup("--area-code", "312"), order("--numbers", "+13125550142", "--yes"),
                 ("inventory", "disconnect", given[HELD], "--yes")):
        sent = served.requests()
        result = cli(*args)
        lines = result.err.strip().splitlines()
        assert result.code == 6, (args, result.err)
        assert len(lines) == 1 and "TELNYX_API_KEY" in lines[0] and "KEYnot-the-one" not in result.err, result.err
        assert served.requests() == sent + 1, served.emulator.log()  # a refused key is not tried again
        assert served.world() == before["world"]
    after = snapshot(served, home)
    assert after["store"]["orders"] == before["store"]["orders"]  # the refused order and disconnect left no row
    assert after["store"]["order_items"] == before["store"]["order_items"]
    shown = cli("inventory", "show", given[HELD], "--json").json()
    assert shown["status"] == "available"
