"""`--from-file`: many orders in one process (`inventory order`, `customer add-dids`).

One result line per order on stdout (a JSON object per line with --json), in the file's order; a
progress bar on stderr when it is a terminal. Exit 0 when every order was placed (or had been
placed before, by its key, and did not fail); when some failed (now or in an earlier run) 3 if
nothing else was placed, else 4; else 5 when some answers were lost on the way (those orders are
pending: `orders poll` settles them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tnorder.errors import EXIT_CARRIER, EXIT_PARTIAL, EXIT_STILL_PENDING, BadInput

if TYPE_CHECKING:
    from tnorder.render import Output
    from tnorder.services.batch import Outcome
    from tnorder.services.context import Context


def check_alone(path: str | None, others: dict[str, object]) -> None:
    """--from-file takes its orders from the file: refuse single-order flags beside it."""
    clash = [flag for flag, value in others.items() if value not in (None, False)]
    if path is not None and clash:
        raise BadInput(f"--from-file cannot be combined with {', '.join(clash)}: each line of the file says it")


def output(path: str | None, out: Output) -> bool:
    """Whether stdout carries documents. From a file, they are one JSON object a line, whatever else
    is asked: a table or csv would hide each line's own result and error."""
    if path is not None and (out.form in ("csv", "tsv") or out.fields is not None):
        raise BadInput("--from-file prints one JSON object per line: use --format json or jsonl (or none), "
                       "without --fields")
    return out.document


def check_retry(path: str | None, retry_failed: bool) -> None:
    if retry_failed and path is None:
        raise BadInput("--retry-failed goes with --from-file: it places again the lines of a file whose order failed")


def run(c: Context, path: str, *, yes: bool, as_json: bool, inventory_type: str | None = None,
        customer: str | None = None, line: str | None = None, retry_failed: bool = False) -> int:
    from tnorder import render
    from tnorder.commands.common import check_confirmable, confirm
    from tnorder.services import batch

    check_confirmable(yes)  # before reading stdin or sending anything
    orders = batch.prepare(c, batch.open_file(path), customer=customer, line=line, inventory_type=inventory_type,
                           retry_failed=retry_failed)
    before = len(orders.lines) - orders.to_send
    again = f", {orders.retries} of them again for lines whose order failed" if orders.retries else ""
    if orders.to_send and not confirm(f"Place {orders.to_send} order(s) from {path}{again}"
                                      + (f" ({before} placed before)" if before else "") + "?", yes):
        render.message("nothing ordered")
        return 0
    outcomes = _place(c, orders, render.err.is_terminal)
    for outcome in outcomes:
        _print(outcome, as_json)
    return _summary(outcomes)


def _summary(outcomes: list[Outcome]) -> int:
    """The counts on stderr, and the exit code (see the module notes)."""
    from tnorder import render

    count = {result: sum(1 for o in outcomes if o.result == result)
             for result in ("placed", "exists", "failed", "unknown")}
    again = sum(1 for o in outcomes if o.result == "placed" and o.retry_of)
    others = sum(1 for o in outcomes if o.result == "exists" and o.by == "another run")
    retriable = sum(1 for o in outcomes if o.retriable)
    render.message(f"{count['placed']} order(s) placed" + (f" ({again} again, for lines that had failed)" if again
                                                             else "")
                   + f", {count['exists']} placed before" + (f" ({others} by another run)" if others else "")
                   + f", {count['failed']} failed"
                   + (f", {count['unknown']} sent without an answer (`tnorder orders poll` settles them)"
                      if count["unknown"] else ""))
    if retriable:
        render.message(f"{retriable} line(s) whose order failed bought nothing: run again with --retry-failed "
                       "to place them again")
    if count["failed"]:
        return EXIT_PARTIAL if count["placed"] + count["exists"] + count["unknown"] else EXIT_CARRIER
    return EXIT_STILL_PENDING if count["unknown"] else 0


def _place(c: Context, orders, on_terminal: bool) -> list[Outcome]:
    from tnorder import render
    from tnorder.services import batch

    if not on_terminal:
        return batch.place(c, orders)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

    with Progress("Ordering", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                  console=render.err, transient=True) as progress:
        task = progress.add_task("orders", total=len(orders.lines))
        return batch.place(c, orders, on_done=lambda _: progress.advance(task))


def _print(outcome: Outcome, as_json: bool) -> None:
    import json

    from tnorder.services.order_reads import KEYS

    doc = outcome.document or dict.fromkeys(KEYS) | {"numbers": [], "completed": [], "failed": []}
    if as_json:
        error = str(outcome.error) if outcome.error else doc.get("error")
        print(json.dumps({"file_line": outcome.line, "result": outcome.result} | doc | {"error": error}),
              flush=True)
        return
    if outcome.error and outcome.document is None:
        print(f"line {outcome.line}: {outcome.result}: {outcome.error}", flush=True)
        return
    count = len(doc["completed"] or doc["numbers"]) or doc["quantity"]
    print(f"line {outcome.line}: {doc['order_ref']} {doc['status']} ({count} number(s); {_said(outcome, doc)})",
          flush=True)


def _said(outcome: Outcome, doc: dict) -> str:
    if outcome.result == "unknown":
        return f"sent, answer lost: {outcome.error}"
    if outcome.by == "another run":
        said = "in progress by another run" if doc["status"] == "submitting" else "placed by another run"
    elif outcome.by == "before" and doc["status"] == "submitting":
        said = "placed before, still being sent (by another run, or `tnorder orders poll` settles it)"
    else:
        said = {"before": "placed before", "this run": "placed"}[outcome.by]
    if outcome.retry_of and outcome.by == "this run":
        said = f"placed again for {outcome.retry_of}"
    if outcome.result == "failed" and outcome.by != "this run":
        said += ("; --retry-failed places it again" if outcome.retriable
                 else f"; {outcome.note}" if outcome.note
                 else "; some of it was completed: never placed again" if doc["completed"] or doc["conflicts"]
                 else "")
    return said
