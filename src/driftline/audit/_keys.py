"""Ed25519 keys that sign the chain's head: made, read, and the exact bytes they sign.

The private key must live outside the workspace folder: whoever can rewrite
the database can usually read that folder too, and a key beside the chain
would let them sign the chain they forged. So ``generate`` refuses to write
there and ``load_private_key`` refuses to read from there. The private key
file is made readable by its owner only (mode 0600), and a private key that
others can read is refused, as ssh refuses one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from driftline.errors import InputError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

__all__ = [
    "PRIVATE_FILE",
    "PUBLIC_FILE",
    "SIGN_ACTION",
    "PublicKey",
    "generate",
    "head_message",
    "key_id",
    "load_private_key",
]

SIGN_ACTION = "audit.sign"
PRIVATE_FILE = "driftline-audit.key"
PUBLIC_FILE = "driftline-audit.pub"
# Names what is signed, so a signature over a chain head can never pass for anything else.
_CONTEXT = b"driftline audit head v1\n"


def head_message(count: int, head_hash: str, time: str) -> bytes:
    """The bytes a signed head's signature covers."""
    body = json.dumps(
        {"count": count, "head_hash": head_hash, "time": time},
        sort_keys=True,
        separators=(",", ":"),
    )
    return _CONTEXT + body.encode("utf-8")


def key_id(public: Ed25519PublicKey) -> str:
    """The sha256 of the raw public key: names the key in every head it signed."""
    from cryptography.hazmat.primitives import serialization

    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


@dataclasses.dataclass(frozen=True)
class PublicKey:
    """A public key read from a PEM file, and the id heads signed by its private key carry."""

    key: Ed25519PublicKey
    id: str

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PublicKey:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        data = _read(Path(path), "public key")
        try:
            key = serialization.load_pem_public_key(data)
        except ValueError:
            key = None
        if not isinstance(key, Ed25519PublicKey):
            raise InputError(
                f"{path} is not an Ed25519 public key in PEM form; give the .pub file "
                "'driftline audit keygen' wrote"
            )
        return cls(key=key, id=key_id(key))

    def holds(self, message: bytes, signature: str) -> bool:
        """Whether ``signature`` (hex) is this key's signature of ``message``."""
        from cryptography.exceptions import InvalidSignature

        try:
            self.key.verify(bytes.fromhex(signature), message)
        except (InvalidSignature, ValueError, TypeError):
            return False
        return True


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"there is no {what} file at {str(path)!r}") from None
    except OSError as exc:
        raise InputError(f"cannot read the {what} file {str(path)!r}: {exc.strerror}") from exc


def load_private_key(path: str | os.PathLike[str], *, workspace: Path) -> Ed25519PrivateKey:
    """The signing key at ``path``: outside ``workspace``, readable by its owner only."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    where = Path(path)
    if _inside(where, workspace):
        raise InputError(
            f"the signing key {str(where)!r} is inside the workspace folder {workspace}, where "
            "anyone who can rewrite the audit record could use it; move it elsewhere (and keep "
            "a copy offline)"
        )
    data = _read(where, "private key")
    mode = stat.S_IMODE(where.stat().st_mode)
    if mode & 0o077:
        raise InputError(
            f"the signing key {str(where)!r} can be read by other users (mode {mode:04o}); "
            f"make it private with: chmod 600 {where}"
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(
            f"{where} is not an unencrypted Ed25519 private key in PEM form; make one with: "
            "driftline audit keygen --out DIR"
        )
    return key


def generate(out: str | os.PathLike[str], *, workspace: Path) -> tuple[Path, Path, str]:
    """Write a new key pair into folder ``out``; returns the private and public files and key id."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    folder = Path(out)
    if _inside(folder, workspace):
        raise InputError(
            f"{str(folder)!r} is inside the workspace folder {workspace}: a signing key kept "
            "there can be used by anyone who can rewrite the audit record; choose a folder "
            "outside it (another disk, or a secrets store)"
        )
    private, public = folder / PRIVATE_FILE, folder / PUBLIC_FILE
    for path in (private, public):
        if path.exists():
            raise InputError(
                f"{path} exists already; keygen never overwrites a key (heads it signed would "
                "no longer verify): choose another folder"
            )
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Created 0600 from the start: never readable by others, not even for a moment.
        fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        public.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    except OSError as exc:
        raise InputError(f"cannot write the key pair into {str(folder)!r}: {exc.strerror}") from exc
    return private, public, key_id(key.public_key())
