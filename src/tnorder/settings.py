"""Where tnorder keeps things, and the config file: carriers, carrier accounts, inventory types.

The config names environment variables for secrets; it never needs a secret in plain text.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tnorder.errors import ConfigError
from tnorder.regular import NotRegular, open_regular

DEFAULT_CARRIER = "sandbox"
DEFAULT_ACCOUNT = "sandbox"
DEFAULT_INVENTORY_TYPE = "Sandbox DIDs"
SECTIONS = ("carriers", "accounts", "inventory_types")
SECRET_FIELDS = ("username_env", "password_env", "client_id_env", "client_secret_env", "api_key_env")
ACCOUNT_FIELDS = ("carrier", "account_id", "site_id", "peer_id", *SECRET_FIELDS)  # the rest: the kind's options
CONFIG_MAX = 1 << 20  # bytes: a config is a few KB; anything larger is not one (or is /dev/zero)
WHAT = {"carriers": "carrier", "accounts": "carrier account", "inventory_types": "inventory type"}


def home() -> Path:
    """`TNORDER_HOME`, else the platform's per-user data directory."""
    env = os.environ.get("TNORDER_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("tnorder", appauthor=False))


def config_path() -> Path:
    env = os.environ.get("TNORDER_HOME")
    if env:
        return Path(env).expanduser() / "config.toml"
    import platformdirs

    return Path(platformdirs.user_config_dir("tnorder", appauthor=False)) / "config.toml"


def store_url(override: str | None = None) -> str:
    """`--db`, else `TNORDER_DB`, else the SQLite file under the home directory."""
    url = override if override is not None else os.environ.get("TNORDER_DB")
    if url is not None and not url.strip():
        raise ConfigError("--db/TNORDER_DB is empty: give a SQLite path or a database URL")
    if url:
        if ":memory:" in url or url.rstrip("/") in ("sqlite:", "sqlite:/", "sqlite://"):
            # an in-memory store forgets every order at exit, while the carrier keeps them
            raise ConfigError(f"store {url!r} would be in memory: orders would be recorded nowhere; "
                              "give a file path or a database URL")
        return url if "://" in url else f"sqlite:///{Path(url).expanduser()}"
    return f"sqlite:///{home() / 'tnorder.db'}"


OPERATOR_MAX = 64


def operator() -> str:
    """Who is acting, for number history: `TNORDER_OPERATOR`, else the login name.

    Stored in history and printed in tables: a name with control characters (terminal escapes) or
    of unbounded length is refused, not kept.
    """
    given = os.environ.get("TNORDER_OPERATOR")
    name = given or os.environ.get("USER")
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "unknown"
    if not name.isprintable() or len(name) > OPERATOR_MAX:
        source = "TNORDER_OPERATOR" if given else "the login name ($USER)"
        raise ConfigError(f"{source} must be a name of at most {OPERATOR_MAX} printable characters "
                          "(no control characters): set TNORDER_OPERATOR to one")
    return name


def default_config() -> dict[str, Any]:
    return {
        "carriers": {DEFAULT_CARRIER: {"kind": "sandbox"}},
        "accounts": {DEFAULT_ACCOUNT: {"carrier": DEFAULT_CARRIER}},
        "inventory_types": {DEFAULT_INVENTORY_TYPE: {"account": DEFAULT_ACCOUNT}},
    }


@dataclass(frozen=True)
class CarrierConfig:
    name: str
    kind: str
    url: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountConfig:
    name: str
    carrier: str
    account_id: str | None = None
    site_id: str | None = None
    peer_id: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)  # the carrier kind's account options (Telnyx: connection_id)

    def secret(self, env_field: str) -> str | None:
        """The value of the environment variable this account names for `env_field`."""
        var = self.env.get(env_field)
        if not var:
            return None
        value = os.environ.get(var)
        if not value:
            raise ConfigError(f"carrier account {self.name!r} needs ${var}: set it in the environment")
        return value


@dataclass(frozen=True)
class InventoryTypeConfig:
    name: str
    account: str


class Config:
    """The parsed config file (or the built-in default when there is none)."""

    def __init__(self, data: dict[str, Any], path: Path, header: str = "") -> None:
        self.data = data
        self.path = path
        self.header = header
        self.loaded = False  # read from (or defaulted for) a file: `still_as_read` compares with it
        self.stamp: tuple[int, int, int] | None = None  # the file read: inode, mtime, size
        for section in SECTIONS:
            data.setdefault(section, {})

    @classmethod
    def load(cls, path: Path | None = None) -> Config:
        path = path or config_path()
        raw, stamp = _read_regular(path)
        if raw is None:
            config = cls(default_config(), path)
            config.loaded = True
            return config
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"config {path} is not UTF-8 text: fix or remove it") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from None
        from tnorder.config_schema import check_config

        check_config(data, path)
        config = cls(data, path, _leading_comments(text))
        config.loaded, config.stamp = True, stamp
        return config

    def save(self) -> None:
        """Write the whole file atomically: a unique temp file beside it, fsync, rename, fsync the
        folder. Readers see the old file or the new one, never a part. The caller holds `locked`."""
        import tomli_w

        body = (self.header + tomli_w.dumps(self.data)).encode("utf-8")
        try:
            make_home(self.path.parent)
            _replace(self.path, body)
        except OSError as exc:
            raise ConfigError(f"cannot write config {self.path}: {exc.strerror or exc}; nothing was changed "
                              "(TNORDER_HOME must name a writable directory with room)") from None

    def still_as_read(self, **names: str | None) -> None:
        """Refuse (nothing sent) when the file no longer has these entries as this process read them:
        `carriers=…, accounts=…, inventory_types=…`. Called under the store's write lock, which a
        `config … remove/set` also holds while it checks what uses an entry and rewrites the file."""
        if not self.loaded or _stamp(self.path) == self.stamp:
            return  # built by a library caller; or the very file read (a write is a new inode)
        now = Config.load(self.path)
        for section, name in names.items():
            if name is not None and now.data[section].get(name) != self.data[section].get(name):
                how = "changed" if name in now.data[section] else "removed"
                raise ConfigError(f"{WHAT[section]} {name!r} was {how} in {self.path} while this command ran: "
                                  "nothing was sent; run it again")

    def _section(self, section: str) -> dict[str, dict[str, Any]]:
        return self.data[section]

    def carrier(self, name: str) -> CarrierConfig:
        raw = dict(self._need("carriers", name, "carrier", "config carrier add"))
        kind = raw.pop("kind", None)
        if not kind:
            raise ConfigError(f"carrier {name!r} has no kind in {self.path}")
        url = raw.pop("url", None)
        options = raw.pop("options", {}) | raw
        return CarrierConfig(name, kind, url, options)

    def account(self, name: str) -> AccountConfig:
        raw = self._need("accounts", name, "carrier account", "config account add")
        carrier = raw.get("carrier")
        if not carrier:
            raise ConfigError(f"carrier account {name!r} names no carrier in {self.path}")
        from tnorder.config_schema import NOTES

        env = {k: v for k, v in raw.items() if k in SECRET_FIELDS and v}
        options = {k: v for k, v in raw.items() if k not in ACCOUNT_FIELDS and k not in NOTES}
        return AccountConfig(
            name, carrier, _str(raw.get("account_id")), _str(raw.get("site_id")),
            _str(raw.get("peer_id")), env, options,
        )

    def inventory_type(self, name: str | None) -> InventoryTypeConfig:
        types = self._section("inventory_types")
        if name is None:
            if len(types) != 1:
                choices = ", ".join(sorted(types)) or "none configured"
                raise ConfigError(f"--type is needed: inventory types are {choices}")
            name = next(iter(types))
        raw = self._need("inventory_types", name, "inventory type", "config inventory-type add")
        if not raw.get("account"):
            raise ConfigError(f"inventory type {name!r} names no carrier account in {self.path}")
        return InventoryTypeConfig(name, raw["account"])

    def _need(self, section: str, name: str, what: str, how: str) -> dict[str, Any]:
        entries = self._section(section)
        if name not in entries:
            known = ", ".join(sorted(entries)) or "none"
            raise ConfigError(f"no {what} named {name!r} (known: {known}); add one with `tnorder {how}`")
        return entries[name]

    def names(self, section: str) -> list[str]:
        return sorted(self._section(section))

    def put(self, section: str, name: str, values: dict[str, Any]) -> None:
        self._section(section)[name] = {k: v for k, v in values.items() if v is not None}

    def remove(self, section: str, name: str) -> None:
        self._section(section).pop(name)

    def users_of(self, section: str, name: str) -> list[str]:
        """Accounts that use a carrier, or inventory types that use an account."""
        if section == "carriers":
            return [a for a, raw in self._section("accounts").items() if raw.get("carrier") == name]
        if section == "accounts":
            return [t for t, raw in self._section("inventory_types").items() if raw.get("account") == name]
        return []


def make_home(directory: Path) -> None:
    """The folder of the config (and of the store): 0700 from the start, it names secrets' variables."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)


@contextlib.contextmanager
def locked(path: Path | None = None) -> Iterator[None]:
    """The config file's lock (`config.toml.lock` beside it): one writer at a time on this host.

    flock is released by the kernel when its holder dies, so a killed writer never wedges the next.
    """
    import fcntl

    path = path or config_path()
    try:
        make_home(path.parent)
        fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise ConfigError(f"cannot write config {path}: {exc.strerror or exc}; nothing was changed "
                          "(TNORDER_HOME must name a writable directory)") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def editing(path: Path | None = None) -> Iterator[Config]:
    """Read-modify-write under the lock: the file as it is now (not as this process read it
    earlier), saved when the body returns, so that concurrent writers each keep the others' change."""
    with locked(path):
        config = Config.load(path)
        yield config
        config.save()


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size


def _read_regular(path: Path) -> tuple[bytes | None, tuple[int, int, int] | None]:
    """The file's bytes and stamp, (None, None) when there is none; refused unless a regular file
    of bounded size (a FIFO would block for ever, a link to /dev/zero would read without end)."""
    try:
        fd, info = open_regular(path)
    except (FileNotFoundError, NotADirectoryError):
        return None, None
    except NotRegular:
        raise ConfigError(f"config {path} is not a regular file: replace it with a TOML file, or remove it") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as file:
        try:
            data = file.read(CONFIG_MAX + 1)
        except OSError as exc:
            raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
    if len(data) > CONFIG_MAX:
        raise ConfigError(f"config {path} is larger than {CONFIG_MAX // 1024} KiB: it is not a tnorder config")
    return data, (info.st_ino, info.st_mtime_ns, info.st_size)


def _replace(path: Path, body: bytes) -> None:
    import tempfile

    # mkstemp: a name no other writer uses, created 0600 (a config names secrets' variables)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # the rename is done; a folder that cannot be fsynced keeps it
        dirfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dirfd)
        finally:
            os.close(dirfd)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _leading_comments(text: str) -> str:
    """The comment block at the top of a user's file, kept when tnorder rewrites it."""
    lines = []
    for line in text.splitlines(keepends=True):
        if line.startswith("#") or (lines and not line.strip()):
            lines.append(line)
        else:
            break
    return "".join(lines)
