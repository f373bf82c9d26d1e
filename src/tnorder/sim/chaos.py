"""Faults that do touch the world, for crash-safety rehearsals (unlike `--fail-rate`, drawn before).

- `--drop-rate F`: that share of API calls lose their connection without an answer; half before
  the world acts on the request, half after (a create that happened, whose answer never arrives:
  the hardest case for a client that must order exactly once).
- `--pause-at received|answered --pause-file PATH`: each create (an order or a disconnect) stops
  at that step while PATH.<step> exists (the emulator writes it), so a test can kill the client,
  or the emulator, at exactly that moment, then delete the file to go on.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tnorder.sim.bandwidth_xml import Reply

DROP = Reply(0)  # the server closes the connection instead of answering
STEPS = ("received", "answered")
PAUSE_LIMIT = 120.0  # seconds: a forgotten marker never stalls an emulator for good


@dataclass
class Chaos:
    drop_rate: float = 0.0
    pause_at: str | None = None
    pause_file: Path | None = None
    seed: int = 0
    _random: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed + 1)

    def drop(self) -> str | None:
        """None, or when this call's connection drops: "before" or "after" the world acts."""
        if self.drop_rate <= 0:
            return None
        with self._lock:
            if self._random.random() >= self.drop_rate:
                return None
            return self._random.choice(("before", "after"))

    def pause(self, step: str) -> None:
        if self.pause_at != step or self.pause_file is None:
            return
        marker = Path(f"{self.pause_file}.{step}")
        marker.write_text("paused\n", encoding="utf-8")
        deadline = time.monotonic() + PAUSE_LIMIT
        while marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
