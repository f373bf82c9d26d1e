"""Time as the store keeps it (UTC) and as documents show it (ISO-8601, `Z`); light to import."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """`2026-11-26T03:25:22.318000Z`. The store hands back naive datetimes: those are UTC already."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
