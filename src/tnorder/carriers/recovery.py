"""Conclusions drawn from a carrier's in-service list, for disconnects no order can be found for."""

from __future__ import annotations

from collections.abc import Iterable

from tnorder.carriers.base import AvailableNumber, CarrierOrder, FailedNumber


def from_in_service(key: str, numbers: list[str], in_service: Iterable[str], why: str) -> CarrierOrder:
    """A number no longer in service was disconnected, one still in service was not; `why` says why
    the list was asked (the conclusion has no carrier id, and its note says so)."""
    still = set(in_service) & set(numbers)
    gone = [n for n in numbers if n not in still]
    kept = [FailedNumber(n, None, "still in service at the carrier") for n in numbers if n in still]
    status = "failed" if not gone else ("partial" if kept else "complete")
    note = (f"{why}; asked the carrier's in-service list instead: {len(gone)} of {len(numbers)} number(s) no "
            "longer in service" + (" (the disconnect never took effect)" if not gone else " (disconnected)"))
    return CarrierOrder(id="", status=status, completed=[AvailableNumber(n) for n in gone], failed=kept,
                        key=key, note=note)
