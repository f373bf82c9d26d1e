"""Global options anywhere on the command line: `tnorder orders poll -v` as well as `tnorder -v orders poll`.

Click reads an option only at the level that declares it; operators add `-v` or `--db` at the end
of the command they just ran, so the root's options are moved to the front before parsing.
"""

from __future__ import annotations

FLAGS = frozenset({"--verbose", "-v"})
WITH_VALUE = frozenset({"--db"})


def hoist(argv: list[str]) -> list[str]:
    """`argv` with the root's options first, each in its original order; `--` ends the search."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest += argv[i:]
            break
        if arg in FLAGS or ("=" in arg and arg.split("=", 1)[0] in WITH_VALUE):
            front.append(arg)
        elif arg in WITH_VALUE and i + 1 < len(argv):
            front += argv[i:i + 2]
            i += 1
        else:
            rest.append(arg)
        i += 1
    return front + rest
