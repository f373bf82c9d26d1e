"""The Broadvox face of the emulator: the modeled SOAP 1.1 interface at `/broadvox`, over the world.

A thin translation (shared/carriers/broadvox.md): the five operations, the `AuthHeader` (any
user is let in unless the emulator was started with `--username/--password`), SOAP Faults as HTTP
500. The caller's user name is its account in the world, so two Broadvox users (or a Bandwidth
account) compete for the same numbers; a number taken meanwhile fails in the order, which is how
partially completed and rejected requests arise, as on the Bandwidth face.

Where the interface leaves a choice open, the emulator answers:
- `DIDSearch` without `Quantity` returns up to 10 numbers;
- `SubmitDIDOrder` takes at most 500 DIDs and needs a `Reference`;
- injected faults (`--fail-rate`): a `soap:Server` fault, a 503 from "the gateway", or a
  truncated 200 body; drawn before the world is touched, so a fault never changes it;
- `--latency-ms` delays the answer after the operation is done, so a client killed while waiting
  leaves a request that Broadvox did take: the crash `orders poll` must recover from.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

from tnorder.carriers import broadvox_soap as soap
from tnorder.carriers.base import AvailableNumber
from tnorder.criteria import build
from tnorder.errors import BadInput
from tnorder.sim.bandwidth_xml import Reply
from tnorder.sim.world import World

if TYPE_CHECKING:
    from tnorder.sim.bandwidth_auth import Credentials, Faults

PATH = "/broadvox"
DEFAULT_QUANTITY = 10
MAX_QUANTITY = 500
MAX_DIDS = 500
MAX_REFERENCE = 40
STATUS = {"RECEIVED": "Pending", "COMPLETE": "Completed", "PARTIAL": "PartiallyCompleted", "FAILED": "Rejected"}
Children = list[tuple[str, soap.Value]]


class SoapFault(Exception):
    def __init__(self, text: str, code: str = "soap:Client") -> None:
        super().__init__(text)
        self.code, self.text = code, text


class BroadvoxApi:
    def __init__(self, world: World, *, credentials: Credentials | None = None, latency_ms: int = 0,
                 faults: Faults | None = None, namespace: str = soap.DEFAULT_NAMESPACE) -> None:
        self.world = world
        self.credentials = credentials
        self.latency_ms = latency_ms
        self.faults = faults
        self.namespace = namespace
        self.operations: dict[str, Callable[[str, Element], Children]] = {
            "DIDSearch": self.did_search, "SubmitDIDOrder": self.submit_order, "OrderDetails": self.order_details,
            "ActiveRequestList": self.active_requests, "InventoryList": self.inventory,
        }

    @staticmethod
    def serves(target: str) -> bool:
        path = urlsplit(target).path.rstrip("/")
        return path == PATH or path.startswith(PATH + "/")

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes = b"",
               host: str = "127.0.0.1") -> Reply:
        if urlsplit(target).path.rstrip("/") != PATH:
            return Reply(404, b"Not Found", {"Content-Type": "text/plain"})
        if method != "POST":
            return Reply(405, b"", {"Allow": "POST"})
        if not (headers.get("Content-Type") or "").lower().startswith("text/xml"):
            return Reply(415, b"SOAP 1.1 requests are text/xml", {"Content-Type": "text/plain"})
        try:
            reply = self._answer(headers.get("SOAPAction"), body)
        except SoapFault as refused:
            reply = fault_reply(refused.code, refused.text)
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)  # after the work: see the module notes
        return reply

    def _answer(self, action: str | None, body: bytes) -> Reply:
        try:
            header, envelope = soap.parse_envelope(body)
        except soap.BadSoap as exc:
            raise SoapFault(f"The request is not a SOAP 1.1 envelope: {exc}") from None
        found = soap.operation_of(envelope, self.namespace)
        if found is None or found[0] not in self.operations:
            raise SoapFault(f"The request names no operation of {self.namespace}")
        operation, request = found
        if action != soap.soap_action(self.namespace, operation):
            raise SoapFault(f"Server did not recognize the value of HTTP Header SOAPAction: {action or ''}.")
        user = self._caller(soap.child(header, self.namespace, "AuthHeader"))
        fault = self.faults.draw() if self.faults else None
        if fault:
            return injected(fault)
        children = self.operations[operation](f"bvx:{user}", request)
        return Reply(200, soap.response(self.namespace, operation, children), {"Content-Type": soap.CONTENT_TYPE})

    def _caller(self, auth: Element | None) -> str:
        """The AuthHeader's user; a Fault unless it is let in."""
        user = soap.text(auth, self.namespace, "UserName")
        password = soap.child(auth, self.namespace, "Password")
        if not user or password is None:
            raise SoapFault(soap.AUTH_FAILED)
        expected = self.credentials
        if expected is not None and expected.username is not None and not (
                _same(user, expected.username) and _same(password.text or "", expected.password)):
            raise SoapFault(soap.AUTH_FAILED)
        return user

    # -- the five operations ---------------------------------------------------------------
    def did_search(self, account: str, request: Element) -> Children:
        state, npa, nxx, rate_center = (self._text(request, t) for t in ("State", "NPA", "NXX", "RateCenter"))
        if not state:
            raise SoapFault("State is required")
        quantity = self._quantity(self._text(request, "Quantity"))
        try:
            state = build(state=state).state
            criteria = build(area_code=npa) if npa else (
                build(rate_center=rate_center, state=state) if rate_center else build(state=state))
        except BadInput as exc:
            raise SoapFault(str(exc)) from None

        def accept(n: AvailableNumber) -> bool:
            return n.state == state and (not nxx or n.number[5:8] == nxx) and (
                not rate_center or (n.rate_center or "") == rate_center.upper())

        found = self.world.search(criteria, quantity, accept)
        return [("DID", _did(n, ("Number", "NPA", "NXX", "RateCenter", "State", "LATA"))) for n in found]

    @staticmethod
    def _quantity(value: str | None) -> int:
        if value is None:
            return DEFAULT_QUANTITY
        if not value.isdigit() or not 1 <= int(value) <= MAX_QUANTITY:
            raise SoapFault(f"Quantity must be a whole number from 1 to {MAX_QUANTITY}")
        return int(value)

    def submit_order(self, account: str, request: Element) -> Children:
        reference = self._text(request, "Reference")
        if not reference or len(reference) > MAX_REFERENCE:
            raise SoapFault(f"Reference is required and may hold at most {MAX_REFERENCE} characters")
        dids = soap.children(soap.child(request, self.namespace, "DIDs"), self.namespace, "DID")
        numbers = list(dict.fromkeys((d.text or "").strip() for d in dids))
        if not numbers or len(numbers) > MAX_DIDS:
            raise SoapFault(f"DIDs must hold 1 to {MAX_DIDS} DID elements")
        bad = next((n for n in numbers if not (len(n) == 10 and n.isdigit() and n[0] in "23456789")), None)
        if bad is not None:
            raise SoapFault(f"DID {bad!r} is not a 10-digit number")
        order = self.world.order([f"+1{n}" for n in numbers], account, reference, extra={"face": "broadvox"})
        return [("RequestID", order.id), ("Status", "Pending")]

    def order_details(self, account: str, request: Element) -> Children:
        request_id = self._text(request, "RequestID") or ""
        order = self.world.get(request_id, account, "order")
        if order is None:
            raise SoapFault(f"Request {request_id!r} was not found")
        failed = {number: reason for number, _, reason in order.failed if number}
        completed = {n.number for n in order.completed}

        def did(number: str) -> Children:
            state = "Assigned" if number in completed else "Failed" if number in failed else "Pending"
            reason = [("Reason", failed[number])] if number in failed else []
            return [("Number", number[2:]), ("Status", state), *reason]

        return [("RequestID", order.id), ("Reference", order.customer_order_id or ""),
                ("Status", STATUS[order.status]),
                ("DIDs", [("DID", did(n)) for n in order.request.get("numbers", [])])]

    def active_requests(self, account: str, request: Element) -> Children:
        unfinished = [o for o in self.world.orders(account, "order") if o.status == "RECEIVED"]
        return [("Request", [("RequestID", o.id), ("Reference", o.customer_order_id or ""), ("Status", "Pending"),
                             ("Submitted", _stamp(o.created_at))]) for o in unfinished]

    def inventory(self, account: str, request: Element) -> Children:
        self.world.settle_due(account)  # numbers of requests finished by now are on the account
        npa = self._text(request, "NPA") or ""
        numbers = [n for n in self.world.in_service(account) if n[2:].startswith(npa)]
        return [("DID", _did(self.world.details(n), ("Number", "RateCenter", "State"))) for n in numbers]

    def _text(self, node: Element, name: str) -> str | None:
        return soap.text(node, self.namespace, name)


def _did(number: AvailableNumber, fields: tuple[str, ...]) -> Children:
    digits = number.number[2:]
    values = {"Number": digits, "NPA": digits[:3], "NXX": digits[3:6], "RateCenter": number.rate_center,
              "State": number.state, "LATA": number.lata}
    return [(f, values[f]) for f in fields if values[f]]


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _same(given: str, expected: str | None) -> bool:
    return expected is not None and hmac.compare_digest(given.encode(), expected.encode())


def fault_reply(code: str, text: str) -> Reply:
    """SOAP 1.1: a fault travels with HTTP 500."""
    return Reply(500, soap.fault(code, text), {"Content-Type": soap.CONTENT_TYPE})


def injected(kind: str) -> Reply:
    if kind == "rate_limited":  # SOAP has no rate-limit fault: the gateway in front answers
        return Reply(503, b"", {"Retry-After": "1"})
    if kind == "malformed":
        return Reply(200, soap.response(soap.DEFAULT_NAMESPACE, "Truncated", [])[:60],
                     {"Content-Type": soap.CONTENT_TYPE})
    return fault_reply("soap:Server", "Internal server error")
