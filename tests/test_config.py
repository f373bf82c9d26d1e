"""Config: the built-in default, adding and removing carriers, accounts and inventory types."""

from __future__ import annotations

import stat
import tomllib


def test_no_config_file_means_the_builtin_sandbox(run, home):
    assert run("config", "path").out.strip() == str(home / "config.toml")
    assert not (home / "config.toml").exists()
    assert run("config", "carrier", "list", "--json").json() == [
        {"name": "sandbox", "kind": "sandbox", "url": None, "options": None}]
    unset = dict.fromkeys(("account_id", "site_id", "peer_id", "username_env", "password_env", "client_id_env",
                           "client_secret_env"))
    assert run("config", "account", "list", "--json").json() == [{"name": "sandbox", "carrier": "sandbox"} | unset]
    assert run("config", "inventory-type", "list", "--json").json() == [
        {"name": "Sandbox DIDs", "account": "sandbox"}]


def test_add_writes_a_private_file_keeping_the_default_and_typed_options(run, home):
    result = run("config", "carrier", "add", "quick", "--kind", "sandbox", "--option", "complete_after=0",
                 "--option", "seed=7", "--option", "label=test lab")
    assert result.code == 0, result.err
    path = home / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = tomllib.loads(path.read_text())
    assert data["carriers"]["quick"] == {"kind": "sandbox", "complete_after": 0, "seed": 7, "label": "test lab"}
    assert "sandbox" in data["carriers"] and "Sandbox DIDs" in data["inventory_types"]


def test_rewrite_keeps_the_users_other_keys_and_header_comments(run, home):
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        "# tnorder config for the NOC\n# owner: ops\n\n"
        "[operator]\nname = \"noc-1\"\n\n"
        "[carriers.sandbox]\nkind = \"sandbox\"\nnote = \"keep me\"\n\n"
        "[accounts.sandbox]\ncarrier = \"sandbox\"\n\n"
        "[inventory_types.\"Sandbox DIDs\"]\naccount = \"sandbox\"\n"
    )
    assert run("config", "inventory-type", "add", "Spare", "--account", "sandbox").code == 0
    text = (home / "config.toml").read_text()
    assert text.startswith("# tnorder config for the NOC\n# owner: ops\n")
    data = tomllib.loads(text)
    assert data["operator"] == {"name": "noc-1"}
    assert data["carriers"]["sandbox"]["note"] == "keep me"
    assert data["inventory_types"]["Spare"] == {"account": "sandbox"}


def test_accounts_name_environment_variables_and_never_show_secrets(run, home, monkeypatch):
    monkeypatch.setenv("BW_PASS", "s3cret-value-xyz")
    assert run("config", "carrier", "add", "sb2", "--kind", "sandbox").code == 0
    added = run("config", "account", "add", "main", "--carrier", "sb2", "--account-id", "9900001",
                "--username-env", "BW_USER", "--password-env", "BW_PASS")
    assert added.code == 0, added.err
    text = (home / "config.toml").read_text()
    assert 'password_env = "BW_PASS"' in text and "s3cret" not in text
    listed = run("config", "account", "list", "--json")
    assert "s3cret" not in listed.out + listed.err
    assert {"name": "main", "carrier": "sb2", "account_id": "9900001", "site_id": None, "peer_id": None,
            "username_env": "BW_USER", "password_env": "BW_PASS", "client_id_env": None,
            "client_secret_env": None} in listed.json()


def test_bad_config_changes_exit_2_and_change_nothing(run, home):
    cases = [
        (("config", "carrier", "add", "x", "--kind", "no-such-kind"), "sandbox"),
        (("config", "carrier", "add", "sandbox", "--kind", "sandbox"), "exists already"),
        (("config", "carrier", "add", "x", "--kind", "sandbox", "--option", "novalue"), "KEY=VALUE"),
        (("config", "account", "add", "a", "--carrier", "ghost"), "ghost"),
        (("config", "account", "add", "a", "--carrier", "sandbox", "--username-env", "U"), "--password-env"),
        (("config", "account", "add", "a", "--carrier", "sandbox", "--username-env", "U", "--password-env", "P",
          "--client-id-env", "C", "--client-secret-env", "S"), "either"),
        (("config", "inventory-type", "add", "T", "--account", "ghost"), "ghost"),
        (("config", "carrier", "remove", "ghost"), "ghost"),
        (("config", "carrier", "remove", "sandbox"), "used by carrier accounts sandbox"),
        (("config", "account", "remove", "sandbox"), "used by inventory types Sandbox DIDs"),
    ]
    for args, says in cases:
        result = run(*args)
        assert result.code == 2, (args, result.err)
        assert says in result.err and len(result.err.strip().splitlines()) == 1, (args, result.err)
        assert not (home / "config.toml").exists(), args


def test_removing_what_still_holds_numbers_is_refused(run, fast_sandbox, home):
    placed = run("inventory", "order", "--type", fast_sandbox, "--area-code", "919", "--quantity", "2",
                 "--all", "--yes", "--wait")
    assert placed.code == 0, placed.err
    before = (home / "config.toml").read_text()
    refused = run("config", "inventory-type", "remove", fast_sandbox)
    assert refused.code == 2
    assert "still holds 2 number(s)" in refused.err
    assert (home / "config.toml").read_text() == before
    assert run("config", "inventory-type", "add", "Empty", "--account", "fast").code == 0
    assert run("config", "inventory-type", "remove", "Empty").code == 0
    assert "Empty" not in tomllib.loads((home / "config.toml").read_text())["inventory_types"]


def test_config_test_reaches_the_sandbox(run):
    result = run("config", "test", "sandbox")
    assert result.code == 0 and result.out.startswith("sandbox: ok")
