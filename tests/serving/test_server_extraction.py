"""A simple extraction attack on the real HTTP API, with and without hardening.

The attacker holds a predictor token, sends synthetic inputs over the range of
the training data, and trains a decision tree on the answers. Its agreement
with the served model on held-out rows measures how much of the model it
copied. Hardened (labels only, and 5 inputs a second per token), the endpoint
answers a fraction of the queries and the copy agrees less.
"""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
from sklearn.tree import DecisionTreeClassifier

from driftline import auth
from driftline.guard import GuardPolicy
from driftline.serving import deploy

REQUESTS, ROWS = 60, 10


def _steal(url: str, secret: str) -> tuple[np.ndarray, np.ndarray, int]:
    """The inputs answered and their labels; also how many requests were refused."""
    rng = np.random.default_rng(11)
    inputs, labels, refused = [], [], 0
    with httpx.Client(base_url=url, timeout=30) as http:
        for _ in range(REQUESTS):
            x = rng.uniform(-3, 3, size=(ROWS, 3))
            body: dict[str, Any] = {
                "records": [dict(zip("abc", r, strict=True)) for r in x.tolist()]
            }
            r = http.post(
                "/v1/models/forest/predict",
                json=body,
                headers={"Authorization": f"Bearer {secret}"},
            )
            if r.status_code == 429:
                refused += 1
                continue
            assert r.status_code == 200, r.text
            inputs.append(x)
            labels.extend(r.json()["predictions"])
    if not inputs:
        return np.zeros((0, 3)), np.zeros(0), refused
    return np.vstack(inputs), np.array(labels), refused


def _agreement(trained: Any, x: np.ndarray, y: np.ndarray) -> float:
    holdout = np.random.default_rng(99).normal(size=(2000, 3))
    victim = trained.forest_v1.predict(_frame(holdout))
    if len(set(y.tolist())) < 2:  # one class seen: the copy answers it everywhere
        return float(np.mean(victim == (y[0] if len(y) else 0)))
    copy = DecisionTreeClassifier(random_state=0).fit(x, y)
    return float(np.mean(copy.predict(holdout) == victim))


def _frame(x: np.ndarray) -> Any:
    import pandas as pd

    return pd.DataFrame(x, columns=["a", "b", "c"])


def test_hardening_lowers_the_queries_answered_and_the_copys_agreement(  # type: ignore[no-untyped-def]
    serve, ws, trained
) -> None:
    _, secret = auth.create(ws.context, role="predictor", name="attacker")
    server = serve(ws, auth=True)
    x_open, y_open, refused_open = _steal(server.url, secret)
    open_agreement = _agreement(trained, x_open, y_open)

    deploy(
        ws.context,
        "forest",
        guard=GuardPolicy(labels_only=True, token_rate=5, burst=ROWS * 2),
    )
    hardened = serve(ws, auth=True)
    x_hard, y_hard, refused_hard = _steal(hardened.url, secret)
    hard_agreement = _agreement(trained, x_hard, y_hard)

    assert refused_open == 0 and len(x_open) == REQUESTS * ROWS
    # The bucket lets 20 inputs through at once, then 5 a second: a fraction of 600.
    assert refused_hard > REQUESTS // 2 and len(x_hard) < REQUESTS * ROWS / 4
    assert open_agreement > 0.8, open_agreement
    assert hard_agreement < open_agreement, (hard_agreement, len(x_hard))
