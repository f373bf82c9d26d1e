"""Numbers written into an inventory type or onto a line without a carrier call (`inventory move`,
`inventory import`) check, under the write lock, that the type and the line are still there: a
`config inventory-type remove` or `customer line remove` committed meanwhile refuses them (exit 2,
nothing written), never leaves numbers in a type or on a line that no longer exists."""

from __future__ import annotations

import json

from lockstep import paused
from test_config_races import SPARE, pool_cache, spare  # noqa: F401 - fixtures

SECOND = "Second DIDs"


def held(run, number: str) -> dict:
    return run("inventory", "show", number, "--json").json()


def test_a_move_into_a_type_removed_meanwhile_is_refused(run, cli, store_url, spare):  # noqa: F811
    assert run("config", "inventory-type", "add", SECOND, "--account", "spare").code == 0
    placed = run("inventory", "order", "--type", SPARE, "--area-code", "919", "--quantity", "1", "--all", "--yes",
                 "--wait", "--json")
    assert placed.code == 0, placed.err
    number = placed.json()["numbers"][0]
    with paused("move-decided", "inventory", "move", number, "--to-type", SECOND) as mover:
        removed = cli("config", "inventory-type", "remove", SECOND)
        assert removed.code == 0, removed.err  # nothing is in it yet
    code, _, err = mover.result()
    assert code == 2 and "removed" in err and err.count("\n") == 1, err
    assert held(run, number)["inventory_type"] == SPARE


def test_an_import_into_a_type_removed_meanwhile_imports_nothing(run, cli, store_url, spare, tmp_path):  # noqa: F811
    assert run("config", "inventory-type", "add", SECOND, "--account", "spare").code == 0
    rows = tmp_path / "numbers.csv"
    rows.write_text("number\n+19194390001\n+19194390002\n", encoding="utf-8")
    with paused("import-decided", "inventory", "import", "--type", SECOND, str(rows)) as importer:
        assert cli("config", "inventory-type", "remove", SECOND).code == 0
    code, _, err = importer.result()
    assert code == 2 and "removed" in err, err
    assert json.loads(cli("inventory", "list", "--json").out) == []


def test_an_import_onto_a_line_removed_meanwhile_imports_nothing(run, cli, store_url, spare, tmp_path):  # noqa: F811
    assert run("customer", "add", "acme", "--name", "Acme").code == 0
    assert run("customer", "line", "add", "acme", "fax").code == 0
    rows = tmp_path / "numbers.csv"
    rows.write_text("number,customer,line\n+19194390003,acme,fax\n", encoding="utf-8")
    with paused("import-decided", "inventory", "import", "--type", SPARE, str(rows)) as importer:
        removed = cli("customer", "line", "remove", "acme", "fax")
        assert removed.code == 0, removed.err
    code, _, err = importer.result()
    assert code == 2 and "fax" in err and err.count("\n") == 1, err
    assert json.loads(cli("inventory", "list", "--json").out) == []
