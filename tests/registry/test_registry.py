"""The registry on SQLite and on PostgreSQL: versions, aliases, lineage, cards, safe loading."""

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from driftline import (
    InputError,
    NotFoundError,
    TamperedArtifactError,
    UntrustedArtifactError,
    Workspace,
    registry,
)


def double(x):  # type: ignore[no-untyped-def]
    return x * 2


def test_register_records_everything(workspace: Workspace, churn, pipeline) -> None:  # type: ignore[no-untyped-def]
    mv = workspace.register(
        "churn",
        pipeline,
        train=churn,
        target="churned",
        description="who leaves",
        metrics={"auc": 0.81},
    )
    assert (mv.name, mv.version, mv.flavor) == ("churn", 1, "sklearn")
    assert len(mv.sha256) == 64
    assert mv.signature is not None and mv.signature.names == ["age", "tenure", "region"]
    assert mv.signature.output is not None and mv.signature.output.classes == (0, 1)
    assert mv.metrics == {"auc": 0.81}
    assert mv.lineage["data_fingerprint"].startswith("sha256:")
    assert mv.card["training_data"]["rows"] == len(churn)
    md = mv.card_markdown()
    assert "# Model card: churn version 1" in md and "| `region` | category |" in md
    profile = workspace.load_profile("churn:1")
    assert profile.n_rows == len(churn)
    assert set(profile.columns) == {"age", "tenure", "region", "churned"}


def test_versions_increase_and_fingerprint_follows_the_data(workspace, churn, pipeline) -> None:  # type: ignore[no-untyped-def]
    a = workspace.register("churn", pipeline, train=churn, target="churned")
    b = workspace.register("churn", pipeline, train=churn, target="churned", parent="churn:1")
    c = workspace.register("churn", pipeline, train=churn.iloc[:-1], target="churned")
    assert [a.version, b.version, c.version] == [1, 2, 3]
    assert a.lineage["data_fingerprint"] == b.lineage["data_fingerprint"]
    assert c.lineage["data_fingerprint"] != a.lineage["data_fingerprint"]
    assert b.lineage["parent"] == "churn:1"
    assert [v.version for v in workspace.versions("churn")] == [1, 2, 3]


def test_loaded_model_predicts_like_the_original(workspace, churn, pipeline) -> None:  # type: ignore[no-untyped-def]
    workspace.register("churn", pipeline, train=churn, target="churned")
    loaded = workspace.load_model("churn")
    X = churn.drop(columns="churned")
    np.testing.assert_array_equal(loaded.predict_proba(X), pipeline.predict_proba(X))


def test_aliases_move_and_references_resolve(workspace, churn, pipeline) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        workspace.register("churn", pipeline, train=churn, target="churned")
    workspace.set_alias("churn", 2, "champion")
    workspace.set_alias("churn", 3, "challenger")
    assert workspace.get("churn@champion").version == 2
    assert workspace.get("churn:3").aliases == ("challenger",)
    assert workspace.get("churn").version == 3
    assert workspace.get("churn@latest").version == 3
    workspace.set_alias("churn", 3, "champion")  # promote
    assert workspace.get("churn@champion").version == 3
    moves = workspace.audit_events(action="alias.set")
    assert [e.payload["previous"] for e in moves] == [None, None, 2]
    summary = {m.name: m for m in workspace.models()}["churn"]
    assert summary.aliases == {"challenger": 3, "champion": 3}
    workspace.remove_alias("churn", "challenger")
    with pytest.raises(NotFoundError, match="no alias 'challenger'"):
        workspace.get("churn@challenger")


@pytest.mark.parametrize(
    ("ref", "error", "message"),
    [
        ("churn@champoin", NotFoundError, "has no alias 'champoin'; its aliases are: champion"),
        ("churn:9", NotFoundError, "has no version 9; versions are 1 to 1"),
        ("chrun", NotFoundError, "did you mean 'churn'"),
        ("churn:x", InputError, "must be a whole number"),
        ("bad name", InputError, "is not valid"),
    ],
)
def test_wrong_references_say_what_exists(workspace, churn, pipeline, ref, error, message) -> None:  # type: ignore[no-untyped-def]
    workspace.register("churn", pipeline, train=churn, target="churned")
    workspace.set_alias("churn", 1, "champion")
    with pytest.raises(error, match=message):
        workspace.get(ref)


def test_alias_to_missing_version_changes_nothing(workspace, churn, pipeline) -> None:  # type: ignore[no-untyped-def]
    workspace.register("churn", pipeline, train=churn, target="churned")
    workspace.set_alias("churn", 1, "champion")
    with pytest.raises(NotFoundError):
        workspace.set_alias("churn", 5, "champion")
    assert workspace.get("churn@champion").version == 1
    with pytest.raises(InputError, match="reserved"):
        workspace.set_alias("churn", 1, "latest")


def test_tampered_artifact_is_refused(tmp_path: Path, churn, pipeline) -> None:  # type: ignore[no-untyped-def]
    ws = Workspace.init(tmp_path / "ws")
    mv = ws.register("churn", pipeline, train=churn, target="churned")
    path = Path(ws.settings.artifacts_url) / mv.artifact_key
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(TamperedArtifactError, match="the model artifact of churn:1 was changed"):
        ws.load_model("churn:1")


def test_untrusted_skops_type_is_named_and_refused(workspace, churn) -> None:  # type: ignore[no-untyped-def]
    X, y = churn[["age", "tenure"]], churn["churned"]
    model = Pipeline([("f", FunctionTransformer(double)), ("lr", LogisticRegression())]).fit(X, y)
    with pytest.raises(UntrustedArtifactError, match=r"test_registry\.double") as info:
        workspace.register("custom", model)
    assert any(t.endswith("test_registry.double") for t in info.value.untrusted)
    with pytest.raises(NotFoundError):
        workspace.get("custom")


def test_trusted_types_from_settings_are_accepted(tmp_path: Path, churn) -> None:  # type: ignore[no-untyped-def]
    X, y = churn[["age", "tenure"]], churn["churned"]
    model = Pipeline([("f", FunctionTransformer(double)), ("lr", LogisticRegression())]).fit(X, y)
    ws = Workspace.init(tmp_path / "ws", trusted_types=[f"{__name__}.double"])
    ws.register("custom", model)
    np.testing.assert_allclose(ws.load_model("custom").predict_proba(X), model.predict_proba(X))


def test_pickle_needs_explicit_trust_which_is_audited(
    workspace, churn, pipeline, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(pipeline))
    with pytest.raises(UntrustedArtifactError, match="pickle"):
        workspace.register("churn", path, train=churn, target="churned")
    assert workspace.models() == []
    mv = workspace.register("churn", path, train=churn, target="churned", trust=True)
    assert mv.flavor == "pickle" and mv.trusted
    trust = workspace.audit_events(action="artifact.trust")
    assert [(e.subject, e.payload["sha256"]) for e in trust] == [("churn:1", mv.sha256)]
    X = churn.drop(columns="churned")
    np.testing.assert_array_equal(workspace.load_model(mv).predict(X), pipeline.predict(X))


def test_onnx_file_round_trip(workspace, churn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from skl2onnx import to_onnx

    X = churn[["age", "tenure"]].astype("float32")
    model = LogisticRegression().fit(X, churn["churned"])
    path = tmp_path / "m.onnx"
    path.write_bytes(
        to_onnx(model, X.to_numpy()[:1], options={"zipmap": False}).SerializeToString()
    )
    mv = workspace.register("lr", path, train=churn[["age", "tenure", "churned"]], target="churned")
    assert mv.flavor == "onnx"
    loaded = workspace.load_model("lr")
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), atol=1e-5)
    # A float32 graph cannot hold 1e308: refused, never silently turned into inf.
    with pytest.raises(InputError, match="beyond the range this model accepts"):
        loaded.predict(np.array([[1e308, 1.0]]))


def test_bad_inputs_are_refused_before_anything_is_stored(
    workspace, churn, pipeline, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="not a model"):
        workspace.register("x", object())
    with pytest.raises(InputError, match="does not exist"):
        workspace.register("x", tmp_path / "missing.skops")
    with pytest.raises(InputError, match="fitted on columns"):
        workspace.register(
            "x", pipeline, train=churn.rename(columns={"age": "years"}), target="churned"
        )
    with pytest.raises(InputError, match="finite number"):
        workspace.register("x", pipeline, metrics={"auc": float("nan")})
    (tmp_path / "bad.onnx").write_bytes(b"not onnx")
    with pytest.raises(InputError, match="not a valid ONNX"):
        workspace.register("x", tmp_path / "bad.onnx")
    assert workspace.models() == []
    assert workspace.audit_events() == []


def test_registry_on_s3_artifacts(tmp_path: Path, churn, pipeline, s3_bucket, s3_server) -> None:  # type: ignore[no-untyped-def]
    ws = Workspace.init(tmp_path / "ws", artifacts_url=f"{s3_bucket}/dl", s3_endpoint_url=s3_server)
    mv = ws.register("churn", pipeline, train=churn, target="churned")
    X = churn.drop(columns="churned")
    np.testing.assert_array_equal(ws.load_model(mv).predict(X), pipeline.predict(X))
    assert ws.load_profile(mv).n_rows == len(churn)
    from fsspec.core import url_to_fs

    fs, root = url_to_fs(ws.artifacts.url, client_kwargs={"endpoint_url": s3_server})
    fs.pipe_file(f"{root}/{mv.artifact_key}", b"swapped")
    with pytest.raises(TamperedArtifactError):
        ws.load_model(mv)


test_registry_on_s3_artifacts = pytest.mark.s3(test_registry_on_s3_artifacts)


def _register_many(args: tuple[str, str, int]) -> list[int]:
    home, db_url, count = args
    df = pd.DataFrame({"x": np.arange(20.0), "y": np.arange(20) % 2})
    model = LogisticRegression().fit(df[["x"]], df["y"])
    with Workspace.open(home, database_url=db_url) as ws:
        return [ws.register("race", model, train=df, target="y").version for _ in range(count)]


def test_concurrent_registration_from_processes(workspace: Workspace) -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    jobs = [(str(workspace.home), workspace.settings.database_url, 4)] * 3
    with ctx.Pool(3) as pool:
        results = pool.map(_register_many, jobs)
    numbers = sorted(v for r in results for v in r)
    assert numbers == list(range(1, 13))
    assert workspace.verify_audit().ok
    assert workspace.verify_audit().checked == 12


def test_sklearn_models_get_an_onnx_runtime_that_agrees(workspace, churn) -> None:  # type: ignore[no-untyped-def]
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.preprocessing import OneHotEncoder

    pre = ColumnTransformer(
        [
            ("n", "passthrough", ["age", "tenure"]),
            ("c", OneHotEncoder(handle_unknown="ignore"), ["region"]),
        ]
    )
    model = Pipeline(
        [("pre", pre), ("rf", RandomForestClassifier(n_estimators=20, random_state=0))]
    )
    X = churn.drop(columns="churned")
    model.fit(X, churn["churned"])
    mv = workspace.register("churn", model, train=churn, target="churned")
    onnx = mv.runtimes["onnx"]
    assert onnx["label_agreement"] == 1.0 and onnx["proba_agreement"] == 1.0
    runtime = registry.load_onnx(workspace, mv)
    assert runtime is not None
    np.testing.assert_allclose(runtime.predict_proba(X), model.predict_proba(X), atol=1e-6)
    assert "key" not in mv.to_dict()["runtimes"]["onnx"]


def test_a_conversion_that_disagrees_is_not_kept(workspace, churn, pipeline) -> None:  # type: ignore[no-untyped-def]
    # ONNX's Scaler multiplies by 1/scale where scikit-learn divides; the last-bit
    # differences move float32 tree splits on a few rows, so this pipeline stays
    # on scikit-learn.
    mv = workspace.register("churn", pipeline, train=churn, target="churned")
    assert "onnx" not in mv.runtimes
    assert registry.load_onnx(workspace, mv) is None
