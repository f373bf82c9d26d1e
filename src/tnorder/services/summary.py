"""`inventory summary`: how many numbers each inventory type holds by status, and where the
available ones are (by area code). Two grouped queries on indexed columns, through Core."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import column, func, select, table

from tnorder.statuses import NUMBER_STATUSES

if TYPE_CHECKING:
    from tnorder.services.context import Context

NUMBERS = table("numbers", column("number"), column("status"), column("inventory_type"))


def summary(ctx: Context) -> dict:
    """`by_type`: every configured inventory type (and any other found in the store) with a count
    per status, all statuses present; `available_by_area_code`: area code -> available numbers."""
    n = NUMBERS.c
    area_code = func.substr(n.number, 3, 3)
    with ctx.store.engine.connect() as conn:
        counts = conn.execute(select(n.inventory_type, n.status, func.count())
                              .group_by(n.inventory_type, n.status)).all()
        # the (status, number) index serves this without touching the table
        available = conn.execute(select(area_code, func.count()).where(n.status == "available")
                                 .group_by(area_code).order_by(area_code)).all()
    types = {name: dict.fromkeys(NUMBER_STATUSES, 0) for name in ctx.config.names("inventory_types")}
    for itype, status, count in counts:
        types.setdefault(itype, dict.fromkeys(NUMBER_STATUSES, 0))[status] = count
    return {
        "by_type": [{"inventory_type": name, "total": sum(c.values()), **c} for name, c in sorted(types.items())],
        "available_by_area_code": [{"area_code": code, "available": count} for code, count in available],
    }
