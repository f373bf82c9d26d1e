"""Changing the config: adding and removing carriers, carrier accounts and inventory types."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tnorder.errors import BadInput, ConfigError
from tnorder.services.inventory import holders

if TYPE_CHECKING:
    from tnorder.services.context import Context

WHAT = {"carriers": "carrier", "accounts": "carrier account", "inventory_types": "inventory type"}
PARENT = {"accounts": ("carriers", "carrier"), "inventory_types": ("accounts", "account")}


def add(ctx: Context, section: str, name: str, values: dict[str, Any], replace: bool = False) -> None:
    config = ctx.config
    if not name.strip():
        raise BadInput(f"the {WHAT[section]} needs a name")
    from tnorder.config_schema import check_entry

    check_entry(section, name, {k: v for k, v in values.items() if v is not None}, WHAT[section])
    if name in config.names(section) and not replace:
        raise BadInput(f"{WHAT[section]} {name!r} exists already in {config.path}")
    if section in PARENT:
        parent_section, key = PARENT[section]
        if values.get(key) not in config.names(parent_section):
            raise ConfigError(f"no {WHAT[parent_section]} named {values.get(key)!r}; "
                              f"known: {', '.join(config.names(parent_section)) or 'none'}")
    config.put(section, name, values)
    config.save()


def remove(ctx: Context, section: str, name: str) -> None:
    """Refused while anything still uses it: config entries, or numbers in the store."""
    config = ctx.config
    if name not in config.names(section):
        raise BadInput(f"no {WHAT[section]} named {name!r}")
    users = config.users_of(section, name)
    if users:
        child = "carrier accounts" if section == "carriers" else "inventory types"
        raise BadInput(f"{WHAT[section]} {name!r} is used by {child} {', '.join(users)}; remove those first")
    key = {"carriers": "carrier", "accounts": "account", "inventory_types": "inventory_type"}[section]
    held = holders(ctx, **{key: name})
    if held:
        raise BadInput(f"{WHAT[section]} {name!r} still holds {held} number(s) in {ctx.store.url.split('@')[-1]}; "
                       "disconnect them, or move them with `tnorder inventory move`, first")
    config.remove(section, name)
    config.save()
