"""Broken local state (home, store, config) is exit 2 with one line naming what and where, and
nothing on stdout first; values tnorder cannot use are refused where they are written (issue 8)."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from tnorder.carriers.sandbox import SandboxCarrier

READERS = [("inventory", "list"), ("orders", "list"), ("customer", "list"), ("inventory", "show", "+19195550142"),
           ("orders", "pending", "--json")]


def refused(result, *words: str) -> str:
    assert result.code == 2, (result.code, result.err)
    assert result.out == "", result.out
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err and "unexpected" not in result.err
    for word in words:
        assert word.lower() in lines[0].lower(), (word, lines[0])
    return lines[0]


@pytest.fixture
def no_carrier(monkeypatch) -> list[str]:
    calls: list[str] = []
    for name in ("search", "order", "search_and_order", "reserve", "order_status", "find_order"):
        def recorder(self, *args, _name=name, **kwargs):
            calls.append(_name)
            raise AssertionError(_name)
        monkeypatch.setattr(SandboxCarrier, name, recorder)
    return calls


# -- home and store --------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [*READERS, ("inventory", "lookup", "--area-code", "919")])
def test_a_home_that_is_a_file_is_exit_2_with_nothing_on_stdout(run, home: Path, args):
    home.parent.mkdir(parents=True, exist_ok=True)
    home.write_text("not a directory")
    refused(run(*args), str(home))


def _store_like(home: Path, content: bytes | None) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "tnorder.db"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    return path


@pytest.mark.parametrize(("content", "word"), [
    (b"just some text, not SQLite at all" * 10, "not a tnorder store"),
    (None, "cannot open store"),
], ids=["not-sqlite", "a-directory"])
@pytest.mark.parametrize("args", READERS)
def test_a_store_that_is_not_a_store_is_exit_2_naming_it(run, home: Path, content, word, args):
    path = _store_like(home, content)
    refused(run(*args), word, str(path))


def test_a_truncated_store_is_exit_2(run, home: Path):
    assert run("customer", "add", "ACME", "--name", "Acme").code == 0
    path = home / "tnorder.db"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    for args in READERS:
        refused(run(*args), str(path))


def test_a_store_written_by_a_newer_tnorder_is_refused_before_anything_is_sent(run, home: Path, no_carrier):
    assert run("customer", "list").code == 0  # a current store
    path = home / "tnorder.db"
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO migrations (name, applied_at) VALUES ('m999_future', '2030-01-01')")
        conn.execute("ALTER TABLE orders ADD COLUMN future TEXT NOT NULL DEFAULT 'x'")
    before = path.read_bytes()
    line = refused(run("inventory", "order", "--numbers", "9195550142", "--yes"), "newer tnorder", "m999_future")
    assert "upgrade" in line
    assert no_carrier == []
    for args in READERS:
        refused(run(*args), "newer tnorder")
    assert path.read_bytes() == before


@pytest.mark.parametrize("url", ["sqlite:///:memory:", ":memory:", "sqlite://", "file::memory:?cache=shared"])
def test_an_in_memory_store_is_refused(run, monkeypatch, url):
    monkeypatch.setenv("TNORDER_DB", url)
    refused(run("orders", "list"), "memory")


def test_an_unreachable_database_is_exit_2_without_its_password(run, monkeypatch):
    monkeypatch.setenv("TNORDER_DB", "postgresql://ops:s3cr3t-pw@127.0.0.1:1/tnorder")
    line = refused(run("orders", "list"), "127.0.0.1")
    assert "s3cr3t-pw" not in line


def test_read_only_commands_work_on_a_read_only_store_and_writes_are_exit_2(run, home: Path):
    assert run("customer", "add", "ACME", "--name", "Acme").code == 0
    url = f"sqlite:///file:{home / 'tnorder.db'}?mode=ro&uri=true"  # how SQLite sees a read-only file
    for args in [*READERS[:3], ("customer", "show", "ACME"), ("orders", "poll")]:
        result = run("--db", url, *args)
        assert result.code == 0, result.err
    refused(run("--db", url, "customer", "add", "NEW", "--name", "New"), "read-only")


def test_the_store_and_the_sandbox_world_are_created_0600(run, home: Path):
    assert run("inventory", "lookup", "--area-code", "919", "--quantity", "1").code == 0
    assert run("customer", "list").code == 0
    for path in (home / "tnorder.db", home / "sandbox" / "world.sqlite"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


# -- the config file ------------------------------------------------------------------------------
BAD_FILES = [
    pytest.param(b"\xff\xfe[carriers]\n", "not UTF-8", id="not-utf8"),
    pytest.param(b'[inventory_types]\nX = "y"\n', "inventory_types.X", id="type-not-a-table"),
    pytest.param(b'[carriers.s]\nkind = "sandbox"\noptions = "x"\n', "carriers.s.options", id="options-not-a-table"),
    pytest.param(b'[carriers.s]\nkind = ["a"]\n', "carriers.s.kind", id="kind-a-list"),
    pytest.param(b'[carriers.s]\nkind = "bandwidth"\nurl = 5\n', "carriers.s.url", id="url-a-number"),
    pytest.param(b'[carriers.b]\nkind = "bandwidth"\npartial_alowed = false\n', "partial_alowed", id="misspelled"),
    pytest.param(b'[carriers.b]\nkind = "bandwidth"\npartial_allowed = "maybe"\n', "partial_allowed", id="maybe"),
    pytest.param(b'[carriers.s]\nkind = "sandbox"\ncomplete_after = nan\n', "complete_after", id="nan"),
    pytest.param(b'[carriers.b]\nkind = "bandwidth"\nurl = "https://u:hunter2@example.com/api"\n', "url",
                 id="credentials-in-url"),
    pytest.param(b'[accounts.a]\ncarrier = "sandbox"\nusername_env = "BAD NAME"\n', "username_env", id="env-name"),
    pytest.param(b'[accounts.a]\ncarrier = "sandbox"\naccount_id = ""\n', "account_id", id="empty-id"),
    pytest.param('[carriers."\u200b"]\nkind = "sandbox"\n'.encode(), "carriers", id="zero-width-name"),
    pytest.param(b'[carriers."a\\nb"]\nkind = "sandbox"\n', "carriers", id="newline-name"),
    pytest.param(f'[carriers.{"x" * 5000}]\nkind = "sandbox"\n'.encode(), "carriers", id="5000-char-name"),
]


@pytest.mark.parametrize(("content", "key"), BAD_FILES)
def test_a_bad_config_file_fails_every_command_naming_file_and_key(run, home: Path, content, key):
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.toml"
    path.write_bytes(content)
    for args in [*READERS, ("config", "carrier", "list"), ("inventory", "lookup", "--area-code", "919")]:
        line = refused(run(*args), str(path), key)
        assert "hunter2" not in line


def test_a_config_that_is_a_directory_is_exit_2(run, home: Path):
    (home / "config.toml").mkdir(parents=True)
    refused(run("orders", "list"), str(home / "config.toml"))


WRITES = [
    pytest.param(("carrier", "add", "b", "--kind", "bandwidth", "--option", "partial_alowed=false"),
                 "partial_alowed", id="misspelled-option"),
    pytest.param(("carrier", "add", "b", "--kind", "bandwidth", "--url", ""), "url", id="url-empty"),
    pytest.param(("carrier", "add", "b", "--kind", "bandwidth", "--url", "ftp://example.com/api"), "url", id="ftp"),
    pytest.param(("carrier", "add", "b", "--kind", "bandwidth", "--url", "not a url"), "url", id="not-a-url"),
    pytest.param(("carrier", "add", "b", "--kind", "bandwidth", "--url", "http://[::1/api"), "url", id="bad-ipv6"),
    pytest.param(("carrier", "add", "b", "--kind", "bandwidth", "--url", "https://u:pw@example.com/api"), "password",
                 id="credentials-in-url"),
    pytest.param(("carrier", "add", "b", "--kind", "bandwidth", "--option", "rate_limit_wait=nan"),
                 "rate_limit_wait", id="rate-limit-wait-nan"),
    pytest.param(("carrier", "add", "s", "--kind", "sandbox", "--option", "complete_after=nan"), "complete_after",
                 id="complete-after-nan"),
    pytest.param(("carrier", "add", "s", "--kind", "sandbox", "--option", "complete_after=inf"), "complete_after",
                 id="complete-after-inf"),
    pytest.param(("carrier", "add", "b", "--kind", "bandwidth", "--option", "partial_allowed=maybe"),
                 "partial_allowed", id="partial-allowed-maybe"),
    pytest.param(("account", "add", "a", "--carrier", "sandbox", "--username-env", "BAD NAME", "--password-env",
                  "P"), "username_env", id="env-name-space"),
    pytest.param(("account", "add", "a", "--carrier", "sandbox", "--account-id", ""), "account_id",
                 id="empty-account-id"),
    pytest.param(("carrier", "add", "\u200b", "--kind", "sandbox"), "name", id="zero-width-name"),
    pytest.param(("carrier", "add", "a\nb", "--kind", "sandbox"), "name", id="newline-name"),
    pytest.param(("carrier", "add", "x" * 5000, "--kind", "sandbox"), "name", id="5000-char-name"),
    pytest.param(("inventory-type", "add", "T\t2", "--account", "sandbox"), "name", id="type-name-tab"),
]


@pytest.mark.parametrize(("args", "word"), WRITES)
def test_config_refuses_what_it_cannot_use(run, home: Path, args, word):
    refused(run("config", *args), word)
    assert not (home / "config.toml").exists()


def test_names_given_with_surrounding_spaces_are_trimmed_like_every_value(run, home: Path):
    assert run("config", "inventory-type", "add", " Spare ", "--account", "sandbox").code == 0
    assert "Spare" in [t["name"] for t in run("config", "inventory-type", "list", "--json").json()]
    assert run("inventory", "list", "--type", "  Spare").code == 0


def test_carrier_list_never_prints_credentials_in_a_url(run, home: Path):
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('[carriers.b]\nkind = "bandwidth"\nurl = "https://u:hunter2@h.example/api"\n')
    result = run("config", "carrier", "list", "--json")
    assert result.code == 2 and "hunter2" not in result.out + result.err


# -- one parser for area codes, in lookups and in list filters -------------------------------------
def test_inventory_list_reads_a_padded_area_code_as_lookups_do(run, home: Path):
    (home.parent / "mixed.csv").write_text("number\n9195550100\n9845550100\n2125550100\n", encoding="utf-8")
    assert run("inventory", "import", "--type", "Sandbox DIDs", str(home.parent / "mixed.csv")).code == 0
    for given in (" 919", "919 ", " 919 "):
        result = run("inventory", "list", "--area-code", given, "--json")
        assert result.code == 0, result.err
        assert [n["number"] for n in result.json()] == ["+19195550100"]
    refused(run("inventory", "list", "--area-code", "９１９"), "ASCII")
