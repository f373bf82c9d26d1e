"""`python -m tnorder` for the tests, forked from a process that has already imported tnorder.

A test that runs tnorder as a real process (a script's or cron's view, a client to kill -9, one of
many hands on one store) used to pay Python's start-up and tnorder's imports each time: 0.6-1.1 s of
CPU, most of the suite's CPU. Here each pytest worker starts one server that imports tnorder and its
libraries once, then forks a fresh process for every command. That process is as real as one from
`exec`: its own pid, which the test may signal or kill -9; the test's pipes or files as its stdin,
stdout and stderr; the test's environment and working directory; Python's own signal dispositions;
its exit status (or the signal that ended it) handed back as `Popen.returncode`. What it does not
repeat is the import of modules that a fresh process would load the same way.

`TNORDER_TEST_FORK=0` turns this off: every command is `exec`'d as before.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pexpect
import ptyprocess

# what the server runs: import once, then fork on each request (single-threaded, so forking is safe)
SERVER = r'''
import json, os, random, signal, socket, struct, sys

def preload():
    import tnorder.cli  # noqa: F401
    import importlib, pkgutil, tnorder
    for module in pkgutil.walk_packages(tnorder.__path__, "tnorder."):
        if module.name.endswith(("select_app", "__main__")):
            continue  # Textual only where a screen opens; __main__ would run a command
        importlib.import_module(module.name)

def warm(pool_cache):
    """Parse the run's sandbox exchanges once here (tnorder.sim.pool keeps them by their text), so
    no forked command parses them again."""
    from pathlib import Path
    from tnorder.sim.pool import _read
    for cache in Path(pool_cache).glob("exchanges-*.tsv") if pool_cache else ():
        _read(cache)

def recv_request(conn):
    head, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
    size = struct.unpack("!I", head[:4])[0]
    body = head[4:]
    while len(body) < size:
        body += conn.recv(size - len(body))
    return json.loads(body), fds

# the encodings and error handlers this Python chose at start-up, as a fresh process would choose them
STDIO = [(s.encoding, s.errors) for s in (sys.stdin, sys.stdout, sys.stderr)]

def stdio():
    """New sys.std* on fds 0-2, made as Python makes them at start-up (a tty's stdout line-buffered)."""
    import io
    (ein, rin), (eout, rout), (eerr, rerr) = STDIO
    sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.open(0, "rb", closefd=False), ein, rin)
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(io.open(1, "wb", closefd=False), eout, rout,
                                                   line_buffering=os.isatty(1))
    sys.stderr = sys.__stderr__ = io.TextIOWrapper(io.open(2, "wb", closefd=False), eerr, rerr,
                                                   line_buffering=True)

def child(request, fds):
    if request.get("tty"):  # a session of its own, led by this process, on its terminal
        import fcntl, termios
        os.setsid()
        fcntl.ioctl(fds[0], termios.TIOCSCTTY, 0)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in set(fds):
        if fd > 2:
            os.close(fd)
    os.chdir(request["cwd"])
    sys.path[0] = os.getcwd()  # as `python -m` sets it
    os.environ.clear()
    os.environ.update(request["env"])
    random.seed()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGQUIT):
        signal.signal(signum, signal.SIG_DFL)
    stdio()
    sys.argv = ["tnorder", *request["args"]]
    code = run()
    import atexit, threading
    try:
        threading._shutdown()  # non-daemon threads are waited for, as at a normal exit
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
    os._exit(code)

def run():
    import runpy, traceback
    try:
        runpy.run_module("tnorder", run_name="__main__", alter_sys=True)
        return 0
    except SystemExit as exc:
        if exc.code is None:
            return 0
        if isinstance(exc.code, int):
            return exc.code & 0xFF
        print(exc.code, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        sys.stderr.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)  # as Python ends on an unhandled Ctrl-C
        return 130
    except BaseException:
        traceback.print_exc()
        return 1

def middle(listener, conn, request, fds):
    """Forks the command, hands its pid back, waits for it, hands its wait status back."""
    listener.close()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    pid = os.fork()
    if pid == 0:
        try:
            conn.close()
            child(request, fds)
        finally:
            os._exit(70)  # never back into the server's loop
    for fd in fds:
        os.close(fd)
    conn.sendall(b"%d\n" % pid)
    _, status = os.waitpid(pid, 0)
    try:
        conn.sendall(b"%d\n" % status)
    finally:
        os._exit(0)

def serve(path, parent, pool_cache):
    preload()
    warm(pool_cache)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    listener.settimeout(1.0)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the middles
    print("ready", flush=True)
    while os.getppid() == parent:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        conn.settimeout(None)
        try:
            request, fds = recv_request(conn)
        except Exception:  # a client that went away half-way
            conn.close()
            continue
        if os.fork() == 0:
            try:
                middle(listener, conn, request, fds)
            finally:
                os._exit(70)
        conn.close()
        for fd in fds:
            os.close(fd)

serve(sys.argv[1], int(sys.argv[2]), sys.argv[3])
'''


class _Server:
    """One per pytest worker, started on first use and stopped when the worker exits."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="tnorder-fork-"))
        self.path = str(self.folder / "socket")
        env = {k: v for k, v in os.environ.items() if not k.startswith("TNORDER_")}
        self.python_env = _python_env(env)
        pool_cache = os.environ.get("TNORDER_TEST_POOL_CACHE", "")
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER, self.path, str(os.getpid()), pool_cache],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env,
                                     cwd=self.folder)
        if self.proc.stdout.readline().strip() != b"ready":
            raise RuntimeError("the tnorder fork server did not start")
        atexit.register(self.stop)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        Path(self.path).unlink(missing_ok=True)
        self.folder.rmdir()


_server: _Server | None = None
_lock = threading.Lock()


def _running() -> _Server:
    global _server
    with _lock:
        if _server is None or _server.proc.poll() is not None:
            _server = _Server()
        return _server


class _Started:
    """One request to the server: sends the command and its fds, then hears its pid and its end."""

    def __init__(self, args: list[str], cwd: str, env: dict[str, str], fds: list[int], tty: bool = False) -> None:
        body = json.dumps({"args": args, "cwd": cwd, "env": env, "tty": tty}).encode()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.buffer = b""
        try:
            self.sock.connect(_running().path)
            socket.send_fds(self.sock, [struct.pack("!I", len(body)) + body], fds)
            self.pid = int(self._line(None))
        except BaseException:
            self.sock.close()
            raise

    def _line(self, timeout: float | None) -> bytes | None:
        """The next line from the server; None if none came within `timeout`."""
        while b"\n" not in self.buffer:
            if timeout is not None and not select.select([self.sock], [], [], timeout)[0]:
                return None
            part = self.sock.recv(64)
            if not part:
                raise RuntimeError("the tnorder fork server lost a process it had started")
            self.buffer += part
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line

    def status(self, block: bool) -> int | None:
        """The process's wait status once it has ended (None: still running, and not `block`)."""
        line = self._line(None if block else 0)
        if line is None:
            return None
        self.sock.close()
        return int(line)


class Forked(subprocess.Popen):
    """A `subprocess.Popen` of `python -m tnorder ARGS` whose process is forked by the server.

    Popen's own pipe set-up, communicate() and timeouts are used as they are; only starting the
    process and learning how it ended differ (the server is its parent, so it reports the status).
    """

    def _execute_child(self, args, executable, preexec_fn, close_fds, pass_fds, cwd, env, startupinfo,
                       creationflags, shell, p2cread, p2cwrite, c2pread, c2pwrite, errread, errwrite,
                       *rest) -> None:
        fds = [p2cread if p2cread != -1 else 0, c2pwrite if c2pwrite != -1 else 1,
               errwrite if errwrite != -1 else 2]
        try:
            self._started = _Started(list(args[3:]), os.fspath(cwd or os.getcwd()),
                                     dict(os.environ if env is None else env), fds)
        finally:
            self._close_pipe_fds(p2cread, p2cwrite, c2pread, c2pwrite, errread, errwrite)
        self.pid = self._started.pid
        self._child_created = True

    def _try_wait(self, wait_flags: int) -> tuple[int, int]:
        status = self._started.status(block=not wait_flags & os.WNOHANG)
        return (0, 0) if status is None else (self.pid, status)

    def _internal_poll(self, _deadstate=None, **_ignored) -> int | None:
        if self.returncode is None and self._waitpid_lock.acquire(False):
            try:
                if self.returncode is None:
                    pid, status = self._try_wait(os.WNOHANG)
                    if pid == self.pid:
                        self._handle_exitstatus(status)
            finally:
                self._waitpid_lock.release()
        return self.returncode


class _ForkedPty(ptyprocess.PtyProcess):
    """ptyprocess's view of a forked command on a terminal: its end comes from the server."""

    def __init__(self, started: _Started, fd: int) -> None:
        super().__init__(started.pid, fd)
        self.started = started

    def _ended(self, block: bool) -> bool:
        status = self.started.status(block)
        if status is None:
            return False
        self.status, self.terminated = status, True
        self.exitstatus = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        self.signalstatus = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        return True

    def isalive(self) -> bool:
        return not self.terminated and not self._ended(block=self.flag_eof)

    def wait(self) -> int | None:
        if not self.terminated:
            self._ended(block=True)
        return self.exitstatus


class ForkedSpawn(pexpect.spawn):
    """`pexpect.spawn(sys.executable, ["-m", "tnorder", ...])` whose process the server forks onto a
    new terminal of its own: the child leads a new session with the terminal as its controlling
    one, so Ctrl-C typed there is a SIGINT to it, as with a pty.fork()ed child."""

    def _spawnpty(self, args, env=None, cwd=None, echo=True, preexec_fn=None, dimensions=(24, 80), pass_fds=()):
        master, slave = os.openpty()
        try:
            ptyprocess.ptyprocess._setwinsize(slave, *dimensions)
            if not echo:
                ptyprocess.ptyprocess._setecho(slave, False)
            words = [a.decode() if isinstance(a, bytes) else a for a in args]
            started = _Started(words[3:], os.fspath(cwd or os.getcwd()), dict(os.environ if env is None else env),
                               [slave, slave, slave], tty=True)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        return _ForkedPty(started, master)


def enabled() -> bool:
    return os.environ.get("TNORDER_TEST_FORK", "1") != "0"


def _python_env(env) -> dict[str, str]:
    """What Python reads at start-up (PYTHONPATH, PYTHONWARNINGS, ...): a forked process would not."""
    return {k: v for k, v in env.items() if k.startswith("PYTHON")}


def _forkable(env: dict[str, str] | None) -> bool:
    return enabled() and _python_env(os.environ if env is None else env) == _running().python_env


def spawn(*args: str, **options: object) -> pexpect.spawn:
    """`pexpect.spawn(sys.executable, ["-m", "tnorder", *args], **options)`, forked as `tnorder` is."""
    if _forkable(options.get("env")):
        return ForkedSpawn(sys.executable, ["-m", "tnorder", *args], **options)
    return pexpect.spawn(sys.executable, ["-m", "tnorder", *args], **options)


def tnorder(*args: str, **popen: object) -> subprocess.Popen:
    """`subprocess.Popen([sys.executable, "-m", "tnorder", *args], **popen)`, forked when enabled and
    when the environment asks nothing of Python's start-up that the server's did not (a PYTHONPATH for
    a plugin: such a process is started the ordinary way)."""
    command = [sys.executable, "-m", "tnorder", *args]
    if _forkable(popen.get("env")):
        return Forked(command, **popen)
    return subprocess.Popen(command, **popen)


def run(*args: str, timeout: float | None = None, input: str | None = None,
        capture_output: bool = False, **popen: object) -> subprocess.CompletedProcess:
    """`subprocess.run([sys.executable, "-m", "tnorder", *args], ...)`, forked when enabled."""
    if capture_output:
        popen["stdout"] = popen["stderr"] = subprocess.PIPE
    if input is not None:
        popen["stdin"] = subprocess.PIPE
    with tnorder(*args, **popen) as proc:
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def ready() -> None:
    """Start this worker's server now, so the first test does not pay for it."""
    if enabled():
        _running()
