"""MLflow's scoring protocol: every request format MLflow 2.x accepts, and its response."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftline.errors import InputError
from driftline.schema import ColumnSpec, OutputSpec, Signature
from driftline.serving._mlflow import check_content_type, format_predictions, parse_invocations

SIG = Signature(
    columns=(
        ColumnSpec("age", "integer"),
        ColumnSpec("income", "number", nullable=True),
        ColumnSpec("member", "boolean"),
        ColumnSpec("city", "category", categories=("007", "Oslo")),
    ),
    output=OutputSpec("classification", "churn", ("no", "yes")),
)
ROWS = [
    {"age": 30, "income": 1.5, "member": True, "city": "Oslo"},
    {"age": 41, "income": 2, "member": False, "city": "007"},
]
JSON = "application/json"


def expected() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": np.array([30, 41], dtype=np.int64),
            "income": [1.5, 2.0],
            "member": [True, False],
            "city": ["Oslo", "007"],
        }
    )


def parse(doc: Any, content_type: str = JSON) -> pd.DataFrame:
    return parse_invocations(json.dumps(doc).encode(), content_type, SIG)


def check(frame: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(frame, expected(), check_dtype=False)
    assert frame["age"].dtype == np.int64 and frame["income"].dtype == np.float64
    assert frame["member"].dtype == bool
    SIG.validate(frame)


def split_doc() -> dict[str, Any]:
    names = list(ROWS[0])
    return {"columns": names, "data": [[r[n] for n in names] for r in ROWS]}


@pytest.mark.parametrize(
    "doc",
    [
        {"dataframe_split": split_doc()},
        {"dataframe_split": {**split_doc(), "index": [7, 8]}},
        {"dataframe_split": {"data": split_doc()["data"]}},
        {"dataframe_records": ROWS},
        {"dataframe_records": [dict(reversed(r.items())) for r in ROWS]},
        {"instances": ROWS},
        {"instances": split_doc()["data"]},
        {"inputs": {n: [r[n] for r in ROWS] for n in ROWS[0]}},
        {"inputs": ROWS},
        {"inputs": split_doc()["data"]},
        {"dataframe_records": ROWS, "params": {"threshold": 0.3}},
        {"dataframe_records": ROWS, "params": None},
    ],
    ids=[
        "split",
        "split-index",
        "split-no-columns",
        "records",
        "records-reordered",
        "instances-records",
        "instances-rows",
        "inputs-columns",
        "inputs-records",
        "inputs-rows",
        "params",
        "params-null",
    ],
)
def test_every_json_format(doc: dict[str, Any]) -> None:
    check(parse(doc))


@pytest.mark.parametrize(
    "content_type", [JSON, "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"]
)
def test_content_type_parameters(content_type: str) -> None:
    check(parse({"dataframe_records": ROWS}, content_type))


def test_missing_values_and_extra_columns_are_left_for_the_signature() -> None:
    records = [{"age": 30, "member": True, "city": "Oslo", "extra": "x"}, {**ROWS[1]}]
    frame = parse({"dataframe_records": records})
    assert list(frame.columns) == ["age", "income", "member", "city", "extra"]
    assert np.isnan(frame["income"][0]) and frame["income"][1] == 2.0
    SIG.validate(frame, allow_extra=True)
    with pytest.raises(InputError, match="'extra'"):
        SIG.validate(frame)


def test_wrong_types_are_kept_so_the_signature_names_them() -> None:
    frame = parse({"dataframe_records": [{**ROWS[0], "age": 2.5}, {**ROWS[1], "member": 1}]})
    with pytest.raises(InputError, match=r"'age' must be a whole number, got .*2\.5.* in row 0"):
        SIG.validate(frame)
    frame = parse({"dataframe_records": [ROWS[0], {**ROWS[1], "member": 1}]})
    with pytest.raises(InputError, match="'member' must be true or false, got 1 in row 1"):
        SIG.validate(frame)


def test_one_column_model_takes_bare_values() -> None:
    sig = Signature(columns=(ColumnSpec("x", "number"),))
    frame = parse_invocations(b'{"instances": [1, 2.5]}', JSON, sig)
    assert frame["x"].tolist() == [1.0, 2.5]


def test_empty_batches() -> None:
    docs: list[dict[str, Any]] = [{"instances": []}, {"dataframe_records": []}, {"inputs": {}}]
    for doc in docs:
        assert len(parse(doc)) == 0


def test_huge_integers_are_left_for_the_signature() -> None:
    frame = parse({"dataframe_records": [{**ROWS[0], "income": 10**400}]})
    assert frame["income"].tolist() == [10**400]


def test_csv() -> None:
    body = b"age,income,member,city\n30,1.5,True,Oslo\n41,2,False,007\n"
    check(parse_invocations(body, "text/csv", SIG))
    check(parse_invocations(body, "text/csv; charset=utf-8", SIG))


def test_csv_missing_values() -> None:
    body = "age,income,member,city\n30,,True,Oslo\n41,2,False,Tromsø\n".encode()
    frame = parse_invocations(body, "text/csv", SIG)
    assert np.isnan(frame["income"][0]) and frame["city"].tolist() == ["Oslo", "Tromsø"]
    SIG.validate(frame)


BAD_JSON = [
    (b"", "not valid JSON"),
    (b"\xff", "not UTF-8"),
    (b"[" * 100_000, "nested too deeply|not valid JSON"),
    (b"[]", "JSON object with exactly one of"),
    (b"{}", "exactly one of.*keys none"),
    (b'{"instances": [], "inputs": []}', "exactly one of.*'instances', 'inputs'"),
    (b'{"instances": [], "colums": 1}', "unexpected key.*'colums'"),
    (b'{"instances": [], "params": [1]}', "'params' must be a JSON object"),
    (b'{"dataframe_split": []}', "dataframe_split must be an object"),
    (b'{"dataframe_split": {"data": [], "dtype": 1}}', "unexpected key.*'dtype'"),
    (b'{"dataframe_split": {"columns": ["a"]}}', r"dataframe_split.data must be an array"),
    (
        b'{"dataframe_split": {"columns": ["a", 1], "data": []}}',
        "columns must be an array of column names",
    ),
    (b'{"dataframe_split": {"columns": ["a", "a"], "data": []}}', "'a' more than once"),
    (b'{"dataframe_split": {"columns": ["a"], "data": [[1]], "index": [1, 2]}}', "index"),
    (b'{"dataframe_split": {"columns": ["a"], "data": [1]}}', "row 0 must be an array"),
    (
        b'{"dataframe_split": {"columns": ["a","b","c","d","e"], "data": [[1,2,3,4,5],[1,2,3,4,5],[1,2,3,4,5],[1,2,3,4]]}}',
        r"dataframe_split.data row 3 has 4 values but columns lists 5",
    ),
    (b'{"dataframe_split": {"data": [[1]]}}', "row 0 has 1 values but the model has columns 4"),
    (b'{"dataframe_split": {"columns": ["a"], "data": [[[1]]]}}', "column 'a' row 0 is an array"),
    (b'{"dataframe_records": {"a": 1}}', "dataframe_records must be an array of objects"),
    (b'{"dataframe_records": [{"a": 1}, 2]}', "dataframe_records item 1 must be an object"),
    (b'{"dataframe_records": [{"a": {"b": 1}}]}', "column 'a' row 0 is an object"),
    (b'{"instances": {"a": [1]}}', "instances must be an array of rows"),
    (b'{"instances": [[1, 2]]}', r"instances row 0 has 2 values but the model has 4 columns \(age"),
    (b'{"instances": [1, 2]}', "instances item 0 must be an array of 4 values"),
    (b'{"instances": [{"a": 1}, [1, 2, 3, 4]]}', "instances item 0 must be an array"),
    (
        b'{"inputs": {"a": [1, 2], "b": [1]}}',
        r"inputs\['b'\] has 1 values but the first column has 2",
    ),
    (b'{"inputs": {"a": 1}}', r"inputs\['a'\] must be an array"),
    (b'{"inputs": 5}', "inputs must be an array of rows"),
]


@pytest.mark.parametrize(("body", "match"), BAD_JSON)
def test_json_errors_say_what_is_wrong(body: bytes, match: str) -> None:
    with pytest.raises(InputError, match=match):
        parse_invocations(body, JSON, SIG)


@pytest.mark.parametrize(
    ("body", "match"),
    [(b"", "CSV body is empty"), (b"  \n", "CSV body is empty"), (b'a,b\n1,"2', "cannot be read")],
)
def test_csv_errors(body: bytes, match: str) -> None:
    with pytest.raises(InputError, match=match):
        parse_invocations(body, "text/csv", SIG)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/xml",
        "",
        "text/plain",
        "application/json; charset=latin-1",
        "text/csv; format=pandas-split",
    ],
)
def test_unsupported_content_types_name_the_supported_ones(content_type: str) -> None:
    with pytest.raises(InputError, match="application/json, text/csv"):
        check_content_type(content_type)
    with pytest.raises(InputError, match="application/json, text/csv"):
        parse_invocations(b"{}", content_type, SIG)


def test_check_content_type() -> None:
    assert check_content_type("application/json") == "json"
    assert check_content_type('text/csv; charset="utf-8"') == "csv"


# -- responses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("predictions", "expected_json"),
    [
        (np.array([1, 0, 1]), [1, 0, 1]),
        (np.array(["yes", "no"], dtype=object), ["yes", "no"]),
        (np.array([True, False]), [True, False]),
        (np.array([1.5, np.nan, np.inf]), [1.5, None, None]),
        (pd.Series([np.int64(3), np.int64(4)]), [3, 4]),
        ([np.float32(0.5), "ü"], [0.5, "ü"]),
        (pd.DataFrame({"a": [1, 2], "b": ["x", None]}), [{"a": 1, "b": "x"}, {"a": 2, "b": None}]),
        (np.array([[1, 2], [3, 4]]), [[1, 2], [3, 4]]),
        (pd.Series([pd.Timestamp("2024-01-01"), pd.NaT]), ["2024-01-01T00:00:00", None]),
    ],
)
def test_format_predictions_like_mlflow(predictions: Any, expected_json: Any) -> None:
    assert json.loads(format_predictions(predictions)) == {"predictions": expected_json}


def test_format_predictions_with_probabilities() -> None:
    body = format_predictions(np.array(["no", "yes"]), np.array([[0.9, 0.1], [0.2, 0.8]]))
    assert json.loads(body) == {
        "predictions": ["no", "yes"],
        "probabilities": [[0.9, 0.1], [0.2, 0.8]],
    }


# -- fuzz ------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["age", "income", "member", "city", "x"]) | st.text(max_size=3),
            children,
            max_size=4,
        )
    ),
    max_leaves=16,
)
DOCS = st.dictionaries(
    st.sampled_from(["dataframe_split", "dataframe_records", "instances", "inputs", "params", "x"]),
    JSON_VALUES
    | st.fixed_dictionaries(
        {},
        optional={
            "columns": st.lists(
                st.sampled_from(["age", "income", "member", "city", "y"]), max_size=5
            )
            | JSON_VALUES,
            "data": st.lists(st.lists(JSON_VALUES, max_size=5), max_size=3) | JSON_VALUES,
            "index": JSON_VALUES,
        },
    ),
    max_size=3,
)
CONTENT_TYPES = st.sampled_from(
    [JSON, "text/csv", "text/csv; charset=utf-8", "text/html"]
) | st.text(max_size=12)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(body=st.binary(max_size=120), content_type=CONTENT_TYPES)
def test_fuzz_random_bytes_raise_only_input_error(body: bytes, content_type: str) -> None:
    with contextlib.suppress(InputError):
        parse_invocations(body, content_type, SIG)


@FUZZ
@given(doc=DOCS)
def test_fuzz_json_shaped_bodies_raise_only_input_error(doc: dict[str, Any]) -> None:
    try:
        frame = parse(doc)
    except InputError:
        return
    assert isinstance(frame, pd.DataFrame)
    format_predictions(frame)


@FUZZ
@given(text=st.text(alphabet=st.sampled_from('ab,"\n 1.5-Tru\\e'), max_size=60))
def test_fuzz_csv_raises_only_input_error(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_invocations(("age,city\n" + text).encode(), "text/csv", SIG)
