"""The select-and-disconnect flow behind `inventory disconnect`."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import typer

from tnorder.commands.common import check_confirmable, confirm, interactive
from tnorder.errors import BadInput, OutcomeUnknown

if TYPE_CHECKING:
    from tnorder.services.context import Context

class Filters(NamedTuple):
    """What narrows the numbers `--select` lists (as `inventory list` is narrowed)."""

    area_code: str | None = None
    status: str | None = None
    customer: str | None = None


COLUMNS = [("number", "Number"), ("status", "Status"), ("customer", "Customer"), ("line", "Line"),
           ("rate_center", "Rate center"), ("state", "State")]


def run(c: Context, given: list[str], *, inventory_type: str | None, select: bool, key: str | None,
        wait: bool, timeout: float, yes: bool, as_json: bool, force: bool = False,
        customer: str | None = None, filters: Filters = Filters()) -> int:
    from tnorder import render
    from tnorder.commands import order_view
    from tnorder.numbers import parse_numbers
    from tnorder.services import disconnecting, ordering

    if select == bool(given):
        raise BadInput("give the numbers to disconnect, or --select to choose them")
    if any(filters) and not select:
        raise BadInput("--area-code, --status and --customer narrow what --select lists: use them with --select")
    if select and not interactive():
        raise BadInput("--select needs a terminal; in scripts name the numbers")
    if timeout <= 0:
        raise BadInput("--timeout must be more than 0 seconds")
    check_confirmable(yes)  # before anything is sent
    key = ordering.check_key(key)
    named = parse_numbers(given) if given else []
    placed = disconnecting.existing(c, key, named) if key is not None and not select else None
    if placed is None:
        numbers = _choose(c, inventory_type, filters, as_json) if select else named
        if not numbers:
            render.message("nothing disconnected")
            return 0
        p = disconnecting.plan(c, inventory_type=inventory_type, numbers=numbers, key=key, force=force,
                               customer=customer)
        whose = f" on customer {p.customer}'s lines" if p.customer else ""
        if not confirm(f"Disconnect {len(numbers)} number(s) of {p.inventory_type!r}{whose} at {p.carrier.name}? "
                       "They will be given up.", yes):
            render.message("nothing disconnected")
            return 0
        try:
            placed = disconnecting.disconnect(c, p)
        except OutcomeUnknown as exc:
            return order_view.unknown(c, exc, as_json)
    else:
        render.message(f"key {key!r} already placed {placed.ref}: nothing new sent")
    return order_view.conclude(c, placed, wait=wait, timeout=timeout, as_json=as_json)


def _choose(c: Context, inventory_type: str | None, filters: Filters, as_json: bool) -> list[str]:
    from tnorder.interrupts import Interrupted
    from tnorder.services import disconnecting

    rows = disconnecting.candidates(c, inventory_type, **filters._asdict())
    if not rows:
        return []
    try:
        return [rows[i]["number"] for i in _ask(rows, as_json)]
    except Interrupted as exc:  # Esc, Ctrl-C or a signal while choosing: nothing was sent
        exc.said = "interrupted: nothing disconnected"
        raise


def _ask(rows: list[dict], as_json: bool) -> list[int]:
    from tnorder import render
    from tnorder.commands import select_screen
    from tnorder.numbers import parse_pick

    title = "Numbers that can be disconnected"
    if select_screen.drawable():
        return select_screen.choose(rows, COLUMNS, title=title, verb="disconnect")
    render.table(rows, COLUMNS, numbered=True, console=render.err if as_json else render.out, title=title)
    while True:
        answer = typer.prompt("Disconnect which numbers? (e.g. 1,3-5, all, none)", err=True)
        try:
            return parse_pick(answer, len(rows))
        except BadInput as exc:
            render.message(str(exc))
