"""The artifact store behaves the same on a local folder and on an S3-compatible server."""

from pathlib import Path

import pytest

from driftline import NotFoundError, TamperedArtifactError
from driftline.store import ArtifactStore


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    if request.param == "local":
        return ArtifactStore(str(tmp_path / "artifacts"))
    bucket = request.getfixturevalue("s3_bucket")
    return ArtifactStore(f"{bucket}/prefix", s3_endpoint_url=request.getfixturevalue("s3_server"))


def test_put_get_round_trip(store: ArtifactStore) -> None:
    store.put("a/b.bin", b"\x00hello")
    assert store.get("a/b.bin") == b"\x00hello"
    assert store.exists("a/b.bin")
    store.delete("a/b.bin")
    assert not store.exists("a/b.bin")


def test_missing_key_is_not_found(store: ArtifactStore) -> None:
    with pytest.raises(NotFoundError, match="missing"):
        store.get("nope")


def test_blobs_are_content_addressed_and_verified(store: ArtifactStore) -> None:
    key, digest = store.put_blob(b"model bytes")
    assert key.endswith(digest) and store.put_blob(b"model bytes") == (key, digest)
    assert store.get_verified(key, digest) == b"model bytes"
    store.put(key, b"model bytez")  # someone edits the stored file
    with pytest.raises(TamperedArtifactError, match="modified after registration"):
        store.get_verified(key, digest)


def test_keys_cannot_escape_the_store(store: ArtifactStore) -> None:
    with pytest.raises(ValueError, match="inside the store"):
        store.put("../evil", b"x")


def test_local_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path))
    store.put("x/y", b"1" * 1000)
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == ["y"]
