"""How long one command may spend talking to carriers (light: imported by cli.py at start-up).

`TNORDER_COMMAND_TIMEOUT` (seconds, default 900) bounds every carrier request of one command
taken together (raise it for a `--wait --timeout` longer than that); `TNORDER_REQUEST_TIMEOUT`
(seconds, default 60) bounds each request from the first byte sent to the last byte read, however
slowly a server drips its answer. Time spent waiting on the operator (`waiting()`: a prompt while
numbers are held) is not carrier traffic and does not count.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tnorder.errors import ConfigError

COMMAND_DEFAULT = 900.0
REQUEST_DEFAULT = 60.0
_started: float | None = None  # set by the command line; a library caller has no command deadline
_waited = 0.0  # seconds spent waiting on the operator, added to the deadline
_waiting_since: float | None = None


def seconds(variable: str, default: float) -> float:
    """A positive, finite number of seconds from the environment, or exit 2 naming the variable."""
    raw = os.environ.get(variable)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 < value <= 86400:
        raise ConfigError(f"${variable} must be a number of seconds between 0 and 86400, not {raw[:20]!r}")
    return value


def start() -> None:
    """A command begins: its carrier requests share one budget from now (both settings checked now,
    so a bad value is exit 2 before anything is written or sent)."""
    global _started, _waited, _waiting_since
    seconds("TNORDER_COMMAND_TIMEOUT", COMMAND_DEFAULT)
    request_seconds()
    _started, _waited, _waiting_since = time.monotonic(), 0.0, None


def command_deadline() -> float:
    """The monotonic time by which this command's carrier traffic must be over (none outside a command)."""
    if _started is None:
        return math.inf
    waited = _waited + (time.monotonic() - _waiting_since if _waiting_since is not None else 0.0)
    return _started + waited + seconds("TNORDER_COMMAND_TIMEOUT", COMMAND_DEFAULT)


@contextmanager
def waiting() -> Iterator[None]:
    """The operator is choosing: the budget left is kept for after (an operator may take half an
    hour over a selection whose holds are extended meanwhile, and then order)."""
    global _waited, _waiting_since
    _waiting_since = time.monotonic()
    try:
        yield
    finally:
        _waited += time.monotonic() - _waiting_since
        _waiting_since = None


def request_seconds() -> float:
    return seconds("TNORDER_REQUEST_TIMEOUT", REQUEST_DEFAULT)
