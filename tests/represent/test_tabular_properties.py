"""Hypothesis: the table-to-matrix mapping is consistent between fit and transform."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from driftline.represent import TabularPreprocessor

numbers = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False))
labels = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d"]))


@st.composite
def frames(draw):
    n = draw(st.integers(2, 12))
    return pd.DataFrame(
        {
            "x": draw(st.lists(numbers, min_size=n, max_size=n)),
            "y": draw(st.lists(st.floats(-10, 10), min_size=n, max_size=n)),
            "c": draw(st.lists(labels, min_size=n, max_size=n)),
        }
    ).astype({"x": float, "c": object})


@settings(max_examples=40, deadline=None, derandomize=True)
@given(reference=frames(), batch=frames())
def test_each_row_is_encoded_on_its_own(reference, batch):
    prep = TabularPreprocessor().fit(reference)
    Z = prep.transform(batch)
    assert Z.shape == (len(batch), len(prep.feature_names_out_))
    assert np.isfinite(Z).all()
    # Row by row gives the same as the whole batch: nothing leaks between rows.
    for i in range(len(batch)):
        np.testing.assert_allclose(prep.transform(batch.iloc[[i]])[0], Z[i])
    # Each row has at most one category set, and exactly one if it was seen.
    onehot = [j for j, name in enumerate(prep.feature_names_out_) if name.startswith("c=")]
    assert set(np.unique(Z[:, onehot].sum(axis=1))) <= {0.0, 1.0}


@settings(max_examples=40, deadline=None, derandomize=True)
@given(reference=frames())
def test_reference_rows_are_centred_and_fully_one_hot(reference):
    prep = TabularPreprocessor(max_categories=10).fit(reference)
    Z = prep.transform(reference)
    numeric = [prep.feature_names_out_.index(c) for c in prep.numeric_columns_]
    np.testing.assert_allclose(Z[:, numeric].mean(axis=0), 0.0, atol=1e-6)
    onehot = [j for j, name in enumerate(prep.feature_names_out_) if name.startswith("c=")]
    np.testing.assert_array_equal(Z[:, onehot].sum(axis=1), 1.0)
