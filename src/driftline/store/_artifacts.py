"""The artifact store: a local folder by default, any fsspec URL (``s3://`` first) at scale.

Blobs are content-addressed (``blobs/ab/abcdef...``): a key names exactly one
content, writes are idempotent, and the sha256 in the key is checked on read.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from typing import Any

import fsspec
from fsspec.core import url_to_fs

from driftline.errors import (
    ConfigError,
    MissingDependencyError,
    NotFoundError,
    StorageError,
    TamperedArtifactError,
)

__all__ = ["ArtifactStore", "sha256_hex"]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ArtifactStore:
    """Put and get immutable blobs under a root URL."""

    def __init__(self, url: str, *, s3_endpoint_url: str | None = None) -> None:
        self.url = url.rstrip("/")
        options: dict[str, Any] = {}
        if self.url.startswith(("s3://", "s3a://")) and s3_endpoint_url:
            options["client_kwargs"] = {"endpoint_url": s3_endpoint_url}
        try:
            fs, root = url_to_fs(self.url, **options)
        except ImportError as exc:
            raise MissingDependencyError(
                f"artifact store {self.url!r} needs an fsspec driver: {exc}; "
                "for s3:// install it with: pip install 'driftline[s3]'"
            ) from exc
        except ValueError as exc:
            raise ConfigError(f"artifact store URL {self.url!r} is not usable: {exc}") from exc
        self.fs: fsspec.AbstractFileSystem = fs
        self.root = root.rstrip("/")
        self._local = "file" in _protocols(fs)
        if self._local:
            fs.makedirs(self.root, exist_ok=True)

    def _path(self, key: str) -> str:
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"artifact key {key!r} must be relative and stay inside the store")
        return f"{self.root}/{key}"

    def put(self, key: str, data: bytes) -> None:
        """Write ``data`` at ``key`` atomically: readers see all of it or nothing."""
        path = self._path(key)
        try:
            if self._local:
                parent = path.rsplit("/", 1)[0]
                self.fs.makedirs(parent, exist_ok=True)
                tmp = f"{path}.tmp-{uuid.uuid4().hex}"
                with self.fs.open(tmp, "wb") as f:
                    f.write(data)
                    f.flush()
                self.fs.mv(tmp, path)
            else:
                # Object stores publish a PUT whole or not at all.
                self.fs.pipe_file(path, data)
        except OSError as exc:
            raise StorageError(f"could not write artifact {key!r} to {self.url}: {exc}") from exc

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            data: bytes = self.fs.cat_file(path)
        except FileNotFoundError as exc:
            raise NotFoundError(f"artifact {key!r} is missing from {self.url}") from exc
        except OSError as exc:
            raise StorageError(f"could not read artifact {key!r} from {self.url}: {exc}") from exc
        return data

    def exists(self, key: str) -> bool:
        return bool(self.fs.exists(self._path(key)))

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self._path(key))

    def put_blob(self, data: bytes) -> tuple[str, str]:
        """Store content under its sha256; returns ``(key, sha256)``."""
        digest = sha256_hex(data)
        key = f"blobs/{digest[:2]}/{digest}"
        if not self.exists(key):
            self.put(key, data)
        return key, digest

    def get_verified(self, key: str, sha256: str) -> bytes:
        """Read a blob and refuse it unless its sha256 is the one recorded."""
        data = self.get(key)
        got = sha256_hex(data)
        if got != sha256:
            raise TamperedArtifactError(
                f"artifact {key!r} was modified after registration: sha256 is {got[:12]}..., "
                f"recorded {sha256[:12]}...; refusing to load it. Register the model again "
                "from a trusted copy."
            )
        return data


def _protocols(fs: fsspec.AbstractFileSystem) -> tuple[str, ...]:
    proto = fs.protocol
    return (proto,) if isinstance(proto, str) else tuple(proto)
