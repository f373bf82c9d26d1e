"""Configuring Telnyx: `config carrier add --kind telnyx`, `config account add --api-key-env
--option`, the schema that refuses what a Telnyx account cannot hold (also in a hand-edited file),
and `config test` (pytest-httpx). The API key never reaches the config, stdout or stderr."""

from __future__ import annotations

import tomllib

import pytest

KEY = "KEYsecret-4f1c9a_do-not-print"
URL = "http://127.0.0.1:8735/telnyx/v2"


@pytest.fixture
def telnyx(run, monkeypatch):
    """Carrier `tx` at the emulator's URL, account `tx-main` with its key in $TELNYX_API_KEY."""
    monkeypatch.setenv("TELNYX_API_KEY", KEY)
    for args in (("config", "carrier", "add", "tx", "--kind", "telnyx", "--url", URL),
                 ("config", "account", "add", "tx-main", "--carrier", "tx", "--api-key-env", "TELNYX_API_KEY",
                  "--option", "connection_id=0123", "--option", "billing_group_id=bg-1")):
        result = run(*args)
        assert result.code == 0, result.err
    return "tx-main"


def config(home) -> dict:
    return tomllib.loads((home / "config.toml").read_text())


def test_a_telnyx_account_names_its_key_variable_and_keeps_its_ids_as_text(run, home, telnyx):
    data = config(home)
    assert data["carriers"]["tx"] == {"kind": "telnyx", "url": URL}
    assert data["accounts"]["tx-main"] == {"carrier": "tx", "api_key_env": "TELNYX_API_KEY",
                                           "connection_id": "0123", "billing_group_id": "bg-1"}
    assert KEY not in (home / "config.toml").read_text()
    listed = run("config", "account", "list", "--json")
    assert listed.code == 0 and KEY not in listed.out + listed.err
    mine = next(a for a in listed.json() if a["name"] == "tx-main")
    assert mine["api_key_env"] == "TELNYX_API_KEY"
    assert mine["options"] == {"connection_id": "0123", "billing_group_id": "bg-1"}
    assert next(a for a in listed.json() if a["name"] == "sandbox")["options"] is None


def test_the_default_url_is_telnyxs(run, home, monkeypatch):
    assert run("config", "carrier", "add", "tx", "--kind", "telnyx").code == 0
    assert config(home)["carriers"]["tx"] == {"kind": "telnyx"}


def test_account_set_changes_the_key_variable_and_the_options(run, home, telnyx):
    result = run("config", "account", "set", "tx-main", "--api-key-env", "OTHER_KEY", "--option",
                 "messaging_profile_id=mp-9")
    assert result.code == 0, result.err
    assert config(home)["accounts"]["tx-main"] == {"carrier": "tx", "api_key_env": "OTHER_KEY",
                                                   "connection_id": "0123", "billing_group_id": "bg-1",
                                                   "messaging_profile_id": "mp-9"}


@pytest.mark.parametrize(("args", "words"), [
    (("config", "carrier", "add", "t2", "--kind", "telnyx", "--url", "https://api.telnyx.com"), ["/v2"]),
    (("config", "carrier", "add", "t2", "--kind", "telnyx", "--url", "ftp://api.telnyx.com/v2"), ["url"]),
    (("config", "carrier", "add", "t2", "--kind", "telnyx", "--option", "namespace=x"),
     ["namespace", "rate_limit_wait"]),
    (("config", "carrier", "add", "t2", "--kind", "telnyx", "--option", "rate_limit_wait=nan"), ["rate_limit_wait"]),
    (("config", "carrier", "set", "tx", "--url", "https://api.telnyx.com/v3"), ["/v2"]),
    (("config", "account", "add", "t2", "--carrier", "tx"), ["--api-key-env"]),
    (("config", "account", "add", "t2", "--carrier", "tx", "--username-env", "U", "--password-env", "P"),
     ["--api-key-env"]),
    (("config", "account", "add", "t2", "--carrier", "tx", "--api-key-env", "K", "--username-env", "U",
      "--password-env", "P"), ["either", "--api-key-env"]),
    (("config", "account", "add", "t2", "--carrier", "tx", "--api-key-env", "BAD NAME"), ["api_key_env"]),
    (("config", "account", "add", "t2", "--carrier", "tx", "--api-key-env", "K", "--option", "connection=1"),
     ["connection", "connection_id", "messaging_profile_id", "billing_group_id"]),
    (("config", "account", "add", "t2", "--carrier", "tx", "--api-key-env", "K", "--option", "connection_id="),
     ["connection_id"]),
    (("config", "account", "add", "t2", "--carrier", "tx", "--api-key-env", "K", "--option", "connection_id=a b"),
     ["connection_id"]),
    (("config", "account", "add", "t2", "--carrier", "tx", "--api-key-env", "K", "--option", "nokey"), ["KEY=VALUE"]),
    (("config", "account", "add", "t2", "--carrier", "sandbox", "--option", "connection_id=1"), ["connection_id"]),
    (("config", "account", "set", "tx-main", "--option", "site=1"), ["site"]),
])
def test_what_a_telnyx_config_cannot_hold_is_exit_2_and_changes_nothing(run, home, telnyx, args, words):
    before = (home / "config.toml").read_bytes()
    result = run(*args)
    assert result.code == 2, result.err
    line = result.err.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in result.err
    for word in words:
        assert word in line, (word, line)
    assert (home / "config.toml").read_bytes() == before


@pytest.mark.parametrize(("entry", "word"), [
    ('connection_id = "1"\nconection_id = "2"\n', "accounts.tx-main.conection_id"),
    ('messaging_profile_id = ""\n', "accounts.tx-main.messaging_profile_id"),
    ("billing_group_id = true\n", "accounts.tx-main.billing_group_id"),
])
def test_a_hand_edited_telnyx_account_is_checked_on_every_command(run, home, entry, word):
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('[carriers.tx]\nkind = "telnyx"\n\n[accounts.tx-main]\ncarrier = "tx"\n'
                                      f'api_key_env = "TELNYX_API_KEY"\n{entry}')
    result = run("orders", "list")
    assert result.code == 2 and word in result.err and "fix the file" in result.err


def test_a_hand_edited_numeric_connection_id_is_an_id(run, home, httpx_mock, monkeypatch):
    monkeypatch.setenv("TELNYX_API_KEY", KEY)
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('[carriers.tx]\nkind = "telnyx"\n\n[accounts.tx-main]\ncarrier = "tx"\n'
                                      'api_key_env = "TELNYX_API_KEY"\nconnection_id = 1234567890\n')
    httpx_mock.add_response(json={"data": [], "meta": {"total_results": 0}})
    result = run("config", "test", "tx-main")
    assert result.code == 0, result.err
    assert "connection_id 1234567890" in result.out


def test_config_test_reads_one_page_of_phone_numbers(run, telnyx, httpx_mock):
    httpx_mock.add_response(url=f"{URL}/phone_numbers?page%5Bsize%5D=1",
                            json={"data": [], "meta": {"page_number": 1, "page_size": 1, "total_pages": 7,
                                                       "total_results": 7}})
    result = run("config", "test", "tx-main")
    assert result.code == 0, result.err
    assert result.out.strip() == (f"tx-main: ok (Telnyx API {URL}: the API key in $TELNYX_API_KEY was accepted; "
                                  "7 phone number(s) on the account; orders go with connection_id 0123, "
                                  "billing_group_id bg-1)")
    request = httpx_mock.get_request()
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert KEY not in result.out + result.err


@pytest.mark.parametrize(("status", "code", "words"), [
    (401, "10009", ["refused the API key in $TELNYX_API_KEY", "Mission Control"]),
    (403, "10006", ["lacks permission", "not a wrong key"]),
])
def test_config_test_says_what_is_wrong_with_the_key_exit_6(run, telnyx, httpx_mock, status, code, words):
    httpx_mock.add_response(status_code=status, json={"errors": [{"code": code, "title": "Authentication failed",
                                                                  "detail": "Could not understand the key."}]})
    result = run("config", "test", "tx-main")
    assert result.code == 6, result.err
    for word in words:
        assert word in result.err
    assert KEY not in result.out + result.err


def test_config_test_without_the_variable_names_it_and_sends_nothing(run, telnyx, httpx_mock, monkeypatch):
    monkeypatch.delenv("TELNYX_API_KEY")
    result = run("config", "test", "tx-main")
    assert result.code == 6, result.err
    assert "$TELNYX_API_KEY" in result.err and "not set" in result.err
    assert httpx_mock.get_requests() == []


def test_config_test_of_every_account_reports_each(run, telnyx, httpx_mock):
    httpx_mock.add_response(json={"errors": [{"code": "10009", "title": "Authentication failed"}]}, status_code=401)
    result = run("config", "test")
    assert result.code == 6
    assert "sandbox: ok" in result.out and "tx-main: failed" in result.err


def test_the_example_config_holds_a_telnyx_setup_tnorder_accepts(run, home):
    from pathlib import Path

    example = Path(__file__).parent.parent / "examples" / "config.toml"
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_bytes(example.read_bytes())
    listed = run("config", "account", "list", "--json")
    assert listed.code == 0, listed.err
    mine = next(a for a in listed.json() if a["carrier"] == "telnyx")
    assert mine["api_key_env"] == "TELNYX_API_KEY" and mine["options"] == {"connection_id": "1234567890"}
    carrier = next(c for c in run("config", "carrier", "list", "--json").json() if c["kind"] == "telnyx")
    assert carrier["url"] == URL
