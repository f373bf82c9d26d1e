"""Config: the built-in default, adding and removing carriers, accounts and inventory types."""

from __future__ import annotations

import stat
import tomllib

import pytest


def test_no_config_file_means_the_builtin_sandbox(run, home):
    assert run("config", "path").out.strip() == str(home / "config.toml")
    assert not (home / "config.toml").exists()
    assert run("config", "carrier", "list", "--json").json() == [
        {"name": "sandbox", "kind": "sandbox", "url": None, "options": None}]
    unset = dict.fromkeys(("account_id", "site_id", "peer_id", "username_env", "password_env", "client_id_env",
                           "client_secret_env", "api_key_env", "options"))
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
            "client_secret_env": None, "api_key_env": None, "options": None} in listed.json()


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


def one_line(err: str) -> bool:
    return len(err.strip().splitlines()) == 1


def test_carrier_set_changes_the_url_and_options_in_place(run, home):
    assert run("config", "carrier", "add", "bw", "--kind", "bandwidth", "--option", "partial_allowed=false").code == 0
    changed = run("config", "carrier", "set", "bw", "--url", "http://127.0.0.1:8735/api", "--option", "api=v2")
    assert changed.code == 0, changed.err
    data = tomllib.loads((home / "config.toml").read_text())
    assert data["carriers"]["bw"] == {"kind": "bandwidth", "url": "http://127.0.0.1:8735/api",
                                      "partial_allowed": False, "api": "v2"}
    assert "sandbox" in data["carriers"]


def test_an_option_kept_in_an_options_table_is_changed_there(run, home):
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('[carriers.q]\nkind = "sandbox"\n[carriers.q.options]\ncomplete_after = 5\n')
    assert run("config", "carrier", "set", "q", "--option", "complete_after=0").code == 0
    assert tomllib.loads((home / "config.toml").read_text())["carriers"]["q"] == {
        "kind": "sandbox", "options": {"complete_after": 0}}


def test_account_set_changes_ids_and_credential_variables(run, home):
    assert run("config", "carrier", "add", "bw", "--kind", "bandwidth").code == 0
    assert run("config", "account", "add", "main", "--carrier", "bw", "--account-id", "1", "--site-id", "2",
               "--username-env", "BW_USER", "--password-env", "BW_PASS").code == 0
    assert run("config", "account", "set", "main", "--password-env", "BW_PASS_NEW").code == 0
    assert run("config", "account", "set", "main", "--client-id-env", "BW_ID", "--client-secret-env", "BW_SECRET",
               "--site-id", "3").code == 0
    assert tomllib.loads((home / "config.toml").read_text())["accounts"]["main"] == {
        "carrier": "bw", "account_id": "1", "site_id": "3", "client_id_env": "BW_ID",
        "client_secret_env": "BW_SECRET"}


def test_bad_sets_exit_2_and_change_nothing(run, home):
    assert run("config", "carrier", "add", "bw", "--kind", "bandwidth").code == 0
    assert run("config", "account", "add", "main", "--carrier", "bw", "--client-id-env", "I",
               "--client-secret-env", "S").code == 0
    before = (home / "config.toml").read_text()
    cases = [
        (("config", "carrier", "set", "ghost", "--url", "http://x.test"), "ghost"),
        (("config", "carrier", "set", "bw"), "nothing to change"),
        (("config", "carrier", "set", "bw", "--option", "partial_alowed=true"), "partial_alowed"),
        (("config", "carrier", "set", "bw", "--option", "api=v9"), "api"),
        (("config", "carrier", "set", "bw", "--url", "ftp://x.test"), "url"),
        (("config", "carrier", "set", "bw", "--url", "http://u:p@x.test"), "password"),
        (("config", "account", "set", "ghost", "--site-id", "1"), "ghost"),
        (("config", "account", "set", "main"), "nothing to change"),
        (("config", "account", "set", "main", "--carrier", "nope"), "nope"),
        (("config", "account", "set", "main", "--username-env", "U"), "--password-env"),
        (("config", "account", "set", "main", "--username-env", "U", "--password-env", "P",
          "--client-id-env", "C"), "either"),
        (("config", "account", "set", "main", "--site-id", "a b"), "site_id"),
        (("config", "account", "set", "main", "--client-id-env", "1BAD"), "client_id_env"),
    ]
    for args, says in cases:
        result = run(*args)
        assert result.code == 2, (args, result.err)
        assert says in result.err and one_line(result.err), (args, result.err)
        assert "p@" not in result.err
        assert (home / "config.toml").read_text() == before, args


def test_set_is_refused_while_pending_orders_use_it(run, home):
    """An order still pending was sent with these settings: poll must find it where it was sent."""
    placed = run("inventory", "order", "--area-code", "919", "--quantity", "1", "--all", "--yes")
    assert placed.code == 0 and "ORD-000001" in placed.out + placed.err, placed.err
    for args in (("carrier", "set", "sandbox", "--option", "seed=3"),
                 ("account", "set", "sandbox", "--account-id", "77")):
        refused = run("config", *args)
        assert refused.code == 2 and one_line(refused.err), refused.err
        assert "pending order(s) ORD-000001" in refused.err
    assert not (home / "config.toml").exists()


def test_account_set_cannot_move_an_account_with_numbers_to_another_carrier(run, fast_sandbox, home):
    assert run("inventory", "order", "--type", fast_sandbox, "--area-code", "919", "--quantity", "1",
               "--all", "--yes", "--wait").code == 0
    assert run("config", "carrier", "add", "other", "--kind", "sandbox").code == 0
    refused = run("config", "account", "set", "fast", "--carrier", "other")
    assert refused.code == 2 and one_line(refused.err) and "still holds numbers" in refused.err
    assert tomllib.loads((home / "config.toml").read_text())["accounts"]["fast"]["carrier"] == "fast"


def test_a_config_that_is_not_a_regular_file_is_refused_without_hanging(cli, home, tmp_path):
    """Point 18: a FIFO (would block for ever), a link to /dev/zero (endless), a huge file."""
    import os

    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.toml"
    huge = tmp_path / "huge.toml"
    huge.write_text("# padding\n" * 200_000)
    for make, says in ((lambda: os.mkfifo(path), "not a regular file"),
                       (lambda: path.symlink_to("/dev/zero"), "not a regular file"),
                       (lambda: path.symlink_to(huge), "larger than")):
        make()
        result = cli("config", "carrier", "list", timeout=30)
        assert result.code == 2 and one_line(result.err) and says in result.err, result.err
        path.unlink()


def test_home_is_created_0700_and_the_config_0600(run, home):
    """Point 21."""
    assert run("config", "carrier", "add", "quick", "--kind", "sandbox").code == 0
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "config.toml").stat().st_mode) == 0o600
    assert stat.S_IMODE((home / "config.toml.lock").stat().st_mode) == 0o600


def test_a_home_that_cannot_be_a_folder_is_one_line(run, home, monkeypatch, tmp_path):
    """Point 17 (read-only home). The tests run as root, for whom chmod 0500 does not stop a write,
    so the home is put where no folder can be made: under a regular file."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("TNORDER_HOME", str(blocker / "home"))
    result = run("config", "carrier", "add", "quick", "--kind", "sandbox")
    assert result.code == 2 and one_line(result.err) and "cannot write config" in result.err, result.err


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_full_disk_is_one_line_and_leaves_no_temp_file(run, home, monkeypatch, failing):
    """Point 17 (full disk), simulated in-process: the write's fsync or the rename fails with ENOSPC."""
    import errno
    import os

    assert run("config", "carrier", "add", "first", "--kind", "sandbox").code == 0
    before = (home / "config.toml").read_text()

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patched:
        patched.setattr(os, failing, full)
        result = run("config", "carrier", "add", "quick", "--kind", "sandbox")
    assert result.code == 2 and one_line(result.err), result.err
    assert "No space left on device" in result.err and "unexpected" not in result.err
    assert (home / "config.toml").read_text() == before
    assert sorted(p.name for p in home.iterdir()) == ["config.toml", "config.toml.lock"]
