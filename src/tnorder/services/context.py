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
        self.config = config or Config.load()
        self.db = db
        self.actor = operator()
        self._carriers: dict[str, Carrier] = {}

    @cached_property
    def store(self) -> Store:
        from tnorder.store import Store

        return Store(store_url(self.db))

    def inventory_type(self, name: str | None) -> InventoryTypeConfig:
        return self.config.inventory_type(name)

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
