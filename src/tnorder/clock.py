"""Time as the store keeps it (UTC) and as documents show it (ISO-8601 to the second, `Z`); light to import."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | str | None) -> str | None:
    """`2026-11-26T03:25:22Z`. The store hands back naive datetimes (UTC already), or their SQLite
    text form when read through a light Core view; None stays None."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
