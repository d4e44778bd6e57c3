"""A served model whose traffic drifts: the loop's tests share one shape of world.

``shop`` is a logistic regression on four numeric inputs. Its traffic is
written to the inference log as the server writes it (routes, versions,
latencies, probabilities; labels, outcomes and failures by request id), either
straight into the log (fast, for the state machine) or through a real server
(the end-to-end test). Drift moves ``x1`` and the boundary with it, so the
champion gets worse and a model retrained on recent labels is better.
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from driftline import Workspace
from driftline.store import InferenceLog

FEATURES = ["x1", "x2", "x3", "x4"]
HOOK = """\
from sklearn.linear_model import LogisticRegression


def train(data, champion):
    return LogisticRegression().fit(data.drop(columns=["y"]), data["y"])
"""


def make_rows(rng: np.random.Generator, n: int, *, drift: bool = False) -> pd.DataFrame:
    """Inputs and labels; with ``drift`` x1 moves up and the boundary moves with it."""
    frame = pd.DataFrame({c: rng.normal(size=n) for c in FEATURES})
    shift = 1.5 if drift else 0.0
    frame["x1"] += shift
    score = frame["x1"] - 1.2 * shift + 0.8 * frame["x2"] + 0.3 * rng.normal(size=n)
    frame["y"] = (score > 0).astype(int)
    return frame


def fit(frame: pd.DataFrame, *, flip: bool = False) -> LogisticRegression:
    y = 1 - frame["y"] if flip else frame["y"]
    return LogisticRegression().fit(frame[FEATURES], y)


@dataclass
class World:
    ws: Workspace
    home: Path
    rng: np.random.Generator
    ids: Iterator[int] = field(default_factory=itertools.count)

    @property
    def ctx(self) -> Any:
        return self.ws.context

    def policy(self, text: str, name: str = "shop") -> Path:
        """Write ``text`` as the model's policy (the hook file beside it)."""
        from driftline.loop import set_policy

        folder = self.home.parent / "policy"
        folder.mkdir(exist_ok=True)
        (folder / "hooks.py").write_text(HOOK)
        path = folder / f"{name}.toml"
        path.write_text(text)
        set_policy(self.ctx, name, path, actor="tester")
        return path

    def log(
        self,
        rows: pd.DataFrame,
        *,
        version: int,
        route: str = "champion",
        model: Any = None,
        labels: bool = True,
        latency_ms: float | np.ndarray = 5.0,
        failed: int = 0,
        outcomes: dict[str, np.ndarray] | None = None,
        at: dt.datetime | None = None,
    ) -> list[str]:
        """Log ``rows`` as answered by ``version`` on ``route`` (as the server logs them)."""
        model = model if model is not None else self.ws.load_model(f"shop:{version}")
        proba = model.predict_proba(rows[FEATURES])
        pred = model.classes_[proba.argmax(axis=1)]
        when = (at or dt.datetime.now(dt.UTC)).isoformat()
        latency = np.broadcast_to(np.asarray(latency_ms, dtype=float), (len(rows),))
        ids = [f"r{next(self.ids)}" for _ in range(len(rows))]
        log = InferenceLog.open(self.ws.settings)
        try:
            for i, (rid, (_, row)) in enumerate(zip(ids, rows.iterrows(), strict=True)):
                log.append(
                    {
                        "kind": "prediction",
                        "request_id": rid,
                        "timestamp": when,
                        "model": "shop",
                        "version": version,
                        "route": route,
                        "latency_ms": float(latency[i]),
                        "inputs": {c: float(row[c]) for c in FEATURES},
                        "prediction": int(pred[i]),
                        "probabilities": [float(p) for p in proba[i]],
                    }
                )
                if labels:
                    log.append(_posted("label", rid, when, label=int(row["y"])))
                for name, values in (outcomes or {}).items():
                    log.append(_posted("outcome", rid, when, name=name, value=float(values[i])))
            for _ in range(failed):
                log.append(
                    {
                        "kind": "failure",
                        "model": "shop",
                        "request_id": f"f{next(self.ids)}",
                        "timestamp": when,
                        "version": version,
                        "route": route,
                        "rows": 1,
                        "error": "TimeoutError",
                        "latency_ms": 10.0,
                    }
                )
        finally:
            log.close()
        return ids


def _posted(kind: str, rid: str, when: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "model": "shop", "request_id": rid, "timestamp": when, **fields}


def build(home: Path, database_url: str, seed: int = 0) -> World:
    """A workspace with shop:1 trained on undrifted data, champion and deployed."""
    from driftline.serving import deploy

    rng = np.random.default_rng(seed)
    ws = Workspace.init(home, database_url=database_url, actor="tester")
    train = make_rows(rng, 1500)
    ws.register("shop", fit(train), train=train, target="y")
    ws.set_alias("shop", 1, "champion")
    deploy(ws.context, "shop")
    return World(ws, home, rng)


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    """The world on SQLite and on PostgreSQL (the loop's state on both)."""
    built = build(tmp_path / "ws", database_url)
    yield built
    built.ws.close()


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite world built once; tests that need many fresh copies copy its folder."""
    home = tmp_path_factory.mktemp("loop-template") / "ws"
    built = build(home, f"sqlite:///{home / 'driftline.db'}")
    built.ws.close()
    return home


def copy_world(template: Path, where: Path, seed: int = 1) -> World:
    home = where / "ws"
    shutil.copytree(template, home)
    ws = Workspace.open(
        home, create=False, database_url=f"sqlite:///{home / 'driftline.db'}", actor="tester"
    )
    return World(ws, home, np.random.default_rng(seed))
