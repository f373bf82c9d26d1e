"""Race rehearsals: stop a tnorder process at a decision point, act around it, let it go.

    with paused("disconnect-decided", "inventory", "disconnect", N, "--yes") as first:
        second = cli("inventory", "assign", N, ...)      # commits while the first one waits
    code, out, err = first.result()                     # the first one decides again, under the lock

`holding_write_lock(url, seconds)` is the other tool: a separate process takes the store's write
lock (SQLite BEGIN IMMEDIATE, PostgreSQL's advisory lock, through `Store.begin`) and keeps it, so
whatever reaches a write meanwhile waits at exactly the point where its check must be made again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import forkserver

_HOLDER = """
import sys, time
from pathlib import Path
from tnorder.store import Store
store = Store(sys.argv[1])
with store.begin():
    Path(sys.argv[2]).write_text("held")
    time.sleep(float(sys.argv[3]))
"""


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return forkserver.tnorder(*args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=os.environ | (env or {}))


def wait_for(path: Path, proc: subprocess.Popen | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"exited before {path.name}: {proc.communicate()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"never reached {path.name}")
        time.sleep(0.02)


class Paused:
    def __init__(self, proc: subprocess.Popen, marker: Path) -> None:
        self.proc, self.marker = proc, marker

    def release(self) -> None:
        self.marker.unlink(missing_ok=True)

    def result(self, timeout: float = 120) -> tuple[int, str, str]:
        self.release()
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err


def _marker_base(step: str) -> Path:
    base = Path(os.environ["TNORDER_HOME"]).parent / f"pause-{step}-{time.monotonic_ns()}"
    base.parent.mkdir(parents=True, exist_ok=True)
    return base


@contextmanager
def paused(step: str, *args: str, env: dict[str, str] | None = None) -> Iterator[Paused]:
    """`tnorder *args` stopped at `step` (testhooks.pause) for the body; let go (not reaped) after."""
    base = _marker_base(step)
    proc = start(*args, env={"TNORDER_TEST_PAUSE_AT": step, "TNORDER_TEST_PAUSE_FILE": str(base)} | (env or {}))
    marker = Path(f"{base}.{step}")
    wait_for(marker, proc)
    held = Paused(proc, marker)
    try:
        yield held
    finally:
        held.release()


@contextmanager
def holding_write_lock(url: str, seconds: float = 2.5) -> Iterator[subprocess.Popen]:
    """Another process holds the store's write lock for `seconds` (from the moment the body starts)."""
    signal = _marker_base("lock")
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, url, str(signal), str(seconds)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(signal, proc)
    try:
        yield proc
    finally:
        proc.communicate(timeout=seconds + 60)
