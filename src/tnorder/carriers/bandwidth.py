"""Bandwidth: the Dashboard ("Iris") number-ordering API, XML over HTTPS.

Wire format: shared/carriers/bandwidth.md. Settings: the carrier's `url` (default
https://dashboard.bandwidth.com/api), options `token_url`, `partial_allowed` (default true),
`rate_limit_wait` (seconds, default 60); the account's account id, site id, optional SIP peer id,
and either client id/secret (OAuth2) or username/password (legacy API user) environment variables.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator

import httpx

from tnorder.carriers import bandwidth_xml as bx
from tnorder.carriers import options
from tnorder.carriers.bandwidth_auth import ClientCredentials, token_url_for
from tnorder.carriers.base import AvailableNumber, Capabilities, Carrier, CarrierOrder, Reservation
from tnorder.carriers.http import client
from tnorder.criteria import KINDS, Criteria
from tnorder.errors import (
    CarrierAuthError,
    CarrierError,
    CarrierRateLimited,
    CarrierUnreachable,
    ConfigError,
)
from tnorder.numbers import ten_digit

DEFAULT_URL = "https://dashboard.bandwidth.com/api"
XML_HEADERS = {"Content-Type": "application/xml; charset=utf-8"}
RETRIES = 3


class BandwidthCarrier(Carrier):
    kind = "bandwidth"
    capabilities = Capabilities(criteria=frozenset(KINDS), reserve=True, disconnect=True, realtime=False,
                                max_quantity=5000, search_and_order=True)
    options_schema = options.BANDWIDTH  # declared in carriers/options.py (light: checked on every command)

    @classmethod
    def check_options(cls, options: dict) -> None:
        if str(options.get("partial_allowed", True)).lower() not in ("true", "false"):
            raise ConfigError("bandwidth option partial_allowed must be true or false")
        try:
            float(options.get("rate_limit_wait", 60))
        except (TypeError, ValueError):
            raise ConfigError("bandwidth option rate_limit_wait must be a number of seconds") from None

    # -- connection ------------------------------------------------------------------------
    @property
    def http(self) -> httpx.Client:
        if not hasattr(self, "_http"):
            self._http = client(self.base_url, headers={"Accept": "application/xml"})
            self._http.auth = self._auth()
        return self._http

    @property
    def base_url(self) -> str:
        return (self.carrier.url or DEFAULT_URL).rstrip("/")

    @property
    def account_path(self) -> str:
        if not self.account.account_id:
            raise ConfigError(f"carrier account {self.account.name!r} needs --account-id for Bandwidth")
        return f"/accounts/{self.account.account_id}"

    def _auth(self) -> httpx.Auth:
        if self.account.env.get("client_id_env"):
            client_id = self.account.secret("client_id_env") or ""
            secret = self.account.secret("client_secret_env") or ""
            url = token_url_for(self.base_url, self.carrier.options.get("token_url"))
            return ClientCredentials(self.name, url, client_id, secret, self._http)
        if self.account.env.get("username_env"):
            return httpx.BasicAuth(self.account.secret("username_env") or "",
                                   self.account.secret("password_env") or "")
        raise ConfigError(f"carrier account {self.account.name!r} has no credentials: add it with "
                          "--client-id-env/--client-secret-env (OAuth2) or --username-env/--password-env")

    def close(self) -> None:
        if hasattr(self, "_http"):
            self._http.close()

    # -- one request, every documented failure ---------------------------------------------
    def _call(self, method: str, path: str, *, params: dict | None = None, body: bytes | None = None,
              idempotent: bool = True, ok: tuple[int, ...] = (200, 201, 204)) -> httpx.Response:
        for attempt in range(1, RETRIES + 1):
            try:
                response = self.http.request(method, self.account_path + path, params=params, content=body,
                                             headers=XML_HEADERS if body is not None else None)
            except httpx.HTTPError as exc:
                if idempotent and attempt < RETRIES:
                    time.sleep(0.5 * attempt)
                    continue
                raise CarrierUnreachable(self.name, f"{method} {path} did not complete: {type(exc).__name__}") from None
            if response.status_code in ok:
                return response
            if response.status_code == 429 and idempotent and attempt < RETRIES:
                self._wait_for_reset(response)
                continue
            if response.status_code >= 500 and idempotent and attempt < RETRIES:
                time.sleep(0.5 * attempt)
                continue
            raise self._error(method, path, response, idempotent)
        raise AssertionError("unreachable")

    def _wait_for_reset(self, response: httpx.Response) -> None:
        """Sleep until `X-RateLimit-Reset` (epoch seconds), within this carrier's `rate_limit_wait`."""
        limit = float(self.carrier.options.get("rate_limit_wait", 60))
        try:
            wait = float(response.headers.get("X-RateLimit-Reset", "")) - time.time()
        except ValueError:
            wait = 1.0
        if not math.isfinite(wait):  # `nan` or `inf` from a server: not a time to sleep until
            wait = 1.0
        if wait > limit:
            raise CarrierRateLimited(self.name, f"rate limited for {wait:.0f} s more", "429")
        time.sleep(min(max(wait, 0.1), limit))

    def _error(self, method: str, path: str, response: httpx.Response, idempotent: bool) -> CarrierError:
        status = response.status_code
        if status == 401:
            return CarrierAuthError(self.name, "authentication failed: check the credential variables of "
                                    f"carrier account {self.account.name!r}", "401")
        if status == 429:
            return CarrierRateLimited(self.name, "rate limited (HTTP 429): try again later", "429")
        found = None
        if response.content.strip():
            try:
                found = bx.error_of(bx.parse(response.content))
            except bx.BadXml:
                found = None
        if status >= 500 and not idempotent:
            # the carrier may or may not have acted: leave it to `orders poll`, which asks by key
            return CarrierUnreachable(self.name, f"{method} {path} answered HTTP {status}; outcome unknown")
        if status == 403 and not found:
            return CarrierError(self.name, "not authorized for this action: the credential lacks a role "
                                "(such as Numbers) for this account", "403")
        code, text = found if found else (str(status), f"HTTP {status} from {method} {path}")
        return CarrierError(self.name, text, code or str(status))

    def _xml(self, response: httpx.Response):
        try:
            return bx.parse(response.content, response.headers.get("Content-Type"), response.request.url.path)
        except bx.BadXml as exc:
            raise CarrierError(self.name, f"carrier answered something unexpected to {response.request.method} "
                               f"{response.request.url.path}: {exc}", "bad-xml") from None

    def _read(self, path: str, params: dict | None = None):
        """A GET whose body must be XML; a malformed body is retried like any transient failure."""
        for attempt in range(1, RETRIES + 1):
            response = self._call("GET", path, params=params)
            try:
                return bx.parse(response.content, response.headers.get("Content-Type"),
                                response.request.url.path) \
                    if response.content.strip() else None
            except bx.BadXml:
                if attempt == RETRIES:
                    return self._xml(response)
                time.sleep(0.5 * attempt)
        return None

    # -- the contract ----------------------------------------------------------------------
    def search(self, criteria: Criteria, quantity: int) -> list[AvailableNumber]:
        self.check_criteria(criteria)
        root = self._read("/availableNumbers", bx.search_params(criteria, quantity))
        return bx.search_results(root) if root is not None else []

    def reserve(self, numbers: list[str]) -> list[Reservation]:
        held = []
        for number in numbers:
            body = bx.to_bytes(_reservation(number))
            try:
                response = self._call("POST", "/tnreservation", body=body, idempotent=False)
            except CarrierError as exc:
                if exc.code == "5041":
                    continue  # taken since the lookup: it is simply not offered
                self.release(held)
                raise
            held.append(Reservation(_id_from(response, self.name), number))
        return held

    def release(self, reservations: list[Reservation]) -> None:
        for reservation in reservations:
            self._call("DELETE", f"/tnreservation/{reservation.id}", ok=(200, 204, 404))

    def order(self, numbers: list[str], key: str, reservations: list[Reservation] | None = None) -> CarrierOrder:
        body = bx.existing_order(numbers, [r.id for r in reservations or []], key=key, **self._order_fields())
        return self._create("/orders", body, key)

    def search_and_order(self, criteria: Criteria, quantity: int, key: str) -> CarrierOrder:
        self.check_criteria(criteria)
        return self._create("/orders", bx.search_and_order(criteria, quantity, key=key, **self._order_fields()), key)

    def _order_fields(self) -> dict:
        if not self.account.site_id:
            raise ConfigError(f"carrier account {self.account.name!r} needs --site-id to order from Bandwidth")
        partial = self.carrier.options.get("partial_allowed", True)
        return {"site_id": self.account.site_id, "peer_id": self.account.peer_id,
                "partial_allowed": partial if isinstance(partial, bool) else str(partial).lower() == "true"}

    def _create(self, path: str, body: bytes, key: str) -> CarrierOrder:
        response = self._call("POST", path, body=body, idempotent=False)
        order_id = _id_from(response, self.name)
        answer = CarrierOrder(id=order_id, status="pending", key=key)
        # the Location header is what matters; an unreadable body leaves the status to the next read
        with contextlib.suppress(bx.BadXml):
            if response.content.strip():
                answer = bx.order_answer(bx.parse(response.content), order_id, key)
        answer.raw = response.text[:4000]
        return answer

    def order_status(self, carrier_order_id: str) -> CarrierOrder:
        response = self._call("GET", f"/orders/{carrier_order_id}", params={"tndetail": "true"})
        answer = bx.order_answer(self._xml(response), carrier_order_id)
        answer.raw = response.text[:4000]
        return answer

    def find_order(self, key: str) -> CarrierOrder | None:
        root = self._read("/orders", {"customerOrderId": key, "page": "1", "size": "20"})
        ids = [oid for oid, coid in bx.order_ids(root) if coid in (None, key)] if root is not None else []
        return self.order_status(ids[0]) if ids else None

    def disconnect(self, numbers: list[str], key: str) -> CarrierOrder:
        response = self._call("POST", "/disconnects", body=bx.disconnect_order(numbers, key=key), idempotent=False)
        order_id = _id_from(response, self.name)
        return CarrierOrder(id=order_id, status="pending", key=key, raw=response.text[:4000])

    def disconnect_status(self, carrier_order_id: str) -> CarrierOrder:
        response = self._call("GET", f"/disconnects/{carrier_order_id}")
        answer = bx.disconnect_answer(self._xml(response), carrier_order_id)
        answer.raw = response.text[:4000]
        return answer

    def find_disconnect(self, key: str) -> CarrierOrder | None:
        response = self._call("GET", "/disconnects", params={"page": "1", "size": "300"}, ok=(200, 404))
        if response.status_code == 404:
            return None  # Bandwidth answers 404 when an account has no disconnect orders
        ids = [oid for oid, coid in bx.order_ids(self._xml(response), "OrderId") if coid == key]
        return self.disconnect_status(ids[0]) if ids else None

    def in_service(self) -> Iterator[str]:
        page, size = 1, 500
        while True:
            root = self._read("/inserviceNumbers", {"page": str(page), "size": str(size)})
            if root is None:  # 204: nothing (more) in service
                return
            numbers = [n.text.strip() for n in root.findall("TelephoneNumbers/TelephoneNumber") if n.text]
            yield from (f"+1{ten_digit(n)}" for n in numbers)
            if len(numbers) < size or root.find("Links/next") is None:
                return
            page += 1

    def check_access(self) -> str:
        """The account, then the site's SIP peers (readable without roles): proves credentials and ids."""
        root = self._read("")
        name = bx.text(root, "Account/CompanyName") if root is not None else None
        seen = f"Bandwidth account {self.account.account_id}" + (f" ({name})" if name else "")
        if not self.account.site_id:
            return seen + "; no site id configured: orders need --site-id"
        peers = self._read(f"/sites/{self.account.site_id}/sippeers")
        listed = {bx.text(p, "PeerId"): bx.text(p, "IsDefaultPeer") == "true"
                  for p in (peers.iter("SipPeer") if peers is not None else [])}
        if self.account.peer_id:
            known = "listed" if self.account.peer_id in listed else "not listed"
            return seen + f", site {self.account.site_id}, SIP peer {self.account.peer_id} {known}"
        if not any(listed.values()):
            raise CarrierError(self.name, f"site {self.account.site_id} has no default SIP peer: "
                               "give the carrier account a --peer-id", "5020")
        default = next(p for p, is_default in listed.items() if is_default)
        return seen + f", site {self.account.site_id}, default SIP peer {default}"


def _reservation(number: str):
    from xml.etree.ElementTree import Element, SubElement

    root = Element("Reservation")
    SubElement(root, "ReservedTn").text = ten_digit(number)
    return root


def _id_from(response: httpx.Response, carrier: str) -> str:
    """Every create answers 201 with a Location whose last path segment is the new id."""
    location = response.headers.get("Location", "").rstrip("/")
    if not location:
        raise CarrierUnreachable(carrier, f"{response.request.url.path} answered without a Location header")
    return location.rsplit("/", 1)[-1]
