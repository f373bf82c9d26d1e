"""Broadvox: the modeled SOAP 1.1 number-ordering interface (shared/carriers/broadvox.md).

No public specification of Broadvox's API exists: this plugin speaks tnorder's model of it, built
on the operation names that are known (`DIDSearch`, `SubmitDIDOrder`, `OrderDetails`,
`ActiveRequestList`, `InventoryList`) and verified only against tnorder's own emulator.

Settings: the carrier's `url` (the SOAP endpoint, given by Broadvox at onboarding: required, no
default), option `namespace` (default `urn:broadvox:did`); the account's username and password
environment variables (`--username-env/--password-env`), sent in the SOAP `AuthHeader`.

What the interface gives, and what tnorder makes of it:
- lookups need a state: an area code is sent with the state that NPA serves;
- no reservations: lookup-and-select orders the chosen numbers, and there is nothing to release;
- request-and-wait: `SubmitDIDOrder` answers `Pending`; `OrderDetails` says when it finished;
- no disconnect operation: disconnects are refused before any request;
- crash recovery (`find_order`) looks the client reference up in `ActiveRequestList`, which lists
  only unfinished requests. A request that finished before `orders poll` asks cannot be found
  there: poll then treats it as never placed (after its grace period), and any numbers Broadvox
  did assign show up in `InventoryList`, which feeds `in_service()`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

import httpx

from tnorder.carriers import broadvox_soap as soap
from tnorder.carriers import options
from tnorder.carriers.base import AvailableNumber, Capabilities, Carrier, CarrierOrder, FailedNumber, Reservation
from tnorder.carriers.http import after_retries, client, in_transit
from tnorder.criteria import FLAG, Criteria
from tnorder.errors import (
    BadInput,
    CarrierAuthError,
    CarrierError,
    CarrierRateLimited,
    CarrierUnreachable,
    ConfigError,
)
from tnorder.numbers import from_ten_digit, ten_digit
from tnorder.settings import AccountConfig, CarrierConfig
from tnorder.usgeo import npa_state

OPTIONS = ("namespace",)
RETRIES = 3
ORDER_STATUS = {"pending": "pending", "completed": "complete", "partiallycompleted": "partial",
                "rejected": "failed"}
log = logging.getLogger("tnorder.broadvox")


class BroadvoxCarrier(Carrier):
    kind = "broadvox"
    capabilities = Capabilities(criteria=frozenset({"area_code", "rate_center", "state"}), reserve=False,
                                disconnect=False, realtime=False, max_quantity=500, search_and_order=False)
    options_schema = options.BROADVOX  # declared in carriers/options.py (light: checked on every command)
    READS: ClassVar[frozenset[str]] = frozenset({"DIDSearch", "OrderDetails", "ActiveRequestList", "InventoryList"})

    def __init__(self, carrier: CarrierConfig, account: AccountConfig, home: Path) -> None:
        super().__init__(carrier, account, home)
        # the settings are checked when the account is opened, before any lookup or order; the
        # variables' values are read at the first request, so a poll of other accounts still runs
        self.check_url(carrier.url)
        if not (account.env.get("username_env") and account.env.get("password_env")):
            raise ConfigError(f"carrier account {account.name!r} needs --username-env and --password-env "
                              "for Broadvox (its AuthHeader takes a user name and password)")

    # -- settings --------------------------------------------------------------------------
    @classmethod
    def check_options(cls, options: dict) -> None:
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise ConfigError(f"broadvox has no option {unknown[0]!r}; its options are: {', '.join(OPTIONS)}")
        namespace = options.get("namespace", soap.DEFAULT_NAMESPACE)
        if not isinstance(namespace, str) or not namespace.strip() or any(c.isspace() for c in namespace):
            raise ConfigError("broadvox option namespace must be a URI without spaces (default urn:broadvox:did)")

    @classmethod
    def check_url(cls, url: str | None) -> None:
        if not url:
            raise ConfigError("broadvox needs --url: the SOAP endpoint URL Broadvox gives at onboarding "
                              "(there is no default)")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"broadvox --url {url!r} must be an http:// or https:// URL")

    @property
    def endpoint(self) -> str:
        return str(self.carrier.url)  # checked when the account was opened

    @property
    def namespace(self) -> str:
        return str(self.carrier.options.get("namespace", soap.DEFAULT_NAMESPACE)).strip()

    @cached_property
    def _login(self) -> tuple[str, str]:
        return self.account.secret("username_env") or "", self.account.secret("password_env") or ""

    @property
    def http(self) -> httpx.Client:
        if not hasattr(self, "_http"):
            self._http = client(headers={"Content-Type": soap.CONTENT_TYPE, "Accept": "text/xml"})
        return self._http

    def close(self) -> None:
        if hasattr(self, "_http"):
            self._http.close()

    # -- one operation, every failure ------------------------------------------------------
    def _call(self, operation: str, children: list[tuple[str, soap.Value]] | None = None) -> Element:
        """POST one operation; returns its `…Result` element. Reads are retried on transient
        failures; `SubmitDIDOrder` is sent once and an unclear outcome is left to `orders poll`."""
        envelope = soap.request(self.namespace, operation, *self._login, children or [])
        endpoint, idempotent = self.endpoint, operation in self.READS
        headers = {"SOAPAction": soap.soap_action(self.namespace, operation)}
        earlier: CarrierError | None = None  # what a retried attempt met: a retry never sent does not hide it
        for attempt in range(1, RETRIES + 1):
            log.debug("Broadvox %s (attempt %d)", operation, attempt)
            try:
                response = self.http.post(endpoint, content=envelope, headers=headers)
            except httpx.HTTPError as exc:
                error = after_retries(earlier, in_transit(self.name, operation, exc))
                if idempotent and attempt < RETRIES:
                    earlier = error
                    time.sleep(0.5 * attempt)
                    continue
                raise error from None
            try:
                return self._result(operation, response)
            except _Transient as transient:
                if not idempotent and not isinstance(transient.error, CarrierRateLimited):
                    # the carrier may have acted before failing: `orders poll` asks by reference
                    raise CarrierUnreachable(self.name, f"{operation}: {transient}; outcome unknown") from None
                if not idempotent or attempt == RETRIES:
                    raise transient.error from None
                earlier = transient.error
                time.sleep(0.5 * attempt)
        raise AssertionError("unreachable")

    def _result(self, operation: str, response: httpx.Response) -> Element:
        status = response.status_code
        try:
            body: Element | None = soap.parse(response.content)
        except soap.BadSoap:
            body = None
        found = soap.fault_of(body) if body is not None else None
        if found is not None:
            return self._fault(found)
        if status in (401, 403):  # a gateway in front of the service refused the caller
            raise self._auth_error(f"HTTP {status}")
        if status == 429:  # a 429 was not acted on: refused, whether a read or an order
            raise _Transient("rate limited", CarrierRateLimited(self.name, "rate limited (HTTP 429): try again "
                                                                "later", "429"))
        if status >= 500:
            raise _Transient(f"HTTP {status}", CarrierError(self.name, f"{operation} answered HTTP {status}",
                                                            str(status)))
        if status != 200:
            hint = ": check the carrier's --url (the SOAP endpoint)" if status in (404, 405, 415) else ""
            raise CarrierError(self.name, f"{operation} answered HTTP {status}{hint}", str(status))
        try:
            if body is None:
                raise soap.BadSoap("not a SOAP envelope")
            return soap.result_of(body, self.namespace, operation)
        except soap.BadSoap as exc:
            raise _Transient(f"unreadable answer ({exc})", CarrierError(
                self.name, f"unreadable answer to {operation} ({exc}): check the carrier's --url and namespace",
                "bad-soap")) from None

    def _fault(self, found: soap.Fault) -> Element:
        if found.text.lower().startswith(soap.AUTH_FAILED.lower()):
            raise self._auth_error(found.code)
        error = CarrierError(self.name, found.text, found.code)
        if found.is_client:
            raise error  # the request was refused as sent: nothing to retry, nothing was done
        raise _Transient(f"server fault ({found.text})", error)

    def _auth_error(self, code: str) -> CarrierAuthError:
        return CarrierAuthError(self.name, "authentication failed: check the credential variables of "
                                f"carrier account {self.account.name!r}", code)

    # -- lookups ---------------------------------------------------------------------------
    def check_criteria(self, criteria: Criteria) -> None:
        super().check_criteria(criteria)
        if criteria.kind == "area_code":
            self._state_of(criteria.area_code or "")

    def _state_of(self, npa: str) -> str:
        """Broadvox's search needs a state; an area code brings its own."""
        state = npa_state(npa)
        if state is None:
            raise BadInput(f"carrier {self.name} (broadvox) searches by state, and area code {npa} serves no "
                           f"known US state: use {FLAG['state']} or {FLAG['rate_center']} with {FLAG['state']}")
        return state

    def search(self, criteria: Criteria, quantity: int) -> list[AvailableNumber]:
        self.check_criteria(criteria)
        wanted: list[tuple[str, soap.Value]]
        if criteria.kind == "area_code":
            npa = criteria.area_code or ""
            wanted = [("State", self._state_of(npa)), ("NPA", npa)]
        elif criteria.kind == "rate_center":
            wanted = [("State", criteria.state or ""), ("RateCenter", criteria.rate_center or "")]
        else:
            wanted = [("State", criteria.state or "")]
        result = self._call("DIDSearch", [*wanted, ("Quantity", quantity)])
        return [self._available(did) for did in soap.children(result, self.namespace, "DID")
                if self._text(did, "Number")]

    def _available(self, did: Element) -> AvailableNumber:
        return AvailableNumber(from_ten_digit(self._text(did, "Number") or ""), self._text(did, "RateCenter"),
                               None, self._text(did, "State"), self._text(did, "LATA"))

    def _text(self, node: Element | None, name: str) -> str | None:
        return soap.text(node, self.namespace, name)

    # -- orders ----------------------------------------------------------------------------
    def order(self, numbers: list[str], key: str, reservations: list[Reservation] | None = None) -> CarrierOrder:
        dids: list[tuple[str, soap.Value]] = [("DID", ten_digit(n)) for n in numbers]
        result = self._call("SubmitDIDOrder", [("Reference", key), ("DIDs", dids)])
        request_id = self._text(result, "RequestID")
        if not request_id:  # accepted, but without an id to follow: `orders poll` finds it by reference
            raise CarrierUnreachable(self.name, "SubmitDIDOrder answered without a RequestID; outcome unknown")
        # request-and-wait: whatever the answer says, only OrderDetails finishes an order
        return CarrierOrder(id=request_id, status="pending", key=key,
                            raw=f"SubmitDIDOrder {request_id} {self._text(result, 'Status') or ''}".strip())

    def order_status(self, carrier_order_id: str) -> CarrierOrder:
        result = self._call("OrderDetails", [("RequestID", carrier_order_id)])
        return self._order_answer(result, carrier_order_id)

    def _order_answer(self, result: Element, request_id: str) -> CarrierOrder:
        said = self._text(result, "Status") or "Pending"
        status = ORDER_STATUS.get(said.lower(), "pending")  # an unknown word moves nothing
        dids = [(from_ten_digit(number), (self._text(d, "Status") or "").lower(), self._text(d, "Reason"))
                for d in soap.children(soap.child(result, self.namespace, "DIDs"), self.namespace, "DID")
                if (number := self._text(d, "Number"))]
        done = [AvailableNumber(number) for number, state, _ in dids if state == "assigned"]
        failed = [FailedNumber(number, None, reason or "failed at Broadvox")
                  for number, state, reason in dids if state == "failed"]
        reasons = list(dict.fromkeys(f.reason for f in failed)) or (
            ["request rejected by Broadvox"] if status == "failed" else [])
        return CarrierOrder(id=self._text(result, "RequestID") or request_id, status=status, completed=done,
                            failed=failed, errors=[(None, r) for r in reasons] if status != "pending" else [],
                            key=self._text(result, "Reference"),
                            raw=f"OrderDetails {request_id} {said}: " + ", ".join(f"{n} {st}" for n, st, _ in dids))

    def find_order(self, key: str) -> CarrierOrder | None:
        """The unfinished request sent with this reference (see the module notes on finished ones)."""
        listed = self._call("ActiveRequestList")
        for request in soap.children(listed, self.namespace, "Request"):
            request_id = self._text(request, "RequestID")
            if request_id and self._text(request, "Reference") == key:
                return self.order_status(request_id)
        return None

    def disconnect(self, numbers: list[str], key: str) -> CarrierOrder:
        raise self.unsupported("disconnects: Broadvox has no disconnect operation; "
                               "disconnects for this carrier are made with the carrier directly")

    # -- inventory and access --------------------------------------------------------------
    def in_service(self) -> Iterator[str]:
        result = self._call("InventoryList")
        for did in soap.children(result, self.namespace, "DID"):
            number = self._text(did, "Number")
            if number:
                yield from_ten_digit(number)

    def check_access(self) -> str:
        """`ActiveRequestList`: a cheap authenticated read proving the endpoint, namespace and login."""
        listed = self._call("ActiveRequestList")
        count = sum(1 for _ in soap.children(listed, self.namespace, "Request"))
        return f"Broadvox endpoint {self.endpoint}, namespace {self.namespace}; {count} request(s) in progress"


class _Transient(Exception):
    """A failure worth retrying for a read; `error` is what the caller sees once retries run out."""

    def __init__(self, what: str, error: CarrierError) -> None:
        super().__init__(what)
        self.error = error

