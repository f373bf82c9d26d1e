"""Helpers shared by the benchmark scripts (not a test module; run the scripts directly)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

# the tests' helpers (tests/emulator.py) start processes through their fork server; a benchmark
# starts its emulator as an operator would: exec'd, paying its own start-up
os.environ.setdefault("TNORDER_TEST_FORK", "0")

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
PY = str(VENV / "bin" / "python") if (VENV / "bin" / "python").exists() else sys.executable
# a checkout without its own .venv (a git worktree) runs the tnorder of the venv running this script
TNORDER = str(VENV / "bin" / "tnorder") if (VENV / "bin" / "tnorder").exists() else str(Path(PY).parent / "tnorder")


def env(**extra: str) -> dict[str, str]:
    e = dict(os.environ)
    e.pop("TNORDER_DB", None)
    e.setdefault("TNORDER_OPERATOR", "bench")
    e.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode caches on: measure warm starts
    e.update(extra)
    return e


def run_once(cmd: list[str], environ: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds user+sys) of one run of `cmd`, output discarded.

    CPU time comes from os.wait4 for this child alone; it is steadier than wall time when other
    work shares the machine's two cores, so the scripts report both.
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read()
    proc.stderr.close()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{err.decode()}")
    return wall, usage.ru_utime + usage.ru_stime


def medians(commands: dict[str, list[str]], reps: int, environ: dict[str, str] | None = None,
            warmup: int = 2) -> dict[str, tuple[float, float, float]]:
    """(median wall, median CPU, min wall) seconds of each command; runs are interleaved so drift
    and other work on the machine hit every command alike."""
    for cmd in commands.values():
        for _ in range(warmup):
            run_once(cmd, environ)
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(reps):
        for name, cmd in commands.items():
            wall, cpu = run_once(cmd, environ)
            walls[name].append(wall)
            cpus[name].append(cpu)
    return {name: (statistics.median(walls[name]), statistics.median(cpus[name]), min(walls[name]))
            for name in commands}


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def verdict(ratio: float, budget: float) -> str:
    return "PASS" if ratio <= budget else "FAIL"


def line(label: str, value: str) -> None:
    print(f"  {label:<58} {value}")
