"""The emulator on a real socket: stdlib `ThreadingHTTPServer`, one daemon thread per connection.

`serve(...)` runs in the foreground (`tnorder sim serve`); `start(...)` runs it in a background
thread for tests and returns a handle with the URL and `stop()`:

    with start(make_api(tmp_path / "world.sqlite", complete_after=0)) as emulator:
        httpx.get(f"{emulator.url}/accounts/1/availableNumbers?areaCode=919", auth=("u", "p"))

The Telnyx face answers under `/telnyx/v2` (`RunningServer.telnyx_url`), the Broadvox one at
`/broadvox`, Bandwidth's everywhere else. One line per request goes to stderr
(`HH:MM:SS METHOD PATH STATUS`), never a header.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TextIO

from tnorder.interrupts import main_thread_hears
from tnorder.sim.bandwidth_api import BandwidthApi
from tnorder.sim.bandwidth_auth import Credentials
from tnorder.sim.bandwidth_xml import internal_error
from tnorder.sim.broadvox_api import BroadvoxApi, fault_reply
from tnorder.sim.chaos import DROP, Chaos
from tnorder.sim.telnyx import TelnyxApi
from tnorder.sim.telnyx import internal_error as telnyx_error

DEFAULT_PORT = 8735
NO_BODY = (204, 304)
MAX_BODY = 16 * 1024 * 1024


def make_api(world_path: Path | None = None, *, complete_after: float = 3.0, seed: int = 0,
             credentials: Credentials | None = None, latency_ms: int = 0, fail_rate: float = 0.0,
             default_peer: bool = True, rate_limit: int = 0, short_fill: bool = False,
             weird_status: str | None = None, chaos: Chaos | None = None,
             telnyx_key: str | None = None) -> BandwidthApi:
    """The Bandwidth face over a world file (default: the sandbox's, shared with the sandbox carrier);
    the other faces take its world, credentials (`telnyx_key`: the Telnyx face's Bearer key) and faults."""
    from dataclasses import replace

    from tnorder.sim.world import World

    if telnyx_key is not None:
        credentials = replace(credentials or Credentials(), telnyx_key=telnyx_key)

    if world_path is None:
        from tnorder.settings import home

        world_path = home() / "sandbox" / "world.sqlite"
    world = World(world_path, seed, complete_after)
    return BandwidthApi(world, credentials=credentials, latency_ms=latency_ms, fail_rate=fail_rate, seed=seed,
                        default_peer=default_peer, rate_limit=rate_limit, short_fill=short_fill,
                        weird_status=weird_status, chaos=chaos)


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    # a carrier's front end takes many connections at once (a batch opens 16, a poll 32); the stdlib
    # default backlog of 5 made some of them fail as if the carrier had dropped them
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], api: BandwidthApi, log: TextIO | None = None,
                 quiet: bool = False) -> None:
        self.api = api
        # the Broadvox face at /broadvox: same world, credentials, latency and fault injection
        self.broadvox = BroadvoxApi(api.world, credentials=api.auth.credentials, latency_ms=api.latency_ms,
                                    faults=api.faults)
        # the Telnyx face at /telnyx/v2: the same world, faults, chaos and rate limits, its own key
        self.telnyx = TelnyxApi(api.world, key=api.auth.credentials.telnyx_key, latency_ms=api.latency_ms,
                                faults=api.faults, chaos=api.chaos, limits=api.limits, weird_status=api.weird_status)
        self.log, self.quiet = log, quiet
        self._log_lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        super().__init__(address, _Handler)

    def note(self, line: str) -> None:
        if self.quiet:
            return
        stream = self.log or sys.stderr
        with self._log_lock:
            stream.write(f"{time.strftime('%H:%M:%S')} {line}\n")
            stream.flush()

    def track(self, connection: socket.socket, alive: bool) -> None:
        with self._log_lock:
            (self._connections.add if alive else self._connections.discard)(connection)

    def close_connections(self) -> None:
        """Drop kept-alive connections too, so a stopped emulator really is gone."""
        with self._log_lock:
            open_now = list(self._connections)
        for connection in open_now:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; Nagle + delayed ACK adds 40 ms
    server_version = "tnorder-sim"
    sys_version = ""
    server: EmulatorServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        super().finish()

    def _body(self) -> bytes | None:
        declared = (self.headers.get("Content-Length") or "0").strip()
        if not declared.isdigit() or int(declared) > MAX_BODY:
            self.send_error(413 if declared.isdigit() else 400)
            return None
        return self.rfile.read(int(declared)) if int(declared) else b""

    def _serve(self) -> None:
        body = self._body()
        if body is None:
            return
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        telnyx, broadvox = TelnyxApi.serves(self.path), BroadvoxApi.serves(self.path)
        face = self.server.telnyx if telnyx else self.server.broadvox if broadvox else self.server.api
        try:
            reply = face.handle(self.command, self.path, self.headers, body, host)
        except Exception:
            self.server.note(f"{self.command} {self.path} failed:\n{traceback.format_exc().rstrip()}")
            reply = (telnyx_error() if telnyx else fault_reply("soap:Server", "Internal server error") if broadvox
                     else internal_error())
        if reply is DROP:  # injected: the connection goes without an answer
            self.server.note(f"{self.command} {self.path} dropped")
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.status not in NO_BODY:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if reply.body and reply.status not in NO_BODY:
            self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.server.note(f"{self.command} {self.path} {int(code) if str(code).isdigit() else code}")

    def log_message(self, format: str, *args: object) -> None:
        self.server.note(format % args)


@dataclass
class RunningServer:
    """An emulator serving in a background thread."""

    server: EmulatorServer
    thread: threading.Thread

    @property
    def host(self) -> str:
        return self.server.server_address[0]

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The Bandwidth API base URL, as a client's `url` setting takes it."""
        return f"{self.base}/api"

    @property
    def broadvox_url(self) -> str:
        """The Broadvox SOAP endpoint, as a Broadvox carrier's `url` setting takes it."""
        return f"{self.base}/broadvox"

    @property
    def telnyx_url(self) -> str:
        """The Telnyx API v2 base URL, as a Telnyx carrier's `url` (or the SDK's `base_url`) takes it."""
        return f"{self.base}/telnyx/v2"

    @property
    def telnyx(self) -> TelnyxApi:
        return self.server.telnyx

    @property
    def api(self) -> BandwidthApi:
        return self.server.api

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.server.close_connections()
        self.thread.join(timeout=5)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(api: BandwidthApi, host: str = "127.0.0.1", port: int = 0, *, log: TextIO | None = None,
          quiet: bool = False) -> RunningServer:
    """Serve `api` in a daemon thread; port 0 picks a free port (see `.port` / `.url`)."""
    api.world.pool.exchanges  # noqa: B018 - build the number pool now, not on the first request
    server = EmulatorServer((host, port), api, log, quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"tnorder-sim-{server.server_address[1]}", daemon=True)
    with main_thread_hears():
        thread.start()
    return RunningServer(server, thread)


def serve(api: BandwidthApi, host: str = "127.0.0.1", port: int = DEFAULT_PORT, *, log: TextIO | None = None,
          ready: Callable[[str], None] | None = None) -> None:
    """Serve in the foreground until Ctrl-C; `ready` gets the API base URL once it listens."""
    api.world.pool.exchanges  # noqa: B018 - build the number pool now, not on the first request
    server = EmulatorServer((host, port), api, log)
    try:
        if ready:
            ready(f"http://{_url_host(server.server_address[0])}:{server.server_address[1]}/api")
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        server.close_connections()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
