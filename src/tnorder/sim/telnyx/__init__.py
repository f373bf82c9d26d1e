"""The Telnyx face of the emulator: API v2 (JSON) at `/telnyx/v2`, over the one world.

A thin translation (shared/carriers/telnyx.md): the search, reservation, number-order and
phone-number endpoints tnorder uses, in the shapes of SPEC, so that Telnyx's own SDK can be
pointed at it (`base_url=".../telnyx/v2"`). Every Telnyx key owns the world account `telnyx`.

The request pipeline, as the other faces run theirs:
- `Authorization: Bearer KEY` on every call; any key unless the emulator was started with
  `--telnyx-key` (401, code 10009, otherwise);
- `--rate-limit N`: N calls a second per endpoint, then 429 (10011); every answer carries
  `x-ratelimit-limit`, `-remaining` and `-reset` (seconds until the window resets);
- `--fail-rate`: a 500 (10007), a 429 or a truncated 200 body, drawn before the world is touched;
- `--drop-rate`: the connection drops before or after the world acts;
- `--pause-at received|answered`: creates (a number order, a phone-number delete, a delete job)
  stop at that step while the marker exists;
- `--latency-ms` delays the answer after the work is done (a killed client leaves a request
  Telnyx did take).
An undefined route, or a method a route does not have (a reservation's DELETE: Telnyx has none),
is a 404 in the error envelope. The `number_order.complete` webhook is not sent.
"""

from __future__ import annotations

import hmac
import math
import re
import time
from collections.abc import Callable, Mapping
from functools import partial
from urllib.parse import urlsplit

from tnorder.sim.bandwidth_auth import Faults
from tnorder.sim.bandwidth_limits import RateLimits
from tnorder.sim.bandwidth_xml import Reply
from tnorder.sim.chaos import DROP, Chaos
from tnorder.sim.telnyx import numbers, orders, reservations, search
from tnorder.sim.telnyx.wire import Problem, Query, Request, not_found
from tnorder.sim.world import World

PATH = "/telnyx/v2"
UNLIMITED = 1000  # what x-ratelimit-limit says when no --rate-limit is set (nothing is enforced)
Handler = Callable[[World, Request], Reply]
CREATES = {("POST", "/number_orders"), ("DELETE", "/phone_numbers/{id}"),
           ("POST", "/phone_numbers/jobs/delete_phone_numbers")}


class TelnyxApi:
    def __init__(self, world: World, *, key: str | None = None, latency_ms: int = 0, faults: Faults | None = None,
                 chaos: Chaos | None = None, limits: RateLimits | None = None, weird_status: str | None = None) -> None:
        self.world = world
        self.key = key
        self.latency_ms = latency_ms
        self.faults = faults or Faults()
        self.chaos = chaos or Chaos()
        self.limits = limits or RateLimits()
        weird = {"weird": weird_status}
        table: list[tuple[str, dict[str, Handler]]] = [
            ("/available_phone_numbers", {"GET": lambda w, r: search.search(w, r.query)}),
            ("/number_reservations", {"GET": reservations.list_reservations,
                                      "POST": reservations.create_reservation}),
            ("/number_reservations/{id}", {"GET": reservations.get_reservation}),
            ("/number_reservations/{id}/actions/extend", {"POST": reservations.extend_reservation}),
            ("/number_orders", {"GET": partial(orders.list_orders, **weird),
                                "POST": partial(orders.create_order, **weird)}),
            ("/number_orders/{id}", {"GET": partial(orders.get_order, **weird),
                                     "PATCH": partial(orders.update_order, **weird)}),
            ("/sub_number_orders", {"GET": orders.list_sub_orders}),
            ("/phone_numbers", {"GET": numbers.list_numbers}),
            ("/phone_numbers/jobs/delete_phone_numbers", {"POST": numbers.create_job}),
            ("/phone_numbers/jobs/{id}", {"GET": numbers.get_job}),
            ("/phone_numbers/{id}", {"GET": numbers.get_number, "DELETE": numbers.delete_number}),
        ]
        self.routes = [(name, re.compile(name.replace("{id}", "(?P<id>[^/]+)")), methods) for name, methods in table]

    @staticmethod
    def serves(target: str) -> bool:
        path = urlsplit(target).path.rstrip("/")
        return path == PATH or path.startswith(PATH + "/")

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes = b"",
               host: str = "127.0.0.1") -> Reply:
        url = urlsplit(target)
        request = Request(method, url.path[len(PATH):].rstrip("/"), Query(url.query), body)
        try:
            reply = self._answer(request, headers.get("Authorization"))
        except Problem as problem:
            reply = problem.reply
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)  # after the work: see the module notes
        return reply

    def _answer(self, request: Request, authorization: str | None) -> Reply:
        self._check_key(authorization)
        name, handler = self._route(request)
        window = self._count(request.method, name)
        fault = self.faults.draw()
        if fault:
            return injected(fault, *window)
        drop = self.chaos.drop()
        if drop == "before":
            return DROP
        creates = (request.method, name) in CREATES
        if creates:
            self.chaos.pause("received")
        try:
            reply = handler(self.world, request)
        except Problem as problem:
            reply = problem.reply
        if creates:
            self.chaos.pause("answered")
        return DROP if drop == "after" else with_limits(reply, *window)

    def _check_key(self, authorization: str | None) -> None:
        scheme, _, given = (authorization or "").strip().partition(" ")
        given = given.strip()
        if scheme.lower() != "bearer" or not given or (
                self.key is not None and not hmac.compare_digest(given.encode(), self.key.encode())):
            raise Problem(401, "10009", "Authentication failed", "Could not understand the provided credentials.")

    def _route(self, request: Request) -> tuple[str, Handler]:
        for name, pattern, methods in self.routes:
            match = pattern.fullmatch(request.path)
            if match and request.method in methods:
                request.args = match.groupdict()
                return name, methods[request.method]
        raise not_found()

    def _count(self, method: str, name: str) -> tuple[int, int, float]:
        """(limit, calls so far, seconds left) of this endpoint's one-second window; 429 past the limit."""
        now = time.time()
        count = self.limits.hit("telnyx", f"{method} {name}", int(now))
        left = math.floor(now) + 1 - now
        limit = self.limits.per_second
        if limit and count > limit:
            raise Problem(429, "10011", "Too many requests",
                          "You have exceeded the maximum number of allowed requests.",
                          headers=_limit_headers(limit, count, left))
        return limit or UNLIMITED, count, left


def _limit_headers(limit: int, count: int, left: float) -> dict[str, str]:
    return {"x-ratelimit-limit": str(limit), "x-ratelimit-remaining": str(max(0, limit - count)),
            "x-ratelimit-reset": str(max(1, math.ceil(left)))}


def with_limits(reply: Reply, limit: int, count: int, left: float) -> Reply:
    reply.headers.update(_limit_headers(limit, count, left))
    return reply


def injected(kind: str, limit: int, count: int, left: float) -> Reply:
    if kind == "rate_limited":  # as if the window were spent
        return Problem(429, "10011", "Too many requests", "You have exceeded the maximum number of allowed requests.",
                       headers=_limit_headers(limit, limit, left)).reply
    if kind == "malformed":
        return with_limits(Reply(200, b'{"data": {"id": "', {"Content-Type": "application/json"}), limit, count, left)
    return with_limits(internal_error(), limit, count, left)


def internal_error() -> Reply:
    return Problem(500, "10007", "Unexpected error", "An unexpected error occurred.").reply


__all__ = ["PATH", "TelnyxApi", "internal_error"]
