"""Start `tnorder sim serve` as a real process on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import os
import re
import subprocess
import threading
from pathlib import Path

import forkserver

READY = re.compile(r"Bandwidth API emulator on (http://\S+/api)")


class Emulator:
    def __init__(self, home: Path, *flags: str) -> None:
        self.home = home
        env = dict(os.environ, TNORDER_HOME=str(home))
        self.proc = forkserver.tnorder("sim", "serve", "--port", "0", *flags, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: list[str] = []
        self.url = ""
        ready = threading.Event()
        threading.Thread(target=self._drain, args=(ready,), daemon=True).start()
        if not ready.wait(30) or not self.url:
            self.stop()
            raise RuntimeError("emulator did not start: " + "".join(self.lines))

    def _drain(self, ready: threading.Event) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:  # keep reading: a full pipe would stall the server
            self.lines.append(line)
            found = READY.search(line)
            if found:
                self.url = found.group(1)
                ready.set()
        ready.set()

    def log(self) -> str:
        return "".join(self.lines)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
