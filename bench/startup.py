"""Budget: `tnorder --help` ≤ 1.10 × the `--help` of a bare Typer app with five sub-apps and Rich help,
and `--help` imports none of sqlmodel, sqlalchemy, httpx.

    .venv/bin/python bench/startup.py [--reps 30]

Each line: the median wall time, the bare app's in the same run, their ratio against the budget,
the noise (lowest and highest ratio of single interleaved repetitions), and the CPU (user+sys)
medians and their ratio.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PY, TNORDER, env, line, load
from _ratios import interleaved, report

BUDGET = 1.10
FORBIDDEN = ("sqlmodel", "sqlalchemy", "httpx")

BARE_APP = textwrap.dedent('''
    """A bare Typer app: five sub-apps with one command each, Rich help (the benchmark's baseline)."""
    import typer

    app = typer.Typer(help="A bare app.", no_args_is_help=True, add_completion=False,
                      rich_markup_mode="rich")
    for name in ("alpha", "bravo", "charlie", "delta", "echo"):
        sub = typer.Typer(help=f"The {name} commands.", no_args_is_help=True)

        @sub.command("run")
        def run(count: int = typer.Option(1, help="How many.")) -> None:
            """Run it."""
            print(count)

        app.add_typer(sub, name=name)

    if __name__ == "__main__":
        app()
''')


def imported_top_level(cmd: list[str], environ: dict[str, str]) -> set[str]:
    proc = subprocess.run([PY, "-X", "importtime", *cmd], env=environ, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"failed: {cmd}\n{proc.stderr}")
    mods = set()
    for row in proc.stderr.splitlines():
        if row.startswith("import time:") and row.count("|") == 2:
            name = row.rsplit("|", 1)[1].strip()
            if name != "package":  # the header row
                mods.add(name.split(".")[0])
    return mods


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=30)
    args = ap.parse_args()
    failed = False
    with tempfile.TemporaryDirectory(prefix="tnorder-bench-") as tmp:
        environ = env(TNORDER_HOME=tmp, COLUMNS="100")
        bare = Path(tmp) / "bare_typer_app.py"
        bare.write_text(BARE_APP)
        commands = {
            "bare": [PY, str(bare), "--help"],
            "module": [PY, "-m", "tnorder", "--help"],
            "script": [TNORDER, "--help"],
            "python": [PY, "-c", "pass"],
        }
        before = load()
        runs = interleaved(commands, args.reps, environ, warmup=2)

        print(f"startup: medians of {args.reps} interleaved runs; before the runs: {before}")
        print(f"  budget: tnorder --help ≤ {BUDGET:.2f} × bare Typer app --help (verdict on the median wall ratio)")
        for key, label in (("python", "python -c pass (interpreter start, for reference)"),
                           ("bare", "bare Typer app --help (5 sub-apps, Rich help)")):
            line(label, f"{runs[key].wall * 1000:6.1f} ms wall, {runs[key].cpu * 1000:5.1f} ms CPU "
                 f"(runs {min(runs[key].walls) * 1000:.0f}-{max(runs[key].walls) * 1000:.0f} ms)")
        for key, label in (("module", "python -m tnorder --help"), ("script", ".venv/bin/tnorder --help")):
            failed |= report(label, runs[key], runs["bare"], BUDGET)
        print(f"  after the runs: {load()}")

        for label, cmd in (("-m tnorder --help", ["-m", "tnorder", "--help"]),
                           ("-m tnorder inventory list --help", ["-m", "tnorder", "inventory", "list", "--help"])):
            mods = imported_top_level(cmd, environ)
            bad = sorted(m_ for m_ in FORBIDDEN if m_ in mods)
            v = "PASS" if not bad else "FAIL"
            failed |= bool(bad)
            line(f"importtime {label}: imports {'/'.join(FORBIDDEN)}?",
                 f"{'none' if not bad else ', '.join(bad)}  {v}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
