"""Helpers shared by the benchmark scripts (not a test module; run the scripts directly)."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pstats

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


# -- what bounds a goal that FAILs: a profile and lower bounds of the wall from the run's own figures

PROFILE = Path(__file__).resolve().parent / "_profile.py"
FORCE_FAIL = os.environ.get("BENCH_FORCE_FAIL") == "1"
FORCED_DIVISOR = 1000.0


def budget(seconds: float) -> float:
    """A time budget, divided by 1,000 under BENCH_FORCE_FAIL=1: a quick run with small figures then
    takes the FAIL branch and prints its bound section (every figure is measured; only the budget is not)."""
    return seconds / FORCED_DIVISOR if FORCE_FAIL else seconds


def forced_note() -> str:
    return f"; BENCH_FORCE_FAIL=1: every time budget divided by {FORCED_DIVISOR:,.0f}" if FORCE_FAIL else ""


def profiled(out: Path, *args: str) -> list[str]:
    """`python -m tnorder ARGS` under bench/_profile.py: every thread profiled on its CPU clock."""
    return [PY, str(PROFILE), str(out), "-m", "tnorder", *args]


def cpu_seconds(pid: int) -> float:
    """user + system CPU of a running process so far (Linux /proc): the emulator's share of a run."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Beside:
    """One run of a command while an emulator serves it."""

    wall: float
    cpu: float  # the command's user + system
    served: float  # the emulator's CPU meanwhile
    code: int
    out: bytes
    err: str


def run_beside(command: list[str], environ: dict[str, str], emulator_pid: int) -> Beside:
    """Run `command` (stdout kept, stderr kept for a failure) and read the emulator's CPU around it."""
    before = cpu_seconds(emulator_pid)
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        proc = subprocess.Popen(command, env=environ, stdout=subprocess.PIPE, stderr=errors)
        out = proc.stdout.read()
        proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        served = cpu_seconds(emulator_pid) - before
        errors.seek(0)
        err = errors.read().decode(errors="replace")
    return Beside(wall, usage.ru_utime + usage.ru_stime, served, os.waitstatus_to_exitcode(status), out, err)


# the emulator's log line of one request it answered ("12:00:01 GET /api/... 200")
REQUEST = re.compile(r"^\S+ (?:GET|POST|PUT|DELETE|PATCH) \S+ \d{3}$")


def requests_in(log: list[str]) -> int:
    return sum(1 for row in log if REQUEST.match(row.strip()))


def cores() -> int:
    return os.cpu_count() or 1


def _where(path: str, lineno: int, name: str) -> str:
    """A function as `package/module.py:line name`: a bare file name is ambiguous (base.py, session.py)."""
    if path == "~":  # a built-in: its name says it all
        return name
    for marker in (r"/site-packages/", r"/src/", r"/lib/python3\.\d+/"):  # installed, ours, the stdlib
        found = re.search(marker, path)
        if found:
            path = path[found.end():]
            break
    return f"{path}:{lineno} {name}"


def _package(path: str) -> str:
    """Whose code a profiled function is: a package's, the stdlib's, the import system's, or C."""
    if path == "~":
        return "C built-ins"
    if path.startswith("<frozen"):
        return "imports"
    for marker in ("/site-packages/", "/src/"):
        if marker in path:
            return path.split(marker, 1)[1].split("/", 1)[0].removesuffix(".py")
    return "stdlib" if re.search(r"/lib/python3\.\d+/", path) else "other"


def print_profile(stats_file: Path, title: str, cpu_without: float | None = None, top: int = 8) -> None:
    """The `top` functions of a pstats file by own time, each with its share of all own time, then
    the own time by package: a flat profile (an ORM's) says more summed by whose code it is.

    With `cpu_without` (the same command's CPU without the profiler), own times are corrected for
    the profiler's cost per call, and the table is sorted by the corrected figure (`calibrated`)."""
    import pstats

    table = pstats.Stats(str(stats_file))
    raw = {key: stat[2] for key, stat in table.stats.items()}  # type: ignore[attr-defined]
    calls = {key: stat[1] for key, stat in table.stats.items()}  # type: ignore[attr-defined]
    own, per_call = (raw, None) if cpu_without is None else calibrated(table, cpu_without)
    total = sum(own.values()) or 1e-9
    how = (f"own time less the profiler's {per_call * 1e6:.1f} µs a call (raw own time in brackets)"
           if per_call is not None else "own time")
    print(f"  {title}: top {top} functions by {how}; {total:.2f} s in all"
          + (f" ({sum(raw.values()):.2f} s raw under the profiler)" if per_call is not None else ""))
    for key in sorted(own, key=lambda k: own[k], reverse=True)[:top]:
        bracket = f" ({raw[key]:.2f})" if per_call is not None else ""
        print(f"    {own[key]:7.2f} s{bracket} {own[key] / total:4.0%}  {calls[key]:>9,} calls  {_where(*key)}")
    by_package: dict[str, float] = {}
    for (path, _, _), secs in own.items():
        by_package[_package(path)] = by_package.get(_package(path), 0.0) + secs
    shares = sorted(by_package.items(), key=lambda kv: kv[1], reverse=True)[:top]
    print("    own time by package: " + ", ".join(f"{name} {secs / total:.0%}" for name, secs in shares))


def calibrated(table: pstats.Stats, cpu_without: float) -> tuple[dict[tuple[str, int, str], float], float]:
    """Own times less the profiler's own cost, and that cost per call.

    Timed by the thread's CPU clock, each call costs the profiler two clock reads, a system call
    each (~3 µs a call here, far more than most calls' own work): raw own times then rank
    functions by how often they are called. The cost per call is measured from the run itself:
    all raw own time less the CPU of the same command without the profiler, over all calls. About
    half of it lands in the callee's own time and half in the caller's (the clock is read inside
    the call and the return), so each function gives back half a call's cost for each call it
    received and each it made; what would go below zero is 0."""
    stats = table.stats  # type: ignore[attr-defined]
    made: dict[tuple[str, int, str], int] = {}
    for _, (_, _, _, _, callers) in stats.items():
        for caller, edge in callers.items():
            made[caller] = made.get(caller, 0) + (edge[0] if isinstance(edge, tuple) else edge)
    all_calls = sum(stat[1] for stat in stats.values()) or 1
    per_call = max(0.0, (table.total_tt - cpu_without) / all_calls)  # type: ignore[attr-defined]
    return ({key: max(0.0, stat[2] - (stat[1] + made.get(key, 0)) * per_call / 2) for key, stat in stats.items()},
            per_call)


@dataclass
class Floor:
    """A lower bound of the wall, computed from figures of the same run."""

    kind: str  # the verdict's first words when this floor is the one the wall is closest to
    how: str  # the figures it comes from, in plain words
    seconds: float


# a floor that reaches this share of the wall accounts for it; below, the rest of the wall is waiting
EXPLAINS = 0.7


def bounded_by(wall: float, goal: float | None, floors: list[Floor], notes: dict[str, str] | None = None,
               subject: str = "") -> None:
    """Print each floor against the wall, then which one bounds the goal, in one or two sentences."""
    print(f"  {subject + ': ' if subject else ''}bounded by (lower bounds of the {wall:.2f} s wall, "
          "from this run's figures):")
    for floor in floors:
        line(f"  {floor.how}", f"≥ {floor.seconds:.2f} s ({floor.seconds / wall:.0%} of the wall)")
    for label, value in (notes or {}).items():
        line(f"  {label}", value)
    for sentence in bound_verdict(wall, goal, floors):
        print(f"  -> {sentence}")


def bound_verdict(wall: float, goal: float | None, floors: list[Floor]) -> list[str]:
    closest = max(floors, key=lambda f: f.seconds)
    said = f"{closest.how} ≥ {closest.seconds:.2f} s"
    if goal is None:  # a case asked for by --profile with no budget of its own
        return [f"{closest.kind}: {said} ({closest.seconds / wall:.0%} of the wall); no budget for this case"]
    if closest.seconds < EXPLAINS * wall:
        return [f"waiting-bound: the closest floor, {said}, is {closest.seconds / wall:.0%} of the {wall:.2f} s wall",
                "the rest is waiting that none of these figures accounts for (locks, sleeps, other work on the "
                "machine: see the load average)"]
    if closest.seconds > goal:
        return [f"{closest.kind}: {said}, more than the {goal:g} s budget",
                "the goal cannot be met without lowering this floor"]
    return [f"{closest.kind}: {said}, within the {goal:g} s budget",
            f"the other {wall - closest.seconds:.2f} s of the wall is above every floor measured here"]
