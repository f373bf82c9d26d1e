"""Ratios against a floor measured in the same run (startup.py, store_commands.py).

Each repetition runs the floor and then every command once, so a slow moment of the machine
falls on all of them alike; a command's ratio in one repetition is its wall time over the
floor's in that repetition. The verdict is on the median wall time over the median floor; the
spread of the per-repetition ratios (min-max) is printed beside it as the noise.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from _common import line, run_once, verdict


@dataclass
class Runs:
    walls: list[float]
    cpus: list[float]

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)


def interleaved(commands: dict[str, list[str]], reps: int, environ: dict[str, str],
                warmup: int = 1) -> dict[str, Runs]:
    for cmd in commands.values():
        for _ in range(warmup):
            run_once(cmd, environ)
    runs = {name: Runs([], []) for name in commands}
    for _ in range(reps):
        for name, cmd in commands.items():
            wall, cpu = run_once(cmd, environ)
            runs[name].walls.append(wall)
            runs[name].cpus.append(cpu)
    return runs


def report(label: str, runs: Runs, floor: Runs, budget: float) -> bool:
    """Print one command's figure, floor, ratio, budget, verdict and noise; True if it failed."""
    ratio = runs.wall / floor.wall
    per_rep = [w / f for w, f in zip(runs.walls, floor.walls, strict=True)]
    v = verdict(ratio, budget)
    line(label, f"{runs.wall * 1000:6.1f} ms / floor {floor.wall * 1000:6.1f} ms = {ratio:.3f} "
         f"(budget {budget:.2f}) {v}  noise {min(per_rep):.2f}-{max(per_rep):.2f}; "
         f"CPU {runs.cpu * 1000:5.1f} / {floor.cpu * 1000:5.1f} ms = {runs.cpu / floor.cpu:.3f}")
    return v == "FAIL"
