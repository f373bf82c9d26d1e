"""Shell completion of values: what each kind of word completes to, read from the config and the
store, through the same entry point the shells' scripts call (`_TNORDER_COMPLETE=complete_…`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tnorder.completion_shells import VALUES_MARK, bash_escape


@pytest.fixture
def complete(run, monkeypatch):
    """`complete("tnorder inventory list --type Sa")` -> (is a value, [words bash would insert])."""

    def ask(line: str) -> tuple[bool, list[str]]:
        words = re.split(r"(?<!\\) ", line)  # as bash splits: an escaped space stays in its word
        monkeypatch.setenv("_TNORDER_COMPLETE", "complete_bash")
        monkeypatch.setenv("COMP_WORDS", line)
        monkeypatch.setenv("COMP_CWORD", str(len(words) - 1))
        result = run()
        monkeypatch.delenv("_TNORDER_COMPLETE")
        assert result.code == 0 and result.err == ""
        out = [word for word in result.out.splitlines() if word]
        return (out[:1] == [VALUES_MARK], out[1:] if out[:1] == [VALUES_MARK] else out)

    return ask


def values(complete, line: str) -> list[str]:
    is_value, found = complete(line)
    assert is_value, f"{line!r} is not completed as a value: {found}"
    return found


@pytest.fixture
def world(run, fast_sandbox):
    """Two inventory types, two carriers and accounts, customers with lines, a pending order."""
    for args in (["customer", "add", "ACME-7", "--name", "Acme Corp"],
                 ["customer", "add", "ACME-8", "--name", "Acme 8"], ["customer", "add", "BETA", "--name", "Beta"],
                 ["customer", "line", "add", "ACME-7", "main office"], ["customer", "line", "add", "ACME-7", "fax"],
                 ["customer", "line", "add", "ACME-8", "sales"],
                 ["inventory", "order", "--type", "Sandbox DIDs", "--area-code", "919", "--quantity", "2",
                  "--all", "--yes"]):
        result = run(*args)
        assert result.code == 0, result.err


def test_inventory_types_complete_from_the_config(complete, world):
    assert values(complete, "tnorder inventory list --type Sa") == ["Sandbox\\ DIDs"]
    assert values(complete, "tnorder inventory list --type ") == ["Fast\\ DIDs", "Sandbox\\ DIDs"]
    assert values(complete, "tnorder inventory move +19195550100 --to-type F") == ["Fast\\ DIDs"]
    assert values(complete, "tnorder customer add-dids ACME-7 --line fax -t ") == ["Fast\\ DIDs", "Sandbox\\ DIDs"]
    assert values(complete, "tnorder config inventory-type remove S") == ["Sandbox\\ DIDs"]


def test_carriers_and_accounts_complete_from_the_config(complete, world):
    assert values(complete, "tnorder config account add main --carrier ") == ["fast", "sandbox"]
    assert values(complete, "tnorder config account set fast --carrier s") == ["sandbox"]
    assert values(complete, "tnorder config carrier remove f") == ["fast"]
    assert values(complete, "tnorder config inventory-type add X --account f") == ["fast"]
    assert values(complete, "tnorder config test ") == ["fast", "sandbox"]
    assert values(complete, "tnorder config account remove s") == ["sandbox"]


def test_carrier_kinds_are_the_installed_plugins(complete):
    kinds = values(complete, "tnorder config carrier add bw --kind ")
    assert {"bandwidth", "broadvox", "sandbox", "telnyx"} <= set(kinds)
    assert values(complete, "tnorder config carrier add bw --kind ba") == ["bandwidth"]


def test_customers_complete_from_the_store(complete, world):
    assert values(complete, "tnorder customer show AC") == ["ACME-7", "ACME-8"]
    assert values(complete, "tnorder customer show ") == ["ACME-7", "ACME-8", "BETA"]
    assert values(complete, "tnorder inventory list --customer B") == ["BETA"]
    assert values(complete, "tnorder inventory assign +19195550100 --customer ACME-") == ["ACME-7", "ACME-8"]
    assert values(complete, "tnorder customer remove-dids AC") == ["ACME-7", "ACME-8"]
    # a new customer's account is not one of the existing ones
    assert complete("tnorder customer add A") == (False, [])


def test_lines_are_those_of_the_customer_already_typed(complete, world):
    assert values(complete, "tnorder customer add-dids ACME-7 --line ") == ["fax", "main\\ office"]
    assert values(complete, "tnorder customer add-dids ACME-8 --line ") == ["sales"]
    assert values(complete, "tnorder customer add-dids ACME-7 -l m") == ["main\\ office"]
    assert values(complete, "tnorder customer add-dids --type Fast\\ DIDs ACME-7 --line f") == ["fax"]
    assert values(complete, "tnorder customer line remove ACME-7 ") == ["fax", "main\\ office"]
    assert values(complete, "tnorder inventory assign +19195550100 --customer ACME-8 --line ") == ["sales"]
    assert values(complete, "tnorder customer add-dids BETA --line ") == []
    assert values(complete, "tnorder customer add-dids NOBODY --line ") == []


def test_statuses(complete):
    assert values(complete, "tnorder inventory list --status a") == ["available", "assigned"]
    assert values(complete, "tnorder inventory list --status ") == [
        "pending", "available", "assigned", "disconnecting", "disconnected"]
    assert values(complete, "tnorder orders list --status p") == ["pending", "partial"]
    assert values(complete, "tnorder orders list --status ") == ["submitting", "pending", "complete", "partial",
                                                                 "failed"]


def test_criteria_enumerations(complete):
    assert values(complete, "tnorder inventory lookup --state N") == ["NC", "ND", "NE", "NH", "NJ", "NM", "NV", "NY"]
    assert "TX" in values(complete, "tnorder inventory order --state ")
    assert values(complete, "tnorder customer add-dids ACME --line x --state W") == ["WA", "WI", "WV", "WY"]
    assert values(complete, "tnorder inventory lookup --toll-free ") == [
        "8\\*\\*", "80\\*", "83\\*", "84\\*", "85\\*", "86\\*", "87\\*", "88\\*"]
    assert values(complete, "tnorder inventory lookup --toll-free 87") == ["87\\*"]


def test_order_references(run, complete, world):
    pending = values(complete, "tnorder orders show ")
    assert pending == ["ORD-000001"]
    # an order that is no longer pending is offered once its reference is being typed
    done = run("inventory", "order", "--type", "Fast DIDs", "--area-code", "919", "--quantity", "1", "--all",
               "--yes", "--wait", "--json")
    assert done.code == 0, done.err
    assert run("orders", "show", "ORD-000002", "--json").json()["status"] == "complete"
    assert values(complete, "tnorder orders show ") == ["ORD-000001"]
    assert values(complete, "tnorder orders show ORD-0") == ["ORD-000001", "ORD-000002"]
    assert values(complete, "tnorder orders show ORD-0000") == ["ORD-000001", "ORD-000002"]
    assert values(complete, "tnorder orders show ORD-000002") == ["ORD-000002"]


def test_commands_and_flags_still_complete(complete):
    assert complete("tnorder inv") == (False, ["inventory"])
    assert complete("tnorder completion ") == (False, ["bash", "zsh", "fish", "install"])
    is_value, flags = complete("tnorder inventory list --st")
    assert not is_value and flags == ["--status"]


def test_a_missing_store_is_neither_created_nor_reported(complete, home):
    assert values(complete, "tnorder customer show ") == []
    assert values(complete, "tnorder orders show ") == []
    assert values(complete, "tnorder customer add-dids ACME --line ") == []
    assert not (home / "tnorder.db").exists()


def test_a_store_named_by_db_is_read(run, complete, tmp_path):
    other = tmp_path / "other.db"
    assert run("--db", str(other), "customer", "add", "ELSEWHERE", "--name", "E").code == 0
    assert values(complete, f"tnorder --db {other} customer show E") == ["ELSEWHERE"]
    assert values(complete, "tnorder customer show E") == []


def test_a_broken_config_or_store_prints_nothing(complete, home):
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text("[inventory_types\n", encoding="utf-8")
    (home / "tnorder.db").write_bytes(b"not a database at all" * 100)
    assert values(complete, "tnorder inventory list --type ") == []
    assert values(complete, "tnorder customer show ") == []


def test_bash_escaping_keeps_one_word():
    assert bash_escape("Sandbox DIDs") == "Sandbox\\ DIDs"
    assert bash_escape("O'Brien & Sons") == "O\\'Brien\\ \\&\\ Sons"
    assert bash_escape("$(rm -rf ~)") == "\\$\\(rm\\ -rf\\ \\~\\)"


def shell_answer(run, monkeypatch, shell: str, line: str, action: str = "") -> tuple[int, str]:
    monkeypatch.setenv("_TNORDER_COMPLETE", f"complete_{shell}")
    monkeypatch.setenv("_TYPER_COMPLETE_ARGS", line)
    monkeypatch.setenv("_TYPER_COMPLETE_FISH_ACTION", action)
    result = run()
    monkeypatch.delenv("_TNORDER_COMPLETE")
    assert result.err == ""
    return result.code, result.out


def test_zsh_values_and_no_file_names(run, monkeypatch, world):
    code, out = shell_answer(run, monkeypatch, "zsh", "tnorder customer add-dids ACME-7 --line ")
    assert code == 0 and out.startswith("_arguments") and '"main office"' in out and '"fax"' in out
    code, out = shell_answer(run, monkeypatch, "zsh", "tnorder customer show NOBODY")
    assert code == 0 and out.strip() == ""  # not `_files`
    code, out = shell_answer(run, monkeypatch, "zsh", "tnorder inventory import ")
    assert out.strip() == "_files"  # a file argument still completes file names


def test_fish_values_and_no_file_names(run, monkeypatch, world):
    code, out = shell_answer(run, monkeypatch, "fish", "tnorder inventory list --type ", "get-args")
    assert code == 0 and out.splitlines() == ["Fast DIDs\taccount fast", "Sandbox DIDs\taccount sandbox"]
    # `is-args` says whether fish should use these answers instead of file names
    assert shell_answer(run, monkeypatch, "fish", "tnorder customer show NOBODY", "is-args")[0] == 0
    assert shell_answer(run, monkeypatch, "fish", "tnorder inventory import ", "is-args")[0] == 1


def test_the_entry_point_as_a_process(cli, world):
    done = cli(env={"_TNORDER_COMPLETE": "complete_bash", "COMP_WORDS": "tnorder inventory list --type Sa",
                    "COMP_CWORD": "4"})
    assert done.code == 0
    assert done.out.splitlines() == [VALUES_MARK, "Sandbox\\ DIDs"] and done.err == ""


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_script_fills_compreply(cli, world, tmp_path):
    script = cli("completion", "bash").out
    (tmp_path / "tnorder.bash").write_text(script, encoding="utf-8")
    probe = f"""
        . {tmp_path / 'tnorder.bash'}
        COMP_WORDS=(tnorder customer add-dids ACME-7 --line ''); COMP_CWORD=5
        _tnorder_completion tnorder
        printf '%s\\n' "${{COMPREPLY[@]}}"
    """
    bindir = Path(sys.executable).parent
    done = subprocess.run(["bash", "--norc", "-c", probe], capture_output=True, text=True, timeout=60,
                          env=os.environ | {"PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"})
    assert done.stdout.splitlines() == ["fax", "main\\ office"], done.stderr


@pytest.fixture
def user_home(tmp_path, monkeypatch) -> Path:
    """A temp HOME: `completion install` writes only there."""
    path = tmp_path / "user"
    path.mkdir()
    monkeypatch.setenv("HOME", str(path))
    for variable in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "ZDOTDIR"):
        monkeypatch.delenv(variable, raising=False)
    return path


def test_install_bash_writes_the_script_and_one_bashrc_line(run, user_home):
    (user_home / ".bashrc").write_text("alias ll='ls -l'", encoding="utf-8")  # no newline at the end
    first = run("completion", "install", "bash")
    script = user_home / ".local/share/bash-completion/completions/tnorder"
    assert first.code == 0 and f"wrote {script}" in first.out
    assert script.read_text(encoding="utf-8") == run("completion", "bash").out
    rc = (user_home / ".bashrc").read_text(encoding="utf-8").splitlines()
    assert rc[0] == "alias ll='ls -l'" and rc[1] == f"[ -f {script} ] && . {script}  # tnorder completion"
    again = run("completion", "install", "bash")
    assert again.code == 0 and f"{script} is up to date" in again.out and "already loads it" in again.out
    assert (user_home / ".bashrc").read_text(encoding="utf-8").splitlines() == rc


def test_install_zsh_writes_into_zfunc_with_a_note(run, user_home):
    done = run("completion", "install", "zsh")
    target = user_home / ".zfunc" / "_tnorder"
    assert done.code == 0 and target.read_text(encoding="utf-8").startswith("#compdef tnorder")
    assert f"fpath=({user_home / '.zfunc'} $fpath)" in done.out
    (user_home / ".zshrc").write_text("fpath=(~/.zfunc $fpath)\nautoload -Uz compinit && compinit\n")
    again = run("completion", "install", "zsh")
    assert "is up to date" in again.out and "fpath=" not in again.out


def test_install_fish_follows_shell_when_not_named(run, user_home, monkeypatch):
    monkeypatch.setenv("SHELL", "/usr/local/bin/fish")
    done = run("completion", "install")
    target = user_home / ".config/fish/completions/tnorder.fish"
    assert done.code == 0 and f"wrote {target}" in done.out
    assert target.read_text(encoding="utf-8") == run("completion", "fish").out
    assert sorted(p.name for p in user_home.rglob("*") if p.is_file()) == ["tnorder.fish"]


def test_install_refuses_an_unknown_shell(run, user_home, monkeypatch):
    monkeypatch.setenv("SHELL", "/bin/tcsh")
    done = run("completion", "install")
    assert done.code == 2 and "cannot tell your shell from $SHELL (tcsh)" in done.err
    assert list(user_home.iterdir()) == []


def _venv_path() -> str:
    return f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"


@pytest.mark.skipif(shutil.which("fish") is None, reason="needs fish")
def test_fish_script_in_fish(cli, world, tmp_path):
    (tmp_path / "tnorder.fish").write_text(cli("completion", "fish").out, encoding="utf-8")
    probe = (f"source {tmp_path / 'tnorder.fish'}; complete -C 'tnorder inventory list --type S'; echo ==; "
             "complete -C 'tnorder customer add-dids ACME-7 --line '; echo ==; complete -C 'tnorder customer show NOB'")
    done = subprocess.run(["fish", "--no-config", "-c", probe], capture_output=True, text=True, timeout=60,
                          env=os.environ | {"PATH": _venv_path()})
    assert done.stdout.split("==\n") == ["Sandbox DIDs\taccount sandbox\n", "fax\nmain office\n", ""], done.stderr


@pytest.mark.skipif(shutil.which("zsh") is None, reason="needs zsh")
def test_zsh_script_from_fpath_in_zsh(cli, world, tmp_path):
    """An interactive zsh (pseudo-terminal) with the script as `_tnorder` in $fpath, as `install` leaves it."""
    import pexpect

    zdot = tmp_path / "zdot"
    (zdot / ".zfunc").mkdir(parents=True)
    (zdot / ".zfunc" / "_tnorder").write_text(cli("completion", "zsh").out, encoding="utf-8")
    (zdot / ".zshrc").write_text(f"fpath=({zdot / '.zfunc'} $fpath)\nautoload -Uz compinit && compinit -u -D\n"
                                 "PS1='ZP> '\n", encoding="utf-8")
    shell = pexpect.spawn("zsh", ["-i"], env=os.environ | {"ZDOTDIR": str(zdot), "TERM": "xterm",
                                                           "PATH": _venv_path()},
                          encoding="utf-8", dimensions=(24, 120), timeout=60)
    try:
        shell.expect_exact("ZP> ")
        shell.send("tnorder inventory list --type S\t")
        shell.expect_exact("andbox\\ DIDs")  # zsh may draw only what it inserted
        shell.sendcontrol("c")
        shell.expect_exact("ZP> ")
        shell.send("tnorder customer add-dids ACME-7 --line m\t")
        shell.expect_exact("ain\\ office")
    finally:
        shell.close(force=True)


LIGHT_PROBE = """
import sys
sys.argv = ["tnorder"]
from tnorder.cli import main
try:
    main()
except SystemExit:
    pass
print("HEAVY:" + ",".join(sorted({m.split(".")[0] for m in sys.modules} & HEAVY_SET)), file=sys.stderr)
"""


@pytest.mark.parametrize("line", ["tnorder customer add-dids ACME-7 --line ", "tnorder orders show ORD-0",
                                  "tnorder inventory list --type S"])
def test_a_completion_loads_no_orm_pydantic_or_http(world, line):
    """Start-up is most of a completion: no SQLModel/SQLAlchemy (one sqlite3 query), no httpx, and
    not Pydantic, which Typer's value coercion would load (about 350 ms)."""
    heavy = {"sqlmodel", "sqlalchemy", "httpx", "pydantic", "rich"}
    probe = LIGHT_PROBE.replace("HEAVY_SET", repr(heavy))
    shell = {"_TNORDER_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(len(line.split(" ")) - 1)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                          env=os.environ | shell)
    assert done.stdout.startswith(VALUES_MARK) and len(done.stdout.splitlines()) > 1, done.stdout
    assert done.stderr.strip().splitlines()[-1] == "HEAVY:"


def test_output_formats_complete_on_every_data_command(complete):
    assert values(complete, "tnorder inventory list --format j") == ["json", "jsonl"]
    assert values(complete, "tnorder orders pending -o ") == ["table", "json", "jsonl", "csv", "tsv"]
    assert values(complete, "tnorder customer list --format t") == ["table", "tsv"]
