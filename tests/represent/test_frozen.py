"""A frozen outlier scorer scores as the fitted one does, from plain stored numbers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from driftline.errors import InputError
from driftline.represent import FrozenOutlierScorer, OutlierScorer, PCAEncoder


def _table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, 4)), columns=["a", "b", "c", "d"])
    frame["colour"] = rng.choice(["red", "green", "blue"], size=n)
    frame.loc[rng.random(n) < 0.05, "b"] = np.nan  # gaps: imputed, with an indicator column
    return frame


def test_frozen_scores_equal_the_fitted_scorers_through_json() -> None:
    scorer = OutlierScorer(fpr=0.02, random_state=0).fit(_table(600, 0))
    frozen = FrozenOutlierScorer.from_dict(
        json.loads(json.dumps(FrozenOutlierScorer.freeze(scorer).to_dict()))
    )
    fresh = _table(200, 1)
    fresh.loc[0, "a"] = 25.0
    np.testing.assert_allclose(frozen.score(fresh), scorer.score(fresh), rtol=1e-9, atol=1e-9)
    assert frozen.threshold == scorer.threshold_
    assert frozen.is_outlier(fresh)[0] and frozen.is_outlier(fresh).mean() < 0.1


def test_a_numeric_matrix_in_any_column_order_scores_as_its_table() -> None:
    table = _table(600, 2).drop(columns="colour").fillna(0.0)
    frozen = FrozenOutlierScorer.freeze(OutlierScorer(fpr=0.02, random_state=0).fit(table))
    fresh = _table(50, 3).drop(columns="colour")
    names = ["d", "c", "b", "a"]
    np.testing.assert_allclose(
        frozen.score(fresh[names].to_numpy(), names), frozen.score(fresh), rtol=1e-9
    )
    with pytest.raises(InputError, match=r"needs columns \['d'\]"):
        frozen.score(fresh[["a", "b", "c"]].to_numpy(), ["a", "b", "c"])


def test_only_the_knn_scorer_on_its_own_columns_freezes_and_old_formats_say_so() -> None:
    X = np.random.default_rng(0).normal(size=(400, 3))
    scorer = OutlierScorer(encoder=PCAEncoder(n_components=2), fpr=0.05, random_state=0).fit(X)
    with pytest.raises(InputError, match="only an OutlierScorer with method 'knn'"):
        FrozenOutlierScorer.freeze(scorer)
    with pytest.raises(InputError, match="register the model again"):
        FrozenOutlierScorer.from_dict({"format": 99, "kind": "knn"})
