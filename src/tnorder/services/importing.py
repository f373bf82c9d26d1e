"""Numbers obtained outside tnorder (a carrier's spreadsheet, a portal export) come in by CSV.

Every row is checked before anything is written: one bad row refuses the whole file (each bad row
named by its line number), unless the operator asks to skip the bad ones. Numbers tnorder already
holds are reported and left as they are, so importing a file twice adds nothing the second time.

Files run to millions of rows, so a checked row is kept as three machine words (its number, its
line, and what it shares with other rows: place, owner, status), rows are written as plain tuples
through SQLAlchemy Core, and the ORM is not loaded unless a disconnected number comes back.
"""

from __future__ import annotations

import csv
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from operator import eq
from typing import TYPE_CHECKING, TextIO, overload

from sqlalchemy import DateTime, bindparam, column, select, table

from tnorder.clock import utcnow
from tnorder.criteria import check_state, clean_lata, clean_name, clean_zip
from tnorder.errors import BadInput
from tnorder.numbers import to_e164
from tnorder.services import customers
from tnorder.store import driver_value, indexes_set_aside, insert_tuples
from tnorder.testhooks import pause

if TYPE_CHECKING:
    from sqlalchemy import Connection, Dialect

    from tnorder.services.context import Context

NUMBER_HEADS = ("number", "tn", "did", "telephone_number", "phone_number", "phone")
OPTIONAL = ("rate_center", "state", "city", "lata", "zip", "customer", "line", "status")
STATUSES = ("available", "assigned")
BATCH = 5000  # rows a statement: well under SQLite's bound-parameter limit
SHOWN_BAD = 50  # bad rows named in the error line; --skip-invalid --json lists every one
DETAILS = ("rate_center", "city", "state", "lata", "zip")  # lifecycle.DETAIL_FIELDS, in the same order
NUMBER_COLUMNS = ("number", "status", "inventory_type", "carrier", "account", "customer", "line", *DETAILS,
                  "created_at", "updated_at")
EVENT_COLUMNS = ("number", "at", "from_status", "to_status", "order_ref", "actor", "event", "note")
NUMBERS = table("numbers", *map(column, NUMBER_COLUMNS))  # Core only: models.py would load SQLModel
EVENTS = table("number_events", *map(column, EVENT_COLUMNS))
STAMP = column("created_at", DateTime())
LINE_BITS, KIND_BITS = 40, 32  # a row packed in one int (Scan): files up to a trillion lines
NUMBER_SHIFT, LINE_MASK, KIND_MASK = LINE_BITS + KIND_BITS, (1 << LINE_BITS) - 1, (1 << KIND_BITS) - 1


@dataclass(frozen=True)
class Kind:
    """What rows share besides their number: where it is (checked once), whose, and its status."""

    details: tuple[str | None, ...]  # in DETAILS order
    customer: str | None = None
    service_line: str | None = None

    @property
    def status(self) -> str:
        return "assigned" if self.service_line else "available"

    @property
    def note(self) -> str:
        owner = f"; assigned to customer {self.customer} line {self.service_line}" if self.service_line else ""
        return "imported" + owner


class E164s(Sequence[str]):
    """Numbers kept as their ten digits in an array, handed out in E.164: a million of them take 8 MB."""

    def __init__(self, digits: array | None = None) -> None:
        self.digits = array("q") if digits is None else digits

    def __len__(self) -> int:
        return len(self.digits)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [f"+1{n}" for n in self.digits[index]]
        return f"+1{self.digits[index]}"

    def __iter__(self) -> Iterator[str]:
        return (f"+1{n}" for n in self.digits)


@dataclass
class Report:
    inventory_type: str
    imported: E164s = field(default_factory=E164s)  # by number
    held: list[tuple[int, str, str]] = field(default_factory=list)  # line, number, where it is
    invalid: list[tuple[int, str]] = field(default_factory=list)  # line, why

    def as_dict(self) -> dict:
        return {"inventory_type": self.inventory_type, "imported": list(self.imported),
                "already_held": [{"line": ln, "number": n, "status": st} for ln, n, st in self.held],
                "skipped": [{"line": ln, "reason": why} for ln, why in self.invalid]}


@dataclass
class Scan:
    """A file read and checked. A good row is one int, its number's ten digits, its line and its kind
    (an index into `kinds`) packed so that sorting the ints orders the rows by number, then line."""

    rows: list[int] = field(default_factory=list)  # after `read`: by number, each number once
    kinds: list[Kind] = field(default_factory=list)
    bad: list[tuple[int, str]] = field(default_factory=list)  # line, why; in line order


def digits_of(row: int) -> int:
    return row >> NUMBER_SHIFT


def line_of(row: int) -> int:
    return row >> KIND_BITS & LINE_MASK


def _header(first: list[str]) -> list[str] | None:
    """The column names if the first row is a header row, else None (a bare list of numbers)."""
    names = [c.strip().lower().replace(" ", "_") for c in first]
    if not names or (names[0] not in NUMBER_HEADS and not set(names[1:]) & set(OPTIONAL)):
        return None
    unknown = [n for n in names[1:] if n not in OPTIONAL]
    if unknown:
        raise BadInput(f"unknown column {unknown[0]!r} in the header row: the first column is the number, "
                       f"the others may be {', '.join(OPTIONAL)}")
    return ["number", *names[1:]]


CHECKS = {"state": check_state, "rate_center": lambda v: clean_name(v, "rate center"),
          "city": lambda v: clean_name(v, "city"), "lata": clean_lata, "zip": clean_zip}


def _kind(names: list[str], cells: list[str], lines: set[tuple[str, str]], known: dict[Kind, int],
          kinds: list[Kind]) -> int | str:
    """The kind of a row with these cells (its index in `kinds`), or what is wrong with them.

    Rows of one file repeat the same few places and owners, so each combination is checked once."""
    values = {name: cell for name, cell in zip(names, map(str.strip, cells), strict=False) if cell}
    try:
        checked = {name: None if values.get(name) is None else check(values[name]) for name, check in CHECKS.items()}
        customer, service_line = values.get("customer"), values.get("line")
        status = values.get("status", "").lower() or None
        if status is not None and status not in STATUSES:
            raise BadInput(f"status {status!r} cannot be imported: use available or assigned")
        if bool(customer) != bool(service_line):
            raise BadInput("customer and line go together")
        if customer and (customer, service_line) not in lines:
            raise BadInput(f"customer {customer!r} has no service line {service_line!r}")
        if status == "assigned" and not customer:
            raise BadInput("status assigned needs a customer and a line")
        if status == "available" and customer:
            raise BadInput("status available cannot have a customer and a line")
    except BadInput as exc:
        return str(exc)
    kind = Kind(tuple(checked[name] for name in DETAILS), customer, service_line)
    if kind not in known:
        known[kind] = len(kinds)
        kinds.append(kind)
    return known[kind]


def read(stream: TextIO, lines: set[tuple[str, str]]) -> Scan:
    """Every row checked; a number twice is a bad row (the first one stands)."""
    scan = Scan()
    keep, bad = scan.rows.append, scan.bad
    by_cells: dict[tuple[str, ...], int | str] = {}  # a row's cells after the number -> its kind
    by_kind: dict[Kind, int] = {}
    names: list[str] | None = None
    width = 1
    reader = csv.reader(stream)
    try:
        for cells in reader:
            if not cells or not (cells[0].strip() or "".join(cells).strip()):
                continue  # blank lines are no rows
            if names is None:
                header = _header(cells)
                names = header or ["number"]
                width = len(names)
                if header:
                    continue
            rest = tuple(cells[1:width])
            kind = by_cells.get(rest)
            if kind is None:
                kind = by_cells[rest] = _kind(names[1:], cells[1:width], lines, by_kind, scan.kinds)
            try:  # the number is checked first: its fault is the one named
                number = to_e164(cells[0].strip())
            except BadInput as exc:
                bad.append((reader.line_num, str(exc)))
                continue
            if isinstance(kind, str):
                bad.append((reader.line_num, kind))
                continue
            keep((int(number[2:]) << LINE_BITS | reader.line_num) << KIND_BITS | kind)  # see Scan
    except (csv.Error, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read the file as CSV: {exc}") from None
    _order(scan)
    return scan


def _order(scan: Scan) -> None:
    """The rows by number (index pages are then filled in order: inserting is a third faster), a
    number's later rows named as bad. One sort of plain ints, not of row objects."""
    scan.rows.sort()
    numbers = [row >> NUMBER_SHIFT for row in scan.rows]
    if any(map(eq, numbers, islice(numbers, 1, None))):  # a number twice: rare, worth a second look
        unique: list[int] = []
        for row in scan.rows:
            if unique and row >> NUMBER_SHIFT == unique[-1] >> NUMBER_SHIFT:
                scan.bad.append((line_of(row), f"+1{digits_of(row)} is on line {line_of(unique[-1])} already"))
            else:
                unique.append(row)
        scan.rows = unique
    scan.bad.sort()


def _lines(ctx: Context) -> set[tuple[str, str]]:
    with ctx.store.engine.connect() as conn:
        return _line_set(conn)


def _line_set(conn: Connection) -> set[tuple[str, str]]:
    query = select(customers.CUSTOMERS.c.account, customers.LINES.c.line).join(
        customers.LINES, customers.LINES.c.customer_id == customers.CUSTOMERS.c.id)
    return {(a, ln) for a, ln in conn.execute(query)}


def _lines_still_there(conn: Connection, scan: Scan) -> None:
    used = {scan.kinds[k] for k in {row & KIND_MASK for row in scan.rows}}
    wanted = {(k.customer, k.service_line) for k in used if k.service_line}
    if wanted and (gone := sorted(wanted - _line_set(conn))):
        customer, line = gone[0]
        raise BadInput(f"line {line!r} of customer {customer!r} was removed while this import ran: "
                       "nothing was imported")


def import_csv(ctx: Context, inventory_type: str | None, stream: TextIO, *, skip_invalid: bool) -> Report:
    itype = ctx.inventory_type(inventory_type)
    account = ctx.config.account(itype.account)
    scan = read(stream, _lines(ctx))
    if scan.bad and not skip_invalid:
        raise BadInput(_refusal(scan.bad))
    if not scan.rows and not scan.bad:
        raise BadInput("the file holds no numbers")
    report = Report(itype.name, invalid=scan.bad)
    pause("import-decided")
    with ctx.store.begin() as conn:  # held numbers are read under the write lock: none is added twice
        # the type and the lines as they are now: a removal committed meanwhile refuses the import
        ctx.config.still_as_read(inventory_types=itype.name, accounts=account.name)
        _lines_still_there(conn, scan)
        writer = _Writer(conn, scan, report, itype.name, account.carrier, account.name, ctx.actor)
        with indexes_set_aside(conn, ("numbers", "number_events"), len(scan.rows)):
            for start in range(0, len(scan.rows), BATCH):
                writer.write(scan.rows[start:start + BATCH])
    report.held.sort()
    return report


class _Writer:
    """Writes batches of checked rows: new numbers and their history as plain tuples; a number held
    already is reported and left; a disconnected one comes back through `lifecycle.add`."""

    def __init__(self, conn: Connection, scan: Scan, report: Report, inventory_type: str, carrier: str,
                 account: str, actor: str) -> None:
        self.conn, self.scan, self.report = conn, scan, report
        self.imported = report.imported.digits
        self.add = dict(inventory_type=inventory_type, carrier=carrier, account=account, actor=actor)
        stamp = driver_value(conn, STAMP, utcnow())
        # each kind's columns after the number, built once: a row is then one tuple concatenation
        self.number_tail = [(k.status, inventory_type, carrier, account, k.customer, k.service_line, *k.details,
                             stamp, stamp) for k in scan.kinds]
        self.event_tail = [(stamp, None, k.status, None, actor, "imported", k.note) for k in scan.kinds]

    def write(self, rows: list[int]) -> None:
        numbers = [f"+1{row >> NUMBER_SHIFT}" for row in rows]
        known = _statuses(self.conn, numbers)
        back: list[int] = []
        if known:  # else (new numbers, as into a new store) every row is new
            rows, back = self._sort_out(rows, numbers, known)
            coming_back = set(back)
            fresh = [row for row in rows if row not in coming_back]
            numbers = [f"+1{row >> NUMBER_SHIFT}" for row in fresh]
            kinds = [row & KIND_MASK for row in fresh]
        else:
            kinds = [row & KIND_MASK for row in rows]
        self.imported.extend(row >> NUMBER_SHIFT for row in rows)  # by number, the ones coming back too
        number_tail, event_tail = self.number_tail, self.event_tail
        insert_tuples(self.conn, NUMBERS, NUMBER_COLUMNS,
                      [(number, *number_tail[kind]) for number, kind in zip(numbers, kinds, strict=True)])
        insert_tuples(self.conn, EVENTS, EVENT_COLUMNS,
                      [(number, *event_tail[kind]) for number, kind in zip(numbers, kinds, strict=True)])
        if back:
            self._bring_back(back, known)

    def _sort_out(self, rows: list[int], numbers: list[str], known: dict[str, str]) -> tuple[list[int], list[int]]:
        """(the rows to import, those of them disconnected and coming back); the held ones reported."""
        kept, back = [], []
        for row, number in zip(rows, numbers, strict=True):
            status = known.get(number)
            if status is None or status == "disconnected":
                kept.append(row)
                if status:
                    back.append(row)
            else:
                self.report.held.append((line_of(row), number, status))
        return kept, back

    def _bring_back(self, rows: list[int], known: dict[str, str]) -> None:
        from tnorder.carriers.base import AvailableNumber
        from tnorder.services import lifecycle

        groups: dict[Kind, list[AvailableNumber]] = {}
        for row in rows:
            kind = self.scan.kinds[row & KIND_MASK]
            groups.setdefault(kind, []).append(AvailableNumber(f"+1{digits_of(row)}", *kind.details))
        for kind, numbers in groups.items():
            lifecycle.add(self.conn, numbers, status=kind.status, ref=None, event="imported", customer=kind.customer,
                          line=kind.service_line, known=known, note=kind.note, **self.add)


def _statuses(conn: Connection, numbers: list[str]) -> dict[str, str]:
    """The statuses of those of `numbers` in the store, by one statement compiled once per size."""
    sql, names = _statuses_sql(conn.dialect, len(numbers))
    params = tuple(numbers) if names is None else dict(zip(names, numbers, strict=True))
    return dict(conn.exec_driver_sql(sql, params).all())


@cache
def _statuses_sql(dialect: Dialect, size: int) -> tuple[str, tuple[str, ...] | None]:
    """The query and, for drivers taking named parameters, their names (`n0`, `n1`…, in order)."""
    names = tuple(f"n{i}" for i in range(size))
    compiled = select(NUMBERS.c.number, NUMBERS.c.status).where(
        NUMBERS.c.number.in_([bindparam(name) for name in names])).compile(dialect=dialect)
    if compiled.positional:
        assert tuple(compiled.positiontup) == names  # the numbers are passed as a tuple in this order
        return str(compiled), None
    return str(compiled), names


def _refusal(bad: list[tuple[int, str]]) -> str:
    shown = "; ".join(f"line {line}: {why}" for line, why in bad[:SHOWN_BAD])
    more = f"; … and {len(bad) - SHOWN_BAD} more" if len(bad) > SHOWN_BAD else ""
    return (f"{len(bad)} invalid row(s), nothing imported ({shown}{more}); "
            "fix them, or give --skip-invalid to import the rest")
