"""The one place tnorder builds HTTP clients: finite timeouts, a User-Agent, injectable transport.

Every answer is bounded (see `Bounded`): an overall deadline per request and per command
(tnorder/deadline.py), a body cap, and redirects followed only for GETs to the same origin.
"""

from __future__ import annotations

import logging
import math
import os
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

import httpx

from tnorder import __version__, deadline
from tnorder.errors import CarrierError, CarrierNotReached, CarrierRateLimited, CarrierUnreachable

USER_AGENT = f"tnorder/{__version__}"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_BODY = 8 * 1024 * 1024  # numbers APIs answer in pages of kilobytes; a bigger answer is hostile or broken
MAX_REDIRECTS = 5
RETRIES = 3  # attempts of one request: transient failures of reads, and 429s of anything
REDIRECTS = (301, 302, 303, 307, 308)
# connections one client keeps open: as many as the most requests a command has on the wire to one
# carrier account (`orders poll`'s workers), so none is closed after its answer and opened again
# (httpx's default keeps 20; httpcore closes an idle one whenever more than that many are open, idle
# or not: 32 poll workers opened 186 connections for 500 requests, each a thread in the emulator)
POOL = httpx.Limits(max_connections=64, max_keepalive_connections=64)
log = logging.getLogger("tnorder.http")


class DeadlinePassed(httpx.TimeoutException):
    """The request's (or the command's) overall time ran out, however slowly bytes kept coming."""


class NotStarted(DeadlinePassed):
    """The time ran out before the request was handed to the connection: nothing was sent."""


class AnswerTooLarge(httpx.ReadError):
    """The answer's body ran past MAX_BODY; reading stopped there."""


class Bounded(httpx.BaseTransport):
    """A transport that reads each answer whole, within a deadline and a size cap, and follows a
    redirect only for a GET to the same origin (a POST body is never re-sent anywhere: the
    redirect itself is the answer, and the plugin treats it as an error)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._once(request)
        for _ in range(MAX_REDIRECTS):
            target = _same_origin_redirect(request, response)
            if target is None:
                break
            request = httpx.Request("GET", target, headers=request.headers, extensions=request.extensions)
            response = self._once(request)
        return response

    def close(self) -> None:
        self.inner.close()

    def _once(self, request: httpx.Request) -> httpx.Response:
        ends = min(time.monotonic() + deadline.request_seconds(), deadline.command_deadline())
        left = ends - time.monotonic()
        if left <= 0:
            raise NotStarted("the command's time for carrier requests ran out", request=request)
        timeouts = request.extensions.get("timeout") or {}
        request.extensions["timeout"] = {k: min(timeouts.get(k) or left, left)
                                         for k in ("connect", "read", "write", "pool")}
        response = self.inner.handle_request(request)
        try:
            body = _read(response, request, ends)
        finally:
            response.close()
        skip = {b"content-encoding", b"content-length", b"transfer-encoding"}
        headers = [(k, v) for k, v in response.headers.raw if k.lower() not in skip]
        return httpx.Response(response.status_code, headers=headers, content=body, request=request,
                              extensions=response.extensions)


# failures before a single byte of the request can have left: no connection, a refused or
# timed-out connect, a name that does not resolve, a failed TLS handshake (httpx raises ConnectError
# for the last three), no free connection in the pool, a URL httpx cannot send to
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol, NotStarted)


def never_sent(exc: BaseException) -> bool:
    """Did this failure certainly happen before the request left? (Anything later may have arrived.)"""
    return isinstance(exc, NEVER_SENT)


def in_transit(carrier: str, what: str, exc: httpx.HTTPError) -> CarrierError:
    """The error for a request that failed on the wire: certainly unsent, or perhaps received."""
    if never_sent(exc):
        why = str(exc) if isinstance(exc, NotStarted) else f"{type(exc).__name__}: no connection could be made"
        return CarrierNotReached(carrier, f"{what} was not sent ({why}); nothing reached the carrier")
    return CarrierUnreachable(carrier, f"{what} did not complete: {type(exc).__name__}")


def after_retries(earlier: CarrierError | None, error: CarrierError) -> CarrierError:
    """The error to report for an attempt: a retry that was never sent (say the command's time ran
    out before it) must not report "nothing reached the carrier" when an earlier attempt did."""
    return earlier if earlier is not None and isinstance(error, CarrierNotReached) else error


def send(http: httpx.Client, carrier: str, method: str, url: str, *, idempotent: bool,
         on_429: Callable[[httpx.Response], None], **kwargs: Any) -> httpx.Response:
    """One request under the house's retry rules; returns the last answer, whatever its status.

    A failure on the wire or a 5xx is sent again only when `idempotent`: a create that may have
    arrived is never re-sent (its outcome is for `orders poll` to settle). A 429 was not acted on,
    so any request is sent again once `on_429` has waited (it raises when the wait is too long)."""
    earlier: CarrierError | None = None  # what a retried attempt met: a retry never sent does not hide it
    for attempt in range(1, RETRIES + 1):
        last = attempt == RETRIES
        try:
            response = http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            error = after_retries(earlier, in_transit(carrier, f"{method} {url}", exc))
            if not idempotent or last:
                raise error from None
            earlier = error
        else:
            status = response.status_code
            if status == 429 and not last:
                on_429(response)
                continue
            if status < 500 or not idempotent or last:
                return response
            earlier = CarrierError(carrier, f"{method} {url} answered HTTP {status}", str(status))
        time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")


def retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError):
        return None


def wait_out(carrier: str, response: httpx.Response, limit: float, *, reset_is_epoch: bool) -> None:
    """Sleep as a 429 says: `Retry-After`, else `X-RateLimit-Reset` (epoch seconds for Bandwidth v1,
    seconds left for Telnyx); a wait longer than `limit` is not slept but reported (exit 7)."""
    wait = retry_after(response.headers.get("Retry-After"))
    if wait is None:
        try:
            wait = float(response.headers.get("X-RateLimit-Reset", "")) - (time.time() if reset_is_epoch else 0)
        except ValueError:
            wait = 1.0
    if not math.isfinite(wait):  # `nan` or `inf` from a server: not a time to sleep until
        wait = 1.0
    if wait > limit:
        raise CarrierRateLimited(carrier, f"rate limited for {wait:.0f} s more", "429")
    time.sleep(min(max(wait, 0.1), limit))


def _same_origin_redirect(request: httpx.Request, response: httpx.Response) -> httpx.URL | None:
    location = response.headers.get("Location")
    if request.method != "GET" or response.status_code not in REDIRECTS or not location:
        return None
    try:
        target = request.url.join(location)
    except httpx.InvalidURL:
        return None
    same = (target.scheme, target.host, target.port) == (request.url.scheme, request.url.host, request.url.port)
    return target if same else None


def _read(response: httpx.Response, request: httpx.Request, ends: float) -> bytes:
    """The body, decoded (gzip/deflate, bounded too: a small bomb must not inflate past the cap)."""
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity", "gzip", "deflate"):
        raise AnswerTooLarge(f"answer in an encoding tnorder did not ask for ({encoding[:20]})", request=request)
    inflate = zlib.decompressobj(47) if encoding in ("gzip", "deflate") else None  # 47: zlib or gzip header
    parts: list[bytes] = []
    size = 0
    for chunk in response.stream:  # type: ignore[union-attr]
        if time.monotonic() > ends:
            raise DeadlinePassed("the answer did not arrive in time", request=request)
        if inflate is not None:
            try:
                chunk = inflate.decompress(chunk, MAX_BODY + 1 - size)
            except zlib.error:
                raise AnswerTooLarge("a compressed answer that does not decompress", request=request) from None
            if inflate.unconsumed_tail:
                size = MAX_BODY + 1
        size += len(chunk)
        if size > MAX_BODY:
            raise AnswerTooLarge(f"answer larger than {MAX_BODY // (1024 * 1024)} MB", request=request)
        parts.append(chunk)
    return b"".join(parts)


def _sent(request: httpx.Request) -> None:
    request.extensions["tnorder_started"] = time.monotonic()


def _received(response: httpx.Response) -> None:
    # method, URL and status only: headers (credentials, tokens) and bodies are never logged
    if not log.isEnabledFor(logging.DEBUG):
        return
    started = response.request.extensions.get("tnorder_started", time.monotonic())
    log.debug("%s %s -> %s (%.2f s)", response.request.method, response.request.url.copy_with(userinfo=b""),
              response.status_code, time.monotonic() - started)


_TLS: dict[tuple[str | None, str | None], ssl.SSLContext] = {}


def _tls() -> ssl.SSLContext:
    """The TLS settings httpx builds by default (certifi's CAs, or SSL_CERT_FILE/SSL_CERT_DIR), built
    once: reading the CA file is ~10 ms, and a poll or a batch builds a client per worker thread."""
    where = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    with _TLS_BUILDING:
        if where not in _TLS:
            _TLS[where] = httpx.create_ssl_context()
        return _TLS[where]


_TLS_BUILDING = threading.Lock()


def client(base_url: str = "", *, auth: httpx.Auth | None = None, timeout: httpx.Timeout | float | None = None,
           headers: dict[str, str] | None = None, transport: httpx.BaseTransport | None = None,
           **extra: Any) -> httpx.Client:
    """An httpx client whose answers are bounded (`Bounded`). Same-origin GET redirects are followed
    (Bandwidth's list endpoints redirect); nothing else is: httpx's own redirect handling is off."""
    return httpx.Client(
        base_url=base_url,
        auth=auth,
        timeout=timeout or DEFAULT_TIMEOUT,
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"} | (headers or {}),
        # a transport given, httpx ignores `limits=`: the pool is set on the transport
        transport=Bounded(transport or httpx.HTTPTransport(limits=POOL, verify=_tls())),
        follow_redirects=False,
        event_hooks={"request": [_sent], "response": [_received]},
        **extra,
    )
