"""Bandwidth's Dashboard API (XML) over the simulated world: v1 (10-digit) and v2 (E.164) faces.

`BandwidthApi.handle` takes one HTTP request and returns a `Reply`; `sim/server.py` puts it on a
socket. Paths are served under `/api`, `/api/v1` and `/v1.0` (v1), as Bandwidth does, and under
`/api/v2` (v2: what differs is the table in `bandwidth_faces.py`); the account id in the path
scopes everything in the world. Wire shapes: `/work/shared/carriers/bandwidth.md`, `bandwidth-v2.md`.

Where that document leaves a choice open, the emulator answers:
- 401: `<ErrorResponse><Description>Unauthorized</Description></ErrorResponse>` + `WWW-Authenticate`;
- an empty search: `<SearchResult><ResultCount>0</ResultCount></SearchResult>`;
- `GET …/orders` without `page` and `size`: 303 to the same URL with `page=1&size=300` added (v1
  and v2); `page` is `1` or the order id that starts a page, `Links/next` carries it;
- in-service lists: v1 pages by rank (`page=2`), v2 by the number that starts the page (its `page`
  is "the ID of the first element"); each list refuses parameters it does not document
  (`bandwidth_lists.py`); `/tns` and `GET …/inserviceNumbers/{tn}` are in `bandwidth_tns.py`;
- `GET …/disconnects`: documented defaults (page 1, size 300), no redirect, `customerOrderId` is
  refused there (not documented as its filter) and entries carry no `CustomerOrderId` (as every public
  sample shows); 404 with a zero `TotalCount` while the account has none;
- `LCA` defaults to true (documented) for rate-center and NPA-NXX searches and widens them to
  the LATA of the rate center or exchange, within its state (as `/tns/{tn}/lca` answers);
- orders, `Combined…` search-and-order, order updates, sub-resources and notes: the lists in
  `bandwidth_orders.py`, `bandwidth_combined.py` and `bandwidth_order_parts.py`;
- `…/sites/{siteId}/inserviceNumbers` lists the numbers whose order named that `SiteId` (the world
  keeps no other record of sites; any site id is accepted);
- `--short-fill`: a search-and-order fills about 3/5 of its quantity and still says COMPLETE;
  `--weird-status X`: an order not yet settled reads as `OrderStatus` X.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from urllib.parse import parse_qs, unquote, urlsplit

from tnorder.carriers.base import AvailableNumber
from tnorder.criteria import Criteria
from tnorder.sim.bandwidth_auth import Auth, Credentials, Faults, fault_reply, unauthorized
from tnorder.sim.bandwidth_disconnects import create_disconnect, get_disconnect, list_disconnects
from tnorder.sim.bandwidth_faces import PREFIXES
from tnorder.sim.bandwidth_limits import RateLimits
from tnorder.sim.bandwidth_lists import IN_SERVICE, check_params, dated
from tnorder.sim.bandwidth_order_parts import order_routes, update_order
from tnorder.sim.bandwidth_orders import create_order, get_order, list_orders
from tnorder.sim.bandwidth_search import parse_search, search_result
from tnorder.sim.bandwidth_tns import PARTS, get_tn, in_service_number, links, list_tns, number_tests, page_of, tn_part
from tnorder.sim.bandwidth_xml import (
    BadXml,
    Call,
    Refused,
    Reply,
    boolean,
    node,
    not_found,
    parse,
    status_error,
    text,
    xml_reply,
)
from tnorder.sim.chaos import DROP, Chaos
from tnorder.sim.world import World, WorldError

TOKEN_PATH = "/api/v1/oauth2/token"
CREATES = re.compile(r"/accounts/[^/]+/(orders|disconnects)$")
ACCOUNT = r"/accounts/(?P<account>[^/]+)"
Handler = Callable[[Call], Reply]


class BandwidthApi:
    def __init__(self, world: World, *, credentials: Credentials | None = None, latency_ms: int = 0,
                 fail_rate: float = 0.0, seed: int = 0, default_peer: bool = True, rate_limit: int = 0,
                 short_fill: bool = False, weird_status: str | None = None, chaos: Chaos | None = None) -> None:
        self.world = world
        self.chaos = chaos or Chaos()
        self.short_fill = short_fill
        self.weird_status = weird_status
        self.limits = RateLimits(rate_limit)
        self.auth = Auth(credentials)
        self.latency_ms = latency_ms
        self.faults = Faults(fail_rate, seed)
        self.default_peer = default_peer
        self.routes = self._routes()

    @property
    def fail_rate(self) -> float:
        return self.faults.rate

    @fail_rate.setter
    def fail_rate(self, rate: float) -> None:
        self.faults.rate = rate

    def _routes(self) -> list[tuple[re.Pattern[str], dict[str, Handler], bool]]:
        w = self.world
        # the world settles orders lazily (when read); routes that depend on number states first settle
        # every order whose time has come, so orders complete on time whether or not anyone polls them
        table: list[tuple[str, dict[str, Handler], bool]] = [
            ("", {"GET": self.account}, False),
            ("/sites", {"GET": self.sites}, False),
            ("/sites/(?P<site>[^/]+)/sippeers", {"GET": self.sip_peers}, False),
            ("/availableNumbers", {"GET": self.search}, True),
            ("/(?i:tnreservation)", {"POST": self.reserve}, True),
            ("/(?i:tnreservation)/(?P<reservation>[^/]+)", {"GET": self.reservation, "DELETE": self.release}, True),
            ("/orders", {"GET": lambda c: list_orders(w, c),
                         "POST": lambda c: create_order(w, c, self.default_peer, self.short_fill)}, True),
            ("/orders/(?P<order>[^/]+)", {"GET": lambda c: get_order(w, c, self.weird_status),
                                          "PUT": lambda c: update_order(w, c)}, False),
            *order_routes(w),  # tns, areaCodes, npaNxx, totals, history; notes (of disconnects too)
            ("/disconnects", {"GET": lambda c: list_disconnects(w, c),
                              "POST": lambda c: create_disconnect(w, c)}, True),
            ("/disconnects/(?P<order>[^/]+)", {"GET": lambda c: get_disconnect(w, c)}, True),
            ("/inserviceNumbers", {"GET": self.in_service}, True),
            ("/inserviceNumbers/totals", {"GET": self.in_service_totals}, True),
            ("/inserviceNumbers/(?P<tn>[^/]+)", {"GET": lambda c: in_service_number(w, c)}, True),
            # Bandwidth lists per site too: a site's numbers only, same parameters and answers
            ("/sites/(?P<site>[^/]+)/inserviceNumbers", {"GET": self.in_service}, True),
            ("/sites/(?P<site>[^/]+)/inserviceNumbers/totals", {"GET": self.in_service_totals}, True),
        ]
        routes = [(re.compile(ACCOUNT + suffix), methods, settles) for suffix, methods, settles in table]
        numbers: list[tuple[str, dict[str, Handler]]] = [
            ("/tns", {"GET": lambda c: list_tns(w, c)}),
            ("/tns/(?P<tn>[^/]+)", {"GET": lambda c: get_tn(w, c)}),
            (f"/tns/(?P<tn>[^/]+)/(?P<part>{'|'.join(PARTS)})", {"GET": lambda c: tn_part(w, c)}),
            ("/tns/(?P<tn>[^/]+)/(?i:tnreservation)", {"GET": self.tn_reservation}),
        ]
        return [*routes, *((re.compile(path), methods, False) for path, methods in numbers)]

    # -- the request pipeline --------------------------------------------------------------
    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes = b"",
               host: str = "127.0.0.1") -> Reply:
        """One request: latency, the token endpoint, the version prefix, auth, an injected fault, the route."""
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        url = urlsplit(target)
        if url.path.rstrip("/") == TOKEN_PATH:
            if method != "POST":
                return _not_allowed(["POST"])
            return self.auth.token(headers.get("Authorization"), body)
        prefix, face = next(((p, f) for p, f in PREFIXES if url.path == p or url.path.startswith(p + "/")),
                            (None, None))
        if prefix is None or face is None:
            return not_found().reply
        user = self.auth.caller(headers.get("Authorization"), bearer_only=face.bearer_only)
        if user is None:
            return unauthorized("Bearer" if face.bearer_only else "Basic")
        limited = self.limits.check(method, url.path[len(prefix):].rstrip("/"))
        if limited:
            return limited
        fault = self.faults.draw()
        if fault:
            return fault_reply(fault)
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        call = Call(method, url.path[len(prefix):].rstrip("/"), query, body,
                    f"http://{host}{face.link_prefix or prefix}", user, face=face)
        drop = self.chaos.drop()
        if drop == "before":
            return DROP
        creates = method == "POST" and CREATES.search(call.path) is not None
        if creates:
            self.chaos.pause("received")
        try:
            reply = self._route(call)
        except Refused as refused:
            reply = refused.reply
        if creates:
            self.chaos.pause("answered")
        return DROP if drop == "after" else reply

    def _route(self, call: Call) -> Reply:
        for pattern, methods, settles in self.routes:
            match = pattern.fullmatch(call.path)
            if match:
                if call.method not in methods:
                    return _not_allowed(sorted(methods))
                call.args = match.groupdict()
                if settles:
                    self.world.settle_due(call.args["account"])
                return methods[call.method](call)
        raise not_found()

    # -- account, sites, peers (cheap authenticated reads) ---------------------------------
    def account(self, call: Call) -> Reply:
        account = node("Account", node("AccountId", call.args["account"]), node("CompanyName", "tnorder emulator"),
                       node("AccountType", "Business"), node("ReservationAllowed", "true"))
        return xml_reply(200, node("AccountResponse", account))

    def sites(self, call: Call) -> Reply:
        site = node("Site", node("Id", 1), node("Name", "Emulator site"),
                    node("Description", "Any site id is accepted by the emulator"))
        return xml_reply(200, node("SitesResponse", node("Sites", site)))

    def sip_peers(self, call: Call) -> Reply:
        peer = node("SipPeer", node("PeerId", 1), node("PeerName", "Emulator peer"),
                    node("IsDefaultPeer", boolean(self.default_peer)))
        return xml_reply(200, node("TNSipPeersResponse", node("SipPeers", peer)))

    # -- search and reservations -----------------------------------------------------------
    def search(self, call: Call) -> Reply:
        wanted = parse_search(call.query, call.face)
        criteria, accept = wanted.criteria, wanted.accept
        if criteria is not None and wanted.lca:
            criteria, accept = self._local_calling_area(criteria, wanted.lca)
        found = [] if criteria is None else self.world.search(criteria, wanted.quantity, accept)
        if wanted.ordered:
            found.sort(key=lambda n: n.number)
        return xml_reply(200, search_result(found, wanted.detail, call.face))

    def _local_calling_area(self, criteria: Criteria, exchange: str) -> tuple[Criteria, Callable | None]:
        """LCA: the rate center's (or exchange's) LATA within its state, the emulator's calling area."""
        if criteria.kind == "rate_center":
            sample = next(iter(self.world.pool.candidates(criteria)), None)
        else:
            sample = self.world.details(f"+1{exchange[:6]}0000")
        if sample is None or not sample.lata:
            return criteria, None
        state = sample.state

        def same_state(found: AvailableNumber) -> bool:
            return found.state == state

        return Criteria(lata=sample.lata), same_state

    def reserve(self, call: Call) -> Reply:
        try:
            root = parse(call.body)
        except BadXml as exc:
            raise status_error("ReservationResponse", "5044", str(exc)) from None
        wire = text(root, "ReservedTn") if root.tag == "Reservation" else None
        wrong = call.face.wrong_form(wire or "")
        if wrong:
            raise status_error("ReservationResponse", *wrong)
        number = call.face.number_in(wire or "")
        if not number:
            raise status_error("ReservationResponse", "5044",
                               "The reservation is invalid: ReservedTn must hold a telephone number")
        try:
            rid = self.world.reserve(number, call.args["account"])
        except WorldError as exc:
            raise status_error("ReservationResponse", exc.code, exc.text) from None
        return Reply(201, b"", {"Location": f"{call.base}/accounts/{call.args['account']}/tnreservation/{rid}"})

    def reservation(self, call: Call) -> Reply:
        rid, account = call.args["reservation"], call.args["account"]
        held = self.world.reservation(rid, account)
        if held is None:
            raise status_error("ReservationResponse", "5043", f"Reservation {rid} was not found", 404)
        number, seconds = held
        body = node("Reservation", node("ReservationId", rid), node("AccountId", account),
                    node("ReservationExpires", int(seconds)), node("ReservedTn", call.out(number)))
        return xml_reply(200, node("ReservationResponse", body))

    def tn_reservation(self, call: Call) -> Reply:
        """The reservation on one number, whichever account holds it (the caller checks `Account`)."""
        wire = unquote(call.args["tn"])
        wrong = call.face.wrong_form(wire)
        if wrong:
            raise status_error("TNReservationResponse", *wrong)
        number = call.face.number_in(wire)
        held = self.world.reservation_on(number) if number else None
        if held is None:
            raise status_error("TNReservationResponse", "5043", f"No reservation on {call.args['tn']}", 404)
        rid, account, seconds = held
        return xml_reply(200, node("TNReservation", node("ReservationID", rid), node("Account", account),
                                   node("ReservationExpires", int(seconds)), node("ReservedTN", call.out(number))))

    def release(self, call: Call) -> Reply:
        rid = call.args["reservation"]
        if not self.world.release(rid, call.args["account"]):
            raise status_error("ReservationResponse", "5043", f"Reservation {rid} was not found", 404)
        return Reply(200)

    # -- in-service numbers ----------------------------------------------------------------
    def in_service(self, call: Call) -> Reply:
        """The documented parameters only, 404 for any other and for invalid values (as documented), 204
        when nothing matches. v1 pages by rank (page 1, 2, …), v2 by the number that starts the page."""
        check_params(call, IN_SERVICE[call.face.name], not_found)
        size = call.query.get("size", "300")
        if not size.isdigit() or int(size) < 1:
            raise not_found(f"size {size} is invalid: give a whole number from 1")
        if call.query.get("ratecenter") and not call.query.get("state"):
            raise not_found("ratecenter needs state")
        tests = number_tests(call, not_found)
        lines = dated(call, [line for line in self._site_lines(call) if self._matches(line.number, tests)],
                      lambda line: line.settled_at, not_found)
        if not lines:
            return Reply(204)
        chunk, following = page_of(call, [line.number for line in lines], int(size), not_found,
                                   by_number=call.face.e164)
        listed = node("TelephoneNumbers", node("Count", len(chunk)),
                      [node("TelephoneNumber", call.out(n)) for n in chunk])
        return xml_reply(200, node("TNs", node("TotalCount", len(lines)), links(call, int(size), following), listed))

    def _matches(self, number: str, tests: list) -> bool:
        if not tests:
            return True
        found = self.world.details(number)
        return all(test(number, found) for test in tests)

    def in_service_totals(self, call: Call) -> Reply:
        return xml_reply(200, node("Quantity", node("Count", len(self._site_lines(call)))))

    def _site_lines(self, call: Call) -> list:
        """The account's numbers in service; on a site's path, those its orders put on that site (the
        `SiteId` of the order that bought a number is the site it lives on)."""
        site = call.args.get("site")
        return [line for line in self.world.lines(call.args["account"])
                if site is None or str(line.request.get("site_id")) == site]


def _not_allowed(methods: list[str]) -> Reply:
    body = node("ErrorResponse", node("ResponseStatus", node("Description", "The method is not allowed here")))
    return xml_reply(405, body, {"Allow": ", ".join(methods)})


__all__ = ["BandwidthApi", "Credentials"]
