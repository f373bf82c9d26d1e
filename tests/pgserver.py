"""A throwaway PostgreSQL server for the tests: initdb into a temporary folder, pg_ctl, a free port.

Under pytest-xdist one server serves every worker (`shared`, under a file lock); the controller
stops it at the end (`stop_shared`). Each test still makes its own database (`new_database`).

`TNORDER_TEST_PG_URL` (a server `.ci/run` or a developer started) is used when set. As root,
initdb and the server run as the `postgres` user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path


def binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class Server:
    def __init__(self) -> None:
        initdb, pg_ctl = binary("initdb"), binary("pg_ctl")
        if not initdb or not pg_ctl:
            raise FileNotFoundError("no PostgreSQL server binary (initdb, pg_ctl) on this machine")
        self.pg_ctl = pg_ctl
        self.base = Path(tempfile.mkdtemp(prefix="tnorder-pg-"))
        self.data = self.base / "data"
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        self.port = _free_port()
        self._run([initdb, "-D", str(self.data), "-A", "trust", "-U", "tnorder", "-E", "UTF8", "--no-sync"])
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run([pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.base / "log"), "-w", "start"])
        self.url = f"postgresql+psycopg://tnorder@127.0.0.1:{self.port}/postgres"

    def _run(self, cmd: list[str]) -> None:
        done = subprocess.run(_as_server_user(cmd), capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed: {done.stderr[-2000:]}")

    def stop(self) -> None:
        _stop(self.pg_ctl, self.data, self.base)


def _stop(pg_ctl: str, data: Path, base: Path) -> None:
    subprocess.run(_as_server_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
                   capture_output=True, timeout=60)
    shutil.rmtree(base, ignore_errors=True)


def new_database(server_url: str) -> str:
    """A fresh database on the server; its SQLAlchemy URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    plain = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def shared(folder: Path) -> str:
    """The URL of the one server the run's xdist workers share: started by whichever asks first."""
    from filelock import FileLock

    state = folder / "pgserver.json"
    with FileLock(folder / "pgserver.lock"):
        if state.exists():
            return json.loads(state.read_text())["url"]
        server = Server()
        state.write_text(json.dumps({"url": server.url, "pg_ctl": server.pg_ctl, "data": str(server.data),
                                     "base": str(server.base)}))
        return server.url


def stop_shared(folder: Path) -> None:
    """Stop the workers' shared server, if one was started (called by the xdist controller at the end)."""
    state = folder / "pgserver.json"
    if not state.exists():
        return
    found = json.loads(state.read_text())
    _stop(found["pg_ctl"], Path(found["data"]), Path(found["base"]))
    state.unlink()
