import numpy as np
import pandas as pd
import pytest

from driftline.errors import InputError
from driftline.represent import TabularPreprocessor


def test_numeric_columns_are_standardized_with_reference_statistics(mixed_frame):
    prep = TabularPreprocessor().fit(mixed_frame)
    Z = prep.transform(mixed_frame)
    a = prep.feature_names_out_.index("a")
    assert Z[:, a].mean() == pytest.approx(0.0, abs=1e-12)
    assert Z[:, a].std() == pytest.approx(1.0)
    shifted = prep.transform(mixed_frame.assign(a=mixed_frame["a"] + 1.0))
    # A shifted batch keeps its shift: it is scaled with reference numbers, not its own.
    assert shifted[:, a].mean() == pytest.approx(1.0 / mixed_frame["a"].std(ddof=0))


def test_categories_one_hot_and_unseen_category_is_all_zero(mixed_frame):
    prep = TabularPreprocessor().fit(mixed_frame)
    names = prep.feature_names_out_
    onehot = [names.index(f"colour={c}") for c in ("red", "green", "blue")]
    Z = prep.transform(mixed_frame)
    assert np.all(Z[:, onehot].sum(axis=1) == 1.0)
    new = mixed_frame.head(2).assign(colour=["purple", "red"])
    Zn = prep.transform(new)
    assert Zn[0, onehot].tolist() == [0.0, 0.0, 0.0]
    assert Zn[1, onehot].tolist() == [1.0, 0.0, 0.0]


def test_missing_values_get_reference_median_and_an_indicator(mixed_frame):
    prep = TabularPreprocessor(scale=False).fit(mixed_frame)
    names = prep.feature_names_out_
    assert "gappy__missing" in names
    # Columns without gaps in the reference get no indicator.
    assert "a__missing" not in names
    row = mixed_frame.head(1).assign(gappy=[np.nan])
    Z = prep.transform(row)
    assert Z[0, names.index("gappy")] == pytest.approx(np.nanmedian(mixed_frame["gappy"]))
    assert Z[0, names.index("gappy__missing")] == 1.0


def test_missing_category_is_a_category_of_its_own():
    frame = pd.DataFrame({"c": ["a", None, "a", "b"]})
    prep = TabularPreprocessor().fit(frame)
    assert "c=__missing__" in prep.feature_names_out_
    assert prep.transform(frame).sum(axis=0).tolist() == [2.0, 1.0, 1.0]


def test_max_categories_keeps_the_most_frequent():
    frame = pd.DataFrame({"c": ["a"] * 5 + ["b"] * 3 + ["c"]})
    prep = TabularPreprocessor(max_categories=2).fit(frame)
    assert prep.feature_names_out_ == ["c=a", "c=b"]
    assert prep.transform(pd.DataFrame({"c": ["c"]})).tolist() == [[0.0, 0.0]]


def test_column_order_and_extra_columns_do_not_matter(mixed_frame):
    prep = TabularPreprocessor().fit(mixed_frame)
    shuffled = mixed_frame[list(reversed(mixed_frame.columns))].assign(extra=1)
    np.testing.assert_array_equal(prep.transform(shuffled), prep.transform(mixed_frame))


def test_numpy_arrays_are_accepted():
    X = np.random.default_rng(0).normal(size=(50, 3))
    prep = TabularPreprocessor().fit(X)
    assert prep.feature_names_out_ == ["x0", "x1", "x2"]
    assert prep.transform(X[:4]).shape == (4, 3)


def test_arrays_must_keep_the_reference_width():
    prep = TabularPreprocessor().fit(np.ones((4, 2)))
    with pytest.raises(InputError, match="expected 2 columns as in the reference, got 3"):
        prep.transform(np.ones((2, 3)))
    with pytest.raises(InputError, match="column 'x1' must be finite, got inf in row 1"):
        prep.transform(np.array([[1.0, 2.0], [1.0, np.inf]]))


def test_datetime_and_boolean_columns_are_numbers():
    frame = pd.DataFrame(
        {"when": pd.date_range("2024-01-01", periods=6, freq="D"), "flag": [True, False] * 3}
    )
    prep = TabularPreprocessor().fit(frame)
    assert prep.feature_names_out_ == ["flag", "when"]
    assert np.isfinite(prep.transform(frame)).all()


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        (pd.DataFrame({"a": [1.0]}), "columns \\['b'\\] of the reference are missing"),
        (pd.DataFrame({"a": [1.0], "b": ["forty"]}), "column 'b' must be a number, got 'forty'"),
        (pd.DataFrame({"a": [1.0], "b": [np.inf]}), "column 'b' must be finite"),
        (
            np.ones((2, 2)),
            "the reference was a DataFrame with columns \\['a', 'b'\\], got an array",
        ),
        (np.ones(3), "got a 1-D array"),
    ],
)
def test_errors_say_what_was_expected(batch, message):
    prep = TabularPreprocessor().fit(pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}))
    with pytest.raises(InputError, match=message):
        prep.transform(batch)


def test_transform_before_fit_says_to_fit():
    with pytest.raises(InputError, match=r"not fitted yet; call TabularPreprocessor\.fit"):
        TabularPreprocessor().transform(np.ones((2, 2)))
