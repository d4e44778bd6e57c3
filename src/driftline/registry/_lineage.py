"""Where a version came from: a fingerprint of its training data and the code revision."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pandas as pd

__all__ = ["data_fingerprint", "git_revision"]


def data_fingerprint(df: pd.DataFrame) -> str:
    """A sha256 of the table's content, column names and types; row order matters."""
    h = hashlib.sha256()
    h.update("\x1f".join(f"{c}:{df[c].dtype}" for c in df.columns).encode("utf-8"))
    # hash_pandas_object is vectorized and stable across runs for the same content.
    for start in range(0, len(df), 1_000_000):
        chunk = df.iloc[start : start + 1_000_000]
        h.update(pd.util.hash_pandas_object(chunk, index=False).to_numpy().tobytes())
    return "sha256:" + h.hexdigest()


def git_revision(path: str | Path = ".") -> str | None:
    """The commit checked out at ``path``, with ``-dirty`` when files changed; None outside git."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True, timeout=5
        )
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=path,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return rev.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
