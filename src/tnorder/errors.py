"""Errors the core raises; `cli.py` maps each to the documented exit code."""

from __future__ import annotations


class TnorderError(Exception):
    """A failure with a message meant for the operator (one line, no traceback)."""

    exit_code = 1


class BadInput(TnorderError):
    """Bad input or usage: nothing was sent to a carrier, nothing changed."""

    exit_code = 2


class ConfigError(BadInput):
    """The configuration names something missing or holds an invalid value."""


class CarrierError(TnorderError):
    """The carrier refused or failed, with its own code and text."""

    exit_code = 3

    def __init__(self, carrier: str, message: str, code: str | None = None) -> None:
        self.carrier = carrier
        self.code = code
        self.text = message
        where = f"{carrier} error {code}" if code else f"{carrier} error"
        super().__init__(f"{where}: {message}")


class NothingToOrder(CarrierError):
    """The carrier found no numbers to order: nothing was sent (exit 9, unlike a user's "none")."""

    exit_code = 9


class CarrierAuthError(CarrierError):
    exit_code = 6


class CarrierRateLimited(CarrierError):
    exit_code = 7


class CarrierUnreachable(CarrierError):
    """The request may or may not have reached the carrier (timeout, connection lost)."""


class CarrierNotReached(CarrierError):
    """The request certainly never left (connection refused, DNS, a failed TLS handshake, an
    unreachable token endpoint): a plain carrier error, since nothing can have been acted on."""


class Unsupported(BadInput):
    """The carrier does not support a criterion or an operation; caught before any request."""


EXIT_DONE = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_CARRIER = 3
EXIT_PARTIAL = 4
EXIT_STILL_PENDING = 5
EXIT_AUTH = 6
EXIT_RATE_LIMIT = 7
EXIT_DISAGREE = 8  # `inventory reconcile`: tnorder and the carrier differ
EXIT_NOTHING_FOUND = 9  # an order found nothing to order at the carrier (a lookup that finds nothing is 0)
EXIT_STORE_BUSY = 10  # another process held the store's write lock past TNORDER_LOCK_TIMEOUT


class OutcomeUnknown(TnorderError):
    """A create may or may not have reached the carrier: the order is pending until `orders poll` settles it."""

    exit_code = 5

    def __init__(self, ref: str, reason: str) -> None:
        self.ref = ref
        self.reason = reason
        super().__init__(f"order {ref}: outcome unknown ({reason}); `tnorder orders poll` will settle it")


class Superseded(TnorderError):
    """The write-ahead order was concluded by `orders poll` before this process sent it: nothing was sent."""

    exit_code = 3


class StoreBusy(TnorderError):
    """Another process held the store's write lock past TNORDER_LOCK_TIMEOUT; this write was not made.

    Its own type (not a BadInput): raised after an order was sent, it must not read as "nothing was
    sent", so the caller that sent one turns it into that order's outcome (exit 5, the reference).
    """

    exit_code = 10
