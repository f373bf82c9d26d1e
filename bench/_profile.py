"""Run a module as `python -m` would, with every thread under cProfile on its own CPU clock.

    python bench/_profile.py FILE -m MODULE [ARGS...]

Writes one pstats file (all threads merged) to FILE; exits as the module did. `python -m cProfile`
profiles the main thread alone on the wall clock: for a command whose work runs in a thread pool
(`inventory order --from-file`, `orders poll`) it shows the main thread waiting on futures. Here
each thread gets its own profiler timed by `time.thread_time`, so a function's own time is the
CPU it used, summed over threads (a wall clock would put the pool's lock, queue and socket waits
first). Reading that clock is a system call, twice a call: raw own times carry that cost,
which `_common.calibrated` measures and takes back out when the table is printed.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import runpy
import sys
import threading
import time
from types import FrameType
from typing import Any

_profilers: list[cProfile.Profile] = []
_lock = threading.Lock()


def _hand_over(frame: FrameType, event: str, arg: Any) -> None:
    """The first event of a new thread: give the thread a profiler of its own (it replaces this hook)."""
    profiler = cProfile.Profile(time.thread_time)
    with _lock:
        _profilers.append(profiler)
    profiler.enable()


def _write(main: cProfile.Profile, path: str) -> None:
    main.disable()  # first: each create_stats below disables the calling thread's profiler
    with _lock:
        others = list(_profilers)
    merged = pstats.Stats(main)
    for profiler in others:
        merged.add(profiler)
    merged.dump_stats(path)


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "-m":
        raise SystemExit(__doc__)
    out, module, args = argv[0], argv[2], argv[3:]
    sys.argv = [module, *args]
    sys.path[0] = os.getcwd()  # as `python -m`: not bench/, whose batch.py and poll.py are not tnorder's
    threading.setprofile(_hand_over)
    profiler = cProfile.Profile(time.thread_time)
    code: int | str | None = 0
    profiler.enable()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        code = exit_.code
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
        _write(profiler, out)
    if isinstance(code, str):  # as the interpreter does with sys.exit("message")
        print(code, file=sys.stderr)
    return code if isinstance(code, int) else (0 if code is None else 1)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
