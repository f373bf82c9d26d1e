"""The built-in sandbox carrier: the simulated world, in-process, with no account anywhere.

Options (`tnorder config carrier add NAME --kind sandbox --option complete_after=0`):
`complete_after` seconds before an order completes (default 3), `seed` of the number pool.
"""

from __future__ import annotations

from collections.abc import Iterator

from tnorder.carriers import options
from tnorder.carriers.base import (
    AvailableNumber,
    Capabilities,
    Carrier,
    CarrierOrder,
    FailedNumber,
    Reservation,
)
from tnorder.criteria import KINDS, Criteria
from tnorder.errors import ConfigError
from tnorder.sim.world import World, WorldError, WorldOrder
from tnorder.storecheck import create_private

STATUS = {"RECEIVED": "pending", "COMPLETE": "complete", "PARTIAL": "partial", "FAILED": "failed"}


class SandboxCarrier(Carrier):
    kind = "sandbox"
    capabilities = Capabilities(
        # local vanity is a Bandwidth search the simulated world does not run for the sandbox
        criteria=frozenset(KINDS) - {"local_vanity"}, reserve=True, disconnect=True, realtime=False,
        max_quantity=500, search_and_order=True,
    )
    options_schema = options.SANDBOX  # declared in carriers/options.py (light: checked on every command)

    @classmethod
    def check_options(cls, options: dict) -> None:
        cls._settings(options)

    @staticmethod
    def _settings(options: dict) -> tuple[float, int]:
        try:
            delay = float(options.get("complete_after", 3))
            seed = int(options.get("seed", 0))
        except (TypeError, ValueError):
            raise ConfigError("sandbox options complete_after and seed must be numbers") from None
        if delay < 0:
            raise ConfigError("sandbox option complete_after cannot be negative")
        return delay, seed

    @property
    def world(self) -> World:
        if not hasattr(self, "_world"):
            delay, seed = self._settings(self.carrier.options)
            path = self.home / "sandbox" / "world.sqlite"
            try:  # it holds the simulated carrier's answers: 0600 from the start, like the store
                create_private(path)
            except OSError as exc:
                raise ConfigError(f"cannot create the sandbox world {path}: {exc.strerror or exc}; "
                                  "TNORDER_HOME must name a writable directory") from None
            self._world = World(path, seed, delay)
        return self._world

    @property
    def _account(self) -> str:
        return self.account.account_id or self.account.name

    def search(self, criteria: Criteria, quantity: int) -> list[AvailableNumber]:
        self.check_criteria(criteria)
        return self.world.search(criteria, quantity)

    def reserve(self, numbers: list[str]) -> list[Reservation]:
        held = []
        for number in numbers:
            try:
                held.append(Reservation(self.world.reserve(number, self._account), number))
            except WorldError:
                continue  # taken since the lookup: it is simply not offered
        return held

    def release(self, reservations: list[Reservation]) -> None:
        for reservation in reservations:
            self.world.release(reservation.id, self._account)

    def find_reservation(self, number: str) -> Reservation | None:
        found = self.world.reservation_on(number)
        return Reservation(found[0], number) if found and found[1] == self._account else None

    def order(self, numbers: list[str], key: str,
              reservations: list[Reservation] | None = None) -> CarrierOrder:
        rids = [r.id for r in reservations or []]
        return self._answer(self.world.order(numbers, self._account, key, rids))

    def search_and_order(self, criteria: Criteria, quantity: int, key: str) -> CarrierOrder:
        self.check_criteria(criteria)
        return self._answer(self.world.search_and_order(criteria, quantity, self._account, key))

    def order_status(self, carrier_order_id: str) -> CarrierOrder:
        return self._status(carrier_order_id, "order")

    def find_order(self, key: str) -> CarrierOrder | None:
        ids = self.world.find(key, self._account, "order")
        return self.order_status(ids[0]) if ids else None

    def disconnect(self, numbers: list[str], key: str) -> CarrierOrder:
        return self._answer(self.world.disconnect(numbers, self._account, key))

    def disconnect_status(self, carrier_order_id: str) -> CarrierOrder:
        return self._status(carrier_order_id, "disconnect")

    def find_disconnect(self, key: str) -> CarrierOrder | None:
        ids = self.world.find(key, self._account, "disconnect")
        return self.disconnect_status(ids[0]) if ids else None

    def in_service(self) -> Iterator[str]:
        yield from self.world.in_service(self._account)

    def check_access(self) -> str:
        return f"sandbox world at {self.world.path}"

    def _status(self, oid: str, kind: str) -> CarrierOrder:
        found = self.world.get(oid, self._account, kind)
        if found is None:
            from tnorder.errors import CarrierError

            raise CarrierError(self.name, f"order {oid} does not exist", "404")
        return self._answer(found)

    @staticmethod
    def _answer(order: WorldOrder) -> CarrierOrder:
        return CarrierOrder(
            id=order.id,
            status=STATUS[order.status],
            completed=order.completed,
            failed=[FailedNumber(n, code, text) for n, code, text in order.failed],
            errors=[(code, text) for _, code, text in order.failed],
            key=order.customer_order_id,
            raw=f"{order.status} {order.id}",
        )
