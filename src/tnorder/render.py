"""Output: Rich tables on a terminal, plain columns otherwise, JSON, JSON lines and CSV documents.

Data goes to stdout; messages, progress and warnings go to stderr. JSON has one layout everywhere:
compact, and an array puts each element on a line of its own (so `grep` and `head` work on it and
a million rows stream in bounded memory).
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


@cache
def _console(stderr: bool) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def __getattr__(name: str) -> Console:
    """`render.out` / `render.err`, built on first use: `--json` output never pays for Rich."""
    if name in ("out", "err"):
        return _console(name == "err")
    raise AttributeError(name)


# what a terminal obeys instead of showing (C0 and C1 controls, DEL, direction overrides, line
# separators): never printed, whoever typed or stored it
_CONTROL = "\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
CONTROL = re.compile(f"[\x00-\x1f{_CONTROL}]")
_CONTROL_BUT_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f{_CONTROL}]")


def printable(text: str, *, lines: bool = False) -> str:
    """`text` without control characters (`lines`: newlines kept)."""
    if text.isprintable():
        return text
    return (_CONTROL_BUT_NEWLINE if lines else CONTROL).sub("", text)


def cut(text: str, given: Iterable[str] = (), limit: int = 60, long: int = 200, whole: int = 1000) -> str:
    """`text` with each argument of `given` longer than `long` (a path may well be near it) that it
    echoes cut to its first `limit` characters, and at most `whole` characters in all: an error
    quoting a 100 KB argument stays one readable line."""
    values = {v for arg in given for v in (arg, arg.strip(), arg.partition("=")[2]) if len(v) > long}
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, value[:limit] + "…")
        escaped = repr(value)[1:-1]  # as `!r` shows it
        if escaped != value:
            text = text.replace(escaped, escaped[:limit] + "…")
    return text if len(text) <= whole else text[:whole] + "…"


def line(text: str) -> None:
    """A line of data on stdout (a document's summary, a detail): without control characters."""
    sys.stdout.write(printable(text, lines=True) + "\n")


def message(text: str) -> None:
    text = printable(text, lines=True)
    if not sys.stderr.isatty():  # plain text needs no Rich (a store command's start-up is counted)
        sys.stderr.write(text + "\n")
        return
    _console(True).print(text, markup=False, soft_wrap=False)  # wrapped between words, not by the terminal


def warning(text: str) -> None:
    text = printable(text, lines=True)
    if not sys.stderr.isatty():
        sys.stderr.write(f"warning: {text}\n")
        return
    _console(True).print(f"warning: {text}", markup=False, style="yellow", soft_wrap=False)


def emit_json(document: Any) -> None:
    """One JSON document on stdout, in the one layout (see the module's docstring)."""
    if isinstance(document, list):
        stream_json(document)
        return
    sys.stdout.write(json.dumps(document, default=str) + "\n")


def stream_jsonl(rows: Iterable[dict]) -> int:
    """One compact object per line and nothing at all when there are none: safe to append to a log."""
    write = sys.stdout.write
    count = 0
    for row in rows:
        write(json.dumps(row, default=str) + "\n")
        count += 1
    return count


def stream_json(rows: Iterable[dict]) -> int:
    """A JSON array written row by row, so a million numbers need no more memory than one."""
    write = sys.stdout.write
    count = 0
    write("[")
    for row in rows:
        write(("\n" if count == 0 else ",\n") + json.dumps(row, default=str))
        count += 1
    write("\n]\n" if count else "]\n")
    return count


# a spreadsheet runs a cell that starts so as a formula (OWASP: CSV injection); a leading `'` makes it
# text. A number (or a list of them), already E.164, stays as it is: `+1919…` is read as digits.
FORMULA_START = tuple("=+-@\t\r")
_NUMBERS = re.compile(r"\+[0-9]{1,15}(?: \+[0-9]{1,15})*")


def neutral(value: object) -> object:
    """A cell as a spreadsheet (or a terminal, `cat`) may show it: never a formula (see FORMULA_START),
    no control character."""
    if not isinstance(value, str):
        return value
    if not value.isprintable():
        value = CONTROL.sub("", value)
    if value.startswith(FORMULA_START) and not _NUMBERS.fullmatch(value):
        return "'" + value
    return value


def _neutral_row(row: dict) -> dict:
    changed = {key: new for key, value in row.items() if (new := neutral(value)) is not value}
    return row | changed if changed else row


# columns a reader copies or types back: never truncated, never folded
WHOLE = ("#", "number", "order_ref")
# columns that say what a row is: never left out to fit (they fold instead, as a last resort)
IDENTIFYING = (*WHOLE, "inventory_type", "customer", "line", "event", "note")
# details that go first when a table is too wide, in this order (after columns of zeros)
MINOR = ("activated_at", "created_at", "updated_at", "lata", "zip", "city", "actor", "description",
         "rate_center", "from_status", "state")
FOLD_MIN = 6  # narrowest a folding column gets before another one is left out instead
_EDGES = 1  # a Rich table's closing border, besides 3 characters a column (padding and a border)
FOOTER = "left out at {width} columns: {heads} (--format csv or a wider terminal shows them)"


def table(rows: Iterable[dict], columns: Sequence[tuple[str, str]], *, title: str | None = None,
          numbered: bool = False, console: Console | None = None, empty: str | None = None,
          on_terminal: Callable[[dict], dict] | None = None) -> int:
    """A Rich table on a terminal; tab-separated columns with a header line otherwise.

    `empty`: said on stderr instead of drawing an empty box when there are no rows.
    `on_terminal`: how a row reads on a terminal (a pipe gets the row as it is).
    """
    heads = (["#"] if numbered else []) + [head for _, head in columns]
    plain = not sys.stdout.isatty() if console is None else not console.is_terminal
    if plain:  # tab-separated for pipes, without loading Rich
        return _plain(_cells(rows, columns, numbered), heads, console, empty)
    keys = (["#"] if numbered else []) + [key for key, _ in columns]
    cells = list(_cells(map(on_terminal, rows) if on_terminal else rows, columns, numbered))
    if not cells:
        if empty:
            message(empty)
        return 0
    _draw(cells, keys, heads, title, console or _console(False))
    return len(cells)


def _plain(lines: Iterable[list[str]], heads: list[str], console: Console | None, empty: str | None) -> int:
    stream = sys.stdout if console is None else console.file
    stream.write("\t".join(heads) + "\n")
    count = 0
    for cells in lines:  # read as TSV by spreadsheets too: formulas neutralised
        stream.write("\t".join(map(neutral, cells)) + "\n")  # type: ignore[arg-type]
        count += 1
    if not count and empty:
        message(empty)
    return count


def _draw(cells: list[list[str]], keys: list[str], heads: list[str], title: str | None, console: Console) -> None:
    from rich.table import Table
    from rich.text import Text

    shown, widths, left_out = _fitting(keys, heads, cells, console.width)
    grid = Table(title=title, header_style="bold")
    for i in shown:
        grid.add_column(heads[i], justify="right" if keys[i] == "#" else "left", no_wrap=keys[i] in WHOLE,
                        width=widths.get(i), overflow="fold")
    for row in cells:
        grid.add_row(*(Text(row[i]) for i in shown))  # a cell is data, never Rich markup ("[link=…]")
    console.print(grid)
    if left_out:  # never a silent loss: what is missing, and where to see it
        names = ", ".join(heads[i] or keys[i] for i in left_out)
        console.print(FOOTER.format(width=console.width, heads=names), style="dim", markup=False,
                      highlight=False, soft_wrap=False)


def _fitting(keys: list[str], heads: list[str], cells: list[list[str]],
             width: int) -> tuple[list[int], dict[int, int], list[int]]:
    """Which columns to show at this width, the widths to give them, and which were left out to fit.

    A column empty in every row is not shown (it hides nothing); then, while the table is too wide,
    columns of zeros go, then MINOR details, then the widest others; IDENTIFYING ones always stay.
    """
    natural = [max(len(heads[i]), *(len(row[i]) for row in cells)) for i in range(len(keys))]
    need = [n if keys[i] in WHOLE else min(n, max(FOLD_MIN, _longest_word(heads[i], cells, i)))
            for i, n in enumerate(natural)]
    shown = [i for i in range(len(keys)) if keys[i] in ("#", "number") or any(row[i] for row in cells)]
    left_out: list[int] = []
    going = sorted((i for i in shown if keys[i] not in IDENTIFYING),
                   key=lambda i: _goes_before(keys, cells, natural, i))
    while going and sum(need[i] + 3 for i in shown) + _EDGES > width:
        left_out.append(going.pop(0))
        shown.remove(left_out[-1])
    return shown, _widths(shown, keys, need, natural, width), sorted(left_out)


def _widths(shown: list[int], keys: list[str], need: list[int], natural: list[int], width: int) -> dict[int, int]:
    """Widths for a table that must fold: each column keeps its longest word while it can, the room
    left goes to the columns furthest from their natural width; short of room, the widest folding
    column gives first. Rich alone would cut a short column's word ("ACME-INDUSTRIA/L") to spare a
    long one. A table that fits keeps Rich's own widths."""
    whole = {i: natural[i] for i in shown if keys[i] in WHOLE}
    folding = [i for i in shown if i not in whole]
    spare = width - _EDGES - sum(need[i] + 3 for i in shown)
    if not folding or sum(natural[i] - need[i] for i in folding) <= spare:
        return whole
    widths = whole | {i: need[i] for i in folding}
    for _ in range(max(spare, 0)):
        i = max(folding, key=lambda i: natural[i] - widths[i])
        widths[i] += 1
    for _ in range(max(-spare, 0)):
        i = max(folding, key=lambda i: widths[i])
        if widths[i] <= 1:
            return whole  # not even one character a column: Rich overflows as it can
        widths[i] -= 1
    return widths


def _longest_word(head: str, cells: list[list[str]], i: int) -> int:
    # a folding column still keeps its longest word whole ("complete", not "comple/te")
    return max(len(w) for text in [head, *(row[i] for row in cells)] for w in text.split() or [""])


def _goes_before(keys: list[str], cells: list[list[str]], natural: list[int], i: int) -> tuple:
    """The order columns are left out in: zeros, then MINOR details in their order, then the widest."""
    zeros = all(row[i] in ("", "0") for row in cells)
    minor = MINOR.index(keys[i]) if keys[i] in MINOR else len(MINOR)
    return (not zeros, minor, -natural[i], -i)


def spelled(number: str, word: str) -> str:
    """`+18003569377` found for `FLOWERS` -> `+1 800-FLOWERS`: the word where its keypad digits stand
    (the last place they do), as a terminal shows a vanity number; it reads back as the number.
    A number without the word's digits is shown as it is."""
    from tnorder.numbers import keypad_digits

    word = word.upper()
    npa, subscriber = number[2:5], number[5:]
    at = subscriber.rfind(keypad_digits(word)) if number.startswith("+1") and len(subscriber) == 7 else -1
    if at < 0:
        return number
    before, after = subscriber[:at], subscriber[at + len(word):]
    return "-".join(filter(None, (f"+1 {npa}", before, word, after)))


def minute(text: str) -> str:
    """`2026-11-26T13:40:12Z` -> `2026-11-26 13:40`: people read times to the minute; documents keep seconds."""
    return f"{text[:10]} {text[11:16]}" if len(text) >= 16 and text[10:11] == "T" else text


def _cell(key: str, value: object) -> str:
    if value is None:
        return ""
    return minute(str(value)) if key == "at" or key.endswith(("_at", "_until")) else str(value)


def _cells(rows: Iterable[dict], columns: Sequence[tuple[str, str]], numbered: bool) -> Iterator[list[str]]:
    for i, row in enumerate(rows, 1):
        cells = [_cell(key, row.get(key)) for key, _ in columns]
        if not "".join(cells).isprintable():  # one check a row: the usual row has nothing to strip
            cells = [CONTROL.sub("", cell) for cell in cells]
        yield ([str(i)] if numbered else []) + cells


def summary(doc: dict, console: Console | None = None) -> None:
    """`inventory summary` on a terminal: two tables, bars scaled to the largest count."""
    from tnorder.statuses import NUMBER_STATUSES

    heads = [("inventory_type", "Inventory type"), *((s, s.capitalize()) for s in NUMBER_STATUSES),
             ("total", "Total")]
    table(doc["by_type"], heads, title="Numbers by inventory type and status", console=console,
          empty="no inventory types")
    areas = doc["available_by_area_code"]
    if not areas:
        message("no available numbers")
        return
    columns = [("area_code", "Area code"), ("available", "Available")]
    if not (sys.stdout.isatty() if console is None else console.is_terminal):  # bars are for eyes only
        table(areas, columns, title="Available numbers by area code", console=console)
        return
    top = max(a["available"] for a in areas)
    width = max(10, min(40, (console or _console(False)).width - 30))
    rows = [a | {"bar": "█" * max(1, round(a["available"] / top * width))} for a in areas]
    table(rows, [*columns, ("bar", "")], title="Available numbers by area code", console=console)


# --- one output switch: `--format table|json|jsonl|csv|tsv` and `--fields` on every data command ---

FORMATS = ("table", "json", "jsonl", "csv", "tsv")


class Output:
    """This invocation's `--format` and `--fields` (set once by the command, read where it writes)."""

    def __init__(self, form: str = "table", fields: tuple[str, ...] | None = None) -> None:
        self.form, self.fields = form, fields

    @property
    def document(self) -> bool:
        """stdout carries what `emit` writes (a document, or the --fields table): prompts and other
        tables go to stderr."""
        return self.form != "table" or self.fields is not None


# one output a process, chosen by the command before it does anything: what it prints several calls
# down (an order's document after the carrier answered) reads it here instead of every layer passing it on
chosen = Output()


def choose(form: str, fields: tuple[str, ...] | None) -> Output:
    global chosen
    chosen = Output(form, fields)
    return chosen


def emit(document: Any, keys: Sequence[str], *, flat: Callable[[dict], dict] | None = None,
         rows: Callable[[Any], Iterable[dict]] | None = None) -> bool:
    """`document` (one object, or rows) in the chosen form, with the chosen fields (else `keys`, its
    keys). False for `table` without --fields: the command draws its own table.

    `rows`: the flat row form of a nested document (csv, tsv, jsonl, and any form with --fields);
    `flat`: a row as csv/tsv/table cells (lists and objects become text)."""
    out = chosen
    if out.form == "table" and out.fields is None:
        return False
    if out.form == "json" and out.fields is None:
        stream_json(document) if _lazy(document) else emit_json(document)  # rows from a cursor: streamed
        return True
    single = isinstance(document, dict) and rows is None
    fields = list(out.fields or keys)
    picked = ({k: row.get(k) for k in fields} for row in (rows(document) if rows else
                                                          [document] if single else document))
    if out.form == "json":
        emit_json(next(picked) if single else list(picked))
    elif out.form == "jsonl":
        stream_jsonl(picked)
    else:
        cells = (flat_cells(flat(row) if flat else row) for row in picked)
        if out.form == "table":
            table(cells, [(k, k.replace("_", " ").capitalize()) for k in fields])
        else:
            stream_delimited(cells, fields, "\t" if out.form == "tsv" else ",")
    return True


def _lazy(document: Any) -> bool:
    return not isinstance(document, (dict, list))


def flat_cells(row: dict) -> dict:
    """A row as cells: a list of plain values joined by spaces, other lists and objects as compact JSON."""
    return {k: _flat(v) for k, v in row.items()}


def _flat(value: object) -> object:
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return " ".join(map(str, value))
    if isinstance(value, (list, dict)):
        return json.dumps(value, default=str, separators=(",", ":"))
    return value


def stream_delimited(rows: Iterable[dict], columns: Sequence[str], delimiter: str) -> int:
    """CSV (`,`) or TSV (`\\t`): a header row, then neutralised cells (no formula, no control
    character, so a TSV cell never holds a tab or a line break)."""
    writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore", delimiter=delimiter,
                            lineterminator="\r\n" if delimiter == "," else "\n")  # CSV as RFC 4180 has it
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(_neutral_row(row))
        count += 1
    return count
