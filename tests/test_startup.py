"""`tnorder --help` must stay light: no SQLModel, SQLAlchemy or httpx."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("sqlmodel", "sqlalchemy", "httpx")

PROBE = """
import sys
sys.argv = ["tnorder"] + sys.argv[1:]
from tnorder.cli import main
try:
    main()
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
print("HEAVY:" + ",".join(heavy), file=sys.stderr)
"""


def loaded(*args: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=set(HEAVY)), *args],
                          capture_output=True, text=True, timeout=60)
    line = [x for x in done.stderr.splitlines() if x.startswith("HEAVY:")][-1]
    return [m for m in line[len("HEAVY:"):].split(",") if m]


def test_help_imports_nothing_heavy():
    assert loaded("--help") == []


def test_group_help_and_version_import_nothing_heavy():
    for args in (("inventory", "--help"), ("orders", "--help"), ("config", "carrier", "--help"), ("--version",)):
        assert loaded(*args) == [], args


def test_importing_the_package_is_light():
    done = subprocess.run([sys.executable, "-c", "import sys, tnorder, tnorder.cli; "
                           f"print(sorted(m for m in sys.modules if m.split('.')[0] in {set(HEAVY)!r}))"],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]"


def test_the_probe_sees_heavy_modules_when_they_load():
    # guards the test above against passing vacuously
    assert "sqlalchemy" in loaded("orders", "list", "--json")


SCREEN = """
import sys
sys.argv = ["tnorder"] + sys.argv[1:]
from tnorder.cli import main
try:
    main()
except SystemExit:
    pass
print("TEXTUAL:" + str(sorted(m for m in sys.modules if m.split(".")[0] == "textual")[:1]), file=sys.stderr)
"""


def textual_loaded(*args: str) -> str:
    done = subprocess.run([sys.executable, "-c", SCREEN, *args], capture_output=True, text=True, timeout=60)
    return [x for x in done.stderr.splitlines() if x.startswith("TEXTUAL:")][-1]


def test_the_selection_screens_library_loads_only_when_the_screen_opens():
    """Textual takes a few hundred milliseconds to import: help and store commands never pay for it."""
    for args in (("--help",), ("inventory", "order", "--help"), ("inventory", "disconnect", "--help"),
                 ("inventory", "list", "--json"), ("orders", "list"), ("customer", "list")):
        assert textual_loaded(*args) == "TEXTUAL:[]", args
    # guards the check above against passing vacuously: the screen's module does load it
    done = subprocess.run([sys.executable, "-c", "import sys, tnorder.commands.select_app; "
                           "print('textual' in sys.modules)"], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "True"
