"""The carrier plugin contract: what a carrier can do, and the shapes it answers in."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from tnorder.carriers.options import Option
from tnorder.criteria import FLAG, Criteria
from tnorder.errors import ConfigError, Unsupported
from tnorder.settings import AccountConfig, CarrierConfig


@dataclass(frozen=True)
class Capabilities:
    criteria: frozenset[str]
    reserve: bool = False
    disconnect: bool = False
    realtime: bool = False  # orders complete inline
    max_quantity: int = 100
    search_and_order: bool = False  # one request for lookup-and-order
    releases: bool = True    # False: a hold cannot be released; it lapses at expires_at (Telnyx)
    extends: bool = False    # holds can be extended while the operator is still choosing


@dataclass(frozen=True)
class AvailableNumber:
    number: str  # E.164
    rate_center: str | None = None
    city: str | None = None
    state: str | None = None
    lata: str | None = None
    zip: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


@dataclass(frozen=True)
class Reservation:
    id: str
    number: str
    expires_at: datetime | None = None   # UTC, aware; when the carrier lets the hold lapse, if it says


@dataclass(frozen=True)
class FailedNumber:
    number: str
    code: str | None
    reason: str


@dataclass
class CarrierOrder:
    """A carrier's answer about one order. `status` is tnorder's word for the carrier's state."""

    id: str
    status: str  # pending | complete | partial | failed
    completed: list[AvailableNumber] = field(default_factory=list)
    failed: list[FailedNumber] = field(default_factory=list)
    errors: list[tuple[str | None, str]] = field(default_factory=list)
    key: str | None = None
    raw: str | None = None
    note: str | None = None  # what the operator should know: an unknown carrier status, a recovery's conclusion

    @property
    def final(self) -> bool:
        return self.status in ("complete", "partial", "failed")


class Carrier(ABC):
    """One carrier account reached through one carrier's API."""

    kind: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    # how long the carrier holds a reservation nobody releases (Bandwidth: 4 hours)
    reservation_hold_seconds: ClassVar[int] = 4 * 3600
    # the options this kind accepts (carriers/options.py); None: the plugin checks its own
    options_schema: ClassVar[dict[str, Option] | None] = None
    # in_service() lists the account's site (its `site_id`), not the whole carrier account: accounts
    # sharing a carrier account id but not a site do not share a list (reconcile relies on it)
    lists_by_site: ClassVar[bool] = False

    def __init__(self, carrier: CarrierConfig, account: AccountConfig, home: Path) -> None:
        self.carrier = carrier
        self.account = account
        self.home = home

    @classmethod
    def check_options(cls, options: dict) -> None:
        """Refuse bad carrier options when they are configured, not when first used: by default,
        against the plugin's declared `options_schema` (unknown options refused too)."""
        if cls.options_schema is None:
            return
        from tnorder.config_schema import NOTES

        for key, value in options.items():
            if key in NOTES:
                continue
            option = cls.options_schema.get(key)
            problem = option.problem(value) if option else (
                "no such option; its options: " + (", ".join(sorted(cls.options_schema)) or "none"))
            if problem:
                raise ConfigError(f"{cls.kind} option {key}: {problem}, not {value!r:.40}")

    @classmethod
    def check_url(cls, url: str | None) -> None:
        """Refuse a missing or malformed `--url` when the carrier is configured."""
        return None  # most carriers have a default URL or none at all

    @classmethod
    def check_account(cls, carrier: CarrierConfig, credentials: dict[str, str]) -> list[str]:
        """Refuse (ConfigError) a carrier account this carrier cannot use, when it is added; returns
        warnings to show. `credentials` maps credential fields to environment variable names."""
        return []

    @property
    def name(self) -> str:
        return self.carrier.name

    def check_criteria(self, criteria: Criteria) -> None:
        supported = self.capabilities.criteria
        if criteria.kind not in supported:
            flags = ", ".join(FLAG[k] for k in sorted(supported))
            raise Unsupported(
                f"carrier {self.name} ({self.kind}) cannot look up by {FLAG[criteria.kind]}; "
                f"it supports {flags}"
            )

    def unsupported(self, operation: str) -> Unsupported:
        return Unsupported(f"carrier {self.name} ({self.kind}) does not support {operation}")

    @abstractmethod
    def search(self, criteria: Criteria, quantity: int) -> list[AvailableNumber]: ...

    def reserve(self, numbers: list[str]) -> list[Reservation]:
        raise self.unsupported("reservations")

    def release(self, reservations: list[Reservation]) -> None:
        raise self.unsupported("reservations")

    def extend(self, reservations: list[Reservation]) -> list[Reservation]:
        """The same reservations with their new expiry (Telnyx: POST .../actions/extend)."""
        raise self.unsupported("extending a reservation")

    def find_reservation(self, number: str) -> Reservation | None:
        """The reservation this account holds on `number`, found again after its answer was lost;
        None when it holds none. A carrier that cannot be asked raises Unsupported (tnorder then
        waits for the hold to run out)."""
        raise self.unsupported("finding a reservation again")

    @abstractmethod
    def order(
        self, numbers: list[str], key: str, reservations: list[Reservation] | None = None
    ) -> CarrierOrder: ...

    def search_and_order(self, criteria: Criteria, quantity: int, key: str) -> CarrierOrder:
        raise self.unsupported("search-and-order")

    @abstractmethod
    def order_status(self, carrier_order_id: str) -> CarrierOrder: ...

    @abstractmethod
    def find_order(self, key: str) -> CarrierOrder | None: ...

    def disconnect(self, numbers: list[str], key: str) -> CarrierOrder:
        raise self.unsupported("disconnects (select-and-disconnect)")

    def disconnect_status(self, carrier_order_id: str) -> CarrierOrder:
        raise self.unsupported("disconnects (select-and-disconnect)")

    def find_disconnect(self, key: str) -> CarrierOrder | None:
        return None

    def recover_disconnect(self, key: str, numbers: list[str]) -> CarrierOrder | None:
        """A disconnect whose outcome is unknown (no carrier id recorded): the carrier's answer, None
        while nothing can be concluded. A carrier that can ask about the numbers themselves does so;
        an answer with no id is a conclusion, explained in its `note`."""
        return self.find_disconnect(key)

    def in_service(self) -> Iterator[str]:
        raise self.unsupported("listing in-service numbers")

    def check_access(self) -> str:
        """A cheap authenticated read proving the credentials and ids; returns what it saw."""
        raise self.unsupported("a connection test")

    def close(self) -> None:
        """Release connections; called once the operation is done."""
        return None  # most carriers hold nothing to release
