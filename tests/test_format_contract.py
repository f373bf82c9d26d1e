"""One output switch (README, "Output for scripts"): every command that shows data takes
`--format table|json|jsonl|csv|tsv` (`-o`), with `--json`, `--jsonl`, `--csv` as aliases, and
`--fields a,b,c`. The same keys in every format; csv/tsv have a header row and parse with the csv
module; jsonl is one object a line; --fields chooses and orders them everywhere."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tnorder import render
from tnorder.cli import app
from tnorder.commands.examples import attach

FORMATS = ("table", "json", "jsonl", "csv", "tsv")
ALIASES = {"json": "--json", "jsonl": "--jsonl", "csv": "--csv"}
# the commands that show data; every one of them must be run below
DATA_COMMANDS = {
    "config carrier list", "config account list", "config inventory-type list",
    "inventory lookup", "inventory list", "inventory show", "inventory summary", "inventory reservations",
    "inventory reconcile", "inventory import", "inventory order", "inventory disconnect", "inventory move",
    "inventory assign", "inventory unassign",
    "orders pending", "orders list", "orders show", "orders poll",
    "customer list", "customer show", "customer line list", "customer add-dids", "customer remove-dids",
}
# `inventory summary`'s one flat row per count (csv, tsv, jsonl, --fields); json stays its document
EMPTY = {("inventory", "reservations"), ("orders", "pending"), ("orders", "poll")}  # nothing to show here
SUMMARY_ROW = ["inventory_type", "status", "area_code", "count"]


def every_key(value: object) -> set[str]:
    """The keys of a JSON document at any depth."""
    if isinstance(value, list):
        return set().union(*map(every_key, value)) if value else set()
    if isinstance(value, dict):
        return set(value) | every_key(list(value.values()))
    return set()


def keys_of(form: str, out: str) -> list[str] | None:
    """The keys (in order) a run in `form` printed; None when it printed no row to read them from.
    Each form's own rules are checked on the way."""
    if form == "json":
        doc = json.loads(out)
        rows = doc if isinstance(doc, list) else [doc]
        assert all(list(r) == list(rows[0]) for r in rows), "every row has the same keys"
        return list(rows[0]) if rows else None
    if form == "jsonl":
        rows = [json.loads(line) for line in out.splitlines()]  # one object a line, nothing else
        assert all(isinstance(r, dict) and list(r) == list(rows[0]) for r in rows)
        return list(rows[0]) if rows else None
    table = list(csv.reader(io.StringIO(out), delimiter="\t" if form == "tsv" else ","))
    assert table, "a header row, also when there is nothing"
    assert all(len(row) == len(table[0]) for row in table), "every row has a cell for each column"
    assert "" not in table[0], "no column without a name"
    return table[0]


@pytest.fixture
def store(run, fast_sandbox, tmp_path):
    """A small store: two numbers ordered (one on customer ACME's line `sales`), an order
    disconnected, a number imported the carrier does not have."""

    def ok(*args: str, code: int = 0):
        result = run(*args)
        assert result.code == code, (args, result.err)
        return result

    ok("customer", "add", "ACME", "--name", "Acme")
    ok("customer", "line", "add", "ACME", "sales")
    found = [n["number"] for n in ok("inventory", "lookup", "--type", "fast", "--area-code", "919",
                                     "--quantity", "4", "--json").json()]
    order = ok("inventory", "order", "--type", "fast", "--numbers", ",".join(found[:3]), "--yes", "--json").json()
    ok("orders", "poll")
    ok("inventory", "assign", found[0], "--customer", "ACME", "--line", "sales")
    ok("config", "inventory-type", "add", "Spare DIDs", "--account", "fast")
    csv_file = tmp_path / "import.csv"
    csv_file.write_text("number\n+19842550199\n")
    ok("inventory", "import", "--type", "fast", str(csv_file))
    return {"numbers": found, "order_ref": order["order_ref"], "import": str(csv_file)}


def runs(store: dict) -> list[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]]:
    """Each data command: its arguments, and what to run before each format (so that a command that
    changes something shows the same thing in every format). Orders are placed with a --key: the
    same key gives back the same order. A step before may find its work done already."""
    n = store["numbers"]
    t = ("--type", "fast")
    return [
        (("config", "carrier", "list"), ()),
        (("config", "account", "list"), ()),
        (("config", "inventory-type", "list"), ()),
        (("inventory", "lookup", *t, "--area-code", "919", "--quantity", "3"), ()),
        (("inventory", "list"), ()),
        (("inventory", "show", n[0]), ()),
        (("inventory", "summary"), ()),
        (("inventory", "reservations"), ()),
        (("inventory", "reconcile", *t), ()),
        (("inventory", "import", *t, store["import"]), ()),
        (("orders", "pending"), ()),
        (("orders", "list"), ()),
        (("orders", "show", store["order_ref"]), ()),
        (("orders", "poll"), ()),
        (("customer", "list"), ()),
        (("customer", "show", "ACME"), ()),
        (("customer", "line", "list", "ACME"), ()),
        (("inventory", "order", *t, "--numbers", n[3], "--key", "k-order", "--yes"), ()),
        (("customer", "add-dids", "ACME", "--line", "sales", *t, "--area-code", "704", "--quantity", "1",
          "--all", "--key", "k-add", "--yes"), ()),
        (("inventory", "disconnect", *t, n[2], "--key", "k-gone", "--yes"), ()),
        (("inventory", "unassign", n[1]), (("inventory", "assign", n[1], "--customer", "ACME", "--line", "sales"),)),
        (("inventory", "assign", n[1], "--customer", "ACME", "--line", "sales"), (("inventory", "unassign", n[1]),)),
        (("customer", "remove-dids", "ACME", n[1], "--yes"),
         (("inventory", "assign", n[1], "--customer", "ACME", "--line", "sales"),)),
        (("inventory", "move", n[1], "--to-type", "Spare DIDs"),
         (("inventory", "move", n[1], "--to-type", "Fast DIDs"),)),
    ]


def path_of(args: tuple[str, ...]) -> str:
    words = [a for a in args[:3] if a.replace("-", "").isalpha() and a.islower()]
    for size in (3, 2):
        if " ".join(words[:size]) in DATA_COMMANDS:
            return " ".join(words[:size])
    raise AssertionError(args)


def test_every_data_command_has_the_one_switch():
    from typer.main import get_command

    root = get_command(app)
    for path in attach(app):
        command = root
        for part in path.split():
            command = command.commands[part]  # type: ignore[attr-defined]
        opts = {o for p in command.params for o in getattr(p, "opts", [])}
        assert (path in DATA_COMMANDS) == ("--format" in opts), path
        if path in DATA_COMMANDS:
            assert {"-o", "--fields", "--json", "--jsonl", "--csv"} <= opts, path


def test_every_data_command_keeps_its_keys_in_every_format(run, store, monkeypatch):
    drawn: list[list[str]] = []
    table = render.table

    def spy(rows, columns, **kwargs):
        drawn.append([key for key, _ in columns])
        return table(rows, columns, **kwargs)

    monkeypatch.setattr(render, "table", spy)
    covered = set()
    for args, before in runs(store):
        covered.add(path_of(args))
        seen: dict[str, list[str] | None] = {}
        outs, codes = {}, set()
        for form in FORMATS:
            for step in before:
                run(*step)  # may find it done already: the command's own exit code is compared below
            drawn.clear()
            result = run(*args, "--format", form)
            codes.add(result.code)
            outs[form] = result.out
            if form == "table":
                tables = [key for keys in drawn for key in keys]
                continue
            seen[form] = keys_of(form, result.out)
        assert len(codes) == 1, (args, codes)  # the format changes the output, never the outcome
        rows = [keys for form, keys in seen.items() if keys is not None and form != "json"]
        assert rows and all(keys == rows[0] for keys in rows), (args, seen)  # csv and tsv always have a header
        if args[:2] == ("inventory", "summary"):
            assert rows[0] == SUMMARY_ROW
            assert list(json.loads(outs["json"])) == ["by_type", "available_by_area_code"]
        else:
            assert seen["json"] in (None, rows[0]), (args, seen)
        known = set(rows[0]) | every_key(json.loads(outs["json"]))
        if args[:2] == ("inventory", "reconcile"):
            known |= {"number", "status", "carrier_status"}  # its table's rows are status_mismatch entries
        assert set(tables) <= known, (args, set(tables) - known)
    assert covered == DATA_COMMANDS


def test_fields_choose_and_order_the_keys_in_every_format(run, store):
    def once(args, before, *flags):
        for step in before:
            run(*step)
        return run(*args, *flags)

    for args, before in runs(store):
        keys = keys_of("csv", once(args, before, "--csv").out)
        assert keys
        chosen = [keys[-1], keys[0]] if len(keys) > 1 else keys
        for form in FORMATS:
            result = once(args, before, "-o", form, "--fields", ",".join(chosen))
            if form == "table":  # in a pipe: tab-separated, headed by the fields (nothing when no rows)
                heads = [k.replace("_", " ").capitalize() for k in chosen]
                assert result.out.split("\n")[0].split("\t") == heads or args[:2] in EMPTY, (args, result.out)
                continue
            assert keys_of(form, result.out) in (None, chosen), (args, form, result.out)


def test_aliases_print_the_same_bytes_as_their_format(run, store):
    for args, before in runs(store):
        for form, alias in ALIASES.items():
            outs = []
            for flags in ((alias,), ("--format", form), ("-o", form)):
                for step in before:
                    run(*step)
                outs.append(run(*args, *flags).out)
            assert outs[0] == outs[1] == outs[2], (args, form)


def test_one_way_to_choose_and_known_fields_only(run, fast_sandbox):
    for flags in (("--json", "--csv"), ("--jsonl", "-o", "csv"), ("--format", "json", "--csv")):
        bad = run("inventory", "list", *flags)
        assert bad.code == 2 and "cannot be combined" in bad.err and bad.err.count("\n") == 1, flags
    assert run("inventory", "list", "--json", "-o", "json").code == 0  # the same choice twice is one way
    unknown = run("orders", "list", "--fields", "order_ref,colour")
    assert unknown.code == 2 and unknown.err.count("\n") == 1
    assert "'colour'" in unknown.err and "order_ref, kind, method" in unknown.err
    assert run("orders", "list", "-o", "yaml").code == 2
    # an order is never placed when its output cannot be written
    assert run("inventory", "order", "--type", "fast", "--area-code", "919", "--quantity", "1", "--all",
               "--yes", "--fields", "nope").code == 2
    assert run("orders", "list", "--json").json() == []


def test_summary_in_a_pipe_has_no_bar_column(run, fast_sandbox):
    assert run("inventory", "order", "--type", "fast", "--area-code", "919", "--quantity", "2", "--all",
               "--yes").code == 0
    assert run("orders", "poll").code == 0
    lines = run("inventory", "summary").out.splitlines()
    areas = lines[lines.index("Area code\tAvailable"):]
    assert areas == ["Area code\tAvailable", "919\t2"]
    assert "█" not in run("inventory", "summary").out
    flat = list(csv.DictReader(io.StringIO(run("inventory", "summary", "-o", "tsv").out), delimiter="\t"))
    assert {"inventory_type": "", "status": "available", "area_code": "919", "count": "2"} in flat
    assert {"inventory_type": "Fast DIDs", "status": "available", "area_code": "", "count": "2"} in flat


def test_csv_cells_are_neutral_and_lists_are_joined(run, fast_sandbox):
    assert run("customer", "add", "=HYPERLINK(1)", "--name", "@SUM(A1)").code == 0
    rows = list(csv.DictReader(io.StringIO(run("customer", "list", "--csv").out)))
    assert rows[0]["customer"] == "'=HYPERLINK(1)" and rows[0]["name"] == "'@SUM(A1)"
    found = run("inventory", "lookup", "--type", "fast", "--area-code", "919", "--quantity", "2", "--json").json()
    numbers = [n["number"] for n in found]
    placed = run("inventory", "order", "--type", "fast", "--numbers", ",".join(numbers), "--yes", "-o", "tsv")
    row = next(csv.DictReader(io.StringIO(placed.out), delimiter="\t"))
    assert row["numbers"] == " ".join(numbers) and row["status"] == "pending"
