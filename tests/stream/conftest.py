"""A real redis-server, a workspace with two registered models, and workers to run on them.

The server is the root conftest's ``redis_server``: the one ``.ci/run`` started
(``DRIFTLINE_TEST_REDIS_URL``) or one started here on a free port. Each test
gets streams of its own names, so tests never see each other's messages.

- ``credit``: logistic regression over numbers a, b, c (the matrix path);
- ``shop``: a pipeline over a category ``colour`` and an integer ``size``
  (the DataFrame path), answering "yes" or "no".
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from driftline import Workspace


def wait_until(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(delay)  # polling interval, not synchronization: the condition decides
        delay = min(delay * 2, 0.1)


# -- the streams ---------------------------------------------------------------


@dataclass(frozen=True)
class Streams:
    """Stream names private to one test, and a client of their server."""

    server: str
    client: Any
    source: str
    sink: str
    dead: str

    def url(self, stream: str) -> str:
        return f"{self.server}/{stream}"

    def send(self, rows: list[dict[str, Any]]) -> list[str]:
        """One message per row, its inputs as JSON in ``data``; their ids."""
        return self.send_fields([{"data": json.dumps(row)} for row in rows])

    def send_fields(self, messages: list[dict[str, Any]]) -> list[str]:
        """Messages with the fields given, as they are; their ids."""
        pipe = self.client.pipeline(transaction=False)
        for fields in messages:
            pipe.xadd(self.source, fields)
        return [i.decode() for i in pipe.execute()]

    def results(self) -> list[dict[str, str]]:
        return _read(self.client, self.sink)

    def letters(self) -> list[dict[str, str]]:
        return _read(self.client, self.dead)

    def pending(self, group: str) -> int:
        try:
            return int(self.client.xpending(self.source, group)["pending"])
        except Exception:  # no group yet
            return 0


def _read(client: Any, stream: str) -> list[dict[str, str]]:
    return [
        {k.decode(): v.decode() for k, v in fields.items()}
        for _, fields in client.xrange(stream, "-", "+")
    ]


@pytest.fixture
def streams(redis_server: str) -> Iterator[Streams]:
    import redis

    client = redis.Redis.from_url(redis_server)
    tag = uuid.uuid4().hex[:10]
    names = Streams(redis_server, client, f"in-{tag}", f"out-{tag}", f"dead-{tag}")
    yield names
    client.delete(names.source, names.sink, names.dead)
    client.close()


# -- models and workspaces -----------------------------------------------------


@dataclass(frozen=True)
class Trained:
    credit: Any
    shop: Any
    numeric: pd.DataFrame
    shop_rows: pd.DataFrame


@pytest.fixture(scope="session")
def trained() -> Trained:
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(11)
    n = 300
    numeric = pd.DataFrame({k: rng.normal(size=n) for k in ("a", "b", "c")})
    y = ((numeric["a"] + numeric["b"] + 0.3 * rng.normal(size=n)) > 0).astype(int)
    credit = LogisticRegression().fit(numeric, y)
    shop_rows = pd.DataFrame(
        {"colour": rng.choice(["red", "green", "blue"], size=n), "size": rng.integers(1, 10, n)}
    )
    labels = np.where((shop_rows["colour"] == "red") | (shop_rows["size"] > 6), "yes", "no")
    shop = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["colour"]), (StandardScaler(), ["size"])
        ),
        LogisticRegression(),
    ).fit(shop_rows, labels)
    return Trained(credit, shop, numeric, shop_rows)


def local(home: Path) -> dict[str, str]:
    """Everything inside the folder, whatever DRIFTLINE_* says, so it can be copied."""
    return {
        "database_url": f"sqlite:///{home / 'driftline.db'}",
        "artifacts_url": str(home / "artifacts"),
    }


@pytest.fixture(scope="session")
def template_home(tmp_path_factory: pytest.TempPathFactory, trained: Trained) -> Path:
    home = tmp_path_factory.mktemp("stream-template") / "ws"
    with Workspace.init(home, actor="tester", **local(home)) as ws:
        y = trained.credit.predict(trained.numeric)
        ws.register("credit", trained.credit, train=trained.numeric.assign(y=y), target="y")
        shop_y = trained.shop.predict(trained.shop_rows)
        ws.register(
            "shop", trained.shop, train=trained.shop_rows.assign(label=shop_y), target="label"
        )
        ws.set_alias("credit", 1, "champion")
        ws.set_alias("shop", 1, "champion")
    return home


@pytest.fixture
def ws(template_home: Path, tmp_path: Path) -> Iterator[Workspace]:
    """A private copy of the workspace (its inference log is this test's own)."""
    home = tmp_path / "ws"
    shutil.copytree(template_home, home)
    workspace = Workspace.open(home, create=False, actor="tester", **local(home))
    yield workspace
    workspace.close()


# -- workers in threads ----------------------------------------------------------


class Running:
    """A :class:`StreamWorker` running in a thread of the test process."""

    def __init__(self, worker: Any) -> None:
        self.worker = worker
        self.error: BaseException | None = None
        self.stats: Any = None
        self.thread = threading.Thread(target=self._work, name="stream-worker", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        try:
            self.stats = self.worker.run()
        except BaseException as exc:
            self.error = exc

    def join(self, timeout: float = 30) -> Any:
        """Wait for the worker to return by itself (``drain``); its stats."""
        self.thread.join(timeout=timeout)
        if self.thread.is_alive():
            pytest.fail(f"the worker did not stop within {timeout:g}s")
        if self.error is not None:
            raise self.error
        return self.stats

    def finish(self, timeout: float = 30) -> Any:
        """Stop the worker (as SIGTERM does) and return its stats."""
        self.worker.stop("the test asked")
        return self.join(timeout)


@pytest.fixture
def start_worker(ws: Workspace, streams: Streams) -> Iterator[Callable[..., Running]]:
    """Start workers on the test's streams; every one is stopped after the test."""
    from driftline.registry import ModelRuntime
    from driftline.stream import StreamAddress, StreamOptions, StreamWorker

    running: list[Running] = []

    def start(model: str = "credit@champion", *, log: Any = None, **options: Any) -> Running:
        options.setdefault("dead_letter", streams.dead)
        options.setdefault("block", 0.05)
        source = StreamAddress.parse(streams.url(streams.source))
        worker = StreamWorker(
            ModelRuntime.load(ws.context, model),
            source,
            source.beside(streams.sink, option="--sink"),
            StreamOptions(**options),
            log=log,
        )
        running.append(Running(worker))
        return running[-1]

    yield start
    for run in running:
        run.worker.stop("the test ended")
    for run in running:
        run.thread.join(timeout=30)
        run.worker.client.close()


@pytest.fixture
def wait() -> Callable[..., Any]:
    """:func:`wait_until`: poll a condition with a deadline instead of sleeping."""
    return wait_until
