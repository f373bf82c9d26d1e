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


def check_account(ctx: Context, values: dict[str, Any]) -> list[str]:
    """The carrier plugin's say on a new account (e.g. Bandwidth v2 refuses Basic): warnings to show."""
    from tnorder.carriers import carrier_class
    from tnorder.settings import SECRET_FIELDS

    if values.get("carrier") not in ctx.config.names("carriers"):
        return []  # `add` names the missing carrier
    carrier = ctx.config.carrier(values["carrier"])
    credentials = {k: v for k, v in values.items() if k in SECRET_FIELDS and v}
    return carrier_class(carrier.kind).check_account(carrier, credentials)


def remove(ctx: Context, section: str, name: str) -> None:
    """Refused while anything still uses it: config entries, or numbers in the store."""
    config = ctx.config
    if name not in config.names(section):
        raise BadInput(f"no {WHAT[section]} named {name!r}")
    key = {"carriers": "carrier", "accounts": "account", "inventory_types": "inventory_type"}[section]
    following = _pending_orders(ctx, key, name)
    if following:
        raise BadInput(f"{WHAT[section]} {name!r} is used by pending order(s) {', '.join(following[:5])}: "
                       "`tnorder orders poll` must settle them first")
    users = config.users_of(section, name)
    if users:
        child = "carrier accounts" if section == "carriers" else "inventory types"
        raise BadInput(f"{WHAT[section]} {name!r} is used by {child} {', '.join(users)}; remove those first")
    held = holders(ctx, **{key: name})
    if held:
        raise BadInput(f"{WHAT[section]} {name!r} still holds {held} number(s) in {ctx.store.url.split('@')[-1]}; "
                       "disconnect them, or move them with `tnorder inventory move`, first")
    config.remove(section, name)
    config.save()


def _pending_orders(ctx: Context, key: str, name: str) -> list[str]:
    """Orders not final that name this carrier, account or inventory type: polling needs it."""
    from sqlalchemy import column, select, table

    from tnorder.statuses import PENDING_ORDER_STATUSES

    orders = table("orders", column("ref"), column("status"), column(key))
    query = select(orders.c.ref).where(orders.c[key] == name, orders.c.status.in_(PENDING_ORDER_STATUSES))
    with ctx.store.engine.connect() as conn:
        return list(conn.execute(query.order_by(orders.c.ref)).scalars())
