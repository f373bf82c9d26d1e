"""Every test gets a fresh TNORDER_HOME; helpers run tnorder in-process or as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tnorder.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("TNORDER_HOME", str(path))
    monkeypatch.delenv("TNORDER_DB", raising=False)
    monkeypatch.setenv("TNORDER_OPERATOR", "tester")
    # no test reads the wall clock's date (Bandwidth's Basic retirement is dated): a test that needs
    # another day sets its own TNORDER_NOW
    monkeypatch.setenv("TNORDER_NOW", "2026-11-15")
    return path


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]):
    """tnorder in this process: `run("inventory", "lookup", ...)` -> Result."""

    def invoke(*args: str) -> Result:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def cli(home: Path):
    """tnorder as a real process, as a script or cron job runs it."""

    def invoke(*args: str, timeout: float = 60, env: dict[str, str] | None = None) -> Result:
        done = subprocess.run(
            [sys.executable, "-m", "tnorder", *args], capture_output=True, text=True,
            timeout=timeout, stdin=subprocess.DEVNULL, env=os.environ | (env or {}),
        )
        return Result(done.returncode, done.stdout, done.stderr)

    return invoke


@pytest.fixture
def fast_sandbox(run):
    """Sandbox orders that complete at once (the default waits a few seconds)."""
    result = run("config", "carrier", "add", "fast", "--kind", "sandbox", "--option", "complete_after=0")
    assert result.code == 0, result.err
    assert run("config", "account", "add", "fast", "--carrier", "fast").code == 0
    assert run("config", "inventory-type", "add", "Fast DIDs", "--account", "fast").code == 0
    return "Fast DIDs"


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server for the session: `TNORDER_TEST_PG_URL`, else one started here."""
    import pgserver

    url = os.environ.get("TNORDER_TEST_PG_URL")
    if url:
        yield url
        return
    try:
        server = pgserver.Server()
    except FileNotFoundError as exc:
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The same test on a SQLite file and on a real PostgreSQL database (TNORDER_DB for every process)."""
    if request.param == "sqlite":
        return f"sqlite:///{home / 'tnorder.db'}"
    import pgserver

    url = pgserver.new_database(request.getfixturevalue("pg_server"))
    monkeypatch.setenv("TNORDER_DB", url)
    return url


@pytest.fixture
def emulator(tmp_path: Path):
    """`emulator(*flags)` starts `tnorder sim serve` on a free port (each in its own home); all stop after."""
    from emulator import Emulator

    started = []

    def launch(*flags: str):
        emu = Emulator(tmp_path / f"emulator-{len(started)}", *flags)
        started.append(emu)
        return emu

    yield launch
    for emu in started:
        emu.stop()


@pytest.fixture
def hostile():
    """A server answering whatever a test tells it to (tests/hostile.py); stopped after the test."""
    from hostile import Hostile

    server = Hostile()
    yield server
    server.stop()
