"""The artifact store: a local folder by default, any fsspec URL (``s3://`` first) at scale.

A blob is stored under its sha256 (``blobs/ab/abcdef...``). Writing one
returns that digest, which the caller records in the database beside the key;
reading goes through :meth:`ArtifactStore.get_blob` alone, which hashes what
it read and refuses anything but the recorded digest (or, for blobs of
workspaces made before a digest was recorded for them, the digest their key
names) with :class:`TamperedArtifactError`. Whoever can write the store can
make a read fail, but cannot change what driftline uses. Every failure of the
backend itself (a folder, an S3 server) becomes a :class:`StorageError` that
names the store and what to check.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import re
import uuid
from typing import Any

import fsspec
from fsspec.core import url_to_fs

from driftline.errors import (
    ConfigError,
    MissingDependencyError,
    StorageError,
    TamperedArtifactError,
)
from driftline.store._faults import is_missing_bucket, storage_error

__all__ = ["ArtifactStore", "BlobState", "key_digest", "sha256_hex"]

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_KEY = re.compile(r"^blobs/([0-9a-f]{2})/([0-9a-f]{64})$")
_CHUNK = 1 << 20


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def key_digest(key: str) -> str | None:
    """The sha256 a content-addressed key names, or None for any other key."""
    match = _KEY.match(key)
    return match.group(2) if match and match.group(2).startswith(match.group(1)) else None


@dataclasses.dataclass(frozen=True)
class BlobState:
    """What reading one blob found: its digest now (None when it is gone) against the one due."""

    key: str
    expected: str
    recorded: bool  # False: no digest was recorded, so the one in the key is the reference
    found: str | None

    @property
    def status(self) -> str:
        """``ok``, ``changed``, ``missing``, or ``unverifiable`` when no valid digest is due."""
        if not _DIGEST.match(self.expected):
            return "unverifiable"
        if self.found is None:
            return "missing"
        return "ok" if self.found == self.expected else "changed"

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class ArtifactStore:
    """Write and read immutable, verified blobs under a root URL."""

    def __init__(self, url: str, *, s3_endpoint_url: str | None = None) -> None:
        self.url = url.rstrip("/")
        options: dict[str, Any] = {}
        s3 = self.url.startswith(("s3://", "s3a://"))
        if s3 and s3_endpoint_url:
            options["client_kwargs"] = {"endpoint_url": s3_endpoint_url}
        self.endpoint = s3_endpoint_url if s3 else None
        try:
            fs, root = url_to_fs(self.url, **options)
        except ImportError as exc:
            raise MissingDependencyError(
                f"artifact store {self.url!r} needs an fsspec driver: {exc}; "
                "for s3:// install it with: pip install 'driftline[s3]'"
            ) from exc
        except ValueError as exc:
            raise ConfigError(f"artifact store URL {self.url!r} is not usable: {exc}") from exc
        self._fs: fsspec.AbstractFileSystem = fs
        self._root = root.rstrip("/")
        self._local = "file" in _protocols(fs)
        if self._local:
            self._call("creating its folder", fs.makedirs, self._root, exist_ok=True)

    def put_blob(self, data: bytes) -> tuple[str, str]:
        """Store ``data`` under its sha256 and return ``(key, sha256)``; record both.

        A blob already there is kept when it is intact and written again when
        it is not, so storing a trusted copy repairs a damaged one.
        """
        digest = sha256_hex(data)
        key = f"blobs/{digest[:2]}/{digest}"
        if self._hash(key, f"reading {key}") != digest:
            self._write(key, data)
        return key, digest

    def get_blob(
        self,
        key: str,
        sha256: str | None,
        *,
        what: str,
        remedy: str = "write it again from a copy you trust",
    ) -> bytes:
        """The content at ``key``, refused unless its sha256 is ``sha256``.

        ``sha256`` is the digest recorded when the blob was written; None (for
        blobs written before digests were recorded) checks against the digest
        the key names. ``what`` names the blob for a person ("the reference
        profile of churn:3") and ``remedy`` says how to make it again.
        """
        expected, recorded = self._expected(key, sha256)
        data = self._read(key, f"reading {what} ({key})")
        found = None if data is None else sha256_hex(data)
        state = BlobState(key, expected, recorded, found)
        if data is None or not state.ok:
            raise self._refusal(state, what=what, remedy=remedy)
        return data

    def check_blob(self, key: str, sha256: str | None) -> BlobState:
        """Hash the blob at ``key`` as :meth:`get_blob` would, without holding it in memory."""
        expected, recorded = self._expected(key, sha256)
        return BlobState(key, expected, recorded, self._hash(key, f"reading {key}"))

    def probe(self) -> None:
        """Write a small object, read it back and remove it; a :class:`StorageError` if any fails."""
        key = f"probes/{uuid.uuid4().hex}"
        probe = f"driftline probe {key}".encode()
        self._write(key, probe)
        try:
            back = self._read(key, f"reading the probe {key} back")
        finally:
            self._call(f"removing the probe {key}", self._fs.rm_file, self._path(key))
            if self._local:  # leave no empty folder behind; object stores have none
                with contextlib.suppress(OSError):
                    self._fs.rmdir(self._path("probes"))
        if back != probe:
            raise StorageError(
                f"the artifact store {self.url} gave back "
                f"{'nothing' if back is None else f'{len(back)} bytes'} for a {len(probe)}-byte "
                "probe it was just given; check the storage server"
            )

    def _refusal(self, state: BlobState, *, what: str, remedy: str) -> TamperedArtifactError:
        """The error that refuses a blob in ``state``, as one sentence a person can act on."""
        if state.status == "unverifiable":
            return TamperedArtifactError(
                f"{what} cannot be verified, because the metadata database records no valid "
                f"sha256 for it ({state.expected!r}) and its key {state.key} names none, so "
                f"driftline will not use it; restore the database from a backup, or {remedy}"
            )
        if state.found is None:
            return TamperedArtifactError(
                f"{what} is missing from the artifact store {self.url} ({state.key}), so "
                f"driftline cannot use it; check that DRIFTLINE_ARTIFACTS_URL names the right "
                f"store, restore the file from a backup, or {remedy}"
            )
        due = "the one recorded" if state.recorded else "the one its key names"
        return TamperedArtifactError(
            f"{what} was changed in the artifact store {self.url} after it was written (its "
            f"sha256 is now {state.found[:12]}, {due} is {state.expected[:12]}), so driftline "
            f"will not use it; restore {state.key} from a backup, or {remedy}"
        )

    @staticmethod
    def _expected(key: str, sha256: str | None) -> tuple[str, bool]:
        """The digest due at ``key`` and whether it was recorded (or named by the key)."""
        if sha256 is not None:
            return sha256, True
        return key_digest(key) or "", False

    def _path(self, key: str) -> str:
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"artifact key {key!r} must be relative and stay inside the store")
        return f"{self._root}/{key}"

    def _call(self, doing: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # drivers raise their own types; all are mapped
            raise self._fault(exc, doing) from exc

    def _write(self, key: str, data: bytes) -> None:
        """Write ``data`` at ``key`` atomically: readers see all of it or nothing."""
        path = self._path(key)
        doing = f"writing {key}"
        if not self._local:
            # Object stores publish a PUT whole or not at all.
            self._call(doing, self._fs.pipe_file, path, data)
            return
        tmp = f"{path}.tmp-{uuid.uuid4().hex}"

        def write() -> None:
            self._fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
            with self._fs.open(tmp, "wb") as f:
                f.write(data)
                f.flush()
            self._fs.mv(tmp, path)

        self._call(doing, write)

    def _read(self, key: str, doing: str) -> bytes | None:
        """The whole content at ``key``; None when nothing is there."""
        path = self._path(key)
        try:
            data: bytes = self._fs.cat_file(path)
        except Exception as exc:  # see _call
            self._unless_missing(exc, doing)
            return None
        return data

    def _hash(self, key: str, doing: str) -> str | None:
        """The sha256 of the content at ``key``, read in chunks; None when nothing is there."""
        path = self._path(key)
        digest = hashlib.sha256()
        try:
            with self._fs.open(path, "rb") as f:
                while chunk := f.read(_CHUNK):
                    digest.update(chunk)
        except Exception as exc:  # see _call
            self._unless_missing(exc, doing)
            return None
        return digest.hexdigest()

    def _unless_missing(self, exc: Exception, doing: str) -> None:
        """Raise the :class:`StorageError` for ``exc`` unless it only says a blob is absent."""
        # s3fs raises FileNotFoundError for a missing bucket too: that is the store failing.
        if isinstance(exc, FileNotFoundError) and not is_missing_bucket(exc):
            return
        raise self._fault(exc, doing) from exc

    def _fault(self, exc: Exception, doing: str) -> StorageError:
        return storage_error(
            exc, url=self.url, endpoint=self.endpoint, doing=doing, local=self._local
        )


def _protocols(fs: fsspec.AbstractFileSystem) -> tuple[str, ...]:
    proto = fs.protocol
    return (proto,) if isinstance(proto, str) else tuple(proto)
