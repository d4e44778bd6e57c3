"""Shared fixtures: real PostgreSQL and S3-compatible servers, and workspaces on them.

Tests that need a server use the one ``.ci/run`` started (its URL in the
environment) or start their own. When neither is possible they skip, unless
``DRIFTLINE_REQUIRE_SERVICES=1``, where they fail: CI must run them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Helpers shared by the tests of several packages (tests/_*.py) import by name, as
# tests/ui's own do (the tests are imported with --import-mode=importlib).
sys.path.insert(0, str(Path(__file__).parent))

REQUIRE_SERVICES = os.environ.get("DRIFTLINE_REQUIRE_SERVICES") == "1"


def unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (DRIFTLINE_REQUIRE_SERVICES=1 requires it)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- PostgreSQL ---------------------------------------------------------------


def _pg_bindir() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@contextlib.contextmanager
def _postgres(password: str | None = None) -> Iterator[str]:
    """Start a throwaway PostgreSQL server; yields its admin URL (``.../postgres``).

    With ``password`` the server asks every client for it (scram-sha-256);
    without, it trusts local clients.
    """
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg is not installed")
    bindir = _pg_bindir()
    if bindir is None:
        unavailable("PostgreSQL is not installed (apt-get install postgresql)")
        return
    # PostgreSQL refuses to run as root: run it as the postgres user then.
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            unavailable("running as root without runuser to start PostgreSQL as 'postgres'")
        prefix = ["runuser", "-u", "postgres", "--"]
    # Not under pytest's tmp folders: those are private to the user running pytest.
    base = Path(tempfile.mkdtemp(prefix="driftline-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    auth = ["-A", "trust"]
    if password is not None:
        (base / "pwfile").write_text(password + "\n")
        auth = ["-A", "scram-sha-256", f"--pwfile={base / 'pwfile'}"]
    if prefix:
        for path in (base, sock, *base.glob("pwfile")):
            shutil.chown(path, "postgres")
    port = free_port()
    run = {"check": True, "capture_output": True, "text": True}
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", *auth, "--no-sync"],
        **run,
    )
    subprocess.run(
        [
            *prefix,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-l",
            str(base / "log"),
            "-o",
            f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        ],
        **run,
    )
    login = "postgres" if password is None else f"postgres:{password}"
    try:
        yield f"postgresql+psycopg://{login}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """An admin URL (``.../postgres``) of a running PostgreSQL server."""
    url = os.environ.get("DRIFTLINE_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    with _postgres() as started:
        yield started


@pytest.fixture(scope="session")
def postgres_password_server() -> Iterator[str]:
    """The admin URL, password included, of a server that checks passwords.

    Always started here: the server CI starts trusts every local client, so a
    wrong password could not fail there.
    """
    with _postgres(password="s3cret-Pw") as started:
        yield started


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the server, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(postgres_server)
    name = f"t_{uuid.uuid4().hex[:12]}"
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield admin.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- S3 (moto's server mode: a real HTTP server speaking the S3 API) -----------


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    try:
        import s3fs  # noqa: F401
        from moto.server import ThreadedMotoServer
    except ImportError:
        unavailable("moto[server] and s3fs are needed for the S3 tests")
        return
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(key, value)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_server: str) -> str:
    """A fresh bucket; returns its ``s3://`` URL."""
    import boto3

    name = f"b-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1").create_bucket(Bucket=name)
    return f"s3://{name}"


# -- workspaces ----------------------------------------------------------------


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same tests run on the embedded SQLite and on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ws' / 'driftline.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def workspace(tmp_path: Path, database_url: str) -> Iterator[object]:
    from driftline import Workspace

    ws = Workspace.init(tmp_path / "ws", database_url=database_url, actor="tester")
    yield ws
    ws.close()


# -- Redis ---------------------------------------------------------------------


def worker_database(url: str) -> str:
    """``url`` on a Redis database of this test process's own.

    Under ``pytest -n`` the workers share CI's one server, and ``redis_url``
    empties its database before each test: each worker takes the number after
    its name (gw0 → 1, gw1 → 2), so one never empties another's.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    number = int(worker[2:]) + 1 if worker.startswith("gw") else 0
    return f"{url.rstrip('/').rsplit('/', 1)[0]}/{number}"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """The URL of a running Redis server: CI's (``DRIFTLINE_TEST_REDIS_URL``) or one started here."""
    url = os.environ.get("DRIFTLINE_TEST_REDIS_URL")
    if url:
        yield worker_database(url)
        return
    try:
        import redis
    except ImportError:
        unavailable("redis-py is not installed (pip install 'driftline[redis]')")
        return
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server is not installed (apt-get install redis-server)")
        return
    folder = Path(tempfile.mkdtemp(prefix="driftline-redis-"))
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.02)  # polling interval: the ping decides
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The Redis server, emptied for this test."""
    import redis

    with redis.Redis.from_url(redis_server) as client:
        client.flushdb()
    return redis_server


# -- the command line, as a user runs it ------------------------------------------------


def cli_command() -> list[str]:
    """The ``driftline`` command of this environment (its script, or the module where absent)."""
    script = Path(sys.executable).with_name("driftline")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from driftline.cli._app import _entry; _entry()"]


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``driftline ARGS`` in a process of its own, with no ``DRIFTLINE_*`` of the test run."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLINE_")}
    return subprocess.run(
        [*cli_command(), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**clean, **(env or {})},
        timeout=timeout,
    )


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """:func:`run_cli`; packages with a command line of their own shape override it."""
    return run_cli
