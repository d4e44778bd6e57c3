"""DLE tracks realized regression error where the noise grows with the inputs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from driftline.errors import InputError
from driftline.estimate import DLE, estimate_performance


def covered(frame: pd.DataFrame, name: str) -> np.ndarray:
    realized = frame[f"{name}_realized"]
    return ((frame[f"{name}_low"] <= realized) & (realized <= frame[f"{name}_high"])).to_numpy()


def test_estimated_mae_and_rmse_follow_heteroscedastic_shift(worlds: Any) -> None:
    reference = worlds.regression(3000, 0.0, seed=1)
    shifts = [0.0] * 8 + [0.5] * 8 + [1.0] * 8
    current = worlds.stacked([worlds.regression(500, s, seed=10 + i) for i, s in enumerate(shifts)])
    est = estimate_performance(reference, current, target="y", y_pred="pred", window=500)
    frame = est.to_frame()
    assert est.method == "dle" and est.task == "regression" and est.metrics == ["mae", "rmse"]
    for name in ("mae", "rmse"):
        realized, estimate = frame[f"{name}_realized"], frame[name]
        # The error truly grows as rows move where the noise is larger, and so does the estimate.
        assert realized[-8:].mean() > 1.2 * realized[:8].mean()
        assert estimate[-8:].mean() > 1.2 * estimate[:8].mean()
        assert np.corrcoef(estimate, realized)[0, 1] > 0.8
        error = (estimate - realized).abs().mean()
        assert error < 0.06 * realized.mean(), name
        naive = (est.reference[name] - realized).abs().mean()
        assert naive > 2 * error, name
    # The 95% bands hold most windows, mae and rmse pooled (24 windows a metric; in
    # 60 windows a shift, coverage measured 0.95-0.98 at each of these shifts).
    assert np.mean([covered(frame, name).mean() for name in ("mae", "rmse")]) >= 0.8


def test_text_columns_are_features_and_unseen_categories_do_not_break_it(worlds: Any) -> None:
    reference = worlds.regression(3000, 0.0, seed=2)
    # The noise depends on a category only: DLE must use the text column to see it.
    rng = np.random.default_rng(3)
    for frame in (reference,):
        frame["kind"] = rng.choice(["calm", "wild"], len(frame))
        frame["y"] = frame["pred"] + np.where(frame["kind"] == "wild", 3.0, 0.3) * rng.normal(
            size=len(frame)
        )
    current = worlds.regression(1000, 0.0, seed=4)
    current["kind"] = np.where(np.arange(1000) < 500, "calm", "wild")
    current["y"] = current["pred"] + np.where(current["kind"] == "wild", 3.0, 0.3) * rng.normal(
        size=1000
    )
    current.loc[990:, "kind"] = "never seen"
    frame = estimate_performance(
        reference, current, target="y", y_pred="pred", metrics=["mae"], window=500
    ).to_frame()
    assert frame["mae"][1] > 4 * frame["mae"][0]
    assert ((frame["mae"] - frame["mae_realized"]).abs() < 0.15 * frame["mae_realized"]).all()


def test_loss_models_are_fitted_in_fit_only() -> None:
    dle = DLE(metrics=("mae",), n_folds=3)
    with pytest.raises(InputError, match="call fit"):
        dle.estimate(pd.DataFrame({"x": [1.0]}), [1.0])
    with pytest.raises(InputError, match="at least 30"):
        dle.fit(pd.DataFrame({"x": np.arange(10.0)}), np.arange(10.0), np.arange(10.0))
    with pytest.raises(InputError, match="cannot estimate 'r2'"):
        DLE(metrics=("r2",)).fit(pd.DataFrame({"x": [1.0]}), [1.0], [1.0])
