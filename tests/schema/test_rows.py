"""row_problems gives every failing row its reason, and agrees with validate row by row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.errors import SchemaError
from driftline.schema import Signature, row_problems

TRAIN = pd.DataFrame(
    {
        "age": [30, 41, 52],
        "income": [1.5, 2.5, np.nan],
        "plan": ["basic", "pro", "basic"],
        "active": [True, False, True],
        "seen": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]),
    }
)
SIG = Signature.infer(TRAIN)


def batch() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [33, None, 2.5, 9.3e18, 44, 45, 46, 47, 48],
            "income": [1.0, np.nan, 3.0, 4.0, np.inf, 6.0, 7.0, 8.0, 9.0],
            "plan": ["pro", "basic", None, "pro", "pro", 7, "basic", "pro", "pro"],
            "active": [True, False, True, True, False, True, "yes", True, True],
            "seen": [
                "2025-01-02",
                "2025-01-03",
                "x",
                "2025-01-04",
                "2025-01-05",
                "2025-01-06",
                "2025-01-07",
                "not a date",
                "2025-01-08",
            ],
        }
    )


def test_each_row_gets_its_first_problem() -> None:
    assert row_problems(SIG, batch()) == [
        None,
        "column 'age' must not be missing (it never was in training), got a missing value",
        "column 'age' must be a whole number, got 2.5",
        "column 'age' must be a whole number between -9223372036854775808 and "
        "9223372036854775807, got 9.3e+18",
        "column 'income' must be a finite number, got inf; send a real value, or null if it "
        "is missing",
        "column 'plan' must be text, got 7",
        "column 'active' must be true or false, got 'yes'",
        "column 'seen' must be a date-time, got 'not a date'",
        None,
    ]


@pytest.mark.parametrize("row", range(9))
def test_it_agrees_with_validate_on_each_row_alone(row: int) -> None:
    one = batch().iloc[[row]].reset_index(drop=True)
    one = one.astype({c: object for c in one.columns if one[c].dtype == object})
    reason = row_problems(SIG, batch())[row]
    if reason is None:
        SIG.validate(one.astype({"age": "int64"}))
        return
    with pytest.raises(SchemaError) as caught:
        SIG.validate(one)
    assert str(caught.value).replace(" in row 0", "") == reason


def test_a_missing_column_fails_every_row() -> None:
    reasons = row_problems(SIG, batch().drop(columns="plan"))
    assert set(reasons) == {"missing column(s) 'plan'; expected: age, income, plan, active, seen"}


def test_clean_typed_numbers_are_not_looked_at_one_by_one() -> None:
    frame = pd.DataFrame({"x": np.arange(100_000, dtype=float)})
    sig = Signature.infer(frame)
    frame.loc[99_999, "x"] = np.inf
    reasons = row_problems(sig, frame)
    assert reasons.count(None) == 99_999 and reasons[-1].startswith("column 'x' must be a finite")
