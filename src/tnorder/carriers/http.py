"""The one place tnorder builds HTTP clients: finite timeouts, a User-Agent, injectable transport."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx

from tnorder import __version__

USER_AGENT = f"tnorder/{__version__}"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
log = logging.getLogger("tnorder.http")


def _sent(request: httpx.Request) -> None:
    request.extensions["tnorder_started"] = time.monotonic()


def _received(response: httpx.Response) -> None:
    # method, URL and status only: headers (credentials, tokens) and bodies are never logged
    if not log.isEnabledFor(logging.DEBUG):
        return
    started = response.request.extensions.get("tnorder_started", time.monotonic())
    log.debug("%s %s -> %s (%.2f s)", response.request.method, response.request.url.copy_with(userinfo=b""),
              response.status_code, time.monotonic() - started)


def client(base_url: str = "", *, auth: httpx.Auth | None = None, timeout: httpx.Timeout | float | None = None,
           headers: dict[str, str] | None = None, transport: httpx.BaseTransport | None = None,
           **extra: Any) -> httpx.Client:
    """An httpx client. Redirects are followed; httpx drops Authorization on a cross-origin hop and
    keeps it on the same host, which is what Bandwidth's list endpoints need (they redirect)."""
    return httpx.Client(
        base_url=base_url,
        auth=auth,
        timeout=timeout or DEFAULT_TIMEOUT,
        headers={"User-Agent": USER_AGENT} | (headers or {}),
        transport=transport,
        follow_redirects=True,
        event_hooks={"request": [_sent], "response": [_received]},
        **extra,
    )
