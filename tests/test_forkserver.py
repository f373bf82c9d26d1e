"""The tests' fork server (tests/forkserver.py) against `python -m tnorder` exec'd as before: a
forked command must be indistinguishable to a test, or the tests built on it prove nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

import forkserver

pytestmark = pytest.mark.skipif(not forkserver.enabled(), reason="TNORDER_TEST_FORK=0: nothing is forked")


def both(*args: str, **popen) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    popen.setdefault("capture_output", True)
    popen.setdefault("text", True)
    popen.setdefault("timeout", 60)
    execed = subprocess.run([sys.executable, "-m", "tnorder", *args], **popen)
    forked = forkserver.run(*args, **popen)
    return execed, forked


@pytest.mark.parametrize("args", [
    ("--version",),
    ("no-such-command",),  # exit 2, one line on stderr
    ("inventory", "list", "--json"),
    ("config", "carrier", "add", "x", "--kind", "no-such-kind"),
    ("orders", "poll", "--jsonl"),
    ("inventory", "order", "--type", "nope", "--area-code", "919", "--quantity", "1", "--all", "--yes"),
])
def test_a_forked_command_says_and_ends_as_an_execed_one(args):
    execed, forked = both(*args, stdin=subprocess.DEVNULL)
    assert (forked.returncode, forked.stdout, forked.stderr) == (execed.returncode, execed.stdout, execed.stderr)


def test_standard_input_working_directory_and_environment_are_the_tests(tmp_path, home):
    (tmp_path / "numbers.csv").write_text("number\n9195550100\n")
    done = forkserver.run("inventory", "import", "numbers.csv", "--json", capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (home / "tnorder.db").exists()  # TNORDER_HOME as this test set it
    piped = forkserver.run("inventory", "import", "-", "--json", input="number\n9195550101\n", capture_output=True,
                           text=True, timeout=60)
    assert piped.returncode == 0, piped.stderr
    listed = forkserver.run("inventory", "list", "--json", capture_output=True, text=True, timeout=60)
    assert "+19195550100" in listed.stdout and "+19195550101" in listed.stdout


def test_the_pid_is_the_commands_own_and_a_signal_ends_it_as_it_would(home):
    proc = forkserver.tnorder("sim", "serve", "--port", "0", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    assert "emulator on" in proc.stderr.readline()
    with open(f"/proc/{proc.pid}/cmdline", "rb") as cmdline:
        assert cmdline.read()  # a live process of its own, not the server
    assert proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(10) == -signal.SIGKILL
    time.sleep(0.2)
    assert not os.path.exists(f"/proc/{proc.pid}")  # reaped at once: a lease holder's pid is seen gone


def test_a_python_start_up_setting_is_not_forked(tmp_path):
    """PYTHONPATH (a plugin on it) is read when Python starts: such a command is exec'd."""
    proc = forkserver.tnorder("--version", env=os.environ | {"PYTHONPATH": str(tmp_path)}, stdout=subprocess.PIPE)
    proc.communicate(timeout=60)
    assert not isinstance(proc, forkserver.Forked)
    with forkserver.tnorder("--version", stdout=subprocess.DEVNULL) as plain:
        assert isinstance(plain, forkserver.Forked)
    assert plain.returncode == 0


@pytest.mark.parametrize("forked", [False, True])
def test_ctrl_c_on_a_forked_terminal_is_a_sigint_as_on_a_spawned_one(run, fast_sandbox, forked):
    """The forked command leads a session of its own on the test's terminal, as pty.fork() makes it:
    Ctrl-C typed there reaches it as SIGINT."""
    import pexpect

    args = ("inventory", "order", "--type", "fast", "--area-code", "919", "--quantity", "2", "--select")
    options = {"env": dict(os.environ, TERM="dumb"), "encoding": "utf-8", "timeout": 60}
    if forked:
        child = forkserver.spawn(*args, **options)
        assert isinstance(child, forkserver.ForkedSpawn)
    else:
        child = pexpect.spawn(sys.executable, ["-m", "tnorder", *args], **options)
    child.expect(r"Order which numbers\?")
    assert os.getsid(child.pid) == child.pid
    child.sendintr()
    child.expect(r"interrupted: 2 reservation\(s\) released")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
