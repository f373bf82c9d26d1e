"""The config file under many hands: concurrent writers, and orders racing a config change.

Writers take a lock on the config file and re-read it under the lock; a removal or a change
checks "in use" while holding that lock and the store's write lock; an order's write-ahead
re-reads the config under the store's write lock and refuses an entry that vanished or changed.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
import tomli_w

from lockstep import paused, start

SPARE = "Spare DIDs"
ORDER = ("inventory", "order", "--type", SPARE, "--area-code", "919", "--quantity", "1", "--all", "--yes")


@pytest.fixture(scope="module")
def pool_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sandbox's exchange cache, built once (building it in every home costs ~1.5 s a process)."""
    from tnorder.sim.pool import Pool

    path = tmp_path_factory.mktemp("pool")
    Pool(0, path).exchanges  # noqa: B018 - builds and writes the cache file
    return path


@pytest.fixture
def spare(run, home, pool_cache):
    """A carrier, account and inventory type nothing else uses, so that all three can be removed."""
    shutil.copytree(pool_cache, home / "sandbox", dirs_exist_ok=True)
    for args in (("carrier", "add", "spare", "--kind", "sandbox", "--option", "complete_after=0"),
                 ("account", "add", "spare", "--carrier", "spare"),
                 ("inventory-type", "add", SPARE, "--account", "spare")):
        result = run("config", *args)
        assert result.code == 0, result.err
    return SPARE


def one_line(err: str) -> bool:
    return len(err.strip().splitlines()) == 1


def test_ten_carrier_adds_at_once_all_survive(home):
    """Point 7: every writer re-reads the file under the lock, so no add overwrites another."""
    procs = [start("config", "carrier", "add", f"c{i}", "--kind", "sandbox") for i in range(10)]
    results = [(p.communicate(timeout=120), p.returncode) for p in procs]
    for (_out, err), code in results:
        assert code == 0 and "unexpected" not in err, err
    data = tomllib.loads((home / "config.toml").read_text())
    assert set(data["carriers"]) == {"sandbox", *(f"c{i}" for i in range(10))}
    assert set(data["accounts"]) == {"sandbox"} and set(data["inventory_types"]) == {"Sandbox DIDs"}
    assert not [p.name for p in home.iterdir() if p.name.endswith(".tmp")]


CHANGES = {
    "inventory-type-removed": ("inventory-type", "remove", SPARE),
    "account-changed": ("account", "set", "spare", "--account-id", "4242"),
    "carrier-changed": ("carrier", "set", "spare", "--option", "seed=9"),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_an_order_racing_a_config_change_is_not_placed(run, cli, store_url, spare, change):
    """Point 4: the order read the config before the change; its write-ahead reads it again."""
    with paused("before-write-ahead", *ORDER) as order:
        changed = cli("config", *change)
        assert changed.code == 0, changed.err
    code, _out, err = order.result()
    assert code == 2 and one_line(err) and "nothing was sent" in err, (code, err)
    assert run("orders", "list", "--json").json() == []
    assert run("inventory", "list", "--json").json() == []


def test_a_removal_decided_before_an_order_was_placed_is_refused(run, cli, store_url, spare, home):
    """Point 4: remove checks again, under the store's write lock, what it checked early."""
    with paused("config-decided", "config", "inventory-type", "remove", SPARE) as removal:
        placed = cli(*ORDER)
        assert placed.code == 0, placed.err
    code, _out, err = removal.result()
    assert code == 2 and one_line(err) and SPARE in err, (code, err)
    assert SPARE in tomllib.loads((home / "config.toml").read_text())["inventory_types"]


def test_an_entry_added_during_a_removal_keeps_what_it_names(run, cli, home):
    """Point 4/7: remove checks its users again in the file as it is under the lock."""
    assert run("config", "carrier", "add", "lone", "--kind", "sandbox").code == 0
    assert run("config", "account", "add", "lone", "--carrier", "lone").code == 0
    with paused("config-decided", "config", "account", "remove", "lone") as removal:
        added = cli("config", "inventory-type", "add", "Lone DIDs", "--account", "lone")
        assert added.code == 0, added.err
    code, _out, err = removal.result()
    assert code == 2 and one_line(err) and "Lone DIDs" in err, (code, err)
    data = tomllib.loads((home / "config.toml").read_text())
    assert data["inventory_types"]["Lone DIDs"] == {"account": "lone"} and "lone" in data["accounts"]


@pytest.mark.parametrize("change", [("inventory-type", "remove", SPARE),
                                    ("carrier", "set", "spare", "--option", "seed=9")], ids=["remove", "set"])
def test_a_config_change_while_an_order_is_out_is_refused(run, cli, store_url, spare, home, change):
    """Point 4: an order written ahead and on its way keeps its config until it is settled."""
    before = (home / "config.toml").read_text()
    with paused("before-send", *ORDER) as order:
        refused = cli("config", *change)
        assert refused.code == 2 and one_line(refused.err) and "ORD-000001" in refused.err, refused.err
    code, _out, err = order.result()
    assert code == 0, err
    assert (home / "config.toml").read_text() == before


def test_poll_warns_once_per_account_that_vanished_and_does_not_fail(run, home):
    """Point 4: orders left pending by an older tnorder on an account since edited out of the file."""
    assert run("config", "carrier", "add", "slow", "--kind", "sandbox", "--option", "complete_after=86400").code == 0
    assert run("config", "account", "add", "slow", "--carrier", "slow").code == 0
    assert run("config", "inventory-type", "add", "Slow DIDs", "--account", "slow").code == 0
    for _ in range(2):
        placed = run("inventory", "order", "--type", "Slow DIDs", "--area-code", "919", "--quantity", "1",
                     "--all", "--yes")
        assert placed.code == 0, placed.err
    path = home / "config.toml"
    data = tomllib.loads(path.read_text())
    for section, name in (("inventory_types", "Slow DIDs"), ("accounts", "slow"), ("carriers", "slow")):
        del data[section][name]
    path.write_text(tomli_w.dumps(data))
    for _ in range(2):
        polled = run("orders", "poll")
        assert polled.code == 0, polled.err
        assert one_line(polled.err) and "'slow'" in polled.err and "ORD-000002" in polled.err, polled.err
