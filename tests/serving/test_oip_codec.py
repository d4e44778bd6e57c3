"""The Open Inference Protocol codecs against the real Triton client library.

tritonclient builds the request bodies and parses our responses, so these
tests prove what a KServe / Triton client would see, without a server.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import ml_dtypes
import numpy as np
import pandas as pd
import pytest
import tritonclient.http as th
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftline.errors import InputError, SchemaError
from driftline.schema import ColumnSpec, OutputSpec, Signature
from driftline.serving._oip import (
    HEADER_LENGTH,
    InferRequest,
    OutputTensor,
    RequestedOutput,
    Tensor,
    decode_infer_request,
    encode_infer_response,
    model_metadata,
    parse_header_length,
    resolve_outputs,
    tensors_to_frame,
)

NUMERIC = {
    "BOOL": np.bool_,
    "UINT8": np.uint8,
    "UINT16": np.uint16,
    "UINT32": np.uint32,
    "UINT64": np.uint64,
    "INT8": np.int8,
    "INT16": np.int16,
    "INT32": np.int32,
    "INT64": np.int64,
    "FP16": np.float16,
    "FP32": np.float32,
    "FP64": np.float64,
}
ALL_TYPES = [*NUMERIC, "BYTES"]


def sample(datatype: str, shape: tuple[int, ...] = (2, 3)) -> np.ndarray[Any, Any]:
    """Values that reach each type's extremes, so truncation would show."""
    n = int(np.prod(shape))
    if datatype == "BYTES":
        words = ["plain", "", "héllo wörld", "日本語", "emoji 🎉", "a,b;c\n"]
        return np.array([words[i % len(words)] for i in range(n)], dtype=object).reshape(shape)
    dtype: np.dtype[Any] = np.dtype(NUMERIC[datatype])
    values: list[Any]
    if dtype.kind == "b":
        values = [i % 2 == 0 for i in range(n)]
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        values = [int(info.min), int(info.max), 0, 1, int(info.max) - 1, int(info.min) + 1]
    else:
        values = [-1.5, 0.0, 2.25, float(np.finfo(dtype).max), float(np.finfo(dtype).tiny), 3.0]
    return np.array([values[i % len(values)] for i in range(n)], dtype=dtype).reshape(shape)


def triton_request(
    arrays: dict[str, np.ndarray[Any, Any]],
    *,
    binary: bool,
    outputs: list[th.InferRequestedOutput] | None = None,
    request_id: str = "",
) -> tuple[bytes, int | None]:
    inputs = []
    for name, arr in arrays.items():
        datatype = "BYTES" if arr.dtype == object else th.np_to_triton_dtype(arr.dtype)
        inp = th.InferInput(name, list(arr.shape), datatype)
        inp.set_data_from_numpy(arr, binary_data=binary)
        inputs.append(inp)
    body, header_length = th.InferenceServerClient.generate_request_body(
        inputs, outputs=outputs, request_id=request_id
    )
    return bytes(body), header_length


def as_request(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


# -- requests built by tritonclient ---------------------------------------------


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
@pytest.mark.parametrize("datatype", ALL_TYPES)
def test_every_datatype_decodes_from_tritonclient(datatype: str, binary: bool) -> None:
    arr = sample(datatype)
    body, header_length = triton_request({"x": arr}, binary=binary, request_id="r1")
    assert (header_length is not None) == binary
    req = decode_infer_request(body, header_length)
    (t,) = req.inputs
    assert (t.name, t.datatype, t.shape, req.id) == ("x", datatype, (2, 3), "r1")
    if datatype == "BYTES":
        expected = np.vectorize(lambda s: s.encode("utf-8"), otypes=[object])(arr)
        assert t.data.dtype == object and t.data.tolist() == expected.tolist()
    else:
        assert t.data.dtype == arr.dtype
        np.testing.assert_array_equal(t.data, arr)


def test_bf16_binary_widens_to_float32() -> None:
    arr = np.array([[1.5, -2.0], [0.0, 3.140625]], dtype=ml_dtypes.bfloat16)
    body, header_length = triton_request({"x": arr}, binary=True)
    (t,) = decode_infer_request(body, header_length).inputs
    assert t.datatype == "BF16" and t.data.dtype == np.float32
    np.testing.assert_array_equal(t.data, arr.astype(np.float32))


def test_mixed_json_and_binary_inputs_and_requested_outputs() -> None:
    a = sample("FP32", (4,))
    s = sample("BYTES", (4,))
    inputs = []
    for name, arr, datatype, binary in (("a", a, "FP32", True), ("s", s, "BYTES", False)):
        inp = th.InferInput(name, list(arr.shape), datatype)
        inp.set_data_from_numpy(arr, binary_data=binary)
        inputs.append(inp)
    outputs = [
        th.InferRequestedOutput("predict", binary_data=True),
        th.InferRequestedOutput("predict_proba", binary_data=False),
    ]
    body, header_length = th.InferenceServerClient.generate_request_body(inputs, outputs=outputs)
    req = decode_infer_request(body, header_length)
    np.testing.assert_array_equal(req.inputs[0].data, a)
    assert req.inputs[1].data.tolist() == [v.encode() for v in s]
    assert [(o.name, o.binary_data) for o in req.outputs] == [
        ("predict", True),
        ("predict_proba", False),
    ]
    assert resolve_outputs(req, ["predict", "predict_proba"]) == (
        ["predict", "predict_proba"],
        {"predict"},
    )


def test_nested_json_data_is_row_major() -> None:
    doc = {
        "inputs": [
            {"name": "x", "datatype": "INT32", "shape": [2, 2], "data": [[1, 2], [3, 4]]},
            {"name": "y", "datatype": "INT32", "shape": [2, 2], "data": [1, 2, 3, 4]},
        ]
    }
    x, y = decode_infer_request(as_request(doc), None).inputs
    np.testing.assert_array_equal(x.data, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(x.data, y.data)


def test_request_parameters_and_binary_data_output() -> None:
    doc = {
        "id": "abc",
        "parameters": {"binary_data_output": True, "custom": 3},
        "inputs": [{"name": "x", "datatype": "FP64", "shape": [1], "data": [1]}],
        "outputs": [{"name": "predict"}, {"name": "p2", "parameters": {"binary_data": False}}],
    }
    req = decode_infer_request(as_request(doc), None)
    assert req.binary_data_output and req.parameters["custom"] == 3
    assert resolve_outputs(req, ["predict", "p2"]) == (["predict", "p2"], {"predict"})
    everything = InferRequest(None, {}, req.inputs, [], binary_data_output=True)
    assert resolve_outputs(everything, ["a", "b"]) == (["a", "b"], {"a", "b"})
    with pytest.raises(InputError, match=r"'nope' is not produced.*predict"):
        resolve_outputs(InferRequest(None, {}, req.inputs, [RequestedOutput("nope")]), ["predict"])


def binary_body(header: dict[str, Any], raw: bytes) -> tuple[bytes, int]:
    head = json.dumps(header).encode()
    return head + raw, len(head)


def one_input(**fields: Any) -> dict[str, Any]:
    return {"inputs": [{"name": "x", **fields}]}


BAD_JSON_REQUESTS = [
    (b"", "not valid JSON"),
    (b"\xff\xfe", "not UTF-8"),
    (b"[1, 2]", "JSON object"),
    (b"[" * 100_000, "nested too deeply|not valid JSON"),
    (as_request({"inputs": []}), "non-empty 'inputs'"),
    (as_request({"id": 5, "inputs": [{}]}), "'id' must be a string"),
    (as_request({"inputs": [{"datatype": "FP32"}]}), r"inputs\[0\] needs a non-empty string"),
    (as_request(one_input(datatype="FLOAT", shape=[1], data=[1])), "'x' has datatype 'FLOAT'"),
    (as_request(one_input(datatype="FP32", shape=[-1], data=[1])), "'x' 'shape'"),
    (as_request(one_input(datatype="FP32", shape=[True], data=[1])), "'x' 'shape'"),
    (as_request(one_input(datatype="FP32", shape="3", data=[1])), "'x' 'shape'"),
    (as_request(one_input(datatype="FP32", shape=[0, 2**40, 2**40], data=[])), "too large"),
    (as_request(one_input(datatype="FP32", shape=[3], data=[1, 2])), "'x' has 2 element"),
    (as_request(one_input(datatype="FP32", shape=[1], data=["abc"])), "'x' is FP32.*'abc'"),
    (as_request(one_input(datatype="FP32", shape=[1], data=[True])), "'x' is FP32.*True"),
    (as_request(one_input(datatype="FP32", shape=[1], data=[None])), "'x' is FP32.*None"),
    (as_request(one_input(datatype="INT32", shape=[1], data=[2.5])), "'x' is INT32.*integer"),
    (as_request(one_input(datatype="INT8", shape=[1], data=[128])), "'x' is INT8.*range"),
    (as_request(one_input(datatype="UINT8", shape=[1], data=[-1])), "'x' is UINT8.*range"),
    (as_request(one_input(datatype="FP64", shape=[1], data=[10**400])), "'x'.*too large"),
    (as_request(one_input(datatype="BOOL", shape=[1], data=[1])), "'x' is BOOL.*true or false"),
    (as_request(one_input(datatype="BYTES", shape=[1], data=[1])), "'x' is BYTES.*string"),
    (as_request(one_input(datatype="BYTES", shape=[1], data=["\ud800"])), "'x'.*Unicode"),
    (as_request(one_input(datatype="FP32", shape=[1], data={"a": 1})), "'x' 'data' must be"),
    (as_request(one_input(datatype="FP32", shape=[1])), "'x' has neither"),
    (
        as_request(one_input(datatype="FP32", shape=[1], parameters={"binary_data_size": 4})),
        "no Inference-Header-Content-Length",
    ),
    (as_request(one_input(datatype="FP32", shape=[1], data=[1], parameters=[])), "'parameters'"),
    (
        as_request(
            one_input(
                datatype="FP32", shape=[1], parameters={"shared_memory_region": "r"}, data=[1]
            )
        ),
        "shared memory",
    ),
    (
        as_request(
            {
                "inputs": [
                    {"name": "x", "datatype": "FP32", "shape": [1], "data": [1]},
                    {"name": "x", "datatype": "FP32", "shape": [1], "data": [1]},
                ]
            }
        ),
        "'x' is given twice",
    ),
    (
        as_request({**one_input(datatype="FP32", shape=[1], data=[1]), "outputs": {"a": 1}}),
        "'outputs' must be an array",
    ),
    (
        as_request(
            {
                **one_input(datatype="FP32", shape=[1], data=[1]),
                "outputs": [{"name": "p", "parameters": {"binary_data": "yes"}}],
            }
        ),
        "'binary_data' of output 'p'",
    ),
    (
        as_request(
            {
                **one_input(datatype="FP32", shape=[1], data=[1]),
                "parameters": {"binary_data_output": 1},
            }
        ),
        "'binary_data_output'",
    ),
]


@pytest.mark.parametrize(("body", "match"), BAD_JSON_REQUESTS)
def test_malformed_json_requests_say_what_is_wrong(body: bytes, match: str) -> None:
    with pytest.raises(InputError, match=match):
        decode_infer_request(body, None)


BAD_BINARY_REQUESTS = [
    (
        one_input(datatype="FP32", shape=[2], parameters={"binary_data_size": 8}),
        b"\0" * 4,
        "only 4",
    ),
    (
        one_input(datatype="FP32", shape=[2], parameters={"binary_data_size": 4}),
        b"\0" * 4,
        "needs 8",
    ),
    (
        one_input(datatype="FP32", shape=[1], parameters={"binary_data_size": 4}),
        b"\0" * 6,
        "2 byte",
    ),
    (
        one_input(datatype="FP32", shape=[1], parameters={"binary_data_size": -4}),
        b"",
        "non-negative",
    ),
    (one_input(datatype="BOOL", shape=[2], parameters={"binary_data_size": 2}), b"\1\2", "0 or 1"),
    (
        one_input(datatype="BYTES", shape=[2], parameters={"binary_data_size": 8}),
        b"\1\0\0\0a\0\0\0",
        "too few|ends before",
    ),
    (
        one_input(datatype="BYTES", shape=[1], parameters={"binary_data_size": 6}),
        b"\x09\0\0\0ab",
        "declares 9 bytes",
    ),
    (
        one_input(datatype="BYTES", shape=[1], parameters={"binary_data_size": 7}),
        b"\x02\0\0\0abc",
        "left after",
    ),
    (
        one_input(datatype="BYTES", shape=[10**9], parameters={"binary_data_size": 4}),
        b"\0\0\0\0",
        "too few",
    ),
    (
        one_input(datatype="FP32", shape=[1], data=[1.0], parameters={"binary_data_size": 4}),
        b"\0" * 4,
        "both 'data' and",
    ),
]


@pytest.mark.parametrize(("header", "raw", "match"), BAD_BINARY_REQUESTS)
def test_malformed_binary_requests_say_what_is_wrong(
    header: dict[str, Any], raw: bytes, match: str
) -> None:
    body, header_length = binary_body(header, raw)
    with pytest.raises(InputError, match=match):
        decode_infer_request(body, header_length)


@pytest.mark.parametrize("length", [-1, 10**6, True])
def test_bad_header_length(length: Any) -> None:
    with pytest.raises(InputError, match=HEADER_LENGTH):
        decode_infer_request(b'{"inputs": []}', length)


def test_header_length_from_the_http_header() -> None:
    assert parse_header_length(None) is None and parse_header_length(" 12 ") == 12
    with pytest.raises(InputError, match=f"{HEADER_LENGTH} must be an integer, got 'x'"):
        parse_header_length("x")


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)
INPUT_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "name": st.sampled_from(["x", "y", ""]) | JSON_VALUES,
        "datatype": st.sampled_from([*ALL_TYPES, "BF16", "fp32"]) | JSON_VALUES,
        "shape": st.lists(st.integers(min_value=-1, max_value=4), max_size=3) | JSON_VALUES,
        "data": JSON_VALUES,
        "parameters": st.fixed_dictionaries(
            {}, optional={"binary_data_size": st.integers(-2, 40) | JSON_VALUES}
        )
        | JSON_VALUES,
    },
)
REQUESTS = st.fixed_dictionaries(
    {"inputs": st.lists(INPUT_FIELDS, max_size=3) | JSON_VALUES},
    optional={
        "id": JSON_VALUES,
        "parameters": JSON_VALUES,
        "outputs": st.lists(
            st.fixed_dictionaries({"name": JSON_VALUES}, optional={"parameters": JSON_VALUES}),
            max_size=2,
        )
        | JSON_VALUES,
    },
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(body=st.binary(max_size=200), header_length=st.none() | st.integers(-5, 250))
def test_fuzz_random_bytes_raise_only_input_error(body: bytes, header_length: int | None) -> None:
    with contextlib.suppress(InputError):
        decode_infer_request(body, header_length)


@FUZZ
@given(doc=REQUESTS, raw=st.binary(max_size=48), binary=st.booleans())
def test_fuzz_request_shaped_json_raises_only_input_error(
    doc: dict[str, Any], raw: bytes, binary: bool
) -> None:
    head = json.dumps(doc).encode()
    try:
        req = decode_infer_request(head + raw if binary else head, len(head) if binary else None)
    except InputError:
        return
    for t in req.inputs:
        assert t.data.shape == t.shape


# -- responses parsed by tritonclient ---------------------------------------------


def parse_with_tritonclient(body: bytes, headers: dict[str, str]) -> th.InferResult:
    length = headers.get(HEADER_LENGTH)
    return th.InferResult.from_response_body(
        body, verbose=False, header_length=int(length) if length is not None else None
    )


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
@pytest.mark.parametrize("datatype", ALL_TYPES)
def test_every_datatype_encodes_for_tritonclient(datatype: str, binary: bool) -> None:
    arr = sample(datatype)
    out = OutputTensor.from_array("y", arr)
    assert out.datatype == datatype
    body, headers = encode_infer_response(
        model_name="m",
        model_version="3",
        request_id="r9",
        outputs=[out],
        binary={"y"} if binary else set(),
    )
    assert (HEADER_LENGTH in headers) == binary
    assert headers["Content-Type"] == ("application/octet-stream" if binary else "application/json")
    result = parse_with_tritonclient(body, headers)
    got = result.as_numpy("y")
    response = result.get_response()
    assert (response["model_name"], response["model_version"], response["id"]) == ("m", "3", "r9")
    if datatype == "BYTES":
        # tritonclient gives bytes from binary data and str from JSON.
        decoded = [v.decode() if isinstance(v, bytes) else v for v in got.ravel()]
        assert got.shape == arr.shape and decoded == arr.ravel().tolist()
    else:
        assert got.dtype == arr.dtype
        np.testing.assert_array_equal(got, arr)
    if binary:
        assert "data" not in response["outputs"][0]
        assert response["outputs"][0]["parameters"]["binary_data_size"] > 0


def test_response_mixes_json_and_binary_outputs_in_order() -> None:
    predict = np.array(["cat", "dog", "cat"], dtype=object)
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    scores = np.array([1, 2, 3], dtype=np.int64)
    body, headers = encode_infer_response(
        model_name="m",
        model_version=None,
        request_id=None,
        outputs=[
            OutputTensor.from_array(n, a) for n, a in [("p", predict), ("q", proba), ("s", scores)]
        ],
        binary={"q", "s"},
    )
    result = parse_with_tritonclient(body, headers)
    assert result.as_numpy("p").tolist() == ["cat", "dog", "cat"]
    np.testing.assert_array_equal(result.as_numpy("q"), proba)
    np.testing.assert_array_equal(result.as_numpy("s"), scores)
    assert "model_version" not in result.get_response() and "id" not in result.get_response()


def test_non_finite_floats_are_null_in_json_and_exact_in_binary() -> None:
    arr = np.array([1.0, np.nan, np.inf])
    out = [OutputTensor.from_array("y", arr)]
    body, headers = encode_infer_response(
        model_name="m", model_version=None, request_id=None, outputs=out, binary=set()
    )
    assert json.loads(body)["outputs"][0]["data"] == [1.0, None, None]
    body, headers = encode_infer_response(
        model_name="m", model_version=None, request_id=None, outputs=out, binary={"y"}
    )
    np.testing.assert_array_equal(parse_with_tritonclient(body, headers).as_numpy("y"), arr)


def test_empty_output_tensor() -> None:
    out = [OutputTensor.from_array("y", np.zeros((0, 2), dtype=np.float32))]
    for binary in (set(), {"y"}):
        body, headers = encode_infer_response(
            model_name="m", model_version=None, request_id=None, outputs=out, binary=binary
        )
        assert parse_with_tritonclient(body, headers).as_numpy("y").shape == (0, 2)


@pytest.mark.parametrize(
    ("labels", "datatype"),
    [
        ([True, False], "BOOL"),
        ([1, 2], "INT64"),
        ([0.5, 1.5], "FP64"),
        (["a", "b"], "BYTES"),
        ([1, "a"], "BYTES"),
        ([np.int64(1), 2], "INT64"),
        ([1, 2.5], "FP64"),
        ([2**70], "BYTES"),
    ],
)
def test_output_datatype_from_object_labels(labels: list[Any], datatype: str) -> None:
    assert OutputTensor.from_array("p", np.array(labels, dtype=object)).datatype == datatype


def test_numpy_text_array_output() -> None:
    out = OutputTensor.from_array("p", np.array(["no", "jä"]))
    for binary in (set(), {"p"}):
        body, headers = encode_infer_response(
            model_name="m", model_version=None, request_id=None, outputs=[out], binary=binary
        )
        got = parse_with_tritonclient(body, headers).as_numpy("p")
        assert [v.decode() if isinstance(v, bytes) else v for v in got] == ["no", "jä"]


def test_response_errors() -> None:
    out = [OutputTensor.from_array("y", np.array([b"\xff"], dtype=object))]
    with pytest.raises(InputError, match=r"'y'.*not UTF-8.*binary"):
        encode_infer_response(
            model_name="m", model_version=None, request_id=None, outputs=out, binary=set()
        )
    body, _ = encode_infer_response(
        model_name="m", model_version=None, request_id=None, outputs=out, binary={"y"}
    )
    assert body.endswith(b"\x01\x00\x00\x00\xff")
    with pytest.raises(InputError, match="zzz"):
        encode_infer_response(
            model_name="m", model_version=None, request_id=None, outputs=out, binary={"zzz"}
        )
    with pytest.raises(InputError, match="complex128"):
        OutputTensor.from_array("c", np.array([1j]))


# -- tensors to rows -----------------------------------------------------------------

MIXED = Signature(
    columns=(
        ColumnSpec("age", "integer"),
        ColumnSpec("income", "number", nullable=True),
        ColumnSpec("member", "boolean"),
        ColumnSpec("city", "category", categories=("Oslo", "Bergen")),
        ColumnSpec("note", "string"),
        ColumnSpec("seen", "datetime"),
    ),
    output=OutputSpec("classification", "churn", ("no", "yes")),
)
NUMERIC_SIG = Signature(
    columns=(
        ColumnSpec("age", "integer"),
        ColumnSpec("income", "number"),
        ColumnSpec("member", "boolean"),
    ),
    output=OutputSpec("regression", "spend"),
)


def decoded(arrays: dict[str, np.ndarray[Any, Any]], *, binary: bool = True) -> list[Tensor]:
    return decode_infer_request(*triton_request(arrays, binary=binary)).inputs


def mixed_arrays(n: int = 3) -> dict[str, np.ndarray[Any, Any]]:
    return {
        "age": np.array([30, 41, 52][:n], dtype=np.int32).reshape(n, 1),
        "income": np.array([1.5, np.nan, 3.0][:n], dtype=np.float32),
        "member": np.array([True, False, True][:n]),
        "city": np.array(["Oslo", "Bergen", "Tromsø"][:n], dtype=object),
        "note": np.array(["hi", "", "ünï"][:n], dtype=object),
        "seen": np.array(
            ["2024-01-01T00:00:00", "2024-02-01T08:30:00", "2024-03-01T23:59:59"][:n], dtype=object
        ),
    }


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_one_tensor_per_column(binary: bool) -> None:
    arrays = mixed_arrays()
    frame = tensors_to_frame(decoded(dict(reversed(arrays.items())), binary=binary), MIXED)
    assert list(frame.columns) == MIXED.names and len(frame) == 3
    assert frame["age"].tolist() == [30, 41, 52] and frame["age"].dtype == np.int64
    assert frame["income"].dtype == np.float64 and np.isnan(frame["income"][1])
    assert frame["member"].tolist() == [True, False, True]
    assert frame["city"].tolist() == ["Oslo", "Bergen", "Tromsø"]
    assert frame["note"].tolist() == ["hi", "", "ünï"]
    MIXED.validate(frame)


def test_single_matrix_tensor_in_signature_order() -> None:
    matrix = np.array([[30, 1.5, 1], [41, 2.5, 0]], dtype=np.float64)
    frame = tensors_to_frame(decoded({"input-0": matrix}), NUMERIC_SIG)
    expected = pd.DataFrame({"age": [30, 41], "income": [1.5, 2.5], "member": [True, False]})
    pd.testing.assert_frame_equal(frame, expected)
    NUMERIC_SIG.validate(frame)
    ints = tensors_to_frame(decoded({"x": matrix.astype(np.int64)}), NUMERIC_SIG)
    assert ints["income"].dtype == np.float64 and ints["age"].dtype == np.int64


def test_empty_batch() -> None:
    frame = tensors_to_frame(decoded({"x": np.zeros((0, 3), dtype=np.float32)}), NUMERIC_SIG)
    assert list(frame.columns) == NUMERIC_SIG.names and len(frame) == 0


def test_single_column_model_takes_either_layout() -> None:
    sig = Signature(columns=(ColumnSpec("x", "number"),))
    col = np.array([[1.0], [2.0]])
    for name in ("x", "anything"):
        frame = tensors_to_frame(decoded({name: col}), sig)
        assert frame["x"].tolist() == [1.0, 2.0]


def replace(arrays: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = {k: v for k, v in arrays.items() if k not in changes}
    out.update({k: v for k, v in changes.items() if v is not None})
    return out


FRAME_ERRORS = [
    (replace(mixed_arrays(), note=None), "missing input tensor.*'note'", "note"),
    (replace(mixed_arrays(), extra=np.array([1, 2, 3])), "unexpected input.*'extra'", "extra"),
    (replace(mixed_arrays(), age=np.array([1, 2], dtype=np.int64)), "'age' has 2 rows", "age"),
    (replace(mixed_arrays(), age=np.ones((3, 2), dtype=np.int64)), r"'age'.*\[N\]", "age"),
    (replace(mixed_arrays(), age=np.array([1.0, 2.5, 3.0])), "'age'.*whole.*2.5.*row 1", "age"),
    (replace(mixed_arrays(), age=np.array([1.0, np.inf, 3.0])), "'age'.*whole.*row 1", "age"),
    (
        replace(mixed_arrays(), age=np.array([1, 2**63, 3], dtype=np.uint64)),
        "'age' is too large",
        "age",
    ),
    (replace(mixed_arrays(), age=np.array([True, False, True])), "'age'.*number.*BOOL", "age"),
    (replace(mixed_arrays(), income=np.array(["1", "2", "3"], dtype=object)), "BYTES", "income"),
    (
        replace(mixed_arrays(), member=np.array([0, 1, 2], dtype=np.int8)),
        "'member'.*row 2",
        "member",
    ),
    (replace(mixed_arrays(), city=np.array([1, 2, 3], dtype=np.int64)), "'city'.*BYTES", "city"),
    (replace(mixed_arrays(), note=np.array([1.0, 2.0, 3.0])), "'note'.*BYTES", "note"),
]


@pytest.mark.parametrize(("arrays", "match", "field"), FRAME_ERRORS)
def test_frame_errors_name_the_field(arrays: dict[str, Any], match: str, field: str) -> None:
    with pytest.raises(SchemaError, match=match) as info:
        tensors_to_frame(decoded(arrays), MIXED)
    assert info.value.field == field


def test_invalid_utf8_text_names_field_and_row() -> None:
    bad = Tensor("note", "BYTES", (2,), np.array([b"ok", b"\xff"], dtype=object))
    sig = Signature(columns=(ColumnSpec("note", "string"),))
    with pytest.raises(SchemaError, match=r"'note'.*UTF-8.*row 1") as info:
        tensors_to_frame([bad], sig)
    assert (info.value.field, info.value.row) == ("note", 1)


@st.composite
def tensors(draw: st.DrawFn) -> Tensor:
    datatype = draw(st.sampled_from([*ALL_TYPES, "BF16"]))
    rows = draw(st.integers(0, 3))
    shape = draw(st.sampled_from([(rows,), (rows, 1), (rows, 3), (rows, 2), (rows, 1, 1)]))
    n = int(np.prod(shape))
    if datatype == "BYTES":
        items = draw(st.lists(st.binary(max_size=4), min_size=n, max_size=n))
        data = np.array([*items, b""], dtype=object)[:n].reshape(shape)
    else:
        raw = draw(st.binary(min_size=n * 8, max_size=n * 8))
        dtype = np.dtype(NUMERIC.get(datatype, np.float32))
        data = np.frombuffer(raw, dtype=np.uint8)[: n * dtype.itemsize].view(dtype).reshape(shape)
        if datatype == "BOOL":
            data = data.astype(bool)
    name = draw(st.sampled_from([*MIXED.names, "x"]))
    return Tensor(name, datatype, shape, data)


@FUZZ
@given(inputs=st.lists(tensors(), max_size=7))
def test_fuzz_frame_raises_only_schema_error(inputs: list[Tensor]) -> None:
    for sig in (MIXED, NUMERIC_SIG):
        try:
            frame = tensors_to_frame(inputs, sig)
        except SchemaError:
            continue
        assert list(frame.columns) == sig.names


def test_matrix_errors() -> None:
    with pytest.raises(SchemaError, match=r"shape \[2, 2\].*3 columns"):
        tensors_to_frame(decoded({"x": np.zeros((2, 2))}), NUMERIC_SIG)
    two_kinds = Signature(columns=(ColumnSpec("a", "number"), ColumnSpec("b", "category")))
    with pytest.raises(SchemaError, match="'b' is category") as info:
        tensors_to_frame(decoded({"x": np.zeros((2, 2))}), two_kinds)
    assert info.value.field == "b"


# -- metadata ------------------------------------------------------------------------


def test_model_metadata_describes_signature() -> None:
    meta = model_metadata("churn", ["1", "2"], "sklearn_skops", MIXED)
    assert meta["name"] == "churn" and meta["versions"] == ["1", "2"]
    assert meta["platform"] == "sklearn_skops"
    assert [(i["name"], i["datatype"], i["shape"]) for i in meta["inputs"]] == [
        ("age", "INT64", [-1]),
        ("income", "FP64", [-1]),
        ("member", "BOOL", [-1]),
        ("city", "BYTES", [-1]),
        ("note", "BYTES", [-1]),
        ("seen", "BYTES", [-1]),
    ]
    assert meta["outputs"] == [
        {"name": "predict", "datatype": "BYTES", "shape": [-1]},
        {"name": "predict_proba", "datatype": "FP64", "shape": [-1, 2]},
    ]
    regression = model_metadata("spend", [], "onnx_onnxv1", NUMERIC_SIG)
    assert regression["outputs"] == [{"name": "predict", "datatype": "FP64", "shape": [-1]}]
    json.dumps(meta)


@pytest.mark.parametrize(
    "number", [2**64 + 1, -(2**63) - 3, 10**25 + 7, 18446744073709551615, -(2**63)]
)
def test_long_integers_keep_every_digit(number: int) -> None:
    # orjson reads integers past 64 bits as floats; such bodies take the exact reader.
    body = json.dumps(
        {"inputs": [{"name": "x", "shape": [2], "datatype": "FP64", "data": [number, 0.5]}]}
    ).encode()
    (tensor,) = decode_infer_request(body, None).inputs
    assert tensor.data.tolist() == [float(number), 0.5]
    int_body = body.replace(b'"FP64"', b'"INT64"').replace(b", 0.5", b", 1")
    if -(2**63) <= number < 2**63:
        assert decode_infer_request(int_body, None).inputs[0].data.tolist() == [number, 1]
    else:
        with pytest.raises(InputError, match=f"got {number}$"):
            decode_infer_request(int_body, None)


def test_floats_read_alike_whichever_reader_takes_them() -> None:
    data = [0.0012345678901234567, -1.2345678901234567e-05, 1e308, 12345678901234567890.5, 3]
    body = json.dumps(
        {"inputs": [{"name": "x", "shape": [5], "datatype": "FP64", "data": data}]}
    ).encode()
    (tensor,) = decode_infer_request(body, None).inputs
    assert tensor.data.tolist() == [float(v) for v in data]
