"""A store that cannot be used is bad input (exit 2), said in one line naming it and what to do.

Checked before anything else happens: the path or URL (with its password hidden), whether the
file is a tnorder store at all, and whether it was written by a newer tnorder (migrations this one
does not know), so that no order is ever sent against a store that cannot record it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from tnorder.errors import ConfigError


class StoreUnusable(ConfigError):
    """The store cannot be opened, read or written as this command needs."""


def shown(url: str) -> str:
    """The store's URL (or SQLite path) as it may be printed: never a password."""
    if url.startswith("sqlite"):
        return url.split(":///", 1)[-1] or url
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return url.rpartition("@")[2]
    user = f"{parts.username}:***@" if parts.password else (f"{parts.username}@" if parts.username else "")
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


def create_private(path: Path) -> None:
    """Create the SQLite file 0600 from the start (it keeps carrier answers), its directory 0700."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def unusable(url: str, exc: BaseException) -> StoreUnusable:
    """The one-line error for a store that failed to open or to take a write."""
    where = shown(url)
    reason = _reason(exc)
    low = reason.lower()
    if isinstance(exc, OSError):
        return StoreUnusable(f"cannot create store {where}: {exc.strerror or exc}; "
                             "TNORDER_HOME (or --db) must name a writable directory (or file path)")
    if "not a database" in low or "malformed" in low:
        return StoreUnusable(f"{where} is not a tnorder store (or it is damaged): {reason}; "
                             "point --db/TNORDER_DB at a tnorder store, or move the file away")
    if "readonly" in low or "read-only" in low:
        return StoreUnusable(f"store {where} is read-only and this command writes: {reason}; "
                             "run it where the store is writable")
    if url.startswith("sqlite"):
        return StoreUnusable(f"cannot open store {where}: {reason}; check that the path is a file in "
                             "an existing, readable and writable directory")
    return StoreUnusable(f"cannot reach store {where}: {reason}; check that the database server is up "
                         "and --db/TNORDER_DB is right")


opened: str | None = None  # the store this process opened last (for messages about later failures)
USER_FIXABLE = ("readonly", "read-only", "not a database", "malformed", "unable to open", "disk is full",
                "could not connect", "connection refused", "server closed the connection")


def is_store_failure(exc: BaseException) -> bool:
    """A store the operator must fix (read-only, not a store, unreachable), seen without importing
    SQLAlchemy; any other database error is a bug and stays exit 1."""
    if not (type(exc).__module__.startswith("sqlalchemy") and hasattr(exc, "orig")):
        return False
    return any(word in _reason(exc).lower() for word in USER_FIXABLE)


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split())
    return (text.split(" (Background")[0] or type(orig).__name__)[:200]


def newer(url: str, unknown: set[str]) -> StoreUnusable:
    from tnorder import __version__

    latest = sorted(unknown)[-1]
    return StoreUnusable(f"store {shown(url)} was written by a newer tnorder (its migration {latest} is unknown "
                         f"to tnorder {__version__}): upgrade tnorder before using this store; nothing was done")
