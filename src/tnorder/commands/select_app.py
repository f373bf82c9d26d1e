"""The selection screen: the lookup's Rich table, with a checkbox per number (Textual's DataTable).

Keys: arrows / PgUp / PgDn / Home / End move, space ticks, `a` ticks all shown, `n` unticks all,
`/` filters by digits or rate center, enter confirms what is ticked, Esc or Ctrl-C aborts.
Imported only when the screen opens (Textual takes a few hundred milliseconds to import).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Input, Static

TICKED, UNTICKED = "[x]", "[ ]"
HELD_EVERY = 15.0  # seconds between redraws of the hold's time left
NOTES_EVERY = 0.5  # seconds between looks for notes from the selection's thread


class Rows(DataTable):
    """The table: enter confirms (it does not just select a cell), space ticks."""

    BINDINGS = [  # noqa: RUF012 - Textual's own convention
        Binding("space", "app.tick", "tick"),
        Binding("a", "app.all", "all"),
        Binding("n", "app.none", "none"),
        Binding("slash", "app.filter", "filter"),
        Binding("enter", "app.confirm", "confirm", priority=True),
    ]


class Filter(Input):
    BINDINGS = [Binding("escape", "app.unfilter", "clear filter")]  # noqa: RUF012


class SelectApp(App[list[int] | None]):
    """Returns the ticked rows' indices (enter), or None (Esc, Ctrl-C)."""

    ENABLE_COMMAND_PALETTE = False  # Textual's ^p palette offers nothing a selection needs
    CSS = "Rows { height: 1fr; } #title { padding: 0 1; } Filter { display: none; } Filter.shown { display: block; }"
    BINDINGS = [  # noqa: RUF012
        Binding("escape", "abort", "abort"),
        Binding("ctrl+c", "abort", "abort", priority=True, show=False),
    ]

    def __init__(self, rows: Sequence[dict], columns: Sequence[tuple[str, str]], *, title: str,
                 held: Callable[[], str] | None = None, verb: str = "order", notes: list[str] | None = None) -> None:
        super().__init__()
        self.notes, self.noted = notes if notes is not None else [], 0
        self.rows, self.columns, self.heading, self.held, self.verb = list(rows), list(columns), title, held, verb
        self.ticked: set[int] = set()
        self.shown: list[int] = list(range(len(self.rows)))

    def compose(self) -> ComposeResult:
        yield Static(id="title")
        yield Filter(placeholder="filter: digits or rate center (enter to apply, Esc to clear)")
        yield Rows(cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(Rows)
        table.add_column(" ", key="tick")
        for key, head in self.columns:
            table.add_column(head, key=key)
        self._fill()
        table.focus()
        if self.held is not None:
            self.set_interval(HELD_EVERY, self._say)
        self.set_interval(NOTES_EVERY, self._notes)

    def _notes(self) -> None:
        for text in self.notes[self.noted:]:
            self.notify(text, severity="warning", timeout=10)
            self.noted += 1
            self._say()  # an extended hold moves the time left

    def _fill(self) -> None:
        table = self.query_one(Rows)
        table.clear()
        for i in self.shown:
            cells = [str(self.rows[i].get(key) or "") for key, _ in self.columns]
            table.add_row(self._box(i), *(Text(c) for c in cells), key=str(i))
        self._say()

    def _box(self, i: int) -> Text:
        return Text(TICKED if i in self.ticked else UNTICKED)

    def _say(self) -> None:
        held = self.held() if self.held is not None else ""
        shown = f", {len(self.shown)} shown" if len(self.shown) != len(self.rows) else ""
        at = f" · row {self.query_one(Rows).cursor_row + 1} of {len(self.shown)}" if self.shown else ""
        self.query_one("#title", Static).update(Text(
            f"{self.heading}{held}\n{len(self.ticked)} ticked to {self.verb}{shown}{at}"))

    def on_data_table_row_highlighted(self) -> None:
        self._say()

    def _redraw(self, indices: list[int]) -> None:
        table = self.query_one(Rows)
        for i in indices:
            table.update_cell(str(i), "tick", self._box(i))
        self._say()

    def action_tick(self) -> None:
        table = self.query_one(Rows)
        if not self.shown:
            return
        i = self.shown[table.cursor_row]
        self.ticked ^= {i}
        self._redraw([i])

    def action_all(self) -> None:
        self.ticked |= set(self.shown)
        self._redraw(self.shown)

    def action_none(self) -> None:
        self.ticked -= set(self.shown)
        self._redraw(self.shown)

    def action_filter(self) -> None:
        box = self.query_one(Filter)
        box.add_class("shown")
        box.focus()

    def action_unfilter(self) -> None:
        box = self.query_one(Filter)
        box.value = ""
        self._apply("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._apply(event.value)

    def _apply(self, text: str) -> None:
        self.shown = [i for i in range(len(self.rows)) if matches(self.rows[i], text)]
        if not text:
            self.query_one(Filter).remove_class("shown")
        self._fill()
        self.query_one(Rows).focus()

    def action_confirm(self) -> None:
        self.exit(sorted(self.ticked))

    def action_abort(self) -> None:
        self.exit(None)


def matches(row: dict, text: str) -> bool:
    """Digits match anywhere in the number (`919555` or `555-01`); words match the rate center."""
    text = text.strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if digits and len(digits) == len("".join(ch for ch in text if ch.isalnum())):
        return digits in (row.get("number") or "")
    return text.lower() in (row.get("rate_center") or "").lower()
