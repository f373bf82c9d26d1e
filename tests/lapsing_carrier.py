"""A test-only carrier whose holds lapse instead of being released (Telnyx's shape, on the sandbox's world).

`release()` raises: a call to it is a bug the tests must see. Every call the flows make is
recorded in `LapsingSandbox.calls` and, when `LAPSING_CALLS` names a file, appended to it (a
tnorder run as a separate process registers this class through `plugin_dir`).
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar

from tnorder.carriers.base import Reservation
from tnorder.carriers.sandbox import SandboxCarrier
from tnorder.clock import utcnow
from tnorder.errors import CarrierError

KIND = "lapsing"
HOLD = timedelta(minutes=30)


class LapsingSandbox(SandboxCarrier):
    kind = KIND
    capabilities = replace(SandboxCarrier.capabilities, releases=False, extends=True)
    reservation_hold_seconds = int(HOLD.total_seconds())
    calls: ClassVar[list[tuple[str, tuple[str, ...]]]] = []  # (method, numbers), in order
    expiries: ClassVar[dict[str, datetime]] = {}  # number -> the expiry last given for its hold
    fail_extend: str | None = None  # an error text: every extend fails with it
    granted_at: datetime | None = None  # the first grant's moment: every hold of a run lapses together

    def _called(self, method: str, numbers: list[str]) -> None:
        LapsingSandbox.calls.append((method, tuple(numbers)))
        log = os.environ.get("LAPSING_CALLS")
        if log:
            with open(log, "a", encoding="utf-8") as out:
                out.write(f"{method} {' '.join(numbers)}\n")

    def reserve(self, numbers: list[str]) -> list[Reservation]:
        self._called("reserve", numbers)
        LapsingSandbox.granted_at = LapsingSandbox.granted_at or utcnow()
        return [self._until(r, LapsingSandbox.granted_at + HOLD) for r in super().reserve(numbers)]

    def release(self, reservations: list[Reservation]) -> None:
        self._called("release", [r.number for r in reservations])
        raise AssertionError("a carrier that cannot release was asked to release")

    def extend(self, reservations: list[Reservation]) -> list[Reservation]:
        self._called("extend", [r.number for r in reservations])
        if LapsingSandbox.fail_extend:
            raise CarrierError(self.name, LapsingSandbox.fail_extend, "10007")
        return [self._until(r, LapsingSandbox.expiries[r.number] + HOLD) for r in reservations]

    def find_reservation(self, number: str) -> Reservation | None:
        self._called("find_reservation", [number])
        found = super().find_reservation(number)
        return found and replace(found, expires_at=LapsingSandbox.expiries.get(number))

    def _until(self, reservation: Reservation, until: datetime) -> Reservation:
        LapsingSandbox.expiries[reservation.number] = until
        return replace(reservation, expires_at=until)


class EntryPoint:
    """What `tnorder.carriers.installed()` lists, for a kind registered in this process."""

    name = KIND

    def load(self) -> type[LapsingSandbox]:
        return LapsingSandbox


def plugin_dir(where: Path) -> Path:
    """A folder that, on PYTHONPATH with tests/, registers the kind through entry points (as pip would)."""
    info = where / "lapsing_carrier_plugin-0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lapsing-carrier-plugin\nVersion: 0\n")
    (info / "entry_points.txt").write_text(f"[tnorder.carriers]\n{KIND} = lapsing_carrier:LapsingSandbox\n")
    return where
