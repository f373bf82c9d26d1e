"""Test hooks: a process stops at a named step while a test acts around it.

`TNORDER_TEST_PAUSE_AT=step` makes `pause(step)` write the marker file
`$TNORDER_TEST_PAUSE_FILE.step` (holding the pid) and wait while it exists, at most two minutes.
Crash rehearsals kill the process there; race rehearsals let another process commit a conflicting
change there (or hold the store's write lock) and then remove the marker. Unset, a call costs one
environment lookup.

Steps are named where they are called; a decision point is paused *after* its friendly early
check and *before* the write transaction that must check again.

`TNORDER_TEST_POOL_CACHE=folder` names where the test run keeps the sandbox's exchange cache, built
once: a fresh world copies it in (`pool_cache`) instead of building it again (~1 s of CPU each).

`TNORDER_TEST_<NAME>_SECONDS` shortens a product's wait named NAME (`waited`): a rehearsal's settle
then takes seconds, not the two minutes an operator's cron would wait. Unset, the product's own.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

LIMIT = 120  # seconds: a forgotten marker never wedges a test run for good


def pause(step: str) -> None:
    if os.environ.get("TNORDER_TEST_PAUSE_AT") != step:
        return
    marker = Path(f"{os.environ['TNORDER_TEST_PAUSE_FILE']}.{step}")
    marker.write_text(f"{os.getpid()}\n", encoding="utf-8")
    deadline = time.monotonic() + LIMIT
    while marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def pool_cache(name: str) -> Path | None:
    """The test run's ready copy of the exchange cache file `name`, if it keeps one."""
    folder = os.environ.get("TNORDER_TEST_POOL_CACHE")
    found = Path(folder) / name if folder else None
    return found if found and found.exists() else None


def waited(name: str, default: timedelta) -> timedelta:
    """The wait `name` (`ANSWER_GRACE`...) as the product has it, or as a rehearsal shortened it."""
    raw = os.environ.get(f"TNORDER_TEST_{name}_SECONDS")
    return timedelta(seconds=float(raw)) if raw else default
