"""Telnyx: API v2 number ordering, JSON over HTTPS (shared/carriers/telnyx.md).

Settings: the carrier's `url` (default `https://api.telnyx.com/v2`; the emulator's is
`http://127.0.0.1:8735/telnyx/v2`), option `rate_limit_wait` (seconds, default 60); the account's
`--api-key-env VAR` (an API v2 key, sent as Bearer) and options `connection_id`,
`messaging_profile_id`, `billing_group_id`, sent with every number order when set.

What Telnyx gives, and what tnorder makes of it:
- lookups: every criterion but zip and LATA, which v2 has no filter for (refused before any
  request); toll-free wildcards become a toll-free code, vanity words keypad digits;
- reservations per number that expire (about 30 minutes; the answer's `expired_at` says when) and
  can be extended, but not released: Telnyx documents no cancel, so a hold not ordered lapses;
- no search-and-order in one request (its bulk "inexplicit" orders run asynchronously by criteria
  and report their numbers through other orders): lookup-and-order searches, then orders;
- number orders are asynchronous, decided by each number's status; `customer_reference` carries
  tnorder's key, and is how a lost answer is found again (no idempotency key exists, so a create is
  never sent twice: api.py);
- disconnect: each number's phone-number id looked up, then `DELETE /phone_numbers/{id}` one by
  one, each outcome known at once. (The bulk delete job would save the id lookups, but it answers
  later and carries no reference of ours: a lost answer would leave nothing to find it by.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote, urlsplit

from tnorder.carriers import options
from tnorder.carriers.base import AvailableNumber, Capabilities, Carrier, CarrierOrder, FailedNumber, Reservation
from tnorder.carriers.recovery import from_in_service
from tnorder.carriers.telnyx import auth, wire
from tnorder.carriers.telnyx.api import Api, Refused
from tnorder.carriers.validate import CarrierAnswerUnknown
from tnorder.criteria import Criteria
from tnorder.errors import CarrierError, CarrierUnreachable, ConfigError
from tnorder.settings import AccountConfig, CarrierConfig

DEFAULT_URL = "https://api.telnyx.com/v2"
CRITERIA = frozenset({"area_code", "rate_center", "state", "city", "npa_nxx", "toll_free", "vanity", "local_vanity"})
REFERENCE = "tnorder"  # the customer_reference of a reservation (no key exists yet when numbers are held)


class TelnyxCarrier(Carrier):
    kind = "telnyx"
    # reserve: holds per number, extended while the operator chooses, never released (they lapse);
    # search_and_order False: Telnyx has no search-and-order in one request (module notes);
    # max_quantity: SPEC's "1000 numbers is the maximum allowed" per order; the most a search
    # answers (`filter[limit]`) is undocumented: fewer found is a shortfall, said as such
    capabilities = Capabilities(criteria=CRITERIA, reserve=True, releases=False, extends=True, disconnect=True,
                                realtime=False, max_quantity=1000, search_and_order=False)
    reservation_hold_seconds: ClassVar[int] = 30 * 60  # D-RES; used only when an answer gives no expired_at
    options_schema = options.TELNYX  # declared in carriers/options.py (light: checked on every command)

    def __init__(self, carrier: CarrierConfig, account: AccountConfig, home: Path) -> None:
        super().__init__(carrier, account, home)
        # checked when the account is opened, before any lookup or order; the key itself is read
        # at the first request, so a poll of other accounts still runs without it
        self.check_url(carrier.url)
        auth.variable(account)
        wait = float(carrier.options.get("rate_limit_wait", 60))
        self.api = Api(self.name, account, (carrier.url or DEFAULT_URL).rstrip("/"), wait)

    # -- settings --------------------------------------------------------------------------
    @classmethod
    def check_url(cls, url: str | None) -> None:
        if url is None:
            return
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or not parts.path.rstrip("/").endswith("/v2"):
            raise ConfigError(f"telnyx --url {url!r} must be Telnyx's API v2 base URL, ending in /v2: "
                              f"{DEFAULT_URL} (the default) or the emulator's http://127.0.0.1:8735/telnyx/v2")

    @classmethod
    def check_account(cls, carrier: CarrierConfig, credentials: dict[str, str]) -> list[str]:
        if not credentials.get("api_key_env"):
            raise ConfigError(f"carrier {carrier.name} (telnyx) takes an API v2 key: give the account --api-key-env "
                              f"VAR, the variable holding it ({auth.PORTAL}); Telnyx takes no other credentials")
        return []

    def close(self) -> None:
        self.api.close()

    # -- lookups ---------------------------------------------------------------------------
    def search(self, criteria: Criteria, quantity: int) -> list[AvailableNumber]:
        self.check_criteria(criteria)
        return self.api.read("GET", "/available_phone_numbers", wire.available,
                             params=wire.search_params(criteria, quantity))

    def search_and_order(self, criteria: Criteria, quantity: int, key: str) -> CarrierOrder:
        raise self.unsupported("search-and-order in one request (Telnyx has none: tnorder searches, then orders)")

    # -- reservations ----------------------------------------------------------------------
    def reserve(self, numbers: list[str]) -> list[Reservation]:
        """One reservation per number; a number Telnyx refuses (held or sold elsewhere) is absent."""
        held = []
        for number in numbers:
            try:
                hold = self.api.create("POST", "/number_reservations", partial(_hold, number),
                                       content=wire.reservation_body(number, REFERENCE))
            except Refused as exc:
                if exc.status == 400:  # the request as sent, not this number
                    raise
                continue  # 404, 409, 422: this number cannot be held
            if hold is not None:
                held.append(hold)
        return held

    def release(self, reservations: list[Reservation]) -> None:
        raise self.unsupported("releasing a reservation: Telnyx documents no cancel, a hold lapses at its expiry "
                               "(about 30 minutes)")

    def extend(self, reservations: list[Reservation]) -> list[Reservation]:
        """`POST …/actions/extend` (harmless to repeat: one more extension of a hold that lapses anyway)."""
        return [self.api.read("POST", f"/number_reservations/{_segment(r.id)}/actions/extend",
                              partial(_extended, r.number)) for r in reservations]

    def find_reservation(self, number: str) -> Reservation | None:
        """The newest hold this account has on `number` that has not expired (exact number compare)."""
        from tnorder.clock import utcnow

        now, found = utcnow(), []
        params = {"filter[phone_numbers.phone_number]": number, "filter[status]": "success"}
        for page in self.api.pages("/number_reservations", params, partial(wire.holds_on, number)):
            found += page
        live = [h for h in found if h.expires_at is None or h.expires_at > now]
        return max(live, key=lambda h: h.expires_at or now, default=None)

    # -- orders ----------------------------------------------------------------------------
    def order(self, numbers: list[str], key: str, reservations: list[Reservation] | None = None) -> CarrierOrder:
        """One number order; a hold needs no mention (it is the account's)."""
        answer = self.api.create("POST", "/number_orders", wire.order_answer,
                                 content=wire.order_body(numbers, key, self.account.options))
        return self._noted(answer)

    def order_status(self, carrier_order_id: str) -> CarrierOrder:
        return self._noted(self.api.read("GET", f"/number_orders/{_segment(carrier_order_id)}", wire.order_answer))

    def find_order(self, key: str) -> CarrierOrder | None:
        """Every page of the orders listed under the key; the match is compared exactly."""
        ids: list[str] = []
        for page in self.api.pages("/number_orders", {"filter[customer_reference]": key},
                                   partial(wire.orders_under, key=key)):
            ids += [oid for oid in page if oid not in ids]
        if len(ids) > 1:
            from tnorder import render

            render.warning(f"{self.name} has {len(ids)} orders under key {key}: following {ids[0]}; "
                           "`inventory reconcile` shows the numbers of the others")
        return self.order_status(ids[0]) if ids else None

    def _noted(self, answer: CarrierOrder) -> CarrierOrder:
        if answer.note and not answer.final:
            from tnorder import render

            render.warning(f"{self.name} order {answer.id}: {answer.note} is unknown to tnorder; kept pending")
        return answer

    # -- disconnects -----------------------------------------------------------------------
    def disconnect(self, numbers: list[str], key: str) -> CarrierOrder:
        """Each number released in turn. Until one is released a refusal is the answer (nothing
        changed); after, the rest are recorded as not released. A lost answer is an unknown outcome,
        settled from the in-service list (`recover_disconnect`)."""
        done: list[str] = []
        failed: list[FailedNumber] = []
        for i, number in enumerate(numbers):
            try:
                refused = self._release(number)
            except CarrierUnreachable as exc:
                raise CarrierUnreachable(self.name, f"{len(done)} of {len(numbers)} number(s) released, then "
                                         f"{number}: {exc.text}") from None
            except CarrierError as exc:
                if not done:
                    raise
                failed += [FailedNumber(n, exc.code, f"not released: {exc.text}") for n in numbers[i:]]
                break
            if refused is None:
                done.append(number)
            else:
                failed.append(refused)
        return _disconnected(key, done, failed)

    def _release(self, number: str) -> FailedNumber | None:
        """Its id, then its DELETE; None when released (or found released already). A lookup that
        fails changed nothing: a plain carrier error, never an unknown outcome."""
        try:
            ids, gone = self.api.read("GET", "/phone_numbers", partial(_ids_of, number),
                                      params={"filter[phone_number]": number[1:]})
        except CarrierUnreachable as exc:
            raise CarrierError(self.name, f"the id of {number} could not be looked up: {exc.text}", exc.code) from None
        if not ids:
            return None if gone else FailedNumber(number, "not-found", "not a number of this Telnyx account")
        try:
            released = self.api.create("DELETE", f"/phone_numbers/{ids[0]}", partial(wire.deleted, number))
        except Refused as exc:
            if exc.status == 400:
                raise
            return FailedNumber(number, exc.code, f"not released: {exc.text}")
        if not released:  # answered, but not `deleted`: what became of it, the in-service list says
            raise CarrierAnswerUnknown(self.name, f"the release of {number} answered a status other than deleted")
        return None

    def disconnect_status(self, carrier_order_id: str) -> CarrierOrder:
        raise CarrierError(self.name, f"Telnyx releases numbers at once: there is no disconnect order "
                           f"{carrier_order_id} to ask about (`inventory reconcile` compares the in-service list)",
                           "no-disconnect-order")

    def recover_disconnect(self, key: str, numbers: list[str]) -> CarrierOrder | None:
        if not numbers:
            return None
        return from_in_service(key, numbers, self.in_service(), "Telnyx keeps no disconnect order to find by key")

    # -- inventory and access --------------------------------------------------------------
    def in_service(self) -> Iterator[str]:
        for page in self.api.pages("/phone_numbers", {"filter[status]": "active"},
                                   partial(wire.numbers_of, status="active")):
            yield from page

    def check_access(self) -> str:
        """`GET /phone_numbers?page[size]=1`: a cheap read that proves the URL and the key."""
        count = self.api.read("GET", "/phone_numbers", _counted, params={"page[size]": "1"})
        held = f"; {count} phone number(s) on the account" if count is not None else ""
        return (f"Telnyx API {self.api.base_url}: the API key in ${auth.variable(self.account)} was accepted"
                + held + _options_said(self.account.options))


def _hold(number: str, doc: object) -> Reservation | None:
    return wire.hold_on(wire.data_of(doc, dict), number)


def _extended(number: str, doc: object) -> Reservation:
    hold = wire.hold_on(wire.data_of(doc, dict), number)
    if hold is None:
        raise wire.BadAnswer(f"the extended reservation no longer holds {number}")
    return hold


def _ids_of(number: str, doc: object) -> tuple[list[str], bool]:
    return wire.phone_ids(wire.records(doc), number)


def _counted(doc: object) -> int | None:
    wire.records(doc)
    return wire.total_results(doc)


def _options_said(given: dict) -> str:
    said = [f"{k} {given[k]}" for k in ("connection_id", "messaging_profile_id", "billing_group_id") if given.get(k)]
    return f"; orders go with {', '.join(said)}" if said else ""


def _segment(value: str) -> str:
    """An id as one path segment (ids come from Telnyx's own answers, checked; quoted all the same)."""
    return quote(value, safe="")


def _disconnected(key: str, done: list[str], failed: list[FailedNumber]) -> CarrierOrder:
    status = "complete" if not failed else ("partial" if done else "failed")
    reasons = list(dict.fromkeys(f.reason for f in failed))
    return CarrierOrder(id="deleted:" + re.sub(r"[^A-Za-z0-9._-]", "-", key)[:100], status=status,
                        completed=[AvailableNumber(n) for n in done], failed=failed,
                        errors=[(None, r) for r in reasons], key=key,
                        raw="DELETE /phone_numbers/{id}: " + ", ".join(
                            [f"{n} deleted" for n in done] + [f"{f.number} {f.reason}" for f in failed]))
