"""A shop whose inputs drifted: two versions, the second promoted by the loop, traffic watched.

``shop`` is a logistic regression on four inputs. Version 1 served first;
the loop promoted version 2 (a finished run in the database, as the loop
leaves it). The last two days of its traffic are logged as the server logs
them (latency, a few failures, labels), and in the last 18 hours incomes
bunched up, unlike the training data. Monitoring ran hourly over them with a
labelled reference, so drift, estimated and realized performance, and
alerts are all real results of the services.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from driftline import Workspace, auth, evaluation, monitor
from driftline.serving import deploy
from driftline.store import InferenceLog, LoopRunRow

FEATURES = ["income", "age", "visits", "basket"]
HOURS = 48
DRIFT_HOURS = 18


@dataclass
class World:
    ws: Workspace
    home: Path
    operator: str  # token secrets
    viewer: str
    now: dt.datetime


def rows(rng: np.random.Generator, n: int, *, drift: bool = False) -> pd.DataFrame:
    """Inputs and labels; with ``drift`` incomes bunch up near where the answer turns."""
    frame = pd.DataFrame({c: rng.normal(size=n) for c in FEATURES})
    if drift:
        frame["income"] = 0.2 * frame["income"] - 0.3
    score = frame["income"] + 0.9 * frame["age"] + 0.6 * rng.normal(size=n)
    frame["y"] = (score > 0).astype(int)
    return frame


def _log(ws: Workspace, rng: np.random.Generator, now: dt.datetime) -> None:
    model = ws.load_model("shop:2")
    log = InferenceLog.open(ws.settings)
    n = 0
    try:
        for hour in range(HOURS):
            when = now - dt.timedelta(hours=HOURS - hour) + dt.timedelta(minutes=7)
            drifted = hour >= HOURS - DRIFT_HOURS
            batch = rows(rng, 120, drift=drifted)
            proba = model.predict_proba(batch[FEATURES])
            for i in range(len(batch)):
                n += 1
                rid, stamp = f"r{n}", (when + dt.timedelta(seconds=i)).isoformat()
                log.append(
                    {
                        "kind": "prediction",
                        "request_id": rid,
                        "timestamp": stamp,
                        "model": "shop",
                        "version": 2,
                        "route": "champion",
                        "latency_ms": float(3 + rng.gamma(2.0, 2.0)),
                        "inputs": {c: float(batch[c].iloc[i]) for c in FEATURES},
                        "prediction": int(proba[i].argmax()),
                        "probabilities": [float(p) for p in proba[i]],
                    }
                )
                log.append(
                    {
                        "kind": "label",
                        "model": "shop",
                        "request_id": rid,
                        "timestamp": stamp,
                        "label": int(batch["y"].iloc[i]),
                    }
                )
            if hour % 6 == 0:
                log.append(
                    {
                        "kind": "failure",
                        "model": "shop",
                        "request_id": f"f{hour}",
                        "timestamp": when.isoformat(),
                        "version": 2,
                        "route": "champion",
                        "rows": 1,
                        "error": "TimeoutError",
                        "latency_ms": 10.0,
                    }
                )
    finally:
        log.close()


def build(home: Path, *, seed: int = 0) -> World:
    rng = np.random.default_rng(seed)
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    ws = Workspace.init(home, actor="maker")
    train = rows(rng, 1500)
    holdout = rows(rng, 800)
    for version, C in ((1, 0.05), (2, 1.0)):
        fitted = LogisticRegression(C=C).fit(train[FEATURES], train["y"])
        ws.register("shop", fitted, train=train, target="y", description=f"shop v{version}")
        evaluation.evaluate(
            f"shop:{version}",
            holdout,
            target="y",
            context=ws.context,
            n_resamples=200,
            actor="maker",
        )
    ws.set_alias("shop", 1, "champion")
    deploy(ws.context, "shop")
    ws.set_alias("shop", 2, "champion")  # as the loop's promotion left it
    with ws.context.db.write() as s:
        s.add(
            LoopRunRow(
                model="shop",
                state="promoted",
                paused=False,
                trigger="manual",
                champion=1,
                candidate=2,
                step=2,
                percent=100.0,
                reason="version 2 of shop passed every step and answers all traffic.",
                details={},
                started_by="maker",
                created_at=now - dt.timedelta(days=3),
                updated_at=now - dt.timedelta(days=3),
                finished_at=now - dt.timedelta(days=3),
            )
        )
    _log(ws, rng, now)
    holdout_path = home.parent / "holdout.csv"
    holdout.to_csv(holdout_path, index=False)
    monitor.run(ws.context, "shop@champion", window="1h", reference=holdout_path, target="y")
    _, operator = auth.create(ws.context, role="operator", name="olivia")
    _, viewer = auth.create(ws.context, role="viewer", name="victor")
    return World(ws, home, operator, viewer, now)
