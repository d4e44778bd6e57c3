"""The artifact store behaves the same on a local folder and on an S3-compatible server.

Every read is verified: whoever can write the store can make a read fail but
cannot change what it returns.
"""

import hashlib
import json
from pathlib import Path

import fsspec
import pytest
from fsspec.core import url_to_fs

from driftline import DriftlineError, StorageError, TamperedArtifactError
from driftline.store import ArtifactStore, key_digest

PROFILE = json.dumps({"columns": {"age": {"mean": 41.5, "count": 400}}}).encode()


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    if request.param == "local":
        return ArtifactStore(str(tmp_path / "artifacts"))
    bucket = request.getfixturevalue("s3_bucket")
    return ArtifactStore(f"{bucket}/prefix", s3_endpoint_url=request.getfixturevalue("s3_server"))


def files(store: ArtifactStore) -> tuple[fsspec.AbstractFileSystem, str]:
    """The store's files as anyone with write access to them reaches them, outside driftline."""
    options = {"client_kwargs": {"endpoint_url": store.endpoint}} if store.endpoint else {}
    fs, root = url_to_fs(store.url, **options)
    return fs, root.rstrip("/")


def overwrite(store: ArtifactStore, key: str, data: bytes) -> None:
    fs, root = files(store)
    fs.pipe_file(f"{root}/{key}", data)


def raw(store: ArtifactStore, key: str) -> bytes:
    fs, root = files(store)
    data: bytes = fs.cat_file(f"{root}/{key}")
    return data


def test_blobs_are_content_addressed_and_read_back(store: ArtifactStore) -> None:
    key, digest = store.put_blob(PROFILE)
    assert digest == hashlib.sha256(PROFILE).hexdigest()
    assert key == f"blobs/{digest[:2]}/{digest}" and key_digest(key) == digest
    assert store.put_blob(PROFILE) == (key, digest)  # idempotent
    assert store.get_blob(key, digest, what="the profile of m:1") == PROFILE
    assert store.check_blob(key, digest).status == "ok"


def _edit_number(data: bytes) -> bytes:
    doc = json.loads(data)
    doc["columns"]["age"]["mean"] = 12.0  # still valid JSON, a different reference
    return json.dumps(doc).encode()


TAMPERINGS = {
    "flip a byte": lambda data, other: bytes([data[0] ^ 1]) + data[1:],
    "edit a number in valid JSON": lambda data, other: _edit_number(data),
    "truncate": lambda data, other: data[: len(data) // 2],
    "swap in another blob": lambda data, other: other,
}


@pytest.mark.parametrize("how", list(TAMPERINGS))
def test_every_tampering_is_refused_on_read(store: ArtifactStore, how: str) -> None:
    key, digest = store.put_blob(PROFILE)
    _, other_digest = store.put_blob(b'{"columns": {}}')
    other = raw(store, f"blobs/{other_digest[:2]}/{other_digest}")
    overwrite(store, key, TAMPERINGS[how](PROFILE, other))
    with pytest.raises(TamperedArtifactError) as caught:
        store.get_blob(key, digest, what="the reference profile of churn:3", remedy="do X")
    message = str(caught.value)
    assert isinstance(caught.value, DriftlineError)
    assert message.startswith("the reference profile of churn:3 was changed in the artifact")
    assert f"the one recorded is {digest[:12]}" in message
    assert message.endswith(f"restore {key} from a backup, or do X")
    assert store.check_blob(key, digest).status == "changed"


def test_a_deleted_blob_is_refused(store: ArtifactStore) -> None:
    key, digest = store.put_blob(PROFILE)
    fs, root = files(store)
    fs.rm_file(f"{root}/{key}")
    with pytest.raises(TamperedArtifactError, match="the model artifact of m:2 is missing from"):
        store.get_blob(key, digest, what="the model artifact of m:2")
    assert store.check_blob(key, digest).status == "missing"


def test_storing_a_trusted_copy_again_repairs_a_damaged_blob(store: ArtifactStore) -> None:
    key, digest = store.put_blob(PROFILE)
    overwrite(store, key, b"garbage")
    assert store.put_blob(PROFILE) == (key, digest)
    assert store.get_blob(key, digest, what="x") == PROFILE


def test_blobs_without_a_recorded_digest_are_checked_against_their_key(
    store: ArtifactStore,
) -> None:
    key, _ = store.put_blob(PROFILE)
    assert store.get_blob(key, None, what="the profile of old:1") == PROFILE
    assert not store.check_blob(key, None).recorded
    overwrite(store, key, _edit_number(PROFILE))
    with pytest.raises(TamperedArtifactError, match="the one its key names is"):
        store.get_blob(key, None, what="the profile of old:1")


def test_a_blob_with_nothing_to_check_against_is_refused(store: ArtifactStore) -> None:
    key, _ = store.put_blob(PROFILE)
    with pytest.raises(TamperedArtifactError, match="cannot be verified"):
        store.get_blob("elsewhere/x", None, what="the profile of m:1")
    with pytest.raises(TamperedArtifactError, match="no valid sha256"):
        store.get_blob(key, "not-a-digest", what="the profile of m:1")
    assert store.check_blob(key, "").status == "unverifiable"


def test_no_unverified_way_to_read_remains(store: ArtifactStore) -> None:
    methods = {name for name in vars(ArtifactStore) if not name.startswith("_")}
    assert methods == {"put_blob", "get_blob", "check_blob", "probe"}  # probe returns nothing
    attributes = {name for name in vars(store) if not name.startswith("_")}
    assert attributes == {"url", "endpoint"}  # no filesystem handle to read around the check


def test_keys_cannot_escape_the_store(store: ArtifactStore) -> None:
    with pytest.raises(ValueError, match="inside the store"):
        store.get_blob("../evil", None, what="x")


def test_local_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path))
    key, _ = store.put_blob(b"1" * 1000)
    folder = (tmp_path / key).parent
    assert [p.name for p in folder.iterdir()] == [key.rsplit("/", 1)[1]]


def test_a_local_store_that_cannot_be_a_folder_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(StorageError) as caught:
        ArtifactStore(str(tmp_path / "taken" / "artifacts"))
    message = str(caught.value)
    assert message.startswith(f"the artifact store {tmp_path / 'taken' / 'artifacts'} failed")
    assert "creating its folder" in message
