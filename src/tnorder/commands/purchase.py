"""The ordering flows behind `inventory order` (and, later, `customer add-dids`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from tnorder.commands.common import LOOKUP_COLUMNS, check_confirmable, confirm, interactive
from tnorder.errors import EXIT_NOTHING_FOUND, BadInput, NothingToOrder, OutcomeUnknown

if TYPE_CHECKING:
    from tnorder.criteria import Criteria
    from tnorder.models import Order
    from tnorder.services.context import Context
    from tnorder.services.ordering import Plan, Selection

def keys() -> tuple[str, ...]:
    """An order document's keys, and a selection's `not_offered`."""
    from tnorder.services.order_reads import KEYS

    return (*KEYS, "not_offered")


MODES = ("select", "all", "pick", "numbers")
METHOD = {"select": "lookup-and-select", "pick": "lookup-and-select", "all": "lookup-and-order", "numbers": "numbers"}


def mode(select: bool, all_: bool, pick: str | None, numbers: str | None, has_criteria: bool) -> str:
    """Which setup method the flags ask for, checked before anything is sent."""
    given = [m for m, on in zip(MODES, (select, all_, pick is not None, numbers is not None), strict=True)
             if on]
    if len(given) > 1:
        raise BadInput(" and ".join(f"--{m}" for m in given) + " cannot be combined")
    if numbers is not None and has_criteria:
        raise BadInput("--numbers orders known numbers: give no lookup criteria with it")
    if not given:
        if not has_criteria:
            raise BadInput("give lookup criteria (e.g. --area-code 919) or --numbers")
        if not interactive():
            raise BadInput("choose --pick 1,3-5 or --all: there is no terminal to --select on")
        given = ["select"]
    if given[0] != "numbers" and not has_criteria:
        raise BadInput(f"--{given[0]} needs lookup criteria (e.g. --area-code 919)")
    if given[0] == "select" and not interactive():
        raise BadInput("--select needs a terminal; in scripts use --pick 1,3-5 or --all")
    return given[0]


def start(c: Context, *, select: bool, all_: bool, pick: str | None, numbers: str | None,
          lookup: dict[str, str | None], **options) -> int:
    """From a command's flags to one placed order (`inventory order`, `customer add-dids`)."""
    from tnorder.commands.common import any_criteria, criteria

    has_criteria = any_criteria(*lookup.values())
    chosen = mode(select, all_, pick, numbers, has_criteria)
    crit = criteria(**lookup) if has_criteria else None
    return run(c, chosen, criteria=crit, pick=pick, numbers=numbers, **options)


def run(c: Context, mode: str, *, inventory_type: str | None, criteria: Criteria | None,
        quantity: int, pick: str | None, numbers: str | None, key: str | None, wait: bool,
        timeout: float, yes: bool, as_json: bool, customer: str | None = None,
        line: str | None = None) -> int:
    """Place one order by the chosen method; returns the exit code for its outcome."""
    from tnorder import render
    from tnorder.commands import order_view
    from tnorder.numbers import parse_numbers, parse_pick
    from tnorder.services import ordering

    tns = parse_numbers([numbers]) if mode == "numbers" and numbers is not None else None
    if mode == "pick" and pick is not None:
        parse_pick(pick, quantity)  # syntax and range, before any carrier call
    if timeout <= 0:
        raise BadInput("--timeout must be more than 0 seconds")
    check_confirmable(yes)  # before anything is sent
    p = ordering.plan(c, inventory_type=inventory_type, criteria=criteria,
                      quantity=quantity if criteria else None, numbers=tns, key=key,
                      customer=customer, line=line)
    placed = ordering.existing(c, p, METHOD[mode], p.numbers) if key is not None else None
    said: dict = {"not_offered": []} if mode in ("select", "pick") else {}  # a selection's own keys
    if placed is not None:
        render.message(f"key {p.key!r} already placed {placed.ref}: nothing new ordered")
    else:
        try:
            placed = _place(c, p, mode, pick, yes, as_json, said)
        except OutcomeUnknown as exc:
            return order_view.unknown(c, exc, as_json, said)
        except NothingToOrder as exc:  # the carrier found nothing: exit 9, unlike a user's "none" (0)
            render.message(f"{exc.text}")
            return _nothing_ordered(as_json, EXIT_NOTHING_FOUND, said)
    if placed is None:
        return _nothing_ordered(as_json, 0, said)
    return order_view.conclude(c, placed, wait=wait, timeout=timeout, as_json=as_json, extra=said)


def _place(c: Context, p: Plan, mode: str, pick: str | None, yes: bool, as_json: bool,
           said: dict) -> Order | None:
    from tnorder.services import ordering

    if mode == "numbers":
        placed = _not_held_or_placed(c, p)
        if placed is not None or not confirm(
                f"Order {len(p.numbers)} number(s) from {p.carrier.name} into {p.inventory_type!r}?", yes):
            return placed
        return ordering.order_numbers(c, p)
    if mode == "all":
        assert p.criteria is not None
        question = f"Order {p.quantity} number(s) ({p.criteria.describe()}) from {p.carrier.name}?"
        return ordering.lookup_and_order(c, p) if confirm(question, yes) else None
    return _select(c, p, pick, yes, as_json, said)


def _not_held_or_placed(c: Context, p: Plan) -> Order | None:
    """Numbers already held are refused before asking, unless this very key is what holds them
    (a retry racing the original sees "already placed", not "already in inventory")."""
    from tnorder.services import ordering

    try:
        ordering.check_not_held(c, p.numbers)
    except BadInput:
        placed = ordering.existing(c, p, "numbers", p.numbers)
        if placed is None:
            raise
        return placed
    return None


def _nothing_ordered(as_json: bool, code: int, said: dict) -> int:
    from tnorder import render
    from tnorder.services.order_reads import KEYS, csv_row

    if as_json:  # an order document's keys, all present, so scripts read it like any other
        render.emit(doc := dict.fromkeys(KEYS) | {"status": "nothing-ordered", "numbers": [], "completed": [],
                                                  "failed": [], "conflicts": []} | said, list(doc), flat=csv_row)
    return code


def _select(c: Context, p: Plan, pick: str | None, yes: bool, as_json: bool, said: dict) -> Order | None:
    """Lookup-and-select: reserve what is shown, order what is chosen, release the rest (or, where
    the carrier cannot release, say until when each hold lasts). `said` gets the numbers found but
    not offered, for the JSON document."""
    from tnorder import deadline, render
    from tnorder.services import ordering

    sel = ordering.Selection(c, p, notify=render.warning)
    try:
        with sel:
            said["not_offered"] = list(sel.refused)
            _not_offered(sel)
            with deadline.waiting():  # the operator's time is not the carrier's
                chosen = _choose(sel, pick, as_json)
                go = bool(chosen) and confirm(f"Order {len(chosen)} number(s) from {p.carrier.name} "
                                              f"into {p.inventory_type!r}?", yes)
            order = sel.order([sel.results[i] for i in chosen]) if go else None
            if order is None:
                render.message("nothing ordered")
            released = sel.release_rest()
        if released:
            render.message(f"released {len(released)} number(s) not ordered back to {p.carrier.name}")
        return order
    finally:
        _held_still(sel)


def _not_offered(sel: Selection) -> None:
    from tnorder import render

    p = sel.plan
    if sel.refused:
        render.message(f"not offered: {len(sel.refused)} number(s) the carrier refused to hold (taken since the "
                       f"lookup): {', '.join(sel.refused)}")
    if not sel.results:
        raise NothingToOrder(p.carrier.name, f"no numbers found ({p.criteria.describe() if p.criteria else ''})"
                             f"{' that the carrier would hold' if sel.refused else ''}: nothing ordered")


def _held_still(sel: Selection) -> None:
    """Release failures never hide the order: they are warnings, retried by `orders poll`. Holds
    that lapse instead are said with their expiry, also after an interrupt."""
    from tnorder import render
    from tnorder.services.reservations import lapsing_lines

    name = sel.plan.carrier.name
    for line in lapsing_lines([(number, name, until) for number, until in sel.lapsing], "not ordered: "):
        render.message(line)
    if not sel.not_released:
        return
    numbers = ", ".join(number for number, _ in sel.not_released)
    if sel.releases:
        render.warning(f"{len(sel.not_released)} reservation(s) could not be released ({sel.not_released[0][1]}); "
                       f"still held: {numbers}; `tnorder orders poll` will release them")
    else:
        render.warning(f"{len(sel.not_released)} reservation(s) may be held at {name} ({sel.not_released[0][1]}): "
                       f"{numbers}; {name} cannot release a reservation: `tnorder orders poll` follows them "
                       "until they lapse")


def _choose(sel: Selection, pick: str | None, as_json: bool) -> list[int]:
    from tnorder import render
    from tnorder.numbers import parse_pick

    if pick is not None:
        return parse_pick(pick, len(sel.results))
    screen = render.err if as_json else render.out
    render.table((n.as_dict() for n in sel.results), LOOKUP_COLUMNS, numbered=True,
                 title=f"{len(sel.results)} number(s) found{_held_for_you(sel)}", console=screen)
    if sel.reservations and not sel.releases:
        render.message(f"{sel.plan.carrier.name} cannot release a reservation: numbers not ordered are not "
                       "released, their holds lapse by themselves")
    while True:
        answer = typer.prompt("Order which numbers? (e.g. 1,3-5, all, none)", err=True)
        try:
            return parse_pick(answer, len(sel.results))
        except BadInput as exc:
            render.message(str(exc))


def _held_for_you(sel: Selection) -> str:
    """ (held for you until 14:32 UTC, 28 min left)": when the first hold lapses; nothing where
    the carrier holds nothing."""
    from tnorder.clock import utcnow

    until = sel.held_until()
    if until is None:
        return ""
    hours, minutes = divmod(max(0, int((until - utcnow()).total_seconds()) // 60), 60)
    left = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    extended = "; extended while you choose" if sel.plan.carrier.capabilities.extends else ""
    return f" (held for you until {until:%H:%M} UTC, {left} left{extended})"
