"""Every test gets a fresh TNORDER_HOME; helpers run tnorder in-process or as a real process."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import forkserver
from tnorder.cli import main

# modules whose tests share one costly module-wide set-up (an emulator and a set-up home, an SDK's
# runs): each runs whole on one xdist worker instead of once on every worker
WHOLE_MODULES = {"test_sdk_bandwidth_node", "test_sdk_bandwidth_python", "test_sdk_telnyx", "test_telnyx_bad_input_e2e"}


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        _compile_tnorder()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules whose tests start processes first, a module's tests kept together and in order: the
    xdist workers then end on quick in-process tests rather than one waiting on a long rehearsal."""
    cost: dict[str, float] = {}
    for item in items:
        cost[item.module.__name__] = cost.get(item.module.__name__, 0) + _cost(item)
    items.sort(key=lambda item: -cost[item.module.__name__])


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """xdist's load scheduling, test by test, except that a module of WHOLE_MODULES goes to one worker."""
    from xdist.scheduler import LoadScopeScheduling

    class WholeModules(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if Path(module).stem in WHOLE_MODULES else nodeid

    return WholeModules(config, log)


def _cost(item: pytest.Item) -> float:
    if item.module.__name__ in WHOLE_MODULES:
        return 100  # one worker runs the whole module: start it early
    defs = getattr(item, "_fixtureinfo", None)
    defs = defs.name2fixturedefs if defs else {}
    if "emulator" in defs and defs["emulator"][-1].func.__module__ == "conftest":  # `tnorder sim serve`
        return 5
    if "cli" in defs or "pexpect" in vars(item.module):
        return 3
    return 0.1


def _compile_tnorder() -> None:
    """Write tnorder's bytecode once, before the workers start: the hundreds of `python -m tnorder`
    processes then load it instead of compiling every module again where PYTHONDONTWRITEBYTECODE is set."""
    import compileall

    import tnorder

    compileall.compile_dir(Path(tnorder.__file__).parent, quiet=1)


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("TNORDER_HOME", str(path))
    monkeypatch.delenv("TNORDER_DB", raising=False)
    monkeypatch.setenv("TNORDER_OPERATOR", "tester")
    # no test reads the wall clock's date (Bandwidth's Basic retirement is dated): a test that needs
    # another day sets its own TNORDER_NOW
    monkeypatch.setenv("TNORDER_NOW", "2026-11-15")
    return path


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]):
    """tnorder in this process: `run("inventory", "lookup", ...)` -> Result."""

    def invoke(*args: str) -> Result:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def cli(home: Path):
    """tnorder as a real process, as a script or cron job runs it."""

    def invoke(*args: str, timeout: float = 60, env: dict[str, str] | None = None) -> Result:
        done = forkserver.run(*args, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, env=os.environ | (env or {}))
        return Result(done.returncode, done.stdout, done.stderr)

    return invoke


class HomeTemplates:
    """Homes that many tests start from, set up once per worker and copied into each test's home.

    The first test that asks builds the home in its own TNORDER_HOME, as it always did; the home is
    then kept (before the test's body runs) and every later test starts from a byte-identical copy.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.kept: dict[str, object] = {}

    def home(self, name: str, home: Path, build: Callable[[], object]) -> object:
        """`home` as `build()` leaves it; what `build` returned (a copy of it, for later tests)."""
        if name not in self.kept:
            made = build()
            shutil.copytree(home, self.root / name, symlinks=True)
            self.kept[name] = made
            return made
        shutil.copytree(self.root / name, home, symlinks=True, dirs_exist_ok=True)
        return copy.deepcopy(self.kept[name])


@pytest.fixture(scope="session")
def home_templates(tmp_path_factory: pytest.TempPathFactory) -> HomeTemplates:
    return HomeTemplates(tmp_path_factory.mktemp("home-templates"))


@pytest.fixture
def fast_sandbox(run):
    """Sandbox orders that complete at once (the default waits a few seconds)."""
    result = run("config", "carrier", "add", "fast", "--kind", "sandbox", "--option", "complete_after=0")
    assert result.code == 0, result.err
    assert run("config", "account", "add", "fast", "--carrier", "fast").code == 0
    assert run("config", "inventory-type", "add", "Fast DIDs", "--account", "fast").code == 0
    return "Fast DIDs"


def _shared_dir(config: pytest.Config) -> Path:
    """A folder every xdist worker of this run sees (the parent of the workers' base temps)."""
    base = config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
    return base.parent if hasattr(config, "workerinput") else base


@pytest.fixture(scope="session", autouse=True)
def run_pool_cache(pytestconfig: pytest.Config) -> Path:
    """The sandbox's exchange cache, built once for the run: every fresh world (a test's home, an
    emulator's) copies it in instead of building it (tnorder/testhooks.py, TNORDER_TEST_POOL_CACHE)."""
    from filelock import FileLock

    from tnorder.sim.pool import Pool

    folder = _shared_dir(pytestconfig) / "pool-cache"
    with FileLock(f"{folder}.lock"):
        if not folder.exists():
            building = folder.with_name(f"pool-cache-{os.getpid()}")
            building.mkdir()
            Pool(0, building).exchanges  # noqa: B018 - builds and writes the cache file
            building.rename(folder)
    os.environ["TNORDER_TEST_POOL_CACHE"] = str(folder)
    return folder


@pytest.fixture(scope="session", autouse=True)
def fork_server(run_pool_cache: Path) -> None:
    """This worker's tnorder fork server (tests/forkserver.py), started before its first test, with
    the run's sandbox exchanges already parsed."""
    forkserver.ready()


@pytest.fixture(scope="session")
def pg_server(pytestconfig: pytest.Config):
    """A PostgreSQL server for the run: `TNORDER_TEST_PG_URL`, else one started here.

    Under xdist the first worker that needs it starts it (under a file lock) and the others reuse
    it; each test still gets a new database. The controller stops it when the run ends.
    """
    import pgserver

    url = os.environ.get("TNORDER_TEST_PG_URL")
    if url:
        yield url
        return
    if not pgserver.binary("initdb") or not pgserver.binary("pg_ctl"):
        pytest.skip("PostgreSQL tests skipped: no PostgreSQL server binary (initdb, pg_ctl) on this machine")
    if hasattr(pytestconfig, "workerinput"):
        yield pgserver.shared(_shared_dir(pytestconfig))
        return
    server = pgserver.Server()
    try:
        yield server.url
    finally:
        server.stop()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):
        import pgserver

        pgserver.stop_shared(_shared_dir(session.config))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The same test on a SQLite file and on a real PostgreSQL database (TNORDER_DB for every process)."""
    if request.param == "sqlite":
        return f"sqlite:///{home / 'tnorder.db'}"
    import pgserver

    url = pgserver.new_database(request.getfixturevalue("pg_server"))
    monkeypatch.setenv("TNORDER_DB", url)
    return url


@pytest.fixture
def emulator(tmp_path: Path):
    """`emulator(*flags)` starts `tnorder sim serve` on a free port (each in its own home); all stop after."""
    from emulator import Emulator

    started = []

    def launch(*flags: str):
        emu = Emulator(tmp_path / f"emulator-{len(started)}", *flags)
        started.append(emu)
        return emu

    yield launch
    for emu in started:
        emu.stop()


@pytest.fixture
def hostile():
    """A server answering whatever a test tells it to (tests/hostile.py); stopped after the test."""
    from hostile import Hostile

    server = Hostile()
    yield server
    server.stop()
