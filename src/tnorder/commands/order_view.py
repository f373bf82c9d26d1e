"""Showing orders and turning their outcome into an exit code (shared by several commands)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tnorder.errors import EXIT_CARRIER, EXIT_PARTIAL, EXIT_STILL_PENDING

if TYPE_CHECKING:
    from tnorder.errors import OutcomeUnknown
    from tnorder.models import Order
    from tnorder.services import orders
    from tnorder.services.context import Context

EXIT_FOR = {"partial": EXIT_PARTIAL, "failed": EXIT_CARRIER}


def document(ctx: Context, order: Order) -> dict:
    from tnorder.services import orders

    return orders.documents(ctx, [order])[0]


def summary(doc: dict) -> str:
    count = len(doc["completed"]) if doc["status"] in ("complete", "partial") else len(doc["numbers"])
    what = f"{count} number{'s' if count != 1 else ''}" if count or doc["status"] != "pending" \
        else f"{doc['quantity'] or '?'} number(s) requested"
    line = f"{doc['order_ref']} {doc['status']}: {what}"
    # a shortfall, a recovery's conclusion, a carrier status tnorder does not know
    said = f" ({doc['error']})" if doc["error"] and doc["status"] != "failed" else ""
    if doc["kind"] == "disconnect":
        said = f" ({doc['error']})" if doc["error"] else ""
        return f"{line} to disconnect at {doc['carrier']}{said}"
    where = f"line {doc['line']} of {doc['customer']}" if doc["line"] else f"'{doc['inventory_type']}'"
    line += f" from {doc['carrier']} into {where}"
    if doc["failed"]:
        line += f"; {len(doc['failed'])} failed"
    return line + said


def show(ctx: Context, order: Order, as_json: bool, detail: bool = True, extra: dict | None = None) -> dict:
    """`extra`: keys only this command's document has (a selection's `not_offered`)."""
    return show_document(document(ctx, order) | (extra or {}), as_json, detail)


def show_document(doc: dict, as_json: bool, detail: bool = True) -> dict:
    from tnorder import render
    from tnorder.services.order_reads import csv_row

    if as_json:
        render.emit(doc, list(doc), flat=csv_row)
        return doc
    render.line(summary(doc))
    if detail:
        numbers = doc["completed"] or doc["numbers"]
        for number in numbers:
            print(f"  {number}")
        for f in doc["failed"]:
            print(f"  {f['number'] or '(quantity)'} failed: {f['code'] or ''} {f['reason'] or ''}".rstrip())
        for c in doc.get("conflicts") or []:
            print(f"  {c['number']} not taken: {c['code']}: {c['reason']}")
        if doc["status"] in ("pending", "submitting"):
            render.message(f"Order {doc['order_ref']} is pending at the carrier; "
                           "`tnorder orders poll` will complete it.")
    return doc


# which exit code wins when a run has several outcomes: what needs an operator first
SEVERITY = (6, 2, 3, 7, 1, 4, 5, 0)


def worst(codes: list[int]) -> int:
    return min(codes or [0], key=lambda code: SEVERITY.index(code) if code in SEVERITY else 0)


def exit_code(status: str, waited: bool) -> int:
    if status in ("pending", "submitting"):
        return EXIT_STILL_PENDING if waited else 0
    return EXIT_FOR.get(status, 0)


def wait_with_progress(ctx: Context, refs: list[str] | None, timeout: float) -> orders.PollResult:
    """Poll until the orders finish or time runs out; on a terminal, a spinner on stderr with how
    many are pending, the time elapsed and the time left before --timeout."""
    import time

    from tnorder import render
    from tnorder.services import orders

    if not render.err.is_terminal:
        return orders.wait(ctx, refs, timeout, notice=render.message)
    started = time.monotonic()
    with render.err.status("Waiting for the carrier…") as status:
        def tick(progress: orders.PollResult) -> None:
            elapsed = time.monotonic() - started
            status.update(f"Waiting for the carrier… {progress.pending} order(s) pending; "
                          f"{_clock(elapsed)} elapsed, {_clock(max(0.0, timeout - elapsed))} left")

        return orders.wait(ctx, refs, timeout, tick, notice=render.message)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def conclude(ctx: Context, placed: Order, *, wait: bool, timeout: float, as_json: bool,
             extra: dict | None = None) -> int:
    """After an order is placed: wait if asked, show it, and return the exit code of its outcome."""
    from tnorder.services import orders

    try:
        if wait and placed.status in ("pending", "submitting"):
            wait_with_progress(ctx, [placed.ref or ""], timeout)
            placed = orders.find(ctx, placed.ref or "")
        doc = show(ctx, placed, as_json, extra=extra)
    except Exception as exc:  # the order is at the carrier: no local failure may hide it
        return lost_sight(placed.ref or "", placed.status, exc, as_json)
    return exit_code(doc["status"], wait)


def unknown(ctx: Context, exc: OutcomeUnknown, as_json: bool, extra: dict | None = None) -> int:
    """A create that may have reached the carrier: show the order, say so, exit 5 (pending)."""
    from tnorder import render
    from tnorder.services import orders

    try:
        show(ctx, orders.find(ctx, exc.ref), as_json, detail=False, extra=extra)
    except Exception as failure:  # e.g. the store that failed to record the answer cannot be read either
        render.warning(str(exc))
        return lost_sight(exc.ref, "submitting", failure, as_json)
    render.warning(str(exc))
    return EXIT_STILL_PENDING


def lost_sight(ref: str, status: str, exc: Exception, as_json: bool) -> int:
    """After the send, a local failure (a full disk, a locked or unreachable store) never loses the
    reference: it is printed (and, with --json, a document naming it), exit 5 (pending), and
    `orders poll` settles the order. Exit 2 would say that nothing was sent."""
    from tnorder import render
    from tnorder.services.order_reads import KEYS, csv_row

    reason = _local_failure(exc)
    if as_json:
        doc = dict.fromkeys(KEYS) | {"order_ref": ref, "status": status, "numbers": [], "completed": [],
                                     "failed": [], "conflicts": [], "error": reason}
        render.emit(doc, list(doc), flat=csv_row)
    render.warning(f"order {ref} was sent to the carrier, but it could not be followed here: {reason}; "
                   "`tnorder orders poll` will settle it (do not order it again)")
    return EXIT_STILL_PENDING


def _local_failure(exc: Exception) -> str:
    from tnorder import storecheck
    from tnorder.errors import TnorderError

    if storecheck.is_store_failure(exc):
        return str(storecheck.unusable(storecheck.opened or "", exc))
    if isinstance(exc, TnorderError):
        return str(exc)
    text = " ".join(str(exc).split()).split(" [SQL:")[0].split(" (Background")[0]
    return f"{type(exc).__name__}: {text[:200]}"
