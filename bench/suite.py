"""Budget: the README's test command (its first code block, second line) takes ≤ 360 s from a fresh clone.

    .venv/bin/python bench/suite.py [--budget 360] [--keep]

Clones this repository's HEAD into a temp folder and runs the line there exactly as written (venv,
`pip install -e '.[test]'`, `pytest -q`), with the environment this script was started with. Prints
the wall time (and pytest's own share of it), the CPU of the whole command tree, the budget, the
ratio, the tests passed and skipped, and the load average before and after; exit 1 when the time
is over budget or the command failed. One run takes the whole machine for minutes: on 2 cores the
load average says whether anything else shared it.
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
from _common import ROOT, line, load

BUDGET = 360.0
SUMMARY = re.compile(r"=* ?(?P<counts>(?:\d+ \w+(?:, )?)+) in (?P<secs>[\d.]+)s")


def readme_test_command(readme: Path) -> str:
    """The second line of README.md's first fenced code block."""
    block = re.search(r"^```[^\n]*\n(.*?)^```", readme.read_text(encoding="utf-8"), re.S | re.M)
    if not block:
        raise SystemExit(f"no code block in {readme}")
    lines = [row for row in block.group(1).splitlines() if row.strip()]
    if len(lines) < 2:
        raise SystemExit(f"the first code block of {readme} has no second line")
    return lines[1]


def run(command: str, cwd: Path, log: Path) -> tuple[int, float, float]:
    """(exit code, wall seconds, CPU seconds of the command and everything it waited for)."""
    t0 = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(["bash", "-c", command], cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
    return os.waitstatus_to_exitcode(status), time.perf_counter() - t0, usage.ru_utime + usage.ru_stime


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

    print(f"README test command on a fresh clone of {head} ({clone}):\n  {command}")
    before = load()
    code, wall, cpu = run(command, clone, log)
    after = load()
    output = log.read_text(errors="replace")
    tally, pytest_secs = counts(output)
    ok = code == 0 and wall <= args.budget

    line("wall time (install + tests)", f"{wall:.1f} s")
    line("of which pytest reported", f"{pytest_secs:.1f} s" if pytest_secs is not None else "(no summary)")
    line("CPU, the command and its children (user+sys)", f"{cpu:.1f} s ({cpu / wall:.2f} cores on average)")
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
    if code != 0:
        print("\n".join(output.splitlines()[-40:]))
    if args.keep:
        print(f"  kept: {clone}, log {log}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
