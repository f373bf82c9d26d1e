"""Batch orders from a file, in one process: `inventory order --from-file` and `customer add-dids --from-file`.

Every line is read and checked (criteria, numbers, inventory type, customer line, key) before
anything is sent, so a bad line 137 stops the batch with nothing ordered. Then the orders go
through the same ordering services as single orders (`ordering.order_numbers`,
`ordering.lookup_and_order`), a bounded number at a time, sharing the context's one plugin (one
connection pool) per carrier account.

Each line's idempotency key is its own `key`, else one derived from the line's content: a rerun of
the same file finds every order already placed and orders nothing twice. It reports what those
orders became: a line whose order failed is failed again, never "placed before".

`--retry-failed` places again the lines whose latest order certainly bought nothing (failed, no
number completed), under attempt keys derived from the line's key (`KEY-retry-1`, then `-2`, …):
deterministic, so runs that retry at once agree on the key and only one of them places it. The
"bought nothing" decision is made again under the write lock that writes the new attempt.

Several runs of one file at once: the key check under the write lock (`placing.write_ahead`)
decides which run places each order; each run reports only what it placed, the others' orders as
placed by another run.

Only a regular file (or standard input) of bounded size is read, as UTF-8, with bounded fields: a
FIFO, `/dev/zero`, stray bytes, a 128 KB field or JSON nested past Python's limits is one line,
exit 2, before anything is sent.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from tnorder import interrupts
from tnorder.errors import BadInput, OutcomeUnknown, TnorderError
from tnorder.regular import named_input

if TYPE_CHECKING:
    from sqlmodel import Session

    from tnorder.models import Order
    from tnorder.services.context import Context
    from tnorder.services.ordering import Plan
    from tnorder.services.placing import Step

CRITERIA_FIELDS = ("area_code", "rate_center", "state", "city", "zip", "lata", "toll_free", "vanity",
                   "npa_nxx", "local_vanity")
FIELDS = (*CRITERIA_FIELDS, "numbers", "quantity", "key", "type", "customer", "line")
DEFAULT_QUANTITY = 10  # as `--quantity`
MAX_FILE_BYTES = 32 * 1024 * 1024  # a million orders fit; /dev/zero or a runaway pipe does not
MAX_FIELD = 200  # characters of one value (criteria, names, keys)
MAX_NUMBERS_FIELD = 100_000  # `numbers` lists many: a few thousand at most
WORKERS = 32  # orders on the wire at once: bounded, and kind to carriers' rate limits (a 429 is waited out)
# plugins whose ordering calls are safe from many threads at once (checked: Bandwidth lends each
# request an httpx client of its own, under a lock; the sandbox world keeps one SQLite connection
# per thread). Any other plugin orders one at a time per carrier account.
CONCURRENT_KINDS = frozenset({"bandwidth", "sandbox"})


@dataclass
class Line:
    """One order of the file, checked: where it is, its plan, and how it orders."""

    number: int  # the line of the file (a CSV header is line 1)
    plan: Plan
    mode: str  # numbers | lookup-and-order
    existing: str | None = None  # the order reference its key (its latest attempt) placed before, if any
    retry_of: str | None = None  # the failed order this line places again (--retry-failed)
    retriable: bool = False  # its order placed before failed and bought nothing
    written: bool = False  # this run wrote the order (set under the write lock)
    note: str | None = None  # why a failed line is not placed again


@dataclass
class Outcome:
    line: int
    result: str  # placed | exists | failed | unknown (sent, answer lost: `orders poll` settles it)
    document: dict | None = None  # the order, when there is one
    error: TnorderError | None = None
    by: str = "this run"  # this run | before (an earlier run) | another run (one running at the same time)
    retry_of: str | None = None  # placed again for this failed order
    retriable: bool = False  # failed before and bought nothing: --retry-failed places it again
    note: str | None = None


@dataclass
class Batch:
    lines: list[Line] = field(default_factory=list)

    @property
    def to_send(self) -> int:
        return sum(1 for line in self.lines if line.existing is None)

    @property
    def retries(self) -> int:
        return sum(1 for line in self.lines if line.retry_of is not None)


def open_file(path: str) -> TextIO:
    """The batch file's text (standard input for `-`): a regular file read with a bound, as UTF-8."""
    if path == "-":
        return _decoded(sys.stdin.buffer.read(MAX_FILE_BYTES + 1), "standard input")
    fd = named_input(path)
    with os.fdopen(fd, "rb") as file:
        try:
            data = file.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise BadInput(f"cannot read {path}: {exc.strerror}") from None
    return _decoded(data, path)


def _decoded(data: bytes, name: str) -> TextIO:
    if len(data) > MAX_FILE_BYTES:
        raise BadInput(f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB: split it into several batches")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise BadInput(f"{name}: line {line} is not UTF-8 text") from None
    return io.StringIO(text, newline=None)


def read(stream: TextIO) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, fields) of each order: JSON lines, or CSV with a header row."""
    text = stream.read()
    first = next((row.strip() for row in text.splitlines() if row.strip()), "")
    if first.startswith("{"):
        yield from _json_lines(text)
    else:
        yield from _csv_rows(text)


def _json_lines(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, row in enumerate(text.splitlines(), 1):
        if not row.strip():
            continue
        try:
            fields = json.loads(row)
        except json.JSONDecodeError as exc:
            raise BadInput(f"line {number}: not JSON ({exc.msg})") from None
        except (ValueError, RecursionError):  # an integer of thousands of digits; nesting past the limit
            raise BadInput(f"line {number}: not an order (a value too long or nested too deep)") from None
        if not isinstance(fields, dict):
            raise BadInput(f"line {number}: expected a JSON object")
        yield number, fields


def _csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        return
    heads = [h.strip() for h in reader.fieldnames]
    unknown = [h for h in heads if h not in FIELDS]
    if unknown:
        raise BadInput(f"line 1: unknown column {unknown[0]!r}; columns are {', '.join(FIELDS)}")
    reader.fieldnames = heads
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a field past the csv module's own limit (128 KiB)
            raise BadInput(f"line {reader.line_num}: not CSV ({exc})") from None
        if None in row:
            raise BadInput(f"line {reader.line_num}: more values than columns")
        if any(v and v.strip() for v in row.values()):
            yield reader.line_num, {k: v.strip() for k, v in row.items() if v is not None and v.strip()}


def prepare(ctx: Context, stream: TextIO, *, customer: str | None = None, line: str | None = None,
            inventory_type: str | None = None, retry_failed: bool = False) -> Batch:
    """Read and check every line; BadInput naming the first bad one. Nothing is sent.

    `customer`, `line`, `inventory_type`: for lines that do not name their own. `retry_failed`:
    lines whose order bought nothing are placed again under their next attempt key.
    """
    batch = Batch()
    seen: dict[str, int] = {}  # content -> how many lines had it so far (identical lines are distinct orders)
    for number, fields in read(stream):
        try:
            batch.lines.append(_check(ctx, {"type": inventory_type} | fields, seen, customer, line, retry_failed))
        except BadInput as exc:
            raise BadInput(f"line {number}: {exc}") from None
        batch.lines[-1].number = number
    if not batch.lines:
        raise BadInput("the file holds no orders")
    _check_numbers_once(batch)
    return batch


def _check(ctx: Context, fields: dict[str, Any], seen: dict[str, int], customer: str | None,
           line: str | None, retry_failed: bool) -> Line:
    from tnorder.criteria import build
    from tnorder.numbers import parse_numbers
    from tnorder.services import ordering

    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise BadInput(f"unknown field {unknown[0]!r}; fields are {', '.join(FIELDS)}")
    values = {k: _text(k, v) for k, v in fields.items() if v is not None and v != ""}
    lookup = {k: values.get(k) for k in CRITERIA_FIELDS}
    has_criteria = any(v is not None for v in lookup.values())
    if has_criteria == ("numbers" in values):
        raise BadInput("give lookup criteria (e.g. area_code) or numbers, not both and not neither")
    crit = build(**lookup) if has_criteria else None
    numbers = parse_numbers([values["numbers"]]) if "numbers" in values else None
    quantity = _quantity(values.get("quantity")) if has_criteria else None
    if numbers is not None and "quantity" in values:
        raise BadInput("quantity goes with lookup criteria; numbers order exactly those numbers")
    who = values.get("customer", customer)
    where = values.get("line", line)
    if (who is None) != (where is None):
        raise BadInput("customer and line go together")
    itype = ctx.inventory_type(values.get("type")).name
    content = json.dumps({"type": itype, "criteria": crit.as_dict() if crit else None, "quantity": quantity,
                          "numbers": numbers, "customer": who, "line": where}, sort_keys=True)
    seen[content] = seen.get(content, 0) + 1
    key = values.get("key") or _derived_key(content, seen[content])
    p = ordering.plan(ctx, inventory_type=itype, criteria=crit, quantity=quantity, numbers=numbers, key=key,
                      customer=who, line=where)
    method = "numbers" if numbers else "lookup-and-order"
    placed, attempt = _latest_attempt(ctx, p, method, numbers or [])
    retriable = placed is not None and _bought_nothing(ctx, placed)
    retry_of = None
    if retriable and retry_failed:
        if _not_at_the_carrier(p, placed):
            retry_of, placed = placed.ref, None
            p = replace(p, key=retry_key(p.key, attempt + 1))
        else:
            retriable = False
    if placed is None and numbers:
        ordering.check_not_held(ctx, numbers)
    checked = Line(0, p, method, placed.ref if placed else None, retry_of, retriable)
    if retry_failed and placed is not None and placed.status == "failed" and not retriable:
        checked.note = ("not placed again: the carrier has an order under its key after all "
                        "(`tnorder orders poll` reopens it)" if placed.recheck_until else
                        "not placed again: the carrier completed some of it")
    return checked


def retry_key(key: str, attempt: int) -> str:
    """The key of a line's nth attempt: the same for every run, within the carriers' 40 characters."""
    tail = f"-retry-{attempt}"
    if len(key) + len(tail) <= 40:
        return key + tail
    # cut short, the key's start stays readable and a digest of the whole keeps two keys apart
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[:40 - len(tail) - 17].rstrip()}-{digest}{tail}"


def _latest_attempt(ctx: Context, p: Plan, method: str, numbers: list[str]) -> tuple[Order | None, int]:
    """The order of the line's latest attempt (its key, then `-retry-1`, …) and that attempt's number.

    The same key with another request is refused (BadInput), as for a single order."""
    from tnorder.services import ordering

    placed, attempt = ordering.existing(ctx, p, method, numbers), 0
    while placed is not None and _bought_nothing(ctx, placed):
        following = ordering.existing(ctx, replace(p, key=retry_key(p.key, attempt + 1)), method, numbers)
        if following is None:
            break
        placed, attempt = following, attempt + 1
    return placed, attempt


def _bought_nothing(ctx: Context, order: Order) -> bool:
    with ctx.store.session() as s:
        return bought_nothing(s, order)


def bought_nothing(s: Session, order: Order) -> bool:
    """Failed, and no number completed (nor completed unasked): placing it again cannot buy twice."""
    from sqlalchemy import func, select

    from tnorder.models import OrderItem

    if order.status != "failed":
        return False
    bought = select(func.count()).select_from(OrderItem).where(
        OrderItem.order_id == order.id, OrderItem.status.in_(("complete", "conflict")))
    return not s.execute(bought).scalar_one()


def _not_at_the_carrier(p: Plan, placed: Order) -> bool:
    """An order concluded "never reached the carrier" is still asked about by key for a day (a stalled
    sender may yet have sent it): before placing it again, ask the carrier once more."""
    from tnorder.clock import utcnow

    until = placed.recheck_until
    if until is None or _naive(until) <= _naive(utcnow()):
        return True
    found = p.carrier.find_order(placed.key)
    return found is None or not found.id


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _text(name: str, value: Any) -> str:
    if isinstance(value, list) and name == "numbers":
        value = ",".join(str(v) for v in value)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadInput(f"{name} must be text or a number")
    text = str(value).strip()
    limit = MAX_NUMBERS_FIELD if name == "numbers" else MAX_FIELD
    if len(text) > limit:
        raise BadInput(f"{name} is longer than {limit} characters")
    return text


def _quantity(text: str | None) -> int:
    """The command line's digit rule (`arguments.is_whole`): `١`, `1_2` or `+1` are refused, not read as 1, 12, 1."""
    from tnorder.arguments import is_whole

    if text is None:
        return DEFAULT_QUANTITY
    if not is_whole(text):
        raise BadInput(f"quantity must be a whole number written with ASCII digits 0-9, not {text!r}")
    return int(text)


def _derived_key(content: str, occurrence: int) -> str:
    """The same line content (and its nth repeat in the file) always gives the same key."""
    digest = hashlib.sha256(f"{content}#{occurrence}".encode()).hexdigest()[:32]
    return f"batch-{digest}"


def _check_numbers_once(batch: Batch) -> None:
    owner: dict[str, int] = {}
    for line in batch.lines:
        for number in line.plan.numbers:
            if number in owner and line.existing is None:
                raise BadInput(f"line {line.number}: {number} is ordered on line {owner[number]} too")
            owner[number] = line.number


def place(ctx: Context, batch: Batch, on_done: Callable[[Outcome], None] | None = None,
          workers: int = WORKERS) -> list[Outcome]:
    """Place every line's order, a bounded number at a time; outcomes in the file's order."""
    from tnorder.services import orders
    from tnorder.testhooks import pause

    locks = _account_locks(batch)
    pause("batch-decided")  # every key checked for a friendly answer; each write-ahead decides again

    def one(line: Line) -> Outcome:
        if line.existing is not None:
            doc = _document(ctx, orders.find(ctx, line.existing))
            outcome = _reported(line, doc, "before")
        else:
            outcome = _send(ctx, line, locks.get(line.plan.account))
        if on_done:
            on_done(outcome)
        return outcome

    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, batch.to_send or 1)))
    with interrupts.main_thread_hears():  # the workers start as they are submitted
        futures = [pool.submit(one, line) for line in batch.lines]
    try:
        return [future.result() for future in futures]
    except BaseException:  # an interrupt: orders not yet started are never sent; those in flight finish
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)


def _account_locks(batch: Batch) -> dict[str, threading.Lock]:
    """One lock per carrier account whose plugin is not known to be thread-safe."""
    locks = {}
    for line in batch.lines:
        carrier = line.plan.carrier
        if carrier.kind not in CONCURRENT_KINDS:
            locks.setdefault(line.plan.account, threading.Lock())
        elif carrier.kind == "sandbox":
            _ = carrier.world  # opened here, once, not by several threads at once
    return locks


def _send(ctx: Context, line: Line, lock: threading.Lock | None) -> Outcome:
    from tnorder.services import ordering

    order = ordering.order_numbers if line.mode == "numbers" else ordering.lookup_and_order
    try:
        # the key was looked up when the file was read (`_check`); the write-ahead decides again
        if lock is None:
            placed = order(ctx, line.plan, _guard(line), looked_up=True)
        else:
            with lock:
                placed = order(ctx, line.plan, _guard(line), looked_up=True)
    except OutcomeUnknown as exc:  # the order may have reached the carrier: pending, not failed
        from tnorder.services import orders

        return Outcome(line.number, "unknown", _document(ctx, orders.find(ctx, exc.ref)), exc,
                       retry_of=line.retry_of)
    except TnorderError as exc:
        return Outcome(line.number, "failed", None, exc, retry_of=line.retry_of)
    # not written by this run: another run of the same file placed it first (its key decided, under the lock)
    return _reported(line, _document(ctx, placed), "this run" if line.written else "another run")


def _guard(line: Line) -> Step:
    """Runs under the write lock only when this run writes the line's order: it says so, and a retry
    checks there that the order it replaces still bought nothing (a poll may have reopened it)."""
    from sqlalchemy import select

    from tnorder.models import Order

    def guard(s: Session, _order: Order) -> None:
        if line.retry_of is not None:
            replaced = s.execute(select(Order).where(Order.ref == line.retry_of)).scalars().first()
            if replaced is None or not bought_nothing(s, replaced):
                now = replaced.status if replaced else "gone"
                raise BadInput(f"{line.retry_of} changed since this run read it (now {now}): not placed again")
        line.written = True

    return guard


def _reported(line: Line, doc: dict, by: str) -> Outcome:
    """What a line's order is: an order that failed (or was partial) is failed, whoever placed it."""
    failed = doc["status"] in ("failed", "partial")
    placed = "placed" if by == "this run" else "exists"
    retriable = by != "this run" and failed and line.retriable
    return Outcome(line.number, "failed" if failed else placed, doc, by=by, retry_of=line.retry_of,
                   retriable=retriable, note=line.note if by == "before" else None)


def _document(ctx: Context, order: Any) -> dict:
    from tnorder.services import orders

    return orders.documents(ctx, [order])[0]
