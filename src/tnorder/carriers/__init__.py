"""Carrier plugins, found through the `tnorder.carriers` entry-point group (built-ins too)."""

from __future__ import annotations

import sys
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from tnorder.errors import ConfigError

if TYPE_CHECKING:
    from tnorder.carriers.base import Carrier
    from tnorder.settings import Config

GROUP = "tnorder.carriers"


def installed() -> dict[str, EntryPoint]:
    """Every carrier kind installed, by name (not loaded)."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def carrier_class(kind: str) -> type[Carrier]:
    kinds = installed()
    if kind not in kinds:
        known = ", ".join(sorted(kinds)) or "none"
        raise ConfigError(f"no carrier plugin of kind {kind!r} is installed (installed: {known})")
    try:
        return kinds[kind].load()
    except Exception as exc:  # a broken third-party plugin must not take tnorder down with it
        raise ConfigError(f"carrier plugin {kind!r} failed to load: {exc}") from None


def loadable_kinds() -> list[str]:
    """Installed kinds that load; a broken plugin is reported on stderr and skipped."""
    kinds = []
    for name in sorted(installed()):
        try:
            carrier_class(name)
        except ConfigError as exc:
            print(f"warning: {exc}", file=sys.stderr)
            continue
        kinds.append(name)
    return kinds


def open_account(config: Config, account_name: str) -> Carrier:
    """The plugin instance that speaks for one carrier account, its answers checked (carriers/validate.py)."""
    from tnorder.carriers.validate import CheckedCarrier
    from tnorder.settings import home

    account = config.account(account_name)
    carrier = config.carrier(account.carrier)
    plugin = carrier_class(carrier.kind)
    plugin.check_options(carrier.options)  # third-party kinds: their declared options, checked before use
    return CheckedCarrier(plugin(carrier, account, home()))  # type: ignore[return-value]
