"""Output: Rich tables on a terminal, plain columns otherwise, JSON and CSV documents.

Data goes to stdout; messages, progress and warnings go to stderr.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
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


def message(text: str) -> None:
    _console(True).print(text, markup=False)


def warning(text: str) -> None:
    _console(True).print(f"warning: {text}", markup=False, style="yellow")


def emit_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")


def stream_json(rows: Iterable[dict]) -> int:
    """A JSON array written row by row, so a million numbers need no more memory than one."""
    write = sys.stdout.write
    count = 0
    write("[")
    for row in rows:
        write(("\n  " if count == 0 else ",\n  ") + json.dumps(row, default=str))
        count += 1
    write("\n]\n" if count else "]\n")
    return count


def stream_csv(rows: Iterable[dict], columns: Sequence[str]) -> int:
    writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def table(rows: Iterable[dict], columns: Sequence[tuple[str, str]], *, title: str | None = None,
          numbered: bool = False, console: Console | None = None) -> int:
    """A Rich table on a terminal; tab-separated columns with a header line otherwise."""
    console = console or _console(False)
    heads = (["#"] if numbered else []) + [head for _, head in columns]
    lines = _cells(rows, columns, numbered)
    if not console.is_terminal:
        stream = console.file
        stream.write("\t".join(heads) + "\n")
        count = 0
        for cells in lines:
            stream.write("\t".join(cells) + "\n")
            count += 1
        return count
    from rich.table import Table

    grid = Table(title=title, header_style="bold")
    for head in heads:
        grid.add_column(head, justify="right" if head == "#" else "left")
    count = 0
    for cells in lines:
        grid.add_row(*cells)
        count += 1
    console.print(grid)
    return count


def _cells(rows: Iterable[dict], columns: Sequence[tuple[str, str]], numbered: bool) -> Iterator[list[str]]:
    for i, row in enumerate(rows, 1):
        cells = ["" if row.get(key) is None else str(row.get(key)) for key, _ in columns]
        yield ([str(i)] if numbered else []) + cells
