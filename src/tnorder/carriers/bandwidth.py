"""Bandwidth: the Dashboard ("Iris") number-ordering API, XML over HTTPS, in its v1 or v2 form.

Wire format: shared/carriers/bandwidth.md (v1) and bandwidth-v2.md (v2: E.164, countryCodeA3,
OAuth2 only). Settings: the carrier's `url` (default: the host of `api` and `environment`), options
`api` (v1 | v2, default v1; never detected: Bandwidth documents no way to), `environment`
(prod | test, default prod), `token_url`, `partial_allowed` (default true), `rate_limit_wait`
(seconds, default 60); the account's account id, site id, optional SIP peer id, and either client
id/secret (OAuth2) or username/password (legacy API user, v1 only) environment variables.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import httpx

from tnorder.carriers import bandwidth_versions as versions
from tnorder.carriers import bandwidth_xml as bx
from tnorder.carriers import options
from tnorder.carriers.bandwidth_auth import BASIC_RETIRES, ClientCredentials, basic_retirement, today
from tnorder.carriers.base import AvailableNumber, Capabilities, Carrier, CarrierOrder, Reservation
from tnorder.carriers.http import after_retries, client, in_transit, wait_out
from tnorder.carriers.recovery import from_in_service
from tnorder.criteria import KINDS, Criteria
from tnorder.errors import (
    CarrierAuthError,
    CarrierError,
    CarrierRateLimited,
    CarrierUnreachable,
    ConfigError,
)
from tnorder.numbers import from_ten_digit
from tnorder.settings import CarrierConfig

XML_HEADERS = {"Content-Type": "application/xml; charset=utf-8"}
RETRIES = 3
PAGE_SIZE = 500  # in-service numbers per page
LIST_SIZE = 300  # disconnect orders per page
MAX_PAGES = 1000  # a carrier that keeps answering full pages cannot keep tnorder paging forever
_BUILDING = threading.Lock()


class BandwidthCarrier(Carrier):
    kind = "bandwidth"
    lists_by_site = True  # in_service(): the account's site only, when it names one
    capabilities = Capabilities(criteria=frozenset(KINDS), reserve=True, disconnect=True, realtime=False,
                                max_quantity=5000, search_and_order=True)
    options_schema = options.BANDWIDTH  # declared in carriers/options.py (light: checked on every command)

    @classmethod
    def check_options(cls, options: dict) -> None:
        versions.version_of(options)
        versions.environment_of(options)
        if str(options.get("partial_allowed", True)).lower() not in ("true", "false"):
            raise ConfigError("bandwidth option partial_allowed must be true or false")
        try:
            float(options.get("rate_limit_wait", 60))
        except (TypeError, ValueError):
            raise ConfigError("bandwidth option rate_limit_wait must be a number of seconds") from None

    @classmethod
    def check_account(cls, carrier: CarrierConfig, credentials: dict[str, str]) -> list[str]:
        """v2 takes OAuth2 client credentials only; an API user (Basic) elsewhere is warned about."""
        if not credentials.get("username_env"):
            return []
        if not versions.version_of(carrier.options).basic:
            raise ConfigError(_V2_NEEDS_OAUTH.format(carrier=carrier.name))
        return [basic_retirement(None)]

    # -- connection ------------------------------------------------------------------------
    @property
    def version(self) -> versions.Version:
        return versions.version_of(self.carrier.options)

    @contextlib.contextmanager
    def _lent(self) -> Iterator[httpx.Client]:
        """A client no other request is using, for one request. `orders poll` and batches ask from
        many threads: one pool shared by 32 of them cost more CPU than the requests (httpcore's pool
        walks all its connections for each one on every request and answer: 1,673 calls a request),
        so each request borrows a client holding one kept-alive connection, and gives it back. There
        are never more clients than requests at once were; credentials (one token, one
        Basic-retirement warning) are shared."""
        with _BUILDING:
            idle = self.__dict__.setdefault("_idle", [])
            http = idle.pop() if idle else None
            if http is None:
                http = client(self.base_url, headers={"Accept": "application/xml"})
                if "_shared_auth" not in self.__dict__:
                    self._shared_auth = self._auth(http)  # refused credentials leave no half-built client
                http.auth = self._shared_auth
                self.__dict__.setdefault("_clients", []).append(http)
        try:
            yield http
        finally:
            with _BUILDING:
                idle.append(http)

    @property
    def base_url(self) -> str:
        environment = versions.environment_of(self.carrier.options)
        return (self.carrier.url or self.version.hosts[environment]).rstrip("/")

    @property
    def account_path(self) -> str:
        if not self.account.account_id:
            raise ConfigError(f"carrier account {self.account.name!r} needs --account-id for Bandwidth")
        return f"/accounts/{self.account.account_id}"

    def _auth(self, http: httpx.Client) -> httpx.Auth:
        if self.account.env.get("client_id_env"):
            client_id = self.account.secret("client_id_env") or ""
            secret = self.account.secret("client_secret_env") or ""
            url = versions.token_url(self.carrier.options, self.carrier.url)
            return ClientCredentials(self.name, url, client_id, secret, http)
        if self.account.env.get("username_env"):
            if not self.version.basic:
                raise ConfigError(_V2_NEEDS_OAUTH.format(carrier=self.name))
            auth = httpx.BasicAuth(self.account.secret("username_env") or "",
                                   self.account.secret("password_env") or "")
            from tnorder import render

            render.warning(basic_retirement(self.account.name))  # once: the client is built once per command
            self.basic = True
            return auth
        raise ConfigError(f"carrier account {self.account.name!r} has no credentials: add it with "
                          "--client-id-env/--client-secret-env (OAuth2) or --username-env/--password-env")

    def close(self) -> None:
        for http in self.__dict__.get("_clients", []):
            http.close()

    # -- one request, every documented failure ---------------------------------------------
    def _call(self, method: str, path: str, *, params: dict | None = None, body: bytes | None = None,
              idempotent: bool = True, ok: tuple[int, ...] = (200, 201, 204), scoped: bool = True) -> httpx.Response:
        """One request under the account's path (`scoped=False`: a resource outside it, e.g. `/tns`)."""
        prefix = self.account_path if scoped else ""
        earlier: CarrierError | None = None  # what a retried attempt met: a retry never sent does not hide it
        for attempt in range(1, RETRIES + 1):
            try:
                with self._lent() as http:
                    response = http.request(method, _url(http, prefix + path, params), content=body,
                                            headers=XML_HEADERS if body is not None else None)
            except httpx.HTTPError as exc:
                error = after_retries(earlier, in_transit(self.name, f"{method} {path}", exc))
                if idempotent and attempt < RETRIES:
                    earlier = error
                    time.sleep(0.5 * attempt)
                    continue
                raise error from None
            if response.status_code in ok:
                return response
            if response.status_code == 429 and attempt < RETRIES:
                # a 429 was not acted on, so even a create is sent again (with the same CustomerOrderId)
                self._wait_for_reset(response)
                continue
            if response.status_code >= 500 and idempotent and attempt < RETRIES:
                earlier = self._error(method, path, response, idempotent)
                time.sleep(0.5 * attempt)
                continue
            raise self._error(method, path, response, idempotent)
        raise AssertionError("unreachable")

    def _wait_for_reset(self, response: httpx.Response) -> None:
        """Sleep as `Retry-After` (v2 resources) or `X-RateLimit-Reset` (epoch seconds, v1) says, within
        this carrier's `rate_limit_wait`."""
        wait_out(self.name, response, float(self.carrier.options.get("rate_limit_wait", 60)), reset_is_epoch=True)

    def _error(self, method: str, path: str, response: httpx.Response, idempotent: bool) -> CarrierError:
        status = response.status_code
        if status == 401:
            if getattr(self, "basic", False) and today() >= BASIC_RETIRES:
                return CarrierAuthError(self.name, "authentication failed: " + basic_retirement(self.account.name),
                                        "401")
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
        if status == 403:
            return self._forbidden(method, path, found)
        code, text = found if found else (str(status), f"HTTP {status} from {method} {path}")
        return CarrierError(self.name, text, code or str(status))

    def _forbidden(self, method: str, path: str, found: tuple[str | None, str] | None) -> CarrierAuthError:
        """A 403 is Bandwidth saying the credential authenticated but has no role for this call
        (bandwidth.md §1): exit 6 like a refused credential, but never told to check its secrets."""
        said = f" (Bandwidth: {found[1]})" if found else ""
        return CarrierAuthError(
            self.name, f"the credentials of carrier account {self.account.name!r} were accepted but lack "
            f"permission for {method} {path}{said}: not wrong credentials, a role they do not have (such as "
            "Numbers); grant it in the Bandwidth App (Account > API Credentials)",
            (found[0] if found else None) or "403")

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
        root = self._read("/availableNumbers", bx.search_params(criteria, quantity, self.version))
        return bx.search_results(root) if root is not None else []

    def reserve(self, numbers: list[str]) -> list[Reservation]:
        held = []
        for number in numbers:
            body = bx.to_bytes(_reservation(self.version.tn(number)))
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
            self._release(reservation.id)

    def _release(self, rid: str) -> None:
        """`DELETE /tnreservation/{id}`: released (200, 204), or gone already (404). A 200 whose body
        does not parse (cut short on the way) confirms nothing, so the caller would forget a hold
        the carrier may keep: the DELETE, harmless to repeat, is sent again; never confirmed, it is
        a carrier error and the reservation stays recorded for `orders poll`."""
        path = f"/tnreservation/{rid}"
        for attempt in range(1, RETRIES + 1):
            response = self._call("DELETE", path, ok=(200, 204, 404))
            if response.status_code != 200 or _confirms(response):
                return
            if attempt < RETRIES:
                time.sleep(0.5 * attempt)
        self._xml(response)  # raises the carrier error naming what came back

    def find_reservation(self, number: str) -> Reservation | None:
        """`GET /tns/{tn}/tnreservation`: the reservation on a number, when this account holds it."""
        from urllib.parse import quote

        path = f"/tns/{quote(self.version.tn(number), safe='')}/tnreservation"
        for attempt in range(1, RETRIES + 1):  # an answer cut short is asked again, as `_read` does
            response = self._call("GET", path, ok=(200, 404), scoped=False)
            if response.status_code == 404 or not response.content.strip():
                return None
            if attempt == RETRIES or _confirms(response):
                break
            time.sleep(0.5 * attempt)
        root = self._xml(response)
        rid, account = bx.text(root, ".//ReservationID"), bx.text(root, ".//Account")
        return Reservation(rid, number) if rid and account == self.account.account_id else None

    def order(self, numbers: list[str], key: str, reservations: list[Reservation] | None = None) -> CarrierOrder:
        body = bx.existing_order(numbers, [r.id for r in reservations or []], key=key, tn=self.version.tn,
                                 **self._order_fields())
        return self._create("/orders", body, key)

    def search_and_order(self, criteria: Criteria, quantity: int, key: str) -> CarrierOrder:
        self.check_criteria(criteria)
        if criteria.kind not in bx.SEARCH_AND_ORDER:  # local vanity has no order type: search, then order
            found = self.search(criteria, quantity)
            if not found:
                raise CarrierError(self.name, "no numbers matched: nothing was ordered", "none-found")
            return self.order([n.number for n in found], key)
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
        return self._noted(answer)

    def _noted(self, answer: CarrierOrder) -> CarrierOrder:
        if answer.note and not answer.final:
            from tnorder import render

            render.warning(f"{self.name} order {answer.id}: {answer.note} is unknown to tnorder; kept pending")
        return answer

    def find_order(self, key: str) -> CarrierOrder | None:
        """By CustomerOrderId; "none" comes as a 200 with TotalCount 0, an empty body, or a 404."""
        response = self._call("GET", "/orders", params={"customerOrderId": key, "page": "1", "size": "20"},
                              ok=(200, 204, 404))
        if response.status_code != 200 or not response.content.strip():
            return None
        ids = [oid for oid, coid in bx.order_ids(self._xml(response)) if coid in (None, key)]
        return self.order_status(ids[0]) if ids else None

    def disconnect(self, numbers: list[str], key: str) -> CarrierOrder:
        body = bx.disconnect_order(numbers, key=key, tn=self.version.tn)
        response = self._call("POST", "/disconnects", body=body, idempotent=False)
        order_id = _id_from(response, self.name)
        return CarrierOrder(id=order_id, status="pending", key=key, raw=response.text[:4000])

    def disconnect_status(self, carrier_order_id: str) -> CarrierOrder:
        response = self._call("GET", f"/disconnects/{carrier_order_id}")
        answer = bx.disconnect_answer(self._xml(response), carrier_order_id)
        answer.raw = response.text[:4000]
        return self._noted(answer)

    def find_disconnect(self, key: str) -> CarrierOrder | None:
        """Every page of the disconnect list, for an entry carrying the key (public samples carry none)."""
        page = "1"
        for _ in range(MAX_PAGES):
            response = self._call("GET", "/disconnects", params={"page": page, "size": str(LIST_SIZE)}, ok=(200, 404))
            if response.status_code == 404 or not response.content.strip():
                return None  # Bandwidth answers 404 when an account has no disconnect orders
            root = self._xml(response)
            ids = [oid for oid, coid in bx.order_ids(root, "OrderId") if coid == key]
            if ids:
                return self.disconnect_status(ids[0])
            following = bx.next_page(root)
            if following is None or following == page:
                return None
            page = following
        return None

    def recover_disconnect(self, key: str, numbers: list[str]) -> CarrierOrder | None:
        """By key if the list shows it; else from the numbers themselves: one no longer in service was
        disconnected, one still in service was not. The conclusion is stated in the answer's note."""
        found = self.find_disconnect(key)
        if found is not None or not numbers:
            return found
        return from_in_service(key, numbers, self._listed("/inserviceNumbers"),  # on any site of the account
                               f"no disconnect order found under key {key}")

    def in_service(self) -> Iterator[str]:
        """The site's numbers when the account names one: Bandwidth lists per site, and two tnorder
        accounts on one Bandwidth account (one site each) must not see each other's numbers.

        `…/sites/{siteId}/inserviceNumbers` (bandwidth.md §6) takes the same parameters and answers;
        v2 keeps it (its note's list of the v1 paths v2 dropped does not name it; unverified live)."""
        site = self.account.site_id
        return self._listed(f"/sites/{site}/inserviceNumbers" if site else "/inserviceNumbers")

    def _listed(self, path: str) -> Iterator[str]:
        """Every page, by the `page` value of `Links/next`; numbers read as E.164 or 10 digits. Without a
        link, v1 (whose `page` is documented as a number) goes on while pages come back full (a missing
        link is not proof of the end); v2's `page` is the id of a page's first element, which tnorder
        cannot invent, so there the end is the total, and a list short of it is an error."""
        page, previous, seen = "1", None, 0
        for _ in range(MAX_PAGES):
            root = self._read(path, {"page": page, "size": str(PAGE_SIZE)})
            if root is None:  # 204: nothing (more) in service
                return
            numbers = [n.text.strip() for n in root.findall("TelephoneNumbers/TelephoneNumber") if n.text]
            if not numbers or numbers == previous:  # a carrier that ignores `page` repeats itself
                return
            yield from (from_ten_digit(n) for n in numbers)
            seen += len(numbers)
            following = bx.next_page(root) or self._page_after(page, len(numbers), seen, root)
            if following is None:
                return
            page, previous = following, numbers

    def _page_after(self, page: str, count: int, seen: int, root) -> str | None:
        """The page to ask for when `Links/next` names none, or None at the end."""
        if count < PAGE_SIZE:
            return None
        if not self.version.page_cursor:
            return str(int(page) + 1) if page.isdigit() else None
        total = bx.text(root, "TotalCount") or ""
        if total.isdigit() and seen >= int(total):
            return None
        raise CarrierError(self.name, f"the in-service list stopped at {seen} of {total or 'an unknown number of'} "
                           "numbers: a full page came without Links/next, and v2's page is a cursor only the "
                           "carrier can give", "paging")

    def check_access(self) -> str:
        """A page of the order list, then the site's SIP peers: reads every credential may make, roles or
        not (bandwidth.md §1; `GET /accounts/{id}` is not among them), proving credentials and ids."""
        response = self._call("GET", "/orders", params={"page": "1", "size": "1"}, ok=(200, 204, 404))
        if response.status_code == 404 and not _lists_nothing(response):  # 404 is "no orders" only as a list
            raise self._error("GET", "/orders", response, True)
        if response.status_code == 200 and response.content.strip():
            self._xml(response)  # an order list, not a portal's or a proxy's page
        seen = f"Bandwidth account {self.account.account_id}"
        if not self.account.site_id:
            return seen + "; no site id configured: orders need --site-id"
        return seen + f", site {self.account.site_id}, " + self._peer_seen()

    def _peer_seen(self) -> str:
        peers = self._read(f"/sites/{self.account.site_id}/sippeers")
        listed = {bx.text(p, "PeerId"): bx.text(p, "IsDefaultPeer") == "true"
                  for p in (peers.iter("SipPeer") if peers is not None else [])}
        if self.account.peer_id:
            known = "listed" if self.account.peer_id in listed else "not listed"
            return f"SIP peer {self.account.peer_id} {known}"
        if not any(listed.values()):
            raise CarrierError(self.name, f"site {self.account.site_id} has no default SIP peer: "
                               "give the carrier account a --peer-id", "5020")
        return "default SIP peer " + next(p for p, is_default in listed.items() if is_default)


_V2_NEEDS_OAUTH = ("carrier {carrier} uses Bandwidth's v2 API (api=v2), which tnorder reaches with OAuth2 "
                   "client credentials only: give the account --client-id-env/--client-secret-env (create "
                   "them in the Bandwidth App, Account > API Credentials)")


def _url(http: httpx.Client, path: str, params: dict | None) -> str:
    """The request's absolute URL, with its query: httpx parses it once, where a path relative to
    the client's base URL and `params=` are parsed three times (a fifth of a status read's CPU)."""
    query = f"?{httpx.QueryParams(params)}" if params else ""
    return str(http.base_url).rstrip("/") + path + query


def _reservation(wire_number: str):
    from xml.etree.ElementTree import Element, SubElement

    root = Element("Reservation")
    SubElement(root, "ReservedTn").text = wire_number
    return root


def _confirms(response: httpx.Response) -> bool:
    """An answer that says something: empty, or well-formed XML (not a body cut short)."""
    if not response.content.strip():
        return True
    try:
        bx.parse(response.content, response.headers.get("Content-Type"))
    except bx.BadXml:
        return False
    return True


def _lists_nothing(response: httpx.Response) -> bool:
    """A 404 that is an empty order list (an empty body or a `ResponseSelectWrapper`), not a wrong path."""
    if not response.content.strip():
        return True
    try:
        return bx.parse(response.content, response.headers.get("Content-Type")).tag == "ResponseSelectWrapper"
    except bx.BadXml:
        return False


def _id_from(response: httpx.Response, carrier: str) -> str:
    """Every create answers 201 with a Location whose last path segment is the new id."""
    location = response.headers.get("Location", "").rstrip("/")
    if not location:
        raise CarrierUnreachable(carrier, f"{response.request.url.path} answered without a Location header")
    return location.rsplit("/", 1)[-1]
