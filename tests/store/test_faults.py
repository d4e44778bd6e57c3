"""When the backend of the artifact store fails, the error names the store and the fix.

Against moto's real HTTP server (one stopped after the blobs were written, and
a bucket that does not exist) and a local folder that is no longer a folder.
"""

import shutil
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from driftline import StorageError, Workspace
from driftline.cli import main
from driftline.store import ArtifactStore


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def stopped_store(s3_server: str) -> tuple[ArtifactStore, str, str]:
    """A store with one blob in it, whose server has since gone away."""
    import boto3
    from moto.server import ThreadedMotoServer

    endpoint = f"http://127.0.0.1:{_free_port()}"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(endpoint.rsplit(":", 1)[1]))
    server.start()
    try:
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket="gone"
        )
        store = ArtifactStore("s3://gone/dl", s3_endpoint_url=endpoint)
        key, digest = store.put_blob(b"model bytes")
    finally:
        server.stop()
    return store, key, digest


@pytest.mark.s3
def test_a_stopped_endpoint_is_a_storage_error_naming_it(stopped_store) -> None:  # type: ignore[no-untyped-def]
    store, key, digest = stopped_store
    expected = (
        f"the artifact store s3://gone/dl cannot be reached at {store.endpoint}: connection "
        "refused; check DRIFTLINE_S3_ENDPOINT_URL and that the storage server is running"
    )
    with pytest.raises(StorageError) as caught:
        store.get_blob(key, digest, what="the model artifact of churn:1")
    assert str(caught.value) == expected
    with pytest.raises(StorageError) as caught:
        store.check_blob(key, digest)
    assert str(caught.value) == expected


@pytest.mark.s3
def test_writing_to_a_stopped_endpoint_is_a_storage_error(stopped_store) -> None:  # type: ignore[no-untyped-def]
    store, _, _ = stopped_store
    with pytest.raises(
        StorageError, match=r"cannot be reached at http://127\.0\.0\.1:[0-9]+: connection refused"
    ):
        store.put_blob(b"other bytes")


@pytest.mark.s3
def test_a_missing_bucket_is_a_storage_error_not_a_missing_blob(s3_server: str) -> None:
    store = ArtifactStore("s3://no-such-bucket/dl", s3_endpoint_url=s3_server)
    expected = (
        "the artifact store s3://no-such-bucket/dl cannot be used: its bucket 'no-such-bucket' "
        f"does not exist at {s3_server}; create the bucket, or set DRIFTLINE_ARTIFACTS_URL "
        "to one that exists"
    )
    with pytest.raises(StorageError) as caught:
        store.put_blob(b"model bytes")
    assert str(caught.value) == expected
    digest = "0" * 64
    with pytest.raises(StorageError) as caught:
        store.get_blob(f"blobs/00/{digest}", digest, what="the model artifact of churn:1")
    assert str(caught.value) == expected
    with pytest.raises(StorageError) as caught:
        store.check_blob(f"blobs/00/{digest}", digest)
    assert str(caught.value) == expected


def test_a_broken_local_store_is_the_stores_fault_not_the_data_files(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=300)})
    df["y"] = (rng.random(300) < 1 / (1 + np.exp(-2 * df["a"]))).astype(int)
    df.to_csv(tmp_path / "labelled.csv", index=False)
    home = tmp_path / "ws"
    with Workspace.init(home) as ws:
        mv = ws.register("m", LogisticRegression().fit(df[["a"]], df["y"]), train=df, target="y")
    blobs = home / "artifacts" / "blobs"
    shutil.rmtree(blobs)
    blobs.write_text("a file where the blobs folder was")

    data = str(tmp_path / "labelled.csv")
    code = main(["--home", str(home), "calibrate", "m", "--data", data, "--target", "y"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert err == (
        f"driftline: error: the artifact store {home / 'artifacts'} failed while reading the "
        f"model artifact of m:1 ({mv.artifact_key}): Not a directory; check that it is a "
        "folder this user can write to, on a disk with room\n"
    )
