"""Every kind of stored blob, tampered every way, is refused on read: locally and on S3.

Someone who can write the artifact store (and nothing else) edits one blob of
version 1 at a time: the model artifact, its ONNX runtime, its reference
profile, its input guard and a stored evaluation report. Each read refuses it with one sentence
naming the version and the blob; every reader of the reference profile (here
evaluation, which checks data against it) refuses too.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fsspec
import pandas as pd
import pytest
from fsspec.core import url_to_fs
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from driftline import DriftlineError, TamperedArtifactError, Workspace, registry
from driftline.evaluation import _store, get_evaluation, list_evaluations

FAST = {"n_resamples": 50, "discover": False}


def _model(train: pd.DataFrame, trees: int) -> Pipeline:
    # Passthrough columns and a forest convert to ONNX exactly, so the version gets a runtime.
    pre = ColumnTransformer(
        [
            ("n", "passthrough", ["age", "tenure"]),
            ("c", OneHotEncoder(handle_unknown="ignore"), ["region"]),
        ]
    )
    model = Pipeline([("pre", pre), ("rf", RandomForestClassifier(trees, random_state=0))])
    return model.fit(train.drop(columns="churned"), train["churned"])


def _workspace(home: Path, **store: str) -> Workspace:
    return Workspace.init(home, actor="tester", **store)


@pytest.fixture(scope="module", params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def ws(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, churn: pd.DataFrame
) -> Iterator[Workspace]:
    """Two versions of one model, each with every kind of blob, and a stored report each."""
    home = tmp_path_factory.mktemp("tamper") / "ws"
    if request.param == "local":
        workspace = _workspace(home)
    else:
        import boto3

        endpoint = request.getfixturevalue("s3_server")
        bucket = f"t-{uuid.uuid4().hex[:12]}"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket=bucket
        )
        workspace = _workspace(home, artifacts_url=f"s3://{bucket}/dl", s3_endpoint_url=endpoint)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_store, "INLINE_LIMIT", 100)  # every report goes to the artifact store
        for version, (rows, trees) in enumerate([(len(churn), 10), (300, 5)], start=1):
            train = churn.iloc[:rows]
            mv = workspace.register("churn", _model(train, trees), train=train, target="churned")
            assert mv.version == version and "onnx" in mv.runtimes
            workspace.evaluate(f"churn:{version}", churn, **FAST)
    yield workspace
    workspace.close()


def _files(ws: Workspace) -> tuple[fsspec.AbstractFileSystem, str]:
    """The store's files as anyone with write access to them reaches them, outside driftline."""
    endpoint = ws.settings.s3_endpoint_url
    options = {"client_kwargs": {"endpoint_url": endpoint}} if endpoint else {}
    fs, root = url_to_fs(ws.settings.artifacts_url, **options)
    return fs, root.rstrip("/")


def _blob(ws: Workspace, version: int, kind: str) -> str:
    if kind == "evaluation report":
        from driftline.store import EvaluationRow

        with ws.db.read() as s:
            row = s.query(EvaluationRow).filter_by(version=version).one()
        assert row.report_key is not None
        return row.report_key
    mv = ws.get(f"churn:{version}")
    keys = {
        "model artifact": mv.artifact_key,
        "ONNX runtime": mv.runtimes["onnx"]["key"],
        "reference profile": mv.profile_key,
        "input guard": mv.runtimes["guard"]["key"],
    }
    return str(keys[kind])


def _read(ws: Workspace, kind: str) -> Callable[[], Any]:
    return {
        "model artifact": lambda: ws.load_model("churn:1"),
        "ONNX runtime": lambda: registry.load_onnx(ws.context, "churn:1"),
        "reference profile": lambda: ws.load_profile("churn:1"),
        "input guard": lambda: registry.load_guard(ws.context, "churn:1"),
        "evaluation report": lambda: list_evaluations(ws.context, "churn:1"),
    }[kind]


def _first_float(node: Any, edit: Callable[[float], float]) -> bool:
    """Change the first float inside a JSON document, in place; True when one was found."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for k, v in items:
        if isinstance(v, float):
            node[k] = edit(v)
            return True
        if isinstance(v, dict | list) and _first_float(v, edit):
            return True
    return False


def _edit_number(data: bytes) -> bytes:
    """A different number, in a blob that still parses: JSON, or the JSON inside a skops zip."""
    if data[:2] == b"PK":
        src = zipfile.ZipFile(io.BytesIO(data))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as dst:
            for name in src.namelist():
                member = src.read(name)
                if name == "schema.json":
                    text, n = re.subn(
                        r'"content": "(\d+)"',
                        lambda m: f'"content": "{int(m[1]) + 1}"',
                        member.decode(),
                        count=1,
                    )
                    assert n == 1 and json.loads(text)
                    member = text.encode()
                dst.writestr(name, member)
        return out.getvalue()
    doc = json.loads(data)
    assert _first_float(doc, lambda v: v + 1.0)
    return json.dumps(doc, separators=(",", ":")).encode()


TAMPER: dict[str, Callable[[bytes, bytes], bytes]] = {
    "flip a byte": lambda data, other: data[:100] + bytes([data[100] ^ 1]) + data[101:],
    "edit a number": lambda data, other: _edit_number(data),
    "truncate": lambda data, other: data[: len(data) // 2],
    "swap in version 2's blob": lambda data, other: other,
}
KINDS = ["model artifact", "ONNX runtime", "reference profile", "input guard", "evaluation report"]
CASES = [
    (kind, how)
    for kind in KINDS
    for how in TAMPER
    if not (kind == "ONNX runtime" and how == "edit a number")  # protobuf holds no text numbers
]


@pytest.fixture
def tamper(ws: Workspace) -> Iterator[Callable[[str, str], str]]:
    """Tamper with version 1's blob of a kind; put the original back afterwards."""
    fs, root = _files(ws)
    restore = []

    def apply(kind: str, how: str) -> str:
        key, other_key = _blob(ws, 1, kind), _blob(ws, 2, kind)
        path = f"{root}/{key}"
        original = fs.cat_file(path)
        restore.append((path, original))
        fs.pipe_file(path, TAMPER[how](original, fs.cat_file(f"{root}/{other_key}")))
        return key

    yield apply
    for path, original in restore:
        fs.pipe_file(path, original)


@pytest.mark.parametrize(("kind", "how"), CASES)
def test_tampered_blob_is_refused(ws: Workspace, tamper, kind: str, how: str) -> None:  # type: ignore[no-untyped-def]
    _read(ws, kind)()  # intact, it reads
    key = tamper(kind, how)
    with pytest.raises(TamperedArtifactError) as caught:
        _read(ws, kind)()
    message = str(caught.value)
    assert isinstance(caught.value, DriftlineError)
    owner = "of churn:1" if kind != "evaluation report" else f"#{_report_id(ws)} of churn:1"
    assert message.startswith(f"the {kind} {owner} was changed in the artifact store ")
    assert f"restore {key} from a backup, or " in message
    assert "\n" not in message and ". " not in message  # one sentence
    # Version 2's blobs are untouched and still read.
    assert ws.load_profile("churn:2").n_rows == 300


def _report_id(ws: Workspace) -> int:
    return list_evaluations(ws.context, "churn:2")[0].id - 1  # version 1 was evaluated first


def test_every_reader_of_a_tampered_profile_refuses(ws: Workspace, tamper, churn) -> None:  # type: ignore[no-untyped-def]
    tamper("reference profile", "edit a number")
    with pytest.raises(TamperedArtifactError, match="the reference profile of churn:1 was"):
        ws.evaluate("churn:1", churn, store=False, **FAST)
    with pytest.raises(TamperedArtifactError, match="the reference profile of churn:1 was"):
        ws.gate("churn", candidate=1, baseline=None, data=churn, target="churned")


def test_a_deleted_blob_is_refused_and_named(ws: Workspace, churn) -> None:  # type: ignore[no-untyped-def]
    fs, root = _files(ws)
    key = _blob(ws, 1, "evaluation report")
    path = f"{root}/{key}"
    original = fs.cat_file(path)
    fs.rm_file(path)
    try:
        with pytest.raises(TamperedArtifactError) as caught:
            get_evaluation(ws.context, _report_id(ws))
        assert str(caught.value).startswith(
            f"the evaluation report #{_report_id(ws)} of churn:1 is missing from the artifact store"
        )
    finally:
        fs.pipe_file(path, original)


def test_every_digest_is_recorded_and_in_the_audit_chain(ws: Workspace) -> None:
    from driftline.store import key_digest

    events = {e.subject: e.payload for e in ws.audit_events(action="model.register")}
    for version in (1, 2):
        mv = ws.get(f"churn:{version}")
        assert mv.profile_key is not None and mv.profile_sha256 == key_digest(mv.profile_key)
        payload = events[mv.ref]
        assert payload["sha256"] == mv.sha256
        assert payload["profile_sha256"] == mv.profile_sha256
        assert payload["onnx_sha256"] == mv.runtimes["onnx"]["sha256"]
        assert payload["guard_sha256"] == mv.runtimes["guard"]["sha256"]
        assert mv.to_dict()["profile_sha256"] == mv.profile_sha256
    assert ws.verify_audit().ok


def test_a_version_that_keeps_its_parents_inputs_keeps_the_profile_digest(
    tmp_path: Path, churn: pd.DataFrame
) -> None:
    with _workspace(tmp_path / "ws") as ws:
        parent = ws.register("churn", _model(churn, 5), train=churn, target="churned")
        child = ws.register("churn", _model(churn, 6), parent="churn:1", same_inputs=True)
        assert (child.profile_key, child.profile_sha256) == (
            parent.profile_key,
            parent.profile_sha256,
        )
        (_, event) = ws.audit_events(action="model.register")
        assert event.subject == "churn:2"
        assert event.payload["profile_sha256"] == parent.profile_sha256
        assert event.payload["onnx_sha256"] is None  # no training data, so no conversion
