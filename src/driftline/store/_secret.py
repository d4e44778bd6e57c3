"""The workspace secret: the key of keyed hashes, kept in a file, never in the database.

A keyed hash (HMAC-SHA256) of a customer id lets the audit record say that
a person's records were removed without saying who: someone who reads the
database cannot test guesses against it without this secret. It is made on
first use, readable by its owner only. Servers and tools that must produce
the same hashes share it by copying the file.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from driftline.errors import StorageError

__all__ = ["SECRET_FILE", "keyed_hash", "workspace_secret"]

SECRET_FILE = "keyed-hash.secret"


def workspace_secret(home: Path) -> bytes:
    """The secret of the workspace at ``home``, made (mode 0600) if it has none yet."""
    path = home / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise StorageError(f"cannot create the workspace secret {path}: {exc.strerror}") from exc
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
            f.flush()
            os.fsync(f.fileno())
    try:
        text = path.read_text(encoding="ascii").strip()
        return bytes.fromhex(text)
    except (OSError, ValueError) as exc:
        raise StorageError(
            f"the workspace secret {path} cannot be read ({exc}); restore it from a backup: "
            "without it, keyed hashes already recorded cannot be matched again"
        ) from exc


def keyed_hash(secret: bytes, value: str) -> str:
    """``hmac-sha256:<hex>`` of ``value``: the same value always gives the same hash."""
    mac = hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"hmac-sha256:{mac}"
