"""Per-group rate limits, as Bandwidth applies them: 429, an empty body, `X-RateLimit-Reset`.

Bandwidth publishes the groups (ORDER, SEARCH, DISCONNECT, HISTORY, …) but not the numbers, so the
limit is a flag: at most N requests per group and account in each one-second window.
"""

from __future__ import annotations

import re
import threading
import time

from tnorder.sim.bandwidth_xml import Reply

GROUPS = [
    ("ORDER", "POST", re.compile(r"/accounts/[^/]+/orders$")),
    ("ORDER", "PUT", re.compile(r"/accounts/[^/]+/orders/[^/]+$")),
    ("DISCONNECT", "POST", re.compile(r"/accounts/[^/]+/disconnects$")),
    ("SEARCH", "GET", re.compile(r"/accounts/[^/]+/availableNumbers$")),
    ("INSERVICE_NPANXX", "GET", re.compile(r"/accounts/[^/]+/(sites/[^/]+/)?inserviceNumbers(/.*)?$")),
    ("HISTORY", "GET", re.compile(r"/accounts/[^/]+/(orders|disconnects)(/.*)?$")),
]


class RateLimits:
    def __init__(self, per_second: int = 0) -> None:
        self.per_second = per_second
        self._counts: dict[tuple[str, str, int], int] = {}
        self._lock = threading.Lock()

    def check(self, method: str, path: str) -> Reply | None:
        """None when the call may go on; else the 429 Bandwidth sends."""
        if self.per_second <= 0:
            return None
        group = next((name for name, verb, pattern in GROUPS if verb == method and pattern.search(path)), None)
        if group is None:
            return None
        account = path.split("/")[2] if path.startswith("/accounts/") else ""
        window = int(time.time())
        if self.hit(account, group, window) <= self.per_second:
            return None
        return Reply(429, b"", {"X-RateLimit-Reset": str(window + 1)})

    def hit(self, account: str, group: str, window: int) -> int:
        """Count one request of `group` in this one-second window; the count so far."""
        with self._lock:
            self._counts = {k: v for k, v in self._counts.items() if k[2] >= window}
            key = (account, group, window)
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]
