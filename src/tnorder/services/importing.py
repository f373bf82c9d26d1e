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
from typing import TYPE_CHECKING, TextIO, overload

from sqlalchemy import DateTime, bindparam, column, select, table

from tnorder.clock import utcnow
from tnorder.criteria import check_state, clean_lata, clean_name, clean_zip
from tnorder.errors import BadInput
from tnorder.numbers import to_e164
from tnorder.services import customers
from tnorder.store import driver_value, insert_tuples
from tnorder.testhooks import pause

if TYPE_CHECKING:
    from sqlalchemy import Connection

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
# one statement compiled once (a literal IN list of 5,000 would be compiled for every batch)
STATUSES_OF = select(NUMBERS.c.number, NUMBERS.c.status).where(NUMBERS.c.number.in_(bindparam("batch", expanding=True)))
ROW_BITS = 32  # a row's index beside its number in one sort key: files up to 4 billion rows


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
    imported: Sequence[str] = field(default_factory=E164s)
    held: list[tuple[int, str, str]] = field(default_factory=list)  # line, number, where it is
    invalid: list[tuple[int, str]] = field(default_factory=list)  # line, why

    def as_dict(self) -> dict:
        return {"inventory_type": self.inventory_type, "imported": list(self.imported),
                "already_held": [{"line": ln, "number": n, "status": st} for ln, n, st in self.held],
                "skipped": [{"line": ln, "reason": why} for ln, why in self.invalid]}


@dataclass
class Scan:
    """A file read and checked. Good rows are parallel arrays: their number's ten digits, their line,
    their kind (an index into `kinds`); `order` lists them by number, each number once."""

    digits: array = field(default_factory=lambda: array("q"))
    lines: array = field(default_factory=lambda: array("q"))
    kind_of: array = field(default_factory=lambda: array("q"))
    kinds: list[Kind] = field(default_factory=list)
    order: array = field(default_factory=lambda: array("q"))
    bad: list[tuple[int, str]] = field(default_factory=list)  # line, why; in line order

    def number(self, row: int) -> str:
        return f"+1{self.digits[row]}"

    def kind(self, row: int) -> Kind:
        return self.kinds[self.kind_of[row]]


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
    digits, row_lines, kind_of, bad = scan.digits, scan.lines, scan.kind_of, scan.bad
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
            digits.append(int(number[2:]))
            row_lines.append(reader.line_num)
            kind_of.append(kind)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read the file as CSV: {exc}") from None
    _order(scan)
    return scan


def _order(scan: Scan) -> None:
    """`scan.order`: the rows by number (index pages are then filled in order: inserting is a third
    faster), a number's later rows named as bad. One sort of plain ints, not of row objects."""
    mask = (1 << ROW_BITS) - 1
    keys = sorted(number << ROW_BITS | row for row, number in enumerate(scan.digits))
    previous, first = -1, 0
    for key in keys:
        number, row = key >> ROW_BITS, key & mask
        if number == previous:
            scan.bad.append((scan.lines[row], f"+1{number} is on line {scan.lines[first]} already"))
            continue
        previous, first = number, row
        scan.order.append(row)
    scan.bad.sort()


def _lines(ctx: Context) -> set[tuple[str, str]]:
    with ctx.store.engine.connect() as conn:
        return _line_set(conn)


def _line_set(conn: Connection) -> set[tuple[str, str]]:
    query = select(customers.CUSTOMERS.c.account, customers.LINES.c.line).join(
        customers.LINES, customers.LINES.c.customer_id == customers.CUSTOMERS.c.id)
    return {(a, ln) for a, ln in conn.execute(query)}


def _lines_still_there(conn: Connection, scan: Scan) -> None:
    used = {scan.kinds[k] for k in set(scan.kind_of)}
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
    if not scan.order and not scan.bad:
        raise BadInput("the file holds no numbers")
    report = Report(itype.name, invalid=scan.bad)
    pause("import-decided")
    with ctx.store.begin() as conn:  # held numbers are read under the write lock: none is added twice
        # the type and the lines as they are now: a removal committed meanwhile refuses the import
        ctx.config.still_as_read(inventory_types=itype.name, accounts=account.name)
        _lines_still_there(conn, scan)
        writer = _Writer(conn, scan, report, itype.name, account.carrier, account.name, ctx.actor)
        for start in range(0, len(scan.order), BATCH):
            writer.write(scan.order[start:start + BATCH])
    report.held.sort()
    return report


class _Writer:
    """Writes batches of checked rows: new numbers and their history as plain tuples; a number held
    already is reported and left; a disconnected one comes back through `lifecycle.add`."""

    def __init__(self, conn: Connection, scan: Scan, report: Report, inventory_type: str, carrier: str,
                 account: str, actor: str) -> None:
        self.conn, self.scan, self.report = conn, scan, report
        self.imported: array = report.imported.digits  # type: ignore[attr-defined]
        self.add = dict(inventory_type=inventory_type, carrier=carrier, account=account, actor=actor)
        stamp = driver_value(conn, STAMP, utcnow())
        # each kind's columns after the number, built once: a row is then one tuple concatenation
        self.number_tail = [(k.status, inventory_type, carrier, account, k.customer, k.service_line, *k.details,
                             stamp, stamp) for k in scan.kinds]
        self.event_tail = [(stamp, None, k.status, None, actor, "imported", k.note) for k in scan.kinds]

    def write(self, rows: array) -> None:
        scan = self.scan
        batch = [f"+1{scan.digits[row]}" for row in rows]
        known = dict(self.conn.execute(STATUSES_OF, {"batch": batch}).all())
        fresh, events, back = [], [], []
        for row, number in zip(rows, batch, strict=True):
            status = known.get(number)
            if status is None:
                kind = scan.kind_of[row]
                fresh.append((number, *self.number_tail[kind]))
                events.append((number, *self.event_tail[kind]))
            elif status == "disconnected":  # a disconnected one comes back
                back.append(row)
            else:
                self.report.held.append((scan.lines[row], number, status))
                continue
            self.imported.append(scan.digits[row])
        insert_tuples(self.conn, NUMBERS, NUMBER_COLUMNS, fresh)
        insert_tuples(self.conn, EVENTS, EVENT_COLUMNS, events)
        if back:
            self._bring_back(back, known)

    def _bring_back(self, rows: list[int], known: dict[str, str]) -> None:
        from tnorder.carriers.base import AvailableNumber
        from tnorder.services import lifecycle

        groups: dict[Kind, list[AvailableNumber]] = {}
        for row in rows:
            kind = self.scan.kind(row)
            groups.setdefault(kind, []).append(AvailableNumber(self.scan.number(row), *kind.details))
        for kind, numbers in groups.items():
            lifecycle.add(self.conn, numbers, status=kind.status, ref=None, event="imported", customer=kind.customer,
                          line=kind.service_line, known=known, note=kind.note, **self.add)


def _refusal(bad: list[tuple[int, str]]) -> str:
    shown = "; ".join(f"line {line}: {why}" for line, why in bad[:SHOWN_BAD])
    more = f"; … and {len(bad) - SHOWN_BAD} more" if len(bad) > SHOWN_BAD else ""
    return (f"{len(bad)} invalid row(s), nothing imported ({shown}{more}); "
            "fix them, or give --skip-invalid to import the rest")
