"""Leases: "this process is working on it until then", renewed while it works.

A write-ahead order row and a reservation held for an operator both carry one. `orders poll`
concludes nothing about an order, and releases no reservation, while its lease is alive: the
process that holds it may still send the order or order the number.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from tnorder import interrupts
from tnorder.clock import utcnow

LEASE = timedelta(seconds=90)
RENEW_EVERY = 20.0  # seconds: several renewals fit in one lease, so a slow store write does not lose it


def owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def until() -> datetime:
    return utcnow() + LEASE


def alive(holder: str | None, lease_until: datetime | None, now: datetime) -> bool:
    """Is the lease still held? Expired: no. Held by a process of this host that is gone: no (a crash
    recovered by the next cron run, not 90 s later). Held elsewhere and not expired: yes."""
    if lease_until is None or lease_until <= now:
        return False
    host, _, pid = (holder or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by another user
        return True
    return True


class Renewer:
    """Calls `renew` every RENEW_EVERY seconds in a daemon thread while the `with` block runs."""

    def __init__(self, renew: Callable[[], None], every: float = RENEW_EVERY) -> None:
        self.renew, self.every = renew, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tnorder-lease", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.renew()
            except Exception:  # a missed renewal is retried; the lease still has time
                continue

    def __enter__(self) -> Renewer:
        with interrupts.main_thread_hears():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
