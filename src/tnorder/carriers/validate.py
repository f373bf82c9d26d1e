"""Carrier answers checked at the plugin boundary, once, for every plugin (third-party ones too).

A carrier is outside tnorder's trust: whatever a plugin hands back (numbers, ids, place names,
reasons) is checked here before any service looks at it. `open_account` wraps every plugin in
`CheckedCarrier`, so no service sees an unchecked answer.

What an answer that is not what the API documents means depends on the request:
- a read (lookup, order status, in-service list): "the carrier answered something unexpected",
  `CarrierUnexpected`, exit 3, nothing stored;
- a create (order, search-and-order, disconnect): the request may have been acted on, so the
  outcome is unknown: `CarrierAnswerUnknown` (a `CarrierUnreachable`), the order row stays
  `submitting` and `orders poll` settles it, by key, once the carrier answers sensibly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any

from tnorder.carriers.base import AvailableNumber, Carrier, CarrierOrder, FailedNumber, Reservation
from tnorder.errors import CarrierError, CarrierUnreachable

E164 = re.compile(r"\+1[2-9][0-9]{2}[2-9][0-9]{6}")
ORDER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")  # ids travel in URL paths: no '/', no '..'
STATUSES = ("pending", "complete", "partial", "failed")
FIELD_MAX = 64  # rate center, city: the store's columns hold 64
FIELD_PATTERNS = {
    "state": re.compile(r"[A-Z]{2}"),
    "lata": re.compile(r"[0-9]{3,5}"),
    "zip": re.compile(r"[0-9]{5}(-[0-9]{4})?"),
}
REASON_MAX = 200
RAW_MAX = 4000


class CarrierUnexpected(CarrierError):
    """A read answered with something the carrier's API does not document."""

    def __init__(self, carrier: str, what: str) -> None:
        super().__init__(carrier, f"carrier answered something unexpected: {what}", "unexpected")


class CarrierAnswerUnknown(CarrierUnreachable):
    """A create answered with something undocumented: it may or may not have been acted on."""

    def __init__(self, carrier: str, what: str) -> None:
        super().__init__(carrier, f"carrier answered something unexpected ({what}); outcome unknown: "
                         "`tnorder orders poll` settles it", "unexpected")


class _Bad(ValueError):
    """One thing wrong with an answer (turned into one of the errors above by the caller)."""


def shown(value: object, limit: int = 40) -> str:
    """A hostile value, quoted and cut short, safe to put in a one-line message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


@lru_cache(maxsize=4096)
def _valid_exchange(prefix: str, number: str) -> bool:
    # phonenumbers' NANP metadata is NPA-NXX grained: one check per exchange keeps a
    # 5,000-number order cheap to check
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return parsed.country_code == 1 and phonenumbers.is_valid_number(parsed)


def check_number(number: object) -> str:
    """A number a carrier sent: ASCII E.164 `+1NPANXXXXXX`, a valid NANP number."""
    if not isinstance(number, str) or not E164.fullmatch(number) or not number.isascii():
        raise _Bad(f"number {shown(number)} is not an E.164 North American number")
    if not _valid_exchange(number[:8], number):
        raise _Bad(f"number {number} is not a valid North American number")
    return number


def _printable(value: str) -> bool:
    return value.isprintable() and value == value.strip()


def _field(name: str, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not value or len(value) > FIELD_MAX or not _printable(value):
        raise _Bad(f"{name} {shown(value)} is not a short printable text")
    pattern = FIELD_PATTERNS.get(name)
    if pattern and not pattern.fullmatch(value):
        raise _Bad(f"{name} {shown(value)} is not in the documented form")


def check_available(n: object) -> AvailableNumber:
    if not isinstance(n, AvailableNumber):
        raise _Bad(f"{shown(n)} is not a number with its details")
    check_number(n.number)
    for name in ("rate_center", "city", "state", "lata", "zip"):
        _field(name, getattr(n, name))
    return n


def clean_text(value: object, limit: int = REASON_MAX) -> str:
    """Free text from a carrier (a reason, an error): printable, one line, bounded."""
    words = str(value).split()
    # whitespace is the only unprintable text a carrier usually sends (an XML body's line breaks):
    # when every word is printable, mapping unprintables to spaces changes nothing split() keeps
    if not all(word.isprintable() for word in words):
        words = "".join(c if c.isprintable() else " " for c in str(value)).split()
    text = " ".join(words)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _code(value: object) -> str | None:
    if value is None:
        return None
    code = clean_text(value, 32)
    return code or None


def _failed(f: object) -> FailedNumber:
    if not isinstance(f, FailedNumber):
        raise _Bad(f"{shown(f)} is not a failed number")
    if f.number:  # a failure of the whole quantity names no number
        check_number(f.number)
    return FailedNumber(f.number or "", _code(f.code), clean_text(f.reason or "failed at the carrier"))


def check_order_id(value: object) -> str:
    if not isinstance(value, str) or not ORDER_ID.fullmatch(value):
        raise _Bad(f"order id {shown(value)} is not a plain identifier")
    return value


def check_order(answer: object, *, id_optional: bool = False) -> CarrierOrder:
    """An order's answer with every number valid and every text bounded (a cleaned copy)."""
    if not isinstance(answer, CarrierOrder):
        raise _Bad(f"{shown(answer)} is not an order")
    if answer.status not in STATUSES:
        raise _Bad(f"order status {shown(answer.status)} is none of {', '.join(STATUSES)}")
    if answer.id or not id_optional:
        check_order_id(answer.id)
    completed = [check_available(n) for n in answer.completed]
    if len({n.number for n in completed}) != len(completed):
        raise _Bad("the same number is completed twice")
    return CarrierOrder(
        id=answer.id, status=answer.status, completed=completed,
        failed=[_failed(f) for f in answer.failed],
        errors=[(_code(code), clean_text(text)) for code, text in answer.errors],
        key=clean_text(answer.key, 64) if answer.key is not None else None,
        raw=clean_text(answer.raw, RAW_MAX) if answer.raw is not None else None,
        note=clean_text(answer.note, 500) if answer.note is not None else None,
    )


class CheckedCarrier:
    """A carrier plugin whose answers are checked before tnorder uses them.

    Everything else (name, capabilities, check_criteria, close, …) is the plugin's own.
    """

    def __init__(self, plugin: Carrier) -> None:
        self.plugin = plugin

    def __getattr__(self, name: str) -> Any:
        return getattr(self.plugin, name)

    def _read(self, what: str, fn, *args: Any):
        try:
            return fn(*args)
        except _Bad as exc:
            raise CarrierUnexpected(self.plugin.name, f"{what}: {exc}") from None

    def _create(self, what: str, fn, *args: Any):
        try:
            return fn(*args)
        except _Bad as exc:
            raise CarrierAnswerUnknown(self.plugin.name, f"{what}: {exc}") from None

    # -- reads -----------------------------------------------------------------------------
    def search(self, criteria: Any, quantity: int) -> list[AvailableNumber]:
        def checked() -> list[AvailableNumber]:
            found = self.plugin.search(criteria, quantity)
            if not isinstance(found, list):
                raise _Bad("a lookup answer that is not a list")
            if len(found) > quantity:
                raise _Bad(f"{len(found)} numbers for a lookup of {quantity}")
            return _unique([check_available(n) for n in found])

        return self._read("lookup", checked)

    def order_status(self, carrier_order_id: str) -> CarrierOrder:
        return self._read("order status", lambda: check_order(self.plugin.order_status(carrier_order_id)))

    def disconnect_status(self, carrier_order_id: str) -> CarrierOrder:
        return self._read("disconnect status",
                          lambda: check_order(self.plugin.disconnect_status(carrier_order_id)))

    def find_order(self, key: str) -> CarrierOrder | None:
        return self._read("order by key", lambda: _maybe(self.plugin.find_order(key)))

    def find_disconnect(self, key: str) -> CarrierOrder | None:
        return self._read("disconnect by key", lambda: _maybe(self.plugin.find_disconnect(key)))

    def recover_disconnect(self, key: str, numbers: list[str]) -> CarrierOrder | None:
        """A conclusion drawn from the numbers themselves may carry no carrier id."""
        def checked() -> CarrierOrder | None:
            found = self.plugin.recover_disconnect(key, numbers)
            return None if found is None else check_order(found, id_optional=True)

        return self._read("disconnect recovery", checked)

    def find_reservation(self, number: str) -> Reservation | None:
        def checked() -> Reservation | None:
            found = self.plugin.find_reservation(number)
            if found is None:
                return None
            if not isinstance(found, Reservation) or found.number != number:
                raise _Bad(f"reservation {shown(found)} of a number not asked about")
            return check_reservation(found, {number})

        return self._read("reservation by number", checked)

    def in_service(self) -> Iterator[str]:
        for number in self.plugin.in_service():
            yield self._read("in-service list", check_number, number)

    def check_access(self) -> str:
        return clean_text(self.plugin.check_access())

    # -- creates ---------------------------------------------------------------------------
    def reserve(self, numbers: list[str]) -> list[Reservation]:
        def checked() -> list[Reservation]:
            held = self.plugin.reserve(numbers)
            asked = set(numbers)
            return [check_reservation(r, asked) for r in _listed(held, "reservation")]

        return self._create("reservation", checked)

    def extend(self, reservations: list[Reservation]) -> list[Reservation]:
        """The very reservations asked about, each once, with its new expiry (or none said)."""
        def checked() -> list[Reservation]:
            asked = {r.id: r.number for r in reservations}
            extended = [_extended(r, asked) for r in _listed(self.plugin.extend(reservations), "extend")]
            if sorted(r.id for r in extended) != sorted(asked):
                raise _Bad(f"an extend answered for {len(extended)} reservation(s), not the {len(asked)} asked")
            return extended

        return self._create("extend", checked)

    def order(self, numbers: list[str], key: str, reservations: list[Reservation] | None = None) -> CarrierOrder:
        return self._create("order", lambda: check_order(self.plugin.order(numbers, key, reservations)))

    def search_and_order(self, criteria: Any, quantity: int, key: str) -> CarrierOrder:
        return self._create("search-and-order",
                            lambda: check_order(self.plugin.search_and_order(criteria, quantity, key)))

    def disconnect(self, numbers: list[str], key: str) -> CarrierOrder:
        return self._create("disconnect", lambda: check_order(self.plugin.disconnect(numbers, key)))


def check_reservation(r: object, asked: set) -> Reservation:
    """A reservation of a number asked for, under a plain id, expiring at an aware moment or unsaid."""
    if not isinstance(r, Reservation) or not isinstance(r.number, str) or r.number not in asked:
        raise _Bad(f"reservation {shown(r)} of a number not asked for")
    check_order_id(r.id)
    expires = r.expires_at
    if expires is not None and (not isinstance(expires, datetime) or expires.utcoffset() is None):
        raise _Bad(f"reservation expiry {shown(expires)} is not a moment with its time zone")
    return r


def _extended(r: object, asked: dict[str, str]) -> Reservation:
    if not isinstance(r, Reservation):
        raise _Bad(f"{shown(r)} is not a reservation")
    check_order_id(r.id)
    return check_reservation(r, {asked.get(r.id)})


def _listed(answer: object, what: str) -> list:
    if not isinstance(answer, list):
        raise _Bad(f"a {what} answer that is not a list")
    return answer


def _maybe(answer: object) -> CarrierOrder | None:
    return None if answer is None else check_order(answer)


def _unique(found: list[AvailableNumber]) -> list[AvailableNumber]:
    if len({n.number for n in found}) != len(found):
        raise _Bad("the same number twice in one lookup")
    return found
