"""A store that cannot be used is bad input (exit 2), said in one line naming it and what to do.

Checked before anything else happens: the path or URL (with its password hidden), whether the
file is a tnorder store at all, and whether it was written by a newer tnorder (migrations this one
does not know), so that no order is ever sent against a store that cannot record it.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from tnorder.errors import ConfigError, StoreBusy


class StoreUnusable(ConfigError):
    """The store cannot be opened, read or written as this command needs."""


def shown(url: str) -> str:
    """The store's URL (or SQLite path) as it may be printed: never a password, wherever it hides.

    The last `@` ends the user part however many a password holds (SQLAlchemy stops at the first
    one and takes the rest of the password for the host), and the query is left out: it may carry
    a `password=` as well.
    """
    if url.startswith("sqlite"):
        return url.split(":///", 1)[-1] or url
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "(a store URL)"
    userinfo, at, place = rest.rpartition("@")
    place, query, _ = place.partition("?")
    user = ""
    if at:
        name, colon, _ = userinfo.partition(":")
        user = f"{name}:***@" if colon else f"{name}@"
    return f"{scheme}://{user}{place}" + ("?…" if query else "")


def secrets(url: str) -> list[str]:
    """Every text a driver may quote of the password in `url`: whole, decoded, and each piece of it
    between reserved characters (a misparsed password's tail comes back as the "host"). Longest first."""
    if url.startswith("sqlite") or "://" not in url:
        return []
    from urllib.parse import parse_qsl, unquote

    rest = url.partition("://")[2]
    userinfo, at, place = rest.rpartition("@")
    found = {userinfo.partition(":")[2]} if at else set()
    found |= {value for key, value in parse_qsl(place.partition("?")[2]) if "pass" in key.lower()}
    found |= {unquote(text) for text in found}
    found |= {piece for text in list(found) for piece in re.split(r"[@:/?#&=]", text)}
    return sorted((text for text in found if len(text) >= 3), key=len, reverse=True)


def scrub(text: str, *urls: str | None) -> str:
    """`text` with every password of `urls` (see `secrets`) replaced by `***`."""
    for url in urls:
        for secret in secrets(url or ""):
            text = text.replace(secret, "***")
    return text


def check_url(url: str) -> None:
    """Refuse, before any connection, a URL SQLAlchemy would misread: an unescaped `@` in a password
    ends it there, and the rest of the password goes to the network as the host name (where a
    resolver, a log or an error message would show it), or fails as a port."""
    if url.startswith("sqlite"):
        return
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        host = make_url(url).host or ""
    except ArgumentError:  # not a URL at all: `create_engine` says so
        return
    except ValueError:  # the rest of a password read as a port
        host = "@"
    if "@" in host:
        raise StoreUnusable(f"store URL {shown(url)} cannot be read as dialect://user:password@host/database: "
                            "percent-encode an @, : or / in its user name or password (@ as %40); nothing was done")


def private_folder(folder: Path) -> None:
    """Create `folder` and each missing parent 0700 (mkdir's `mode` covers only the last one)."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for each in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            each.mkdir(mode=0o700)


def create_private(path: Path, *, make_folder: bool = True) -> None:
    """Create the SQLite file 0600 from the start (it keeps carrier answers), its folders 0700.

    `make_folder=False` (a store named by --db/TNORDER_DB): a folder that does not exist is a typo
    to refuse, not a place to start an empty store in.
    """
    if make_folder:
        private_folder(path.parent)
    elif not path.parent.is_dir():
        raise StoreUnusable(f"store {path}: the folder {path.parent} does not exist; create it first, or "
                            "correct --db/TNORDER_DB (nothing was created)")
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def read_only(path: Path) -> bool:
    """A SQLite store to open read-only as immutable: its folder cannot be written and holds no
    `-shm` file, so SQLite could not create the shared-memory file even a WAL reader needs.

    Nobody is writing it then (a writer keeps `-shm` beside it while it works), so reading it as
    immutable (no locks, no files) sees what is there; only a writer starting meanwhile (someone who
    may write that folder) would go unseen by this one read. Any write fails as read-only (exit 2).
    """
    return (path.is_file() and not os.access(path.parent, os.W_OK | os.X_OK)
            and not Path(f"{path}-shm").exists())


DEFAULT_LOCK_TIMEOUT = 30.0
MAX_LOCK_TIMEOUT = 86400.0


def lock_timeout() -> float:
    """TNORDER_LOCK_TIMEOUT: seconds to wait for another process's write lock (default 30)."""
    raw = os.environ.get("TNORDER_LOCK_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_LOCK_TIMEOUT
    # ASCII digits only, as on the command line (float() would take '١', '1_0', 'inf' and 'nan')
    if not re.fullmatch(r"[0-9]+(\.[0-9]*)?|\.[0-9]+", raw) or float(raw) > MAX_LOCK_TIMEOUT:
        raise ConfigError(f"TNORDER_LOCK_TIMEOUT {raw[:20]!r}: expected seconds from 0 to {MAX_LOCK_TIMEOUT:.0f}")
    return float(raw)


BUSY = ("database is locked", "database table is locked", "lock timeout", "could not obtain lock")


def is_busy(exc: BaseException) -> bool:
    """Another process held the write lock past the lock timeout (SQLite's busy, PostgreSQL's lock_timeout)."""
    if not (type(exc).__module__.startswith("sqlalchemy") and hasattr(exc, "orig")):
        return False
    return any(word in _reason(exc).lower() for word in BUSY)


def busy(url: str) -> StoreBusy:
    return StoreBusy(f"store {shown(url)} is busy: another process held its write lock for more than "
                     f"{lock_timeout():g} s (TNORDER_LOCK_TIMEOUT); try again, or raise TNORDER_LOCK_TIMEOUT")


def unusable(url: str, exc: BaseException) -> StoreUnusable:
    """The one-line error for a store that failed to open or to take a write."""
    where = shown(url)
    reason = scrub(_reason(exc), url)
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
