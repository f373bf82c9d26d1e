"""What every workflow needs: the config, the store (opened on first use), who is acting."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from tnorder.settings import Config, InventoryTypeConfig, operator, store_url

if TYPE_CHECKING:
    from tnorder.carriers.base import Carrier
    from tnorder.store import Store


class Context:
    def __init__(self, config: Config | None = None, db: str | None = None) -> None:
        if config is not None:
            self.config = config
        self.db = db
        self.actor = operator()
        self._carriers: dict[str, Carrier] = {}

    @cached_property
    def config(self) -> Config:
        """Read on first use: commands that only read the store never parse the config file."""
        return Config.load()

    @cached_property
    def store(self) -> Store:
        from tnorder.store import Store

        return Store(store_url(self.db))

    def inventory_type(self, name: str | None) -> InventoryTypeConfig:
        """`--type` as typed: exact, else case-insensitive, else a unique prefix (`fast` for `Fast DIDs`)."""
        return self.config.inventory_type(resolve_name(name, self.config.names("inventory_types")))

    def carrier(self, account: str) -> Carrier:
        """The plugin for a carrier account, built once per context."""
        if account not in self._carriers:
            from tnorder.carriers import open_account

            self._carriers[account] = open_account(self.config, account)
        return self._carriers[account]

    def close(self) -> None:
        for carrier in self._carriers.values():
            carrier.close()
        if "store" in self.__dict__:
            self.store.close()


def resolve_name(given: str | None, names: list[str]) -> str | None:
    """The one name `given` means: exact, case-insensitive, or a unique case-insensitive prefix.

    Anything else comes back unchanged, for the config to refuse with the list of known names.
    """
    if given is None or given in names:
        return given
    folded = given.casefold()
    for matches in ([n for n in names if n.casefold() == folded],
                    [n for n in names if n.casefold().startswith(folded)]):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            from tnorder.errors import BadInput

            raise BadInput(f"--type {given!r} could mean {', '.join(matches)}: say which")
    return given
