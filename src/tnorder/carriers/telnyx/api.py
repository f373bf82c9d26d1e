"""One Telnyx account over HTTP: Bearer auth, the house's retry rules, the `errors[]` envelope.

Reads (and the harmless-to-repeat extend) are retried on transient failures, an answer cut short
included; a create (reservation, number order, phone-number delete) is sent once: Telnyx has no
idempotency key on these endpoints and its own SDK's retries made three orders of one (telnyx.md
§9). A 429 was not acted on, so it is waited out (`x-ratelimit-reset`: seconds left, or
`Retry-After`) and the request sent again, within the carrier's `rate_limit_wait`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, TypeVar

import httpx

from tnorder.carriers.http import RETRIES, client, send, wait_out
from tnorder.carriers.telnyx import auth, wire
from tnorder.carriers.validate import CarrierAnswerUnknown, CarrierUnexpected, clean_text
from tnorder.errors import CarrierAuthError, CarrierError, CarrierRateLimited, CarrierUnreachable
from tnorder.settings import AccountConfig

T = TypeVar("T")
JSON = {"Content-Type": "application/json"}
PAGE_SIZE = 250  # SPEC's maximum page[size] for /phone_numbers and /number_orders
MAX_PAGES = 1000  # a carrier that keeps saying "more" cannot keep tnorder paging for ever


class Refused(CarrierError):
    """A 4xx other than 401/403/429: the request was refused as sent (`status` is the HTTP status)."""

    def __init__(self, carrier: str, message: str, code: str | None, status: int) -> None:
        super().__init__(carrier, message, code)
        self.status = status


class Api:
    def __init__(self, carrier: str, account: AccountConfig, base_url: str, rate_limit_wait: float) -> None:
        self.carrier, self.account, self.base_url = carrier, account, base_url
        self.rate_limit_wait = rate_limit_wait
        self._building = threading.Lock()  # `orders poll` asks from many threads: one client
        self._http: httpx.Client | None = None

    @property
    def http(self) -> httpx.Client:
        with self._building:
            if self._http is None:
                key = auth.api_key(self.carrier, self.account)  # refused before any client exists
                self._http = client(self.base_url, auth=auth.BearerKey(key), headers={"Accept": "application/json"})
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    # -- the two kinds of call -------------------------------------------------------------
    def read(self, method: str, path: str, parse: Callable[[Any], T], *, params: dict | None = None) -> T:
        """A read: transient failures retried; an answer not in a documented shape is exit 3."""
        for attempt in range(1, RETRIES + 1):
            response = self._send(method, path, idempotent=True, params=params)
            try:
                return parse(self._document(response, method, path, create=False))
            except wire.Unreadable as exc:  # a body cut short on the way may come whole the next time
                if attempt == RETRIES:
                    raise CarrierUnexpected(self.carrier, f"{method} {path}: {exc}") from None
                time.sleep(0.5 * attempt)
            except wire.BadAnswer as exc:
                raise CarrierUnexpected(self.carrier, f"{method} {path}: {exc}") from None
        raise AssertionError("unreachable")

    def create(self, method: str, path: str, parse: Callable[[Any], T], *, content: bytes | None = None) -> T:
        """A create, sent once: after it may have arrived, anything unclear is an unknown outcome."""
        response = self._send(method, path, idempotent=False, content=content)
        try:
            return parse(self._document(response, method, path, create=True))
        except wire.BadAnswer as exc:
            raise CarrierAnswerUnknown(self.carrier, f"{method} {path}: {exc}") from None

    def pages(self, path: str, params: dict[str, str], each: Callable[[list[dict]], list[T]]) -> Iterator[list[T]]:
        """Every page of a list, read by `each`, by `meta.total_pages` (on while pages come full when
        it is not said); a server that ignores `page[number]` and repeats itself is refused."""
        previous: list[dict] | None = None
        for number in range(1, MAX_PAGES + 1):
            asked = params | {"page[number]": str(number), "page[size]": str(PAGE_SIZE)}
            data, items, total = self.read("GET", path, partial(_page, number, each), params=asked)
            if data and data == previous:
                raise CarrierUnexpected(self.carrier, f"GET {path}: page {number} repeats page {number - 1}")
            yield items
            if not data or (total is not None and number >= total) or (total is None and len(data) < PAGE_SIZE):
                return
            previous = data

    # -- the wire ----------------------------------------------------------------------------
    def _send(self, method: str, path: str, *, idempotent: bool, **kwargs: Any) -> httpx.Response:
        headers = JSON if method in ("POST", "DELETE") else None  # as Telnyx's SDK sends them
        return send(self.http, self.carrier, method, path, idempotent=idempotent, headers=headers,
                    on_429=lambda r: wait_out(self.carrier, r, self.rate_limit_wait, reset_is_epoch=False), **kwargs)

    def _document(self, response: httpx.Response, method: str, path: str, *, create: bool) -> Any:
        if not 200 <= response.status_code < 300:
            raise self._failure(response, method, path, create)
        if response.status_code == 204 or (method == "DELETE" and not response.content.strip()):
            return None
        return wire.decode(response.content, response.headers.get("Content-Type"))

    def _failure(self, response: httpx.Response, method: str, path: str, create: bool) -> CarrierError:
        status = response.status_code
        code, said = _said(response)
        where = f"{method} {path}"
        if status == 401:
            return CarrierAuthError(self.carrier, f"Telnyx refused the API key in ${auth.variable(self.account)} "
                                    f"({_both(code, said)}); {auth.PORTAL}", code or "401")
        if status == 403:
            return CarrierAuthError(self.carrier, f"the API key in ${auth.variable(self.account)} was accepted but "
                                    f"lacks permission for {where} ({_both(code, said)}): not a wrong key, a "
                                    "permission it does not have; check the key's access in Mission Control",
                                    code or "403")
        if status == 429:
            reset = response.headers.get("x-ratelimit-reset", "")[:10]
            later = f" (Telnyx says the limit resets in {reset} s)" if reset else ""
            return CarrierRateLimited(self.carrier, f"rate limited (HTTP 429){later}: try again later", "429")
        if status >= 500 and create:  # it may have acted before failing: `orders poll` asks by key
            return CarrierUnreachable(self.carrier, f"{where} answered HTTP {status}; outcome unknown")
        if status >= 500:
            return CarrierError(self.carrier, f"{where} answered HTTP {status}" + (f": {said}" if said else ""),
                                code or str(status))
        hint = ": check the carrier's --url (Telnyx's API v2 base, ending in /v2)" if status == 404 and not said else ""
        return Refused(self.carrier, said or f"HTTP {status} from {where}{hint}", code or str(status), status)


def _page(number: int, each: Callable[[list[dict]], list[T]], doc: Any) -> tuple[list[dict], list[T], int | None]:
    data = wire.records(doc)
    return data, each(data), wire.total_pages(doc, number)


def _said(response: httpx.Response) -> tuple[str | None, str | None]:
    """(code, text) of an error answer's envelope, cleaned; (None, None) when it has none."""
    try:
        found = wire.error_of(wire.decode(response.content, response.headers.get("Content-Type")))
    except wire.BadAnswer:
        found = None
    if found is None:
        return None, None
    code, said = found
    return (clean_text(code, 32) if code else None), clean_text(said)


def _both(code: str | None, said: str | None) -> str:
    return " ".join(t for t in (code, said) if t) or "no detail given"
