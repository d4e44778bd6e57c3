import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames

from driftline import InputError, SchemaError, Signature


@pytest.fixture
def train() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [23, 45, 61, 37],
            "income": [1.5, np.nan, 3.25, 2.0],
            "region": ["north", "south", "north", "east"],
            "member": [True, False, True, True],
            "churned": [0, 1, 0, 1],
        }
    )


def test_infer_kinds_ranges_categories_nullability(train: pd.DataFrame) -> None:
    sig = Signature.infer(train, target="churned")
    assert sig.names == ["age", "income", "region", "member"]
    assert (sig["age"].kind, sig["age"].min, sig["age"].max) == ("integer", 23.0, 61.0)
    assert sig["income"].kind == "number" and sig["income"].nullable
    assert not sig["age"].nullable
    assert sig["region"].categories == ("east", "north", "south")
    assert sig["member"].kind == "boolean"
    assert sig.output is not None
    assert (sig.output.task, sig.output.classes) == ("classification", (0, 1))


def test_regression_target() -> None:
    df = pd.DataFrame({"x": np.arange(50.0), "y": np.linspace(0, 1, 50)})
    sig = Signature.infer(df, target="y")
    assert sig.output is not None and sig.output.task == "regression"


def test_unknown_target_is_named(train: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="target column 'label' is not in the training data"):
        Signature.infer(train, target="label")


def test_validate_accepts_good_batch(train: pd.DataFrame) -> None:
    Signature.infer(train, target="churned").validate(train.drop(columns="churned"))


@pytest.mark.parametrize(
    ("change", "field", "row", "message"),
    [
        (lambda b: b.drop(columns="age"), "age", None, "missing column"),
        (lambda b: b.assign(extra=1), "extra", None, "unexpected column"),
        (
            lambda b: b.assign(age=[23, "forty", 3, 4]),
            "age",
            1,
            "must be a number, got 'forty' in row 1",
        ),
        (lambda b: b.assign(age=[23, 2.5, 3, 4]), "age", 1, "whole number"),
        (lambda b: b.assign(age=[23, 1, None, 4]), "age", 2, "must not be missing"),
        (lambda b: b.assign(region=["a", "b", "c", 7]), "region", 3, "must be text"),
        (lambda b: b.assign(member=[True, "yes", True, True]), "member", 1, "true or false"),
    ],
)
def test_validate_names_field_and_row(train, change, field, row, message) -> None:  # type: ignore[no-untyped-def]
    sig = Signature.infer(train, target="churned")
    with pytest.raises(SchemaError, match=message) as info:
        sig.validate(change(train.drop(columns="churned")))
    assert info.value.field == field
    assert info.value.row == row


def test_unseen_category_and_out_of_range_are_not_schema_errors(train: pd.DataFrame) -> None:
    sig = Signature.infer(train, target="churned")
    batch = train.drop(columns="churned").assign(region="west", age=200)
    sig.validate(batch)


@settings(max_examples=50, deadline=None)
@given(
    data_frames(
        [
            # NaN is a missing value; infinities are refused by validation (models reject them).
            column("a", dtype=float, elements=st.floats(allow_infinity=False)),
            column("b", dtype=int),
            column("c", elements=st.sampled_from(["x", "y", "z"])),
            column("d", dtype=bool),
        ]
    )
)
def test_signature_round_trips_through_dict(df: pd.DataFrame) -> None:
    sig = Signature.infer(df)
    assert Signature.from_dict(sig.to_dict()) == sig
    sig.validate(df)


def test_validate_matrix_names_column_and_row_like_validate() -> None:
    df = pd.DataFrame({"n": [1, 2, 3], "x": [0.5, np.nan, 1.5], "y": [1.0, 2.0, 3.0]})
    sig = Signature.infer(df)
    sig.validate_matrix(np.array([[1.0, np.nan, 2.0], [4.0, 0.1, 5.0]]))
    with pytest.raises(SchemaError, match="'y' must not be missing") as info:
        sig.validate_matrix(np.array([[1.0, 0.0, 2.0], [4.0, 0.1, np.nan]]))
    assert (info.value.field, info.value.row) == ("y", 1)
    with pytest.raises(SchemaError, match=r"'n' must be a whole number, got 2\.5 in row 0"):
        sig.validate_matrix(np.array([[2.5, 0.0, 2.0]]))
    with pytest.raises(SchemaError, match="expected 3 columns"):
        sig.validate_matrix(np.zeros((2, 2)))


@pytest.mark.parametrize(
    ("records", "field", "row", "message"),
    [
        (
            [{"n": 1, "x": 0.5}, {"n": 2, "x": float("inf")}],
            "x",
            1,
            r"'x' must be a finite number, got inf in row 1",
        ),
        (
            [{"n": float("-inf"), "x": 0.5}],
            "n",
            0,
            r"'n' must be a finite number, got -inf in row 0",
        ),
        # JSON parsers give Python integers of any size; 10**400 is no float at all.
        (
            [{"n": 1, "x": 10**400}],
            "x",
            0,
            r"'x' must be a number within ±1\.8e308, got an integer of about 401 digits",
        ),
        (
            [{"n": 10**300, "x": 0.5}],
            "n",
            0,
            r"'n' must be a whole number between -9223372036854775808 and 9223372036854775807, got an integer of about 301 digits",
        ),
        (
            [{"n": 2**63, "x": 0.5}],
            "n",
            0,
            r"'n' must be a whole number between .* got 9223372036854775808 in row 0",
        ),
    ],
)
def test_validate_refuses_infinite_and_oversized_numbers(records, field, row, message) -> None:  # type: ignore[no-untyped-def]
    sig = Signature.infer(pd.DataFrame({"n": [1, 2, 3], "x": [0.5, np.nan, 1.5]}))
    with pytest.raises(SchemaError, match=message) as info:
        sig.validate(pd.DataFrame.from_records(records))
    assert (info.value.field, info.value.row) == (field, row)


def test_validate_matrix_refuses_infinity_and_integers_beyond_int64() -> None:
    sig = Signature.infer(pd.DataFrame({"n": [1, 2, 3], "x": [0.5, np.nan, 1.5]}))
    with pytest.raises(
        SchemaError,
        match=r"'x' must be a finite number, got inf in row 1; send a real value, or null if it is missing",
    ) as info:
        sig.validate_matrix(np.array([[1.0, 0.5], [2.0, np.inf]]))
    assert (info.value.field, info.value.row) == ("x", 1)
    with pytest.raises(
        SchemaError, match=r"'n' must be a finite number, got -inf in row 0; send a real value$"
    ):
        sig.validate_matrix(np.array([[-np.inf, 0.5]]))
    with pytest.raises(SchemaError, match=r"'n' must be a whole number between") as info:
        sig.validate_matrix(np.array([[1.0, 0.5], [1.0, 0.5], [1e300, 0.5]]))
    assert (info.value.field, info.value.row) == ("n", 2)
    sig.validate_matrix(np.array([[2.0**62, 1e300], [-(2.0**63), np.nan]]))  # at the edges: fine


def test_text_columns_are_those_a_csv_must_keep_as_text(train: pd.DataFrame) -> None:
    sig = Signature.infer(train, target="churned")
    assert sig.text_columns() == ["region"]  # classes 0 and 1 stay whole numbers
    words = Signature.infer(train.assign(churned=["no", "yes", "no", "yes"]), target="churned")
    assert words.text_columns() == ["region", "churned"]
    assert words.text_columns(target="label") == ["region", "label"]  # the label renamed
