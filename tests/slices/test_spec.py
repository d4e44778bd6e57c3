"""Slices as text, words, dicts and masks: the forms agree and bad input says what to do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftline.errors import InputError
from driftline.slices import Condition, Slice, parse_slice


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [10.0, 30.0, 59.5, 60.0, 75.0, np.nan],
            "region": ["North", "South", "North", None, "North", "East"],
            "member": [True, False, True, True, False, True],
            "city": ["New York", "a,b", "x", "y", "New York", "x"],
            "kids": [0, 1, 2, 2, 3, 0],
            "seen": pd.to_datetime(
                ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", None, "2024-06-01"]
            ),
        }
    )


@pytest.mark.parametrize(
    ("text", "words", "rows"),
    [
        ("region=North", "region North", [0, 2, 4]),
        ("region == North", "region North", [0, 2, 4]),
        ("age >= 60 and region = 'North'", "age 60 or more and region North", [4]),
        ('city = "New York" ', "city New York", [0, 4]),
        ("region in North,South", "region North or South", [0, 1, 2, 4]),
        ("region in (North, East)", "region North or East", [0, 2, 4, 5]),
        ("age>=60", "age 60 or more", [3, 4]),
        ("age>60", "age over 60", [4]),
        ("age<30", "age under 30", [0]),
        ("age<=30", "age 30 or less", [0, 1]),
        ("30<=age<60", "age 30 to under 60", [1, 2]),
        ("60>age>=30", "age 30 to under 60", [1, 2]),
        ("60<=age", "age 60 or more", [3, 4]),
        ("age is missing", "age missing", [5]),
        ("region is null", "region missing", [3]),
        ("age>=60 and region=North", "age 60 or more and region North", [4]),
        ("age>=30&region=North", "age 30 or more and region North", [2, 4]),
        ("age>=30 AND member=true", "age 30 or more and member true", [2, 3]),
        ("member=1", "member = 1", [0, 2, 3, 5]),
        ("kids=2", "kids = 2", [2, 3]),
        ("kids in 0,3", "kids 0 or 3", [0, 4, 5]),
        ('city="New York"', "city New York", [0, 4]),
        ("city in 'a,b',x", "city a,b or x", [1, 2, 5]),
        ("seen>=2024-03-01", "seen 2024-03-01 or more", [2, 3, 5]),
    ],
)
def test_parse_describe_and_mask(
    frame: pd.DataFrame, text: str, words: str, rows: list[int]
) -> None:
    s = parse_slice(text, columns=list(frame.columns))
    assert s.describe() == words
    assert np.flatnonzero(s.mask(frame)).tolist() == rows
    again = parse_slice(s.to_text())
    assert again == parse_slice(again.to_text())
    assert np.array_equal(again.mask(frame), s.mask(frame))
    assert Slice.from_dict(s.to_dict()) == s


def test_every_table_kind_gives_the_same_mask(frame: pd.DataFrame) -> None:
    s = Slice.parse("age>=30 and region in North,East")
    expected = s.mask(frame)
    small = frame.drop(columns=["seen"])
    for table in (pa.Table.from_pandas(small), pl.from_pandas(small)):
        assert np.array_equal(s.mask(table), expected)


def test_built_conditions_read_like_parsed_ones(frame: pd.DataFrame) -> None:
    built = Slice((Condition.between("age", 30, 60), Condition.isin("region", ["North"])))
    assert built.describe() == "age 30 to under 60 and region North"
    assert built.to_text() == "30<=age<60 and region=North"
    assert np.array_equal(built.mask(frame), parse_slice(built.to_text()).mask(frame))
    assert Slice().describe() == "all rows" and Slice().mask(frame).all()
    named = Slice.parse("age>=60", name="seniors")
    assert named.label == "seniors (age 60 or more)"
    assert Slice.from_dict(named.to_dict()) == named


def test_long_lists_are_shortened_in_words() -> None:
    c = Condition.isin("city", ["a", "b", "c", "d", "e", "f"])
    assert c.describe() == "city a, b, c or 3 others"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("age>>60", "cannot read the slice condition 'age>>60'"),
        ("age", "column=value"),
        ("age>=", "column=value"),
        ("region=North and ", "'and' with nothing"),
        ("a=1 && b=2", "'and' with nothing"),
        ("", "at least one condition"),
        ('city="New York', "unclosed quote"),
        ("region in ", "cannot read"),
        ("60<=age<30", "holds no value"),
    ],
)
def test_bad_text_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_slice(text)


def test_unknown_column_lists_the_columns(frame: pd.DataFrame) -> None:
    with pytest.raises(InputError, match=r"'regoin'.*columns available: age, region"):
        parse_slice("regoin=North", columns=list(frame.columns))
    with pytest.raises(InputError, match=r"no column 'regoin'.*columns available: age, region"):
        parse_slice("regoin=North").mask(frame)


def test_values_must_fit_the_column(frame: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="'old' is not a number"):
        parse_slice("age>=old").mask(frame)
    with pytest.raises(InputError, match=r"a range .* needs numbers"):
        parse_slice("region>=1").mask(frame)
    with pytest.raises(InputError, match="not a date"):
        parse_slice("seen>=yesterday").mask(frame)
    with pytest.raises(InputError, match="table in memory"):
        parse_slice("age>=1").mask("data.parquet")


_text = st.text(alphabet="abcXYZ ,&<>=!_-'.0123", min_size=1, max_size=8).filter(
    lambda v: v == v.strip() and v
)
_numbers = st.one_of(
    st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
)
_columns = st.sampled_from(["age", "region", "x_1", "Income"])


@st.composite
def _conditions(draw: st.DrawFn) -> Condition:
    column = draw(_columns)
    kind = draw(st.sampled_from(["in", "range", "missing"]))
    if kind == "in":
        return Condition.isin(column, draw(st.lists(_text, min_size=1, max_size=4)))
    if kind == "missing":
        return Condition.missing(column)
    low, high = draw(st.one_of(st.none(), _numbers)), draw(st.one_of(st.none(), _numbers))
    if low is None and high is None:
        low = 0
    if low is not None and high is not None and low >= high:
        low, high = high, low + 1 if low == high else low
    return Condition.between(
        column, low, high, low_inclusive=draw(st.booleans()), high_inclusive=draw(st.booleans())
    )


@given(st.lists(_conditions(), min_size=1, max_size=3))
def test_text_round_trips(conditions: list[Condition]) -> None:
    s = Slice(tuple(conditions))
    assert parse_slice(s.to_text()) == s
    assert Slice.from_dict(s.to_dict()) == s
