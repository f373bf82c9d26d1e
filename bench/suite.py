"""Budget: the README's test command (its first code block, second line) takes ≤ 360 s from a fresh clone.

    .venv/bin/python bench/suite.py [--budget 360] [--keep]

Clones this repository's HEAD into a temp folder and runs the line there exactly as written (venv,
`pip install -e '.[test]'`, `pytest -q`), with the environment this script was started with. Prints
the wall time (and pytest's own share of it), the CPU of the whole command tree, the budget, the
ratio, the tests passed and skipped, and the load average before and after; exit 1 when the time
is over budget or the command failed. One run takes the whole machine for minutes: on 2 cores the
load average says whether anything else shared it.

The command's environment adds `--durations=0` to PYTEST_ADDOPTS: pytest then ends its output with
every test's setup, call and teardown times, and nothing else changes. Over budget, the report goes
on with what bounds the wall, from that one run (the suite is never run twice): the CPU of the
whole tree against the wall on the machine's cores (CPU-bound or waiting-bound), the slowest test
modules (their tests' durations summed) and the 10 slowest tests.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, Floor, bounded_by, cores, line, load

BUDGET = 360.0
SUMMARY = re.compile(r"=* ?(?P<counts>(?:\d+ \w+(?:, )?)+) in (?P<secs>[\d.]+)s")
# pytest's --durations report: its section (up to the next "=== ... ===" header) and a line of it
DURATIONS = re.compile(r"^=+ slowest durations =+\n(?P<body>.*?)(?=^=+ |\Z)", re.S | re.M)
DURATION = re.compile(r"^(?P<secs>\d+(?:\.\d+)?)s (?:setup|call|teardown)\s+(?P<test>\S.*)$", re.M)
TOP = 10


def readme_test_command(readme: Path) -> str:
    """The second line of README.md's first fenced code block."""
    block = re.search(r"^```[^\n]*\n(.*?)^```", readme.read_text(encoding="utf-8"), re.S | re.M)
    if not block:
        raise SystemExit(f"no code block in {readme}")
    lines = [row for row in block.group(1).splitlines() if row.strip()]
    if len(lines) < 2:
        raise SystemExit(f"the first code block of {readme} has no second line")
    return lines[1]


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy since boot (/proc/stat: all but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def run(command: str, cwd: Path, log: Path) -> tuple[int, float, float, float]:
    """(exit code, wall seconds, CPU seconds of the command and everything it waited for, CPU seconds
    the whole machine was busy meanwhile). The tests' fork server reaps the processes it forks, so
    their CPU never reaches the command's own count: the machine's is the one to read on an idle box."""
    environ = dict(os.environ)  # only pytest's closing report changes: each test's times, read on a FAIL
    environ.pop("TNORDER_TEST_FORK", None)  # the tests as CI runs them, whatever this shell has set
    environ["PYTEST_ADDOPTS"] = f"{environ.get('PYTEST_ADDOPTS', '')} --durations=0".strip()
    t0, busy = time.perf_counter(), machine_busy()
    with log.open("wb") as out:
        proc = subprocess.Popen(["bash", "-c", command], cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=environ)
        _, status, usage = os.wait4(proc.pid, 0)
    return (os.waitstatus_to_exitcode(status), time.perf_counter() - t0, usage.ru_utime + usage.ru_stime,
            machine_busy() - busy)


def counts(output: str) -> tuple[dict[str, int], float | None]:
    """pytest's closing tally ({'passed': n, 'skipped': m, ...}) and its own seconds."""
    found = [m for m in SUMMARY.finditer(output)]
    if not found:
        return {}, None
    last = found[-1]
    tally = {}
    for part in last.group("counts").split(", "):
        n, _, kind = part.partition(" ")
        tally[kind] = int(n)
    return tally, float(last.group("secs"))


def durations(output: str) -> dict[str, float]:
    """Each test's seconds (setup + call + teardown) from pytest's --durations report."""
    tests: dict[str, float] = {}
    section = DURATIONS.search(output)  # only there: a test's captured output may look like a line of it
    for found in DURATION.finditer(section.group("body") if section else ""):
        test = found.group("test").strip()
        tests[test] = tests.get(test, 0.0) + float(found.group("secs"))
    return tests


def slowest(tests: dict[str, float], wall: float) -> None:
    """The modules and the tests that took longest; their times overlap on the workers, so they add
    up to more than the wall."""
    if not tests:
        print("  no --durations report in pytest's output: no slowest modules or tests to show")
        return
    modules: dict[str, list[float]] = {}
    for test, secs in tests.items():
        modules.setdefault(test.split("::", 1)[0], []).append(secs)
    total = sum(tests.values())
    print(f"  the tests' durations add up to {total:.0f} s over the workers ({total / wall:.1f} × the wall; "
          "each includes waiting for a core)")
    print(f"  the {TOP} slowest modules (their tests' setup + call + teardown):")
    for module, times in sorted(modules.items(), key=lambda kv: sum(kv[1]), reverse=True)[:TOP]:
        print(f"    {sum(times):8.1f} s {sum(times) / total:4.0%}  {len(times):>4} tests  {module}")
    print(f"  the {TOP} slowest tests:")
    for test, secs in sorted(tests.items(), key=lambda kv: kv[1], reverse=True)[:TOP]:
        print(f"    {secs:8.1f} s  {test}")


def bound(wall: float, cpu: float, goal: float, output: str) -> None:
    """What bounds the suite's wall: its CPU on the machine's cores, then where its time went."""
    bounded_by(wall, goal, [
        Floor("CPU-bound", f"the CPU {cpu:.0f} s on {cores()} cores", cpu / cores()),
    ], {"cores busy on average (CPU / wall)": f"{cpu / wall:.2f} of {cores()}",
        "CPU read as": "the larger of the tree's (misses what the tests' fork server reaps) and the "
                       "machine's (counts anything else running)"})
    slowest(durations(output), wall)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=float, default=BUDGET, help="seconds (default 360)")
    ap.add_argument("--keep", action="store_true", help="keep the clone and its log")
    args = ap.parse_args()

    command = readme_test_command(ROOT / "README.md")
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    work = Path(tempfile.mkdtemp(prefix="tnorder-suite-"))
    clone = work / "tnorder"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    log = work / "suite.log"

    print(f"README test command on a fresh clone of {head} ({clone}):\n  {command}\n"
          "  (PYTEST_ADDOPTS gets --durations=0: pytest's closing report lists each test's times)")
    before = load()
    code, wall, tree_cpu, machine_cpu = run(command, clone, log)
    cpu = max(tree_cpu, machine_cpu)
    after = load()
    output = log.read_text(errors="replace")
    tally, pytest_secs = counts(output)
    ok = code == 0 and wall <= args.budget

    line("wall time (install + tests)", f"{wall:.1f} s")
    line("of which pytest reported", f"{pytest_secs:.1f} s" if pytest_secs is not None else "(no summary)")
    line("CPU, the command and the children it reaped (user+sys)", f"{tree_cpu:.1f} s")
    line("CPU, the whole machine meanwhile (/proc/stat)", f"{machine_cpu:.1f} s ({machine_cpu / wall:.2f} cores "
         "on average; includes anything else running)")
    line("budget", f"{args.budget:.0f} s")
    line("ratio", f"{wall / args.budget:.2f}")
    line("exit code", str(code))
    for kind in ("passed", "skipped", "xfailed", "xpassed", "failed", "errors", "error"):
        if kind in tally:
            line(f"tests {kind}", str(tally[kind]))
    line("noise", "one run (each takes minutes): see the load average")
    line("load before", before)
    line("load after", after)
    print(f"  {'PASS' if ok else 'FAIL'}: {wall:.1f} s against {args.budget:.0f} s"
          + ("" if code == 0 else f"; the command exited {code}"))
    if wall > args.budget:
        bound(wall, cpu, args.budget, output)
    if code != 0:
        print("\n".join(DURATIONS.sub("", output).splitlines()[-40:]))  # the failures, not the durations
    if args.keep:
        print(f"  kept: {clone}, log {log}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
