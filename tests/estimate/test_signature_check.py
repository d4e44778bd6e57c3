"""With the model's signature, a wrong value is named by table, column and row, not by the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from driftline import SchemaError, estimate_performance
from driftline.schema import Signature


@pytest.fixture
def world() -> tuple[pd.DataFrame, LogisticRegression, Signature]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=600)
    data = pd.DataFrame({"x": x, "z": rng.normal(size=600)})
    data["y"] = (rng.random(600) < 1 / (1 + np.exp(-2 * x))).astype(int)
    model = LogisticRegression().fit(data[["x", "z"]], data["y"])
    return data, model, Signature.infer(data, target="y")


@pytest.mark.parametrize("where", ["reference", "current"])
def test_a_mistyped_column_is_named(world, where: str) -> None:  # type: ignore[no-untyped-def]
    data, model, signature = world
    reference, current = data[:300].copy(), data[300:].reset_index(drop=True)
    bad = reference if where == "reference" else current
    bad["x"] = bad["x"].astype(object)
    bad.loc[bad.index[5], "x"] = "forty"
    with pytest.raises(SchemaError) as caught:
        estimate_performance(
            reference, current, target="y", model=model, signature=signature, window=100
        )
    said = "the reference" if where == "reference" else "the current data"
    assert str(caught.value).startswith(
        f"{said} does not fit the model's inputs: column 'x' must be a number, got 'forty' in row 5"
    )
    assert caught.value.field == "x" and caught.value.row == 5


def test_matching_tables_estimate_as_without_the_check(world) -> None:  # type: ignore[no-untyped-def]
    data, model, signature = world
    args = (data[:300], data[300:].drop(columns="y"))
    checked = estimate_performance(*args, target="y", model=model, signature=signature)
    plain = estimate_performance(*args, target="y", model=model)
    assert checked.to_dict() == plain.to_dict()
