"""The workspace secret: the key of keyed hashes, kept outside the database.

A keyed hash (HMAC-SHA256) of a customer id lets the log join labels and the
audit record name a person without saying who: someone who reads the database,
the log or a report cannot test guesses against it without this secret.

It lives in ``DRIFTLINE_SECRET`` (64 hex digits) or in the file
``keyed-hash.secret`` in the workspace folder, made on first use readable by
its owner only. A file others can read is refused: a secret anyone on the host
can copy protects nothing. Servers and tools that must produce the same hashes
share it by copying the file (keeping its mode) or setting the variable.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from driftline.errors import ConfigError, StorageError

__all__ = ["SECRET_FILE", "keyed_hash", "workspace_secret"]

SECRET_FILE = "keyed-hash.secret"
HASH_PREFIX = "hmac-sha256:"


def workspace_secret(home: Path, *, given: str | None = None) -> bytes:
    """The secret of the workspace at ``home``: ``given`` (hex) or its file, made if missing."""
    if given is not None:
        try:
            key = bytes.fromhex(given.strip())
        except ValueError:
            key = b""
        if len(key) < 16:
            raise ConfigError(
                "DRIFTLINE_SECRET must be at least 32 hex digits (64 recommended: "
                f"python -c 'import secrets; print(secrets.token_hex(32))'), got {len(given)} characters"
            )
        return key
    path = home / SECRET_FILE
    if not path.exists():
        _create(path)
    _check_mode(path)
    try:
        text = path.read_text(encoding="ascii").strip()
        return bytes.fromhex(text)
    except (OSError, ValueError) as exc:
        raise StorageError(
            f"the workspace secret {path} cannot be read ({exc}); restore it from a backup: "
            "without it, keyed hashes already recorded cannot be matched again"
        ) from exc


def _create(path: Path) -> None:
    """Write a new secret whole, then link it into place: two servers starting together
    agree on one, and neither ever reads a file the other has not finished writing."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):  # another process put its secret there first
            os.link(temp, path)
    except OSError as exc:
        raise StorageError(f"cannot create the workspace secret {path}: {exc.strerror}") from exc
    finally:
        temp.unlink(missing_ok=True)


def _check_mode(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise StorageError(f"cannot read the workspace secret {path}: {exc.strerror}") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"the workspace secret {path} can be read by other users (mode "
            f"{stat.S_IMODE(mode):04o}, expected 0600): anyone who copies it can undo the "
            f"keyed hashes; run 'chmod 600 {path}' and start again"
        )


def keyed_hash(secret: bytes, value: str) -> str:
    """``hmac-sha256:<hex>`` of ``value``: the same value always gives the same hash."""
    mac = hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{HASH_PREFIX}{mac}"
