"""A small hostile carrier (Bandwidth, Broadvox or Telnyx) for tests: loopback only, bounded, stops with
its fixture.

Each test says what the server answers, per method and path pattern; a scripted answer is a
status, headers and a body, or a `Drip` (headers, then one byte at a time). Requests are recorded
(method, path, body) so a test can check what reached which server.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_SECONDS = 20.0  # no answer, however slow, lasts longer than this


@dataclass
class Answer:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/xml"})


@dataclass
class Drip:
    """Headers at once, then `body` one byte every `every` seconds."""

    body: bytes
    every: float = 0.5


@dataclass
class Huge:
    """A 200 whose body is `size` bytes (written in chunks; the reader may hang up early)."""

    size: int
    content_type: str = "application/xml"


Script = Answer | Drip | Huge | Callable[[str, str, bytes], "Answer"]


@dataclass
class Seen:
    method: str
    path: str
    body: bytes


class Hostile:
    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], list[Script]]] = []
        self.requests: list[Seen] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def on(self, method: str, pattern: str, *answers: Script) -> None:
        """Answer `method` on paths matching `pattern` with `answers` in turn (the last one repeats)."""
        self.routes.append((method, re.compile(pattern), list(answers)))

    def answer_for(self, method: str, path: str) -> Script:
        for want, pattern, answers in reversed(self.routes):
            if want == method and pattern.search(path):
                return answers.pop(0) if len(answers) > 1 else answers[0]
        return Answer(404, b"<Error/>")

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(hostile: Hostile) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = MAX_SECONDS

        def log_message(self, *args: object) -> None:  # quiet
            return

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, 1_000_000)) if length else b""
            hostile.requests.append(Seen(self.command, self.path, body))
            script = hostile.answer_for(self.command, self.path)
            if callable(script):
                script = script(self.command, self.path, body)
            try:
                if isinstance(script, Drip):
                    self._drip(script)
                elif isinstance(script, Huge):
                    self._huge(script)
                else:
                    self._answer(script)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client hung up: what a bounded client does

        def _answer(self, answer: Answer) -> None:
            body = answer.body.encode() if isinstance(answer.body, str) else answer.body
            self.send_response(answer.status)
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _drip(self, drip: Drip) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(drip.body)))
            self.end_headers()
            ends = time.monotonic() + MAX_SECONDS
            for byte in drip.body:
                if time.monotonic() > ends:
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(drip.every)

        def _huge(self, huge: Huge) -> None:
            self.send_response(200)
            self.send_header("Content-Type", huge.content_type)
            self.send_header("Content-Length", str(huge.size))
            self.end_headers()
            chunk = b"<SearchResult>" + b" " * 65522
            sent = 0
            while sent < huge.size:
                self.wfile.write(chunk)
                sent += len(chunk)

        do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

    return Handler
